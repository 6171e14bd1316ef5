using System.Data.Common;
using Autotask.Integration.Auditing;
using Autotask.Integration.Connections;
using Autotask.Integration.Mapping;
using Npgsql;

namespace Autotask.Integration.PostgreSql;

/// <summary>
/// A durable <see cref="IMappingStore"/>, <see cref="IAuditSink"/> and <see cref="IAutotaskConnectionStore"/> in a PostgreSQL schema, for several instances of
/// an integration service sharing one database. The schema is created and migrated on first use under an advisory
/// lock; a schema holding another application's tables is refused with a clear error. Map-once and
/// one-pending-adjustment rules are unique constraints, so two instances racing end with exactly one winner.
/// </summary>
public sealed partial class PostgreSqlMappingStore : IAsyncDisposable
{
    /// <summary>The schema version this release writes.</summary>
    internal const int SchemaVersion = 6;

    private const string Application = "Autotask.Integration";

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _schema;
    private readonly IAutotaskSecretProtector? _secrets;

    /// <summary>Creates a store in the given schema of the database the connection string names.</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="schema">The schema that holds the store's tables; created when missing. Default <c>autotask_integration</c>.</param>
    /// <param name="secrets">
    /// Encrypts the secrets of connections saved in the store; without one, the store keeps mappings only and refuses
    /// to save or read connections. <c>UsePostgreSqlStore</c> passes ASP.NET Core Data Protection.
    /// </param>
    public PostgreSqlMappingStore(string connectionString, string schema = "autotask_integration", IAutotaskSecretProtector? secrets = null)
    {
        _secrets = secrets;
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(schema);
        if (!schema.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new ArgumentException("The schema name may hold only letters, digits and underscores.", nameof(schema));
        }

        _schema = schema;
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    /// <summary>The schema that holds the store's tables.</summary>
    public string Schema => _schema;

    private partial string Table(string name) => $"\"{_schema}\".{name}";

    // The database server's clock, the same for every instance whatever their own clocks say.
    private static partial string ClockTicks() => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 10000000 AS BIGINT)";

    // The server's clock is the one clock every instance reads: there is no process's clock to check. (An instance
    // method because SQLite's is one.)
#pragma warning disable CA1822
    private partial Task ObserveClockAsync(DbConnection connection, DbTransaction? transaction, bool beginning, CancellationToken cancellationToken) => Task.CompletedTask;
#pragma warning restore CA1822

    // Under the "C" collation, upper() folds ASCII letters only, whatever the database's own collation.
    private static partial string AuditConnectionKey() => "upper(connection_name COLLATE \"C\")";

    private static partial bool IsUniqueViolation(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    private async partial Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await SchemaAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private async partial Task EnsureSchemaAsync()
    {
        await using var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);

        // Instances starting together migrate one at a time.
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock(hashtext('autotask_integration_schema:{_schema}'));").ConfigureAwait(false);
        await ExecuteAsync(connection, $"CREATE SCHEMA IF NOT EXISTS \"{_schema}\";").ConfigureAwait(false);
        var hasVersionTable = (bool)(await ScalarAsync(connection,
            $"SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = '{_schema}' AND table_name = 'schema_version');").ConfigureAwait(false))!;
        var tables = (long)(await ScalarAsync(connection,
            $"SELECT count(*) FROM information_schema.tables WHERE table_schema = '{_schema}';").ConfigureAwait(false))!;
        var version = 0;
        if (hasVersionTable)
        {
            var row = await ScalarAsync(connection, $"SELECT version FROM \"{_schema}\".schema_version WHERE application = '{Application}';").ConfigureAwait(false);
            if (row is null)
            {
                throw new MappingStoreException($"The schema '{_schema}' holds a schema_version table of another application. Use a schema of its own for the Autotask.Integration store.");
            }

            version = (int)row;
        }
        else if (tables > 0)
        {
            throw new MappingStoreException($"The schema '{_schema}' holds {tables} table(s) of another application. Use a schema of its own for the Autotask.Integration store.");
        }

        if (version > SchemaVersion)
        {
            throw new MappingStoreException($"The schema '{_schema}' has version {version}, written by a newer Autotask.Integration; this release knows up to {SchemaVersion}. Upgrade the package.");
        }

        if (version < 1)
        {
            await ExecuteAsync(connection, Migration1()).ConfigureAwait(false);
        }

        if (version < 2)
        {
            await ExecuteAsync(connection, Migration2()).ConfigureAwait(false);
        }

        if (version < 3)
        {
            await ExecuteAsync(connection, Migration3()).ConfigureAwait(false);
        }

        if (version < 4)
        {
            await ExecuteAsync(connection, Migration4()).ConfigureAwait(false);
        }

        if (version < 5)
        {
            await ExecuteAsync(connection, Migration5()).ConfigureAwait(false);
        }

        if (version < 6)
        {
            await ExecuteAsync(connection, Migration6()).ConfigureAwait(false);
        }

        await transaction.CommitAsync().ConfigureAwait(false);
    }

