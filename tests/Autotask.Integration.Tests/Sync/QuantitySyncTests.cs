using Autotask.Integration.Auditing;
using Autotask.Integration.Entities;
using Autotask.Integration.Mapping;
using Autotask.Integration.Sync;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using NodaTime;

namespace Autotask.Integration.Tests.Sync;

public sealed class QuantitySyncTests : IAsyncLifetime
{
    private SyncHarness _sync = null!;
    private List<SubscriptionMapping> _subs = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Instant Now => SyncHarness.Today;

    private static LocalDate Today => SyncHarness.TodayUtc;

    public async ValueTask InitializeAsync()
    {
        _sync = SyncHarness.Create();
        _subs = await _sync.MapSubscriptionsAsync(6);
    }

    public async ValueTask DisposeAsync() => await _sync.DisposeAsync();

    private Task<QuantitySyncReport> Sync(params SubscriptionQuantity[] changes) => _sync.Sync.SyncAsync(SyncHarness.Connection, changes, cancellationToken: Ct);

    private Task<QuantitySyncReport> SyncAfterLease(params SubscriptionQuantity[] changes) =>
        _sync.Sync.SyncAsync(SyncHarness.Connection, changes, new QuantitySyncOptions { PendingLease = TimeSpan.Zero }, Ct);

    private int Units(int sub) => _sync.UnitsOn(_subs[sub], Today);

    [Fact]
    public async Task A_new_quantity_is_written_as_the_difference_and_recorded()
    {
        var before = Units(0);

        var report = await Sync(new SubscriptionQuantity("sub-1", before + 5, Now));

        var item = Assert.Single(report.Items);
        Assert.Equal(QuantitySyncStatus.Applied, item.Status);
        Assert.Equal(before, item.UnitsBefore);
        Assert.Equal(5, item.UnitChange);
        Assert.Equal(Today, item.EffectiveDate);
        Assert.Equal(before + 5, Units(0));
        var adjustment = Assert.Single(_sync.Simulator.AppliedAdjustments);
        Assert.Equal(item.AdjustmentId, adjustment.Id);
        var ledger = Assert.Single(await _sync.Store.GetLedgerAsync(SyncHarness.Connection, "sub-1", Ct));
        Assert.Equal(AdjustmentState.Applied, ledger.State);
        Assert.Equal(before + 5, ledger.UnitsAfter);
        var audit = Assert.Single(_sync.Audit.Events);
        Assert.Equal(AuditOperations.UpdateSubscriptionQuantity, audit.Operation);
        Assert.Equal(AuditStatus.Succeeded, audit.Status);
    }

    [Fact]
    public async Task Running_the_same_input_twice_writes_nothing_the_second_time()
    {
        var changes = _subs.Select((s, i) => new SubscriptionQuantity(s.VendorSubscriptionId, 10 + i, Now)).ToArray();

        var first = await Sync(changes);
        var writes = _sync.Simulator.AppliedAdjustments.Count;
        var second = await Sync(changes);

        Assert.All(second.Items, i => Assert.Equal(QuantitySyncStatus.Unchanged, i.Status));
        Assert.Equal(writes, _sync.Simulator.AppliedAdjustments.Count);
        Assert.Equal(first.Count(QuantitySyncStatus.Applied), writes);
        Assert.All(second.Items, i => Assert.Equal(AuditStatus.Skipped, _sync.Audit.Events.Last(e => e.VendorIds["subscription"] == i.VendorSubscriptionId).Status));
    }

    [Fact]
    public async Task A_dry_run_reports_the_plan_and_writes_nothing()
    {
        var before = Units(0);

        var report = await _sync.Sync.SyncAsync(SyncHarness.Connection,
            [new SubscriptionQuantity("sub-1", before + 3, Now), new SubscriptionQuantity("sub-2", Units(1), Now)], new QuantitySyncOptions { DryRun = true }, Ct);

        Assert.True(report.DryRun);
        Assert.Equal([QuantitySyncStatus.Planned, QuantitySyncStatus.Unchanged], report.Items.Select(i => i.Status));
        Assert.Equal(3, report.Items[0].UnitChange);
        Assert.Empty(_sync.Simulator.AppliedAdjustments);
        Assert.Empty(await _sync.Store.GetLedgerAsync(SyncHarness.Connection, "sub-1", Ct));
        Assert.Empty(_sync.Audit.Events);
        Assert.DoesNotContain(_sync.Simulator.Requests, r => r.Method == "POST" && r.Entity == "Contracts");
    }

