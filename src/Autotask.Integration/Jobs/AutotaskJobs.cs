using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Autotask.Integration.Alerts;
using Autotask.Integration.Auditing;
using Autotask.Integration.Connections;
using Autotask.Integration.Diagnostics;
using Autotask.Integration.Inbound;
using Autotask.Integration.Json;
using Autotask.Integration.Mapping;
using Autotask.Integration.Sync;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Text;

namespace Autotask.Integration.Jobs;

/// <summary>
/// Tells the job running on the current async flow of each wait on Autotask's hourly allowance (the request limits
/// call <see cref="LimitWaited"/>), so a run counts them without a process-wide listener, apart from other runs.
/// </summary>
internal static class JobScope
{
    private static readonly AsyncLocal<Action?> Current = new();

    public static void LimitWaited() => Current.Value?.Invoke();

    public static void Begin(Action onWait) => Current.Value = onWait;
}

internal sealed class AutotaskJobs(
    IServiceProvider services, IAutotaskClientFactory clients, IMappingStore store, DatabaseBinding binding, TimeProvider time,
    IUsageBillingEngine usage, QuantitySyncEngine quantities, IInboundSyncEngine inbound, AutotaskInstruments instruments) : IAutotaskJobs
{
    /// <summary>How many runs of each job and connection the history keeps.</summary>
    internal const int HistoryLength = 50;

    /// <summary>How many missed invoice dates one usage run catches up on.</summary>
    internal const int MaxCatchUp = 24;

    /// <summary>Where usage billing keeps its state: what is settled, and the periods billed since with what is left of them.</summary>
    internal const string LastBilledKey = "autotask.jobs.usage-billing.last";

    /// <summary>How often a run renews its job's lease.</summary>
    internal static readonly TimeSpan LeaseRenewal = TimeSpan.FromSeconds(15);

    /// <summary>How long a lease whose holder is not known to have stopped must go unrenewed (by the waiting instance's own clock) before it is taken over.</summary>
    internal static readonly TimeSpan LeaseSilence = TimeSpan.FromMinutes(2);

    private readonly ProcessJobInstances _defaultInstances = new();

    /// <summary>The runs going on in this instance (by id), so that a lease this instance holds for a run that ended is known stale.</summary>
    private readonly ConcurrentDictionary<string, byte> _running = new(StringComparer.Ordinal);

    /// <summary>Per connection and job: the version of a lease held by another instance and when this instance first saw it.</summary>
    private readonly ConcurrentDictionary<string, (long Version, long SeenAt)> _silent = new(StringComparer.Ordinal);

    private IJobInstances Instances => services.GetService<IJobInstances>() ?? _defaultInstances;

    private AuditTrail Audit => services.GetRequiredService<AuditTrail>();

    /// <inheritdoc />
    public Task<JobRun> BillUsageAsync(string connection, IProgress<JobProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var source = Require<IUsageSource>();
        return RunAsync(connection, AutotaskJobNames.UsageBilling, progress, async (name, tally, ct) =>
        {
            if (await source.GetBillingOptionsAsync(name, ct).ConfigureAwait(false) is not { } options)
            {
                return "The connection bills no usage.";
            }

            var calendar = options.Calendar;
            var zone = DateTimeZoneProviders.Tzdb[(await binding.OpenAsync(name, ct).ConfigureAwait(false)).TimeZone];
            var latest = calendar.PreviousInvoiceDate(time.GetCurrentInstant().InZone(zone).Date);
            var (state, _) = await ReadUsageStateAsync(name, ct).ConfigureAwait(false);
            var due = DueDates(state, calendar, latest);
            tally.PeriodsDue = Unsettled(state, calendar, latest);
            var billed = new List<string>();
            // Subscriptions with an earlier period not settled: their later periods wait, as an adjustment counts from its
            // date on and one written for an earlier date after a later one would change the later period's units.
            var blocked = new HashSet<string>(StringComparer.Ordinal);
            var current = default(LocalDate?);
            try
            {
                foreach (var date in due)
                {
                    if (state.Find(date) is { IsSettled: true })
                    {
                        continue;
                    }

                    current = date;
                    var started = time.GetCurrentInstant();
                    var period = calendar.PeriodBilledOn(date);
                    var (record, count) = await BillPeriodAsync(name, source, options, period, state.Find(date), blocked, tally, ct).ConfigureAwait(false);
                    state = await UpdateUsageStateAsync(name, calendar, latest, s => s.With(Merge(s.Find(date), record)), CancellationToken.None).ConfigureAwait(false);
                    var saved = state.Find(date) ?? record with { Open = [] };
                    foreach (var open in saved.Open)
                    {
                        blocked.Add(open.VendorSubscriptionId);
                    }

                    billed.Add(Describe(date, saved));
                    await Audit.WriteAsync(AuditOperations.BillUsagePeriod, name, saved.IsSettled ? AuditStatus.Succeeded : AuditStatus.Failed, started,
                        AuditDetails(period, count, saved)).ConfigureAwait(false);
                    current = null;
                }
            }
            catch (Exception ex) when (!(ex is OperationCanceledException && ct.IsCancellationRequested))
            {
                // The period could not be billed at all (the usage source threw, Autotask could not be read): it stays
                // due with the error, and the failed attempt counts for the scheduler's backoff.
                var error = $"{ex.GetType().Name}: {ex.Message}";
                try
                {
                    state = await UpdateUsageStateAsync(name, calendar, latest, s =>
                    {
                        var counted = CountAttempt(s, latest);
                        return current is { } failed && !(s.SettledThrough >= failed)
                            ? counted.With((s.Find(failed) ?? new UsagePeriodState { InvoiceDate = failed }) with { Error = error })
                            : counted;
                    }, CancellationToken.None).ConfigureAwait(false);
                    tally.PeriodsDue = Unsettled(state, calendar, latest);
                }
                catch (AutotaskException)
                {
                    // The store is away too: the run's own error is what the caller needs.
                }

                throw;
            }

            state = await UpdateUsageStateAsync(name, calendar, latest, s => Unsettled(s, calendar, latest).Count > 0 ? CountAttempt(s, latest) : s, CancellationToken.None).ConfigureAwait(false);
            var left = Unsettled(state, calendar, latest);
            tally.PeriodsDue = left;
            if (due.Count == 0)
            {
                return $"Nothing due: {latest:uuuu-MM-dd} was billed already.";
            }

            var text = billed.Count == 0 ? "Nothing left to bill." : $"Billed {string.Join(", ", billed)}.";
            return left.Count == 0 ? text : $"{text} Still due: {string.Join(", ", left.Select(d => d.ToString("uuuu-MM-dd", CultureInfo.InvariantCulture)))}.";
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<UsageBillingStatus> GetUsageBillingStatusAsync(string connection, CancellationToken cancellationToken = default)
    {
        var source = Require<IUsageSource>();
        var name = clients.GetClient(connection).ConnectionName;
        if (await UsageCalendarAsync(source, name, cancellationToken).ConfigureAwait(false) is not var (calendar, latest))
        {
            return new UsageBillingStatus { Connection = name };
        }

        var (state, _) = await ReadUsageStateAsync(name, cancellationToken).ConfigureAwait(false);
        return Status(name, Normalize(state, calendar, latest), calendar, latest);
    }

    /// <inheritdoc />
    public async Task<UsageBillingStatus> SettleUsagePeriodAsync(
        string connection, LocalDate invoiceDate, string decidedBy, string reason, IReadOnlyCollection<string>? vendorSubscriptionIds = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(decidedBy);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        var source = Require<IUsageSource>();
        var name = clients.GetClient(connection).ConnectionName;
        var (calendar, latest) = await UsageCalendarAsync(source, name, cancellationToken).ConfigureAwait(false)
            ?? throw new AutotaskConfigurationException($"Connection '{name}' bills no usage (its IUsageSource gives no billing options): there is no period to settle.", name);
        var period = calendar.PeriodBilledOn(invoiceDate);
        if (invoiceDate > latest)
        {
            throw new ArgumentException($"{invoiceDate:uuuu-MM-dd} has not come yet (the latest invoice date is {latest:uuuu-MM-dd}): only a period that is due can be settled.", nameof(invoiceDate));
        }

        var wanted = vendorSubscriptionIds?.ToHashSet(StringComparer.Ordinal);
        var started = time.GetCurrentInstant();
        UsagePeriodState? before = null;
        var already = false;
        var state = await UpdateUsageStateAsync(name, calendar, latest, s =>
        {
            before = s.Find(invoiceDate);
            already = s.SettledThrough >= invoiceDate || before is { IsSettled: true } || wanted is not null && before is not null && !before.Open.Any(o => wanted.Contains(o.VendorSubscriptionId)) && before.Billed;
            if (already)
            {
                return s;
            }

            var record = before ?? new UsagePeriodState { InvoiceDate = invoiceDate };
            record = wanted is null
                ? record with { Decided = true, Error = null, Open = [], Settled = [.. record.Settled.Union(record.Open.Select(o => o.VendorSubscriptionId))] }
                : record with { Open = [.. record.Open.Where(o => !wanted.Contains(o.VendorSubscriptionId))], Settled = [.. record.Settled.Union(wanted)] };
            return s.With(record);
        }, cancellationToken).ConfigureAwait(false);

        var left = before?.Open.Where(o => wanted is null || wanted.Contains(o.VendorSubscriptionId)).ToList() ?? [];
        var what = wanted is null ? "the period" : $"subscription(s) {string.Join(", ", wanted.Order(StringComparer.Ordinal))} of the period";
        var details = already
            ? $"Period {period.Start:uuuu-MM-dd} to {invoiceDate:uuuu-MM-dd}: settled already; nothing changed (asked by {decidedBy}: {reason})."
            : $"Period {period.Start:uuuu-MM-dd} to {invoiceDate:uuuu-MM-dd}: {what} settled as it is by {decidedBy}: {reason}." +
              (left.Count == 0 ? (before?.Billed == true ? "" : " It had not been billed; its usage is not billed.") : $" Not billed: {Items(left)}.");
        await Audit.WriteAsync(AuditOperations.SettleUsagePeriod, name, already ? AuditStatus.Skipped : AuditStatus.Succeeded, started, details).ConfigureAwait(false);
        return Status(name, state, calendar, latest);
    }

    /// <summary>Bills what is left of one period: the figures of subscriptions not settled in it, except those held back by an earlier period.</summary>
    private async Task<(UsagePeriodState Record, int Billed)> BillPeriodAsync(
        string name, IUsageSource source, UsageBillingOptions options, BillingPeriod period, UsagePeriodState? record, HashSet<string> blocked, Tally tally, CancellationToken ct)
    {
        var figures = await source.GetUsageAsync(name, period, ct).ConfigureAwait(false);
        var settledBefore = new HashSet<string>(record?.Settled ?? [], StringComparer.Ordinal);
        var toBill = new List<SubscriptionUsage>();
        var open = new Dictionary<string, UsageOpenItem>(StringComparer.Ordinal);
        foreach (var figure in figures)
        {
            var id = figure?.VendorSubscriptionId;
            if (id is not null && settledBefore.Contains(id))
            {
                continue;
            }

            if (id is not null && blocked.Contains(id))
            {
                open[id] = new UsageOpenItem
                {
                    VendorSubscriptionId = id, Status = QuantitySyncStatus.Failed, HeldBack = true,
                    Reason = "Held back: an earlier period of this subscription is not settled yet; periods are billed in order.",
                };
                continue;
            }

            toBill.Add(figure!);
        }

        tally.AddTotal(toBill.Count + open.Count);
        var settled = new HashSet<string>(StringComparer.Ordinal);
        if (toBill.Count > 0)
        {
            var report = await usage.BillAsync(name, period.InvoiceDate, toBill, options with { Sync = options.Sync with { Progress = tally.SyncProgress() } }, ct).ConfigureAwait(false);
            tally.Add(report.Items.Select(i => i.Result));
            foreach (var result in report.Items.Select(i => i.Result))
            {
                if (result.VendorSubscriptionId is not { Length: > 0 } id || result.Status == QuantitySyncStatus.Superseded)
                {
                    continue;
                }

                if (Settles(result.Status))
                {
                    settled.Add(id);
                }
                else
                {
                    open[id] = new UsageOpenItem { VendorSubscriptionId = id, Status = result.Status, Reason = result.Reason };
                }
            }
        }

        for (var i = 0; i < open.Values.Count(o => o.HeldBack); i++)
        {
            tally.Done(write: false, failed: false);
        }

        settled.ExceptWith(open.Keys);
        return (new UsagePeriodState
        {
            InvoiceDate = period.InvoiceDate,
            Billed = true,
            Decided = record?.Decided ?? false,
            Settled = [.. settledBefore.Union(settled).Order(StringComparer.Ordinal)],
            Open = [.. open.Values.OrderBy(o => o.VendorSubscriptionId, StringComparer.Ordinal)],
        }, toBill.Count);
    }

    /// <summary>
    /// Whether an item's status settles it: written and confirmed, billing the units already, or refused as the vendor
    /// gave it (its usage, or its subscription unmapped: the vendor's to correct, and billing it again would refuse it
    /// again). A write that failed, or whose outcome is not known yet, leaves it due.
    /// </summary>
    internal static bool Settles(QuantitySyncStatus status) =>
        status is QuantitySyncStatus.Applied or QuantitySyncStatus.Unchanged or QuantitySyncStatus.Invalid or QuantitySyncStatus.Unmapped or QuantitySyncStatus.Superseded;

    /// <summary>A run's new record of a period, over the one in the store now: a subscription settled meanwhile (by a person) stays settled.</summary>
    private static UsagePeriodState Merge(UsagePeriodState? stored, UsagePeriodState billed)
    {
        if (stored is null)
        {
            return billed;
        }

        var settled = new HashSet<string>(stored.Settled.Concat(billed.Settled), StringComparer.Ordinal);
        return billed with
        {
            Decided = stored.Decided || billed.Decided,
            Settled = [.. settled.Order(StringComparer.Ordinal)],
            Open = stored.Decided ? [] : [.. billed.Open.Where(o => !settled.Contains(o.VendorSubscriptionId))],
        };
    }

    private static UsageState CountAttempt(UsageState state, LocalDate latest) =>
        state with { Attempts = state.AttemptsFor == latest ? state.Attempts + 1 : 1, AttemptsFor = latest };

    private static string Describe(LocalDate date, UsagePeriodState record)
    {
        var text = date.ToString("uuuu-MM-dd", CultureInfo.InvariantCulture);
        var failed = record.Open.Count(o => !o.HeldBack);
        var held = record.Open.Count(o => o.HeldBack);
        if (record.IsSettled)
        {
            return text;
        }

        var parts = new List<string>();
        if (failed > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{failed} item(s) not settled"));
        }

        if (held > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{held} held back"));
        }

        return $"{text} partly ({string.Join(", ", parts)}: due again)";
    }

    private static string AuditDetails(BillingPeriod period, int billed, UsagePeriodState record) =>
        string.Create(CultureInfo.InvariantCulture, $"Period {period.Start:uuuu-MM-dd} to {period.InvoiceDate:uuuu-MM-dd}: {billed} item(s) billed; {record.Settled.Count} subscription(s) settled in all") +
        (record.IsSettled ? "; the period is settled." : $"; still due: {Items(record.Open)}.");

    private static string Items(IEnumerable<UsageOpenItem> items)
    {
        var list = items.ToList();
        var shown = list.Take(10).Select(o => o.HeldBack ? $"{o.VendorSubscriptionId} (held back)" : $"{o.VendorSubscriptionId} ({o.Status}: {o.Reason})");
        return string.Join("; ", shown) + (list.Count > 10 ? string.Create(CultureInfo.InvariantCulture, $"; and {list.Count - 10} more") : "");
    }

    /// <summary>The connection's invoice calendar and latest invoice date (by the application's clock, in the instance's zone), or <c>null</c> when it bills no usage.</summary>
    private async Task<(InvoiceCalendar Calendar, LocalDate Latest)?> UsageCalendarAsync(IUsageSource source, string name, CancellationToken cancellationToken)
    {
        if (await source.GetBillingOptionsAsync(name, cancellationToken).ConfigureAwait(false) is not { } options)
        {
            return null;
        }

        var zone = DateTimeZoneProviders.Tzdb[(await binding.SettingsAsync(name, cancellationToken).ConfigureAwait(false)).TimeZone];
        return (options.Calendar, options.Calendar.PreviousInvoiceDate(time.GetCurrentInstant().InZone(zone).Date));
    }

    private static UsageBillingStatus Status(string name, UsageState state, InvoiceCalendar calendar, LocalDate latest) => new()
    {
        Connection = name,
        SettledThrough = state.SettledThrough,
        FailedAttempts = state.AttemptsFor == latest ? state.Attempts : 0,
        Due = [.. Unsettled(state, calendar, latest).Select(date => state.Find(date) is { } record
            ? new UsagePeriodDue
            {
                InvoiceDate = date, Billed = record.Billed, SettledItems = record.Settled.Count, Error = record.Error,
                Unsettled = [.. record.Open.Select(o => new UsageItemDue { VendorSubscriptionId = o.VendorSubscriptionId, Status = o.Status, HeldBack = o.HeldBack, Reason = o.Reason })],
            }
            : new UsagePeriodDue { InvoiceDate = date })],
    };

    /// <summary>
    /// The invoice dates a run goes through, oldest first: from the first after the last settled one (or the oldest
    /// recorded, or the latest when nothing was billed yet) to the latest, at most <see cref="MaxCatchUp"/>.
    /// </summary>
    internal static List<LocalDate> DueDates(UsageState state, InvoiceCalendar calendar, LocalDate latest)
    {
        var start = state.SettledThrough is { } through ? calendar.NextInvoiceDate(through) : state.Periods.Count > 0 ? state.Periods[0].InvoiceDate : latest;
        if (state.Periods.Count > 0 && state.Periods[0].InvoiceDate < start)
        {
            start = state.Periods[0].InvoiceDate;
        }

        var dates = new List<LocalDate>();
        for (var date = start; date <= latest; date = calendar.NextInvoiceDate(date))
        {
            dates.Add(date);
        }

        return dates.TakeLast(MaxCatchUp).ToList();
    }

    /// <summary>The invoice dates due and not settled.</summary>
    internal static List<LocalDate> Unsettled(UsageState state, InvoiceCalendar calendar, LocalDate latest) =>
        DueDates(state, calendar, latest).Where(d => state.Find(d) is not { IsSettled: true }).ToList();

    /// <summary>
    /// Moves the last settled date over every settled period that follows it, drops what it passed, and counts no
    /// failed attempt once nothing is due.
    /// </summary>
    private static UsageState Normalize(UsageState state, InvoiceCalendar calendar, LocalDate latest)
    {
        var through = state.SettledThrough;
        var periods = state.Periods.Where(p => through is null || p.InvoiceDate > through).OrderBy(p => p.InvoiceDate).ToList();
        while (periods.Count > 0 && periods[0].IsSettled && (through is null || calendar.NextInvoiceDate(through.Value) >= periods[0].InvoiceDate))
        {
            through = periods[0].InvoiceDate;
            periods.RemoveAt(0);
        }

        var normal = state with { SettledThrough = through, Periods = periods };
        return Unsettled(normal, calendar, latest).Count == 0 && normal.SettledThrough is not null ? normal with { Attempts = 0, AttemptsFor = null } : normal;
    }

    /// <summary>The usage billing state: a JSON record, or a date alone as written by earlier releases (the last invoice date billed).</summary>
    private async Task<(UsageState State, long Version)> ReadUsageStateAsync(string name, CancellationToken cancellationToken)
    {
        var recorded = await store.GetStateAsync(name, LastBilledKey, cancellationToken).ConfigureAwait(false);
        if (recorded is null)
        {
            return (new UsageState(), 0);
        }

        if (LocalDatePattern.Iso.Parse(recorded.Value.Trim()).TryGetValue(default, out var date))
        {
            return (new UsageState { SettledThrough = date }, recorded.Version);
        }

        try
        {
            return (JsonSerializer.Deserialize(recorded.Value, AutotaskJsonContext.Default.UsageState) ?? new UsageState(), recorded.Version);
        }
        catch (JsonException)
        {
            // A value written by hand that is neither: counts as nothing billed yet, and is written over.
            return (new UsageState(), recorded.Version);
        }
    }

    /// <summary>Changes the usage billing state by compare-and-swap on the store's version, read again and changed again when another writer came first.</summary>
    private async Task<UsageState> UpdateUsageStateAsync(string name, InvoiceCalendar calendar, LocalDate latest, Func<UsageState, UsageState> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (current, version) = await ReadUsageStateAsync(name, cancellationToken).ConfigureAwait(false);
            var updated = Normalize(change(Normalize(current, calendar, latest)), calendar, latest);
            try
            {
                await store.SetStateAsync(name, LastBilledKey, JsonSerializer.Serialize(updated, AutotaskJsonContext.Default.UsageState), version, cancellationToken).ConfigureAwait(false);
                return updated;
            }
            catch (StoreConcurrencyException) when (attempt < 20)
            {
                // Another instance, or a person settling a period, wrote meanwhile: read again.
            }
        }
    }

    /// <inheritdoc />
    public Task<JobRun> SyncQuantitiesAsync(string connection, IProgress<JobProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var source = Require<IQuantitySource>();
        return RunAsync(connection, AutotaskJobNames.QuantitySync, progress, async (name, tally, ct) =>
        {
            var wanted = await source.GetQuantitiesAsync(name, ct).ConfigureAwait(false);
            tally.AddTotal(wanted.Count);
            if (source.GetApprovalRule(name) is not { } rule)
            {
                var report = await quantities.SyncAsync(name, wanted, source.GetSyncOptions(name) with { Progress = tally.SyncProgress() }, ct).ConfigureAwait(false);
                tally.Add(report.Items);
                return null;
            }

            var plan = await quantities.PlanAsync(name, wanted, new QuantityPlanOptions { Approval = rule }, ct).ConfigureAwait(false);
            var held = plan.Count(PlanDecision.Held);
            tally.Add(plan.Report!.Items.Where(i => i.Status != QuantitySyncStatus.Planned));
            if (plan.Count(PlanDecision.Approved) > 0)
            {
                var applied = await quantities.ApplyPlanAsync(name, plan, source.GetSyncOptions(name) with { Progress = tally.SyncProgress() }, ct).ConfigureAwait(false);
                tally.Add(applied.Items.Where(i => i.Status != QuantitySyncStatus.NotApproved));
            }

            if (held > 0)
            {
                for (var i = 0; i < held; i++)
                {
                    tally.Done(write: false, failed: false);
                }

                // The approved part was applied under the plan's id, so the held part goes on as a plan of its own, to apply once approved.
                var rest = plan with { PlanId = Guid.NewGuid().ToString("N"), Items = plan.Items.Where(i => i.Decision == PlanDecision.Held).ToArray() };
                await source.OnHeldAsync(name, rest, ct).ConfigureAwait(false);
                return $"Plan {plan.PlanId}: {plan.Count(PlanDecision.Approved)} approved by rule and applied; {held} held for approval in plan {rest.PlanId}.";
            }

            return $"Plan {plan.PlanId}: {plan.Count(PlanDecision.Approved)} approved by rule and applied.";
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<JobRun> SendDailyDigestAsync(string connection, LocalDate? day = null, IProgress<JobProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var source = Require<IDigestSource>();
        var alerts = services.GetService<IAlertTicketEngine>() ?? throw new AutotaskConfigurationException(
            "The daily digest job needs the alert tickets: call AddAlertTickets(...) on the integration builder, with a DailyDigest rule per connection.");
        return RunAsync(connection, AutotaskJobNames.DailyDigest, progress, async (name, tally, ct) =>
        {
            var zone = DateTimeZoneProviders.Tzdb[(await binding.SettingsAsync(name, ct).ConfigureAwait(false)).TimeZone];
            var date = day ?? time.GetCurrentInstant().InZone(zone).Date.PlusDays(-1);
            var digests = await source.GetDigestsAsync(name, date, ct).ConfigureAwait(false);
            tally.AddTotal(digests.Count);
            foreach (var digest in digests)
            {
                var result = await alerts.PublishDailyDigestAsync(name, digest.VendorCustomerId, date, digest.Events, ct).ConfigureAwait(false);
                tally.Done(result.Outcome != AlertOutcome.Unmapped, result.Outcome == AlertOutcome.Unmapped);
            }

            return string.Create(CultureInfo.InvariantCulture, $"Digests of {date:uuuu-MM-dd}.");
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<JobRun> PollInboundAsync(string connection, IProgress<JobProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var handler = Require<IInboundHandler>();
        return RunAsync(connection, AutotaskJobNames.InboundPoll, progress, async (name, tally, ct) =>
        {
            var customers = await inbound.SyncCustomersAsync(name, async (change, t) =>
            {
                await handler.OnCustomerAsync(name, change, t).ConfigureAwait(false);
                tally.AddTotal(1);
                tally.Done(write: false, failed: false);
            }, ct).ConfigureAwait(false);
            var contracts = await inbound.SyncContractsAsync(name, async (change, t) =>
            {
                await handler.OnContractAsync(name, change, t).ConfigureAwait(false);
                tally.AddTotal(1);
                tally.Done(write: false, failed: false);
            }, ct).ConfigureAwait(false);
            return $"{customers.Delivered} customer(s), {contracts.Delivered} contract(s) changed.";
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<JobRun>> GetRunsAsync(string connection, string? job = null, CancellationToken cancellationToken = default)
    {
        var name = clients.GetClient(connection).ConnectionName;
        await binding.SettingsAsync(name, cancellationToken).ConfigureAwait(false);
        var runs = new List<JobRun>();
        foreach (var each in job is null ? AutotaskJobNames.All : [job])
        {
            runs.AddRange((await ReadHistoryAsync(name, each, cancellationToken).ConfigureAwait(false)).Runs);
        }

        // Stable: runs that started at the same instant keep the history's order, newest first.
        return runs.OrderByDescending(r => r.StartedAt).ToArray();
    }

    private T Require<T>() where T : class =>
        services.GetService<T>() ?? throw new AutotaskConfigurationException(
            $"The job needs an {typeof(T).Name}: register your implementation as a service (services.AddSingleton<{typeof(T).Name}, YourSource>()).");

    private async Task<JobRun> RunAsync(string connection, string job, IProgress<JobProgress>? progress, Func<string, Tally, CancellationToken, Task<string?>> work, CancellationToken cancellationToken)
    {
        var name = clients.GetClient(connection).ConnectionName;
        await binding.SettingsAsync(name, cancellationToken).ConfigureAwait(false);
        var tally = new Tally(name, job, progress);
        var instance = Instances.CurrentInstance;
        var run = new JobRun { RunId = Guid.NewGuid().ToString("N"), Connection = name, Job = job, StartedAt = time.GetCurrentInstant(), Outcome = JobOutcome.Running, Instance = instance };
        // Known as running here before it asks for the lease, so that this instance never takes its own live run for a dead one.
        _running[run.RunId] = 0;
        try
        {
            var grant = await AcquireAsync(name, job, run.RunId, instance, cancellationToken).ConfigureAwait(false);
            if (grant.Holder is { } holder)
            {
                run = run with
                {
                    Outcome = JobOutcome.Skipped,
                    CompletedAt = time.GetCurrentInstant(),
                    Detail = $"Not run: run {holder.RunId} of instance {holder.Instance} holds the job's lease for the connection (since {holder.Since}).",
                };
                Measure(run);
                return run;
            }

            // Started once the lease is its own: a run of another instance that ended just before is over by then.
            run = run with { StartedAt = time.GetCurrentInstant() };
            using var stopRenewing = new CancellationTokenSource();
            var renewing = RenewAsync(name, job, grant.Handle!, stopRenewing.Token);
            try
            {
                return await RunHoldingLeaseAsync(run, grant, tally, work, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await stopRenewing.CancelAsync().ConfigureAwait(false);
                await renewing.ConfigureAwait(false);
                await ReleaseAsync(name, job, grant.Handle!).ConfigureAwait(false);
            }
        }
        finally
        {
            _running.TryRemove(run.RunId, out _);
        }
    }

    private async Task<JobRun> RunHoldingLeaseAsync(JobRun run, LeaseGrant grant, Tally tally, Func<string, Tally, CancellationToken, Task<string?>> work, CancellationToken cancellationToken)
    {
        var name = run.Connection;
        // The lease is this run's: any other run of the job still recorded as running is not (every run holds the
        // lease from before its first record to after its last), so its instance stopped before it could record its end.
        var noticed = time.GetCurrentInstant();
        JobRun Sweep(JobRun other) => other.Outcome != JobOutcome.Running ? other : other with
        {
            Outcome = JobOutcome.Abandoned,
            AbandonedAt = noticed,
            Detail = other.RunId == grant.Abandoned?.RunId
                ? $"Abandoned: {grant.Why}; found by instance {run.Instance}, which took over the job's lease."
                : $"Abandoned: it never recorded its end (its instance {other.Instance ?? "(not recorded)"} stopped); found by instance {run.Instance}.",
        };
        await RecordAsync(run, Sweep, CancellationToken.None).ConfigureAwait(false);
        JobScope.Begin(tally.LimitWaited);
        JobRun Finish(JobOutcome outcome, string? detail, string? error) =>
            tally.Fill(run) with { Outcome = outcome, Detail = detail, Error = error, CompletedAt = time.GetCurrentInstant() };
        try
        {
            var detail = await work(name, tally, cancellationToken).ConfigureAwait(false);
            run = Finish(tally.Failed > 0 ? JobOutcome.PartlySucceeded : JobOutcome.Succeeded, detail, null);
            return run;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            run = Finish(JobOutcome.Cancelled, "Cancelled; an interrupted batch is settled through the ledger by the next run.", null);
            throw;
        }
        catch (Exception ex)
        {
            run = Finish(JobOutcome.Failed, null, $"{ex.GetType().Name}: {ex.Message}");
            throw;
        }
        finally
        {
            try
            {
                await RecordAsync(run, null, CancellationToken.None).ConfigureAwait(false);
            }
            catch (MappingStoreException) when (run.Outcome is JobOutcome.Failed or JobOutcome.Cancelled)
            {
                // The store is gone (often the very failure that stopped the run): the run's own exception is what the
                // caller needs; its record stays Running until the next run of the job marks it abandoned, and that
                // run settles its writes through the ledger.
            }

            Measure(run);
        }
    }

    /// <summary>
    /// Takes the job's lease for the connection: free, or held by a run whose instance is known to have stopped (or
    /// whose lease went unrenewed for <see cref="LeaseSilence"/> of this instance's clock). Decided by the store's
    /// compare-and-swap: of several runs taking it at once, one does.
    /// </summary>
    private async Task<LeaseGrant> AcquireAsync(string name, string job, string runId, string instance, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var state = await store.GetStateAsync(name, LeaseKey(job), cancellationToken).ConfigureAwait(false);
            var lease = ReadLease(state);
            string? why = null;
            if (lease is { RunId: not null })
            {
                why = await StoppedAsync(name, job, lease, state!.Version, cancellationToken).ConfigureAwait(false);
                if (why is null)
                {
                    return new LeaseGrant(null, lease, null, null);
                }
            }

            var mine = new JobLease { RunId = runId, Instance = instance, Beat = (lease?.Beat ?? 0) + 1, Since = time.GetCurrentInstant() };
            try
            {
                var version = await store.SetStateAsync(name, LeaseKey(job), JsonSerializer.Serialize(mine, AutotaskJsonContext.Default.JobLease), state?.Version ?? 0, cancellationToken).ConfigureAwait(false);
                _silent.TryRemove(name + "\n" + job, out _);
                return new LeaseGrant(new LeaseHandle { Lease = mine, Version = version }, null, why is null ? null : lease, why);
            }
            catch (StoreConcurrencyException) when (attempt < 20)
            {
                // Taken, renewed or released meanwhile: look again.
            }
        }
    }

    /// <summary>Why the lease's holder is taken for stopped, or <c>null</c> while it may be alive.</summary>
    private async Task<string?> StoppedAsync(string name, string job, JobLease lease, long version, CancellationToken cancellationToken)
    {
        var instances = Instances;
        if (lease.Instance == instances.CurrentInstance)
        {
            return _running.ContainsKey(lease.RunId!) ? null : $"its run {lease.RunId} is no longer running in instance {lease.Instance}";
        }

        if (lease.Instance is { } other && await instances.IsStoppedAsync(other, cancellationToken).ConfigureAwait(false))
        {
            return $"its instance {other} has stopped";
        }

        // Not known: taken for stopped once the lease has not moved for LeaseSilence, measured by this instance's own
        // clock from when it first saw this version (no clock of another process is compared).
        var now = time.GetTimestamp();
        var seen = _silent.AddOrUpdate(name + "\n" + job, (version, now), (_, old) => old.Version == version ? old : (version, now));
        return seen.Version == version && time.GetElapsedTime(seen.SeenAt, now) >= LeaseSilence
            ? string.Create(CultureInfo.InvariantCulture, $"its instance {lease.Instance} left the lease unrenewed for {LeaseSilence.TotalMinutes:0} minutes")
            : null;
    }

    /// <summary>Renews the lease every <see cref="LeaseRenewal"/> while the run goes on, so that it is never taken for abandoned.</summary>
    private async Task RenewAsync(string name, string job, LeaseHandle handle, CancellationToken stop)
    {
        while (!handle.Lost)
        {
            try
            {
                await Task.Delay(LeaseRenewal, time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var renewed = handle.Lease with { Beat = handle.Lease.Beat + 1 };
            try
            {
                handle.Version = await store.SetStateAsync(name, LeaseKey(job), JsonSerializer.Serialize(renewed, AutotaskJsonContext.Default.JobLease), handle.Version, CancellationToken.None).ConfigureAwait(false);
                handle.Lease = renewed;
            }
            catch (StoreConcurrencyException)
            {
                // Taken over by another instance that took this one for stopped: the run ends as it is, and records its real outcome.
                handle.Lost = true;
            }
            catch (Exception ex) when (ex is AutotaskException or System.Data.Common.DbException or TimeoutException)
            {
                // The store is away for a moment: the next beat tries again.
            }
        }
    }

    private async Task ReleaseAsync(string name, string job, LeaseHandle handle)
    {
        if (handle.Lost)
        {
            return;
        }

        try
        {
            await store.SetStateAsync(name, LeaseKey(job), JsonSerializer.Serialize(new JobLease { Beat = handle.Lease.Beat + 1 }, AutotaskJsonContext.Default.JobLease), handle.Version, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AutotaskException or System.Data.Common.DbException or TimeoutException)
        {
            // Taken over meanwhile, or the store is away: the next run of this instance finds its own run gone and takes the lease.
        }
    }

    private static JobLease? ReadLease(SyncStateValue? state)
    {
        if (state is null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(state.Value, AutotaskJsonContext.Default.JobLease);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string LeaseKey(string job) => "autotask.jobs.lease." + job;

    private void Measure(JobRun run)
    {
        var connection = new KeyValuePair<string, object?>("autotask.connection", run.Connection);
        var job = new KeyValuePair<string, object?>("autotask.job", run.Job);
        instruments.JobRuns.Add(1, connection, job, new KeyValuePair<string, object?>("autotask.job.outcome", run.Outcome.ToString()));
        instruments.JobItems.Add(run.Items, connection, job);
        instruments.JobWrites.Add(run.Writes, connection, job);
        instruments.JobDuration.Record((run.CompletedAt!.Value - run.StartedAt).TotalSeconds, connection, job);
    }

    /// <summary>Adds or replaces a run in its job's history (compare-and-swap on the store's version, retried).</summary>
    private async Task RecordAsync(JobRun run, Func<JobRun, JobRun>? others, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (runs, version) = await ReadHistoryAsync(run.Connection, run.Job, cancellationToken).ConfigureAwait(false);
            var rest = runs.Where(r => r.RunId != run.RunId);
            var updated = (others is null ? rest : rest.Select(others)).Prepend(run).OrderByDescending(r => r.StartedAt).Take(HistoryLength).ToList();
            try
            {
                await store.SetStateAsync(run.Connection, HistoryKey(run.Job), JsonSerializer.Serialize(updated, AutotaskJsonContext.Default.ListJobRun), version, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (StoreConcurrencyException) when (attempt < 20)
            {
                // Another run of the connection recorded meanwhile: read again.
            }
        }
    }

    private async Task<(List<JobRun> Runs, long Version)> ReadHistoryAsync(string connection, string job, CancellationToken cancellationToken)
    {
        var state = await store.GetStateAsync(connection, HistoryKey(job), cancellationToken).ConfigureAwait(false);
        return state is null ? ([], 0) : (JsonSerializer.Deserialize(state.Value, AutotaskJsonContext.Default.ListJobRun) ?? [], state.Version);
    }

    private static string HistoryKey(string job) => "autotask.jobs.runs." + job;

    /// <summary>A run's counts, updated from the work's threads, reported as progress.</summary>
    private sealed class Tally(string connection, string job, IProgress<JobProgress>? progress)
    {
        private int _total;
        private int _done;
        private int _writes;
        private int _failed;
        private int _waits;
        private int _syncBase;

        public int Failed => Volatile.Read(ref _failed);

        /// <summary>Usage billing: the invoice dates still due.</summary>
        public IReadOnlyList<LocalDate>? PeriodsDue { get; set; }

        public void AddTotal(int count)
        {
            Interlocked.Add(ref _total, count);
            Report();
        }

        public void Done(bool write, bool failed)
        {
            Interlocked.Increment(ref _done);
            if (write)
            {
                Interlocked.Increment(ref _writes);
            }

            if (failed)
            {
                Interlocked.Increment(ref _failed);
            }

            Report();
        }

        /// <summary>Counts finished sync items (the progress reported during the sync is replaced by these).</summary>
        public void Add(IEnumerable<QuantitySyncItem> items)
        {
            foreach (var item in items)
            {
                Interlocked.Increment(ref _done);
                if (item.Status == QuantitySyncStatus.Applied)
                {
                    Interlocked.Increment(ref _writes);
                }

                if (item.Status is QuantitySyncStatus.Failed or QuantitySyncStatus.Invalid or QuantitySyncStatus.Stale)
                {
                    Interlocked.Increment(ref _failed);
                }
            }

            _syncBase = Volatile.Read(ref _done);
            Report();
        }

        /// <summary>Progress of a sync inside the run, reported on top of what was done before it.</summary>
        public IProgress<SyncProgress>? SyncProgress() =>
            progress is null ? null : new SyncRelay(this);

        public void LimitWaited()
        {
            Interlocked.Increment(ref _waits);
            Report();
        }

        public JobRun Fill(JobRun run) => run with { Items = Volatile.Read(ref _done), Writes = Volatile.Read(ref _writes), Failed = Volatile.Read(ref _failed), LimitWaits = Volatile.Read(ref _waits), PeriodsDue = PeriodsDue };

        private void Report(int? done = null, int? writes = null) =>
            progress?.Report(new JobProgress(connection, job, done ?? Volatile.Read(ref _done), Volatile.Read(ref _total), writes ?? Volatile.Read(ref _writes), Volatile.Read(ref _waits)));

        private sealed class SyncRelay(Tally tally) : IProgress<SyncProgress>
        {
            public void Report(SyncProgress value) => tally.Report(tally._syncBase + value.Done, Volatile.Read(ref tally._writes) + value.Writes);
        }
    }
}

/// <summary>The default <see cref="IJobInstances"/>: this process, with an id of its own; it knows of no other instance that stopped.</summary>
internal sealed class ProcessJobInstances : IJobInstances
{
    public string CurrentInstance { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    public ValueTask<bool> IsStoppedAsync(string instance, CancellationToken cancellationToken) => ValueTask.FromResult(false);
}

/// <summary>A job's lease for a connection, in the store's sync state: the run holding it (none when free), its instance, and a beat moved on every renewal.</summary>
internal sealed record JobLease
{
    public string? RunId { get; init; }

    public string? Instance { get; init; }

    public long Beat { get; init; }

    public Instant? Since { get; init; }
}

/// <summary>The lease as this run holds it: the version to renew and release from.</summary>
internal sealed class LeaseHandle
{
    public required JobLease Lease { get; set; }

    public long Version { get; set; }

    public volatile bool Lost;
}

/// <summary>What <c>AcquireAsync</c> gave: the lease (and the stopped run it was taken from, and why), or the live holder that keeps it.</summary>
internal sealed record LeaseGrant(LeaseHandle? Handle, JobLease? Holder, JobLease? Abandoned, string? Why);

/// <summary>Usage billing's state for a connection: the last invoice date up to which everything is settled, and each period billed after it.</summary>
internal sealed record UsageState
{
    public LocalDate? SettledThrough { get; init; }

    /// <summary>The periods after <see cref="SettledThrough"/> that a run billed or tried, or a person decided, oldest first.</summary>
    public List<UsagePeriodState> Periods { get; init; } = [];

    /// <summary>Runs in a row that left something due, since <see cref="AttemptsFor"/> was the latest invoice date.</summary>
    public int Attempts { get; init; }

    public LocalDate? AttemptsFor { get; init; }

    public UsagePeriodState? Find(LocalDate invoiceDate) => Periods.Find(p => p.InvoiceDate == invoiceDate);

    public UsageState With(UsagePeriodState record) =>
        this with { Periods = [.. Periods.Where(p => p.InvoiceDate != record.InvoiceDate).Append(record).OrderBy(p => p.InvoiceDate)] };
}

/// <summary>One period after the last settled date: which subscriptions are settled, which are not (and why), or why it could not be billed at all.</summary>
internal sealed record UsagePeriodState
{
    public required LocalDate InvoiceDate { get; init; }

    /// <summary>A run billed the period through (its <see cref="Open"/> items are what is left).</summary>
    public bool Billed { get; init; }

    /// <summary>A person settled the whole period as it is.</summary>
    public bool Decided { get; init; }

    public List<string> Settled { get; init; } = [];

    public List<UsageOpenItem> Open { get; init; } = [];

    /// <summary>Why the last run could not bill the period at all.</summary>
    public string? Error { get; init; }

    [JsonIgnore]
    public bool IsSettled => Decided || (Billed && Open.Count == 0 && Error is null);
}

internal sealed record UsageOpenItem
{
    public required string VendorSubscriptionId { get; init; }

    [JsonConverter(typeof(JsonStringEnumConverter<QuantitySyncStatus>))]
    public QuantitySyncStatus Status { get; init; }

    public bool HeldBack { get; init; }

    public string? Reason { get; init; }
}
