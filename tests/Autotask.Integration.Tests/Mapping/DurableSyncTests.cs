using Autotask.Integration.Entities;
using Autotask.Integration.Mapping;
using Autotask.Integration.PostgreSql;
using Autotask.Integration.Sqlite;
using Autotask.Integration.Sync;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Autotask.Integration.Tests.Mapping;

/// <summary>A sync stopped in the middle of a batch, then run again by a new process on the same durable store.</summary>
public abstract class DurableSyncTests
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract IMappingStore NewStore();

    private static ServiceProvider Services(AutotaskSimulator simulator, IMappingStore store)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Critical));
        services.AddAutotaskIntegration(o => simulator.AddConnection(o, SyncHarness.Connection, c => c.RetryBaseDelay = TimeSpan.FromMilliseconds(1)))
            .UseSimulator(simulator).UseMappingStore(store);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task A_batch_stopped_midway_is_completed_by_the_next_process_without_applying_anything_twice()
    {
        await using var simulator = AutotaskSimulator.Create(new AutotaskSimulatorOptions { DataSet = SimulatorDataSet.Subscriptions(25, 4) });
        var lines = simulator.Data.All<ContractService>().Take(60).ToList();
        var today = SyncHarness.TodayUtc;
        var changes = new List<SubscriptionQuantity>();

        // The first process maps the subscriptions, then dies (is cancelled) in the middle of the batch.
        await using (var first = Services(simulator, NewStore()))
        {
            var store = first.GetRequiredService<IMappingStore>();
            for (var i = 0; i < lines.Count; i++)
            {
                var contract = simulator.Data.Get<Contract>(lines[i].ContractId)!;
                await store.AddSubscriptionAsync(new SubscriptionMapping
                {
                    Connection = SyncHarness.Connection, VendorSubscriptionId = $"sub-{i}", VendorCustomerId = $"c-{contract.CompanyId}", VendorOfferId = "o",
                    CompanyId = contract.CompanyId!.Value, ContractId = lines[i].ContractId, ContractServiceId = lines[i].Id, ServiceId = lines[i].ServiceId,
                }, Ct);
                changes.Add(new SubscriptionQuantity($"sub-{i}", simulator.Data.UnitsOn(lines[i].Id, today) + 1 + i % 3, SyncHarness.Today));
            }

            simulator.Faults.Latency = TimeSpan.FromMilliseconds(20);
            simulator.Faults.Randomly(SimulatorFault.Latency, 1.0, r => r.IsWrite);
            using var dying = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var sync = first.GetRequiredService<IQuantitySyncEngine>().SyncAsync(SyncHarness.Connection, changes, cancellationToken: dying.Token);
            await Wait.UntilAsync(() => simulator.AppliedAdjustments.Count >= 15 || sync.IsCompleted);
            Assert.False(sync.IsCompleted, $"The batch ended before it could be stopped midway: {(sync.IsFaulted ? sync.Exception!.InnerException : sync.IsCompletedSuccessfully ? "it completed" : "it was cancelled")}");

            await dying.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sync);
            simulator.Faults.Clear();
        }

        var appliedBeforeRestart = simulator.AppliedAdjustments.Count;
        Assert.InRange(appliedBeforeRestart, 15, lines.Count - 1);

        // The next process, on a new store instance over the same database, runs the same batch.
        await using var second = Services(simulator, NewStore());
        // A new process: writes its predecessor left pending are settled now (no lease wait in the test).
        var report = await second.GetRequiredService<IQuantitySyncEngine>().SyncAsync(SyncHarness.Connection, changes,
            new QuantitySyncOptions { PendingLease = TimeSpan.Zero }, Ct);

        Assert.Equal(0, report.Count(QuantitySyncStatus.Failed));
        Assert.Equal(lines.Count, simulator.AppliedAdjustments.Count);
        Assert.All(changes.Select((c, i) => (c, i)), x => Assert.Equal(x.c.Quantity, simulator.Data.UnitsOn(lines[x.i].Id, today)));
        Assert.Empty(await second.GetRequiredService<IMappingStore>().GetPendingAdjustmentsAsync(SyncHarness.Connection, cancellationToken: Ct));
    }
}

public sealed class SqliteDurableSyncTests : DurableSyncTests, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("autotask-sqlite-").FullName;

    protected override IMappingStore NewStore() => new SqliteMappingStore(Path.Combine(_directory, "store.db"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

public sealed class PostgreSqlDurableSyncTests(PostgreSqlServer server) : DurableSyncTests, IAsyncDisposable
{
    private readonly string _schema = PostgreSqlServer.NewSchema();

    protected override IMappingStore NewStore() => new PostgreSqlMappingStore(server.ConnectionString, _schema);

    public async ValueTask DisposeAsync()
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }
}
