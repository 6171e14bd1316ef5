using Autotask.Integration.Connections;
using Autotask.Integration.PostgreSql;
using Autotask.Integration.Sqlite;
using Autotask.Integration.Tests.Support;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Autotask.Integration.Tests.Connections;

/// <summary>
/// The contract every <see cref="IAutotaskConnectionStore"/> keeps. A store's tests derive from this class and create a
/// fresh, empty store in <see cref="CreateStoreAsync"/>.
/// </summary>
public abstract class ConnectionStoreConformance : IAsyncLifetime
{
    protected const string Secret = "s3cret-of-the-partner-0001";
    protected const string WebhookKey = "webhook-key-of-the-partner-0002";

    protected IAutotaskConnectionStore Store { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<IAutotaskConnectionStore> CreateStoreAsync();

    protected virtual ValueTask DisposeStoreAsync() => ValueTask.CompletedTask;

    public async ValueTask InitializeAsync() => Store = await CreateStoreAsync();

    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return DisposeStoreAsync();
    }

    protected static AutotaskConnectionOptions Settings(string secret = Secret) => new()
    {
        UserName = "partner@example.com",
        Secret = secret,
        IntegrationCode = "INTEGRATIONCODE000000000001",
        ZoneUrl = "https://webservices3.autotask.net/atservicesrest/",
        ImpersonationResourceId = 29682885,
        Currency = "EUR",
        TimeZone = "Europe/Amsterdam",
        HourlyRequestBudget = 4000,
        MaxConcurrentRequestsPerEntity = 2,
        MaxRetryAttempts = 5,
        RetryBaseDelay = TimeSpan.FromMilliseconds(250),
        MaxRetryAfter = TimeSpan.FromSeconds(90),
        AttemptTimeout = TimeSpan.FromSeconds(45),
        MetadataCacheDuration = TimeSpan.FromMinutes(20),
        QueryMethod = AutotaskQueryMethod.Get,
        WebhookSecretKey = WebhookKey,
        WebhookReplayWindow = TimeSpan.FromMinutes(30),
    };

    [Fact]
    public async Task A_saved_connection_comes_back_with_every_setting_as_a_copy()
    {
        var saved = Settings();
        await Store.AddAsync("partner-1", saved, Ct);
        saved.Secret = "changed after the save";

        var found = await Store.FindAsync("PARTNER-1", Ct);

        Assert.NotNull(found);
        Assert.True(ConnectionSettings.Same(Settings(), found), "every setting survives the store");
        found.Secret = "changed by a reader";
        Assert.Equal(Secret, (await Store.FindAsync("partner-1", Ct))!.Secret);
        Assert.Equal(["partner-1"], await Store.ListAsync(Ct));
    }

    /// <summary>Every public setting, each changed alone: the store keeps the change, and the runtime's comparison sees it.</summary>
    [Fact]
    public async Task Each_setting_changed_alone_is_kept_by_the_store_and_seen_as_a_change()
    {
        var properties = typeof(AutotaskConnectionOptions).GetProperties().Where(p => p.CanWrite).ToList();
        Assert.Equal(18, properties.Count); // a new setting must be added to the store's JSON and to ConnectionSettings.Same
        await Store.AddAsync("partner-1", Settings(), Ct);
        foreach (var property in properties)
        {
            var changed = Settings();
            property.SetValue(changed, Changed(property.GetValue(changed), property.PropertyType));

            await Store.UpdateAsync("partner-1", changed, Ct);
            var read = (await Store.FindAsync("partner-1", Ct))!;

            Assert.Equal(property.GetValue(changed), property.GetValue(read));
            Assert.False(ConnectionSettings.Same(Settings(), read), $"{property.Name} changed, but the settings compare the same");
        }
    }

