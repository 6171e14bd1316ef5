using Autotask.Integration.Connections;
using Autotask.Integration.Testing;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;

namespace Autotask.Integration.Benchmarks;

/// <summary>
/// What connections linked at run time cost a vendor's host: allocations to register 10,000 idle connections (their
/// settings in the in-memory connection store; a durable store keeps them out of process), and the first request of
/// 100 cold connections (each makes its runtime: zone, limiters, caches) against the baseline of 100 requests on
/// connections already active, in the same run. <see cref="RetainedConnectionMemory"/> measures what stays on the
/// heap (run with <c>-- retained</c>).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8, invocationCount: 1)]
public class ConnectionMemoryBenchmarks
{
    public const int Registered = 10_000;
    public const int Requests = 100;

    private AutotaskSimulator _simulator = null!;
    private ServiceProvider _services = null!;
    private IAutotaskConnectionStore _store = null!;
    private IAutotaskClient[] _clients = null!;

    internal static (AutotaskSimulator Simulator, ServiceProvider Services) CreateHost()
    {
        var simulator = AutotaskSimulator.Create(new AutotaskSimulatorOptions
        {
            DataSet = SimulatorDataSet.Empty,
            HourlyRequestLimit = int.MaxValue,
            MaxConcurrentRequestsPerEntity = int.MaxValue,
        });
        var services = new ServiceCollection();
        services.AddAutotaskIntegration(simulator.ConfigureZones).UseSimulator(simulator).UseAuditSink(new Auditing.InMemoryAuditSink());
        return (simulator, services.BuildServiceProvider());
    }

    private void Host(int registered, bool activate)
    {
        (_simulator, _services) = CreateHost();
        _store = _services.GetRequiredService<IAutotaskConnectionStore>();
        var factory = _services.GetRequiredService<IAutotaskClientFactory>();
        for (var i = 0; i < registered; i++)
        {
            _store.AddAsync($"partner-{i:00000}", _simulator.CreateConnectionSettings()).GetAwaiter().GetResult();
        }

        _clients = Enumerable.Range(0, Requests).Select(i => factory.GetClient($"partner-{i:00000}")).ToArray();
        if (activate)
        {
            foreach (var client in _clients)
            {
                client.GetThresholdInformationAsync().GetAwaiter().GetResult();
            }
        }
    }

    [IterationSetup(Target = nameof(RegisterIdleConnections))]
    public void SetupEmpty() => Host(0, activate: false);

    [IterationSetup(Target = nameof(FirstRequestsOfColdConnections))]
    public void SetupCold() => Host(Requests, activate: false);

    [IterationSetup(Target = nameof(RequestsOfActiveConnections))]
    public void SetupWarm() => Host(Requests, activate: true);

    [IterationCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        _simulator.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Description = "register 10,000 idle connections")]
    public async Task RegisterIdleConnections()
    {
        for (var i = 0; i < Registered; i++)
        {
            await _store.AddAsync($"partner-{i:00000}", _simulator.CreateConnectionSettings());
        }
    }

    [Benchmark(Baseline = true, Description = "100 requests, connections active")]
    public async Task RequestsOfActiveConnections()
    {
        foreach (var client in _clients)
        {
            await client.GetThresholdInformationAsync();
        }
    }

    [Benchmark(Description = "100 first requests, connections cold")]
    public async Task FirstRequestsOfColdConnections()
    {
        foreach (var client in _clients)
        {
            await client.GetThresholdInformationAsync();
        }
    }
}

/// <summary>
/// What stays on the heap (after a full collection) per registered idle connection and per active one, and how many
/// zone lookups a cold connection's first request makes: the numbers BenchmarkDotNet's allocation column bounds from above.
/// </summary>
public static class RetainedConnectionMemory
{
    public static async Task RunAsync(TextWriter output)
    {
        var (simulator, services) = ConnectionMemoryBenchmarks.CreateHost();
        await using (simulator)
        await using (services)
        {
            var store = services.GetRequiredService<IAutotaskConnectionStore>();
            var factory = services.GetRequiredService<IAutotaskClientFactory>();
            await store.AddAsync("warm-up", simulator.CreateConnectionSettings());
            await factory.GetClient("warm-up").GetThresholdInformationAsync();

            var empty = GC.GetTotalMemory(forceFullCollection: true);
            for (var i = 0; i < ConnectionMemoryBenchmarks.Registered; i++)
            {
                await store.AddAsync($"partner-{i:00000}", simulator.CreateConnectionSettings());
            }

            var registered = GC.GetTotalMemory(forceFullCollection: true);
            const int Active = 1000;
            var lookupsBefore = simulator.Requests.Count(r => r.Path.Contains("zoneInformation", StringComparison.OrdinalIgnoreCase));
            for (var i = 0; i < Active; i++)
            {
                await factory.GetClient($"partner-{i:00000}").GetThresholdInformationAsync();
            }

            var lookups = simulator.Requests.Count(r => r.Path.Contains("zoneInformation", StringComparison.OrdinalIgnoreCase)) - lookupsBefore;
            var active = GC.GetTotalMemory(forceFullCollection: true);
            var idleBytes = (registered - empty) / (double)ConnectionMemoryBenchmarks.Registered;
            var activeBytes = (active - registered) / (double)Active;
            await output.WriteLineAsync($"{ConnectionMemoryBenchmarks.Registered:N0} idle connections registered (in-memory store): {(registered - empty) / 1048576.0:F2} MB retained, {idleBytes:F0} bytes each.");
            await output.WriteLineAsync($"{Active:N0} of them made active by one request each: {(active - registered) / 1048576.0:F2} MB more, {activeBytes:F0} bytes each.");
            await output.WriteLineAsync($"Zone lookups for those {Active:N0} first requests (one API user): {lookups}.");
        }
    }
}
