using System.Data.Common;
using Autotask.Integration.Auditing;
using Autotask.Integration.Connections;
using Autotask.Integration.Mapping;
using Microsoft.Data.Sqlite;

namespace Autotask.Integration.Sqlite;

/// <summary>
/// A durable <see cref="IMappingStore"/>, <see cref="IAuditSink"/> and <see cref="IAutotaskConnectionStore"/> in one SQLite file. The schema is created and
/// migrated on first use; the file is marked as this store's, and a file of another application, or one that is not
/// a database, is refused with a clear error.
/// </summary>
/// <remarks>
/// <para>
/// SQLite is for processes on one machine. Several of them may share the file: the map-once and
/// one-pending-adjustment rules are unique constraints, so the database settles their races. But SQLite has no server
/// and so no clock of its own: the time that stamps a pending adjustment, and the time its lease is measured by, is
/// the clock of the process running the statement (its <see cref="TimeProvider"/>). Processes on one machine share
/// that clock. For instances on several machines (or a file on a network share) use the PostgreSQL store, whose
/// leases are measured by the database server's clock.
/// </para>
/// <para>
/// As a guard, the store keeps the newest time any process has stamped, and refuses to begin an adjustment in a process
/// whose clock is more than a second behind it (a <see cref="MappingStoreException"/> that names the difference),
/// before the stamp could make the write look old to the other processes and be taken for abandoned while it is in
/// flight. What it cannot catch: a process whose clock is behind by less than the time since the store was last used,
/// or one whose clock is ahead (which takes the others' writes for older than they are).
/// </para>
/// </remarks>
public sealed partial class SqliteMappingStore
{
    /// <summary>The <c>application_id</c> written into the file's header: "ATI1".</summary>
    internal const int ApplicationId = 0x41544931;

    /// <summary>The schema version this release writes.</summary>
    internal const int SchemaVersion = 7;

    /// <summary>How far a process's clock may lie behind the newest time the store recorded before it may not begin an adjustment.</summary>
    internal static readonly TimeSpan MaxClockSkew = TimeSpan.FromSeconds(1);

