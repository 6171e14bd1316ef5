using NodaTime;

namespace Autotask.Integration.Quartz;

/// <summary>
/// When the SDK's jobs run for each connection, and where the schedule is kept. Times of day are in each connection's
/// Autotask instance time zone (<c>AutotaskConnectionOptions.TimeZone</c>). A job is scheduled only when its source is
/// registered (<c>IUsageSource</c>, <c>IQuantitySource</c>, <c>IDigestSource</c>, <c>IInboundHandler</c>).
/// </summary>
public sealed class AutotaskSchedulingOptions
{
    /// <summary>The time of day, on each invoice date, that usage billing runs. Default: 02:00.</summary>
    public LocalTime UsageBillingTime { get; set; } = new(2, 0);

    /// <summary>
    /// How long after a usage run that left a period due (the usage source threw, Autotask refused a write, a write's
    /// outcome is not known yet) the usage trigger fires again: the first retry's delay, multiplied by
    /// <see cref="UsageRetryBackoff"/> for each further one, up to <see cref="UsageRetryMaxDelay"/>, and never past the
    /// next invoice date (whose run bills every period due). Default: 5 minutes.
    /// </summary>
    public TimeSpan UsageRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>What each usage retry's delay is multiplied by; 1 for a fixed delay. Default: 2.</summary>
    public double UsageRetryBackoff { get; set; } = 2;

    /// <summary>The longest delay between usage retries. Default: 2 hours.</summary>
    public TimeSpan UsageRetryMaxDelay { get; set; } = TimeSpan.FromHours(2);

    /// <summary>
    /// How many failed usage runs in a row are retried before the trigger waits for the next invoice date;
    /// <c>null</c> (the default): retried until the next invoice date. The period stays due either way
    /// (<c>IAutotaskJobs.GetUsageBillingStatusAsync</c>) until it is settled or a person settles it.
    /// </summary>
    public int? UsageRetryMaxAttempts { get; set; }

    /// <summary>A Quartz cron expression (seconds first, such as <c>0 0 6 ? * MON-FRI</c>) the quantity sync runs on, in the instance's zone; takes precedence over <see cref="QuantitySyncInterval"/>.</summary>
    public string? QuantitySyncCron { get; set; }

    /// <summary>How often the quantity sync runs when no cron is set; <c>null</c> with no cron: not scheduled. Default: 1 hour.</summary>
    public TimeSpan? QuantitySyncInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The time of day the daily digest of the day before is sent; <c>null</c>: not scheduled. Default: 06:00.</summary>
    public LocalTime? DailyDigestTime { get; set; } = new(6, 0);

    /// <summary>How often Autotask is polled for changed customers and contracts; <c>null</c>: not scheduled. Default: 15 minutes.</summary>
    public TimeSpan? InboundPollInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// The most each connection's start times are moved later, so that thousands of connections do not fire in the
    /// same second: each connection and job gets a fixed offset in [0, jitter), the same in every instance and after
    /// every restart. Default: 10 minutes.
    /// </summary>
    public TimeSpan Jitter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the connections are listed and their triggers added or removed (so a connection linked or removed in another instance is picked up). Default: 1 minute.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The PostgreSQL database the schedule is kept in, clustered across every instance that names it: each due job
    /// then runs in one instance, and a crashed instance's jobs are recovered by another. <c>null</c> (the default):
    /// the in-memory store, for one instance.
    /// </summary>
    public string? PostgreSqlConnectionString { get; set; }

    /// <summary>The PostgreSQL schema Quartz's tables are created in, apart from the SDK's. Default: <c>autotask_quartz</c>.</summary>
    public string PostgreSqlSchema { get; set; } = "autotask_quartz";

    /// <summary>How often a clustered instance records that it is alive; another takes over its jobs when it misses this by <see cref="ClusterFailoverAfter"/>. Default: 7.5 seconds.</summary>
    public TimeSpan ClusterCheckinInterval { get; set; } = TimeSpan.FromSeconds(7.5);

    /// <summary>How long past a missed check-in another instance waits before recovering a silent instance's jobs. Default: 7.5 seconds.</summary>
    public TimeSpan ClusterFailoverAfter { get; set; } = TimeSpan.FromSeconds(7.5);

    /// <summary>How many jobs one instance runs at once. Default: 4.</summary>
    public int MaxConcurrentJobs { get; set; } = 4;

    /// <summary>The clock the scheduler fires by; default: the application's <see cref="System.TimeProvider"/> (set it to an accelerated clock to rehearse months in minutes).</summary>
    public TimeProvider? TimeProvider { get; set; }
}
