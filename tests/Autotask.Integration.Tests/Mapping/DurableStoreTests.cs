using Autotask.Integration.Auditing;
using Autotask.Integration.Entities;
using Autotask.Integration.Mapping;
using Autotask.Integration.PostgreSql;
using Autotask.Integration.Sqlite;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Autotask.Integration.Tests.Mapping;

public sealed class SqliteMappingStoreTests : MappingStoreConformance, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("autotask-sqlite-").FullName;

    private string File(string name = "store.db") => Path.Combine(_directory, name);

    protected override Task<IMappingStore> CreateStoreAsync() => Task.FromResult<IMappingStore>(new SqliteMappingStore(File()));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Mappings_survive_a_new_store_on_the_same_file()
    {
        await Store.AddCustomerAsync(Customer("cust-1", 100), Ct);
        await Store.SetStateAsync("a", "watermark", "w1", 0, Ct);

        var reopened = new SqliteMappingStore(File());

        Assert.Equal(100, (await reopened.FindCustomerAsync("a", "cust-1", Ct))!.CompanyId);
        Assert.Equal("w1", (await reopened.GetStateAsync("a", "watermark", Ct))!.Value);
        await Assert.ThrowsAsync<MappingConflictException>(() => reopened.AddCustomerAsync(Customer("cust-2", 100), Ct));
    }

    [Fact]
    public async Task Two_stores_on_one_file_racing_to_map_end_with_exactly_one()
    {
        var other = new SqliteMappingStore(File());
        var stores = new IMappingStore[] { Store, other };

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
        {
            try
            {
                await stores[i % 2].AddCustomerAsync(Customer($"cust-{i}", 100), Ct);
                return true;
            }
            catch (MappingConflictException)
            {
                return false;
            }
        }, Ct)));
        var pending = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(() => stores[i % 2].TryBeginAdjustmentAsync(Pending("sub-1"), 0, Ct), Ct)));

        Assert.Equal(1, outcomes.Count(o => o));
        Assert.Equal(1, pending.Count(o => o == AdjustmentBeginOutcome.Begun));
        Assert.Single(await other.ListCustomersAsync("a", Ct));
    }

    [Fact]
    public async Task A_process_whose_clock_is_behind_a_time_the_store_recorded_may_not_begin_an_adjustment()
    {
        // SQLite has no clock of its own: each process stamps ledger entries with its own. A process an hour behind would
        // make its write in flight look an hour old to the others, which would take it for abandoned and write it again.
        await Store.GetLedgerHeadsAsync("a", ["sub-1"], Ct);
        var behind = new SqliteMappingStore(File(), time: new ShiftedTimeProvider(TimeSpan.FromHours(-1)));

        var refused = await Assert.ThrowsAsync<MappingStoreException>(() => behind.TryBeginAdjustmentAsync(Pending("sub-1"), 0, Ct));

        Assert.Contains("01:00:00", refused.Message, StringComparison.Ordinal);
        Assert.Contains("processes on one machine", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await Store.GetPendingAdjustmentsAsync("a", cancellationToken: Ct));

        // A clock a little behind (less than a second) is no danger to a lease, and one that is right begins as usual.
        var nearlyRight = new SqliteMappingStore(File(), time: new ShiftedTimeProvider(TimeSpan.FromMilliseconds(-300)));
        Assert.Equal(AdjustmentBeginOutcome.Begun, await nearlyRight.TryBeginAdjustmentAsync(Pending("sub-1"), 0, Ct));
        Assert.Equal(AdjustmentBeginOutcome.Begun, await Store.TryBeginAdjustmentAsync(Pending("sub-2"), 0, Ct));
    }

    [Fact]
    public async Task A_file_of_schema_version_1_is_migrated_with_its_ledger_versions()
    {
        await using (var connection = new SqliteConnection($"Data Source={File("v1.db")}"))
        {
            await connection.OpenAsync(Ct);
            await using var command = connection.CreateCommand();
            command.CommandText = SqliteMappingStore.Migrations[0] + MigratedLedger.Rows("autotask_ledger") +
                $"PRAGMA application_id = {SqliteMappingStore.ApplicationId}; PRAGMA user_version = 1;";
            await command.ExecuteNonQueryAsync(Ct);
        }

        await MigratedLedger.AssertAsync(new SqliteMappingStore(File("v1.db")), Ct);

        // A process of the previous release, still running, can no longer begin adjustments behind the versions' back.
        await using var old = new SqliteConnection($"Data Source={File("v1.db")}");
        await old.OpenAsync(Ct);
        await using var insert = old.CreateCommand();
        insert.CommandText = MigratedLedger.PreviousReleaseBegin("autotask_ledger");
        var refused = await Assert.ThrowsAsync<SqliteException>(() => insert.ExecuteNonQueryAsync(Ct));
        Assert.Contains("older Autotask.Integration release", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_is_not_a_database_is_refused_clearly()
    {
        await System.IO.File.WriteAllBytesAsync(File("corrupt.db"), Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray(), Ct);
        var store = new SqliteMappingStore(File("corrupt.db"));

        var error = await Assert.ThrowsAsync<MappingStoreException>(() => store.FindCustomerAsync("a", "x", Ct));
        Assert.Contains("not a readable SQLite database", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_of_another_application_is_refused_clearly()
    {
        await using (var connection = new SqliteConnection($"Data Source={File("foreign.db")}"))
        {
            await connection.OpenAsync(Ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);";
            await command.ExecuteNonQueryAsync(Ct);
        }

        var error = await Assert.ThrowsAsync<MappingStoreException>(() => new SqliteMappingStore(File("foreign.db")).FindCustomerAsync("a", "x", Ct));
        Assert.Contains("another application", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_audit_trail_is_kept_and_read_back_newest_first()
    {
        var sqlite = (SqliteMappingStore)Store;
        await using var simulator = AutotaskSimulator.Create();
        var first = simulator.Data.All<Company>()[0];
        var services = new ServiceCollection();
        services.AddAutotaskIntegration(o => simulator.AddConnection(o, "a")).UseSimulator(simulator).UseSqliteStore(sqlite.Path);
        await using var provider = services.BuildServiceProvider();
        var engine = provider.GetRequiredService<IMappingEngine>();

        await engine.MapCustomerAsync("a", "cust-1", first.Id, Ct);
        await Assert.ThrowsAsync<MappingConflictException>(() => engine.MapCustomerAsync("a", "cust-2", first.Id, Ct));

        var events = (await sqlite.ReadAsync(new AuditQuery { Connection = "a", Take = 10 }, Ct)).Events;
        Assert.Equal([AuditStatus.Failed, AuditStatus.Succeeded], events.Select(e => e.Status));
        Assert.Equal(first.Id, events[1].AutotaskIds["company"]);
        Assert.Equal("cust-1", events[1].VendorIds["customer"]);
    }
}

public sealed class PostgreSqlMappingStoreTests(PostgreSqlServer server) : MappingStoreConformance
{
    private readonly string _schema = PostgreSqlServer.NewSchema();

    protected override Task<IMappingStore> CreateStoreAsync() => Task.FromResult<IMappingStore>(new PostgreSqlMappingStore(server.ConnectionString, _schema));

    protected override async ValueTask DisposeStoreAsync()
    {
        await ((PostgreSqlMappingStore)Store).DisposeAsync();
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Two_instances_racing_to_map_and_to_adjust_end_with_exactly_one_each()
    {
        await using var other = new PostgreSqlMappingStore(server.ConnectionString, _schema);
        var stores = new IMappingStore[] { Store, other };

        var mapped = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
        {
            try
            {
                await stores[i % 2].AddSubscriptionAsync(Subscription("sub-1"), Ct);
                return true;
            }
            catch (MappingConflictException)
            {
                return false;
            }
        }, Ct)));
        var begun = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(() => stores[i % 2].TryBeginAdjustmentAsync(Pending("sub-1"), 0, Ct), Ct)));

        Assert.Equal(1, mapped.Count(m => m));
        Assert.Equal(1, begun.Count(b => b == AdjustmentBeginOutcome.Begun));
    }

    [Fact]
    public async Task A_schema_of_version_1_is_migrated_with_its_ledger_versions()
    {
        var schema = PostgreSqlServer.NewSchema();
        try
        {
            await using (var connection = new NpgsqlConnection(server.ConnectionString))
            {
                await connection.OpenAsync(Ct);
                await using var old = new PostgreSqlMappingStore(server.ConnectionString, schema);
                await using var command = new NpgsqlCommand($"CREATE SCHEMA \"{schema}\"; {old.Migration1()} {MigratedLedger.Rows($"\"{schema}\".ledger")}", connection);
                await command.ExecuteNonQueryAsync(Ct);
            }

            await using var store = new PostgreSqlMappingStore(server.ConnectionString, schema);
            await MigratedLedger.AssertAsync(store, Ct);

            // A process of the previous release, still running, can no longer begin adjustments behind the versions' back.
            await using var previous = new NpgsqlConnection(server.ConnectionString);
            await previous.OpenAsync(Ct);
            await using var insert = new NpgsqlCommand(MigratedLedger.PreviousReleaseBegin($"\"{schema}\".ledger"), previous);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync(Ct));
            Assert.Contains("older Autotask.Integration release", refused.MessageText, StringComparison.Ordinal);
        }
        finally
        {
            await using var connection = new NpgsqlConnection(server.ConnectionString);
            await connection.OpenAsync(Ct);
            await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
            await command.ExecuteNonQueryAsync(Ct);
        }
    }

    [Fact]
    public async Task Instances_starting_together_create_the_schema_once()
    {
        var schema = PostgreSqlServer.NewSchema();
        var stores = Enumerable.Range(0, 6).Select(_ => new PostgreSqlMappingStore(server.ConnectionString, schema)).ToArray();
        try
        {
            await Task.WhenAll(stores.Select(s => s.ListCustomersAsync("a", Ct)));
            await stores[0].AddCustomerAsync(Customer("c", 1), Ct);
            Assert.Single(await stores[5].ListCustomersAsync("a", Ct));
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }

            await using var connection = new NpgsqlConnection(server.ConnectionString);
            await connection.OpenAsync(Ct);
            await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
            await command.ExecuteNonQueryAsync(Ct);
        }
    }

    [Fact]
    public async Task A_schema_of_another_application_is_refused_clearly()
    {
        var schema = PostgreSqlServer.NewSchema();
        await using (var connection = new NpgsqlConnection(server.ConnectionString))
        {
            await connection.OpenAsync(Ct);
            await using var command = new NpgsqlCommand($"CREATE SCHEMA \"{schema}\"; CREATE TABLE \"{schema}\".invoices (id int);", connection);
            await command.ExecuteNonQueryAsync(Ct);
        }

        await using var store = new PostgreSqlMappingStore(server.ConnectionString, schema);
        var error = await Assert.ThrowsAsync<MappingStoreException>(() => store.FindCustomerAsync("a", "x", Ct));
        Assert.Contains("another application", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>A ledger written by schema version 1 (no ledger versions), and what version 2 must make of it.</summary>
internal static class MigratedLedger
{
    public static string Rows(string table) => $"""
        INSERT INTO {table} (connection_key, operation_id, connection_name, vendor_subscription_id, contract_id, contract_service_id, effective_date,
            units_before, units_after, state, adjustment_id, recorded_at, settled_at, pending_key) VALUES
            ('A', 'op-1', 'a', 'sub-1', 20, 30, '2026-11-01', 5, 8, 'Applied', 900, 1, 2, NULL),
            ('A', 'op-2', 'a', 'sub-1', 20, 30, '2026-11-02', 8, 9, 'NotApplied', NULL, 3, 4, NULL),
            ('A', 'op-3', 'a', 'sub-2', 20, 31, '2026-11-02', 1, 2, 'Pending', NULL, 5, NULL, 'A|sub-2');
        """;

    /// <summary>How the previous release began an adjustment: a plain insert, moving no version.</summary>
    public static string PreviousReleaseBegin(string table) => $"""
        INSERT INTO {table} (connection_key, operation_id, connection_name, vendor_subscription_id, contract_id, contract_service_id, effective_date,
            units_before, units_after, state, adjustment_id, recorded_at, settled_at, pending_key) VALUES
            ('A', 'op-old', 'a', 'sub-9', 20, 39, '2026-11-02', 1, 2, 'Pending', NULL, 6, NULL, 'A|sub-9');
        """;

    public static async Task AssertAsync(IMappingStore store, CancellationToken cancellationToken)
    {
        var heads = await store.GetLedgerHeadsAsync("a", ["sub-1", "sub-2", "sub-3"], cancellationToken);

        // Two begins and two settles; one begin; nothing.
        Assert.Equal((4L, (string?)null), (heads["sub-1"].Version, heads["sub-1"].Pending?.OperationId));
        Assert.Equal((1L, "op-3"), (heads["sub-2"].Version, heads["sub-2"].Pending?.OperationId));
        Assert.Equal(0, heads["sub-3"].Version);
        Assert.Equal(AdjustmentBeginOutcome.Stale, await store.TryBeginAdjustmentAsync(Entry("sub-1"), 0, cancellationToken));
        Assert.Equal(AdjustmentBeginOutcome.Begun, await store.TryBeginAdjustmentAsync(Entry("sub-1"), 4, cancellationToken));
        Assert.Equal(2, await store.SettleAdjustmentAsync("a", "op-3", AdjustmentState.Applied, null, cancellationToken));
        Assert.Equal(3, (await store.GetLedgerAsync("a", "sub-1", cancellationToken)).Count);
    }

    private static AdjustmentLedgerEntry Entry(string subscription) => new()
    {
        OperationId = Guid.NewGuid().ToString("N"), Connection = "a", VendorSubscriptionId = subscription, ContractId = 20, ContractServiceId = 30,
        EffectiveDate = new NodaTime.LocalDate(2026, 12, 1), UnitsBefore = 9, UnitsAfter = 10,
    };
}
