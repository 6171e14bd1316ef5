using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace Autotask.Integration.Tests.Sync;

/// <summary>
/// Two instances of a vendor's service (each with its own engine and store instance) sync the same subscription
/// through one shared store, with the order of their steps forced by gates rather than by timing.
/// </summary>
public sealed class CrossInstanceSyncTests(PostgreSqlServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(StoreKind.InMemory)]
    [InlineData(StoreKind.Sqlite)]
    [InlineData(StoreKind.PostgreSql)]
    public async Task A_sync_whose_begin_is_delayed_past_another_syncs_read_adjusts_once(StoreKind kind)
    {
        // The reproduction: A takes its ledger slot late (a lock wait, a pool open); B starts after A but reads
        // the units before A's write lands; A writes and settles; then B's slot is granted. B must read again.
        await using var shared = new SharedStore(kind, server);
        await using var simulator = AutotaskSimulator.Create();
        var a = new GatedStore(shared.Open());
        var b = new GatedStore(shared.Open());
        await using var first = SyncHarness.For(simulator, configure: x => x.UseMappingStore(a));
        await using var second = SyncHarness.For(simulator, configure: x => x.UseMappingStore(b));
        var subs = await first.MapSubscriptionsAsync(1);
        var before = first.UnitsOn(subs[0], SyncHarness.TodayUtc);
        var change = new QuantityChange("sub-1", before + 13, SyncHarness.Today);

        var syncA = first.Sync.SyncAsync(SyncHarness.Connection, [change], cancellationToken: Ct);
        await a.AtBegin.Task.WaitAsync(Wait, Ct);
        var syncB = second.Sync.SyncAsync(SyncHarness.Connection, [change], cancellationToken: Ct);
        await b.AtBegin.Task.WaitAsync(Wait, Ct);

        a.Release.SetResult();
        var reportA = await syncA.WaitAsync(Wait, Ct);
        b.Release.SetResult();
        var reportB = await syncB.WaitAsync(Wait, Ct);

        Assert.Equal(QuantitySyncStatus.Applied, Assert.Single(reportA.Items).Status);
        Assert.Equal(QuantitySyncStatus.Unchanged, Assert.Single(reportB.Items).Status);
        Assert.Single(simulator.AppliedAdjustments);
        Assert.Equal(before + 13, first.UnitsOn(subs[0], SyncHarness.TodayUtc));
        Assert.Equal([AdjustmentState.Applied], (await a.GetLedgerAsync(SyncHarness.Connection, "sub-1", Ct)).Select(e => e.State));
    }

    [Theory]
    [InlineData(StoreKind.InMemory)]
    [InlineData(StoreKind.Sqlite)]
    [InlineData(StoreKind.PostgreSql)]
    public async Task A_sync_that_read_before_another_wrote_a_different_quantity_writes_only_what_is_left(StoreKind kind)
    {
        // A wants +13, B (a later input) wants +20; B read before A's write landed. B must write +7, not +20.
        await using var shared = new SharedStore(kind, server);
        await using var simulator = AutotaskSimulator.Create();
        var a = new GatedStore(shared.Open());
        var b = new GatedStore(shared.Open());
        await using var first = SyncHarness.For(simulator, configure: x => x.UseMappingStore(a));
        await using var second = SyncHarness.For(simulator, configure: x => x.UseMappingStore(b));
        var subs = await first.MapSubscriptionsAsync(1);
        var before = first.UnitsOn(subs[0], SyncHarness.TodayUtc);

        var syncA = first.Sync.SyncAsync(SyncHarness.Connection, [new QuantityChange("sub-1", before + 13, SyncHarness.Today)], cancellationToken: Ct);
        await a.AtBegin.Task.WaitAsync(Wait, Ct);
        var syncB = second.Sync.SyncAsync(SyncHarness.Connection, [new QuantityChange("sub-1", before + 20, SyncHarness.Today)], cancellationToken: Ct);
        await b.AtBegin.Task.WaitAsync(Wait, Ct);
        a.Release.SetResult();
        await syncA.WaitAsync(Wait, Ct);
        b.Release.SetResult();
        var reportB = await syncB.WaitAsync(Wait, Ct);

        var item = Assert.Single(reportB.Items);
        Assert.Equal(QuantitySyncStatus.Applied, item.Status);
        Assert.Equal(before + 13, item.UnitsBefore);
        Assert.Equal(7, item.UnitChange);
        Assert.Equal([13, 7], simulator.AppliedAdjustments.Select(x => x.UnitChange));
        Assert.Equal(before + 20, first.UnitsOn(subs[0], SyncHarness.TodayUtc));
    }

    [Theory]
    [InlineData(StoreKind.InMemory)]
    [InlineData(StoreKind.Sqlite)]
    [InlineData(StoreKind.PostgreSql)]
    public async Task A_sync_that_reaches_its_begin_while_another_write_is_in_flight_leaves_it_alone(StoreKind kind)
    {
        await using var shared = new SharedStore(kind, server);
        await using var simulator = AutotaskSimulator.Create();
        var a = new GatedStore(shared.Open()) { HoldSettle = true };
        var b = new GatedStore(shared.Open());
        await using var first = SyncHarness.For(simulator, configure: x => x.UseMappingStore(a));
        await using var second = SyncHarness.For(simulator, configure: x => x.UseMappingStore(b));
        var subs = await first.MapSubscriptionsAsync(1);
        var before = first.UnitsOn(subs[0], SyncHarness.TodayUtc);
        var change = new QuantityChange("sub-1", before + 4, SyncHarness.Today);

        // A has written but not yet recorded the outcome; B read the old units before A began.
        var syncA = first.Sync.SyncAsync(SyncHarness.Connection, [change], cancellationToken: Ct);
        await a.AtBegin.Task.WaitAsync(Wait, Ct);
        var syncB = second.Sync.SyncAsync(SyncHarness.Connection, [change], cancellationToken: Ct);
        await b.AtBegin.Task.WaitAsync(Wait, Ct);
        a.Release.SetResult();
        await a.AtSettle.Task.WaitAsync(Wait, Ct);
        b.Release.SetResult();
        var reportB = await syncB.WaitAsync(Wait, Ct);
        a.ReleaseSettle.SetResult();
        await syncA.WaitAsync(Wait, Ct);

        Assert.Equal(QuantitySyncStatus.Failed, Assert.Single(reportB.Items).Status);
        Assert.Single(simulator.AppliedAdjustments);
        Assert.Equal(before + 4, first.UnitsOn(subs[0], SyncHarness.TodayUtc));
    }

    [Theory]
    [InlineData(StoreKind.InMemory)]
    [InlineData(StoreKind.Sqlite)]
    [InlineData(StoreKind.PostgreSql)]
    public async Task A_write_in_flight_on_a_server_whose_clock_is_behind_is_not_taken_for_an_orphan(StoreKind kind)
    {
        // A's clock is an hour behind. Its write is in flight (begun, not yet sent) when B syncs with the default
        // 10-minute lease: by A's timestamps the entry would look an hour old. The store's clock says it is young.
        await using var shared = new SharedStore(kind, server);
        await using var simulator = AutotaskSimulator.Create();
        var a = new GatedStore(shared.Open()) { HoldAfterBegin = true };
        var b = new GatedStore(shared.Open());
        b.Release.SetResult();
        await using var first = SyncHarness.For(simulator, configure: x => x.UseMappingStore(a).Services.AddSingleton<TimeProvider>(new ShiftedTimeProvider(TimeSpan.FromHours(-1))));
        await using var second = SyncHarness.For(simulator, configure: x => x.UseMappingStore(b));
        var subs = await first.MapSubscriptionsAsync(1);
        var before = first.UnitsOn(subs[0], SyncHarness.TodayUtc);
        var change = new QuantityChange("sub-1", before + 5, SyncHarness.Today);

        a.Release.SetResult();
        var syncA = first.Sync.SyncAsync(SyncHarness.Connection, [change], cancellationToken: Ct);
        await a.AtBegun.Task.WaitAsync(Wait, Ct);
        var reportB = await second.Sync.SyncAsync(SyncHarness.Connection, [change], cancellationToken: Ct);
        a.ReleaseBegun.SetResult();
        var reportA = await syncA.WaitAsync(Wait, Ct);

        Assert.Equal(QuantitySyncStatus.Failed, Assert.Single(reportB.Items).Status);
        Assert.Contains("pending", reportB.Items[0].Reason, StringComparison.Ordinal);
        Assert.Equal(QuantitySyncStatus.Applied, Assert.Single(reportA.Items).Status);
        Assert.Single(simulator.AppliedAdjustments);
        Assert.Equal(before + 5, first.UnitsOn(subs[0], SyncHarness.TodayUtc));
    }

    /// <summary>Holds the first ledger begin (and optionally the first settle) of its instance until the test releases it.</summary>
    private sealed class GatedStore(IMappingStore inner) : DelegatingMappingStore(inner)
    {
        private int _begins;
        private int _settles;

        public TaskCompletionSource AtBegin { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool HoldSettle { get; init; }

        public bool HoldAfterBegin { get; init; }

        public TaskCompletionSource AtBegun { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource ReleaseBegun { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource AtSettle { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource ReleaseSettle { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task<AdjustmentBeginOutcome> TryBeginAdjustmentAsync(AdjustmentLedgerEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
        {
            var first = Interlocked.Increment(ref _begins) == 1;
            if (first)
            {
                AtBegin.SetResult();
                await Release.Task.WaitAsync(cancellationToken);
            }

            var outcome = await Inner.TryBeginAdjustmentAsync(entry, expectedVersion, cancellationToken);
            if (first && HoldAfterBegin)
            {
                AtBegun.SetResult();
                await ReleaseBegun.Task.WaitAsync(cancellationToken);
            }

            return outcome;
        }

        public override async Task<long> SettleAdjustmentAsync(string connection, string operationId, AdjustmentState state, long? adjustmentId, CancellationToken cancellationToken = default)
        {
            if (HoldSettle && Interlocked.Increment(ref _settles) == 1)
            {
                AtSettle.SetResult();
                await ReleaseSettle.Task.WaitAsync(cancellationToken);
            }

            return await Inner.SettleAdjustmentAsync(connection, operationId, state, adjustmentId, cancellationToken);
        }
    }
}
