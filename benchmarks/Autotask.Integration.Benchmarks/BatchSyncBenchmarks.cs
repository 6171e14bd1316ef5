using Autotask.Integration.Auditing;
using Autotask.Integration.Entities;
using Autotask.Integration.Mapping;
using Autotask.Integration.Querying;
using Autotask.Integration.Sync;
using Autotask.Integration.Testing;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace Autotask.Integration.Benchmarks;

/// <summary>
/// A batch of 1,000 mapped subscriptions of which 300 changed, synced through <see cref="QuantitySyncEngine"/> against
/// the simulator's handler, compared with a naive loop that reads each subscription's units and writes when they differ.
/// Each iteration starts from a fresh simulator and store, so both sides do the same 300 writes.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 10, invocationCount: 1)]
public class BatchSyncBenchmarks
{
    private const string Connection = "bench";
    private AutotaskSimulator _simulator = null!;
    private ServiceProvider _services = null!;
    private List<SubscriptionMapping> _mappings = null!;
    private List<SubscriptionQuantity> _changes = null!;

    /// <summary>Requests the last invocation sent: printed after the run, to quote with the times.</summary>
    public static Dictionary<string, (int Writes, int Reads)> LastRequests { get; } = [];

    [IterationSetup]
    public void Setup()
    {
        _simulator = AutotaskSimulator.Create(new AutotaskSimulatorOptions
        {
            Seed = 2026,
            DataSet = SimulatorDataSet.Subscriptions(customers: 250, linesPerContract: 4),
            HourlyRequestLimit = int.MaxValue,
        });
        var services = new ServiceCollection();
        services.AddAutotaskIntegration(o =>
        {
            o.Limits.PaceByThresholdInformation = false;
            _simulator.AddConnection(o, Connection, c => c.HourlyRequestBudget = int.MaxValue);
        })
            .UseSimulator(_simulator).UseAuditSink(new InMemoryAuditSink());
        _services = services.BuildServiceProvider();
        var store = _services.GetRequiredService<IMappingStore>();
        var today = SystemClock.Instance.GetCurrentInstant();
        _mappings = [];
        _changes = [];
        foreach (var line in _simulator.Data.All<ContractService>().Take(1000))
        {
            var contract = _simulator.Data.Get<Contract>(line.ContractId)!;
            var mapping = store.AddSubscriptionAsync(new SubscriptionMapping
            {
                Connection = Connection,
                VendorSubscriptionId = $"sub-{_mappings.Count}",
                VendorCustomerId = $"cust-{contract.CompanyId}",
                VendorOfferId = $"offer-{line.ServiceId}",
                CompanyId = contract.CompanyId!.Value,
                ContractId = line.ContractId,
                ContractServiceId = line.Id,
                ServiceId = line.ServiceId,
            }).GetAwaiter().GetResult();
            var units = _simulator.Data.UnitsOn(line.Id, today.InUtc().Date);
            _changes.Add(new SubscriptionQuantity(mapping.VendorSubscriptionId, _mappings.Count % 10 < 3 ? units + 1 : units, today));
            _mappings.Add(mapping);
        }

        // Resolve the zone before measuring, as a long-running service would have.
        _services.GetRequiredService<IAutotaskClient>().GetZoneAsync().GetAwaiter().GetResult();
    }

    [IterationCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        _simulator.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "naive loop: read then write per subscription")]
    public async Task<int> NaiveLoop()
    {
        var before = _simulator.Requests.Count;
        var client = _services.GetRequiredService<IAutotaskClient>();
        var written = 0;
        for (var i = 0; i < _mappings.Count; i++)
        {
            var mapping = _mappings[i];
            var change = _changes[i];
            var date = change.AsOf.InUtc().Date;
            var current = 0;
            await foreach (var unit in client.QueryAsync(new AutotaskQuery<ContractServiceUnit>().Where(
                Filter<ContractServiceUnit>.Eq(u => u.ContractServiceId, mapping.ContractServiceId),
                Filter<ContractServiceUnit>.Lte(u => u.StartDate, date),
                Filter<ContractServiceUnit>.Gte(u => u.EndDate, date))))
            {
                current = unit.Units;
            }

            if (current != change.Quantity)
            {
                await client.CreateAsync(new ContractServiceAdjustment
                {
                    ContractId = mapping.ContractId,
                    ContractServiceId = mapping.ContractServiceId,
                    EffectiveDate = date,
                    UnitChange = change.Quantity - current,
                });
                written++;
            }
        }

        Count("naive", before);
        return written;
    }

    [Benchmark(Description = "QuantitySyncEngine.SyncAsync")]
    public async Task<int> Engine()
    {
        var before = _simulator.Requests.Count;
        var report = await _services.GetRequiredService<IQuantitySyncEngine>().SyncAsync(Connection, _changes);
        Count("engine", before);
        return report.Count(QuantitySyncStatus.Applied);
    }

    private void Count(string name, int before)
    {
        var requests = _simulator.Requests.Skip(before).ToList();
        var writes = requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/ServiceAdjustments", StringComparison.Ordinal));
        LastRequests[name] = (writes, requests.Count - writes);
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "autotask-batch-requests.txt"), $"{name}: {writes} writes, {requests.Count - writes} reads{Environment.NewLine}");
    }
}
