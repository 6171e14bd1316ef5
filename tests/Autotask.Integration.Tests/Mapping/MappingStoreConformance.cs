using Autotask.Integration.Auditing;
using Autotask.Integration.Mapping;
using Autotask.Integration.Tests.Support;
using NodaTime;

namespace Autotask.Integration.Tests.Mapping;

/// <summary>
/// The contract every <see cref="IMappingStore"/> must keep. A store implementation's tests derive from this class
/// and create a fresh, empty store in <see cref="CreateStoreAsync"/>.
/// </summary>
public abstract class MappingStoreConformance : IAsyncLifetime
{
    private static readonly Instant Now = Instant.FromUtc(2026, 11, 25, 12, 0);

    protected IMappingStore Store { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Creates a fresh, empty store.</summary>
    protected abstract Task<IMappingStore> CreateStoreAsync();

    /// <summary>Releases the store.</summary>
    protected virtual ValueTask DisposeStoreAsync() => ValueTask.CompletedTask;

    public async ValueTask InitializeAsync() => Store = await CreateStoreAsync();

    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return DisposeStoreAsync();
    }

    protected static CustomerMapping Customer(string vendor, long company, string connection = "a") =>
        new() { Connection = connection, VendorCustomerId = vendor, CompanyId = company, CompanyName = $"Company {company}", MappedAt = Now };

    protected static SubscriptionMapping Subscription(string id, string customer = "cust-1", string connection = "a", long? line = null) => new()
    {
        Connection = connection,
        VendorSubscriptionId = id,
        VendorCustomerId = customer,
        VendorOfferId = "offer-1",
        CompanyId = 10,
        ContractId = 20,
        ContractServiceId = line ?? 30 + id.Aggregate(17L, (hash, c) => (hash * 31 + c) % 1_000_003),
        ServiceId = 40,
        Currency = "EUR",
        MappedAt = Now,
    };

    protected static AdjustmentLedgerEntry Pending(string subscription, string? operation = null, string connection = "a") => new()
    {
        OperationId = operation ?? Guid.NewGuid().ToString("N"),
        Connection = connection,
        VendorSubscriptionId = subscription,
        ContractId = 20,
        ContractServiceId = 30,
        EffectiveDate = new LocalDate(2026, 12, 1),
        UnitsBefore = 5,
        UnitsAfter = 8,
        RecordedAt = Now,
    };

    [Fact]
    public async Task A_customer_mapping_is_stored_and_found_from_both_sides()
    {
        var stored = await Store.AddCustomerAsync(Customer("cust-1", 100), Ct);

        Assert.True(stored.Version > 0);
        Assert.Equal(stored, await Store.FindCustomerAsync("a", "cust-1", Ct));
        Assert.Equal(stored, await Store.FindCustomerByCompanyAsync("a", 100, Ct));
        Assert.Null(await Store.FindCustomerAsync("a", "cust-2", Ct));
        Assert.Equal([stored], await Store.ListCustomersAsync("a", Ct));
    }

    [Fact]
    public async Task A_customer_and_a_company_each_map_once()
    {
        await Store.AddCustomerAsync(Customer("cust-1", 100), Ct);

        await Assert.ThrowsAsync<MappingConflictException>(() => Store.AddCustomerAsync(Customer("cust-1", 101), Ct));
        await Assert.ThrowsAsync<MappingConflictException>(() => Store.AddCustomerAsync(Customer("cust-2", 100), Ct));
        Assert.Single(await Store.ListCustomersAsync("a", Ct));
        Assert.Null(await Store.FindCustomerAsync("a", "cust-2", Ct));
    }

    [Fact]
    public async Task Connections_are_isolated_and_names_ignore_case()
    {
        await Store.AddCustomerAsync(Customer("cust-1", 100, "a"), Ct);
        await Store.AddCustomerAsync(Customer("cust-1", 100, "b"), Ct);

        Assert.NotNull(await Store.FindCustomerAsync("A", "cust-1", Ct));
        Assert.Single(await Store.ListCustomersAsync("b", Ct));
        Assert.Empty(await Store.ListCustomersAsync("c", Ct));
    }

