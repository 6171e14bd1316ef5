using System.Diagnostics;
using System.Globalization;
using Autotask.Integration.Connections;
using Autotask.Integration.Jobs;
using Autotask.Integration.Quartz;
using Autotask.Integration.Sync;
using Autotask.Integration.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace Autotask.Integration.Benchmarks;

/// <summary>
/// What the Quartz scheduler itself costs one instance with many connections (not a BenchmarkDotNet run: it measures
/// one process's heap and CPU, which BenchmarkDotNet's iterations do not show): a host with no connections is the
/// baseline, then 5,000 connections (five time zones) get their four triggers each (usage billing on the invoice
/// date, the quantity sync hourly, the daily digest, the inbound poll every 15 minutes) on the in-memory store. It
/// reports the CPU and allocations of scheduling them, the heap they keep, the scheduler's CPU while idle against the
/// empty host's over the same time (with only the usage triggers, all waiting for the next invoice date; and with all
/// four, whose first runs fall within the jitter window, so jobs fire), and how the jitter spreads the quantity sync's first runs over the window
/// against no jitter. Run with <c>-- scheduler</c>.
/// </summary>
internal static class SchedulerAtScale
{
    private static readonly string[] Zones = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Tokyo", "Etc/UTC"];

    public static async Task RunAsync(TextWriter output, int connections = 5_000)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Scheduler at scale: {connections:N0} connections, {Environment.ProcessorCount} cores, .NET {Environment.Version}"));
        var empty = await MeasureAsync(0, TimeSpan.FromMinutes(10));
        var waiting = await MeasureAsync(connections, TimeSpan.FromMinutes(10), usageOnly: true);
        var spread = await MeasureAsync(connections, TimeSpan.FromMinutes(10));
        var bunched = await MeasureAsync(connections, TimeSpan.Zero, idle: false);