    /// <summary>The schema migrations, one per version from 1; the tests build files of older versions from them.</summary>
    internal static readonly string[] Migrations =
    [
        // Version 1.
        """
        CREATE TABLE autotask_customers (
            connection_key TEXT NOT NULL, connection_name TEXT NOT NULL, vendor_customer_id TEXT NOT NULL, company_id INTEGER NOT NULL,
            company_name TEXT, mapped_at INTEGER NOT NULL, version INTEGER NOT NULL,
            PRIMARY KEY (connection_key, vendor_customer_id), UNIQUE (connection_key, company_id));
        CREATE TABLE autotask_offers (
            connection_key TEXT NOT NULL, connection_name TEXT NOT NULL, vendor_offer_id TEXT NOT NULL, term TEXT NOT NULL, service_id INTEGER NOT NULL,
            service_name TEXT, mapped_at INTEGER NOT NULL, version INTEGER NOT NULL,
            PRIMARY KEY (connection_key, vendor_offer_id));
        CREATE TABLE autotask_subscriptions (
            connection_key TEXT NOT NULL, connection_name TEXT NOT NULL, vendor_subscription_id TEXT NOT NULL, vendor_customer_id TEXT NOT NULL,
            vendor_offer_id TEXT NOT NULL, company_id INTEGER NOT NULL, contract_id INTEGER NOT NULL, contract_service_id INTEGER NOT NULL,
            service_id INTEGER NOT NULL, currency TEXT, mapped_at INTEGER NOT NULL, version INTEGER NOT NULL,
            PRIMARY KEY (connection_key, vendor_subscription_id), UNIQUE (connection_key, contract_service_id));
        CREATE INDEX autotask_subscriptions_customer ON autotask_subscriptions (connection_key, vendor_customer_id);
        CREATE TABLE autotask_ledger (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT, connection_key TEXT NOT NULL, operation_id TEXT NOT NULL UNIQUE, connection_name TEXT NOT NULL,
            vendor_subscription_id TEXT NOT NULL, contract_id INTEGER NOT NULL, contract_service_id INTEGER NOT NULL, effective_date TEXT NOT NULL,
            units_before INTEGER NOT NULL, units_after INTEGER NOT NULL, state TEXT NOT NULL, adjustment_id INTEGER, recorded_at INTEGER NOT NULL,
            settled_at INTEGER, pending_key TEXT UNIQUE);
        CREATE INDEX autotask_ledger_subscription ON autotask_ledger (connection_key, vendor_subscription_id);
        CREATE INDEX autotask_ledger_state ON autotask_ledger (connection_key, state);
        CREATE TABLE autotask_sync_state (
            connection_key TEXT NOT NULL, state_key TEXT NOT NULL, state_value TEXT NOT NULL, version INTEGER NOT NULL,
            PRIMARY KEY (connection_key, state_key));
        CREATE TABLE autotask_audit_events (
            event_id TEXT PRIMARY KEY, operation TEXT NOT NULL, connection_name TEXT NOT NULL, status TEXT NOT NULL, vendor_ids TEXT NOT NULL,
            autotask_ids TEXT NOT NULL, details TEXT, started_at INTEGER NOT NULL, completed_at INTEGER NOT NULL);
        CREATE INDEX autotask_audit_connection ON autotask_audit_events (connection_name, completed_at);
        """,

        // Version 2: the ledger version of each subscription, compared-and-swapped when an adjustment begins.
        """
        CREATE TABLE autotask_ledger_heads (
            connection_key TEXT NOT NULL, vendor_subscription_id TEXT NOT NULL, version INTEGER NOT NULL,
            PRIMARY KEY (connection_key, vendor_subscription_id));
        INSERT INTO autotask_ledger_heads (connection_key, vendor_subscription_id, version)
            SELECT connection_key, vendor_subscription_id, count(*) + sum(CASE WHEN state = 'Pending' THEN 0 ELSE 1 END)
            FROM autotask_ledger GROUP BY connection_key, vendor_subscription_id;
        """,

        // Version 3: each ledger entry records the version it began at; an insert without one comes from a process of an
        // older release still running, which would begin adjustments without moving the version, and is refused.
        """
        ALTER TABLE autotask_ledger ADD COLUMN head_version INTEGER;
        CREATE TRIGGER autotask_ledger_needs_version BEFORE INSERT ON autotask_ledger WHEN NEW.head_version IS NULL
        BEGIN
            SELECT RAISE(ABORT, 'A process of an older Autotask.Integration release tried to begin an adjustment in this store; stop it and run one release on every instance.');
        END;
        """,

        // Version 4: the webhook callouts received within the replay window, shared by every receiver of the file.
        """
        CREATE TABLE autotask_webhook_callouts (
            connection_key TEXT NOT NULL, callout_key TEXT NOT NULL, event_at INTEGER NOT NULL, received_at INTEGER NOT NULL,
            PRIMARY KEY (connection_key, callout_key));
        CREATE INDEX autotask_webhook_callouts_event ON autotask_webhook_callouts (connection_key, event_at);
        """,

        // Version 5: connections linked at run time, their secrets encrypted by the application's protector.
        """
        CREATE TABLE autotask_connections (
            connection_key TEXT PRIMARY KEY, connection_id TEXT NOT NULL, settings TEXT NOT NULL, secret TEXT NOT NULL,
            webhook_secret_key TEXT, saved_at INTEGER NOT NULL, version INTEGER NOT NULL);
        """,

        // Version 6: audit events are read by their connection's key (AutotaskConnectionIds), whatever spelling each carries.
        """
        CREATE INDEX autotask_audit_connection_key ON autotask_audit_events (upper(connection_name), completed_at);
        """,

        // Version 7: the newest time any process sharing the file has stamped (SQLite's clock is each process's own).
        """
        CREATE TABLE autotask_clock (ticks INTEGER NOT NULL);
        INSERT INTO autotask_clock (ticks) SELECT max(coalesce(max(recorded_at), 0), coalesce(max(settled_at), 0)) FROM autotask_ledger;
        """,
    ];

    private readonly string _connectionString;
    private readonly string _tablePrefix = "autotask_";
    private readonly IAutotaskSecretProtector? _secrets;
    private readonly TimeProvider _time;

