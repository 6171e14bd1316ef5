using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Autotask.Integration.Auditing;
using Autotask.Integration.Mapping;
using NodaTime;

#if SQLITE_STORE
namespace Autotask.Integration.Sqlite;
#else
namespace Autotask.Integration.PostgreSql;
#endif

// The SQL behind the durable stores, shared by the SQLite and PostgreSQL packages (this file is compiled into each):
// map-once and one-pending-adjustment rules are unique constraints, so the database itself settles races between
// processes; versions are random 63-bit numbers, so a removed and re-added row never passes for the old one.
#if SQLITE_STORE
public sealed partial class SqliteMappingStore : IAuditedLedgerStore, IAuditReader
#else
public sealed partial class PostgreSqlMappingStore : IAuditedLedgerStore, IAuditReader
#endif
{
    /// <summary>Opens a connection with the schema in place.</summary>
    private partial Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Whether the exception is a unique-constraint violation.</summary>
    private static partial bool IsUniqueViolation(Exception exception);

    /// <summary>The name of a table, qualified as the database needs.</summary>
    private partial string Table(string name);

    /// <summary>
    /// The SQL expression of the store's clock, in ticks since the Unix epoch: ledger entries are stamped and their age
    /// measured by it. PostgreSQL's is the server's; SQLite, which has no server, evaluates it in the process that runs
    /// the statement, so its clock is that process's (see <see cref="ObserveClockAsync"/>).
    /// </summary>
    private static partial string ClockTicks();

    /// <summary>
    /// Where the store's clock is each process's own (SQLite), keeps the newest time any process has stamped and, when
    /// <paramref name="beginning"/>, refuses a process whose clock is behind it, before its stamp could make a write in
    /// flight look old to the others. Nothing where the database has a clock of its own (PostgreSQL).
    /// </summary>
    /// <param name="connection">The open connection.</param>
    /// <param name="transaction">The write transaction the check belongs to, or <c>null</c> for a statement of its own.</param>
    /// <param name="beginning">Whether an adjustment is about to be stamped.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    private partial Task ObserveClockAsync(DbConnection connection, DbTransaction? transaction, bool beginning, CancellationToken cancellationToken);

    /// <summary>
    /// The SQL expression of an audit event's connection key: its <c>connection_name</c> with ASCII letters upper-cased
    /// and nothing else, so that it equals <see cref="AutotaskConnectionIds.Normalize"/> of every spelling of an id.
    /// Indexed by the same expression.
    /// </summary>
    private static partial string AuditConnectionKey();

    /// <summary>Creates or migrates the schema; run once per store instance by <see cref="SchemaAsync"/>.</summary>
    private partial Task EnsureSchemaAsync();

    private Task? _schemaTask;

    /// <summary>The schema's creation or migration, once per store; a failed attempt is tried again by the next caller.</summary>
    private Task SchemaAsync()
    {
        var current = Volatile.Read(ref _schemaTask);
        if (current is { IsFaulted: false, IsCanceled: false })
        {
            return current;
        }

        var attempt = Task.Run(EnsureSchemaAsync);
        return Interlocked.CompareExchange(ref _schemaTask, attempt, current) == current ? attempt : _schemaTask!;
    }

    // One key per connection id, whatever its spelling; an id outside the rule is refused (ArgumentException) before anything is read or written.
    private static string Key(string connection) => AutotaskConnectionIds.Normalize(connection);

    private static long NewVersion() => Random.Shared.NextInt64(1, long.MaxValue);

    /// <inheritdoc />
    public async Task<CustomerMapping?> FindCustomerAsync(string connection, string vendorCustomerId, CancellationToken cancellationToken = default) =>
        (await QueryAsync($"SELECT connection_name, vendor_customer_id, company_id, company_name, mapped_at, version FROM {Table("customers")} WHERE connection_key = @c AND vendor_customer_id = @v",
            ReadCustomer, cancellationToken, ("c", Key(connection)), ("v", vendorCustomerId)).ConfigureAwait(false)).FirstOrDefault();

    /// <inheritdoc />
    public async Task<CustomerMapping?> FindCustomerByCompanyAsync(string connection, long companyId, CancellationToken cancellationToken = default) =>
        (await QueryAsync($"SELECT connection_name, vendor_customer_id, company_id, company_name, mapped_at, version FROM {Table("customers")} WHERE connection_key = @c AND company_id = @id",
            ReadCustomer, cancellationToken, ("c", Key(connection)), ("id", companyId)).ConfigureAwait(false)).FirstOrDefault();

    /// <inheritdoc />
    public async Task<CustomerMapping> AddCustomerAsync(CustomerMapping mapping, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        var stored = mapping with { Version = NewVersion() };
        try
        {
            await ExecuteAsync($"INSERT INTO {Table("customers")} (connection_key, connection_name, vendor_customer_id, company_id, company_name, mapped_at, version) VALUES (@k, @n, @v, @id, @name, @at, @ver)",
                cancellationToken, ("k", Key(mapping.Connection)), ("n", mapping.Connection), ("v", mapping.VendorCustomerId), ("id", mapping.CompanyId),
                ("name", mapping.CompanyName), ("at", mapping.MappedAt.ToUnixTimeTicks()), ("ver", stored.Version)).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUniqueViolation(ex))
        {
            var byCustomer = await FindCustomerAsync(mapping.Connection, mapping.VendorCustomerId, cancellationToken).ConfigureAwait(false);
            throw new MappingConflictException(byCustomer is not null
                ? $"Vendor customer '{mapping.VendorCustomerId}' is mapped already, to company {byCustomer.CompanyId}."
                : $"Company {mapping.CompanyId} is mapped already, to vendor customer '{(await FindCustomerByCompanyAsync(mapping.Connection, mapping.CompanyId, cancellationToken).ConfigureAwait(false))?.VendorCustomerId}'.");
        }

        return stored;
    }

    /// <inheritdoc />
    public Task<bool> RemoveCustomerAsync(string connection, string vendorCustomerId, long expectedVersion, CancellationToken cancellationToken = default) =>
        RemoveAsync("customers", "vendor_customer_id", connection, vendorCustomerId, expectedVersion, $"customer mapping '{vendorCustomerId}'", cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<CustomerMapping>> ListCustomersAsync(string connection, CancellationToken cancellationToken = default) =>
        await QueryAsync($"SELECT connection_name, vendor_customer_id, company_id, company_name, mapped_at, version FROM {Table("customers")} WHERE connection_key = @c ORDER BY vendor_customer_id",
            ReadCustomer, cancellationToken, ("c", Key(connection))).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<OfferMapping?> FindOfferAsync(string connection, string vendorOfferId, CancellationToken cancellationToken = default) =>
        (await QueryAsync($"SELECT connection_name, vendor_offer_id, term, service_id, service_name, mapped_at, version FROM {Table("offers")} WHERE connection_key = @c AND vendor_offer_id = @v",
            r => new OfferMapping
            {
                Connection = r.GetString(0),
                VendorOfferId = r.GetString(1),
                Term = Enum.Parse<BillingTerm>(r.GetString(2)),
                ServiceId = r.GetInt64(3),
                ServiceName = r.IsDBNull(4) ? null : r.GetString(4),
                MappedAt = Instant.FromUnixTimeTicks(r.GetInt64(5)),
                Version = r.GetInt64(6),
            }, cancellationToken, ("c", Key(connection)), ("v", vendorOfferId)).ConfigureAwait(false)).FirstOrDefault();

    /// <inheritdoc />
    public async Task<OfferMapping> AddOfferAsync(OfferMapping mapping, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        var stored = mapping with { Version = NewVersion() };
        try
        {
            await ExecuteAsync($"INSERT INTO {Table("offers")} (connection_key, connection_name, vendor_offer_id, term, service_id, service_name, mapped_at, version) VALUES (@k, @n, @v, @t, @s, @name, @at, @ver)",
                cancellationToken, ("k", Key(mapping.Connection)), ("n", mapping.Connection), ("v", mapping.VendorOfferId), ("t", mapping.Term.ToString()),
                ("s", mapping.ServiceId), ("name", mapping.ServiceName), ("at", mapping.MappedAt.ToUnixTimeTicks()), ("ver", stored.Version)).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUniqueViolation(ex))
        {
            throw new MappingConflictException($"Vendor offer '{mapping.VendorOfferId}' is mapped already.");
        }

        return stored;
    }

    /// <inheritdoc />
    public Task<bool> RemoveOfferAsync(string connection, string vendorOfferId, long expectedVersion, CancellationToken cancellationToken = default) =>
        RemoveAsync("offers", "vendor_offer_id", connection, vendorOfferId, expectedVersion, $"offer mapping '{vendorOfferId}'", cancellationToken);

    private const string SubscriptionColumns = "connection_name, vendor_subscription_id, vendor_customer_id, vendor_offer_id, company_id, contract_id, contract_service_id, service_id, currency, mapped_at, version";

    /// <inheritdoc />
    public async Task<SubscriptionMapping?> FindSubscriptionAsync(string connection, string vendorSubscriptionId, CancellationToken cancellationToken = default) =>
        (await QueryAsync($"SELECT {SubscriptionColumns} FROM {Table("subscriptions")} WHERE connection_key = @c AND vendor_subscription_id = @v",
            ReadSubscription, cancellationToken, ("c", Key(connection)), ("v", vendorSubscriptionId)).ConfigureAwait(false)).FirstOrDefault();

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, SubscriptionMapping>> FindSubscriptionsAsync(
        string connection, IReadOnlyCollection<string> vendorSubscriptionIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(vendorSubscriptionIds);
        var found = new Dictionary<string, SubscriptionMapping>(StringComparer.Ordinal);
        foreach (var chunk in vendorSubscriptionIds.Distinct().Chunk(500))
        {
            var (names, parameters) = InList(chunk, ("c", Key(connection)));
            foreach (var mapping in await QueryAsync($"SELECT {SubscriptionColumns} FROM {Table("subscriptions")} WHERE connection_key = @c AND vendor_subscription_id IN ({names})",
                ReadSubscription, cancellationToken, parameters).ConfigureAwait(false))
            {
                found[mapping.VendorSubscriptionId] = mapping;
            }
        }

        return found;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SubscriptionMapping>> ListSubscriptionsAsync(string connection, string? vendorCustomerId = null, CancellationToken cancellationToken = default) =>
        vendorCustomerId is null
            ? await QueryAsync($"SELECT {SubscriptionColumns} FROM {Table("subscriptions")} WHERE connection_key = @c ORDER BY vendor_subscription_id",
                ReadSubscription, cancellationToken, ("c", Key(connection))).ConfigureAwait(false)
            : await QueryAsync($"SELECT {SubscriptionColumns} FROM {Table("subscriptions")} WHERE connection_key = @c AND vendor_customer_id = @v ORDER BY vendor_subscription_id",
                ReadSubscription, cancellationToken, ("c", Key(connection)), ("v", vendorCustomerId)).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<SubscriptionMapping> AddSubscriptionAsync(SubscriptionMapping mapping, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        var stored = mapping with { Version = NewVersion() };
        try
        {
            await ExecuteAsync($"INSERT INTO {Table("subscriptions")} (connection_key, {SubscriptionColumns}) VALUES (@k, @n, @v, @cu, @o, @co, @ct, @cs, @s, @cur, @at, @ver)",
                cancellationToken, ("k", Key(mapping.Connection)), ("n", mapping.Connection), ("v", mapping.VendorSubscriptionId), ("cu", mapping.VendorCustomerId),
                ("o", mapping.VendorOfferId), ("co", mapping.CompanyId), ("ct", mapping.ContractId), ("cs", mapping.ContractServiceId), ("s", mapping.ServiceId),
                ("cur", mapping.Currency), ("at", mapping.MappedAt.ToUnixTimeTicks()), ("ver", stored.Version)).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUniqueViolation(ex))
        {
            if (await FindSubscriptionAsync(mapping.Connection, mapping.VendorSubscriptionId, cancellationToken).ConfigureAwait(false) is { } existing)
            {
                throw new MappingConflictException($"Vendor subscription '{mapping.VendorSubscriptionId}' is mapped already, to contract service {existing.ContractServiceId}.");
            }

            throw new MappingConflictException($"Contract service {mapping.ContractServiceId} is mapped already, to another vendor subscription; give each subscription its own service line.");
        }

        return stored;
    }

    /// <inheritdoc />
    public Task<bool> RemoveSubscriptionAsync(string connection, string vendorSubscriptionId, long expectedVersion, CancellationToken cancellationToken = default) =>
        RemoveAsync("subscriptions", "vendor_subscription_id", connection, vendorSubscriptionId, expectedVersion, $"subscription mapping '{vendorSubscriptionId}'", cancellationToken);

    private const string LedgerColumns = "operation_id, connection_name, vendor_subscription_id, contract_id, contract_service_id, effective_date, units_before, units_after, state, adjustment_id, recorded_at, settled_at";

    // The same columns, of the ledger joined as "l": one list, so that a new column cannot be read in one place only.
    private static readonly string JoinedLedgerColumns = "l." + LedgerColumns.Replace(", ", ", l.", StringComparison.Ordinal);

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, LedgerHead>> GetLedgerHeadsAsync(
        string connection, IReadOnlyCollection<string> vendorSubscriptionIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(vendorSubscriptionIds);
        var heads = vendorSubscriptionIds.Distinct().ToDictionary(id => id, id => new LedgerHead { VendorSubscriptionId = id }, StringComparer.Ordinal);
        if (heads.Count == 0)
        {
            return heads;
        }

        // One connection for the clock's observation and every chunk: this read is on the sync's path for every batch.
        await using var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await ObserveClockAsync(db, null, beginning: false, cancellationToken).ConfigureAwait(false);
        foreach (var chunk in heads.Keys.Chunk(500))
        {
            var (names, parameters) = InList(chunk, ("c", Key(connection)), ("pending", nameof(AdjustmentState.Pending)));
            // One statement, so the version and the pending entry are one snapshot; the age is measured by the database's clock.
            var rows = await QueryAsync(db, null, $"""
                SELECT h.vendor_subscription_id, h.version, {ClockTicks()} - l.recorded_at, {JoinedLedgerColumns}
                FROM {Table("ledger_heads")} h
                LEFT JOIN {Table("ledger")} l ON l.connection_key = h.connection_key AND l.vendor_subscription_id = h.vendor_subscription_id AND l.state = @pending
                WHERE h.connection_key = @c AND h.vendor_subscription_id IN ({names})
                """,
                r => new LedgerHead
                {
                    VendorSubscriptionId = r.GetString(0),
                    Version = r.GetInt64(1),
                    Pending = r.IsDBNull(3) ? null : ReadLedger(r, 3),
                    PendingFor = r.IsDBNull(2) ? Duration.Zero : Duration.FromTicks(Math.Max(0, r.GetInt64(2))),
                }, cancellationToken, parameters).ConfigureAwait(false);
            foreach (var head in rows)
            {
                heads[head.VendorSubscriptionId] = head;
            }
        }

        return heads;
    }

    /// <inheritdoc />
    public async Task<AdjustmentBeginOutcome> TryBeginAdjustmentAsync(AdjustmentLedgerEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.State != AdjustmentState.Pending)
        {
            throw new ArgumentException("A new ledger entry must be pending.", nameof(entry));
        }

        var key = Key(entry.Connection);
        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await ObserveClockAsync(connection, transaction, beginning: true, cancellationToken).ConfigureAwait(false);

            // Compare-and-swap on the subscription's ledger version: the row lock it takes orders every begin and settle of the subscription.
            var moved = expectedVersion == 0
                ? await ExecuteAsync(connection, transaction, $"INSERT INTO {Table("ledger_heads")} (connection_key, vendor_subscription_id, version) VALUES (@k, @v, 1) ON CONFLICT DO NOTHING",
                    cancellationToken, ("k", key), ("v", entry.VendorSubscriptionId)).ConfigureAwait(false)
                : await ExecuteAsync(connection, transaction, $"UPDATE {Table("ledger_heads")} SET version = version + 1 WHERE connection_key = @k AND vendor_subscription_id = @v AND version = @expected",
                    cancellationToken, ("k", key), ("v", entry.VendorSubscriptionId), ("expected", expectedVersion)).ConfigureAwait(false);
            if (moved == 0)
            {
                return AdjustmentBeginOutcome.Stale;
            }

            // Recorded only when nothing is pending; the head's row lock, taken above, keeps the check and the insert together.
            var inserted = await ExecuteAsync(connection, transaction,
                $"INSERT INTO {Table("ledger")} (connection_key, {LedgerColumns}, pending_key, head_version) SELECT @k, @op, @n, @v, @ct, @cs, @d, @b, @a, @st, NULL, {ClockTicks()}, NULL, @pk, @hv " +
                $"WHERE NOT EXISTS (SELECT 1 FROM {Table("ledger")} WHERE pending_key = @pk)",
                cancellationToken, ("k", key), ("op", entry.OperationId), ("n", entry.Connection), ("v", entry.VendorSubscriptionId),
                ("ct", entry.ContractId), ("cs", entry.ContractServiceId), ("d", entry.EffectiveDate.ToString("uuuu-MM-dd", CultureInfo.InvariantCulture)),
                ("b", entry.UnitsBefore), ("a", entry.UnitsAfter), ("st", nameof(AdjustmentState.Pending)),
                ("pk", key + "|" + entry.VendorSubscriptionId), ("hv", expectedVersion + 1)).ConfigureAwait(false);
            if (inserted == 0)
            {
                return AdjustmentBeginOutcome.Busy;
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return AdjustmentBeginOutcome.Begun;
        }
        catch (Exception ex) when (IsUniqueViolation(ex))
        {
            if ((await QueryAsync($"SELECT operation_id FROM {Table("ledger")} WHERE operation_id = @op", r => r.GetString(0), cancellationToken, ("op", entry.OperationId)).ConfigureAwait(false)).Count > 0)
            {
                throw new ArgumentException($"A ledger entry with operation id {entry.OperationId} exists already.", nameof(entry), ex);
            }

            return AdjustmentBeginOutcome.Busy;
        }
    }

    /// <inheritdoc />
    public Task<long> SettleAdjustmentAsync(string connection, string operationId, AdjustmentState state, long? adjustmentId, CancellationToken cancellationToken = default) =>
        SettleAsync(connection, operationId, state, adjustmentId, null, cancellationToken);

    /// <inheritdoc />
    public Task<long> SettleAdjustmentAndAuditAsync(string connection, string operationId, AdjustmentState state, long? adjustmentId, AuditEvent auditEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        return SettleAsync(connection, operationId, state, adjustmentId, auditEvent, cancellationToken);
    }

    private async Task<long> SettleAsync(string connection, string operationId, AdjustmentState state, long? adjustmentId, AuditEvent? auditEvent, CancellationToken cancellationToken)
    {
        if (state == AdjustmentState.Pending || !Enum.IsDefined(state))
        {
            throw new ArgumentException("Settle to Applied, NotApplied or Indeterminate.", nameof(state));
        }

        var key = Key(connection);
        await using var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // Clearing pending_key frees the subscription for its next adjustment. A concurrent settle of the same entry
        // waits for this row and then finds it settled.
        var subscription = (await QueryAsync(db, transaction,
            $"UPDATE {Table("ledger")} SET state = @st, adjustment_id = @id, settled_at = {ClockTicks()}, pending_key = NULL WHERE connection_key = @k AND operation_id = @op AND state = @pending RETURNING vendor_subscription_id",
            r => r.GetString(0), cancellationToken, ("st", state.ToString()), ("id", adjustmentId), ("k", key), ("op", operationId),
            ("pending", nameof(AdjustmentState.Pending))).ConfigureAwait(false)).FirstOrDefault()
            ?? throw new StoreConcurrencyException($"No pending ledger entry has operation id {operationId}; another sync settled it.");
        var version = (await QueryAsync(db, transaction, $"UPDATE {Table("ledger_heads")} SET version = version + 1 WHERE connection_key = @k AND vendor_subscription_id = @v RETURNING version",
            r => r.GetInt64(0), cancellationToken, ("k", key), ("v", subscription)).ConfigureAwait(false)).FirstOrDefault();
        if (version == 0)
        {
            throw new MappingStoreException($"The ledger of subscription '{subscription}' has no version row; the store's schema is damaged. Restore it from a backup.");
        }

        // Recorded with the settle, or not at all: only the sync whose settle this is audits it, and a process that dies
        // now loses neither.
        if (auditEvent is not null)
        {
            await InsertAuditAsync(db, transaction, auditEvent, cancellationToken).ConfigureAwait(false);
        }

        await ObserveClockAsync(db, transaction, beginning: false, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return version;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AdjustmentLedgerEntry>> GetPendingAdjustmentsAsync(
        string connection, IReadOnlyCollection<string>? vendorSubscriptionIds = null, CancellationToken cancellationToken = default)
    {
        var pending = await QueryAsync($"SELECT {LedgerColumns} FROM {Table("ledger")} WHERE connection_key = @k AND state = @st ORDER BY recorded_at",
            ReadLedger, cancellationToken, ("k", Key(connection)), ("st", nameof(AdjustmentState.Pending))).ConfigureAwait(false);
        if (vendorSubscriptionIds is null)
        {
            return pending;
        }

        var wanted = new HashSet<string>(vendorSubscriptionIds, StringComparer.Ordinal);
        return pending.Where(p => wanted.Contains(p.VendorSubscriptionId)).ToArray();
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AdjustmentLedgerEntry>> GetLedgerAsync(string connection, string vendorSubscriptionId, CancellationToken cancellationToken = default) =>
        await QueryAsync($"SELECT {LedgerColumns} FROM {Table("ledger")} WHERE connection_key = @k AND vendor_subscription_id = @v ORDER BY sequence",
            ReadLedger, cancellationToken, ("k", Key(connection)), ("v", vendorSubscriptionId)).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<SyncStateValue?> GetStateAsync(string connection, string key, CancellationToken cancellationToken = default) =>
        (await QueryAsync($"SELECT state_value, version FROM {Table("sync_state")} WHERE connection_key = @k AND state_key = @s",
            r => new SyncStateValue(r.GetString(0), r.GetInt64(1)), cancellationToken, ("k", Key(connection)), ("s", key)).ConfigureAwait(false)).FirstOrDefault();

    /// <inheritdoc />
    public async Task<long> SetStateAsync(string connection, string key, string value, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        var version = NewVersion();
        int rows;
        if (expectedVersion == 0)
        {
            try
            {
                rows = await ExecuteAsync($"INSERT INTO {Table("sync_state")} (connection_key, state_key, state_value, version) VALUES (@k, @s, @val, @ver)",
                    cancellationToken, ("k", Key(connection)), ("s", key), ("val", value), ("ver", version)).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsUniqueViolation(ex))
            {
                rows = 0;
            }
        }
        else
        {
            rows = await ExecuteAsync($"UPDATE {Table("sync_state")} SET state_value = @val, version = @ver WHERE connection_key = @k AND state_key = @s AND version = @old",
                cancellationToken, ("val", value), ("ver", version), ("k", Key(connection)), ("s", key), ("old", expectedVersion)).ConfigureAwait(false);
        }

        if (rows == 0)
        {
            throw new StoreConcurrencyException($"The sync state '{key}' changed since it was read (expected version {expectedVersion}); read it again.");
        }

        return version;
    }

    /// <inheritdoc />
    public async Task<CalloutReceipt> TryRecordCalloutAsync(string connection, string calloutKey, Instant eventTime, Duration window, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(calloutKey);
        if (window <= Duration.Zero || window > Duration.FromDays(365))
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "The callout window must be positive and at most a year.");
        }

        var key = Key(connection);
        await using var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // The window is measured by the database's clock, the same for every receiver whatever its own clock says.
        var now = (await QueryAsync(db, transaction, $"SELECT {ClockTicks()}", r => r.GetInt64(0), cancellationToken).ConfigureAwait(false))[0];
        var earliest = now - window.BclCompatibleTicks;
        // Records are kept for a second window before they are forgotten: a concurrent receiver whose transaction read
        // the clock a moment earlier may still take a callout near the edge for inside the window, and must then find
        // its record. (PostgreSQL runs these transactions side by side; SQLite one at a time.)
        await ExecuteAsync(db, transaction, $"DELETE FROM {Table("webhook_callouts")} WHERE connection_key = @k AND event_at < @forget",
            cancellationToken, ("k", key), ("forget", earliest - window.BclCompatibleTicks)).ConfigureAwait(false);
        var at = eventTime.ToUnixTimeTicks();
        if (at < earliest || at > now + window.BclCompatibleTicks)
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return CalloutReceipt.OutsideWindow;
        }

        // The primary key decides between receivers racing with the same callout: a second insert waits for the first and does nothing.
        var inserted = await ExecuteAsync(db, transaction,
            $"INSERT INTO {Table("webhook_callouts")} (connection_key, callout_key, event_at, received_at) VALUES (@k, @key, @at, {ClockTicks()}) ON CONFLICT DO NOTHING",
            cancellationToken, ("k", key), ("key", calloutKey), ("at", at)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return inserted == 1 ? CalloutReceipt.First : CalloutReceipt.Repeated;
    }

    /// <inheritdoc />
    public async Task ForgetCalloutAsync(string connection, string calloutKey, CancellationToken cancellationToken = default) =>
        await ExecuteAsync($"DELETE FROM {Table("webhook_callouts")} WHERE connection_key = @k AND callout_key = @key",
            cancellationToken, ("k", Key(connection)), ("key", calloutKey)).ConfigureAwait(false);

    /// <inheritdoc />
    /// <remarks>An event whose <see cref="AuditEvent.EventId"/> is recorded already is not recorded again.</remarks>
    public async Task WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        await using var db = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await InsertAuditAsync(db, null, auditEvent, cancellationToken).ConfigureAwait(false);
    }

    private Task<int> InsertAuditAsync(DbConnection db, DbTransaction? transaction, AuditEvent auditEvent, CancellationToken cancellationToken) =>
        ExecuteAsync(db, transaction, $"INSERT INTO {Table("audit_events")} (event_id, operation, connection_name, status, vendor_ids, autotask_ids, details, started_at, completed_at) VALUES (@id, @op, @c, @st, @v, @a, @d, @s, @e) ON CONFLICT (event_id) DO NOTHING",
            cancellationToken, ("id", auditEvent.EventId), ("op", auditEvent.Operation), ("c", auditEvent.Connection), ("st", auditEvent.Status.ToString()),
            ("v", ToJson(auditEvent.VendorIds.Select(p => (p.Key, (object)p.Value)))), ("a", ToJson(auditEvent.AutotaskIds.Select(p => (p.Key, (object)p.Value)))),
            ("d", auditEvent.Details), ("s", auditEvent.StartedAt.ToUnixTimeTicks()), ("e", auditEvent.CompletedAt.ToUnixTimeTicks()));

    /// <inheritdoc />
    public async Task<AuditPage> ReadAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);

        // Only the filters given become conditions, so that no parameter is a typeless null.
        // Every spelling of the id: its events carry the spelling each caller used.
        var where = new StringBuilder($"{AuditConnectionKey()} = @c");
        var parameters = new List<(string Name, object? Value)> { ("c", Key(query.Connection)), ("skip", query.Skip), ("take", query.Take + 1) };
        if (query.Operation is not null)
        {
            where.Append(" AND operation = @op");
            parameters.Add(("op", query.Operation));
        }

        if (query.Status is { } status)
        {
            where.Append(" AND status = @st");
            parameters.Add(("st", status.ToString()));
        }

        if (query.From is { } start)
        {
            where.Append(" AND completed_at >= @from");
            parameters.Add(("from", start.ToUnixTimeTicks()));
        }

        if (query.Until is { } end)
        {
            where.Append(" AND completed_at < @until");
            parameters.Add(("until", end.ToUnixTimeTicks()));
        }

        var events = await QueryAsync($"SELECT event_id, operation, connection_name, status, vendor_ids, autotask_ids, details, started_at, completed_at FROM {Table("audit_events")} WHERE {where} ORDER BY completed_at DESC, event_id LIMIT @take OFFSET @skip",
            r => new AuditEvent
            {
                EventId = r.GetString(0),
                Operation = r.GetString(1),
                Connection = r.GetString(2),
                Status = Enum.Parse<AuditStatus>(r.GetString(3)),
                VendorIds = FromJson(r.GetString(4), e => e.GetString()!),
                AutotaskIds = FromJson(r.GetString(5), e => e.GetInt64()),
                Details = r.IsDBNull(6) ? null : r.GetString(6),
                StartedAt = Instant.FromUnixTimeTicks(r.GetInt64(7)),
                CompletedAt = Instant.FromUnixTimeTicks(r.GetInt64(8)),
            }, cancellationToken, [.. parameters]).ConfigureAwait(false);
        var hasMore = events.Count > query.Take;
        return new AuditPage { Events = hasMore ? events.GetRange(0, query.Take) : events, HasMore = hasMore };
    }

    private async Task<bool> RemoveAsync(string table, string idColumn, string connection, string id, long expectedVersion, string what, CancellationToken cancellationToken)
    {
        var rows = await ExecuteAsync($"DELETE FROM {Table(table)} WHERE connection_key = @k AND {idColumn} = @v AND version = @ver",
            cancellationToken, ("k", Key(connection)), ("v", id), ("ver", expectedVersion)).ConfigureAwait(false);
        if (rows > 0)
        {
            return true;
        }

        var current = await QueryAsync($"SELECT version FROM {Table(table)} WHERE connection_key = @k AND {idColumn} = @v", r => r.GetInt64(0),
            cancellationToken, ("k", Key(connection)), ("v", id)).ConfigureAwait(false);
        return current.Count == 0
            ? false
            : throw new StoreConcurrencyException($"The {what} changed since it was read (version {expectedVersion}); read it again.");
    }

    private static CustomerMapping ReadCustomer(DbDataReader r) => new()
    {
        Connection = r.GetString(0),
        VendorCustomerId = r.GetString(1),
        CompanyId = r.GetInt64(2),
        CompanyName = r.IsDBNull(3) ? null : r.GetString(3),
        MappedAt = Instant.FromUnixTimeTicks(r.GetInt64(4)),
        Version = r.GetInt64(5),
    };

    private static SubscriptionMapping ReadSubscription(DbDataReader r) => new()
    {
        Connection = r.GetString(0),
        VendorSubscriptionId = r.GetString(1),
        VendorCustomerId = r.GetString(2),
        VendorOfferId = r.GetString(3),
        CompanyId = r.GetInt64(4),
        ContractId = r.GetInt64(5),
        ContractServiceId = r.GetInt64(6),
        ServiceId = r.GetInt64(7),
        Currency = r.IsDBNull(8) ? null : r.GetString(8),
        MappedAt = Instant.FromUnixTimeTicks(r.GetInt64(9)),
        Version = r.GetInt64(10),
    };

    private static AdjustmentLedgerEntry ReadLedger(DbDataReader r) => ReadLedger(r, 0);

    /// <summary>Reads the <see cref="LedgerColumns"/> starting at column <paramref name="at"/>.</summary>
    private static AdjustmentLedgerEntry ReadLedger(DbDataReader r, int at) => new()
    {
        OperationId = r.GetString(at),
        Connection = r.GetString(at + 1),
        VendorSubscriptionId = r.GetString(at + 2),
        ContractId = r.GetInt64(at + 3),
        ContractServiceId = r.GetInt64(at + 4),
        EffectiveDate = NodaTime.Text.LocalDatePattern.Iso.Parse(r.GetString(at + 5)).Value,
        UnitsBefore = r.GetInt32(at + 6),
        UnitsAfter = r.GetInt32(at + 7),
        State = Enum.Parse<AdjustmentState>(r.GetString(at + 8)),
        AdjustmentId = r.IsDBNull(at + 9) ? null : r.GetInt64(at + 9),
        RecordedAt = Instant.FromUnixTimeTicks(r.GetInt64(at + 10)),
        SettledAt = r.IsDBNull(at + 11) ? null : Instant.FromUnixTimeTicks(r.GetInt64(at + 11)),
    };

    /// <summary>Parameters <c>@s0, @s1, ...</c> for an <c>IN</c> list, after the given ones.</summary>
    private static (string Names, (string Name, object? Value)[] Parameters) InList(string[] values, params (string Name, object? Value)[] first)
    {
        var parameters = new List<(string Name, object? Value)>(first);
        var names = new StringBuilder();
        for (var i = 0; i < values.Length; i++)
        {
            names.Append(i == 0 ? "@s" : ", @s").Append(i.ToString(CultureInfo.InvariantCulture));
            parameters.Add(("s" + i.ToString(CultureInfo.InvariantCulture), values[i]));
        }

        return (names.ToString(), [.. parameters]);
    }

    private static string ToJson(IEnumerable<(string Key, object Value)> pairs)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in pairs)
            {
                if (value is long number)
                {
                    writer.WriteNumber(key, number);
                }
                else
                {
                    writer.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture));
                }
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static Dictionary<string, T> FromJson<T>(string json, Func<JsonElement, T> read)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => read(p.Value));
    }

    private async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ExecuteAsync(connection, null, sql, cancellationToken, parameters).ConfigureAwait(false);
    }

    private async Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(connection, null, sql, read, cancellationToken, parameters).ConfigureAwait(false);
    }

    private static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<List<T>> QueryAsync<T>(
        DbConnection connection, DbTransaction? transaction, string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var results = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            results.Add(read(reader));
        }

        return results;
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
#pragma warning disable CA2100 // Table names come from the store itself; every value is a parameter.
        command.CommandText = sql;
#pragma warning restore CA2100
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            // A null takes its type from the column it is written to.
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }
}
