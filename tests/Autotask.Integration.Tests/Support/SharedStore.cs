using Autotask.Integration.Mapping;
using Autotask.Integration.PostgreSql;
using Autotask.Integration.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Autotask.Integration.Tests.Support;

/// <summary>The kinds of store the engine's promises are tested on.</summary>
public enum StoreKind
{
    InMemory,
    Sqlite,
    PostgreSql,
}

/// <summary>
/// One database of a kind, fresh for a test, that several store instances can open, as several processes or
/// instances of a vendor's service would (the in-memory store can only be shared as one instance).
/// </summary>
internal sealed class SharedStore : IAsyncDisposable
{
    private readonly List<IMappingStore> _opened = [];
    private readonly InMemoryMappingStore? _memory;
    private readonly string? _directory;

    public SharedStore(StoreKind kind, PostgreSqlServer server)
    {
        Kind = kind;
        switch (kind)
        {
            case StoreKind.InMemory:
                _memory = new InMemoryMappingStore();
                break;
            case StoreKind.Sqlite:
                _directory = Directory.CreateTempSubdirectory("autotask-shared-").FullName;
                Location = Path.Combine(_directory, "store.db");
                break;
            default:
                PostgreSqlConnection = server.ConnectionString;
                Location = PostgreSqlServer.NewSchema();
                break;
        }
    }

    public StoreKind Kind { get; }

    /// <summary>The SQLite file, or the PostgreSQL schema.</summary>
    public string? Location { get; }

    public string? PostgreSqlConnection { get; }

    /// <summary>A store instance on the shared database: a new one each call, except in memory.</summary>
    public IMappingStore Open()
    {
        IMappingStore store = Kind switch
        {
            StoreKind.InMemory => _memory!,
            StoreKind.Sqlite => new SqliteMappingStore(Location!),
            _ => new PostgreSqlMappingStore(PostgreSqlConnection!, Location!),
        };
        _opened.Add(store);
        return store;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _opened.OfType<IAsyncDisposable>())
        {
            await store.DisposeAsync();
        }

        if (_directory is not null)
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(_directory, recursive: true);
        }

        if (PostgreSqlConnection is not null)
        {
            await using var connection = new NpgsqlConnection(PostgreSqlConnection);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{Location}\" CASCADE", connection);
            await command.ExecuteNonQueryAsync();
        }
    }
}
