using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Autotask.Integration.Connections;

#if SQLITE_STORE
namespace Autotask.Integration.Sqlite;
#else
namespace Autotask.Integration.PostgreSql;
#endif

// The connections of partners linked at run time, shared by the SQLite and PostgreSQL packages (this file is compiled
// into each). One row per connection, written in one statement, so a crash leaves either the whole row or none.
// The secret and the webhook secret key are kept only as the protector's ciphertext; the rest is JSON.
#if SQLITE_STORE
public sealed partial class SqliteMappingStore : IAutotaskConnectionStore
#else
public sealed partial class PostgreSqlMappingStore : IAutotaskConnectionStore
#endif
{
    private IAutotaskSecretProtector Secrets => _secrets ?? throw new AutotaskConfigurationException(
        "This store was created without a secret protector, so it cannot save or read connections. Register it with UseSqliteStore or UsePostgreSqlStore (which use ASP.NET Core Data Protection), or pass an IAutotaskSecretProtector to its constructor.");

    /// <inheritdoc />
    public async Task<AutotaskConnectionOptions?> FindAsync(string connectionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connectionId);
        if (AutotaskConnectionIds.FindProblem(connectionId) is not null)
        {
            return null; // no connection can have it
        }

        var rows = await QueryAsync($"SELECT connection_id, settings, secret, webhook_secret_key FROM {Table("connections")} WHERE connection_key = @k",
            r => (Id: r.GetString(0), Settings: r.GetString(1), Secret: r.GetString(2), WebhookKey: r.IsDBNull(3) ? null : r.GetString(3)),
            cancellationToken, ("@k", Key(connectionId))).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return null;
        }

        var row = rows[0];
        var settings = ReadSettings(row.Settings);
        settings.Secret = Unprotect(row.Id, row.Secret);
        settings.WebhookSecretKey = row.WebhookKey is null ? null : Unprotect(row.Id, row.WebhookKey);
        return settings;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken = default) =>
        await QueryAsync($"SELECT connection_id FROM {Table("connections")} ORDER BY connection_key", r => r.GetString(0), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task AddAsync(string connectionId, AutotaskConnectionOptions settings, CancellationToken cancellationToken = default)
    {
        var key = Key(connectionId);
        ArgumentNullException.ThrowIfNull(settings);
        var (json, secret, webhookKey) = Protect(settings);
        try
        {
            await ExecuteAsync(
                $"INSERT INTO {Table("connections")} (connection_key, connection_id, settings, secret, webhook_secret_key, saved_at, version) VALUES (@k, @id, @s, @secret, @hook, {ClockTicks()}, @v)",
                cancellationToken, ("@k", key), ("@id", connectionId), ("@s", json), ("@secret", secret), ("@hook", webhookKey), ("@v", NewVersion())).ConfigureAwait(false);
        }
        catch (DbException ex) when (IsUniqueViolation(ex))
        {
            throw new AutotaskConnectionExistsException(connectionId);
        }
    }

    /// <inheritdoc />
    public async Task UpdateAsync(string connectionId, AutotaskConnectionOptions settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connectionId);
        ArgumentNullException.ThrowIfNull(settings);
        if (AutotaskConnectionIds.FindProblem(connectionId) is not null)
        {
            throw new AutotaskConnectionNotFoundException(connectionId);
        }

        var (json, secret, webhookKey) = Protect(settings);
        var rows = await ExecuteAsync(
            $"UPDATE {Table("connections")} SET settings = @s, secret = @secret, webhook_secret_key = @hook, saved_at = {ClockTicks()}, version = @v WHERE connection_key = @k",
            cancellationToken, ("@k", Key(connectionId)), ("@s", json), ("@secret", secret), ("@hook", webhookKey), ("@v", NewVersion())).ConfigureAwait(false);
        if (rows == 0)
        {
            throw new AutotaskConnectionNotFoundException(connectionId);
        }
    }

    /// <inheritdoc />
    public async Task<bool> RemoveAsync(string connectionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connectionId);
        if (AutotaskConnectionIds.FindProblem(connectionId) is not null)
        {
            return false;
        }

        return await ExecuteAsync($"DELETE FROM {Table("connections")} WHERE connection_key = @k", cancellationToken, ("@k", Key(connectionId))).ConfigureAwait(false) > 0;
    }

    private (string Json, string Secret, string? WebhookKey) Protect(AutotaskConnectionOptions settings) =>
        (WriteSettings(settings), Secrets.Protect(settings.Secret ?? ""), settings.WebhookSecretKey is { } key ? Secrets.Protect(key) : null);

    private string Unprotect(string connectionId, string stored)
    {
        try
        {
            return Secrets.Unprotect(stored);
        }
        catch (CryptographicException ex)
        {
            throw new AutotaskConnectionSecretException(connectionId, ex);
        }
    }

    /// <summary>The settings without the secrets, as JSON.</summary>
    private static string WriteSettings(AutotaskConnectionOptions o)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("userName", o.UserName);
            w.WriteString("integrationCode", o.IntegrationCode);
            w.WriteString("zoneUrl", o.ZoneUrl);
            if (o.ImpersonationResourceId is { } resource)
            {
                w.WriteNumber("impersonationResourceId", resource);
            }

            w.WriteString("currency", o.Currency);
            w.WriteString("timeZone", o.TimeZone);
            w.WriteNumber("hourlyRequestBudget", o.HourlyRequestBudget);
            w.WriteNumber("maxConcurrentRequestsPerEntity", o.MaxConcurrentRequestsPerEntity);
            w.WriteNumber("maxRetryAttempts", o.MaxRetryAttempts);
            w.WriteNumber("retryBaseDelayTicks", o.RetryBaseDelay.Ticks);
            w.WriteNumber("maxRetryAfterTicks", o.MaxRetryAfter.Ticks);
            w.WriteNumber("attemptTimeoutTicks", o.AttemptTimeout.Ticks);
            w.WriteNumber("metadataCacheDurationTicks", o.MetadataCacheDuration.Ticks);
            w.WriteString("queryMethod", o.QueryMethod.ToString());
            w.WriteBoolean("validateWrites", o.ValidateWrites);
            w.WriteNumber("webhookReplayWindowTicks", o.WebhookReplayWindow.Ticks);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Reads what <see cref="WriteSettings"/> wrote; a setting it lacks keeps its default.</summary>
    private static AutotaskConnectionOptions ReadSettings(string json)
    {
        var o = new AutotaskConnectionOptions();
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        long? Number(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;
        o.UserName = Text("userName");
        o.IntegrationCode = Text("integrationCode");
        o.ZoneUrl = Text("zoneUrl");
        o.ImpersonationResourceId = Number("impersonationResourceId");
        o.Currency = Text("currency");
        o.TimeZone = Text("timeZone") ?? o.TimeZone;
        o.HourlyRequestBudget = (int)(Number("hourlyRequestBudget") ?? o.HourlyRequestBudget);
        o.MaxConcurrentRequestsPerEntity = (int)(Number("maxConcurrentRequestsPerEntity") ?? o.MaxConcurrentRequestsPerEntity);
        o.MaxRetryAttempts = (int)(Number("maxRetryAttempts") ?? o.MaxRetryAttempts);
        o.RetryBaseDelay = Number("retryBaseDelayTicks") is { } retry ? TimeSpan.FromTicks(retry) : o.RetryBaseDelay;
        o.MaxRetryAfter = Number("maxRetryAfterTicks") is { } after ? TimeSpan.FromTicks(after) : o.MaxRetryAfter;
        o.AttemptTimeout = Number("attemptTimeoutTicks") is { } timeout ? TimeSpan.FromTicks(timeout) : o.AttemptTimeout;
        o.MetadataCacheDuration = Number("metadataCacheDurationTicks") is { } cache ? TimeSpan.FromTicks(cache) : o.MetadataCacheDuration;
        o.QueryMethod = Enum.TryParse<AutotaskQueryMethod>(Text("queryMethod"), out var method) ? method : o.QueryMethod;
        o.ValidateWrites = root.TryGetProperty("validateWrites", out var validate) && validate.ValueKind == JsonValueKind.True;
        o.WebhookReplayWindow = Number("webhookReplayWindowTicks") is { } window ? TimeSpan.FromTicks(window) : o.WebhookReplayWindow;
        return o;
    }
}
