using Autotask.Integration.Jobs;
using Autotask.Integration.Quartz;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using global::Quartz;

namespace Autotask.Integration;

/// <summary>Schedules the SDK's jobs per connection on Quartz.NET.</summary>
public static class QuartzAutotaskIntegrationBuilderExtensions
{
    /// <summary>
    /// Runs the SDK's jobs (<see cref="IAutotaskJobs"/>) for every connection on a Quartz.NET scheduler hosted in the
    /// application: usage billing on each invoice date, the quantity sync on a cron or an interval, the daily digest
    /// at a time of day and the inbound poll at an interval, each in the connection's time zone, jittered, and run
    /// once after downtime (a missed slot fires once, not once per slot missed). With
    /// <see cref="AutotaskSchedulingOptions.PostgreSqlConnectionString"/> the schedule is kept in PostgreSQL (its
    /// tables created in their own schema at start-up) and clustered: every instance naming the database shares it,
    /// each due job runs in one instance, and the jobs of an instance that dies are run again by another. On shutdown
    /// running jobs are cancelled and awaited; what they wrote is in the ledger, and the next run settles the rest.
    /// Register the jobs' sources as services (<see cref="IUsageSource"/>, <see cref="IQuantitySource"/>,
    /// <see cref="IDigestSource"/>, <see cref="IInboundHandler"/>): a job without its source is not scheduled.
    /// </summary>
    /// <param name="builder">The builder from <c>AddAutotaskIntegration</c>.</param>
    /// <param name="configure">Sets the times and the store.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="AutotaskConfigurationException">A setting cannot work (a cron that never fires, an interval or jitter of zero or less, a schema name that is not an identifier).</exception>
    public static AutotaskIntegrationBuilder AddAutotaskScheduling(this AutotaskIntegrationBuilder builder, Action<AutotaskSchedulingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new AutotaskSchedulingOptions();
        configure?.Invoke(options);
        SchedulingValidation.Check(options);

        var services = builder.Services;
        services.TryAddSingleton(options);
        // Clustered, each instance has an id of its own, which Quartz checks in under and the jobs' leases name, so that
        // an instance Quartz found dead is known dead to the leases too.
        var instances = options.PostgreSqlConnectionString is { } clustered ? new QuartzJobInstances(clustered, options.PostgreSqlSchema) : null;
        if (instances is not null)
        {
            services.RemoveAll<IJobInstances>();
            services.AddSingleton<IJobInstances>(instances);
        }

        services.TryAddSingleton<AutotaskScheduler>(sp => new AutotaskScheduler(sp.GetRequiredService<ISchedulerFactory>(), sp, sp.GetRequiredService<IAutotaskClientFactory>(), sp.GetServices<Connections.IAutotaskConnectionSource>(),
            options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<AutotaskScheduler>>()));
        services.TryAddSingleton<IAutotaskScheduler>(sp => sp.GetRequiredService<AutotaskScheduler>());
        services.TryAddTransient<AutotaskQuartzJob>();

        // Started before Quartz's own hosted service: the schema first, then the scheduler, then the connections' triggers.
        if (options.PostgreSqlConnectionString is { } postgres)
        {
            services.AddHostedService(_ => new QuartzSchemaCreator(postgres, options.PostgreSqlSchema));
        }

        services.AddQuartz(quartz =>
        {
            quartz.UseDefaultThreadPool(options.MaxConcurrentJobs);
            if (options.TimeProvider is { } clock)
            {
                quartz.UseTimeProvider(clock);
            }

            quartz.ConfigureScheduler(s =>
            {
                s.InstanceName = QuartzJobInstances.SchedulerName;
                s.ShutdownJobInterruption = ShutdownJobInterruption.WhenWaitingForJobs;
                if (instances is not null)
                {
                    s.InstanceId = instances.CurrentInstance;
                }
            });
            if (options.PostgreSqlConnectionString is { } connectionString)
            {
                quartz.UsePersistentStore(store =>
                {
                    store.UsePostgres(NpgsqlFactory.Instance, connectionString);
                    store.UseClustering(c =>
                    {
                        c.CheckinInterval = options.ClusterCheckinInterval;
                        c.CheckinMisfireThreshold = options.ClusterFailoverAfter;
                    });
                    store.ProvisionSchema();
                    store.ConfigureStore(s =>
                    {
                        s.TablePrefix = options.PostgreSqlSchema + ".qrtz_";
                        s.StoreJobDataAsStrings = true;
                    });
                });
            }
            else
            {
                quartz.UseInMemoryStore();
            }
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        services.AddHostedService(sp => new ScheduleReconciler(sp.GetRequiredService<AutotaskScheduler>(), options, sp.GetRequiredService<ILogger<ScheduleReconciler>>()));
        return builder;
    }
}

/// <summary>Lists the connections every <see cref="AutotaskSchedulingOptions.ReconcileInterval"/> and adds or removes their triggers.</summary>
internal sealed class ScheduleReconciler(AutotaskScheduler scheduler, AutotaskSchedulingOptions options, ILogger<ScheduleReconciler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.ReconcileInterval);
        do
        {
            try
            {
                await scheduler.ReconcileAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The database may be away for a moment (a fail-over): the next tick tries again.
                Log.ReconcileFailed(logger, ex.Message, options.ReconcileInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}

/// <summary>Creates the schema Quartz's tables go in (Quartz then creates the tables), tolerating instances that race to do it.</summary>
internal sealed class QuartzSchemaCreator(string connectionString, string schema) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS \"{schema}\"", connection);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateSchema)
        {
            // Another instance created it at the same moment.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Checks the scheduling settings when they are registered, so a setting that cannot work stops the application at once.</summary>
internal static class SchedulingValidation
{
    public static void Check(AutotaskSchedulingOptions options)
    {
        if (options.QuantitySyncCron is { } cron)
        {
            CronExpression expression;
            try
            {
                expression = new CronExpression(cron);
            }
            catch (FormatException ex)
            {
                throw new AutotaskConfigurationException($"QuantitySyncCron '{cron}' is not a Quartz cron expression: {ex.Message}");
            }

            if (expression.GetNextValidTimeAfter(DateTimeOffset.UtcNow) is null)
            {
                throw new AutotaskConfigurationException($"QuantitySyncCron '{cron}' never fires (no time after now matches it); the quantity sync would never run.");
            }
        }

        foreach (var (name, value) in new[] { ("QuantitySyncInterval", options.QuantitySyncInterval), ("InboundPollInterval", options.InboundPollInterval), ("ReconcileInterval", (TimeSpan?)options.ReconcileInterval) })
        {
            if (value is { } interval && interval < TimeSpan.FromSeconds(1))
            {
                throw new AutotaskConfigurationException($"{name} is {interval}; it must be at least one second.");
            }
        }

        if (options.UsageRetryDelay < TimeSpan.FromSeconds(1))
        {
            throw new AutotaskConfigurationException($"UsageRetryDelay is {options.UsageRetryDelay}; it must be at least one second.");
        }

        if (!(options.UsageRetryBackoff >= 1) || double.IsInfinity(options.UsageRetryBackoff))
        {
            throw new AutotaskConfigurationException($"UsageRetryBackoff is {options.UsageRetryBackoff}; it must be 1 (a fixed delay) or more.");
        }

        if (options.UsageRetryMaxDelay < options.UsageRetryDelay)
        {
            throw new AutotaskConfigurationException($"UsageRetryMaxDelay ({options.UsageRetryMaxDelay}) is shorter than UsageRetryDelay ({options.UsageRetryDelay}).");
        }

        if (options.UsageRetryMaxAttempts is < 0)
        {
            throw new AutotaskConfigurationException($"UsageRetryMaxAttempts is {options.UsageRetryMaxAttempts}; it must be 0 (no retry) or more, or null (until the next invoice date).");
        }

        if (options.Jitter < TimeSpan.Zero)
        {
            throw new AutotaskConfigurationException($"Jitter is {options.Jitter}; it must be zero or more.");
        }

        if (options.MaxConcurrentJobs < 1)
        {
            throw new AutotaskConfigurationException($"MaxConcurrentJobs is {options.MaxConcurrentJobs}; it must be at least 1.");
        }

        if (options.PostgreSqlConnectionString is not null && !System.Text.RegularExpressions.Regex.IsMatch(options.PostgreSqlSchema ?? "", "^[a-z_][a-z0-9_]{0,62}$"))
        {
            throw new AutotaskConfigurationException($"PostgreSqlSchema '{options.PostgreSqlSchema}' must be a lower-case identifier (letters, digits, underscores).");
        }
    }
}

/// <summary>
/// The instances of a PostgreSQL-clustered scheduler: this one's id (the Quartz instance id it checks in under), and
/// whether another has stopped: an instance of this cluster whose check-in row is gone, which Quartz deletes when it
/// finds the instance dead and hands its jobs to another (or on its orderly shutdown, after its jobs ended). Ids of
/// other kinds (a process calling the jobs directly) are never taken for stopped here.
/// </summary>
internal sealed class QuartzJobInstances(string connectionString, string schema) : IJobInstances
{
    internal const string Prefix = "quartz/";

    internal const string SchedulerName = "Autotask.Integration";

    public string CurrentInstance { get; } = $"{Prefix}{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    public async ValueTask<bool> IsStoppedAsync(string instance, CancellationToken cancellationToken)
    {
        if (!instance.StartsWith(Prefix, StringComparison.Ordinal) || instance == CurrentInstance)
        {
            return false;
        }

        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand($"SELECT COUNT(*) FROM \"{schema}\".qrtz_scheduler_state WHERE sched_name = @name AND instance_name = @instance", connection);
            command.Parameters.AddWithValue("name", SchedulerName);
            command.Parameters.AddWithValue("instance", instance);
            return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) == 0;
        }
        catch (NpgsqlException)
        {
            // The database is away: not known.
            return false;
        }
    }
}
