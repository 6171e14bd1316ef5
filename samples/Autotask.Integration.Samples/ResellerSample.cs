using System.Globalization;
using Autotask.Integration.Connections;
using Autotask.Integration.Entities;
using Autotask.Integration.Mapping;
using Autotask.Integration.Querying;
using Autotask.Integration.Sync;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace Autotask.Integration.Samples;

/// <summary>
/// The licence-reseller shape: test the connection, map a customer, an offer and a subscription, then sync its
/// quantity: a dry-run plan first, then the real run, then a second run that has nothing to change.
/// </summary>
internal static class ResellerSample
{
    public const string VendorCustomer = "acme-customer-001";
    public const string VendorOffer = "m365-business-premium-monthly";
    public const string VendorSubscription = "subscription-1001";

    public static async Task RunAsync(IServiceProvider services, string connection, TextWriter output, bool allowWrites, CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<IMappingStore>();
        var mapping = services.GetRequiredService<IMappingEngine>();
        var client = services.GetRequiredService<IAutotaskClientFactory>().GetClient(connection);

        await output.HeadingAsync("Connection test (Test and Save)");
        var test = await services.GetRequiredService<IAutotaskConnectionTester>().TestAsync(connection, ConnectionRequirements.SubscriptionSync, cancellationToken);
        await output.TableAsync(["Permission", "Entity", "Granted"], test.Checks.Select(c => new[] { c.Access.ToString(), c.Entity, c.Granted ? "yes" : "NO" }));
        foreach (var problem in test.Problems)
        {
            await output.WriteLineAsync("  ! " + problem);
        }

        if (!test.Succeeded)
        {
            throw new SampleStoppedException("The connection test failed; fix the problems above in Autotask first.");
        }

        var customer = await EnsureCustomerAsync(services, connection, output, cancellationToken);

        // The customer's recurring service contract, and a monthly service line on it for the offer.
        var contracts = await mapping.FindRecurringContractsAsync(connection, VendorCustomer, cancellationToken);
        if (contracts.Count == 0)
        {
            throw new SampleStoppedException($"'{customer.CompanyName}' has no active Recurring Service contract to map a subscription to.");
        }

        await output.HeadingAsync("Offer mapping");
        var offer = await store.FindOfferAsync(client.ConnectionName, VendorOffer, cancellationToken);
        if (offer is null)
        {
            var monthly = (await client.GetPicklistAsync<Service>("periodType", cancellationToken)).GetId("Monthly");
            long? serviceId = null;
            await foreach (var line in client.QueryAsync(new AutotaskQuery<ContractService>().Where(Filter<ContractService>.Eq(l => l.ContractId, contracts[0].Id)), cancellationToken))
            {
                if ((await client.GetAsync<Service>(line.ServiceId, cancellationToken))?.PeriodType == monthly)
                {
                    serviceId = line.ServiceId;
                    break;
                }
            }

            offer = await mapping.MapOfferAsync(connection, VendorOffer, BillingTerm.Monthly,
                serviceId ?? throw new SampleStoppedException($"Contract '{contracts[0].ContractName}' has no monthly service to map the offer to."), cancellationToken);
        }

        await output.WriteLineAsync($"  '{VendorOffer}' (monthly) -> service '{offer.ServiceName}' ({offer.ServiceId}).");

        await output.HeadingAsync("Subscription mapping");
        var subscription = await store.FindSubscriptionAsync(client.ConnectionName, VendorSubscription, cancellationToken);
        if (subscription is not null)
        {
            await output.WriteLineAsync("  Kept from an earlier run:");
        }
        else
        {
            if (!allowWrites)
            {
                await output.WriteLineAsync("  Skipped: mapping at purchase time may add the service to the contract; pass --allow-writes.");
                return;
            }

            subscription = await mapping.MapSubscriptionAsync(connection, new SubscriptionMappingRequest
            {
                VendorSubscriptionId = VendorSubscription,
                VendorCustomerId = VendorCustomer,
                VendorOfferId = VendorOffer,
                ContractId = contracts[0].Id,
                AddServiceToContract = true,
            }, cancellationToken);
        }

        await output.WriteLineAsync($"  '{VendorSubscription}' -> contract service {subscription.ContractServiceId} on contract {subscription.ContractId}.");

        await output.HeadingAsync("Quantity sync");
        var sync = services.GetRequiredService<IQuantitySyncEngine>();
        var now = SystemClock.Instance.GetCurrentInstant();
        SubscriptionQuantity[] changes = [new(VendorSubscription, 25, now), new("subscription-unmapped", 3, now), new(VendorSubscription + "-bad", -1, now)];
        var plan = await sync.SyncAsync(connection, changes, new QuantitySyncOptions { DryRun = true }, cancellationToken);
        await output.WriteLineAsync("  Plan (dry run, nothing written):");
        await WriteReportAsync(output, plan);
        if (!allowWrites)
        {
            await output.WriteLineAsync("  Not applied: pass --allow-writes to write adjustments to this Autotask.");
            return;
        }

        var applied = await sync.SyncAsync(connection, changes, cancellationToken: cancellationToken);
        await output.WriteLineAsync("  Applied:");
        await WriteReportAsync(output, applied);
        var again = await sync.SyncAsync(connection, changes[..1], cancellationToken: cancellationToken);
        await output.WriteLineAsync(again.Count(QuantitySyncStatus.Unchanged) == 1
            ? "  Ran the same quantities again: nothing to change."
            : "  Ran the same quantities again: something changed in between.");
    }