    [Fact]
    public async Task Racing_writers_map_a_customer_exactly_once()
    {
        var attempts = Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
        {
            try
            {
                await Store.AddCustomerAsync(Customer(i % 2 == 0 ? "cust-1" : $"cust-{i}", i % 2 == 0 ? 100 + i : 100), Ct);
                return true;
            }
            catch (MappingConflictException)
            {
                return false;
            }
        }, Ct));

        var outcomes = await Task.WhenAll(attempts);

        var mappings = await Store.ListCustomersAsync("a", Ct);
        Assert.Equal(mappings.Count, outcomes.Count(o => o));
        Assert.Equal(mappings.Count, mappings.Select(m => m.VendorCustomerId).Distinct().Count());
        Assert.Equal(mappings.Count, mappings.Select(m => m.CompanyId).Distinct().Count());
        Assert.Single(mappings, m => m.VendorCustomerId == "cust-1");
        Assert.Single(mappings, m => m.CompanyId == 100);
    }

    [Fact]
    public async Task Removing_needs_the_version_that_was_read()
    {
        var stored = await Store.AddCustomerAsync(Customer("cust-1", 100), Ct);

        await Assert.ThrowsAsync<StoreConcurrencyException>(() => Store.RemoveCustomerAsync("a", "cust-1", stored.Version + 1, Ct));
        Assert.NotNull(await Store.FindCustomerAsync("a", "cust-1", Ct));
        Assert.True(await Store.RemoveCustomerAsync("a", "cust-1", stored.Version, Ct));
        Assert.False(await Store.RemoveCustomerAsync("a", "cust-1", stored.Version, Ct));
        Assert.Null(await Store.FindCustomerByCompanyAsync("a", 100, Ct));
        // Once removed, both sides can be mapped again.
        await Store.AddCustomerAsync(Customer("cust-2", 100), Ct);
    }

    [Fact]
    public async Task Offers_map_once_and_remove_with_their_version()
    {
        var offer = await Store.AddOfferAsync(new OfferMapping { Connection = "a", VendorOfferId = "o-1", Term = BillingTerm.Annual, ServiceId = 5, MappedAt = Now }, Ct);

        await Assert.ThrowsAsync<MappingConflictException>(() =>
            Store.AddOfferAsync(new OfferMapping { Connection = "a", VendorOfferId = "o-1", Term = BillingTerm.Monthly, ServiceId = 6 }, Ct));
        Assert.Equal(BillingTerm.Annual, (await Store.FindOfferAsync("a", "o-1", Ct))!.Term);
        await Assert.ThrowsAsync<StoreConcurrencyException>(() => Store.RemoveOfferAsync("a", "o-1", offer.Version + 7, Ct));
        Assert.True(await Store.RemoveOfferAsync("a", "o-1", offer.Version, Ct));
    }

    [Fact]
    public async Task Subscriptions_map_once_and_are_found_in_bulk()
    {
        var first = await Store.AddSubscriptionAsync(Subscription("sub-1"), Ct);
        await Store.AddSubscriptionAsync(Subscription("sub-2", customer: "cust-2"), Ct);

        await Assert.ThrowsAsync<MappingConflictException>(() => Store.AddSubscriptionAsync(Subscription("sub-1"), Ct));
        var found = await Store.FindSubscriptionsAsync("a", ["sub-1", "sub-2", "sub-3"], Ct);
        Assert.Equal(["sub-1", "sub-2"], found.Keys.Order());
        Assert.Equal(first, found["sub-1"]);
        Assert.Equal(["sub-2"], (await Store.ListSubscriptionsAsync("a", "cust-2", Ct)).Select(s => s.VendorSubscriptionId));
        Assert.Equal(2, (await Store.ListSubscriptionsAsync("a", cancellationToken: Ct)).Count);
        Assert.True(await Store.RemoveSubscriptionAsync("a", "sub-1", first.Version, Ct));
        Assert.Null(await Store.FindSubscriptionAsync("a", "sub-1", Ct));
    }

    [Fact]
    public async Task A_contract_service_maps_to_one_subscription_only()
    {
        var first = await Store.AddSubscriptionAsync(Subscription("sub-1", line: 777), Ct);

        var conflict = await Assert.ThrowsAsync<MappingConflictException>(() => Store.AddSubscriptionAsync(Subscription("sub-2", line: 777), Ct));
        Assert.Contains("777", conflict.Message, StringComparison.Ordinal);
        await Store.AddSubscriptionAsync(Subscription("sub-2", line: 777, connection: "b"), Ct);
        Assert.True(await Store.RemoveSubscriptionAsync("a", "sub-1", first.Version, Ct));
        await Store.AddSubscriptionAsync(Subscription("sub-2", line: 777), Ct);
    }

    [Fact]
    public async Task Only_one_adjustment_per_subscription_is_pending_at_a_time()
    {
        var first = Pending("sub-1");

        Assert.Equal(AdjustmentBeginOutcome.Begun, await Store.BeginAsync(first, Ct));
        Assert.Equal(AdjustmentBeginOutcome.Busy, await Store.BeginAsync(Pending("sub-1"), Ct));
        Assert.Equal(AdjustmentBeginOutcome.Begun, await Store.BeginAsync(Pending("sub-2"), Ct));
        Assert.Equal(AdjustmentBeginOutcome.Begun, await Store.BeginAsync(Pending("sub-1", connection: "b"), Ct));

        await Store.SettleAdjustmentAsync("a", first.OperationId, AdjustmentState.Applied, 777, Ct);

        Assert.Equal(AdjustmentBeginOutcome.Begun, await Store.BeginAsync(Pending("sub-1"), Ct));
        var ledger = await Store.GetLedgerAsync("a", "sub-1", Ct);
        Assert.Equal(2, ledger.Count);
        Assert.Equal(AdjustmentState.Applied, ledger[0].State);
        Assert.Equal(777, ledger[0].AdjustmentId);
        Assert.Equal(3, ledger[0].UnitChange);
        Assert.NotNull(ledger[0].SettledAt);
        Assert.Equal(AdjustmentState.Pending, ledger[1].State);
    }

    [Fact]
    public async Task Racing_writers_begin_one_adjustment_per_subscription()
    {
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => Store.BeginAsync(Pending("sub-1"), Ct), Ct)));

        Assert.Equal(1, outcomes.Count(o => o == AdjustmentBeginOutcome.Begun));
        Assert.Single(await Store.GetPendingAdjustmentsAsync("a", ["sub-1"], Ct));
    }

    [Fact]
    public async Task The_ledger_version_moves_on_every_begin_and_settle()
    {
        var heads = await Store.GetLedgerHeadsAsync("a", ["sub-1", "sub-2"], Ct);
        Assert.Equal(["sub-1", "sub-2"], heads.Keys.Order(StringComparer.Ordinal));
        Assert.All(heads.Values, h => Assert.Equal(0, h.Version));
        Assert.All(heads.Values, h => Assert.Null(h.Pending));

        var entry = Pending("sub-1");
        Assert.Equal(AdjustmentBeginOutcome.Begun, await Store.TryBeginAdjustmentAsync(entry, 0, Ct));
        var begun = (await Store.GetLedgerHeadsAsync("a", ["sub-1"], Ct))["sub-1"];
        Assert.Equal(entry.OperationId, begun.Pending?.OperationId);
        var settled = await Store.SettleAdjustmentAsync("a", entry.OperationId, AdjustmentState.Applied, 1, Ct);
        var after = (await Store.GetLedgerHeadsAsync("a", ["sub-1", "sub-2"], Ct));

        Assert.True(begun.Version > 0);
        Assert.True(settled > begun.Version);
        Assert.Equal(settled, after["sub-1"].Version);
        Assert.Null(after["sub-1"].Pending);
        Assert.Equal(Duration.Zero, after["sub-1"].PendingFor);
        Assert.Equal(0, after["sub-2"].Version);
        Assert.Equal(0, await Store.VersionAsync("b", "sub-1", Ct));
    }

    [Fact]
    public async Task A_begin_from_a_version_that_has_moved_is_stale_and_records_nothing()
    {
        var first = Pending("sub-1");
        await Store.TryBeginAdjustmentAsync(first, 0, Ct);
        var whileFirstPending = await Store.VersionAsync("a", "sub-1", Ct);
        await Store.SettleAdjustmentAsync("a", first.OperationId, AdjustmentState.NotApplied, null, Ct);

        // Read before the first began, and read while it was pending: both readers must read again.
        Assert.Equal(AdjustmentBeginOutcome.Stale, await Store.TryBeginAdjustmentAsync(Pending("sub-1"), 0, Ct));
        Assert.Equal(AdjustmentBeginOutcome.Stale, await Store.TryBeginAdjustmentAsync(Pending("sub-1"), whileFirstPending, Ct));
        Assert.Equal(AdjustmentBeginOutcome.Stale, await Store.TryBeginAdjustmentAsync(Pending("sub-1"), -1, Ct));
        Assert.Single(await Store.GetLedgerAsync("a", "sub-1", Ct));
        Assert.Empty(await Store.GetPendingAdjustmentsAsync("a", cancellationToken: Ct));

        Assert.Equal(AdjustmentBeginOutcome.Begun, await Store.TryBeginAdjustmentAsync(Pending("sub-1"), await Store.VersionAsync("a", "sub-1", Ct), Ct));
    }

    [Fact]
    public async Task Of_many_writers_that_read_the_same_version_exactly_one_begins()
    {
        var settled = Pending("sub-1");
        await Store.TryBeginAdjustmentAsync(settled, 0, Ct);
        var version = await Store.SettleAdjustmentAsync("a", settled.OperationId, AdjustmentState.Applied, null, Ct);
        var readers = Enumerable.Range(0, 12).Select(_ => Pending("sub-1")).ToList();

        var outcomes = await Task.WhenAll(readers.Select(e => Task.Run(() => Store.TryBeginAdjustmentAsync(e, version, Ct), Ct)));

        Assert.Equal(1, outcomes.Count(o => o == AdjustmentBeginOutcome.Begun));
        Assert.Equal(11, outcomes.Count(o => o == AdjustmentBeginOutcome.Stale));
        var winner = readers[Array.IndexOf(outcomes, AdjustmentBeginOutcome.Begun)];
        Assert.Equal(winner.OperationId, Assert.Single(await Store.GetPendingAdjustmentsAsync("a", ["sub-1"], Ct)).OperationId);

        // Settling concurrently: exactly one settle wins, and the version moves once.
        var settles = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            try
            {
                return await Store.SettleAdjustmentAsync("a", winner.OperationId, AdjustmentState.Applied, null, Ct);
            }
            catch (StoreConcurrencyException)
            {
                return -1;
            }
        }, Ct)));
        Assert.Equal(5, settles.Count(v => v == -1));
        Assert.Equal(settles.Max(), await Store.VersionAsync("a", "sub-1", Ct));
    }

    [Fact]
    public async Task The_store_stamps_ledger_times_with_its_own_clock()
    {
        // A caller whose clock is a day behind (or ahead) must not make its entry look older (or younger) than it is.
        await Store.TryBeginAdjustmentAsync(Pending("sub-1") with { RecordedAt = Instant.FromUtc(2000, 1, 1, 0, 0) }, 0, Ct);
        await Store.TryBeginAdjustmentAsync(Pending("sub-2") with { RecordedAt = Instant.FromUtc(2100, 1, 1, 0, 0) }, 0, Ct);

        var heads = await Store.GetLedgerHeadsAsync("a", ["sub-1", "sub-2"], Ct);

        Assert.All(heads.Values, h => Assert.InRange(h.PendingFor, Duration.Zero, Duration.FromHours(1)));
        Assert.All(heads.Values, h => Assert.InRange(h.Pending!.RecordedAt, Instant.FromUtc(2020, 1, 1, 0, 0), Instant.FromUtc(2090, 1, 1, 0, 0)));
    }

    [Fact]
    public async Task An_entry_of_indeterminate_outcome_is_kept_as_such()
    {
        var entry = Pending("sub-1");
        await Store.TryBeginAdjustmentAsync(entry, 0, Ct);

        await Store.SettleAdjustmentAsync("a", entry.OperationId, AdjustmentState.Indeterminate, null, Ct);

        Assert.Equal(AdjustmentState.Indeterminate, Assert.Single(await Store.GetLedgerAsync("a", "sub-1", Ct)).State);
        await Assert.ThrowsAsync<ArgumentException>(() => Store.SettleAdjustmentAsync("a", entry.OperationId, AdjustmentState.Pending, null, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.TryBeginAdjustmentAsync(Pending("sub-1") with { State = AdjustmentState.Applied }, 1, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.TryBeginAdjustmentAsync(Pending("sub-2", entry.OperationId), 0, Ct));
    }

    [Fact]
    public async Task Pending_entries_are_listed_and_settled_once()
    {
        var entry = Pending("sub-1");
        await Store.BeginAsync(entry, Ct);
        await Store.BeginAsync(Pending("sub-2"), Ct);

        Assert.Equal(2, (await Store.GetPendingAdjustmentsAsync("a", cancellationToken: Ct)).Count);
        Assert.Equal(["sub-1"], (await Store.GetPendingAdjustmentsAsync("a", ["sub-1"], Ct)).Select(e => e.VendorSubscriptionId));

        await Store.SettleAdjustmentAsync("a", entry.OperationId, AdjustmentState.NotApplied, null, Ct);

        await Assert.ThrowsAsync<StoreConcurrencyException>(() => Store.SettleAdjustmentAsync("a", entry.OperationId, AdjustmentState.Applied, null, Ct));
        await Assert.ThrowsAsync<StoreConcurrencyException>(() => Store.SettleAdjustmentAsync("b", "no-such-operation", AdjustmentState.Applied, null, Ct));
        Assert.Equal(["sub-2"], (await Store.GetPendingAdjustmentsAsync("a", cancellationToken: Ct)).Select(e => e.VendorSubscriptionId));
    }

    [Fact]
    public async Task Sync_state_is_versioned()
    {
        Assert.Null(await Store.GetStateAsync("a", "watermark", Ct));

        var v1 = await Store.SetStateAsync("a", "watermark", "2026-11-25T00:00:00Z", 0, Ct);
        await Assert.ThrowsAsync<StoreConcurrencyException>(() => Store.SetStateAsync("a", "watermark", "x", 0, Ct));
        var v2 = await Store.SetStateAsync("a", "watermark", "2026-11-26T00:00:00Z", v1, Ct);

        Assert.NotEqual(v1, v2);
        Assert.Equal(new SyncStateValue("2026-11-26T00:00:00Z", v2), await Store.GetStateAsync("a", "watermark", Ct));
        Assert.Null(await Store.GetStateAsync("b", "watermark", Ct));
    }

    [Fact]
    public async Task Of_many_writers_of_sync_state_from_the_same_read_exactly_one_wins()
    {
        var read = await Store.SetStateAsync("a", "watermark", "start", 0, Ct);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(async () =>
        {
            try
            {
                return (Value: $"writer-{i}", Version: await Store.SetStateAsync("a", "watermark", $"writer-{i}", read, Ct));
            }
            catch (StoreConcurrencyException)
            {
                return (Value: $"writer-{i}", Version: -1L);
            }
        }, Ct)));

        var winner = Assert.Single(outcomes, o => o.Version != -1);
        Assert.Equal(new SyncStateValue(winner.Value, winner.Version), await Store.GetStateAsync("a", "watermark", Ct));

        // The first write of a key races the same way: exactly one of the writers that saw nothing creates it.
        var firsts = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(async () =>
        {
            try
            {
                await Store.SetStateAsync("a", "alert-state", $"writer-{i}", 0, Ct);
                return true;
            }
            catch (StoreConcurrencyException)
            {
                return false;
            }
        }, Ct)));
        Assert.Single(firsts, won => won);
    }

    [Fact]
    public async Task A_callout_is_recorded_once_per_connection_within_the_window_of_the_stores_clock()
    {
        var window = Duration.FromHours(1);
        var now = SystemClock.Instance.GetCurrentInstant();

        Assert.Equal(CalloutReceipt.First, await Store.TryRecordCalloutAsync("a", "callout-1", now, window, Ct));
        Assert.Equal(CalloutReceipt.Repeated, await Store.TryRecordCalloutAsync("A", "callout-1", now, window, Ct));
        Assert.Equal(CalloutReceipt.First, await Store.TryRecordCalloutAsync("b", "callout-1", now, window, Ct));
        Assert.Equal(CalloutReceipt.OutsideWindow, await Store.TryRecordCalloutAsync("a", "callout-2", now - Duration.FromHours(2), window, Ct));
        Assert.Equal(CalloutReceipt.OutsideWindow, await Store.TryRecordCalloutAsync("a", "callout-3", now + Duration.FromHours(2), window, Ct));
        Assert.Equal(CalloutReceipt.First, await Store.TryRecordCalloutAsync("a", "callout-4", now - Duration.FromMinutes(50), window, Ct));

        await Store.ForgetCalloutAsync("a", "callout-1", Ct);
        Assert.Equal(CalloutReceipt.First, await Store.TryRecordCalloutAsync("a", "callout-1", now, window, Ct));
        Assert.Equal(CalloutReceipt.Repeated, await Store.TryRecordCalloutAsync("b", "callout-1", now, window, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.TryRecordCalloutAsync("a", "callout-5", now, Duration.Zero, Ct));
    }

    [Fact]
    public async Task Of_many_receivers_recording_the_same_callout_exactly_one_is_first()
    {
        var now = SystemClock.Instance.GetCurrentInstant();

        var receipts = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ =>
            Task.Run(() => Store.TryRecordCalloutAsync("a", "callout-1", now, Duration.FromHours(1), Ct), Ct)));

        Assert.Equal(1, receipts.Count(r => r == CalloutReceipt.First));
        Assert.Equal(11, receipts.Count(r => r == CalloutReceipt.Repeated));
    }

    [Fact]
    public async Task A_callout_whose_event_time_left_the_window_is_refused_and_never_first_again()
    {
        var window = Duration.FromSeconds(2);
        var eventTime = SystemClock.Instance.GetCurrentInstant();
        Assert.Equal(CalloutReceipt.First, await Store.TryRecordCalloutAsync("a", "callout-1", eventTime, window, Ct));

        // Bounded: the store's clock leaves the window within seconds; until then the callout is a repeat, never new.
        var receipt = CalloutReceipt.Repeated;
        for (var attempt = 0; attempt < 300 && receipt == CalloutReceipt.Repeated; attempt++)
        {
            await Task.Delay(50, Ct);
            receipt = await Store.TryRecordCalloutAsync("a", "callout-1", eventTime, window, Ct);
        }

        Assert.Equal(CalloutReceipt.OutsideWindow, receipt);
    }

    [Fact]
    public async Task A_store_that_keeps_the_audit_trail_reads_it_back_filtered_and_paged()
    {
        if (Store is IAuditSink sink and IAuditReader reader)
        {
            await AuditReaderScenario.RunAsync(sink, reader, Ct);
        }
        else
        {
            Assert.IsNotType<IAuditSink>(Store, exactMatch: false);
        }
    }

    [Fact]
    public async Task A_store_that_audits_its_settles_records_the_event_with_the_settle_and_once()
    {
        if (Store is not IAuditedLedgerStore audited)
        {
            return;
        }

        var reader = (IAuditReader)Store;
        await Store.BeginAsync(Pending("sub-1", "op-audited"), Ct);
        var applied = new AuditEvent
        {
            EventId = "op-audited", Operation = AuditOperations.UpdateSubscriptionQuantity, Connection = "a", Status = AuditStatus.Succeeded,
            StartedAt = Now, CompletedAt = Now, Details = "Units 5 -> 8 (+3).",
        };

        await audited.SettleAdjustmentAndAuditAsync("a", "op-audited", AdjustmentState.Applied, 900, applied, Ct);

        // A second settle of the entry is refused, and records nothing; the event written again is kept once.
        await Assert.ThrowsAsync<StoreConcurrencyException>(() => audited.SettleAdjustmentAndAuditAsync("a", "op-audited", AdjustmentState.Applied, 900, applied with { EventId = "op-again" }, Ct));
        await audited.WriteAsync(applied with { Details = "written again" }, Ct);
        var recorded = Assert.Single((await reader.ReadAsync(new AuditQuery { Connection = "a" }, Ct)).Events);
        Assert.Equal(("op-audited", "Units 5 -> 8 (+3)."), (recorded.EventId, recorded.Details));
        Assert.Equal(AdjustmentState.Applied, Assert.Single(await Store.GetLedgerAsync("a", "sub-1", Ct)).State);
    }
}

/// <summary>The in-memory store passes the conformance suite.</summary>
public sealed class InMemoryMappingStoreTests : MappingStoreConformance
{
    protected override Task<IMappingStore> CreateStoreAsync() => Task.FromResult<IMappingStore>(new InMemoryMappingStore());
}