    /// <summary>Version 1 of the schema; the tests build schemas of older versions from it.</summary>
    internal string Migration1()
    {
        var s = $"\"{_schema}\"";
        return $"""
            CREATE TABLE {s}.schema_version (application TEXT PRIMARY KEY, version INTEGER NOT NULL);
            INSERT INTO {s}.schema_version (application, version) VALUES ('{Application}', 1);
            CREATE TABLE {s}.customers (
                connection_key TEXT NOT NULL, connection_name TEXT NOT NULL, vendor_customer_id TEXT NOT NULL, company_id BIGINT NOT NULL,
                company_name TEXT, mapped_at BIGINT NOT NULL, version BIGINT NOT NULL,
                PRIMARY KEY (connection_key, vendor_customer_id), UNIQUE (connection_key, company_id));
            CREATE TABLE {s}.offers (
                connection_key TEXT NOT NULL, connection_name TEXT NOT NULL, vendor_offer_id TEXT NOT NULL, term TEXT NOT NULL, service_id BIGINT NOT NULL,
                service_name TEXT, mapped_at BIGINT NOT NULL, version BIGINT NOT NULL,
                PRIMARY KEY (connection_key, vendor_offer_id));
            CREATE TABLE {s}.subscriptions (
                connection_key TEXT NOT NULL, connection_name TEXT NOT NULL, vendor_subscription_id TEXT NOT NULL, vendor_customer_id TEXT NOT NULL,
                vendor_offer_id TEXT NOT NULL, company_id BIGINT NOT NULL, contract_id BIGINT NOT NULL, contract_service_id BIGINT NOT NULL,
                service_id BIGINT NOT NULL, currency TEXT, mapped_at BIGINT NOT NULL, version BIGINT NOT NULL,
                PRIMARY KEY (connection_key, vendor_subscription_id), UNIQUE (connection_key, contract_service_id));
            CREATE INDEX ON {s}.subscriptions (connection_key, vendor_customer_id);
            CREATE TABLE {s}.ledger (
                sequence BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, connection_key TEXT NOT NULL, operation_id TEXT NOT NULL UNIQUE,
                connection_name TEXT NOT NULL, vendor_subscription_id TEXT NOT NULL, contract_id BIGINT NOT NULL, contract_service_id BIGINT NOT NULL,
                effective_date TEXT NOT NULL, units_before INTEGER NOT NULL, units_after INTEGER NOT NULL, state TEXT NOT NULL, adjustment_id BIGINT,
                recorded_at BIGINT NOT NULL, settled_at BIGINT, pending_key TEXT UNIQUE);
            CREATE INDEX ON {s}.ledger (connection_key, vendor_subscription_id);
            CREATE INDEX ON {s}.ledger (connection_key, state);
            CREATE TABLE {s}.sync_state (
                connection_key TEXT NOT NULL, state_key TEXT NOT NULL, state_value TEXT NOT NULL, version BIGINT NOT NULL,
                PRIMARY KEY (connection_key, state_key));
            CREATE TABLE {s}.audit_events (
                event_id TEXT PRIMARY KEY, operation TEXT NOT NULL, connection_name TEXT NOT NULL, status TEXT NOT NULL, vendor_ids TEXT NOT NULL,
                autotask_ids TEXT NOT NULL, details TEXT, started_at BIGINT NOT NULL, completed_at BIGINT NOT NULL);
            CREATE INDEX ON {s}.audit_events (connection_name, completed_at);
            """;
    }

