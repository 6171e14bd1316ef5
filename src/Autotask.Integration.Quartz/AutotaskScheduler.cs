using System.Globalization;
using System.Text;
using Autotask.Integration.Connections;
using Autotask.Integration.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NodaTime;
using global::Quartz;

namespace Autotask.Integration.Quartz;

/// <summary>One job's trigger for a connection.</summary>
/// <param name="Connection">The connection.</param>
/// <param name="Job">The job (<see cref="AutotaskJobNames"/>).</param>
/// <param name="NextRun">When it runs next, or <c>null</c> when it will not.</param>
/// <param name="Schedule">How it is scheduled, in words (such as <c>every 01:00:00</c> or <c>cron 0 0 6 * * ? in Europe/London</c>).</param>
public sealed record ScheduledJob(string Connection, string Job, Instant? NextRun, string Schedule);

/// <summary>
/// The connections' triggers on the Quartz scheduler: added for a connection when it is listed by a connection
/// source (checked every <see cref="AutotaskSchedulingOptions.ReconcileInterval"/>, or at once by
/// <see cref="ScheduleConnectionAsync"/>), removed when it is gone.
/// </summary>
public interface IAutotaskScheduler
{
    /// <summary>Adds the connection's triggers that are missing (those present keep their times).</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many triggers were added.</returns>
    /// <exception cref="AutotaskConnectionNotFoundException">No source knows the connection.</exception>
    /// <exception cref="AutotaskConfigurationException">The connection's time zone is not known to this machine.</exception>
    Task<int> ScheduleConnectionAsync(string connection, CancellationToken cancellationToken = default);

    /// <summary>Removes the connection's triggers; a job of it already running finishes.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many triggers were removed.</returns>
    Task<int> UnscheduleConnectionAsync(string connection, CancellationToken cancellationToken = default);

    /// <summary>Lists every connection of every source, adds the triggers of new ones and removes those of connections that are gone.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The triggers added and removed.</returns>
    Task<(int Added, int Removed)> ReconcileAsync(CancellationToken cancellationToken = default);

    /// <summary>The connection's triggers and when each runs next.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<IReadOnlyList<ScheduledJob>> GetScheduleAsync(string connection, CancellationToken cancellationToken = default);
}

