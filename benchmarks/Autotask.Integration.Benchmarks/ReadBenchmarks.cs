using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Autotask.Integration.Testing;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using Microsoft.Extensions.DependencyInjection;

namespace Autotask.Integration.Benchmarks;

/// <summary>
/// Reads at the API's ceiling: 100,000 companies from the in-process simulator, every request answered after 200 ms
/// (about what a real Autotask takes per page), three threads per endpoint as Autotask allows. "Read only" hands the
/// records to a caller that does nothing with them: the plain page-after-page QueryAsync (baseline) against ReadAllAsync
/// in three id ranges, unordered and ordered. "Read and work" hands them to a caller that spends 200 ms on each 500
/// records: QueryAsync (baseline) against ReadAllAsync in one range, prefetching the next page. Each benchmark reports
/// the requests it sent, so that a speed-up is not bought with more requests.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 2)]
public class ReadBenchmarks
{
    private const int Records = 100_000;
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(200);
    private static readonly AutotaskQuery<Company> Active = new AutotaskQuery<Company>().Where(Filter<Company>.Eq(c => c.IsActive, true));
    private AutotaskSimulator _simulator = null!;
    private ServiceProvider _services = null!;

    [GlobalSetup]
    public void Setup()
    {
        _simulator = AutotaskSimulator.Create(new AutotaskSimulatorOptions { DataSet = SimulatorDataSet.Companies(Records), HourlyRequestLimit = int.MaxValue });
        _simulator.Faults.Latency = Latency;
        _simulator.Faults.Randomly(SimulatorFault.Latency, 1.0);
        var services = new ServiceCollection();
        services.AddAutotaskIntegration(o =>
        {
            o.Limits.PaceByThresholdInformation = false;
            _simulator.AddConnection(o, "bench", c => c.HourlyRequestBudget = int.MaxValue);
        }).UseSimulator(_simulator);
        _services = services.BuildServiceProvider();
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        Console.WriteLine($"// requests per read: {string.Join(", ", _requests.Select(r => $"{r.Key} {r.Value}"))}");
        await _services.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    private readonly Dictionary<string, long> _requests = [];

    private IAutotaskClient Client => _services.GetRequiredService<IAutotaskClient>();

    [Benchmark(Baseline = true, Description = "QueryAsync, page after page"), BenchmarkCategory("Read only")]
    public Task<long> Sequential() => Consume("sequential", Client.QueryAsync(Active), work: false);

    [Benchmark(Description = "ReadAllAsync, 3 ranges, unordered"), BenchmarkCategory("Read only")]
    public Task<long> ParallelUnordered() => Consume("3 ranges unordered", Client.ReadAllAsync(Active, new AutotaskReadOptions { Ordered = false }), work: false);

    [Benchmark(Description = "ReadAllAsync, 3 ranges, ordered"), BenchmarkCategory("Read only")]
    public Task<long> ParallelOrdered() => Consume("3 ranges ordered", Client.ReadAllAsync(Active, new AutotaskReadOptions { MaxBufferedPages = 200 }), work: false);

    [Benchmark(Baseline = true, Description = "QueryAsync, page after page"), BenchmarkCategory("Read and work")]
    public Task<long> SequentialWithWork() => Consume("sequential with work", Client.QueryAsync(Active), work: true);

    [Benchmark(Description = "ReadAllAsync, 1 range, prefetching"), BenchmarkCategory("Read and work")]
    public Task<long> PrefetchWithWork() => Consume("prefetching with work", Client.ReadAllAsync(Active, new AutotaskReadOptions { Streams = 1 }), work: true);

    private async Task<long> Consume(string name, IAsyncEnumerable<Company> companies, bool work)
    {
        var before = _simulator.Requests.Count;
        long count = 0;
        await foreach (var _ in companies)
        {
            if (++count % 500 == 0 && work)
            {
                await Task.Delay(Latency);
            }
        }

        _requests[name] = _simulator.Requests.Count - before;
        return count == Records ? count : throw new InvalidOperationException($"Read {count} companies, expected {Records}.");
    }
}