    /// <summary>Version 2: the ledger version of each subscription, compared-and-swapped when an adjustment begins.</summary>
    private string Migration2()
    {
        var s = $"\"{_schema}\"";
        return $"""
            CREATE TABLE {s}.ledger_heads (
                connection_key TEXT NOT NULL, vendor_subscription_id TEXT NOT NULL, version BIGINT NOT NULL,
                PRIMARY KEY (connection_key, vendor_subscription_id));
            INSERT INTO {s}.ledger_heads (connection_key, vendor_subscription_id, version)
                SELECT connection_key, vendor_subscription_id, count(*) + sum(CASE WHEN state = 'Pending' THEN 0 ELSE 1 END)
                FROM {s}.ledger GROUP BY connection_key, vendor_subscription_id;
            UPDATE {s}.schema_version SET version = 2 WHERE application = '{Application}';
            """;
    }

    /// <summary>
    /// Version 3: each ledger entry records the version it began at. An insert without one comes from a process of an
    /// older release still running, which would begin adjustments without moving the version, and is refused.
    /// </summary>
    private string Migration3()
    {
        var s = $"\"{_schema}\"";
        return $"""
            ALTER TABLE {s}.ledger ADD COLUMN head_version BIGINT;
            CREATE FUNCTION {s}.ledger_needs_version() RETURNS trigger LANGUAGE plpgsql AS $f$
            BEGIN
                IF NEW.head_version IS NULL THEN
                    RAISE EXCEPTION 'A process of an older Autotask.Integration release tried to begin an adjustment in this store; stop it and run one release on every instance.';
                END IF;
                RETURN NEW;
            END
            $f$;
            CREATE TRIGGER ledger_needs_version BEFORE INSERT ON {s}.ledger FOR EACH ROW EXECUTE FUNCTION {s}.ledger_needs_version();
            UPDATE {s}.schema_version SET version = 3 WHERE application = '{Application}';
            """;
    }

    /// <summary>Version 4: the webhook callouts received within the replay window, shared by every receiver of the schema.</summary>
    private string Migration4()
    {
        var s = $"\"{_schema}\"";
        return $"""
            CREATE TABLE {s}.webhook_callouts (
                connection_key TEXT NOT NULL, callout_key TEXT NOT NULL, event_at BIGINT NOT NULL, received_at BIGINT NOT NULL,
                PRIMARY KEY (connection_key, callout_key));
            CREATE INDEX ON {s}.webhook_callouts (connection_key, event_at);
            UPDATE {s}.schema_version SET version = 4 WHERE application = '{Application}';
            """;
    }

    /// <summary>Version 5: connections linked at run time, their secrets encrypted by the application's protector.</summary>
    private string Migration5()
    {
        var s = $"\"{_schema}\"";
        return $"""
            CREATE TABLE {s}.connections (
                connection_key TEXT PRIMARY KEY, connection_id TEXT NOT NULL, settings TEXT NOT NULL, secret TEXT NOT NULL,
                webhook_secret_key TEXT, saved_at BIGINT NOT NULL, version BIGINT NOT NULL);
            UPDATE {s}.schema_version SET version = 5 WHERE application = '{Application}';
            """;
    }

    /// <summary>Version 6: audit events are read by their connection's key (AutotaskConnectionIds), whatever spelling each carries.</summary>
    private string Migration6()
    {
        var s = $"\"{_schema}\"";
        return $"""
            CREATE INDEX ON {s}.audit_events ((upper(connection_name COLLATE "C")), completed_at);
            UPDATE {s}.schema_version SET version = 6 WHERE application = '{Application}';
            """;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync().ConfigureAwait(false);
    }
}
