using System.Globalization;
using System.Text.Json;
using Autotask.Integration.Alerts;
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

    internal const string LastBilledKey = "autotask.jobs.usage-billing.last";

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

            var zone = DateTimeZoneProviders.Tzdb[(await binding.OpenAsync(name, ct).ConfigureAwait(false)).TimeZone];
            var today = time.GetCurrentInstant().InZone(zone).Date;
            var latest = options.Calendar.PreviousInvoiceDate(today);
            var recorded = await store.GetStateAsync(name, LastBilledKey, ct).ConfigureAwait(false);
            // What was billed last; a value that is not a date (written by hand) counts as nothing billed yet.
            var last = recorded is not null && LocalDatePattern.Iso.Parse(recorded.Value).TryGetValue(default, out var parsed) ? parsed : (LocalDate?)null;
            var due = new List<LocalDate>();
            if (last is null)
            {
                due.Add(latest);
            }
            else if (last < latest)
            {
                for (var date = options.Calendar.NextInvoiceDate(last.Value); date <= latest; date = options.Calendar.NextInvoiceDate(date))
                {
                    due.Add(date);
                }

                due = due.TakeLast(MaxCatchUp).ToList();
            }

            var version = recorded?.Version ?? 0;
            foreach (var date in due)
            {
                var period = options.Calendar.PeriodBilledOn(date);
                var figures = await source.GetUsageAsync(name, period, ct).ConfigureAwait(false);
                tally.AddTotal(figures.Count);
                var report = await usage.BillAsync(name, date, figures, options with { Sync = options.Sync with { Progress = tally.SyncProgress() } }, ct).ConfigureAwait(false);
                tally.Add(report.Items.Select(i => i.Result));
                version = await MoveLastBilledAsync(name, date, version, ct).ConfigureAwait(false);
            }

            return due.Count == 0
                ? $"Nothing due: {latest:uuuu-MM-dd} was billed already."
                : $"Billed {string.Join(", ", due.Select(d => d.ToString("uuuu-MM-dd", CultureInfo.InvariantCulture)))}.";
        }, cancellationToken);
    }

    /// <summary>Records the last invoice date billed; one moved further by another instance is left as it is.</summary>
    private async Task<long> MoveLastBilledAsync(string connection, LocalDate date, long version, CancellationToken cancellationToken)
    {
        var text = LocalDatePattern.Iso.Format(date);
        while (true)
        {
            try
            {
                return await store.SetStateAsync(connection, LastBilledKey, text, version, cancellationToken).ConfigureAwait(false);
            }
            catch (StoreConcurrencyException)
            {
                var now = await store.GetStateAsync(connection, LastBilledKey, cancellationToken).ConfigureAwait(false);
                if (now is not null && LocalDatePattern.Iso.Parse(now.Value).TryGetValue(default, out var other) && other >= date)
                {
                    return now.Version;
                }

                version = now?.Version ?? 0;
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
        var run = new JobRun { RunId = Guid.NewGuid().ToString("N"), Connection = name, Job = job, StartedAt = time.GetCurrentInstant(), Outcome = JobOutcome.Running };
        await RecordAsync(run, CancellationToken.None).ConfigureAwait(false);
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
                await RecordAsync(run, CancellationToken.None).ConfigureAwait(false);
            }
            catch (MappingStoreException) when (run.Outcome is JobOutcome.Failed or JobOutcome.Cancelled)
            {
                // The store is gone (often the very failure that stopped the run): the run's own exception is what the
                // caller needs; its record stays Running, and the next run settles its writes through the ledger.
            }

            Measure(run);
        }
    }

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
    private async Task RecordAsync(JobRun run, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (runs, version) = await ReadHistoryAsync(run.Connection, run.Job, cancellationToken).ConfigureAwait(false);
            var updated = runs.Where(r => r.RunId != run.RunId).Prepend(run).OrderByDescending(r => r.StartedAt).Take(HistoryLength).ToList();
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

        public JobRun Fill(JobRun run) => run with { Items = Volatile.Read(ref _done), Writes = Volatile.Read(ref _writes), Failed = Volatile.Read(ref _failed), LimitWaits = Volatile.Read(ref _waits) };

        private void Report(int? done = null, int? writes = null) =>
            progress?.Report(new JobProgress(connection, job, done ?? Volatile.Read(ref _done), Volatile.Read(ref _total), writes ?? Volatile.Read(ref _writes), Volatile.Read(ref _waits)));

        private sealed class SyncRelay(Tally tally) : IProgress<SyncProgress>
        {
            public void Report(SyncProgress value) => tally.Report(tally._syncBase + value.Done, Volatile.Read(ref tally._writes) + value.Writes);
        }
    }
}
