using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;

namespace Autotask.Integration.Benchmarks;

/// <summary>
/// What sharing the limits through Redis adds to each Autotask request: the same paged read (100 pages of 500 companies,
/// one request each, answered from memory) with in-process limits (the baseline) and with limits in Redis (a slot
/// taken and freed, and a count in the hour, per request). Redis is a throwaway server on 127.0.0.1 started with
/// eng/redis-test-server.sh, or the one named by AUTOTASK_REDIS_TEST_CONNECTION.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 20)]
public class LimitsBenchmarks
{
    /// <summary>The requests of one read.</summary>
    public const int Requests = 100;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "autotask-limits-bench-" + Guid.NewGuid().ToString("N")[..8]);
    private PagedFeedHandler _feed = null!;
    private ServiceProvider _local = null!;
    private ServiceProvider _redis = null!;
    private bool _ownServer;

    [GlobalSetup]
    public void Setup()
    {
        var configuration = Environment.GetEnvironmentVariable("AUTOTASK_REDIS_TEST_CONNECTION");
        if (string.IsNullOrEmpty(configuration))
        {
            _ownServer = true;
            configuration = ServerScript.Run("redis-test-server.sh", "start", _directory, "56390").Trim().Split('\n')[^1];
        }

        _feed = new PagedFeedHandler(Requests * 500);
        _local = _feed.CreateServices();
        _redis = _feed.CreateServices(b => b.UseRedisLimits(configuration));
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _local.DisposeAsync();
        await _redis.DisposeAsync();
        if (_ownServer)
        {
            ServerScript.Run("redis-test-server.sh", "stop", _directory);
        }
    }

    [Benchmark(Baseline = true, Description = "in-process limits")]
    public Task<long> InProcess() => Stream(_local);

    [Benchmark(Description = "limits in Redis")]
    public Task<long> Redis() => Stream(_redis);

    private static async Task<long> Stream(IServiceProvider services)
    {
        long count = 0;
        await foreach (var _ in services.GetRequiredService<IAutotaskClient>().QueryAsync(new AutotaskQuery<Company>().Where(Filter<Company>.Eq(c => c.IsActive, true))))
        {
            count++;
        }

        return count == Requests * 500 ? count : throw new InvalidOperationException($"Streamed {count} companies, expected {Requests * 500}.");
    }
}