    [Fact]
    public async Task Several_changes_of_one_subscription_collapse_to_the_latest()
    {
        var report = await Sync(
            new SubscriptionQuantity("sub-1", 30, Now.Plus(Duration.FromMinutes(2))),
            new SubscriptionQuantity("sub-1", 20, Now),
            new SubscriptionQuantity("sub-1", 40, Now.Plus(Duration.FromMinutes(5))),
            new SubscriptionQuantity("sub-1", 50, Now.Plus(Duration.FromMinutes(1))));

        Assert.Equal([QuantitySyncStatus.Superseded, QuantitySyncStatus.Superseded, QuantitySyncStatus.Applied, QuantitySyncStatus.Superseded], report.Items.Select(i => i.Status));
        Assert.Equal(40, Units(0));
        Assert.Single(_sync.Simulator.AppliedAdjustments);
    }

    [Fact]
    public async Task Cancelling_is_zero_units()
    {
        await Sync(new SubscriptionQuantity("sub-1", 0, Now));

        Assert.Equal(0, Units(0));
    }

    [Fact]
    public async Task Bad_items_are_reported_one_by_one_and_never_stop_the_batch()
    {
        await using var sync = SyncHarness.Create(connection: c => c.Currency = "EUR");
        await sync.MapSubscriptionsAsync(2);

        var report = await sync.Sync.SyncAsync(SyncHarness.Connection,
        [
            new SubscriptionQuantity("sub-1", -4, Now),
            new SubscriptionQuantity("", 4, Now),
            new SubscriptionQuantity("sub-unknown", 4, Now),
            new SubscriptionQuantity("sub-1", 4, Now) { Currency = "USD" },
            new SubscriptionQuantity("sub-2", 77, Now),
            null!,
        ], cancellationToken: Ct);

        Assert.Equal(
            [QuantitySyncStatus.Invalid, QuantitySyncStatus.Invalid, QuantitySyncStatus.Unmapped, QuantitySyncStatus.Invalid, QuantitySyncStatus.Applied, QuantitySyncStatus.Invalid],
            report.Items.Select(i => i.Status));
        Assert.Contains("negative", report.Items[0].Reason, StringComparison.Ordinal);
        Assert.Contains("USD", report.Items[3].Reason, StringComparison.Ordinal);
        Assert.Equal(77, sync.Simulator.Data.UnitsOn(sync.Simulator.Data.All<ContractService>()[1].Id, Today));
        Assert.Equal(6, sync.Audit.Events.Count);
        Assert.Equal(5, sync.Audit.Events.Count(e => e.Status == AuditStatus.Failed));
    }

    [Fact]
    public async Task An_effective_date_outside_the_contract_is_invalid()
    {
        var report = await Sync(new SubscriptionQuantity("sub-1", 99, Instant.FromUtc(2031, 1, 1, 0, 0)));

        Assert.Equal(QuantitySyncStatus.Invalid, Assert.Single(report.Items).Status);
        Assert.Empty(_sync.Simulator.AppliedAdjustments);
    }

    [Fact]
    public async Task Effective_dates_are_computed_in_the_instance_time_zone_by_the_policy()
    {
        await using var berlin = SyncHarness.Create(connection: c => c.TimeZone = "Europe/Berlin");
        await berlin.MapSubscriptionsAsync(1);
        var lateEvening = Instant.FromUtc(2026, 11, 30, 23, 30);

        var dayOfChange = await berlin.Sync.SyncAsync(SyncHarness.Connection, [new SubscriptionQuantity("sub-1", 101, lateEvening)], cancellationToken: Ct);
        var nextMonth = await berlin.Sync.SyncAsync(SyncHarness.Connection, [new SubscriptionQuantity("sub-1", 102, lateEvening)],
            new QuantitySyncOptions { EffectiveDate = EffectiveDatePolicy.FirstOfNextMonth }, Ct);

        Assert.Equal(new LocalDate(2026, 12, 1), dayOfChange.Items[0].EffectiveDate);
        Assert.Equal(new LocalDate(2027, 1, 1), nextMonth.Items[0].EffectiveDate);
        Assert.Equal(new LocalDate(2026, 12, 1), berlin.Simulator.AppliedAdjustments[0].EffectiveDate);
    }