internal sealed class AutotaskScheduler(
    ISchedulerFactory factory, IServiceProvider services, IAutotaskClientFactory clients, IEnumerable<IAutotaskConnectionSource> sources, AutotaskSchedulingOptions options,
    TimeProvider time, ILogger<AutotaskScheduler> logger) : IAutotaskScheduler
{
    /// <summary>The group of the four durable jobs; each connection's triggers are in the group <c>autotask.{job}</c>.</summary>
    internal const string JobGroup = "autotask";

    internal const string ConnectionKey = "connection";

    /// <summary>The connection's time zone, kept with each trigger so that a firing needs no look-up of the connection.</summary>
    internal const string ZoneKey = "zone";

    private const string DefinitionKey = "definition";

    private TimeProvider Clock => options.TimeProvider ?? time;

    /// <summary>
    /// A connection's trigger of a job, named by the id's key (<see cref="AutotaskConnectionIds.Normalize"/>), so that
    /// every spelling of the id names the same trigger; the spelling is kept in the trigger's data.
    /// </summary>
    internal static TriggerKey TriggerKeyOf(string connection, string job) => new(AutotaskConnectionIds.Normalize(connection), JobGroup + "." + job);

    /// <inheritdoc />
    public async Task<int> ScheduleConnectionAsync(string connection, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connection);
        var scheduler = await factory.GetScheduler(cancellationToken).ConfigureAwait(false);
        var (id, zone) = await FindAsync(connection, cancellationToken).ConfigureAwait(false);
        await EnsureJobsAsync(scheduler, cancellationToken).ConfigureAwait(false);
        var added = 0;
        foreach (var job in AutotaskJobNames.All)
        {
            if (await TriggerFor(id, job, zone, cancellationToken).ConfigureAwait(false) is not { } trigger)
            {
                continue;
            }

            // A trigger of the same definition keeps its next time (several instances reconcile the same connections);
            // one whose definition changed is replaced.
            var existing = await scheduler.GetTrigger(trigger.Key, cancellationToken).ConfigureAwait(false);
            if (existing is not null && existing.JobDataMap.GetString(DefinitionKey) == trigger.JobDataMap.GetString(DefinitionKey))
            {
                continue;
            }

            try
            {
                await scheduler.ScheduleJob(trigger, new ScheduleJobOptions { Replace = true }, cancellationToken).ConfigureAwait(false);
                added++;
            }
            catch (ObjectAlreadyExistsException)
            {
                // Another instance added it meanwhile.
            }
        }

        return added;
    }

    /// <inheritdoc />
    public async Task<int> UnscheduleConnectionAsync(string connection, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connection);
        var scheduler = await factory.GetScheduler(cancellationToken).ConfigureAwait(false);
        var removed = 0;
        foreach (var job in AutotaskJobNames.All)
        {
            if (await scheduler.UnscheduleJob(TriggerKeyOf(connection, job), cancellationToken).ConfigureAwait(false))
            {
                removed++;
            }
        }

        return removed;
    }

    /// <inheritdoc />
    public async Task<(int Added, int Removed)> ReconcileAsync(CancellationToken cancellationToken = default)
    {
        var scheduler = await factory.GetScheduler(cancellationToken).ConfigureAwait(false);
        var listed = new HashSet<string>(await clients.ListConnectionsAsync(cancellationToken).ConfigureAwait(false), AutotaskConnectionIds.Comparer);

        var removed = 0;
        var scheduled = new Dictionary<string, int>(AutotaskConnectionIds.Comparer);
        foreach (var key in await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.GroupStartsWith(JobGroup + "."), cancellationToken).ConfigureAwait(false))
        {
            // A trigger named otherwise than by an id's key (by an older release, in the id's own spelling) would run the
            // connection's job a second time beside the key's trigger: it is removed, and the key's is added below.
            if (AutotaskConnectionIds.FindProblem(key.Name) is not null || AutotaskConnectionIds.Normalize(key.Name) != key.Name)
            {
                removed += await scheduler.UnscheduleJob(key, cancellationToken).ConfigureAwait(false) ? 1 : 0;
                continue;
            }

            scheduled[key.Name] = scheduled.GetValueOrDefault(key.Name) + 1;
        }

        var added = 0;
        var expected = ExpectedJobs();
        foreach (var connection in listed.Where(c => scheduled.GetValueOrDefault(c) < expected))
        {
            try
            {
                added += await ScheduleConnectionAsync(connection, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AutotaskException)
            {
                // One connection's problem (its zone unknown here, its secret unreadable) never stops the others.
                Log.ScheduleFailed(logger, connection, ex.Message);
            }
        }

        foreach (var gone in scheduled.Keys.Where(c => !listed.Contains(c)).ToList())
        {
            removed += await UnscheduleConnectionAsync(gone, cancellationToken).ConfigureAwait(false);
        }

        return (added, removed);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ScheduledJob>> GetScheduleAsync(string connection, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connection);
        var scheduler = await factory.GetScheduler(cancellationToken).ConfigureAwait(false);
        var jobs = new List<ScheduledJob>();
        foreach (var job in AutotaskJobNames.All)
        {
            if (await scheduler.GetTrigger(TriggerKeyOf(connection, job), cancellationToken).ConfigureAwait(false) is { } trigger)
            {
                jobs.Add(new ScheduledJob(trigger.JobDataMap.GetString(ConnectionKey) ?? trigger.Key.Name, job, trigger.NextFireTimeUtc is { } next ? Instant.FromDateTimeOffset(next) : null,
                    trigger.JobDataMap.GetString(DefinitionKey) ?? ""));
            }
        }

        return jobs;
    }

    /// <summary>
    /// After a usage run (of any outcome, recovered or not): the trigger moves to when the connection's billing needs
    /// it next, from the store (<see cref="IAutotaskJobs.GetUsageBillingStatusAsync"/>): a retry on the backoff while a
    /// period is due, else the next invoice date. A trigger that is gone is added back: Quartz's cluster recovery
    /// removes a one-shot trigger whose firing it hands to another instance, and the recovering run is the one that
    /// knows when the next is due.
    /// </summary>
    internal async Task RescheduleUsageAsync(IScheduler scheduler, string connection, DateTimeZone zone, CancellationToken cancellationToken)
    {
        if (await UsageTriggerAsync(connection, zone, afterRun: true, cancellationToken).ConfigureAwait(false) is not { } next)
        {
            return;
        }

        if (await scheduler.RescheduleJob(next.Key, next, cancellationToken).ConfigureAwait(false) is null)
        {
            await scheduler.ScheduleJob(next, new ScheduleJobOptions { Replace = true }, cancellationToken).ConfigureAwait(false);
        }
    }

    private int ExpectedJobs() => AutotaskJobNames.All.Count(job => Enabled(job));

    private bool Enabled(string job) => job switch
    {
        AutotaskJobNames.UsageBilling => services.GetService<IUsageSource>() is not null,
        AutotaskJobNames.QuantitySync => services.GetService<IQuantitySource>() is not null && (options.QuantitySyncCron is not null || options.QuantitySyncInterval is not null),
        AutotaskJobNames.DailyDigest => services.GetService<IDigestSource>() is not null && options.DailyDigestTime is not null,
        AutotaskJobNames.InboundPoll => services.GetService<IInboundHandler>() is not null && options.InboundPollInterval is not null,
        _ => false,
    };

    private async Task<(string Id, DateTimeZone Zone)> FindAsync(string connection, CancellationToken cancellationToken)
    {
        foreach (var source in sources)
        {
            if (await source.FindAsync(connection, cancellationToken).ConfigureAwait(false) is { } settings)
            {
                var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(settings.TimeZone ?? "")
                    ?? throw new AutotaskConfigurationException($"Connection '{connection}' has the time zone '{settings.TimeZone}', which is not an IANA time zone id; its jobs cannot be scheduled.", connection);
                return (connection, zone);
            }
        }

        throw new AutotaskConnectionNotFoundException(connection);
    }

    private async Task<ITrigger?> TriggerFor(string connection, string job, DateTimeZone zone, CancellationToken cancellationToken)
    {
        if (!Enabled(job))
        {
            return null;
        }

        var jitter = Jitter(connection, job);
        var now = Clock.GetUtcNow();
        switch (job)
        {
            case AutotaskJobNames.UsageBilling:
                return await UsageTriggerAsync(connection, zone, afterRun: false, cancellationToken).ConfigureAwait(false);

            case AutotaskJobNames.QuantitySync when options.QuantitySyncCron is { } cron:
                return Cron(connection, job, cron, zone, jitter, $"cron {cron} in {zone.Id}");

            case AutotaskJobNames.QuantitySync:
                return Interval(connection, job, zone, options.QuantitySyncInterval!.Value, now + jitter);

            case AutotaskJobNames.DailyDigest:
                var at = options.DailyDigestTime!.Value.PlusSeconds((long)jitter.TotalSeconds);
                return Cron(connection, job, string.Create(CultureInfo.InvariantCulture, $"{at.Second} {at.Minute} {at.Hour} * * ?"), zone, TimeSpan.Zero,
                    string.Create(CultureInfo.InvariantCulture, $"daily at {options.DailyDigestTime:HH:mm} + {jitter.TotalSeconds:0} s in {zone.Id}"));

            default:
                return Interval(connection, job, zone, options.InboundPollInterval!.Value, now + jitter);
        }
    }

    /// <summary>
    /// The usage trigger, a one-shot, at when the connection's billing needs a run next; <c>null</c> when it bills no
    /// usage. Nothing billed or tried yet: the first invoice date from today on (its time of day may have passed: it
    /// fires at once). A period due now (by the schedule's time of day): at once when scheduling, or after a run on
    /// the retry backoff (<see cref="AutotaskSchedulingOptions.UsageRetryDelay"/>), never past the next invoice date's
    /// time. Else the next invoice date's time, so a run that caught up on several invoice dates is not followed by
    /// one per date it billed.
    /// </summary>
    private async Task<ITrigger?> UsageTriggerAsync(string connection, DateTimeZone zone, bool afterRun, CancellationToken cancellationToken)
    {
        var source = services.GetService<IUsageSource>();
        if (source is null || await source.GetBillingOptionsAsync(connection, cancellationToken).ConfigureAwait(false) is not { } billing)
        {
            return null;
        }

        var calendar = billing.Calendar;
        var jitter = Jitter(connection, AutotaskJobNames.UsageBilling);
        var now = Clock.GetUtcNow();
        DateTimeOffset Slot(LocalDate date) => date.At(options.UsageBillingTime).InZoneLeniently(zone).ToInstant().ToDateTimeOffset() + jitter;
        var today = Instant.FromDateTimeOffset(now).InZone(zone).Date;
        var next = calendar.NextInvoiceDate(today.PlusDays(-1));
        while (Slot(next) <= now)
        {
            next = calendar.NextInvoiceDate(next);
        }

        var status = await StatusAsync(connection, cancellationToken).ConfigureAwait(false);
        DateTimeOffset fire;
        if (status is null)
        {
            // The store cannot be read now: after a run, try again on the first delay; else as if nothing was billed.
            fire = afterRun ? Min(now + options.UsageRetryDelay, Slot(next)) : Slot(calendar.NextInvoiceDate(today.PlusDays(-1)));
        }
        else if (status.SettledThrough is null && status.FailedAttempts == 0 && status.Due.All(d => !d.Billed && d.Error is null))
        {
            fire = Slot(calendar.NextInvoiceDate(today.PlusDays(-1)));
        }
        else if (status.Due.Any(d => Slot(d.InvoiceDate) <= now))
        {
            var attempts = status.FailedAttempts;
            fire = !afterRun && attempts == 0 ? now
                : options.UsageRetryMaxAttempts is { } most && attempts >= most ? Slot(next)
                : Min(now + RetryDelay(attempts), Slot(next));
        }
        else
        {
            fire = Slot(next);
        }

        return TriggerBuilder.Create(Clock)
            .WithIdentity(TriggerKeyOf(connection, AutotaskJobNames.UsageBilling))
            .ForJob(new JobKey(AutotaskJobNames.UsageBilling, JobGroup))
            .UsingJobData(ConnectionKey, connection)
            .UsingJobData(ZoneKey, zone.Id)
            .UsingJobData(DefinitionKey, string.Create(CultureInfo.InvariantCulture, $"on invoice dates at {options.UsageBillingTime:HH:mm} + {jitter.TotalSeconds:0} s in {zone.Id}"))
            .StartAt(fire)
            .WithSchedule(SimpleScheduleBuilder.Create().WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
            .WithOverlapPolicy(OverlapPolicy.Skip)
            .Build();
    }

    /// <summary>The delay before the retry that follows <paramref name="attempts"/> failed runs in a row (a skipped run counts as none: the first delay).</summary>
    internal TimeSpan RetryDelay(int attempts)
    {
        var delay = options.UsageRetryDelay.TotalMilliseconds * Math.Pow(options.UsageRetryBackoff, Math.Max(0, attempts - 1));
        return delay >= options.UsageRetryMaxDelay.TotalMilliseconds || double.IsInfinity(delay) ? options.UsageRetryMaxDelay : TimeSpan.FromMilliseconds(delay);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;

    private async Task<UsageBillingStatus?> StatusAsync(string connection, CancellationToken cancellationToken)
    {
        try
        {
            return await services.GetRequiredService<IAutotaskJobs>().GetUsageBillingStatusAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AutotaskException or System.Data.Common.DbException or TimeoutException)
        {
            Log.UsageStatusUnread(logger, connection, ex.Message);
            return null;
        }
    }

    /// <summary>
    /// How late a repeating trigger may fire before Quartz counts it misfired and fires it once now: half its shortest
    /// gap, at most Quartz's usual minute. Left at the store's minute, a trigger every few seconds that an outage of
    /// under a minute left behind fired once per slot missed, back to back.
    /// </summary>
    internal static TimeSpan MisfireThreshold(TimeSpan gap) =>
        TimeSpan.FromMilliseconds(Math.Max(1, Math.Floor(Math.Min(gap.TotalMilliseconds / 2, TimeSpan.FromMinutes(1).TotalMilliseconds))));

    /// <summary>The shortest gap between a cron's next fire times (of the next 50), as its misfire threshold's measure.</summary>
    internal static TimeSpan ShortestGap(CronExpression cron, DateTimeOffset from)
    {
        var shortest = TimeSpan.MaxValue;
        var previous = cron.GetNextValidTimeAfter(from);
        for (var i = 0; i < 50 && previous is { } at; i++)
        {
            var next = cron.GetNextValidTimeAfter(at);
            if (next is { } following && following - at < shortest)
            {
                shortest = following - at;
            }

            previous = next;
        }

        return shortest == TimeSpan.MaxValue ? TimeSpan.FromMinutes(1) : shortest;
    }

    private ITrigger Cron(string connection, string job, string cron, DateTimeZone zone, TimeSpan jitter, string definition)
    {
        var timeZone = TimeZoneInfo.TryFindSystemTimeZoneById(zone.Id, out var found)
            ? found
            : throw new AutotaskConfigurationException($"The time zone '{zone.Id}' of connection '{connection}' is not known to this machine's time zone data; install tzdata.", connection);
        var expression = new CronExpression(cron);
        return TriggerBuilder.Create(Clock)
            .WithIdentity(TriggerKeyOf(connection, job))
            .ForJob(new JobKey(job, JobGroup))
            .UsingJobData(ConnectionKey, connection)
            .UsingJobData(ZoneKey, zone.Id)
            .UsingJobData(DefinitionKey, definition)
            .StartAt(Clock.GetUtcNow() + jitter)
            .WithSchedule(CronScheduleBuilder.Create(cron).InTimeZone(timeZone).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed))
            .WithOverlapPolicy(OverlapPolicy.Skip)
            .WithMisfireThreshold(MisfireThreshold(ShortestGap(expression, Clock.GetUtcNow())))
            .Build();
    }

    private ITrigger Interval(string connection, string job, DateTimeZone zone, TimeSpan every, DateTimeOffset start) =>
        TriggerBuilder.Create(Clock)
            .WithIdentity(TriggerKeyOf(connection, job))
            .ForJob(new JobKey(job, JobGroup))
            .UsingJobData(ConnectionKey, connection)
            .UsingJobData(ZoneKey, zone.Id)
            .UsingJobData(DefinitionKey, string.Create(CultureInfo.InvariantCulture, $"every {every}"))
            .StartAt(start)
            .WithSchedule(SimpleScheduleBuilder.Create().WithInterval(every).RepeatForever().WithMisfireInstruction(SimpleTriggerMisfireInstruction.NowWithExistingCount))
            .WithOverlapPolicy(OverlapPolicy.Skip)
            .WithMisfireThreshold(MisfireThreshold(every))
            .Build();

    /// <summary>
    /// A connection's fixed offset for a job, in whole seconds of [0, jitter): from a hash of the two names that is the
    /// same in every process (string hash codes are randomised per process).
    /// </summary>
    internal TimeSpan Jitter(string connection, string job)
    {
        var seconds = (long)options.Jitter.TotalSeconds;
        if (seconds <= 0)
        {
            return TimeSpan.Zero;
        }

        // FNV-1a, 64 bits, then MurmurHash3's 64-bit finaliser.
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(AutotaskConnectionIds.Normalize(connection) + "\n" + job))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        // FNV's low bits follow the last characters closely (partner-1, partner-2...): a finaliser spreads every input bit over them.
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        hash *= 0xc4ceb9fe1a85ec53UL;
        hash ^= hash >> 33;

        return TimeSpan.FromSeconds((long)(hash % (ulong)seconds));
    }

    private static async Task EnsureJobsAsync(IScheduler scheduler, CancellationToken cancellationToken)
    {
        foreach (var job in AutotaskJobNames.All)
        {
            var key = new JobKey(job, JobGroup);
            if (await scheduler.Exists(key, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            try
            {
                await scheduler.AddJob(JobBuilder.Create<AutotaskQuartzJob>().WithIdentity(key).StoreDurably().RequestRecovery()
                    .WithDescription($"The SDK's {job} job; each connection's trigger says which connection.").Build(), new AddJobOptions(), cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectAlreadyExistsException)
            {
                // Another instance added it first.
            }
        }
    }
}