        output.WriteLine();
        output.WriteLine("| | no connections (baseline) | 5,000 connections | per connection |");
        output.WriteLine("| --- | --- | --- | --- |");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| triggers | {empty.Triggers:N0} | {spread.Triggers:N0} | {(double)spread.Triggers / connections:0.0} |"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| CPU to schedule (reconcile) | {empty.ScheduleCpu.TotalMilliseconds:N0} ms | {spread.ScheduleCpu.TotalMilliseconds:N0} ms | {spread.ScheduleCpu.TotalMilliseconds * 1000 / connections:N0} µs |"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| allocated while scheduling | {empty.Allocated / 1e6:N1} MB | {spread.Allocated / 1e6:N1} MB | {(spread.Allocated - empty.Allocated) / 1e3 / connections:N1} KB |"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| heap kept after scheduling | {empty.Heap / 1e6:N1} MB | {spread.Heap / 1e6:N1} MB | {(spread.Heap - empty.Heap) / 1e3 / connections:N1} KB |"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| CPU over {IdleFor.TotalSeconds:0} s, {waiting.Triggers:N0} triggers waiting (usage billing only, next invoice date) | {empty.IdleCpu.TotalMilliseconds:N0} ms | {waiting.IdleCpu.TotalMilliseconds:N0} ms ({waiting.Fired:N0} fired) | {(waiting.IdleCpu - empty.IdleCpu).TotalMilliseconds * 1000 / connections:0.0} µs |"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| CPU over {IdleFor.TotalSeconds:0} s, all four jobs (first runs due within the jitter window: a quantity sync and an inbound poll of an empty database, each a connection's first run: zone discovery, database binding, history) | {empty.IdleCpu.TotalMilliseconds:N0} ms | {spread.IdleCpu.TotalMilliseconds:N0} ms ({spread.Fired:N0} jobs fired) | {(spread.Fired == 0 ? 0 : (spread.IdleCpu - empty.IdleCpu).TotalMilliseconds / spread.Fired):0.00} ms per job fired |"));
        output.WriteLine();
        output.WriteLine("First quantity-sync run of each connection, by second of the window:");
        output.WriteLine("| jitter | distinct seconds | most in one second | seconds with none (of 600) |");
        output.WriteLine("| --- | --- | --- | --- |");
        foreach (var (name, run) in new[] { ("none", bunched), ("10 minutes", spread) })
        {
            var bySecond = run.FirstRuns.GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {bySecond.Count:N0} | {bySecond.Values.DefaultIfEmpty().Max():N0} | {600 - Enumerable.Range(0, 600).Count(bySecond.ContainsKey):N0} |"));
        }
    }

    private static readonly TimeSpan IdleFor = TimeSpan.FromSeconds(20);

    private sealed record Measurement(int Triggers, TimeSpan ScheduleCpu, long Allocated, long Heap, TimeSpan IdleCpu, int Fired, IReadOnlyList<int> FirstRuns);

    private static async Task<Measurement> MeasureAsync(int connections, TimeSpan jitter, bool idle = true, bool usageOnly = false)
    {
        var simulator = AutotaskSimulator.Create(new AutotaskSimulatorOptions { DataSet = SimulatorDataSet.Empty });
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IUsageSource>(new Sources());
        if (!usageOnly)
        {
            builder.Services.AddSingleton<IQuantitySource>(new Sources()).AddSingleton<IDigestSource>(new Sources()).AddSingleton<IInboundHandler>(new Sources());
        }

        builder.Services.AddAutotaskIntegration(simulator.ConfigureZones).UseSimulator(simulator).UseAuditSink(new Auditing.InMemoryAuditSink())
            .AddAutotaskScheduling(s =>
            {
                s.Jitter = jitter;
                // Reconciled by the measurement, not by the timer.
                s.ReconcileInterval = TimeSpan.FromHours(1);
            });
        using var host = builder.Build();
        var store = host.Services.GetRequiredService<IAutotaskConnectionStore>();
        for (var i = 0; i < connections; i++)
        {
            await store.AddAsync($"partner-{i:00000}", simulator.CreateConnectionSettings(c => c.TimeZone = Zones[i % Zones.Length]));
        }

        // Scheduled before the scheduler starts (it accepts triggers in stand-by), so that nothing fires while measuring.
        var scheduler = host.Services.GetRequiredService<IAutotaskScheduler>();
        await scheduler.ReconcileAsync();
        for (var i = 0; i < connections; i++)
        {
            await scheduler.UnscheduleConnectionAsync($"partner-{i:00000}");
        }

        Settle();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var (added, _) = await scheduler.ReconcileAsync();
        var scheduleCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Settle();
        var heap = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;

        var now = DateTimeOffset.UtcNow;
        var firstRuns = new List<int>();
        for (var i = 0; i < connections && !usageOnly; i++)
        {
            var quantity = (await scheduler.GetScheduleAsync($"partner-{i:00000}")).First(j => j.Job == AutotaskJobNames.QuantitySync);
            firstRuns.Add(Math.Max(0, (int)Math.Floor((quantity.NextRun!.Value.ToDateTimeOffset() - now).TotalSeconds)));
        }

        var idleCpu = TimeSpan.Zero;
        var fired = 0;
        if (idle)
        {
            await host.StartAsync();
            await Task.Delay(TimeSpan.FromSeconds(2));
            Settle();
            var from = Instant.FromDateTimeOffset(DateTimeOffset.UtcNow);
            var idleBefore = Process.GetCurrentProcess().TotalProcessorTime;
            await Task.Delay(IdleFor);
            idleCpu = Process.GetCurrentProcess().TotalProcessorTime - idleBefore;
            var until = Instant.FromDateTimeOffset(DateTimeOffset.UtcNow);
            await host.StopAsync();

            // Every run of every job is in the connections' histories.
            var jobs = host.Services.GetRequiredService<IAutotaskJobs>();
            for (var i = 0; i < connections; i++)
            {
                fired += (await jobs.GetRunsAsync($"partner-{i:00000}")).Count(r => r.StartedAt >= from && r.StartedAt < until);
            }
        }

        await simulator.DisposeAsync();
        return new Measurement(added, scheduleCpu, allocated, heap, idleCpu, fired, firstRuns);
    }

    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>Sources that give nothing: the scheduler's cost is measured, not the jobs'.</summary>
    private sealed class Sources : IUsageSource, IQuantitySource, IDigestSource, IInboundHandler
    {
        private static readonly UsageBillingOptions Billing = new() { Calendar = new InvoiceCalendar(InvoiceSchedule.OnDay(1, BusinessDayShift.NextBusinessDay)) };

        public ValueTask<UsageBillingOptions?> GetBillingOptionsAsync(string connection, CancellationToken cancellationToken) => ValueTask.FromResult<UsageBillingOptions?>(Billing);

        public ValueTask<IReadOnlyList<SubscriptionUsage>> GetUsageAsync(string connection, BillingPeriod period, CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<SubscriptionUsage>>([]);

        public ValueTask<IReadOnlyList<SubscriptionQuantity>> GetQuantitiesAsync(string connection, CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<SubscriptionQuantity>>([]);

        public ValueTask<IReadOnlyList<CustomerDigest>> GetDigestsAsync(string connection, LocalDate day, CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<CustomerDigest>>([]);

        public ValueTask OnCustomerAsync(string connection, Inbound.CustomerChange change, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask OnContractAsync(string connection, Inbound.ContractChange change, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