    [Theory]
    [InlineData(SimulatorFault.AmbiguousWrite)]
    [InlineData(SimulatorFault.DroppedConnection)]
    public async Task A_write_whose_answer_is_lost_is_read_back_and_never_applied_twice(SimulatorFault fault)
    {
        var before = Units(0);
        _sync.Simulator.Faults.Next(fault, when: r => r.IsWrite && r.Path.EndsWith("/ServiceAdjustments", StringComparison.Ordinal));

        var report = await Sync(new SubscriptionQuantity("sub-1", before + 4, Now));

        Assert.Equal(QuantitySyncStatus.Applied, Assert.Single(report.Items).Status);
        Assert.Single(_sync.Simulator.AppliedAdjustments);
        Assert.Equal(before + 4, Units(0));
        Assert.Equal(AdjustmentState.Applied, Assert.Single(await _sync.Store.GetLedgerAsync(SyncHarness.Connection, "sub-1", Ct)).State);
    }

    [Theory]
    [InlineData(SimulatorFault.ServerError)]
    [InlineData(SimulatorFault.ServiceUnavailable)]
    public async Task A_write_that_failed_on_the_server_is_read_back_then_written_again(SimulatorFault fault)
    {
        var before = Units(0);
        _sync.Simulator.Faults.Next(fault, when: r => r.IsWrite && r.Path.EndsWith("/ServiceAdjustments", StringComparison.Ordinal));

        var report = await Sync(new SubscriptionQuantity("sub-1", before + 4, Now));

        Assert.Equal(QuantitySyncStatus.Applied, Assert.Single(report.Items).Status);
        Assert.Single(_sync.Simulator.AppliedAdjustments);
        var ledger = await _sync.Store.GetLedgerAsync(SyncHarness.Connection, "sub-1", Ct);
        Assert.Equal([AdjustmentState.NotApplied, AdjustmentState.Applied], ledger.Select(e => e.State));
    }

    [Fact]
    public async Task After_a_crash_the_next_sync_settles_the_pending_write_instead_of_repeating_it()
    {
        // A process wrote the adjustment, then died before recording the outcome.
        var before = Units(0);
        var entry = PendingEntry("crashed-op", before, before + 6);
        Assert.Equal(AdjustmentBeginOutcome.Begun, await _sync.Store.BeginAsync(entry, Ct));
        await _sync.Client.CreateAsync(new ContractServiceAdjustment { ContractId = entry.ContractId, ContractServiceId = entry.ContractServiceId, EffectiveDate = Today, UnitChange = 6 }, Ct);

        var report = await SyncAfterLease(new SubscriptionQuantity("sub-1", before + 6, Now));

        Assert.Equal(QuantitySyncStatus.Unchanged, Assert.Single(report.Items).Status);
        Assert.Single(_sync.Simulator.AppliedAdjustments);
        Assert.Equal(AdjustmentState.Applied, (await _sync.Store.GetLedgerAsync(SyncHarness.Connection, "sub-1", Ct))[0].State);
        Assert.Empty(await _sync.Store.GetPendingAdjustmentsAsync(SyncHarness.Connection, cancellationToken: Ct));

        // The adjustment is in Autotask, so it is in the audit as applied, once, named by its ledger entry, by the sync that settled it.
        var applied = Assert.Single(AppliedEvents(_sync));
        Assert.Equal("crashed-op", applied.EventId);
        Assert.Contains("settled by this sync", applied.Details, StringComparison.Ordinal);
        Assert.Equal(_subs[0].ContractServiceId, applied.AutotaskIds["contractService"]);
    }

    private static List<AuditEvent> AppliedEvents(SyncHarness sync) =>
        sync.Audit.Events.Where(e => e.Operation == AuditOperations.UpdateSubscriptionQuantity && e.Status == AuditStatus.Succeeded).ToList();

    [Fact]
    public async Task After_a_crash_before_the_write_landed_the_next_sync_writes_it()
    {
        var before = Units(0);
        await _sync.Store.BeginAsync(PendingEntry("never-sent", before, before + 6), Ct);

        var report = await SyncAfterLease(new SubscriptionQuantity("sub-1", before + 6, Now));

        Assert.Equal(QuantitySyncStatus.Applied, Assert.Single(report.Items).Status);
        Assert.Equal(before + 6, Units(0));
        Assert.Equal([AdjustmentState.NotApplied, AdjustmentState.Applied], (await _sync.Store.GetLedgerAsync(SyncHarness.Connection, "sub-1", Ct)).Select(e => e.State));
    }