    private static object? Changed(object? value, Type type) => value switch
    {
        string text => text + "-changed",
        int number => number + 7,
        long number => number + 7,
        TimeSpan span => span + TimeSpan.FromSeconds(7),
        bool flag => !flag,
        AutotaskQueryMethod method => method == AutotaskQueryMethod.Get ? AutotaskQueryMethod.Post : AutotaskQueryMethod.Get,
        _ => throw new InvalidOperationException($"No changed value for a setting of type {type.Name}; add one here."),
    };

    [Fact]
    public async Task A_connection_without_a_webhook_key_keeps_none()
    {
        var settings = Settings();
        settings.WebhookSecretKey = null;
        settings.ImpersonationResourceId = null;
        await Store.AddAsync("partner-1", settings, Ct);

        var found = (await Store.FindAsync("partner-1", Ct))!;

        Assert.Null(found.WebhookSecretKey);
        Assert.Null(found.ImpersonationResourceId);
    }

    [Fact]
    public async Task A_duplicate_id_is_refused_typed_and_the_first_connection_stays()
    {
        await Store.AddAsync("partner-1", Settings(), Ct);

        var error = await Assert.ThrowsAsync<AutotaskConnectionExistsException>(() => Store.AddAsync("Partner-1", Settings("another"), Ct));

        Assert.Equal("Partner-1", error.Connection);
        Assert.Equal(Secret, (await Store.FindAsync("partner-1", Ct))!.Secret);
        Assert.Single(await Store.ListAsync(Ct));
    }

    [Fact]
    public async Task An_update_replaces_the_settings_and_an_unknown_id_is_refused()
    {
        await Store.AddAsync("partner-1", Settings(), Ct);

        await Store.UpdateAsync("partner-1", Settings("rotated-secret"), Ct);
        var missing = await Assert.ThrowsAsync<AutotaskConnectionNotFoundException>(() => Store.UpdateAsync("partner-2", Settings(), Ct));

        Assert.Equal("rotated-secret", (await Store.FindAsync("partner-1", Ct))!.Secret);
        Assert.Equal("partner-2", missing.Connection);
        Assert.Null(await Store.FindAsync("partner-2", Ct));
    }

    [Fact]
    public async Task A_removed_connection_is_gone_and_removing_it_again_says_so()
    {
        await Store.AddAsync("partner-1", Settings(), Ct);
        await Store.AddAsync("partner-2", Settings(), Ct);

        Assert.True(await Store.RemoveAsync("partner-1", Ct));
        Assert.False(await Store.RemoveAsync("partner-1", Ct));

        Assert.Null(await Store.FindAsync("partner-1", Ct));
        Assert.Equal(["partner-2"], await Store.ListAsync(Ct));
        await Store.AddAsync("partner-1", Settings("linked again"), Ct);
        Assert.Equal("linked again", (await Store.FindAsync("partner-1", Ct))!.Secret);
    }

    [Fact]
    public async Task An_unknown_id_is_not_found()
    {
        Assert.Null(await Store.FindAsync("nobody", Ct));
        Assert.Empty(await Store.ListAsync(Ct));
        Assert.False(await Store.RemoveAsync("nobody", Ct));
    }
}

public sealed class InMemoryConnectionStoreTests : ConnectionStoreConformance
{
    protected override Task<IAutotaskConnectionStore> CreateStoreAsync() => Task.FromResult<IAutotaskConnectionStore>(new InMemoryConnectionStore());
}

/// <summary>What a durable store adds: secrets encrypted at rest, a typed error for a key ring that cannot read them, and no store without a protector.</summary>
public abstract class DurableConnectionStoreConformance : ConnectionStoreConformance
{
    /// <summary>The application's key ring (one per test, as an application's).</summary>
    protected IDataProtectionProvider Keys { get; } = new EphemeralDataProtectionProvider();

    /// <summary>Another store instance on the same database, as another process would open it.</summary>
    protected abstract IAutotaskConnectionStore Reopen(IAutotaskSecretProtector? secrets);

    /// <summary>Every text value stored in the connections table, as an attacker with a copy of the database would read it.</summary>
    protected abstract Task<IReadOnlyList<string>> RawConnectionRowsAsync();

