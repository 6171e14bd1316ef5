using Autotask.Integration.Connections;
using Autotask.Integration.Entities;
using Autotask.Integration.Jobs;
using Autotask.Integration.Mapping;
using Autotask.Integration.Quartz;
using Autotask.Integration.Sync;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using Autotask.Integration.Tests.Sync;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using NodaTime;

namespace Autotask.Integration.Tests.Scheduling;

/// <summary>The SDK's jobs on Quartz in one instance (in-memory store), driven by a fake clock.</summary>
public sealed class SchedulingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(IHost Host, AutotaskSimulator Simulator)> StartAsync(
        FakeTimeProvider clock, Action<IServiceCollection> services, Action<AutotaskSchedulingOptions> schedule, string zone = "Europe/London", bool start = true)
    {
        var simulator = AutotaskSimulator.Create(new AutotaskSimulatorOptions
        {
            DataSet = SimulatorDataSet.Empty,
            Fixtures = data =>
            {
                var company = data.Add(new Company { CompanyName = "Fjord Backup Customer", CompanyType = CompanyType.Customer, IsActive = true });
                var contract = data.Add(new Contract { CompanyId = company.Id, ContractName = "Backup", ContractType = ContractType.RecurringService, Status = 1, StartDate = new LocalDate(2027, 12, 1), EndDate = new LocalDate(2029, 1, 31) });
                var storage = data.Add(new Service { Name = "Backup storage", PeriodType = 1, UnitPrice = 4m });
                data.Add(new ContractService { ContractId = contract.Id, ServiceId = storage.Id, UnitPrice = 4m });
            },
        });
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(clock);
        services(builder.Services);
        builder.Services.AddAutotaskIntegration(o => simulator.AddConnection(o, SyncHarness.Connection, c => c.TimeZone = zone))
            .UseSimulator(simulator)
            .AddAutotaskScheduling(s =>
            {
                s.TimeProvider = clock;
                s.Jitter = TimeSpan.FromMinutes(10);
                s.DailyDigestTime = null;
                s.InboundPollInterval = null;
                s.QuantitySyncInterval = null;
                schedule(s);
            });
        var host = builder.Build();
        if (start)
        {
            await host.StartAsync(Ct);
        }

        return (host, simulator);
    }

    private static async Task<IReadOnlyList<ScheduledJob>> ScheduleOf(IHost host)
    {
        var scheduler = host.Services.GetRequiredService<IAutotaskScheduler>();
        await Wait.UntilAsync(() => scheduler.GetScheduleAsync(SyncHarness.Connection, Ct).GetAwaiter().GetResult().Count > 0);
        return await scheduler.GetScheduleAsync(SyncHarness.Connection, Ct);
    }

    [Fact]
    public async Task Usage_billing_fires_on_each_invoice_date_at_its_local_time_and_moves_to_the_next()
    {
        var zone = DateTimeZoneProviders.Tzdb["Europe/London"];
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 1, 29, 12, 0, 0, TimeSpan.Zero));
        var source = new UsageBillingTests.ScriptedUsage(clock, zone);
        var (host, simulator) = await StartAsync(clock, s => s.AddSingleton<IUsageSource>(source), _ => { });
        using var _ = host;
        await using var __ = simulator;
        var store = host.Services.GetRequiredService<IMappingStore>();
        var line = simulator.Data.All<ContractService>()[0];
        await store.AddSubscriptionAsync(new SubscriptionMapping
        {
            Connection = SyncHarness.Connection, VendorSubscriptionId = "usage-a", VendorCustomerId = "org-1", VendorOfferId = "storage",
            CompanyId = simulator.Data.All<Company>()[0].Id, ContractId = line.ContractId, ContractServiceId = line.Id, ServiceId = line.ServiceId,
        }, Ct);
        var jitter = host.Services.GetRequiredService<AutotaskScheduler>().Jitter(SyncHarness.Connection, AutotaskJobNames.UsageBilling);

        var schedule = await ScheduleOf(host);
        var first = Assert.Single(schedule);
        Assert.Equal(AutotaskJobNames.UsageBilling, first.Job);
        // 30 January 2028, 02:00 in London (GMT), plus the connection's jitter.
        Assert.Equal(Instant.FromUtc(2028, 1, 30, 2, 0) + Duration.FromTimeSpan(jitter), first.NextRun);

        foreach (var (invoiceDate, next) in new[] { (new LocalDate(2028, 1, 30), new LocalDate(2028, 2, 29)), (new LocalDate(2028, 2, 29), new LocalDate(2028, 3, 30)), (new LocalDate(2028, 3, 30), new LocalDate(2028, 4, 30)) })
        {
            var due = invoiceDate.At(new LocalTime(2, 0)).InZoneLeniently(zone).ToInstant() + Duration.FromTimeSpan(jitter);
            clock.SetUtcNow(due.ToDateTimeOffset().AddSeconds(1));
            await Wait.UntilAsync(() => source.Billed.Any(b => b.Period.InvoiceDate == invoiceDate));
            var expectedNext = next.At(new LocalTime(2, 0)).InZoneLeniently(zone).ToInstant() + Duration.FromTimeSpan(jitter);
            await Wait.UntilAsync(() => ScheduleOf(host).GetAwaiter().GetResult()[0].NextRun == expectedNext);
        }

        // 30 March 2028 is in British Summer Time: 02:00 local is 01:00 UTC.
        Assert.Equal([new LocalDate(2028, 1, 30), new LocalDate(2028, 2, 29), new LocalDate(2028, 3, 30)], source.Billed.Select(b => b.Period.InvoiceDate));
        Assert.Equal(Instant.FromUtc(2028, 3, 30, 1, 0) + Duration.FromTimeSpan(jitter), Instant.FromDateTimeOffset(clock.GetUtcNow()) - Duration.FromSeconds(1));
        Assert.Equal(UsageBillingTests.Rule.UnitsFor(UsageBillingTests.GigabytesFor("usage-a", new LocalDate(2028, 3, 30))), simulator.Data.UnitsOn(line.Id, new LocalDate(2028, 3, 30)));
        var runs = await host.Services.GetRequiredService<IAutotaskJobs>().GetRunsAsync(SyncHarness.Connection, AutotaskJobNames.UsageBilling, Ct);
        Assert.Equal(3, runs.Count);
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task After_downtime_a_missed_interval_fires_once_not_once_per_slot()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 5, 1, 8, 0, 0, TimeSpan.Zero));
        var quantities = new CountingQuantities();
        var (host, simulator) = await StartAsync(clock, s => s.AddSingleton<IQuantitySource>(quantities), s => { s.QuantitySyncInterval = TimeSpan.FromMinutes(5); s.Jitter = TimeSpan.Zero; });
        using var _ = host;
        await using var __ = simulator;
        await ScheduleOf(host);

        var jobs = host.Services.GetRequiredService<IAutotaskJobs>();
        await StepUntilAsync(clock, () => jobs.GetRunsAsync(SyncHarness.Connection).GetAwaiter().GetResult() is [{ CompletedAt: not null }]);
        Assert.Equal(1, quantities.Calls);

        // Down for an hour: twelve slots pass unseen.
        clock.Advance(TimeSpan.FromHours(1));
        await StepUntilAsync(clock, () => quantities.Calls >= 2);
        await Task.Delay(500, Ct);

        Assert.Equal(2, quantities.Calls);
        var next = Assert.Single(await ScheduleOf(host)).NextRun!.Value;
        Assert.True(next > Instant.FromDateTimeOffset(clock.GetUtcNow()), $"The next run {next} is after now.");
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task After_an_outage_of_half_a_minute_a_one_second_interval_runs_once_not_once_per_second_missed()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 5, 1, 8, 0, 0, TimeSpan.Zero));
        var quantities = new CountingQuantities();
        var (host, simulator) = await StartAsync(clock, s => s.AddSingleton<IQuantitySource>(quantities), s => { s.QuantitySyncInterval = TimeSpan.FromSeconds(1); s.Jitter = TimeSpan.Zero; });
        using var _ = host;
        await using var __ = simulator;
        await ScheduleOf(host);
        var quartz = await host.Services.GetRequiredService<global::Quartz.ISchedulerFactory>().GetScheduler(Ct);
        InFlight.Of(quartz);
        var trigger = await quartz.GetTrigger(AutotaskScheduler.TriggerKeyOf(SyncHarness.Connection, AutotaskJobNames.QuantitySync), Ct);
        // Half the interval: a firing later than that is a misfire, fired once now, not a slot to catch up on.
        Assert.Equal(TimeSpan.FromMilliseconds(500), trigger!.MisfireThreshold);

        // Running: the clock moves a second at a time until a run happened, then stands still until Quartz is idle.
        await StepUntilAsync(clock, () => quantities.Calls >= 1);
        await IdleAsync(host, quartz, clock, () => true);
        var before = quantities.Calls;

        // Down for 30 seconds: 30 slots pass unseen.
        clock.Advance(TimeSpan.FromSeconds(30));
        await IdleAsync(host, quartz, clock, () => quantities.Calls > before);

        Assert.Equal(before + 1, quantities.Calls);
        Assert.Equal(before + 1, (await host.Services.GetRequiredService<IAutotaskJobs>().GetRunsAsync(SyncHarness.Connection, cancellationToken: Ct)).Count);
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task After_an_outage_over_two_invoice_dates_one_usage_run_bills_both_periods()
    {
        var zone = DateTimeZoneProviders.Tzdb["Europe/London"];
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 1, 29, 12, 0, 0, TimeSpan.Zero));
        var source = new UsageBillingTests.ScriptedUsage(clock, zone);
        var (host, simulator) = await StartAsync(clock, s => s.AddSingleton<IUsageSource>(source), _ => { });
        using var _ = host;
        await using var __ = simulator;
        var line = await MapUsageAsync(host, simulator);
        var quartz = await host.Services.GetRequiredService<global::Quartz.ISchedulerFactory>().GetScheduler(Ct);
        InFlight.Of(quartz);
        var jitter = Duration.FromTimeSpan(host.Services.GetRequiredService<AutotaskScheduler>().Jitter(SyncHarness.Connection, AutotaskJobNames.UsageBilling));
        Instant Slot(LocalDate date) => date.At(new LocalTime(2, 0)).InZoneLeniently(zone).ToInstant() + jitter;
        await ScheduleOf(host);
        clock.SetUtcNow(Slot(new LocalDate(2028, 1, 30)).ToDateTimeOffset().AddSeconds(1));
        await IdleAsync(host, quartz, clock, () => ScheduleOf(host).GetAwaiter().GetResult()[0].NextRun == Slot(new LocalDate(2028, 2, 29)));

        // Down from before 29 February's run to after 30 March's.
        clock.SetUtcNow(Slot(new LocalDate(2028, 3, 30)).ToDateTimeOffset().AddHours(3));
        await IdleAsync(host, quartz, clock, () => ScheduleOf(host).GetAwaiter().GetResult()[0].NextRun == Slot(new LocalDate(2028, 4, 30)));

        Assert.Equal([new LocalDate(2028, 1, 30), new LocalDate(2028, 2, 29), new LocalDate(2028, 3, 30)], source.Billed.Select(b => b.Period.InvoiceDate));
        var runs = await host.Services.GetRequiredService<IAutotaskJobs>().GetRunsAsync(SyncHarness.Connection, AutotaskJobNames.UsageBilling, Ct);
        Assert.Equal(["Billed 2028-02-29, 2028-03-30.", "Billed 2028-01-30."], runs.Select(r => r.Detail));
        Assert.Equal(UsageBillingTests.Rule.UnitsFor(UsageBillingTests.GigabytesFor("usage-a", new LocalDate(2028, 3, 30))), simulator.Data.UnitsOn(line.Id, new LocalDate(2028, 3, 30)));
        await host.StopAsync(Ct);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(1)]
    public async Task A_failed_usage_run_is_retried_on_the_vendors_backoff_within_the_period(int? maxAttempts)
    {
        var zone = DateTimeZoneProviders.Tzdb["Europe/London"];
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 1, 29, 12, 0, 0, TimeSpan.Zero));
        // The vendor's usage API is down for the first two reads.
        var source = new JobTests.MutableUsage { Figures = { ["usage-a"] = 5.2 }, Failures = 2 };
        var (host, simulator) = await StartAsync(clock, s => s.AddSingleton<IUsageSource>(source), s =>
        {
            s.UsageRetryDelay = TimeSpan.FromMinutes(10);
            s.UsageRetryBackoff = 3;
            s.UsageRetryMaxDelay = TimeSpan.FromMinutes(45);
            s.UsageRetryMaxAttempts = maxAttempts;
        });
        using var _ = host;
        await using var __ = simulator;
        var line = await MapUsageAsync(host, simulator);
        var quartz = await host.Services.GetRequiredService<global::Quartz.ISchedulerFactory>().GetScheduler(Ct);
        InFlight.Of(quartz);
        var jitter = Duration.FromTimeSpan(host.Services.GetRequiredService<AutotaskScheduler>().Jitter(SyncHarness.Connection, AutotaskJobNames.UsageBilling));
        Instant Slot(LocalDate date) => date.At(new LocalTime(2, 0)).InZoneLeniently(zone).ToInstant() + jitter;
        var jobs = host.Services.GetRequiredService<IAutotaskJobs>();
        await ScheduleOf(host);

        var at = Slot(new LocalDate(2028, 1, 30)) + Duration.FromSeconds(1);
        clock.SetUtcNow(at.ToDateTimeOffset());
        if (maxAttempts is null)
        {
            // Retried 10, then 30 minutes after each failure (the third delay would be 90, capped at 45), inside the period.
            foreach (var delay in new[] { Duration.FromMinutes(10), Duration.FromMinutes(30) })
            {
                await IdleAsync(host, quartz, clock, () => ScheduleOf(host).GetAwaiter().GetResult()[0].NextRun == at + delay);
                at += delay + Duration.FromSeconds(1);
                clock.SetUtcNow(at.ToDateTimeOffset());
            }

            await IdleAsync(host, quartz, clock, () => ScheduleOf(host).GetAwaiter().GetResult()[0].NextRun == Slot(new LocalDate(2028, 2, 29)));
            var runs = await jobs.GetRunsAsync(SyncHarness.Connection, AutotaskJobNames.UsageBilling, Ct);
            Assert.Equal([JobOutcome.Succeeded, JobOutcome.Failed, JobOutcome.Failed], runs.Select(r => r.Outcome));
            Assert.All(runs, r => Assert.InRange(r.StartedAt, Slot(new LocalDate(2028, 1, 30)), Slot(new LocalDate(2028, 1, 30)) + Duration.FromHours(1)));
            Assert.Equal(TimeSpan.FromMinutes(45), host.Services.GetRequiredService<AutotaskScheduler>().RetryDelay(3));
            Assert.Equal(6, simulator.Data.UnitsOn(line.Id, new LocalDate(2028, 1, 30)));
        }
        else
        {
            // One failed attempt allowed: the trigger waits for the next invoice date, whose run bills both periods.
            await IdleAsync(host, quartz, clock, () => ScheduleOf(host).GetAwaiter().GetResult()[0].NextRun == Slot(new LocalDate(2028, 2, 29)));
            Assert.Equal(1, (await jobs.GetUsageBillingStatusAsync(SyncHarness.Connection, Ct)).FailedAttempts);
            source.Failures = 0;
            clock.SetUtcNow(Slot(new LocalDate(2028, 2, 29)).ToDateTimeOffset().AddSeconds(1));
            await IdleAsync(host, quartz, clock, () => ScheduleOf(host).GetAwaiter().GetResult()[0].NextRun == Slot(new LocalDate(2028, 3, 30)));
            var runs = await jobs.GetRunsAsync(SyncHarness.Connection, AutotaskJobNames.UsageBilling, Ct);
            Assert.Equal([JobOutcome.Succeeded, JobOutcome.Failed], runs.Select(r => r.Outcome));
            Assert.Equal("Billed 2028-01-30, 2028-02-29.", runs[0].Detail);
        }

        await host.StopAsync(Ct);
    }

    /// <summary>Maps usage-a to the fixture's contract service.</summary>
    private static async Task<ContractService> MapUsageAsync(IHost host, AutotaskSimulator simulator)
    {
        var line = simulator.Data.All<ContractService>()[0];
        await host.Services.GetRequiredService<IMappingStore>().AddSubscriptionAsync(new SubscriptionMapping
        {
            Connection = SyncHarness.Connection, VendorSubscriptionId = "usage-a", VendorCustomerId = "org-1", VendorOfferId = "storage",
            CompanyId = simulator.Data.All<Company>()[0].Id, ContractId = line.ContractId, ContractServiceId = line.Id, ServiceId = line.ServiceId,
        }, Ct);
        return line;
    }

    /// <summary>
    /// Waits until the condition holds and Quartz has caught up with the clock, then a moment more: Quartz finishes a
    /// firing in its store just after the job's listeners hear it ended, and a clock moved before that would have the
    /// trigger's next firing dropped by its overlap policy as if the last were still running.
    /// </summary>
    private static async Task IdleAsync(IHost host, global::Quartz.IScheduler quartz, FakeTimeProvider clock, Func<bool> condition)
    {
        await Wait.UntilAsync(() => condition() && Settled(host, quartz, clock));
        await Task.Delay(200, Ct);
        await Wait.UntilAsync(() => condition() && Settled(host, quartz, clock));
    }

    /// <summary>Quartz has caught up with the clock: no job is running, and every trigger's next time is ahead of now.</summary>
    private static bool Settled(IHost host, global::Quartz.IScheduler quartz, FakeTimeProvider clock) =>
        InFlight.Of(quartz).Count == 0 &&
        host.Services.GetRequiredService<IAutotaskScheduler>().GetScheduleAsync(SyncHarness.Connection, Ct).GetAwaiter().GetResult()
            .All(j => j.NextRun is { } next && next > Instant.FromDateTimeOffset(clock.GetUtcNow()));

    [Fact]
    public async Task Connections_linked_or_removed_at_run_time_gain_or_lose_their_triggers()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 5, 1, 8, 0, 0, TimeSpan.Zero));
        var (host, simulator) = await StartAsync(clock, s => s.AddSingleton<IQuantitySource>(new CountingQuantities()).AddSingleton<IInboundHandler>(new NoInbound()),
            s => { s.QuantitySyncCron = "0 0 6 ? * MON-FRI"; s.InboundPollInterval = TimeSpan.FromMinutes(15); });
        using var _ = host;
        await using var __ = simulator;
        var scheduler = host.Services.GetRequiredService<IAutotaskScheduler>();
        var manager = host.Services.GetRequiredService<IAutotaskConnectionManager>();
        // The start-up reconcile listed the connections before it scheduled them: once the first has both its
        // triggers, that pass cannot take up the connection saved below, and the counts are this test's own.
        await Wait.UntilAsync(() => scheduler.GetScheduleAsync(SyncHarness.Connection, Ct).GetAwaiter().GetResult().Count == 2);

        await manager.SaveUntestedAsync("partner-b", simulator.CreateConnectionSettings(c => c.TimeZone = "America/New_York"), Ct);
        var (added, removed) = await scheduler.ReconcileAsync(Ct);
        var schedule = await scheduler.GetScheduleAsync("partner-b", Ct);

        Assert.Equal((2, 0), (added, removed));
        Assert.Equal([AutotaskJobNames.QuantitySync, AutotaskJobNames.InboundPoll], schedule.Select(j => j.Job));
        Assert.Equal("cron 0 0 6 ? * MON-FRI in America/New_York", schedule[0].Schedule);
        // 1 May 2028 is a Monday: 06:00 in New York is 10:00 UTC.
        Assert.Equal(Instant.FromUtc(2028, 5, 1, 10, 0), schedule[0].NextRun);
        Assert.Equal((0, 0), await scheduler.ReconcileAsync(Ct));

        await host.Services.GetRequiredService<IAutotaskConnectionStore>().RemoveAsync("partner-b", Ct);
        Assert.Equal((0, 2), await scheduler.ReconcileAsync(Ct));
        Assert.Empty(await scheduler.GetScheduleAsync("partner-b", Ct));
        Assert.Equal(2, (await scheduler.GetScheduleAsync(SyncHarness.Connection, Ct)).Count);
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task Every_spelling_of_an_id_names_the_same_triggers_so_its_jobs_are_scheduled_once()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 5, 1, 8, 0, 0, TimeSpan.Zero));
        var (host, simulator) = await StartAsync(clock, s => s.AddSingleton<IQuantitySource>(new CountingQuantities()).AddSingleton<IInboundHandler>(new NoInbound()),
            s => { s.QuantitySyncCron = "0 0 6 ? * MON-FRI"; s.InboundPollInterval = TimeSpan.FromMinutes(15); });
        using var _ = host;
        await using var __ = simulator;
        var scheduler = host.Services.GetRequiredService<IAutotaskScheduler>();
        await Wait.UntilAsync(() => scheduler.GetScheduleAsync(SyncHarness.Connection, Ct).GetAwaiter().GetResult().Count == 2);
        await host.Services.GetRequiredService<IAutotaskConnectionManager>().SaveUntestedAsync("partner-b", simulator.CreateConnectionSettings(), Ct);

        var first = await scheduler.ScheduleConnectionAsync("partner-b", Ct);
        var again = await scheduler.ScheduleConnectionAsync("PARTNER-B", Ct);
        var schedule = await scheduler.GetScheduleAsync("Partner-B", Ct);

        Assert.Equal((2, 0), (first, again));
        Assert.Equal(["partner-b", "partner-b"], schedule.Select(j => j.Connection));
        Assert.Equal((0, 0), await scheduler.ReconcileAsync(Ct));
        Assert.Equal(2, await scheduler.UnscheduleConnectionAsync("PARTNER-b", Ct));
        Assert.Empty(await scheduler.GetScheduleAsync("partner-b", Ct));
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task Jitter_spreads_connections_over_the_window_the_same_way_in_every_instance()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 5, 1, 8, 0, 0, TimeSpan.Zero));
        var (host, simulator) = await StartAsync(clock, _ => { }, s => s.Jitter = TimeSpan.FromMinutes(10), start: false);
        using var _ = host;
        await using var __ = simulator;
        var scheduler = host.Services.GetRequiredService<AutotaskScheduler>();

        var offsets = Enumerable.Range(1, 1000).Select(i => scheduler.Jitter($"partner-{i}", AutotaskJobNames.QuantitySync)).ToList();

        Assert.All(offsets, o => Assert.InRange(o, TimeSpan.Zero, TimeSpan.FromSeconds(599)));
        // 1,000 connections over 600 seconds: no second holds more than a handful, every minute holds some.
        Assert.True(offsets.GroupBy(o => o).Max(g => g.Count()) <= 8, "No second is crowded.");
        Assert.Equal(10, offsets.Select(o => (int)o.TotalMinutes).Distinct().Count());
        Assert.Equal(offsets, Enumerable.Range(1, 1000).Select(i => scheduler.Jitter($"PARTNER-{i}", AutotaskJobNames.QuantitySync)));
        Assert.NotEqual(scheduler.Jitter("partner-1", AutotaskJobNames.QuantitySync), scheduler.Jitter("partner-1", AutotaskJobNames.InboundPoll));
    }

    [Fact]
    public async Task A_job_running_when_the_host_stops_is_cancelled_and_recorded_so()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 5, 1, 8, 0, 0, TimeSpan.Zero));
        var quantities = new CountingQuantities { Block = true };
        var (host, simulator) = await StartAsync(clock, s => s.AddSingleton<IQuantitySource>(quantities), s => { s.QuantitySyncInterval = TimeSpan.FromMinutes(5); s.Jitter = TimeSpan.Zero; });
        using var _ = host;
        await using var __ = simulator;
        await ScheduleOf(host);
        clock.Advance(TimeSpan.FromSeconds(1));
        await Wait.UntilAsync(() => quantities.Calls == 1);

        await host.StopAsync(Ct);

        var run = Assert.Single(await host.Services.GetRequiredService<IAutotaskJobs>().GetRunsAsync(SyncHarness.Connection, cancellationToken: Ct));
        Assert.Equal(JobOutcome.Cancelled, run.Outcome);
    }

    [Theory]
    [InlineData("0 0 0 30 2 ?", "never fires")]
    [InlineData("every morning", "is not a Quartz cron expression")]
    public void A_cron_that_cannot_work_stops_the_application_at_registration(string cron, string message)
    {
        var services = new ServiceCollection();

        var error = Assert.Throws<AutotaskConfigurationException>(() => services.AddAutotaskIntegration(_ => { }).AddAutotaskScheduling(s => s.QuantitySyncCron = cron));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(IAutotaskScheduler));
    }

    [Fact]
    public void Intervals_jitter_and_schema_names_that_cannot_work_are_refused()
    {
        AutotaskConfigurationException Refused(Action<AutotaskSchedulingOptions> configure) =>
            Assert.Throws<AutotaskConfigurationException>(() => new ServiceCollection().AddAutotaskIntegration(_ => { }).AddAutotaskScheduling(configure));

        Assert.Contains("QuantitySyncInterval", Refused(s => s.QuantitySyncInterval = TimeSpan.Zero).Message, StringComparison.Ordinal);
        Assert.Contains("InboundPollInterval", Refused(s => s.InboundPollInterval = TimeSpan.FromMilliseconds(-5)).Message, StringComparison.Ordinal);
        Assert.Contains("Jitter", Refused(s => s.Jitter = TimeSpan.FromSeconds(-1)).Message, StringComparison.Ordinal);
        Assert.Contains("MaxConcurrentJobs", Refused(s => s.MaxConcurrentJobs = 0).Message, StringComparison.Ordinal);
        Assert.Contains("UsageRetryDelay", Refused(s => s.UsageRetryDelay = TimeSpan.FromMilliseconds(10)).Message, StringComparison.Ordinal);
        Assert.Contains("UsageRetryBackoff", Refused(s => s.UsageRetryBackoff = 0.5).Message, StringComparison.Ordinal);
        Assert.Contains("UsageRetryBackoff", Refused(s => s.UsageRetryBackoff = double.NaN).Message, StringComparison.Ordinal);
        Assert.Contains("UsageRetryMaxDelay", Refused(s => s.UsageRetryMaxDelay = TimeSpan.FromMinutes(1)).Message, StringComparison.Ordinal);
        Assert.Contains("UsageRetryMaxAttempts", Refused(s => s.UsageRetryMaxAttempts = -1).Message, StringComparison.Ordinal);
        Assert.Contains("PostgreSqlSchema", Refused(s => { s.PostgreSqlConnectionString = "Host=127.0.0.1"; s.PostgreSqlSchema = "quartz; drop table x"; }).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_in_an_unknown_time_zone_is_refused_typed_and_the_others_are_still_scheduled()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 5, 1, 8, 0, 0, TimeSpan.Zero));
        var (host, simulator) = await StartAsync(clock, s => s.AddSingleton<IQuantitySource>(new CountingQuantities()), s => s.QuantitySyncInterval = TimeSpan.FromHours(1));
        using var _ = host;
        await using var __ = simulator;
        await ScheduleOf(host);
        var store = host.Services.GetRequiredService<IAutotaskConnectionStore>();
        await store.AddAsync("partner-mars", simulator.CreateConnectionSettings(c => c.TimeZone = "Mars/Olympus_Mons"), Ct);
        await store.AddAsync("partner-tokyo", simulator.CreateConnectionSettings(c => c.TimeZone = "Asia/Tokyo"), Ct);
        var scheduler = host.Services.GetRequiredService<IAutotaskScheduler>();

        var error = await Assert.ThrowsAsync<AutotaskConfigurationException>(() => scheduler.ScheduleConnectionAsync("partner-mars", Ct));
        var (added, _) = await scheduler.ReconcileAsync(Ct);

        Assert.Contains("'Mars/Olympus_Mons', which is not an IANA time zone id", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, added);
        Assert.Single(await scheduler.GetScheduleAsync("partner-tokyo", Ct));
        Assert.Empty(await scheduler.GetScheduleAsync("partner-mars", Ct));
        await Assert.ThrowsAsync<AutotaskConnectionNotFoundException>(() => scheduler.ScheduleConnectionAsync("nobody", Ct));
        await host.StopAsync(Ct);
    }

    /// <summary>
    /// Moves the clock on a second at a time (the scheduler's and the client's own waits are on it) until the condition holds, for at most
    /// two minutes of it (under the 5-minute interval, so no second slot comes due). Each step waits 50 ms of real time, so that Quartz's
    /// own thread sees every second even on a loaded machine: stepping as fast as the condition is polled ran the minute out before
    /// Quartz had looked once, and the test then waited on a clock nobody moved.
    /// </summary>
    private static async Task StepUntilAsync(FakeTimeProvider clock, Func<bool> condition)
    {
        for (var step = 0; step < 120 && !condition(); step++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50, Ct);
        }

        await Wait.UntilAsync(condition);
    }

    /// <summary>Counts the firings of a scheduler that are running (from before the job to after it).</summary>
    private sealed class InFlight : global::Quartz.IJobListener
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<global::Quartz.IScheduler, InFlight> Listeners = [];
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public string Name => "in-flight";

        public static InFlight Of(global::Quartz.IScheduler scheduler) => Listeners.GetValue(scheduler, s =>
        {
            var listener = new InFlight();
            s.ListenerManager.AddJobListener(listener, []);
            return listener;
        });

        public ValueTask JobToBeExecuted(global::Quartz.IJobExecutionContext context, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _count);
            return ValueTask.CompletedTask;
        }

        public ValueTask JobExecutionVetoed(global::Quartz.IJobExecutionContext context, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask JobWasExecuted(global::Quartz.IJobExecutionContext context, global::Quartz.JobExecutionException? jobException, CancellationToken cancellationToken = default)
        {
            Interlocked.Decrement(ref _count);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class CountingQuantities : IQuantitySource
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public bool Block { get; init; }

        public async ValueTask<IReadOnlyList<SubscriptionQuantity>> GetQuantitiesAsync(string connection, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            if (Block)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return [];
        }
    }

    private sealed class NoInbound : IInboundHandler
    {
        public ValueTask OnCustomerAsync(string connection, Autotask.Integration.Inbound.CustomerChange change, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask OnContractAsync(string connection, Autotask.Integration.Inbound.ContractChange change, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