    [Fact]
    public async Task An_orphan_whose_units_match_neither_its_start_nor_its_target_is_recorded_as_indeterminate()
    {
        // A process began 'before -> before + 6' and died; meanwhile someone else (a person in Autotask) added 2 units.
        var before = Units(0);
        await _sync.Store.BeginAsync(PendingEntry("orphan", before, before + 6), Ct);
        await _sync.Client.CreateAsync(new ContractServiceAdjustment { ContractId = _subs[0].ContractId, ContractServiceId = _subs[0].ContractServiceId, EffectiveDate = Today, UnitChange = 2 }, Ct);

        var report = await SyncAfterLease(new SubscriptionQuantity("sub-1", before + 6, Now));

        var item = Assert.Single(report.Items);
        Assert.Equal((QuantitySyncStatus.Applied, 4), (item.Status, item.UnitChange));
        Assert.Equal(before + 6, Units(0));
        Assert.Equal([AdjustmentState.Indeterminate, AdjustmentState.Applied], (await _sync.Store.GetLedgerAsync(SyncHarness.Connection, "sub-1", Ct)).Select(e => e.State));
    }

    [Fact]
    public async Task A_cancelled_batch_keeps_the_audit_event_of_every_write_it_applied()
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var store = new CancelOnSettle(new InMemoryMappingStore(), settles: 5, cancel);
        await using var sync = SyncHarness.Create(configure: b => b.UseMappingStore(store));
        var subs = await sync.MapSubscriptionsAsync(30);
        var changes = subs.Select(s => new SubscriptionQuantity(s.VendorSubscriptionId, sync.UnitsOn(s, Today) + 1, Now)).ToList();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            sync.Sync.SyncAsync(SyncHarness.Connection, changes, new QuantitySyncOptions { MaxConcurrentWrites = 1 }, cancel.Token));

        var applied = new List<AdjustmentLedgerEntry>();
        foreach (var sub in subs)
        {
            applied.AddRange((await sync.Store.GetLedgerAsync(SyncHarness.Connection, sub.VendorSubscriptionId, Ct)).Where(e => e.State == AdjustmentState.Applied));
        }

        var audited = sync.Audit.Events.Where(e => e.Operation == AuditOperations.UpdateSubscriptionQuantity && e.Status == AuditStatus.Succeeded).ToList();
        Assert.Equal(5, applied.Count);
        Assert.Equal(applied.Select(e => e.ContractServiceId).Order(), audited.Select(e => e.AutotaskIds["contractService"]).Order());
    }

    /// <summary>Cancels a batch the moment its n-th write is settled, as a process stopped mid-batch.</summary>
    private sealed class CancelOnSettle(IMappingStore inner, int settles, CancellationTokenSource cancel) : DelegatingMappingStore(inner)
    {
        private int _settled;

        public override async Task<long> SettleAdjustmentAsync(string connection, string operationId, AdjustmentState state, long? adjustmentId, CancellationToken cancellationToken = default)
        {
            var version = await Inner.SettleAdjustmentAsync(connection, operationId, state, adjustmentId, cancellationToken);
            if (Interlocked.Increment(ref _settled) == settles)
            {
                await cancel.CancelAsync();
            }

            return version;
        }
    }

    [Fact]
    public async Task A_write_held_back_past_half_its_lease_is_abandoned_unsent_and_written_once_after_the_lease()
    {
        // The units read uses the hour's only request, so the write would wait an hour for the budget; after that wait
        // another sync could long have taken the entry for abandoned and written the change itself.
        var storeClock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var store = new InMemoryMappingStore(storeClock);
        await using var starved = SyncHarness.Create(connection: c => c.HourlyRequestBudget = 1, configure: b => b.UseMappingStore(store));
        var subs = await starved.MapSubscriptionsAsync(1);
        var before = starved.UnitsOn(subs[0], Today);
        var change = new SubscriptionQuantity("sub-1", before + 3, Now);
        var lease = TimeSpan.FromSeconds(2);

        var first = await starved.Sync.SyncAsync(SyncHarness.Connection, [change], new QuantitySyncOptions { PendingLease = lease }, Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct);

        Assert.Equal(QuantitySyncStatus.Failed, Assert.Single(first.Items).Status);
        Assert.Contains("abandoned", first.Items[0].Reason, StringComparison.Ordinal);
        Assert.Empty(starved.Simulator.AppliedAdjustments);
        Assert.Single(await store.GetPendingAdjustmentsAsync(SyncHarness.Connection, cancellationToken: Ct));

        // Another instance, after the lease by the store's clock, settles the abandoned write and makes the change once.
        await using var other = SyncHarness.For(starved.Simulator, configure: b => b.UseMappingStore(store));
        storeClock.Advance(lease);
        var second = await other.Sync.SyncAsync(SyncHarness.Connection, [change], new QuantitySyncOptions { PendingLease = lease }, Ct);

        Assert.Equal(QuantitySyncStatus.Applied, Assert.Single(second.Items).Status);
        Assert.Single(starved.Simulator.AppliedAdjustments);
        Assert.Equal(before + 3, starved.UnitsOn(subs[0], Today));
        Assert.Equal([AdjustmentState.NotApplied, AdjustmentState.Applied], (await store.GetLedgerAsync(SyncHarness.Connection, "sub-1", Ct)).Select(e => e.State));
    }

    [Fact]
    public async Task A_write_pending_within_its_lease_is_left_to_the_sync_that_made_it()
    {
        var before = Units(0);
        await _sync.Store.BeginAsync(PendingEntry("in-flight", before, before + 6), Ct);

        var report = await Sync(new SubscriptionQuantity("sub-1", before + 9, Now));

        var item = Assert.Single(report.Items);
        Assert.Equal(QuantitySyncStatus.Failed, item.Status);
        Assert.Contains("pending", item.Reason, StringComparison.Ordinal);
        Assert.Empty(_sync.Simulator.AppliedAdjustments);
        Assert.Equal(AdjustmentState.Pending, Assert.Single(await _sync.Store.GetLedgerAsync(SyncHarness.Connection, "sub-1", Ct)).State);
    }

    [Fact]
    public async Task A_timed_out_write_is_left_pending_and_settled_by_a_later_sync_without_a_double()
    {
        await using var sync = SyncHarness.Create(connection: c => { c.AttemptTimeout = TimeSpan.FromMilliseconds(200); c.MaxRetryAttempts = 0; });
        var subs = await sync.MapSubscriptionsAsync(1);
        var before = sync.UnitsOn(subs[0], Today);
        sync.Simulator.Faults.Latency = TimeSpan.FromSeconds(2);
        sync.Simulator.Faults.Next(SimulatorFault.Latency, when: r => r.IsWrite);

        var first = await sync.Sync.SyncAsync(SyncHarness.Connection, [new SubscriptionQuantity("sub-1", before + 2, Now)], cancellationToken: Ct);

        Assert.Equal(QuantitySyncStatus.Failed, Assert.Single(first.Items).Status);
        Assert.Contains("timed out", first.Items[0].Reason, StringComparison.Ordinal);
        Assert.Single(await sync.Store.GetPendingAdjustmentsAsync(SyncHarness.Connection, cancellationToken: Ct));

        var later = await sync.Sync.SyncAsync(SyncHarness.Connection, [new SubscriptionQuantity("sub-1", before + 2, Now)],
            new QuantitySyncOptions { PendingLease = TimeSpan.Zero }, Ct);

        Assert.Equal(before + 2, sync.UnitsOn(subs[0], Today));
        Assert.Single(sync.Simulator.AppliedAdjustments);
        Assert.Contains(later.Items[0].Status, new[] { QuantitySyncStatus.Applied, QuantitySyncStatus.Unchanged });
    }

    [Theory]
    [InlineData(SimulatorFault.LateCommit)]
    [InlineData(SimulatorFault.GatewayTimeoutLateCommit)]
    public async Task A_write_committed_after_its_answer_was_lost_is_settled_as_soon_as_the_units_show_it_and_audited_once(SimulatorFault fault)
    {
        // The simulator's clock gates the late commit: it lands when the test advances it, not when a loaded machine gets round to it.
        var simulatorClock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var sync = SyncHarness.Create(new AutotaskSimulatorOptions { TimeProvider = simulatorClock });
        var subs = await sync.MapSubscriptionsAsync(1);
        var before = sync.UnitsOn(subs[0], Today);
        sync.Simulator.Faults.Next(fault, when: r => r.Path.EndsWith("/ServiceAdjustments", StringComparison.Ordinal));
        var change = new SubscriptionQuantity("sub-1", before + 5, Now);

        // No answer from Autotask itself (the connection dropped, or a gateway gave up) and the read-back finds nothing yet:
        // nothing proves the write failed, so it is not written again, and the item says until when at the latest.
        var first = await sync.Sync.SyncAsync(SyncHarness.Connection, [change], cancellationToken: Ct);
        var entry = Assert.Single(await sync.Store.GetLedgerAsync(SyncHarness.Connection, "sub-1", Ct));
        var settlesBy = $"at {entry.RecordedAt + Duration.FromMinutes(10)} or earlier";
        Assert.Equal(QuantitySyncStatus.Failed, Assert.Single(first.Items).Status);
        Assert.Contains("may still be committed", first.Items[0].Reason, StringComparison.Ordinal);
        Assert.Contains(settlesBy, first.Items[0].Reason, StringComparison.Ordinal);
        Assert.Empty(sync.Simulator.AppliedAdjustments);

        // Within the lease, while the units do not show it, another sync leaves it alone, and says what it is waiting for.
        var again = await sync.Sync.SyncAsync(SyncHarness.Connection, [change], cancellationToken: Ct);
        Assert.Equal(QuantitySyncStatus.Failed, Assert.Single(again.Items).Status);
        Assert.Contains("no known outcome yet: its answer was lost", again.Items[0].Reason, StringComparison.Ordinal);
        Assert.Contains(settlesBy, again.Items[0].Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("Another sync", again.Items[0].Reason, StringComparison.Ordinal);
        Assert.Empty(sync.Simulator.AppliedAdjustments);

        simulatorClock.Advance(sync.Simulator.Faults.LateCommitDelay);
        await Wait.UntilAsync(() => sync.Simulator.AppliedAdjustments.Count == 1);

        // Still within the lease: the units show the write, so the next sync settles it as applied and writes nothing.
        var settled = await sync.Sync.SyncAsync(SyncHarness.Connection, [change], cancellationToken: Ct);

        Assert.Equal(QuantitySyncStatus.Unchanged, Assert.Single(settled.Items).Status);
        Assert.Single(sync.Simulator.AppliedAdjustments);
        Assert.Equal(before + 5, sync.UnitsOn(subs[0], Today));
        Assert.Equal([AdjustmentState.Applied], (await sync.Store.GetLedgerAsync(SyncHarness.Connection, "sub-1", Ct)).Select(e => e.State));
        var applied = Assert.Single(AppliedEvents(sync));
        Assert.Equal(entry.OperationId, applied.EventId);
        Assert.Contains("within its pending lease", applied.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_write_whose_answer_was_lost_before_it_landed_says_when_it_settles_and_is_written_once_after_the_lease()
    {
        // The write never lands; nothing tells the client so. The store's clock is the test's to move.
        var storeClock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var store = new InMemoryMappingStore(storeClock);
        await using var sync = SyncHarness.Create(configure: b => b.UseMappingStore(store));
        var subs = await sync.MapSubscriptionsAsync(1);
        var before = sync.UnitsOn(subs[0], Today);
        sync.Simulator.Faults.Next(SimulatorFault.LostWrite, when: r => r.Path.EndsWith("/ServiceAdjustments", StringComparison.Ordinal));
        var change = new SubscriptionQuantity("sub-1", before + 7, Now);

        var first = await sync.Sync.SyncAsync(SyncHarness.Connection, [change], cancellationToken: Ct);

        var entry = Assert.Single(await store.GetLedgerAsync(SyncHarness.Connection, "sub-1", Ct));
        var settlesBy = $"at {entry.RecordedAt + Duration.FromMinutes(10)} or earlier";
        var item = Assert.Single(first.Items);
        Assert.Equal(QuantitySyncStatus.Failed, item.Status);
        Assert.Contains("answer was lost", item.Reason, StringComparison.Ordinal);
        Assert.Contains(settlesBy, item.Reason, StringComparison.Ordinal);
        Assert.Empty(sync.Simulator.AppliedAdjustments);

        // The next sync, within the lease, is told about this write of ours, not about "another sync".
        storeClock.Advance(TimeSpan.FromMinutes(9));
        var again = await sync.Sync.SyncAsync(SyncHarness.Connection, [change], cancellationToken: Ct);
        Assert.Equal(QuantitySyncStatus.Failed, Assert.Single(again.Items).Status);
        Assert.Contains("no known outcome yet: its answer was lost", again.Items[0].Reason, StringComparison.Ordinal);
        Assert.Contains(settlesBy, again.Items[0].Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("Another sync", again.Items[0].Reason, StringComparison.Ordinal);
        Assert.Empty(sync.Simulator.AppliedAdjustments);

        // At the instant it named, it is settled as not applied and the change is made, once.
        storeClock.Advance(TimeSpan.FromMinutes(1));
        var settled = await sync.Sync.SyncAsync(SyncHarness.Connection, [change], cancellationToken: Ct);

        Assert.Equal(QuantitySyncStatus.Applied, Assert.Single(settled.Items).Status);
        Assert.Single(sync.Simulator.AppliedAdjustments);
        Assert.Equal(before + 7, sync.UnitsOn(subs[0], Today));
        Assert.Equal([AdjustmentState.NotApplied, AdjustmentState.Applied], (await store.GetLedgerAsync(SyncHarness.Connection, "sub-1", Ct)).Select(e => e.State));
        Assert.Single(AppliedEvents(sync));
    }

    [Fact]
    public async Task A_lost_write_whose_units_someone_else_changed_meanwhile_is_not_written_again_while_it_may_land()
    {
        var simulatorClock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var sync = SyncHarness.Create(new AutotaskSimulatorOptions { TimeProvider = simulatorClock });
        var subs = await sync.MapSubscriptionsAsync(1);
        var before = sync.UnitsOn(subs[0], Today);
        var line = sync.Simulator.Data.Get<ContractService>(subs[0].ContractServiceId)!;
        // As the write arrives, someone adds a unit in Autotask's UI; then the write's answer is lost and it lands later.
        sync.Simulator.Faults.Next(SimulatorFault.LateCommit, when: r =>
        {
            var ours = r.Path.EndsWith("/ServiceAdjustments", StringComparison.Ordinal);
            if (ours)
            {
                sync.Simulator.Data.Add(new ContractServiceAdjustment { ContractId = line.ContractId, ContractServiceId = line.Id, EffectiveDate = Today, UnitChange = 1 });
            }

            return ours;
        });

        var first = await sync.Sync.SyncAsync(SyncHarness.Connection, [new SubscriptionQuantity("sub-1", before + 5, Now)], cancellationToken: Ct);

        // The units read back (before + 1) are neither the start nor the target: the write may still land, so nothing is written again.
        Assert.Equal(QuantitySyncStatus.Failed, Assert.Single(first.Items).Status);
        Assert.Empty(sync.Simulator.AppliedAdjustments);
        Assert.Equal(AdjustmentState.Pending, Assert.Single(await sync.Store.GetLedgerAsync(SyncHarness.Connection, "sub-1", Ct)).State);

        simulatorClock.Advance(sync.Simulator.Faults.LateCommitDelay);
        await Wait.UntilAsync(() => sync.Simulator.AppliedAdjustments.Count == 1);
        var settled = await sync.Sync.SyncAsync(SyncHarness.Connection, [new SubscriptionQuantity("sub-1", before + 5, Now)], new QuantitySyncOptions { PendingLease = TimeSpan.Zero }, Ct);

        // After the lease: the late write and one correction of the outside unit, and the units as desired.
        Assert.Equal(QuantitySyncStatus.Applied, Assert.Single(settled.Items).Status);
        Assert.Equal(2, sync.Simulator.AppliedAdjustments.Count);
        Assert.Equal(before + 5, sync.UnitsOn(subs[0], Today));
    }

    [Fact]
    public async Task A_sync_that_read_before_another_sync_wrote_reads_again_instead_of_adding_the_change_twice()
    {
        var store = new RacingStore(new InMemoryMappingStore());
        await using var sync = SyncHarness.Create(configure: b => b.UseMappingStore(store));
        var subs = await sync.MapSubscriptionsAsync(1);
        var target = sync.UnitsOn(subs[0], Today) + 3;
        // The moment this sync takes its ledger slot, another sync (same store, same Autotask) has just made the change.
        store.BeforeFirstBegin = () => sync.Sync.SyncAsync(SyncHarness.Connection, [new SubscriptionQuantity("sub-1", target, Now)], cancellationToken: Ct);

        var report = await sync.Sync.SyncAsync(SyncHarness.Connection, [new SubscriptionQuantity("sub-1", target, Now)], cancellationToken: Ct);

        Assert.Equal(QuantitySyncStatus.Unchanged, Assert.Single(report.Items).Status);
        Assert.Equal(target, sync.UnitsOn(subs[0], Today));
        Assert.Single(sync.Simulator.AppliedAdjustments);
    }

    /// <summary>A store that lets a test run something just before the first ledger slot is taken.</summary>
    private sealed class RacingStore(IMappingStore inner) : DelegatingMappingStore(inner)
    {
        public Func<Task>? BeforeFirstBegin { get; set; }

        public override async Task<AdjustmentBeginOutcome> TryBeginAdjustmentAsync(AdjustmentLedgerEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
        {
            if (BeforeFirstBegin is { } race)
            {
                BeforeFirstBegin = null;
                await race();
            }

            return await Inner.TryBeginAdjustmentAsync(entry, expectedVersion, cancellationToken);
        }
    }

    private AdjustmentLedgerEntry PendingEntry(string operation, int before, int after) => new()
    {
        OperationId = operation,
        Connection = SyncHarness.Connection,
        VendorSubscriptionId = "sub-1",
        ContractId = _subs[0].ContractId,
        ContractServiceId = _subs[0].ContractServiceId,
        EffectiveDate = Today,
        UnitsBefore = before,
        UnitsAfter = after,
    };

    public static TheoryData<string, Instant> EndsOfTime() => new()
    {
        { "DayOfChange", Instant.MinValue },
        { "DayOfChange", Instant.MaxValue },
        { "NextDay", Instant.MaxValue },
        { "FirstOfNextMonth", Instant.MaxValue },
        { "NextDay", Instant.MinValue },
    };

    [Theory]
    [MemberData(nameof(EndsOfTime))]
    public async Task An_instant_at_the_end_of_time_fails_its_item_only(string policy, Instant asOf)
    {
        await using var sync = SyncHarness.Create(connection: c => c.TimeZone = "America/New_York");
        var subs = await sync.MapSubscriptionsAsync(2);
        var before = sync.UnitsOn(subs[1], Today);
        var effective = policy switch
        {
            "NextDay" => EffectiveDatePolicy.NextDay,
            "FirstOfNextMonth" => EffectiveDatePolicy.FirstOfNextMonth,
            _ => EffectiveDatePolicy.DayOfChange,
        };

        var report = await sync.Sync.SyncAsync(SyncHarness.Connection,
            [new SubscriptionQuantity("sub-1", 5, asOf), new SubscriptionQuantity("sub-2", before + 1, Now)],
            new QuantitySyncOptions { EffectiveDate = EffectiveDatePolicy.Custom((i, z) => i == Now ? i.InZone(z).Date : effective.EffectiveDate(i, z)) }, Ct);

        Assert.Equal([QuantitySyncStatus.Invalid, QuantitySyncStatus.Applied], report.Items.Select(i => i.Status));
        Assert.Contains("effective date", report.Items[0].Reason, StringComparison.Ordinal);
        Assert.Single(sync.Simulator.AppliedAdjustments);
        Assert.Equal(2, sync.Audit.Events.Count);
    }

    public static TheoryData<string, Instant> EndsOfTimeWithADay() => new()
    {
        { "Etc/UTC", Instant.MinValue },
        { "Asia/Tokyo", Instant.MinValue },
        { "Etc/UTC", Instant.MaxValue },
    };

    [Theory]
    [MemberData(nameof(EndsOfTimeWithADay))]
    public async Task An_instant_at_the_end_of_time_whose_day_exists_in_the_zone_fails_its_item_only(string zone, Instant asOf)
    {
        await using var sync = SyncHarness.Create(connection: c => c.TimeZone = zone);
        var subs = await sync.MapSubscriptionsAsync(2);
        var before = sync.UnitsOn(subs[1], Today);

        var report = await sync.Sync.SyncAsync(SyncHarness.Connection, [new SubscriptionQuantity("sub-1", 5, asOf), new SubscriptionQuantity("sub-2", before + 1, Now)], cancellationToken: Ct);
        var plan = await sync.Sync.PlanAsync(SyncHarness.Connection, [new SubscriptionQuantity("sub-1", 5, asOf), new SubscriptionQuantity("sub-2", before + 2, Now)], cancellationToken: Ct);

        Assert.Equal([QuantitySyncStatus.Invalid, QuantitySyncStatus.Applied], report.Items.Select(i => i.Status));
        Assert.Contains("effective date", report.Items[0].Reason, StringComparison.Ordinal);
        Assert.Single(sync.Simulator.AppliedAdjustments);
        Assert.Equal(before + 1, sync.UnitsOn(subs[1], Today));
        Assert.Equal("sub-2", Assert.Single(plan.Items).VendorSubscriptionId);
    }

    [Fact]
    public async Task A_refused_write_fails_the_item_only()
    {
        _sync.Simulator.DenyAccess("ContractServiceAdjustments", SimulatorAccess.Create);

        var report = await Sync(new SubscriptionQuantity("sub-1", Units(0) + 1, Now), new SubscriptionQuantity("sub-2", Units(1), Now));

        Assert.Equal([QuantitySyncStatus.Failed, QuantitySyncStatus.Unchanged], report.Items.Select(i => i.Status));
        Assert.Contains("permission", report.Items[0].Reason, StringComparison.Ordinal);
        Assert.Equal(AdjustmentState.NotApplied, Assert.Single(await _sync.Store.GetLedgerAsync(SyncHarness.Connection, "sub-1", Ct)).State);
    }

    [Fact]
    public async Task An_unknown_connection_is_refused()
    {
        var error = await Assert.ThrowsAsync<AutotaskConnectionNotFoundException>(() => _sync.Sync.SyncAsync("nope", [], cancellationToken: Ct));
        Assert.Equal("nope", error.Connection);
    }
}
