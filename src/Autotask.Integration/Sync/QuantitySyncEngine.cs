using System.Globalization;
using System.Net;
using Autotask.Integration.Auditing;
using Autotask.Integration.Connections;
using Autotask.Integration.Diagnostics;
using Autotask.Integration.Entities;
using Autotask.Integration.Mapping;
using Autotask.Integration.Querying;
using NodaTime;
using NodaTime.Text;

namespace Autotask.Integration.Sync;
/// <summary>Brings contract services to the quantities vendor subscriptions should bill, through contract service adjustments that are never applied twice.</summary>
/// <remarks>Registered by <c>AddAutotaskIntegration</c>; fake it in your own unit tests.</remarks>
public interface IQuantitySyncEngine
{
    /// <summary>
    /// Syncs a batch of desired quantities. Bad items are reported per item and never stop the rest of the batch.
    /// Several changes of one subscription collapse to the latest (by <see cref="SubscriptionQuantity.AsOf"/>, then by order).
    /// </summary>
    /// <param name="connection">The connection.</param>
    /// <param name="changes">The desired quantities.</param>
    /// <param name="options">How to run; default: apply, effective on the day of each change.</param>
    /// <param name="cancellationToken">Cancels the sync; what was written stays recorded in the ledger.</param>
    /// <returns>One result per input item.</returns>
    /// <exception cref="AutotaskRequestException">Autotask could not be read at all; nothing was written.</exception>
    Task<QuantitySyncReport> SyncAsync(
        string connection, IEnumerable<SubscriptionQuantity> changes, QuantitySyncOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Works out what a sync would write, writing nothing, and returns it as a plan to approve: one item per
    /// subscription whose units differ, with the units it was computed against, decided by
    /// <see cref="QuantityPlanOptions.Approval"/> when a rule is given.
    /// </summary>
    /// <param name="connection">The connection.</param>
    /// <param name="changes">The desired quantities.</param>
    /// <param name="options">How effective dates are chosen and items decided.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="AutotaskRequestException">Autotask could not be read.</exception>
    Task<QuantityPlan> PlanAsync(string connection, IEnumerable<SubscriptionQuantity> changes, QuantityPlanOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies the approved items of a plan, once: an item is written only while its contract service still bills
    /// the units the plan saw (reported <see cref="QuantitySyncStatus.Stale"/> otherwise, or
    /// <see cref="QuantitySyncStatus.Unchanged"/> when it already bills the desired units); items not approved are
    /// reported <see cref="QuantitySyncStatus.NotApproved"/>. Writes go through the ledger like every sync, so a
    /// batch interrupted midway is settled by the next sync; the plan itself is claimed in the store first, so a
    /// second apply (in any process) is refused.
    /// </summary>
    /// <param name="connection">The connection the plan must belong to.</param>
    /// <param name="plan">The plan.</param>
    /// <param name="options">How to write (<see cref="QuantitySyncOptions.DryRun"/> and <see cref="QuantitySyncOptions.EffectiveDate"/> are not used).</param>
    /// <param name="cancellationToken">Cancels the call; what was written stays recorded in the ledger.</param>
    /// <returns>One result per plan item, in plan order.</returns>
    /// <exception cref="QuantityPlanException">The plan is another connection's or database's, or was applied before; nothing was written.</exception>
    Task<QuantitySyncReport> ApplyPlanAsync(string connection, QuantityPlan plan, QuantitySyncOptions? options = null, CancellationToken cancellationToken = default);
}


/// <summary>
/// Keeps the units Autotask bills equal to the quantities the vendor states, level-triggered: it reads what Autotask
/// bills on the effective date, writes only the difference as a contract service adjustment, and records what it
/// wrote in the store's ledger. Running the same input twice writes nothing the second time. After a write whose
/// outcome is unknown it reads the units back before deciding to write again, so an adjustment is never applied
/// twice and never lost. Each item is audited as <see cref="AuditOperations.UpdateSubscriptionQuantity"/>.
/// </summary>
internal sealed class QuantitySyncEngine : IQuantitySyncEngine
{
    /// <summary>The earliest effective date written: the first day of SQL Server's <c>datetime</c>; no contract bills before it.</summary>
    private static readonly LocalDate EarliestEffectiveDate = new(1753, 1, 1);

    private readonly IAutotaskClientFactory _clients;
    private readonly IMappingStore _store;
    private readonly AuditTrail _audit;
    private readonly TimeProvider _time;
    private readonly DatabaseBinding _binding;

    internal QuantitySyncEngine(IAutotaskClientFactory clients, IMappingStore store, AuditTrail audit, TimeProvider time, DatabaseBinding binding)
    {
        _clients = clients;
        _store = store;
        _audit = audit;
        _time = time;
        _binding = binding;
    }

    /// <inheritdoc />
    public async Task<QuantitySyncReport> SyncAsync(
        string connection, IEnumerable<SubscriptionQuantity> changes, QuantitySyncOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        options ??= new QuantitySyncOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConcurrentWrites, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxWriteAttempts, 1);
        var client = _clients.GetClient(connection);
        var name = client.ConnectionName;
        var settings = await _binding.OpenAsync(name, cancellationToken).ConfigureAwait(false);
        var zone = DateTimeZoneProviders.Tzdb[settings.TimeZone];
        var started = _time.GetCurrentInstant();

        var input = changes.ToList();
        var results = new QuantitySyncItem?[input.Count];
        var latest = Check(input, settings, name, results);
        var work = await ResolveAsync(name, input, latest, options, zone, results, cancellationToken).ConfigureAwait(false);
        var (heads, billed) = await ReadAsync(client, work, options, started, cancellationToken).ConfigureAwait(false);
        var writes = Decide(work, heads, billed, options, results);

        // Each item is audited as soon as its outcome is known, so a batch that is cancelled or dies loses no audit
        // event of a write that was applied.
        if (!options.DryRun)
        {
            foreach (var item in results)
            {
                if (item is not null)
                {
                    await AuditAsync(name, item, started).ConfigureAwait(false);
                }
            }
        }

        var done = input.Count - writes.Count;
        var written = 0;
        options.Progress?.Report(new SyncProgress(done, input.Count, 0));
        await Parallel.ForEachAsync(writes, new ParallelOptions { MaxDegreeOfParallelism = options.MaxConcurrentWrites, CancellationToken = cancellationToken },
            async (write, ct) =>
            {
                var (result, audited) = await WriteAsync(client, write.Item, write.Current, write.Version, options, started, ct).ConfigureAwait(false);
                results[write.Item.Index] = result;
                if (!audited)
                {
                    await AuditAsync(name, result, started).ConfigureAwait(false);
                }

                var writesSoFar = result.Status == QuantitySyncStatus.Applied ? Interlocked.Increment(ref written) : Volatile.Read(ref written);
                options.Progress?.Report(new SyncProgress(Interlocked.Increment(ref done), input.Count, writesSoFar));
            }).ConfigureAwait(false);

        return new QuantitySyncReport { Connection = name, DryRun = options.DryRun, Items = results.Select(r => r!).ToArray(), StartedAt = started, CompletedAt = _time.GetCurrentInstant() };
    }

    /// <inheritdoc />
    public async Task<QuantityPlan> PlanAsync(string connection, IEnumerable<SubscriptionQuantity> changes, QuantityPlanOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new QuantityPlanOptions();
        var report = await SyncAsync(connection, changes, new QuantitySyncOptions { DryRun = true, EffectiveDate = options.EffectiveDate }, cancellationToken).ConfigureAwait(false);
        var database = await _binding.EnsureAsync(report.Connection, cancellationToken).ConfigureAwait(false);
        var items = report.Items.Where(i => i.Status == QuantitySyncStatus.Planned).Select(i => new QuantityPlanItem
        {
            VendorSubscriptionId = i.VendorSubscriptionId!,
            ContractServiceId = i.ContractServiceId!.Value,
            EffectiveDate = i.EffectiveDate!.Value,
            UnitsBefore = i.UnitsBefore!.Value,
            DesiredUnits = i.DesiredUnits,
        }).Select(i => options.Approval?.Decide(i) ?? i).ToArray();
        // Kept to the millisecond, the precision the plan's JSON carries, so that a plan read back is the plan made.
        var created = Instant.FromUnixTimeMilliseconds(report.StartedAt.ToUnixTimeMilliseconds());
        return new QuantityPlan { PlanId = Guid.NewGuid().ToString("N"), Connection = report.Connection, DatabaseCi = database.Ci, CreatedAt = created, Items = items, Report = report };
    }

    /// <inheritdoc />
    public async Task<QuantitySyncReport> ApplyPlanAsync(string connection, QuantityPlan plan, QuantitySyncOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        options ??= new QuantitySyncOptions();
        var name = _clients.GetClient(connection).ConnectionName;
        if (!string.Equals(plan.Connection, name, StringComparison.Ordinal))
        {
            throw new QuantityPlanException($"Plan {plan.PlanId} was made for connection '{plan.Connection}', not '{name}'; nothing was written.", QuantityPlanProblem.OtherConnection);
        }

        var database = await _binding.EnsureAsync(name, cancellationToken).ConfigureAwait(false);
        if (database.Ci != plan.DatabaseCi)
        {
            throw new QuantityPlanException(
                string.Create(CultureInfo.InvariantCulture, $"Plan {plan.PlanId} was read from Autotask database {plan.DatabaseCi}, but connection '{name}' reaches {database} now; nothing was written."),
                QuantityPlanProblem.OtherDatabase);
        }

        // Claimed in the store before anything is written: of two applies, in any processes, one goes on.
        try
        {
            await _store.SetStateAsync(name, PlanStateKey(plan.PlanId), InstantPattern.ExtendedIso.Format(_time.GetCurrentInstant()), 0, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreConcurrencyException ex)
        {
            var claimed = await _store.GetStateAsync(name, PlanStateKey(plan.PlanId), cancellationToken).ConfigureAwait(false);
            throw new QuantityPlanException($"Plan {plan.PlanId} was applied already (at {claimed?.Value}); nothing was written again. Make a new plan for what is left.", QuantityPlanProblem.AlreadyApplied, ex);
        }

        var approved = plan.Items.Select((item, index) => (item, index)).Where(p => p.item.Decision == PlanDecision.Approved).ToList();
        var planned = new Dictionary<string, (long, LocalDate, int)>(StringComparer.Ordinal);
        foreach (var (item, _) in approved)
        {
            planned[item.VendorSubscriptionId] = (item.ContractServiceId, item.EffectiveDate, item.UnitsBefore);
        }

        var report = await SyncAsync(name, approved.Select(p => new SubscriptionQuantity(p.item.VendorSubscriptionId, p.item.DesiredUnits, plan.CreatedAt)),
            options with { DryRun = false, PlannedUnits = planned }, cancellationToken).ConfigureAwait(false);
        var results = new QuantitySyncItem[plan.Items.Count];
        for (var i = 0; i < approved.Count; i++)
        {
            results[approved[i].index] = report.Items[i] with { Index = approved[i].index };
        }

        for (var i = 0; i < results.Length; i++)
        {
            var item = plan.Items[i];
            results[i] ??= new QuantitySyncItem
            {
                Index = i,
                VendorSubscriptionId = item.VendorSubscriptionId,
                Status = QuantitySyncStatus.NotApproved,
                DesiredUnits = item.DesiredUnits,
                UnitsBefore = item.UnitsBefore,
                EffectiveDate = item.EffectiveDate,
                ContractServiceId = item.ContractServiceId,
                Reason = $"{item.Decision}{(item.DecisionReason is null ? "" : ": " + item.DecisionReason)}",
            };
        }

        return report with { Items = results };
    }

    private static string PlanStateKey(string planId) => "autotask.plan." + planId;

    /// <summary>Phase 1: checks every item and keeps the latest change of each subscription (by index); the others get their result here.</summary>
    private static Dictionary<string, int> Check(List<SubscriptionQuantity> input, AutotaskConnectionOptions settings, string name, QuantitySyncItem?[] results)
    {
        var latest = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < input.Count; i++)
        {
            var change = input[i];
            var problem = change switch
            {
                null => "The item is empty.",
                { VendorSubscriptionId: var id } when string.IsNullOrWhiteSpace(id) => "The subscription id is empty.",
                { Quantity: < 0 } => $"The quantity {change.Quantity} is negative; use 0 to cancel.",
                { Currency: { } currency } when settings.Currency is { } own && !string.Equals(currency, own, StringComparison.OrdinalIgnoreCase) =>
                    $"The subscription is in {currency}, but connection '{name}' transacts in {own}.",
                _ => null,
            };
            if (problem is not null)
            {
                results[i] = new QuantitySyncItem { Index = i, VendorSubscriptionId = change?.VendorSubscriptionId, Status = QuantitySyncStatus.Invalid, DesiredUnits = change?.Quantity ?? 0, Reason = problem };
                continue;
            }

            if (latest.TryGetValue(change!.VendorSubscriptionId, out var earlier))
            {
                var keepNew = change.AsOf >= input[earlier].AsOf;
                var superseded = keepNew ? earlier : i;
                results[superseded] = new QuantitySyncItem
                {
                    Index = superseded,
                    VendorSubscriptionId = change.VendorSubscriptionId,
                    Status = QuantitySyncStatus.Superseded,
                    DesiredUnits = input[superseded].Quantity,
                    Reason = "A later change of the same subscription in this batch replaced it.",
                };
                if (!keepNew)
                {
                    continue;
                }
            }

            latest[change.VendorSubscriptionId] = i;
        }

        return latest;
    }

    /// <summary>Phase 2: resolves each subscription's mapping and effective date; unmapped and invalid items get their result here.</summary>
    private async Task<List<WorkItem>> ResolveAsync(
        string name, List<SubscriptionQuantity> input, Dictionary<string, int> latest, QuantitySyncOptions options, DateTimeZone zone, QuantitySyncItem?[] results, CancellationToken cancellationToken)
    {
        var mappings = latest.Count == 0
            ? new Dictionary<string, SubscriptionMapping>()
            : await _store.FindSubscriptionsAsync(name, latest.Keys.ToArray(), cancellationToken).ConfigureAwait(false);
        var work = new List<WorkItem>();
        foreach (var (subscription, index) in latest)
        {
            var change = input[index];
            if (!mappings.TryGetValue(subscription, out var mapping))
            {
                results[index] = new QuantitySyncItem { Index = index, VendorSubscriptionId = subscription, Status = QuantitySyncStatus.Unmapped, DesiredUnits = change.Quantity, Reason = "The subscription is not mapped to a contract service." };
                continue;
            }

            if (change.Currency is { } currency && mapping.Currency is { } mapped && !string.Equals(currency, mapped, StringComparison.OrdinalIgnoreCase))
            {
                results[index] = new QuantitySyncItem { Index = index, VendorSubscriptionId = subscription, Status = QuantitySyncStatus.Invalid, DesiredUnits = change.Quantity, ContractServiceId = mapping.ContractServiceId, Reason = $"The subscription was mapped in {mapped}, not {currency}." };
                continue;
            }

            LocalDate effectiveDate;
            try
            {
                effectiveDate = options.PlannedUnits?.TryGetValue(subscription, out var planned) == true
                    ? planned.EffectiveDate
                    : options.EffectiveDate.EffectiveDate(change.AsOf, zone);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // An instant at the end of time (or a policy of the vendor's own that throws) fails this item only.
                results[index] = new QuantitySyncItem { Index = index, VendorSubscriptionId = subscription, Status = QuantitySyncStatus.Invalid, DesiredUnits = change.Quantity, ContractServiceId = mapping.ContractServiceId, Reason = $"No effective date could be worked out from {change.AsOf}: {ex.Message}" };
                continue;
            }

            if (effectiveDate < EarliestEffectiveDate)
            {
                // Refused here, not by Autotask: the one query of units that all items share would fail them all (a year
                // before 1 has not even a four-digit form).
                results[index] = new QuantitySyncItem { Index = index, VendorSubscriptionId = subscription, Status = QuantitySyncStatus.Invalid, DesiredUnits = change.Quantity, ContractServiceId = mapping.ContractServiceId, Reason = $"The effective date {effectiveDate:uuuu-MM-dd} (from {change.AsOf}) is before {EarliestEffectiveDate:uuuu-MM-dd}: no contract bills that early." };
                continue;
            }

            work.Add(new WorkItem(index, change, mapping, effectiveDate));
        }

        return work;
    }

    /// <summary>
    /// Phase 3: reads where each subscription's ledger stands, then what Autotask bills. The ledger version read first
    /// is what a write names when it begins, so the store refuses the write if anything began or settled since
    /// (ordering by the store, never by the clocks of different processes). Earlier writes of unknown outcome are
    /// settled from the units read: after their lease (by the store's clock) whatever the units say, and within it as
    /// soon as the units show them applied. A younger pending entry whose units do not show it may still be committed,
    /// and is left pending.
    /// </summary>
    private async Task<(Dictionary<string, LedgerHead> Heads, BilledUnits Billed)> ReadAsync(
        IAutotaskClient client, List<WorkItem> work, QuantitySyncOptions options, Instant started, CancellationToken cancellationToken)
    {
        var name = client.ConnectionName;
        var lease = Duration.FromTimeSpan(options.PendingLease);
        var heads = work.Count == 0 || options.DryRun
            ? new Dictionary<string, LedgerHead>()
            : new Dictionary<string, LedgerHead>(await _store.GetLedgerHeadsAsync(name, work.Select(w => w.Mapping.VendorSubscriptionId).ToArray(), cancellationToken).ConfigureAwait(false));
        var pending = heads.Values.Where(h => h.Pending is not null).ToList();
        var billed = await BilledUnits.ReadAsync(client,
            work.Select(w => w.Mapping.ContractServiceId).Concat(pending.Select(h => h.Pending!.ContractServiceId)).Distinct().ToArray(),
            work.Select(w => w.EffectiveDate).Concat(pending.Select(h => h.Pending!.EffectiveDate)).ToArray(), cancellationToken).ConfigureAwait(false);
        foreach (var head in pending)
        {
            var entry = head.Pending!;
            var units = billed.On(entry.ContractServiceId, entry.EffectiveDate);
            var outcome = Outcome(entry, units);
            var expired = head.PendingFor >= lease;
            if (!expired && outcome != AdjustmentState.Applied)
            {
                // Within its lease only units that show the write prove anything: it has landed, and a write lands once.
                // Units at its start prove nothing while Autotask may still commit it.
                continue;
            }

            // The units were read while the entry was the subscription's pending entry, so nothing else could begin
            // meanwhile: they are current at the version this settle makes. Settled by another sync first: the write
            // finds the ledger moved and reads again.
            var settled = await SettleAsync(name, entry.OperationId, outcome, null, SettleEvent(name, entry, outcome, units, expired, started)).ConfigureAwait(false);
            heads[entry.VendorSubscriptionId] = new LedgerHead { VendorSubscriptionId = entry.VendorSubscriptionId, Version = settled ?? -1 };
        }

        return (heads, billed);
    }

    /// <summary>
    /// The audit event of a write of unknown outcome that this sync settles from the units: applied (the adjustment is in
    /// Autotask, and this is its one applied event), or indeterminate (it may be, beside someone else's change). Not
    /// applied: nothing happened in Autotask, and the item's own event says what this sync does.
    /// </summary>
    private AuditEvent? SettleEvent(string connection, AdjustmentLedgerEntry entry, AdjustmentState outcome, int? units, bool afterLease, Instant started)
    {
        var change = string.Create(CultureInfo.InvariantCulture, $"Units {entry.UnitsBefore} -> {entry.UnitsAfter} ({entry.UnitChange:+#;-#;0}) from {entry.EffectiveDate:uuuu-MM-dd}");
        var (status, details) = outcome switch
        {
            AdjustmentState.Applied => (AuditStatus.Succeeded,
                $"{change}: applied by a write begun at {entry.RecordedAt} whose outcome was not known (its answer was lost, or its sync stopped); " +
                $"settled by this sync from the units Autotask bills, {(afterLease ? "after its pending lease" : "within its pending lease, as they showed it")}."),
            AdjustmentState.Indeterminate => (AuditStatus.Failed,
                string.Create(CultureInfo.InvariantCulture, $"{change}: a write begun at {entry.RecordedAt} could not be told applied or not: after its pending lease the contract service bills {units?.ToString(CultureInfo.InvariantCulture) ?? "nothing on that date"}, neither its start nor its target (someone else changed the units). Check contract service {entry.ContractServiceId} for an adjustment of {entry.UnitChange:+#;-#;0}; this sync settled it and decides afresh from the units.")),
            _ => (AuditStatus.Skipped, (string?)null),
        };
        return status == AuditStatus.Skipped ? null : _audit.Create(AuditOperations.UpdateSubscriptionQuantity, connection, status, started, details,
            new Dictionary<string, string> { ["subscription"] = entry.VendorSubscriptionId },
            new Dictionary<string, long> { ["contractService"] = entry.ContractServiceId },
            entry.OperationId);
    }

    /// <summary>Phase 4: decides each item from the units read: unchanged, planned, in progress elsewhere, or a write to make.</summary>
    private static List<(WorkItem Item, int Current, long Version)> Decide(
        List<WorkItem> work, Dictionary<string, LedgerHead> heads, BilledUnits billed, QuantitySyncOptions options, QuantitySyncItem?[] results)
    {
        var lease = Duration.FromTimeSpan(options.PendingLease);
        var writes = new List<(WorkItem Item, int Current, long Version)>();
        foreach (var item in work)
        {
            var current = billed.On(item.Mapping.ContractServiceId, item.EffectiveDate);
            var baseResult = new QuantitySyncItem
            {
                Index = item.Index,
                VendorSubscriptionId = item.Mapping.VendorSubscriptionId,
                Status = QuantitySyncStatus.Unchanged,
                DesiredUnits = item.Change.Quantity,
                UnitsBefore = current,
                EffectiveDate = item.EffectiveDate,
                ContractServiceId = item.Mapping.ContractServiceId,
            };
            if (!options.DryRun && heads.TryGetValue(item.Mapping.VendorSubscriptionId, out var head) && head.Pending is { } inFlight && head.PendingFor < lease)
            {
                results[item.Index] = baseResult with { Status = QuantitySyncStatus.Failed, Reason = Unsettled(inFlight, options.PendingLease) };
            }
            else if (current is null)
            {
                results[item.Index] = baseResult with
                {
                    Status = QuantitySyncStatus.Invalid,
                    Reason = $"The effective date {item.EffectiveDate:uuuu-MM-dd} is outside the billing periods of contract service {item.Mapping.ContractServiceId}.",
                };
            }
            else if (current == item.Change.Quantity)
            {
                results[item.Index] = baseResult;
            }
            else if (StaleAgainstPlan(options, item, current.Value) is { } stale)
            {
                results[item.Index] = baseResult with { Status = QuantitySyncStatus.Stale, Reason = stale };
            }
            else if (options.DryRun)
            {
                results[item.Index] = baseResult with { Status = QuantitySyncStatus.Planned, UnitChange = item.Change.Quantity - current };
            }
            else
            {
                writes.Add((item, current.Value, heads[item.Mapping.VendorSubscriptionId].Version));
            }
        }

        return writes;
    }

    /// <summary>
    /// Writes one subscription's difference. The write begins only from the ledger version read before the units
    /// (<paramref name="version"/>); when the store says the ledger moved since, the units are read again first.
    /// </summary>
    /// <returns>The item's result, and whether its audit event is recorded already (with the settle of an applied write).</returns>
    private async Task<(QuantitySyncItem Result, bool Audited)> WriteAsync(
        IAutotaskClient client, WorkItem item, int current, long version, QuantitySyncOptions options, Instant started, CancellationToken cancellationToken)
    {
        var name = client.ConnectionName;
        var subscription = item.Mapping.VendorSubscriptionId;
        var desired = item.Change.Quantity;
        var result = new QuantitySyncItem
        {
            Index = item.Index,
            VendorSubscriptionId = subscription,
            Status = QuantitySyncStatus.Failed,
            DesiredUnits = desired,
            UnitsBefore = current,
            EffectiveDate = item.EffectiveDate,
            ContractServiceId = item.Mapping.ContractServiceId,
        };

        var attempt = 0;
        var rereads = 0;
        while (attempt < options.MaxWriteAttempts)
        {
            var entry = new AdjustmentLedgerEntry
            {
                OperationId = Guid.NewGuid().ToString("N"),
                Connection = name,
                VendorSubscriptionId = subscription,
                ContractId = item.Mapping.ContractId,
                ContractServiceId = item.Mapping.ContractServiceId,
                EffectiveDate = item.EffectiveDate,
                UnitsBefore = current,
                UnitsAfter = desired,
            };
            switch (await _store.TryBeginAdjustmentAsync(entry, version, cancellationToken).ConfigureAwait(false))
            {
                case AdjustmentBeginOutcome.Busy:
                {
                    var head = (await _store.GetLedgerHeadsAsync(name, [subscription], cancellationToken).ConfigureAwait(false))[subscription];
                    return (result with
                    {
                        Reason = head.Pending is { } busy
                            ? Unsettled(busy, options.PendingLease)
                            : "A write of this subscription was pending when this one was about to begin, and is settled now; run the sync again.",
                    }, false);
                }

                case AdjustmentBeginOutcome.Stale:
                {
                    // Another sync began or settled a write of this subscription since this one read: read again, the
                    // ledger first, then the units.
                    if (++rereads > options.MaxWriteAttempts)
                    {
                        return (result with { Reason = $"Other syncs kept adjusting this subscription; it was read {rereads - 1} times without a chance to write. Run the sync again." }, false);
                    }

                    var head = (await _store.GetLedgerHeadsAsync(name, [subscription], cancellationToken).ConfigureAwait(false))[subscription];
                    if (head.Pending is { } pending)
                    {
                        return (result with { Reason = Unsettled(pending, options.PendingLease) }, false);
                    }

                    var fresh = await ReadUnitsAsync(client, item, cancellationToken).ConfigureAwait(false);
                    if (fresh == desired)
                    {
                        return (result with { Status = QuantitySyncStatus.Unchanged, UnitsBefore = fresh, Reason = "Another sync brought the units to the desired quantity meanwhile." }, false);
                    }

                    if (fresh is null)
                    {
                        return (result with { Reason = "The contract service's billing periods could not be read again." }, false);
                    }

                    if (StaleAgainstPlan(options, item, fresh.Value) is { } stale)
                    {
                        return (result with { Status = QuantitySyncStatus.Stale, UnitsBefore = fresh, Reason = stale }, false);
                    }

                    (version, current) = (head.Version, fresh.Value);
                    result = result with { UnitsBefore = current };
                    continue;
                }
            }

            attempt++;

            // The write must be over well inside its lease: the hourly budget, the per-entity limit and retries can hold
            // a request back for minutes, and once the lease has passed another sync may settle this entry and write
            // again. So a write not over within half the lease is abandoned (not sent, or of unknown outcome): the entry
            // stays pending and a sync after the lease settles it from the units. A lease of zero sets no fence.
            using var fence = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (options.PendingLease > TimeSpan.Zero)
            {
                fence.CancelAfter(options.PendingLease / 2);
            }

            try
            {
                var id = await client.CreateAsync(new ContractServiceAdjustment
                {
                    ContractId = item.Mapping.ContractId,
                    ContractServiceId = item.Mapping.ContractServiceId,
                    EffectiveDate = item.EffectiveDate,
                    UnitChange = desired - current,
                }, fence.Token).ConfigureAwait(false);
                return await SettleAppliedAsync(name, entry, result with { Status = QuantitySyncStatus.Applied, UnitChange = desired - current, AdjustmentId = id }, started).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (fence.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return (result with
                {
                    Reason = await UnsettledAsync(name, entry, options.PendingLease,
                        $"The write was not over within half the pending lease ({options.PendingLease / 2}), so it was abandoned; it may or may not have reached Autotask.", cancellationToken).ConfigureAwait(false),
                }, false);
            }
            catch (Exception ex) when (ex is AutotaskCommunicationException { RequestMayHaveBeenApplied: true } or AutotaskServerException)
            {
                // The outcome is unknown (no answer, a timeout, a 5xx): read the units back before deciding anything. While
                // this entry is pending no other sync can write the subscription, so what is read is this write's doing or nobody's.
                int? now;
                try
                {
                    now = await ReadUnitsAsync(client, item, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception readFailure) when (readFailure is AutotaskRequestException or AutotaskConnectionException)
                {
                    // Left pending: the next sync reads the units and settles it.
                    return (result with { Reason = $"The write's outcome is unknown ({ex.Message}) and the units could not be read back ({readFailure.Message}); the next sync settles it from the units." }, false);
                }

                var outcome = Outcome(entry, now);
                if (outcome == AdjustmentState.Applied)
                {
                    return await SettleAppliedAsync(name, entry, result with { Status = QuantitySyncStatus.Applied, UnitChange = desired - current }, started).ConfigureAwait(false);
                }

                if (MayCommitLate(ex))
                {
                    // No answer at all (or a gateway's): the server may still be processing the write and commit it after
                    // this read-back. Nothing Autotask offers proves it will not (adjustments cannot be queried, a write
                    // carries no idempotency key, and neither a dropped connection nor a gateway's 504 says the server
                    // stopped), so the entry stays pending: any sync settles it as applied as soon as the units show it,
                    // and from whatever they show once the lease has passed. Writing again now (from the old units, or
                    // from units someone else changed meanwhile) could apply it twice.
                    return (result with
                    {
                        Reason = await UnsettledAsync(name, entry, options.PendingLease,
                            $"The write's answer was lost ({ex.Message}) and the units read back do not show it yet, but it may still be committed.", cancellationToken).ConfigureAwait(false),
                    }, false);
                }

                var settled = await SettleAsync(name, entry.OperationId, outcome, null, null).ConfigureAwait(false);
                if (now is null)
                {
                    return (result with { Reason = "The contract service's billing periods could not be read back." }, false);
                }

                // Settled by this sync: its read-back is current at the version the settle made. Settled by another
                // (after the lease): the begin will find the ledger moved and read again.
                result = result with { Reason = ex.Message, UnitsBefore = now };
                (version, current) = (settled ?? -1, now.Value);
            }
            catch (Exception ex) when (ex is AutotaskRequestException or AutotaskConnectionException)
            {
                // Refused by Autotask, or before anything was sent (the connection was removed, or now reaches another database).
                await SettleAsync(name, entry.OperationId, AdjustmentState.NotApplied, null, null).ConfigureAwait(false);
                return (result with { Reason = ex.Message }, false);
            }

            // A cancellation mid-write leaves the entry pending: its outcome is unknown, and the next sync settles it.
        }

        return (result with { Reason = $"Not applied after {options.MaxWriteAttempts} attempts. Last failure: {result.Reason}" }, false);
    }

    /// <summary>
    /// Settles a write this sync knows was applied (Autotask answered, or the units read back show it), with its audit
    /// event. When another sync settled the entry first: if that sync saw the write in the units, it recorded the one
    /// applied event; if it took the write for not applied (its lease had passed), this sync records it, with a warning
    /// that the change may now be in Autotask twice.
    /// </summary>
    private async Task<(QuantitySyncItem Result, bool Audited)> SettleAppliedAsync(string name, AdjustmentLedgerEntry entry, QuantitySyncItem applied, Instant started)
    {
        if (await SettleAsync(name, entry.OperationId, AdjustmentState.Applied, applied.AdjustmentId, ItemEvent(name, applied, started, entry.OperationId)).ConfigureAwait(false) is not null)
        {
            return (applied, true);
        }

        var settled = (await _store.GetLedgerAsync(name, entry.VendorSubscriptionId, CancellationToken.None).ConfigureAwait(false)).FirstOrDefault(e => e.OperationId == entry.OperationId);
        if (settled?.State == AdjustmentState.Applied)
        {
            return (applied with { Reason = "Another sync saw this write in the units and settled it first; that sync recorded its audit event." }, true);
        }

        var late = applied with
        {
            Reason = "Applied, but only after another sync had taken this write for abandoned (its pending lease had passed): check the contract service for a second adjustment; the next sync corrects the units if there is one, and a longer PendingLease avoids it.",
        };
        await _audit.WriteAsync(ItemEvent(name, late, started, entry.OperationId)).ConfigureAwait(false);
        return (late, true);
    }

    /// <summary>Applying a plan: why the item is stale (its units, or its contract service, are no longer what the plan saw), or <c>null</c>.</summary>
    private static string? StaleAgainstPlan(QuantitySyncOptions options, WorkItem item, int current) =>
        options.PlannedUnits?.TryGetValue(item.Mapping.VendorSubscriptionId, out var planned) != true ? null
        : item.Mapping.ContractServiceId != planned.ContractServiceId ? $"The plan was made for contract service {planned.ContractServiceId}, but the subscription is mapped to {item.Mapping.ContractServiceId} now; nothing was written. Make a new plan."
        : current != planned.UnitsBefore ? string.Create(CultureInfo.InvariantCulture, $"The plan saw {planned.UnitsBefore} units, but Autotask bills {current} now; nothing was written. Make a new plan.")
        : null;

    private static async Task<int?> ReadUnitsAsync(IAutotaskClient client, WorkItem item, CancellationToken cancellationToken) =>
        (await BilledUnits.ReadAsync(client, [item.Mapping.ContractServiceId], [item.EffectiveDate], cancellationToken).ConfigureAwait(false))
            .On(item.Mapping.ContractServiceId, item.EffectiveDate);

    /// <summary>
    /// What a pending entry's outcome was, from the units read while it was the subscription's latest entry: its
    /// target means applied, its start means not applied, anything else means someone else changed the units and the
    /// outcome cannot be told.
    /// </summary>
    private static AdjustmentState Outcome(AdjustmentLedgerEntry entry, int? units) =>
        units == entry.UnitsAfter ? AdjustmentState.Applied
        : units == entry.UnitsBefore ? AdjustmentState.NotApplied
        : AdjustmentState.Indeterminate;

    /// <summary>What a pending entry of this subscription is, and when it is settled at the latest.</summary>
    private static string Unsettled(AdjustmentLedgerEntry pending, TimeSpan lease) =>
        string.Create(CultureInfo.InvariantCulture,
            $"A write of this subscription ({pending.UnitsBefore} -> {pending.UnitsAfter} units, begun at {pending.RecordedAt}) has no known outcome yet: its answer was lost, or it is still on its way to Autotask. ") +
        Settles(pending, lease);

    private static string Settles(AdjustmentLedgerEntry pending, TimeSpan lease) => string.Create(CultureInfo.InvariantCulture,
        $"It is pending in the ledger, and so that it is never applied twice nothing more is written until it is settled from the units Autotask bills: at {pending.RecordedAt + Duration.FromTimeSpan(lease)} or earlier, as soon as they show it.");

    /// <summary>Why this sync's own write is left pending, and when it is settled at the latest (from the ledger's head, which has the store's stamp).</summary>
    private async Task<string> UnsettledAsync(string name, AdjustmentLedgerEntry entry, TimeSpan lease, string what, CancellationToken cancellationToken)
    {
        var head = (await _store.GetLedgerHeadsAsync(name, [entry.VendorSubscriptionId], cancellationToken).ConfigureAwait(false))[entry.VendorSubscriptionId];
        return head.Pending is { } pending && pending.OperationId == entry.OperationId
            ? $"{what} {Settles(pending, lease)}"
            : $"{what} Another sync has settled it since, from the units Autotask bills.";
    }

    /// <summary>
    /// Settles a ledger entry; one that another sync settled already (after its lease) is left as it is. The audit event
    /// of the settle, if any, is recorded by the sync whose settle the store accepts, and by no other: in the settle's own
    /// transaction when the store is itself an audit sink (<see cref="IAuditedLedgerStore"/>), right after it otherwise.
    /// </summary>
    /// <returns>The subscription's ledger version after the settle, or <c>null</c> when another sync had settled it.</returns>
    private async Task<long?> SettleAsync(string connection, string operationId, AdjustmentState state, long? adjustmentId, AuditEvent? auditEvent)
    {
        var recordedBy = auditEvent is not null && _store is IAuditedLedgerStore audited && _audit.Includes(audited) ? audited : null;
        long version;
        try
        {
            version = recordedBy is not null
                ? await recordedBy.SettleAdjustmentAndAuditAsync(connection, operationId, state, adjustmentId, auditEvent!, CancellationToken.None).ConfigureAwait(false)
                : await _store.SettleAdjustmentAsync(connection, operationId, state, adjustmentId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (StoreConcurrencyException)
        {
            // Settled by another sync; that sync read the units, so nothing is lost, and it recorded what it settled.
            return null;
        }

        if (auditEvent is not null)
        {
            await _audit.WriteAsync(auditEvent, recordedBy).ConfigureAwait(false);
        }

        return version;
    }

    /// <summary>
    /// Whether a failed write may still be committed after the failure: the connection broke without an answer, or a
    /// gateway answered in the server's stead (502, 504). A 500 or 503 from Autotask itself says its processing ended.
    /// </summary>
    private static bool MayCommitLate(Exception exception) =>
        exception is AutotaskCommunicationException || exception is AutotaskRequestException { StatusCode: HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout };

    private Task AuditAsync(string connection, QuantitySyncItem item, Instant started) => _audit.WriteAsync(ItemEvent(connection, item, started));

    /// <summary>The audit event of an item; an applied write's is named by its ledger entry's operation id.</summary>
    private AuditEvent ItemEvent(string connection, QuantitySyncItem item, Instant started, string? eventId = null)
    {
        var (status, details) = item.Status switch
        {
            QuantitySyncStatus.Applied => (AuditStatus.Succeeded,
                string.Create(CultureInfo.InvariantCulture, $"Units {item.UnitsBefore} -> {item.DesiredUnits} ({item.UnitChange:+#;-#;0}) from {item.EffectiveDate:uuuu-MM-dd}.{(item.Reason is null ? "" : " " + item.Reason)}")),
            QuantitySyncStatus.Unchanged => (AuditStatus.Skipped, string.Create(CultureInfo.InvariantCulture, $"Autotask already bills {item.DesiredUnits} units.")),
            QuantitySyncStatus.Superseded => (AuditStatus.Skipped, item.Reason),
            _ => (AuditStatus.Failed, $"{item.Status}: {item.Reason}"),
        };
        var vendorIds = item.VendorSubscriptionId is { Length: > 0 } id ? new Dictionary<string, string> { ["subscription"] = id } : null;
        var autotaskIds = new Dictionary<string, long>();
        if (item.ContractServiceId is { } line)
        {
            autotaskIds["contractService"] = line;
        }

        if (item.AdjustmentId is { } adjustment)
        {
            autotaskIds["adjustment"] = adjustment;
        }

        return _audit.Create(AuditOperations.UpdateSubscriptionQuantity, connection, status, started, details, vendorIds, autotaskIds, eventId);
    }

    private sealed record WorkItem(int Index, SubscriptionQuantity Change, SubscriptionMapping Mapping, LocalDate EffectiveDate);
}

/// <summary>The units billed per contract service and period, read with <c>in</c> filters of up to 500 ids a query.</summary>
internal sealed class BilledUnits
{
    private readonly Dictionary<long, List<ContractServiceUnit>> _byLine;

    private BilledUnits(Dictionary<long, List<ContractServiceUnit>> byLine) => _byLine = byLine;

    public static async Task<BilledUnits> ReadAsync(IAutotaskClient client, IReadOnlyList<long> contractServiceIds, IReadOnlyList<LocalDate> dates, CancellationToken cancellationToken)
    {
        var byLine = contractServiceIds.ToDictionary(id => id, _ => new List<ContractServiceUnit>());
        if (contractServiceIds.Count == 0)
        {
            return new BilledUnits(byLine);
        }

        var from = dates.Min();
        var to = dates.Max();
        foreach (var chunk in contractServiceIds.Chunk(QueryFilter.MaxListValues))
        {
            var query = new AutotaskQuery<ContractServiceUnit>().Where(
                Filter<ContractServiceUnit>.In(u => u.ContractServiceId, chunk),
                Filter<ContractServiceUnit>.Lte(u => u.StartDate, to),
                Filter<ContractServiceUnit>.Gte(u => u.EndDate, from));
            await foreach (var unit in client.QueryAsync(query, cancellationToken).ConfigureAwait(false))
            {
                if (byLine.TryGetValue(unit.ContractServiceId, out var list))
                {
                    list.Add(unit);
                }
            }
        }

        return new BilledUnits(byLine);
    }

    /// <summary>The units billed on a day, or <c>null</c> when no billing period of the line covers it.</summary>
    public int? On(long contractServiceId, LocalDate date)
    {
        if (!_byLine.TryGetValue(contractServiceId, out var units))
        {
            return null;
        }

        foreach (var unit in units)
        {
            if (unit.StartDate <= date && (unit.EndDate is null || unit.EndDate >= date))
            {
                return unit.Units;
            }
        }

        return null;
    }
}