    /// <summary>Maps the sample's vendor customer to the first active customer company, unless an earlier run did.</summary>
    public static async Task<CustomerMapping> EnsureCustomerAsync(IServiceProvider services, string connection, TextWriter output, CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<IMappingStore>();
        var mapping = services.GetRequiredService<IMappingEngine>();
        var client = services.GetRequiredService<IAutotaskClientFactory>().GetClient(connection);
        await output.HeadingAsync("Customer mapping");
        var customer = await store.FindCustomerAsync(client.ConnectionName, VendorCustomer, cancellationToken);
        if (customer is not null)
        {
            await output.WriteLineAsync($"  '{VendorCustomer}' is mapped to '{customer.CompanyName}' ({customer.CompanyId}), kept from an earlier run.");
        }
        else
        {
            var candidates = await mapping.SearchCustomersAsync(connection, "A", take: 5, cancellationToken: cancellationToken);
            if (candidates.Count == 0)
            {
                candidates = await mapping.SearchCustomersAsync(connection, "C", take: 5, cancellationToken: cancellationToken);
            }

            await output.WriteLineAsync("  Active customers by name:");
            await output.TableAsync(["Id", "Company"], candidates.Select(c => new[] { c.Id.ToString(CultureInfo.InvariantCulture), c.CompanyName }));
            if (candidates.Count == 0)
            {
                throw new SampleStoppedException("No active customer company was found to map.");
            }

            customer = await mapping.MapCustomerAsync(connection, VendorCustomer, candidates[0].Id, cancellationToken);
            await output.WriteLineAsync($"  Mapped '{VendorCustomer}' to '{customer.CompanyName}' ({customer.CompanyId}).");
        }

        return customer;
    }

    private static Task WriteReportAsync(TextWriter output, QuantitySyncReport report) =>
        output.TableAsync(["Subscription", "Status", "Before", "Desired", "Change", "Effective", "Reason"], report.Items.Select(i => new[]
        {
            i.VendorSubscriptionId, i.Status.ToString(), i.UnitsBefore?.ToString(CultureInfo.InvariantCulture), i.DesiredUnits.ToString(CultureInfo.InvariantCulture),
            i.UnitChange?.ToString("+#;-#;0", CultureInfo.InvariantCulture), i.EffectiveDate?.ToString("uuuu-MM-dd", CultureInfo.InvariantCulture), i.Reason,
        }));
}
