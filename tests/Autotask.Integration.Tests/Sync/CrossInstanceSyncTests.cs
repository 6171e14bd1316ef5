using Autotask.Integration.Auditing;
using Autotask.Integration.Entities;
using Autotask.Integration.Mapping;
using Autotask.Integration.Sync;
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
        await using var two = await TwoInstances.StartAsync(kind, server);
        var (syncA, syncB) = await two.BothAtTheirBeginAsync(two.Change(13), two.Change(13));

        two.A.Release.SetResult();
        var reportA = await syncA.WaitAsync(Wait, Ct);
        two.B.Release.SetResult();
        var reportB = await syncB.WaitAsync(Wait, Ct);

        Assert.Equal(QuantitySyncStatus.Applied, Assert.Single(reportA.Items).Status);
        Assert.Equal(QuantitySyncStatus.Unchanged, Assert.Single(reportB.Items).Status);
        Assert.Single(two.Simulator.AppliedAdjustments);
        Assert.Equal(two.Before + 13, two.Units);
        Assert.Equal([AdjustmentState.Applied], (await two.A.GetLedgerAsync(SyncHarness.Connection, "sub-1", Ct)).Select(e => e.State));
    }

    [Theory]
    [InlineData(StoreKind.InMemory)]
    [InlineData(StoreKind.Sqlite)]
    [InlineData(StoreKind.PostgreSql)]
    public async Task A_sync_that_read_before_another_wrote_a_different_quantity_writes_only_what_is_left(StoreKind kind)
    {
        // A wants +13, B (a later input) wants +20; B read before A's write landed. B must write +7, not +20.
        await using var two = await TwoInstances.StartAsync(kind, server);
        var (syncA, syncB) = await two.BothAtTheirBeginAsync(two.Change(13), two.Change(20));
        two.A.Release.SetResult();
        await syncA.WaitAsync(Wait, Ct);
        two.B.Release.SetResult();
        var reportB = await syncB.WaitAsync(Wait, Ct);

        var item = Assert.Single(reportB.Items);
        Assert.Equal(QuantitySyncStatus.Applied, item.Status);
        Assert.Equal(two.Before + 13, item.UnitsBefore);
        Assert.Equal(7, item.UnitChange);
        Assert.Equal([13, 7], two.Simulator.AppliedAdjustments.Select(x => x.UnitChange));
        Assert.Equal(two.Before + 20, two.Units);
    }

    [Theory]
    [InlineData(StoreKind.InMemory)]
    [InlineData(StoreKind.Sqlite)]
    [InlineData(StoreKind.PostgreSql)]
    public async Task A_sync_that_reaches_its_begin_while_another_write_is_in_flight_leaves_it_alone(StoreKind kind)
    {
        // A has written but not yet recorded the outcome; B read the old units before A began.
        await using var two = await TwoInstances.StartAsync(kind, server, holdSettleOfA: true);
        var (syncA, syncB) = await two.BothAtTheirBeginAsync(two.Change(4), two.Change(4));
        two.A.Release.SetResult();
        await two.A.AtSettle.Task.WaitAsync(Wait, Ct);
        two.B.Release.SetResult();
        var reportB = await syncB.WaitAsync(Wait, Ct);
        two.A.ReleaseSettle.SetResult();
        await syncA.WaitAsync(Wait, Ct);

        Assert.Equal(QuantitySyncStatus.Failed, Assert.Single(reportB.Items).Status);
        Assert.Single(two.Simulator.AppliedAdjustments);
        Assert.Equal(two.Before + 4, two.Units);
    }

    [Theory]
    [InlineData(StoreKind.InMemory)]
    [InlineData(StoreKind.Sqlite)]
    [InlineData(StoreKind.PostgreSql)]
    public async Task A_write_in_flight_on_a_server_whose_clock_is_behind_is_not_taken_for_an_orphan(StoreKind kind)
    {
        // A's clock is an hour behind. Its write is in flight (begun, not yet sent) when B syncs with the default
        // 10-minute lease: by A's timestamps the entry would look an hour old. The store's clock says it is young.
        await using var two = await TwoInstances.StartAsync(kind, server, holdAfterBeginOfA: true, clockOfA: TimeSpan.FromHours(-1));
        two.A.Release.SetResult();
        two.B.Release.SetResult();
        var syncA = two.First.Sync.SyncAsync(SyncHarness.Connection, [two.Change(5)], cancellationToken: Ct);
        await two.A.AtBegun.Task.WaitAsync(Wait, Ct);
        var reportB = await two.Second.Sync.SyncAsync(SyncHarness.Connection, [two.Change(5)], cancellationToken: Ct);
        two.A.ReleaseBegun.SetResult();
        var reportA = await syncA.WaitAsync(Wait, Ct);

        Assert.Equal(QuantitySyncStatus.Failed, Assert.Single(reportB.Items).Status);
        Assert.Contains("pending", reportB.Items[0].Reason, StringComparison.Ordinal);
        Assert.Equal(QuantitySyncStatus.Applied, Assert.Single(reportA.Items).Status);
        Assert.Single(two.Simulator.AppliedAdjustments);
        Assert.Equal(two.Before + 5, two.Units);
    }

    [Theory]
    [InlineData(StoreKind.InMemory)]
    [InlineData(StoreKind.Sqlite)]
    [InlineData(StoreKind.PostgreSql)]
    public async Task A_write_applied_after_another_sync_took_it_over_is_reported_and_audited_as_such(StoreKind kind)
    {
        // B treats every pending entry as abandoned (a lease of zero): A's begun write is settled and made again by B.
        // A cannot take its own write back, but it must say that the change may now be in Autotask twice.
        await using var two = await TwoInstances.StartAsync(kind, server, holdAfterBeginOfA: true);
        two.A.Release.SetResult();
        two.B.Release.SetResult();
        var syncA = two.First.Sync.SyncAsync(SyncHarness.Connection, [two.Change(6)], cancellationToken: Ct);
        await two.A.AtBegun.Task.WaitAsync(Wait, Ct);
        await two.Second.Sync.SyncAsync(SyncHarness.Connection, [two.Change(6)], new QuantitySyncOptions { PendingLease = TimeSpan.Zero }, Ct);
        two.A.ReleaseBegun.SetResult();
        var reportA = await syncA.WaitAsync(Wait, Ct);

        var item = Assert.Single(reportA.Items);
        Assert.Equal(QuantitySyncStatus.Applied, item.Status);
        Assert.Contains("second adjustment", item.Reason, StringComparison.Ordinal);
        var audit = two.First.Audit.Events.Single(e => e.Operation == AuditOperations.UpdateSubscriptionQuantity);
        Assert.Contains("second adjustment", audit.Details, StringComparison.Ordinal);
        Assert.Equal(2, two.Simulator.AppliedAdjustments.Count);
    }

    [Theory]
    [InlineData(StoreKind.InMemory)]
    [InlineData(StoreKind.Sqlite)]
    [InlineData(StoreKind.PostgreSql)]
    public async Task A_write_another_sync_saw_in_the_units_and_settled_first_is_audited_once_and_not_reported_as_a_double(StoreKind kind)
    {
        // A's write has landed, but A has not recorded it yet when B syncs (within the lease): B sees it in the units.
        await using var two = await TwoInstances.StartAsync(kind, server, holdSettleOfA: true);
        two.A.Release.SetResult();
        two.B.Release.SetResult();
        var syncA = two.First.Sync.SyncAsync(SyncHarness.Connection, [two.Change(4)], cancellationToken: Ct);
        await two.A.AtSettle.Task.WaitAsync(Wait, Ct);
        var reportB = await two.Second.Sync.SyncAsync(SyncHarness.Connection, [two.Change(4)], cancellationToken: Ct);
        two.A.ReleaseSettle.SetResult();
        var reportA = await syncA.WaitAsync(Wait, Ct);

        Assert.Equal(QuantitySyncStatus.Unchanged, Assert.Single(reportB.Items).Status);
        var itemA = Assert.Single(reportA.Items);
        Assert.Equal(QuantitySyncStatus.Applied, itemA.Status);
        Assert.DoesNotContain("second adjustment", itemA.Reason ?? "", StringComparison.Ordinal);
        Assert.Single(two.Simulator.AppliedAdjustments);
        var entry = Assert.Single(await two.A.GetLedgerAsync(SyncHarness.Connection, "sub-1", Ct));
        Assert.Equal(AdjustmentState.Applied, entry.State);

        // One adjustment, one applied event: B's, which settled it.
        Assert.Empty(Applied(two.First));
        Assert.Equal(entry.OperationId, Assert.Single(Applied(two.Second)).EventId);
    }

    [Theory]
    [InlineData(StoreKind.InMemory)]
    [InlineData(StoreKind.Sqlite)]
    [InlineData(StoreKind.PostgreSql)]
    public async Task Two_syncs_settling_the_same_lost_write_at_once_audit_it_once(StoreKind kind)
    {
        // A write of a process that died has landed; two instances find it past its lease together and both try to
        // settle it (neither may go on until the other has come to its settle). The store accepts one settle, and only
        // that sync records the adjustment in the audit.
        await using var shared = new SharedStore(kind, server);
        var simulator = AutotaskSimulator.Create();
        var barrier = new SettleBarrier(2);
        var stores = new[] { new BarrierStore(shared.Open(), barrier), new BarrierStore(shared.Open(), barrier) };
        var durable = kind != StoreKind.InMemory;
        await using var first = SyncHarness.For(simulator, configure: x => Audited(x.UseMappingStore(stores[0]), stores[0], durable));
        await using var second = SyncHarness.For(simulator, configure: x => Audited(x.UseMappingStore(stores[1]), stores[1], durable));
        var line = (await first.MapSubscriptionsAsync(1))[0];
        var before = first.UnitsOn(line, SyncHarness.TodayUtc);
        var entry = new AdjustmentLedgerEntry
        {
            OperationId = "died-with-its-write", Connection = SyncHarness.Connection, VendorSubscriptionId = "sub-1", ContractId = line.ContractId,
            ContractServiceId = line.ContractServiceId, EffectiveDate = SyncHarness.TodayUtc, UnitsBefore = before, UnitsAfter = before + 3,
        };
        Assert.Equal(AdjustmentBeginOutcome.Begun, await stores[0].BeginAsync(entry, Ct));
        await first.Client.CreateAsync(new ContractServiceAdjustment { ContractId = line.ContractId, ContractServiceId = line.ContractServiceId, EffectiveDate = SyncHarness.TodayUtc, UnitChange = 3 }, Ct);

        var afterLease = new QuantitySyncOptions { PendingLease = TimeSpan.Zero };
        var change = new SubscriptionQuantity("sub-1", before + 3, SyncHarness.Today);
        var reports = await Task.WhenAll(first.Sync.SyncAsync(SyncHarness.Connection, [change], afterLease, Ct), second.Sync.SyncAsync(SyncHarness.Connection, [change], afterLease, Ct)).WaitAsync(Wait, Ct);

        Assert.Equal(2, barrier.Arrived);
        Assert.All(reports, r => Assert.Equal(QuantitySyncStatus.Unchanged, Assert.Single(r.Items).Status));
        Assert.Single(simulator.AppliedAdjustments);
        Assert.Equal("died-with-its-write", Assert.Single(Applied(first).Concat(Applied(second))).EventId);
        if (durable)
        {
            Assert.Equal("died-with-its-write", Assert.Single(await ((IAuditReader)shared.Open()).AppliedAsync(SyncHarness.Connection, Ct)).EventId);
        }
    }

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [InlineData(StoreKind.PostgreSql)]
    public async Task An_applied_write_is_audited_with_its_settle_so_a_process_dying_between_the_two_loses_nothing(StoreKind kind)
    {
        // The store is the audit sink, and nothing reaches it after the settle (as if the process died right then): the
        // applied event must have been recorded by the settle itself.
        await using var shared = new SharedStore(kind, server);
        var simulator = AutotaskSimulator.Create();
        var store = new DyingAfterSettleStore(shared.Open());
        await using var sync = SyncHarness.For(simulator, configure: x => x.UseMappingStore(store).AddAuditSink(store));
        var line = (await sync.MapSubscriptionsAsync(1))[0];
        var before = sync.UnitsOn(line, SyncHarness.TodayUtc);

        var report = await sync.Sync.SyncAsync(SyncHarness.Connection, [new SubscriptionQuantity("sub-1", before + 2, SyncHarness.Today)], cancellationToken: Ct);

        Assert.Equal(QuantitySyncStatus.Applied, Assert.Single(report.Items).Status);
        var entry = Assert.Single(await store.GetLedgerAsync(SyncHarness.Connection, "sub-1", Ct));
        var recorded = Assert.Single(await ((IAuditReader)shared.Open()).AppliedAsync(SyncHarness.Connection, Ct));
        Assert.Equal((entry.OperationId, line.ContractServiceId), (recorded.EventId, recorded.AutotaskIds["contractService"]));
    }

    private static List<AuditEvent> Applied(SyncHarness harness) =>
        harness.Audit.Events.Where(e => e.Operation == AuditOperations.UpdateSubscriptionQuantity && e.Status == AuditStatus.Succeeded).ToList();

    private static AutotaskIntegrationBuilder Audited(AutotaskIntegrationBuilder builder, IAuditSink store, bool durable) => durable ? builder.AddAuditSink(store) : builder;

    /// <summary>Holds the first settle of each of <c>parties</c> store instances until all of them have come to it.</summary>
    private sealed class SettleBarrier(int parties)
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _arrived;

        public int Arrived => Volatile.Read(ref _arrived);

        public Task ArriveAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _arrived) == parties)
            {
                _all.SetResult();
            }

            return _all.Task.WaitAsync(Wait, cancellationToken);
        }
    }

    /// <summary>A store instance that waits at a barrier before each settle; the store and audit sink of the durable kinds.</summary>
    private sealed class BarrierStore(IMappingStore inner, SettleBarrier barrier) : DelegatingMappingStore(inner), IAuditedLedgerStore
    {
        private int _settles;

        public override async Task<long> SettleAdjustmentAsync(string connection, string operationId, AdjustmentState state, long? adjustmentId, CancellationToken cancellationToken = default)
        {
            await ArriveAsync(cancellationToken);
            return await Inner.SettleAdjustmentAsync(connection, operationId, state, adjustmentId, cancellationToken);
        }

        public async Task<long> SettleAdjustmentAndAuditAsync(string connection, string operationId, AdjustmentState state, long? adjustmentId, AuditEvent auditEvent, CancellationToken cancellationToken = default)
        {
            await ArriveAsync(cancellationToken);
            return await ((IAuditedLedgerStore)Inner).SettleAdjustmentAndAuditAsync(connection, operationId, state, adjustmentId, auditEvent, cancellationToken);
        }

        public Task WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default) => ((IAuditSink)Inner).WriteAsync(auditEvent, cancellationToken);

        private Task ArriveAsync(CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _settles) == 1 ? barrier.ArriveAsync(cancellationToken) : Task.CompletedTask;
    }

    /// <summary>A durable store whose audit writes never arrive, as from a process that dies the moment it has settled.</summary>
    private sealed class DyingAfterSettleStore(IMappingStore inner) : DelegatingMappingStore(inner), IAuditedLedgerStore
    {
        public Task<long> SettleAdjustmentAndAuditAsync(string connection, string operationId, AdjustmentState state, long? adjustmentId, AuditEvent auditEvent, CancellationToken cancellationToken = default) =>
            ((IAuditedLedgerStore)Inner).SettleAdjustmentAndAuditAsync(connection, operationId, state, adjustmentId, auditEvent, cancellationToken);

        public Task WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("The process died before this audit event was written.");
    }

    /// <summary>Two instances (engine and store instance each) on one shared store and one simulator, with one subscription mapped.</summary>
    private sealed class TwoInstances : IAsyncDisposable
    {
        private SharedStore _shared = null!;
        private SubscriptionMapping _line = null!;

        public AutotaskSimulator Simulator { get; private init; } = null!;

        public GatedStore A { get; private init; } = null!;

        public GatedStore B { get; private init; } = null!;

        public SyncHarness First { get; private init; } = null!;

        public SyncHarness Second { get; private init; } = null!;

        public int Before { get; private set; }

        public int Units => First.UnitsOn(_line, SyncHarness.TodayUtc);

        public static async Task<TwoInstances> StartAsync(StoreKind kind, PostgreSqlServer server, bool holdSettleOfA = false, bool holdAfterBeginOfA = false, TimeSpan clockOfA = default)
        {
            var shared = new SharedStore(kind, server);
            var simulator = AutotaskSimulator.Create();
            var a = new GatedStore(shared.Open()) { HoldSettle = holdSettleOfA, HoldAfterBegin = holdAfterBeginOfA };
            var b = new GatedStore(shared.Open());
            var two = new TwoInstances
            {
                _shared = shared,
                Simulator = simulator,
                A = a,
                B = b,
                First = SyncHarness.For(simulator, configure: x => x.UseMappingStore(a).Services.AddSingleton<TimeProvider>(new ShiftedTimeProvider(clockOfA))),
                Second = SyncHarness.For(simulator, configure: x => x.UseMappingStore(b)),
            };
            two._line = (await two.First.MapSubscriptionsAsync(1))[0];
            two.Before = two.Units;
            return two;
        }

        public SubscriptionQuantity Change(int delta) => new("sub-1", Before + delta, SyncHarness.Today);

        /// <summary>Starts A, holds it at its begin, then starts B and holds it at its begin too: both have read the units.</summary>
        public async Task<(Task<QuantitySyncReport> A, Task<QuantitySyncReport> B)> BothAtTheirBeginAsync(SubscriptionQuantity forA, SubscriptionQuantity forB)
        {
            var syncA = First.Sync.SyncAsync(SyncHarness.Connection, [forA], cancellationToken: Ct);
            await A.AtBegin.Task.WaitAsync(Wait, Ct);
            var syncB = Second.Sync.SyncAsync(SyncHarness.Connection, [forB], cancellationToken: Ct);
            await B.AtBegin.Task.WaitAsync(Wait, Ct);
            return (syncA, syncB);
        }

        public async ValueTask DisposeAsync()
        {
            await First.DisposeAsync();
            await Second.DisposeAsync();
            await _shared.DisposeAsync();
        }
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
