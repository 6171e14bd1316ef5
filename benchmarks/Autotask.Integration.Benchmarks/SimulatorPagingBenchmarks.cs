using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Autotask.Integration.Testing;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;

namespace Autotask.Integration.Benchmarks;

/// <summary>
/// How fast the simulator serves a large data set: 100,000 companies in pages of 500 through the SDK client, against
/// the same client reading pre-built pages of the same size from memory (the cost of the client alone).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 1, iterationCount: 5)]
public class SimulatorPagingBenchmarks
{
    private const int Records = 100_000;
    private AutotaskSimulator _simulator = null!;
    private ServiceProvider _simulated = null!;
    private ServiceProvider _static = null!;
    private PagedFeedHandler _feed = null!;

    [GlobalSetup]
    public void Setup()
    {
        _simulator = AutotaskSimulator.Create(new AutotaskSimulatorOptions
        {
            DataSet = SimulatorDataSet.Companies(Records),
            HourlyRequestLimit = int.MaxValue,
            MaxConcurrentRequestsPerEntity = int.MaxValue,
        });
        var services = new ServiceCollection();
        services.AddAutotaskIntegration(o =>
        {
            o.Limits.PaceByThresholdInformation = false;
            _simulator.AddConnection(o, "bench", c => c.HourlyRequestBudget = int.MaxValue);
        }).UseSimulator(_simulator);
        _simulated = services.BuildServiceProvider();

        _feed = new PagedFeedHandler(Records);
        _static = _feed.CreateServices();
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _simulated.DisposeAsync();
        await _static.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "client over pre-built pages")]
    public Task<long> PrebuiltPages() => Stream(_static);

    [Benchmark(Description = "client over the simulator")]
    public Task<long> Simulator() => Stream(_simulated);

    private static async Task<long> Stream(IServiceProvider services)
    {
        long count = 0;
        await foreach (var _ in services.GetRequiredService<IAutotaskClient>().QueryAsync(new AutotaskQuery<Company>().Where(Filter<Company>.Eq(c => c.IsActive, true))))
        {
            count++;
        }

        return count == Records ? count : throw new InvalidOperationException($"Streamed {count} companies, expected {Records}.");
    }
}
