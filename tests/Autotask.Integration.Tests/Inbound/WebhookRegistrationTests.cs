using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Autotask.Integration.Auditing;
using Autotask.Integration.Inbound;
using Autotask.Integration.Tests.Connections;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Autotask.Integration.Tests.Inbound;

/// <summary>Webhooks registered from code: created once, brought up to date on a second registration, signed with a secret saved with the connection.</summary>
public sealed class WebhookRegistrationTests
{
    private static readonly Uri Receiver = new("https://hooks.vendor.example/autotask/partner-a");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static AutotaskWebhookDefinition Tickets(params string[] fields) => new()
    {
        Entity = AutotaskWebhookEntity.Ticket,
        ReceiverUrl = Receiver,
        SubscribedFields = fields,
        AlwaysDisplayedFields = ["companyID"],
        ExcludedResourceIds = [29_682_885],
    };

    [Fact]
    public async Task A_ticket_webhook_is_created_once_with_its_fields_and_signed_with_a_secret_saved_with_the_connection()
    {
        await using var host = TenantHost.Create(databases: 1);
        await host.Connections.LinkAsync("partner-a", host.PartnerSettings(1), cancellationToken: Ct);
        var webhooks = host.Services.GetRequiredService<IAutotaskWebhooks>();
        var data = host.Databases[0].Data;

        var first = await webhooks.RegisterAsync("partner-a", Tickets("status", "priority"), Ct);

        var stored = Assert.Single(data.Records("TicketWebhooks"));
        Assert.Equal(first.Id, (long)stored["id"]!);
        Assert.Equal(Receiver.ToString(), (string?)stored["webhookUrl"]);
        var secret = (string)stored["secretKey"]!;
        Assert.Equal(64, secret.Length);
        var saved = await host.ConnectionStore.FindAsync("partner-a", Ct);
        Assert.Equal(secret, saved!.WebhookSecretKey);
        Assert.Equal(3, data.Records("TicketWebhookFields").Count);
        Assert.Equal(29_682_885, (long)Assert.Single(data.Records("TicketWebhookExcludedResources"))["resourceID"]!);

        // The existing receiver verifies a callout signed with the saved secret, for this connection.
        var body = Encoding.UTF8.GetBytes($$$"""{"Action":"Update","Guid":"{{{Guid.NewGuid()}}}","EntityType":"Ticket","Id":5,"EventTime":"{{{DateTime.UtcNow:yyyy-MM-dd'T'HH:mm:ss.fff}}}","Fields":{"status":5}}""");
#pragma warning disable CA5350 // Autotask's signature scheme.
        var signature = "sha1=" + Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), body));
#pragma warning restore CA5350
        var received = await host.Services.GetRequiredService<IAutotaskWebhookReceiver>().ReceiveAsync("partner-a", body, signature, Ct);
        Assert.Contains(received.Status, new[] { WebhookStatus.Accepted, WebhookStatus.Ignored });

        // Registering again changes the one webhook: the fields follow the definition, the secret stays.
        var second = await webhooks.RegisterAsync("partner-a", Tickets("status"), Ct);

        Assert.Equal(first.Id, second.Id);
        Assert.Single(data.Records("TicketWebhooks"));
        Assert.Equal(secret, (string?)data.Records("TicketWebhooks")[0]["secretKey"]);
        Assert.Equal(2, data.Records("TicketWebhookFields").Count);
        var listed = Assert.Single(await webhooks.ListAsync("partner-a", AutotaskWebhookEntity.Ticket, Ct));
        Assert.Equal(["status"], listed.SubscribedFields);
        Assert.Equal(Receiver, listed.ReceiverUrl);
        Assert.Equal(2, host.Audit.Events.Count(e => e.Operation == AuditOperations.RegisterWebhook));

        Assert.True(await webhooks.DeleteAsync("partner-a", AutotaskWebhookEntity.Ticket, first.Id, Ct));
        Assert.Empty(await webhooks.ListAsync("partner-a", AutotaskWebhookEntity.Ticket, Ct));
        Assert.False(await webhooks.DeleteAsync("partner-a", AutotaskWebhookEntity.Ticket, first.Id, Ct));
        Assert.Single(host.Audit.Events, e => e.Operation == AuditOperations.DeleteWebhook);
    }

    [Fact]
    public async Task Company_contact_and_configuration_item_webhooks_are_registered_the_same_way()
    {
        await using var host = TenantHost.Create(databases: 1);
        await host.Connections.LinkAsync("partner-a", host.PartnerSettings(1), cancellationToken: Ct);
        var webhooks = host.Services.GetRequiredService<IAutotaskWebhooks>();

        foreach (var (entity, field) in new[] { (AutotaskWebhookEntity.Company, "companyName"), (AutotaskWebhookEntity.Contact, "emailAddress"), (AutotaskWebhookEntity.ConfigurationItem, "referenceTitle") })
        {
            await webhooks.RegisterAsync("partner-a", new AutotaskWebhookDefinition { Entity = entity, ReceiverUrl = Receiver, SubscribedFields = [field] }, Ct);
            var listed = Assert.Single(await webhooks.ListAsync("partner-a", entity, Ct));
            Assert.Equal([field], listed.SubscribedFields);
        }
    }

    [Fact]
    public async Task Bad_definitions_are_refused_before_anything_is_written()
    {
        await using var host = TenantHost.Create(databases: 1);
        await host.Connections.LinkAsync("partner-a", host.PartnerSettings(1), cancellationToken: Ct);
        var webhooks = host.Services.GetRequiredService<IAutotaskWebhooks>();

        await Assert.ThrowsAsync<ArgumentException>(() => webhooks.RegisterAsync("partner-a", Tickets() with { ReceiverUrl = new Uri("http://hooks.vendor.example/plain") }, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => webhooks.RegisterAsync("partner-a", Tickets() with { DeactivationUrl = new Uri("ftp://x.example/") }, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => webhooks.RegisterAsync("partner-a", Tickets() with { Name = new string('n', 51) }, Ct));
        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => webhooks.RegisterAsync("partner-a", Tickets("statusTypo"), Ct));
        Assert.Contains("statusTypo", unknown.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => webhooks.DeleteAsync("partner-a", AutotaskWebhookEntity.Ticket, 0, Ct));

        Assert.Empty(host.Databases[0].Data.Records("TicketWebhooks"));
        Assert.Null((await host.ConnectionStore.FindAsync("partner-a", Ct))!.WebhookSecretKey);
    }

    [Fact]
    public async Task A_configured_connection_without_a_secret_is_told_to_set_one()
    {
        await using var sim = SimulatorHarness.Create();
        var webhooks = sim.Services.GetRequiredService<IAutotaskWebhooks>();

        var error = await Assert.ThrowsAsync<AutotaskConfigurationException>(() => webhooks.RegisterAsync("simulator", Tickets("status"), Ct));

        Assert.Contains("WebhookSecretKey", error.Message, StringComparison.Ordinal);
        Assert.Empty(sim.Simulator.Data.Records("TicketWebhooks"));
    }
}