    /// <summary>Creates a store on the file at <paramref name="path"/>, created when it does not exist.</summary>
    /// <param name="path">The database file's path.</param>
    /// <param name="secrets">
    /// Encrypts the secrets of connections saved in the store; without one, the store keeps mappings only and refuses
    /// to save or read connections. <c>UseSqliteStore</c> passes ASP.NET Core Data Protection.
    /// </param>
    /// <param name="time">
    /// This process's clock, which stamps ledger entries and measures their leases (SQLite has no clock of its own);
    /// <see cref="TimeProvider.System"/> when <c>null</c>. <c>UseSqliteStore</c> passes the application's.
    /// </param>
    public SqliteMappingStore(string path, IAutotaskSecretProtector? secrets = null, TimeProvider? time = null)
    {
        _secrets = secrets;
        _time = time ?? TimeProvider.System;
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The database file's full path.</summary>
    public string Path { get; }

    private partial string Table(string name) => _tablePrefix + name;

    // SQLite has no clock of its own: this function, registered on every connection the store opens, is this process's.
    private static partial string ClockTicks() => "autotask_now()";

    private async partial Task ObserveClockAsync(DbConnection connection, DbTransaction? transaction, bool beginning, CancellationToken cancellationToken)
    {
        if (beginning)
        {
            // Inside the write transaction (BEGIN IMMEDIATE), so no other process stamps between the check and the begin.
            var (recorded, now) = (await QueryAsync(connection, transaction, $"SELECT ticks, {ClockTicks()} FROM {Table("clock")}",
                r => (r.GetInt64(0), r.GetInt64(1)), cancellationToken).ConfigureAwait(false))[0];
            if (now < recorded - MaxClockSkew.Ticks)
            {
                var behind = TimeSpan.FromSeconds(Math.Round(TimeSpan.FromTicks(recorded - now).TotalSeconds));
                throw new MappingStoreException(
                    $"This process's clock is {behind:c} (h:m:s) behind a time another process sharing the SQLite store '{Path}' has recorded, " +
                    "so no adjustment is begun: its pending entry would look that much older to the others, which could take it for abandoned while it is in flight " +
                    "and write it again. SQLite is for processes on one machine, which share its clock: correct this process's clock, or use the PostgreSQL store for instances on several machines.");
            }
        }

        await ExecuteAsync(connection, transaction, $"UPDATE {Table("clock")} SET ticks = max(ticks, {ClockTicks()})", cancellationToken).ConfigureAwait(false);
    }

    // SQLite's upper() folds ASCII letters only (this build has no ICU extension).
    private static partial string AuditConnectionKey() => "upper(connection_name)";

    private static partial bool IsUniqueViolation(Exception exception) =>
        exception is SqliteException { SqliteExtendedErrorCode: 2067 or 1555 }; // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY

    private async partial Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, "PRAGMA busy_timeout = 10000;", cancellationToken).ConfigureAwait(false);
            var time = _time;
            connection.CreateFunction("autotask_now", () => time.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks, isDeterministic: false);
            await SchemaAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 26 or 11) // SQLITE_NOTADB, SQLITE_CORRUPT
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new MappingStoreException($"The file '{Path}' is not a readable SQLite database (it is corrupt, encrypted or of another format). Restore it from a backup or point the store at a new file.", ex);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async partial Task EnsureSchemaAsync()
    {
        var cancellationToken = CancellationToken.None;
        await using var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, "PRAGMA busy_timeout = 10000;", cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, "PRAGMA journal_mode = WAL;", cancellationToken).ConfigureAwait(false);

            // One writer at a time across processes: BEGIN IMMEDIATE takes the write lock before the version is read.
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, cancellationToken).ConfigureAwait(false);
            var applicationId = Convert.ToInt32(await ScalarAsync(connection, "PRAGMA application_id;", cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            var version = Convert.ToInt32(await ScalarAsync(connection, "PRAGMA user_version;", cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            var tables = Convert.ToInt64(await ScalarAsync(connection, "SELECT count(*) FROM sqlite_master WHERE type = 'table';", cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            if (applicationId != ApplicationId && (applicationId != 0 || tables > 0))
            {
                throw new MappingStoreException($"The file '{Path}' is a database of another application (it has {tables} table(s) and is not marked as an Autotask.Integration store). Point the store at its own file.");
            }

            if (version > SchemaVersion)
            {
                throw new MappingStoreException($"The file '{Path}' has schema version {version}, written by a newer Autotask.Integration; this release knows up to {SchemaVersion}. Upgrade the package.");
            }

            for (var next = version + 1; next <= SchemaVersion; next++)
            {
                await ExecuteAsync(connection, Migrations[next - 1], cancellationToken).ConfigureAwait(false);
            }

            await ExecuteAsync(connection, $"PRAGMA application_id = {ApplicationId}; PRAGMA user_version = {SchemaVersion};", cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 26 or 11) // SQLITE_NOTADB, SQLITE_CORRUPT
        {
            throw new MappingStoreException($"The file '{Path}' is not a readable SQLite database (it is corrupt, encrypted or of another format). Restore it from a backup or point the store at a new file.", ex);
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }
}
