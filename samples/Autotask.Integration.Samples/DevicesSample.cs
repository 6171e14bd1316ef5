using System.Globalization;
using Autotask.Integration.Entities;
using Autotask.Integration.Inbound;
using Autotask.Integration.Querying;
using Microsoft.Extensions.DependencyInjection;

namespace Autotask.Integration.Samples;

/// <summary>
/// The backup-service shape beyond tickets: each backup device of a mapped customer becomes a configuration item of its
/// Autotask company (once), and a webhook tells the vendor when the customer's tickets change.
/// </summary>
internal static class DevicesSample
{
    /// <summary>The vendor's backup devices at the sample customer: serial number, host name, model.</summary>
    public static readonly IReadOnlyList<(string Serial, string Hostname, string Model)> Devices =
    [
        ("BKP-7F3A-0001", "bkp-contoso-01", "Appliance S4"),
        ("BKP-7F3A-0002", "bkp-contoso-02", "Appliance S4"),
        ("BKP-91C0-0107", "bkp-contoso-dr", "Appliance X8"),
    ];

    public const string ProductName = "Backup appliance";

    public static Uri ReceiverFor(string connection) => new($"https://backup.vendor.example/autotask/webhooks/{Uri.EscapeDataString(connection)}");

    public static async Task RunAsync(IServiceProvider services, string connection, TextWriter output, bool allowWrites, CancellationToken cancellationToken)
    {
        var customer = await ResellerSample.EnsureCustomerAsync(services, connection, output, cancellationToken);
        var client = services.GetRequiredService<IAutotaskClientFactory>().GetClient(connection);
        await output.HeadingAsync("Backup devices as configuration items");

        var productId = await ProductAsync(client, output, allowWrites, cancellationToken);
        var rows = new List<string?[]>();
        foreach (var (serial, hostname, model) in Devices)
        {
            // A device is found again by its serial number on the company, so running the sample twice adds nothing.
            var query = new AutotaskQuery<ConfigurationItem>().Where(
                Filter<ConfigurationItem>.Eq(c => c.CompanyId, customer.CompanyId),
                Filter<ConfigurationItem>.Eq(c => c.ReferenceNumber, serial)).Take(1);
            ConfigurationItem? existing = null;
            await foreach (var item in client.QueryAsync(query, cancellationToken))
            {
                existing = item;
            }

            if (existing is not null)
            {
                rows.Add([serial, hostname, "already there", existing.Id.ToString(CultureInfo.InvariantCulture)]);
                continue;
            }

            if (!allowWrites || productId is null)
            {
                rows.Add([serial, hostname, "would be created", null]);
                continue;
            }

            var id = await client.CreateAsync(new ConfigurationItem
            {
                CompanyId = customer.CompanyId,
                ProductId = productId,
                ReferenceTitle = hostname,
                ReferenceNumber = serial,
                IsActive = true,
                Notes = $"{model}, registered by the backup service.",
            }, cancellationToken);
            rows.Add([serial, hostname, "created", id.ToString(CultureInfo.InvariantCulture)]);
        }

        await output.TableAsync(["Serial", "Host", "Configuration item", "Id"], rows);

        await output.HeadingAsync("Ticket webhook");
        var webhooks = services.GetRequiredService<IAutotaskWebhooks>();
        if (!allowWrites)
        {
            var registered = await webhooks.ListAsync(connection, AutotaskWebhookEntity.Ticket, cancellationToken);
            await output.WriteLineAsync($"  {registered.Count} ticket webhook(s) registered. Pass --allow-writes to register the vendor's.");
            return;
        }

        var definition = new AutotaskWebhookDefinition
        {
            Entity = AutotaskWebhookEntity.Ticket,
            ReceiverUrl = ReceiverFor(connection),
            Name = "Backup service ticket updates",
            SubscribedFields = ["status", "priority", "assignedResourceID"],
            AlwaysDisplayedFields = ["companyID", "ticketNumber"],
        };
        var webhook = await webhooks.RegisterAsync(connection, definition, cancellationToken);
        var again = await webhooks.RegisterAsync(connection, definition, cancellationToken);
        await output.WriteLineAsync($"  Ticket webhook {webhook.Id} calls {webhook.ReceiverUrl} when {string.Join(", ", webhook.SubscribedFields)} change.");
        await output.WriteLineAsync(again.Id == webhook.Id
            ? $"  Registered again: still webhook {again.Id}, brought up to date rather than duplicated."
            : $"  Registered again as webhook {again.Id}.");
        await output.WriteLineAsync($"  Ticket webhooks now: {(await webhooks.ListAsync(connection, AutotaskWebhookEntity.Ticket, cancellationToken)).Count}.");
    }

    /// <summary>The product configuration items are filed under: the instance's, or one made for the sample.</summary>
    private static async Task<long?> ProductAsync(IAutotaskClient client, TextWriter output, bool allowWrites, CancellationToken cancellationToken)
    {
        await foreach (var product in client.QueryAsync(new AutotaskQuery<Product>().Where(Filter<Product>.Eq(p => p.Name, ProductName)).Take(1), cancellationToken))
        {
            return product.Id;
        }

        if (!allowWrites)
        {
            await output.WriteLineAsync($"  No product '{ProductName}' yet; it would be created.");
            return null;
        }

        var id = await client.CreateAsync(new Product { Name = ProductName, Description = "Backup appliances managed by the backup service.", IsActive = true, IsSerialized = true }, cancellationToken);
        await output.WriteLineAsync($"  Created the product '{ProductName}' ({id}) to file the devices under.");
        return id;
    }
}
