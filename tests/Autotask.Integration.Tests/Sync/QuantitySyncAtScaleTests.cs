using Autotask.Integration.Sync;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;

namespace Autotask.Integration.Tests.Sync;

/// <summary>The sync at the size of a real reseller: a thousand subscriptions, many rounds, a hostile network.</summary>
public sealed class QuantitySyncAtScaleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static AutotaskSimulatorOptions Thousand => new()
    {
        Seed = 2026,
        DataSet = SimulatorDataSet.Subscriptions(customers: 250, linesPerContract: 4),
        HourlyRequestLimit = 1_000_000,
    };

    [Fact]
    public async Task Ten_thousand_updates_under_ten_percent_faults_end_exactly_right_and_never_apply_twice()
    {
        await using var sync = SyncHarness.Create(Thousand, c => c.HourlyRequestBudget = 1_000_000);
        var subs = await sync.MapSubscriptionsAsync(1000);
        Assert.Equal(1000, subs.Count);
        var faults = sync.Simulator.Faults;
        faults.RetryAfter = TimeSpan.Zero;
        faults.Randomly(SimulatorFault.RateLimited, 0.025);
        faults.Randomly(SimulatorFault.ServerError, 0.025);
        faults.Randomly(SimulatorFault.DroppedConnection, 0.025);
        faults.Randomly(SimulatorFault.AmbiguousWrite, 0.025);

        var random = new Random(7);
        var desired = subs.ToDictionary(s => s.VendorSubscriptionId, s => sync.UnitsOn(s, SyncHarness.TodayUtc));
        var realChanges = 0;
        var updates = 0;
        for (var round = 0; round < 10; round++)
        {
            var changes = new List<SubscriptionQuantity>();
            foreach (var sub in subs)
            {
                var quantity = random.NextDouble() < 0.3 ? desired[sub.VendorSubscriptionId] : random.Next(0, 60);
                realChanges += quantity != desired[sub.VendorSubscriptionId] ? 1 : 0;
                desired[sub.VendorSubscriptionId] = quantity;
                changes.Add(new SubscriptionQuantity(sub.VendorSubscriptionId, quantity, SyncHarness.Today));
            }

            updates += changes.Count;
            var report = await sync.Sync.SyncAsync(SyncHarness.Connection, changes, cancellationToken: Ct);
            Assert.Equal(changes.Count, report.Items.Count);
            Assert.Equal(changes.Count, report.Count(QuantitySyncStatus.Applied) + report.Count(QuantitySyncStatus.Unchanged) + report.Count(QuantitySyncStatus.Failed));

            // Level-triggered: whatever failed is simply synced again with the same desired state. These syncs run one
            // after another, so a write left pending by a failed item belongs to no sync in flight: no lease to wait for.
            var input = changes;
            for (var retry = 0; retry < 5 && report.Count(QuantitySyncStatus.Failed) > 0; retry++)
            {
                input = report.Items.Where(i => i.Status == QuantitySyncStatus.Failed).Select(i => input[i.Index]).ToList();
                report = await sync.Sync.SyncAsync(SyncHarness.Connection, input, new QuantitySyncOptions { PendingLease = TimeSpan.Zero }, Ct);
            }

            Assert.Equal(0, report.Count(QuantitySyncStatus.Failed));
        }

        faults.Clear();
        Assert.Equal(10_000, updates);
        Assert.All(subs, s => Assert.Equal(desired[s.VendorSubscriptionId], sync.UnitsOn(s, SyncHarness.TodayUtc)));
        Assert.Equal(realChanges, sync.Simulator.AppliedAdjustments.Count);
        Assert.Empty(await sync.Store.GetPendingAdjustmentsAsync(SyncHarness.Connection, cancellationToken: Ct));
        // The faults really happened, of every kind.
        var injected = faults.Injected.GroupBy(f => f.Fault).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(new[] { SimulatorFault.RateLimited, SimulatorFault.ServerError, SimulatorFault.DroppedConnection, SimulatorFault.AmbiguousWrite },
            kind => Assert.True(injected.GetValueOrDefault(kind) > 10, $"{kind}: {injected.GetValueOrDefault(kind)}"));
    }

    [Fact]
    public async Task A_batch_of_a_thousand_with_three_hundred_changes_sends_three_hundred_writes_and_few_reads()
    {
        await using var sync = SyncHarness.Create(Thousand, c => c.HourlyRequestBudget = 1_000_000);
        var subs = await sync.MapSubscriptionsAsync(1000);
        await sync.Client.GetZoneAsync(Ct);
        var before = sync.Simulator.Requests.Count;
        var changes = subs.Select((s, i) =>
        {
            var units = sync.UnitsOn(s, SyncHarness.TodayUtc);
            return new SubscriptionQuantity(s.VendorSubscriptionId, i % 10 < 3 ? units + 1 + i % 5 : units, SyncHarness.Today);
        }).ToList();

        var report = await sync.Sync.SyncAsync(SyncHarness.Connection, changes, cancellationToken: Ct);

        var requests = sync.Simulator.Requests.Skip(before).ToList();
        Assert.Equal(300, report.Count(QuantitySyncStatus.Applied));
        Assert.Equal(700, report.Count(QuantitySyncStatus.Unchanged));
        Assert.Equal(300, requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/ServiceAdjustments", StringComparison.Ordinal)));
        var reads = requests.Count(r => r.Path.Contains("/query", StringComparison.Ordinal) || r.Method == "GET");
        Assert.InRange(reads, 1, 10);
        Assert.Equal(300 + reads, requests.Count);
    }
}
