using System.Diagnostics;
using Autotask.Integration.Mapping;
using Autotask.Integration.PostgreSql;
using Autotask.Integration.Sqlite;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using NodaTime;

namespace Autotask.Integration.Benchmarks;

/// <summary>
/// Mapping look-ups and ledger writes (head read + begin + settle) per store, each category against the in-memory store in the
/// same run. PostgreSQL is a throwaway server on 127.0.0.1 started with eng/postgres-test-server.sh, or the one named
/// by AUTOTASK_POSTGRES_TEST_CONNECTION.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[SimpleJob(warmupCount: 2, iterationCount: 8)]
public class StoreBenchmarks
{
    private const string Connection = "bench";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "autotask-store-bench-" + Guid.NewGuid().ToString("N")[..8]);
    private InMemoryMappingStore _memory = null!;
    private SqliteMappingStore _sqlite = null!;
    private PostgreSqlMappingStore _postgres = null!;
    private string? _ownServer;
    private int _next;

    [GlobalSetup]
    public async Task Setup()
    {
        Directory.CreateDirectory(_directory);
        var connection = Environment.GetEnvironmentVariable("AUTOTASK_POSTGRES_TEST_CONNECTION");
        if (string.IsNullOrEmpty(connection))
        {
            _ownServer = Path.Combine(_directory, "pg");
            connection = Run("start", _ownServer, "55433").Trim().Split('\n')[^1];
        }

        _memory = new InMemoryMappingStore();
        _sqlite = new SqliteMappingStore(Path.Combine(_directory, "store.db"));
        _postgres = new PostgreSqlMappingStore(connection, "bench_" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var store in new IMappingStore[] { _memory, _sqlite, _postgres })
        {
            for (var i = 0; i < 1000; i++)
            {
                await store.AddSubscriptionAsync(new SubscriptionMapping
                {
                    Connection = Connection, VendorSubscriptionId = $"sub-{i}", VendorCustomerId = $"c-{i / 4}", VendorOfferId = "o",
                    CompanyId = i / 4, ContractId = i / 4, ContractServiceId = i, ServiceId = 1,
                });
            }
        }
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _postgres.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_ownServer is not null)
        {
            Run("stop", _ownServer);
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Look-up")]
    public Task<SubscriptionMapping?> LookupInMemory() => Lookup(_memory);

    [Benchmark, BenchmarkCategory("Look-up")]
    public Task<SubscriptionMapping?> LookupSqlite() => Lookup(_sqlite);

    [Benchmark, BenchmarkCategory("Look-up")]
    public Task<SubscriptionMapping?> LookupPostgreSql() => Lookup(_postgres);

    [Benchmark(Baseline = true), BenchmarkCategory("Ledger write")]
    public Task LedgerInMemory() => Ledger(_memory);

    [Benchmark, BenchmarkCategory("Ledger write")]
    public Task LedgerSqlite() => Ledger(_sqlite);

    [Benchmark, BenchmarkCategory("Ledger write")]
    public Task LedgerPostgreSql() => Ledger(_postgres);

    private Task<SubscriptionMapping?> Lookup(IMappingStore store) => store.FindSubscriptionAsync(Connection, $"sub-{Interlocked.Increment(ref _next) % 1000}");

    private static async Task Ledger(IMappingStore store)
    {
        var entry = new AdjustmentLedgerEntry
        {
            OperationId = Guid.NewGuid().ToString("N"), Connection = Connection, VendorSubscriptionId = "sub-" + Guid.NewGuid().ToString("N"),
            ContractId = 1, ContractServiceId = 1, EffectiveDate = new LocalDate(2026, 12, 1), UnitsBefore = 1, UnitsAfter = 2,
        };
        // What the quantity sync asks of the store per write: the ledger head (read once per batch of up to 500, here
        // for one subscription), the compare-and-swap begin from that version, and the settle.
        var head = (await store.GetLedgerHeadsAsync(Connection, [entry.VendorSubscriptionId]))[entry.VendorSubscriptionId];
        if (await store.TryBeginAdjustmentAsync(entry, head.Version) != AdjustmentBeginOutcome.Begun)
        {
            throw new InvalidOperationException("The benchmark's write did not begin.");
        }

        await store.SettleAdjustmentAsync(Connection, entry.OperationId, AdjustmentState.Applied, 1);
    }

    private static string Run(params string[] arguments) => ServerScript.Run("postgres-test-server.sh", arguments);
}
