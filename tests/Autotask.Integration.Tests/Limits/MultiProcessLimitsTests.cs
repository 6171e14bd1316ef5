using System.Globalization;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;

namespace Autotask.Integration.Tests.Limits;

/// <summary>
/// Autotask's limits where they break: three worker processes (real OS processes, each with its own HTTP client,
/// limits and timing) read from one simulated Autotask database on loopback, sharing one Redis.
/// </summary>
public sealed class MultiProcessLimitsTests(RedisServer redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<AutotaskSimulator> DatabaseAsync(int hourlyLimit, TimeSpan latency)
    {
        var simulator = await AutotaskSimulator.StartAsync(new AutotaskSimulatorOptions
        {
            DatabaseId = Random.Shared.NextInt64(1_000_000, long.MaxValue),

            // The workers' zone is configured, so their limits know the database by its API user: one of its own per
            // test, so that runs sharing one Redis (CI's net10.0 and net8.0 legs within the hour) never share an hour.
            UserName = $"api-{Guid.NewGuid():N}@example.com",
            HourlyRequestLimit = hourlyLimit,
            DataSet = SimulatorDataSet.Companies(200),
        }, Ct);
        simulator.Faults.Latency = latency;
        simulator.Faults.Randomly(SimulatorFault.Latency, 1.0, r => r.Entity == "Companies");
        return simulator;
    }

    private Dictionary<string, string> Settings(AutotaskSimulator simulator, int seed) => new()
    {
        ["STORE"] = "none",
        ["REDIS"] = redis.Configuration,
        ["TARGET_SHARE"] = "0.5",
        ["ZONE"] = simulator.ZoneUrl.ToString(),
        ["USERNAME"] = simulator.Options.UserName,
        ["SECRET"] = simulator.Options.Secret,
        ["CODE"] = simulator.Options.IntegrationCode,
        ["SEED"] = seed.ToString(CultureInfo.InvariantCulture),
    };

    [Fact]
    public async Task Three_processes_keep_to_three_threads_and_the_hourly_share_together()
    {
        // A database of 1,000 requests an hour; the vendor's share is half. Each process reads with six callers for
        // twelve seconds, asking for far more than 500 requests.
        await using var simulator = await DatabaseAsync(1_000, TimeSpan.FromMilliseconds(30));
        var workers = await Task.WhenAll(Enumerable.Range(1, 3).Select(i => SyncWorkerProcess.StartAsync($"r{i}", Settings(simulator, i), Ct)));
        try
        {
            foreach (var worker in workers)
            {
                await worker.SendAsync("reads 1 12 6");
            }

            var reads = await ReadsAsync(workers, 1, TimeSpan.FromSeconds(60));

            var readings = (int)simulator.RequestsByEntity.GetValueOrDefault("ThresholdInformation");
            Assert.True(simulator.PeakInFlightByEntity["Companies"] <= 3, $"{simulator.PeakInFlightByEntity["Companies"]} requests were in flight at once");
            Assert.Equal(0, simulator.ThreadLimitRefusals);
            Assert.True(reads <= 500, $"{reads} reads: more than the share of 500");
            Assert.True(reads + readings <= simulator.RequestsInCurrentHour);
            Assert.True(simulator.RequestsInCurrentHour <= 500 + readings, $"{simulator.RequestsInCurrentHour} requests reached the database");
            Assert.True(reads >= 400, $"only {reads} reads in twelve seconds, {readings} readings of ThresholdInformation: the processes did not use their share. {string.Join(" | ", workers.Select(w => w.Errors))}");
        }
        finally
        {
            foreach (var worker in workers)
            {
                await worker.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_process_killed_while_holding_every_thread_holds_them_until_its_leases_expire_and_the_others_go_on()
    {
        await using var simulator = await DatabaseAsync(10_000, TimeSpan.FromSeconds(3));
        await using var victim = await SyncWorkerProcess.StartAsync("victim", Settings(simulator, 1), Ct);
        var others = await Task.WhenAll(Enumerable.Range(2, 2).Select(i => SyncWorkerProcess.StartAsync($"r{i}", Settings(simulator, i), Ct)));
        try
        {
            // The victim takes all three threads (its reads take three seconds each), and is killed holding them.
            await victim.SendAsync("reads 1 60 6");
            await Wait.UntilAsync(() => simulator.InFlightByEntity.GetValueOrDefault("Companies") == 3, TimeSpan.FromSeconds(30));
            victim.KillHard();
            var killed = DateTime.UtcNow;
            simulator.Faults.Clear();
            simulator.Faults.Latency = TimeSpan.FromMilliseconds(30);
            simulator.Faults.Randomly(SimulatorFault.Latency, 1.0, r => r.Entity == "Companies");
            var before = simulator.RequestsByEntity.GetValueOrDefault("Companies");

            // Its leases live on in Redis for up to 60 seconds: the others wait rather than go past three threads, then read.
            foreach (var worker in others)
            {
                await worker.SendAsync("reads 2 75 3");
            }

            var reads = await ReadsAsync(others, 2, TimeSpan.FromSeconds(120));

            Assert.True(reads > 100, $"only {reads} reads after the victim's leases expired");
            Assert.True(simulator.PeakInFlightByEntity["Companies"] <= 3, $"{simulator.PeakInFlightByEntity["Companies"]} requests were in flight at once");
            Assert.Equal(0, simulator.ThreadLimitRefusals);
            Assert.True(simulator.RequestsByEntity["Companies"] > before);
            Assert.True(DateTime.UtcNow - killed < TimeSpan.FromSeconds(150));
        }
        finally
        {
            foreach (var worker in others)
            {
                await worker.DisposeAsync();
            }
        }
    }

    /// <summary>The reads the workers report for a round, each answer checked to be that round's "done".</summary>
    private static async Task<int> ReadsAsync(IEnumerable<SyncWorkerProcess> workers, int round, TimeSpan timeout)
    {
        var reads = 0;
        foreach (var worker in workers)
        {
            var answer = await worker.ReadLineAsync(timeout, Ct);
            Assert.StartsWith($"done {round} ", answer, StringComparison.Ordinal);
            reads += int.Parse(answer.Split(' ')[2], CultureInfo.InvariantCulture);
        }

        return reads;
    }
}