    [Fact]
    public async Task No_secret_is_stored_in_plain_text()
    {
        await Store.AddAsync("partner-1", Settings(), Ct);
        await Store.UpdateAsync("partner-1", Settings("rotated-" + Secret), Ct);

        var raw = string.Join("\n", await RawConnectionRowsAsync());

        Assert.Contains("partner@example.com", raw, StringComparison.Ordinal); // the row is there and readable
        Assert.DoesNotContain(Secret, raw, StringComparison.Ordinal);
        Assert.DoesNotContain(WebhookKey, raw, StringComparison.Ordinal);
        Assert.Equal("rotated-" + Secret, (await Reopen(new DataProtectionSecretProtector(Keys)).FindAsync("partner-1", Ct))!.Secret);
    }

    [Fact]
    public async Task Another_key_ring_gets_a_typed_error_naming_the_connection_never_garbage()
    {
        await Store.AddAsync("partner-1", Settings(), Ct);
        var rotatedOut = Reopen(new DataProtectionSecretProtector(new EphemeralDataProtectionProvider()));

        var error = await Assert.ThrowsAsync<AutotaskConnectionSecretException>(() => rotatedOut.FindAsync("partner-1", Ct));

        Assert.Equal("partner-1", error.Connection);
        Assert.Contains("'partner-1'", error.Message, StringComparison.Ordinal);
        Assert.Contains("key ring", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_without_a_protector_refuses_connections_but_keeps_mappings()
    {
        var bare = Reopen(null);

        var error = await Assert.ThrowsAsync<AutotaskConfigurationException>(() => bare.AddAsync("partner-1", Settings(), Ct));

        Assert.Contains("protector", error.Message, StringComparison.Ordinal);
        Assert.Null(await Store.FindAsync("partner-1", Ct));
    }
}

public sealed class SqliteConnectionStoreTests : DurableConnectionStoreConformance, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("autotask-connections-").FullName;

    private string File => Path.Combine(_directory, "store.db");

    protected override Task<IAutotaskConnectionStore> CreateStoreAsync() =>
        Task.FromResult<IAutotaskConnectionStore>(new SqliteMappingStore(File, new DataProtectionSecretProtector(Keys)));

    protected override IAutotaskConnectionStore Reopen(IAutotaskSecretProtector? secrets) => new SqliteMappingStore(File, secrets);

    protected override async Task<IReadOnlyList<string>> RawConnectionRowsAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={File}");
        await connection.OpenAsync(Ct);
        await using var command = new SqliteCommand("SELECT connection_id, settings, secret, webhook_secret_key FROM autotask_connections", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var values = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            for (var i = 0; i < reader.FieldCount; i++)
            {
                values.Add(reader.IsDBNull(i) ? "" : reader.GetString(i));
            }
        }

        return values;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

public sealed class PostgreSqlConnectionStoreTests(PostgreSqlServer server) : DurableConnectionStoreConformance
{
    private readonly string _schema = PostgreSqlServer.NewSchema();
    private readonly List<PostgreSqlMappingStore> _opened = [];

    protected override Task<IAutotaskConnectionStore> CreateStoreAsync() => Task.FromResult(Reopen(new DataProtectionSecretProtector(Keys)));

    protected override IAutotaskConnectionStore Reopen(IAutotaskSecretProtector? secrets)
    {
        var store = new PostgreSqlMappingStore(server.ConnectionString, _schema, secrets);
        _opened.Add(store);
        return store;
    }

    protected override async Task<IReadOnlyList<string>> RawConnectionRowsAsync()
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand($"SELECT connection_id, settings, secret, coalesce(webhook_secret_key, '') FROM \"{_schema}\".connections", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var values = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            for (var i = 0; i < reader.FieldCount; i++)
            {
                values.Add(reader.GetString(i));
            }
        }

        return values;
    }

    protected override async ValueTask DisposeStoreAsync()
    {
        foreach (var store in _opened)
        {
            await store.DisposeAsync();
        }

        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }
}
