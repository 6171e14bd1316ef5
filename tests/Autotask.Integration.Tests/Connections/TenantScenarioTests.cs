using Autotask.Integration.Entities;
using Autotask.Integration.Mapping;
using Autotask.Integration.Sync;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;

namespace Autotask.Integration.Tests.Connections;

/// <summary>
/// A vendor's platform at work: many partners linked at run time on several MSP databases and synced at once, and
/// partners rotating a secret or unlinking while their sync runs. Nothing is applied twice, nothing crosses databases.
/// </summary>
public sealed class TenantScenarioTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static NodaTime.Instant Today => SyncHarness.Today;

    /// <summary>Maps subscription <paramref name="subscription"/> of <paramref name="connection"/> to contract service <paramref name="line"/> of <paramref name="database"/>.</summary>
    private static async Task MapAsync(IMappingStore store, AutotaskSimulator database, string connection, ContractService line, string subscription)
    {
        var contract = database.Data.Get<Contract>(line.ContractId)!;
        var customer = $"cust-{contract.CompanyId}";
        if (await store.FindCustomerAsync(connection, customer, Ct) is null)
        {
            await store.AddCustomerAsync(new CustomerMapping { Connection = connection, VendorCustomerId = customer, CompanyId = contract.CompanyId!.Value }, Ct);
        }

        await store.AddSubscriptionAsync(new SubscriptionMapping
        {
            Connection = connection,
            VendorSubscriptionId = subscription,
            VendorCustomerId = customer,
            VendorOfferId = $"offer-{line.ServiceId}",
            CompanyId = contract.CompanyId!.Value,
            ContractId = line.ContractId,
            ContractServiceId = line.Id,
            ServiceId = line.ServiceId,
        }, Ct);
    }

    [Fact]
    public async Task A_thousand_partners_on_three_databases_are_linked_by_test_and_save_and_synced_concurrently()
    {
        const int Partners = 1000;
        await using var host = TenantHost.Create(databases: 3, data: SimulatorDataSet.Subscriptions(customers: 334, linesPerContract: 1),
            simulator: o => (o.MaxConcurrentRequestsPerEntity, o.HourlyRequestLimit) = (100_000, 10_000_000));
        var partners = Enumerable.Range(0, Partners).Select(i => (Id: $"partner-{i:0000}", Database: (i % 3) + 1, Line: i / 3)).ToArray();

        await Parallel.ForEachAsync(partners, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (p, ct) =>
            await host.Connections.LinkAsync(p.Id, host.PartnerSettings(p.Database), cancellationToken: ct));

        var lines = host.Databases.Select(d => d.Data.All<ContractService>().OrderBy(l => l.Id).ToArray()).ToArray();
        var targets = new Dictionary<string, (AutotaskSimulator Database, long Line, int Units)>();
        foreach (var p in partners)
        {
            var database = host.Databases[p.Database - 1];
            var line = lines[p.Database - 1][p.Line];
            await MapAsync(host.Store, database, p.Id, line, "sub-1");
            targets[p.Id] = (database, line.Id, database.Data.UnitsOn(line.Id, Today.InUtc().Date) + 1 + (p.Line % 4));
        }

        var reports = new System.Collections.Concurrent.ConcurrentDictionary<string, QuantitySyncReport>();
        await Parallel.ForEachAsync(partners, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = Ct }, async (p, ct) =>
            reports[p.Id] = await host.Sync.SyncAsync(p.Id, [new SubscriptionQuantity("sub-1", targets[p.Id].Units, Today)], cancellationToken: ct));

        Assert.Equal(Partners, (await host.Clients.ListConnectionsAsync(Ct)).Count);
        Assert.All(reports.Values, r => Assert.Equal(QuantitySyncStatus.Applied, Assert.Single(r.Items).Status));
        foreach (var (id, target) in targets)
        {
            Assert.Equal(target.Units, target.Database.Data.UnitsOn(target.Line, Today.InUtc().Date));
            Assert.Equal(target.Database.Options.DatabaseId, (await host.Connections.GetDatabaseAsync(id, Ct))!.Ci);
        }

        Assert.Equal([334, 333, 333], host.Databases.Select(d => d.AppliedAdjustments.Count));
        Assert.All(host.Databases, d => Assert.Equal(d.AppliedAdjustments.Count, d.AppliedAdjustments.Select(a => a.ContractServiceId).Distinct().Count()));
        Assert.Equal(Partners * 2, host.Audit.Events.Count(e => e.Operation == Auditing.AuditOperations.CreateConnectorConnection && e.Status == Auditing.AuditStatus.Succeeded));
    }

    /// <summary>A store that does something once, when the <paramref name="after"/>th write of a sync begins.</summary>
    private sealed class MidSyncStore(IMappingStore inner, int after, Func<Task> action) : DelegatingMappingStore(inner)
    {
        private int _begun;

        public override async Task<AdjustmentBeginOutcome> TryBeginAdjustmentAsync(AdjustmentLedgerEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _begun) == after)
            {
                await action();
            }

            return await Inner.TryBeginAdjustmentAsync(entry, expectedVersion, cancellationToken);
        }
    }

    private static async Task<(TenantHost Host, Dictionary<string, (long Line, int Units)> Targets)> OnePartnerWithSubscriptionsAsync(int subscriptions, Func<TenantHost, Task> midSync)
    {
        TenantHost? created = null;
        var store = new MidSyncStore(new InMemoryMappingStore(), after: subscriptions / 4, () => midSync(created!));
        created = TenantHost.Create(databases: 1, data: SimulatorDataSet.Subscriptions(customers: subscriptions, linesPerContract: 1),
            build: b => b.UseMappingStore(store));
        var database = created.Databases[0];
        await created.Connections.LinkAsync("partner-a", created.PartnerSettings(1), cancellationToken: Ct);
        var targets = new Dictionary<string, (long, int)>();
        foreach (var (line, n) in database.Data.All<ContractService>().OrderBy(l => l.Id).Select((l, n) => (l, n)))
        {
            await MapAsync(store, database, "partner-a", line, $"sub-{n + 1}");
            targets[$"sub-{n + 1}"] = (line.Id, database.Data.UnitsOn(line.Id, Today.InUtc().Date) + 2);
        }

        return (created, targets);
    }

    private static void EachSubscriptionAppliedOnce(TenantHost host, Dictionary<string, (long Line, int Units)> targets)
    {
        var database = host.Databases[0];
        foreach (var (_, (line, units)) in targets)
        {
            Assert.Equal(units, database.Data.UnitsOn(line, Today.InUtc().Date));
            Assert.Single(database.AppliedAdjustments, a => a.ContractServiceId == line);
        }
    }

    [Fact]
    public async Task A_secret_rotated_in_the_middle_of_a_sync_fails_or_applies_each_item_and_applies_nothing_twice()
    {
        var (host, targets) = await OnePartnerWithSubscriptionsAsync(40, async h =>
        {
            h.Databases[0].Options.Secret = "rotated-mid-sync";
            await h.Connections.UpdateAsync("partner-a", c => c.Secret = "rotated-mid-sync", cancellationToken: Ct);
        });
        await using var _ = host;
        var changes = targets.Select(t => new SubscriptionQuantity(t.Key, t.Value.Units, Today)).ToList();

        var first = await host.Sync.SyncAsync("partner-a", changes, new QuantitySyncOptions { MaxConcurrentWrites = 4 }, Ct);
        var second = await host.Sync.SyncAsync("partner-a", changes, cancellationToken: Ct);

        Assert.All(first.Items, i => Assert.Contains(i.Status, new[] { QuantitySyncStatus.Applied, QuantitySyncStatus.Failed }));
        Assert.Contains(first.Items, i => i.Status == QuantitySyncStatus.Applied);
        Assert.All(second.Items, i => Assert.Contains(i.Status, new[] { QuantitySyncStatus.Applied, QuantitySyncStatus.Unchanged }));
        Assert.Equal(first.Items.Count(i => i.Status != QuantitySyncStatus.Applied), second.Items.Count(i => i.Status == QuantitySyncStatus.Applied));
        EachSubscriptionAppliedOnce(host, targets);
        Assert.Empty(await host.Store.GetPendingAdjustmentsAsync("partner-a", cancellationToken: Ct));
    }

    [Fact]
    public async Task A_connection_removed_in_the_middle_of_a_sync_fails_the_rest_typed_leaves_nothing_pending_and_applies_nothing_twice()
    {
        var (host, targets) = await OnePartnerWithSubscriptionsAsync(40, h => h.Connections.RemoveAsync("partner-a", Ct));
        await using var _ = host;
        var changes = targets.Select(t => new SubscriptionQuantity(t.Key, t.Value.Units, Today)).ToList();

        var first = await host.Sync.SyncAsync("partner-a", changes, new QuantitySyncOptions { MaxConcurrentWrites = 4 }, Ct);

        var failed = first.Items.Where(i => i.Status == QuantitySyncStatus.Failed).ToList();
        Assert.NotEmpty(failed);
        Assert.All(failed, i => Assert.Contains("was removed (unlinked)", i.Reason, StringComparison.Ordinal));
        Assert.Equal(40, first.Items.Count(i => i.Status is QuantitySyncStatus.Applied or QuantitySyncStatus.Failed));
        Assert.Empty(await host.Store.GetPendingAdjustmentsAsync("partner-a", cancellationToken: Ct));
        Assert.Equal(first.Items.Count(i => i.Status == QuantitySyncStatus.Applied), host.Databases[0].AppliedAdjustments.Count);

        // Linked again to the same database, the next sync applies exactly what is missing.
        await host.Connections.LinkAsync("partner-a", host.PartnerSettings(1), cancellationToken: Ct);
        var second = await host.Sync.SyncAsync("partner-a", changes, cancellationToken: Ct);

        Assert.Equal(failed.Count, second.Items.Count(i => i.Status == QuantitySyncStatus.Applied));
        EachSubscriptionAppliedOnce(host, targets);
    }
}
