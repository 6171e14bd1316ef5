using Autotask.Integration.Entities;
using Autotask.Integration.Limits;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Autotask.Integration.Tests.Limits;

/// <summary>
/// Autotask's thread limit belongs to the database, integration code and endpoint, and its hour to the database: the
/// SDK's limits are keyed the same way, shared by every connection on the database and, through Redis, by every
/// instance. Simulated requests take 40 ms, so that callers overlap.
/// </summary>
public sealed class SharedLimitsTests(RedisServer redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A simulated database of its own, so that tests sharing one Redis never share keys.</summary>
    private static AutotaskSimulator Database(int hourlyLimit = 10_000)
    {
        var simulator = AutotaskSimulator.Create(new AutotaskSimulatorOptions
        {
            DatabaseId = Random.Shared.NextInt64(1_000_000, long.MaxValue),
            HourlyRequestLimit = hourlyLimit,
            DataSet = SimulatorDataSet.Companies(30),
        });
        simulator.Faults.Latency = TimeSpan.FromMilliseconds(40);
        simulator.Faults.Randomly(SimulatorFault.Latency, 1.0);
        return simulator;
    }

    [Fact]
    public async Task Two_connections_to_one_database_share_its_three_threads()
    {
        await using var simulator = Database();
        await using var instance = LimitsInstance.Create(simulator);

        await Task.WhenAll(instance.ReadAsync("a", 5, 6, Ct), instance.ReadAsync("b", 5, 6, Ct));

        Assert.Equal(0, simulator.ThreadLimitRefusals);
        Assert.Equal(3, simulator.PeakInFlightByEntity["Companies"]);
    }

    [Fact]
    public async Task Two_instances_sharing_redis_share_the_threads_and_the_hour()
    {
        await using var simulator = Database();
        await using var one = LimitsInstance.Create(simulator, redis.Configuration, l => l.PaceAfterRequests = int.MaxValue);
        await using var two = LimitsInstance.Create(simulator, redis.Configuration, l => l.PaceAfterRequests = int.MaxValue);

        await Task.WhenAll(one.ReadAsync("a", 5, 6, Ct), two.ReadAsync("b", 5, 6, Ct));

        Assert.Equal(0, simulator.ThreadLimitRefusals);
        Assert.Equal(3, simulator.PeakInFlightByEntity["Companies"]);
        var limits = one.Services.GetRequiredService<IAutotaskSharedLimits>();
        Assert.Equal(60, await limits.CountAsync("db:" + simulator.Options.DatabaseId, Ct));
        Assert.True(one.Services.GetRequiredService<RequestLimits>().UsingShared);
    }

    [Fact]
    public async Task Without_shared_limits_two_instances_exceed_the_thread_limit()
    {
        // What the shared limits are for: each instance alone keeps to three, together they are refused.
        await using var simulator = Database();
        await using var one = LimitsInstance.Create(simulator);
        await using var two = LimitsInstance.Create(simulator);

        await Task.WhenAll(one.ReadAsync("a", 5, 6, Ct), two.ReadAsync("b", 5, 6, Ct));

        Assert.True(simulator.ThreadLimitRefusals > 0, "two instances without shared limits were never refused: the test shows nothing");
    }

    [Fact]
    public async Task The_hour_is_shared_by_instances_through_redis()
    {
        await using var simulator = Database();
        await using var one = LimitsInstance.Create(simulator, redis.Configuration, l => l.PaceAfterRequests = int.MaxValue);
        await using var two = LimitsInstance.Create(simulator, redis.Configuration, l => l.PaceAfterRequests = int.MaxValue, connection: c => c.HourlyRequestBudget = 10);

        // The database allows the first instance ten requests: the second must wait for the hour, not send an eleventh.
        await one.ReadAsync("a", 1, 10, Ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var budget = one.Services.GetRequiredService<IAutotaskSharedLimits>();
        Assert.False(await budget.TryCountAsync("db:" + simulator.Options.DatabaseId, 10, Ct));
        cts.CancelAfter(TimeSpan.FromMilliseconds(500));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => two.Client("b").GetAsync<Company>(1, cts.Token));
        Assert.Equal(10, simulator.Requests.Count(r => r.Entity == "Companies"));
    }

    [Fact]
    public async Task Redis_lost_mid_run_falls_back_to_each_instances_part_and_says_so()
    {
        await using var own = await RedisServer.StartOwnAsync();
        await using var simulator = Database();
        await using var instance = LimitsInstance.Create(simulator, own.Configuration, l =>
        {
            l.PaceAfterRequests = int.MaxValue;
            l.AssumedInstances = 3;
            l.SharedRetryInterval = TimeSpan.FromMinutes(5);
        });
        using var fallbacks = new MetricCollector<long>(instance.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), AutotaskTelemetry.MeterName, "autotask.limits.fallbacks");
        using var shared = new MetricCollector<int>(instance.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), AutotaskTelemetry.MeterName, "autotask.limits.shared");
        await instance.ReadAsync("a", 5, 4, Ct);
        Assert.Equal(3, simulator.PeakInFlightByEntity["Companies"]);

        await own.StopAsync();
        await Task.WhenAll(
            Enumerable.Range(0, 6).Select(i => instance.Client("b").GetAsync<Ticket>(i + 1, Ct)));

        // Nothing stopped; each instance kept to its part of the three threads (one), and said so.
        Assert.Equal(1, simulator.PeakInFlightByEntity["Tickets"]);
        Assert.Contains("cannot be used", instance.LogText(), StringComparison.Ordinal);
        Assert.Equal(1, fallbacks.GetMeasurementSnapshot().Sum(m => m.Value));
        shared.RecordObservableInstruments();
        Assert.Equal(0, shared.LastMeasurement!.Value);
        Assert.False(instance.Services.GetRequiredService<RequestLimits>().UsingShared);
    }

    [Fact]
    public async Task A_clock_too_far_off_the_stores_is_not_trusted_with_shared_leases()
    {
        await using var simulator = Database();
        await using var instance = LimitsInstance.Create(simulator, limits: l => l.AssumedInstances = 3,
            shared: sp => new SkewedLimits(new Redis.RedisSharedLimits(StackExchange.Redis.ConnectionMultiplexer.Connect(redis.Configuration)), TimeSpan.FromSeconds(12)));

        await instance.ReadAsync("a", 4, 3, Ct);

        Assert.Equal(1, simulator.PeakInFlightByEntity["Companies"]);
        Assert.Contains("clock is 12 s off", instance.LogText(), StringComparison.Ordinal);
        Assert.False(instance.Services.GetRequiredService<RequestLimits>().UsingShared);
    }

    /// <summary>Shared limits whose store's clock is off this machine's by a fixed amount.</summary>
    private sealed class SkewedLimits(IAutotaskSharedLimits inner, TimeSpan offset) : IAutotaskSharedLimits
    {
        public string Name => inner.Name;

        public ValueTask<IDisposable?> TryTakeSlotAsync(string key, int permits, CancellationToken cancellationToken) => inner.TryTakeSlotAsync(key, permits, cancellationToken);

        public ValueTask<bool> TryCountAsync(string key, int limit, CancellationToken cancellationToken) => inner.TryCountAsync(key, limit, cancellationToken);

        public ValueTask<long> CountAsync(string key, CancellationToken cancellationToken) => inner.CountAsync(key, cancellationToken);

        public async ValueTask<TimeSpan> GetClockOffsetAsync(CancellationToken cancellationToken) =>
            await inner.GetClockOffsetAsync(cancellationToken) + offset;
    }
}
