using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Autotask.Integration;

/// <summary>What became of a webhook callout.</summary>
public enum WebhookStatus
{
    /// <summary>Verified and turned into a change.</summary>
    Accepted,

    /// <summary>No <c>X-Hook-Signature</c> header: refused.</summary>
    MissingSignature,

    /// <summary>The signature does not match the body and the secret key: refused.</summary>
    BadSignature,

    /// <summary>The body is larger than allowed: refused before it was verified or read.</summary>
    TooLarge,

    /// <summary>The body is not an Autotask webhook payload: refused.</summary>
    Malformed,

    /// <summary>The same signed payload was received before: not processed again.</summary>
    Replayed,

    /// <summary>Verified, but for an entity the inbound sync does not follow.</summary>
    Ignored,
}

/// <summary>The outcome of one webhook callout.</summary>
public sealed record WebhookResult
{
    /// <summary>What became of it.</summary>
    public required WebhookStatus Status { get; init; }

    /// <summary>Why it was refused or ignored.</summary>
    public string? Reason { get; init; }

    /// <summary>The customer change, for a company callout.</summary>
    public CustomerChange? Customer { get; init; }

    /// <summary>The contract change, for a contract callout.</summary>
    public ContractChange? Contract { get; init; }
}

/// <summary>
/// Receives Autotask company and contract webhook callouts: verifies <c>X-Hook-Signature</c> (HMAC-SHA1 of the raw
/// body with the webhook's secret key) in constant time, refuses unsigned, mis-signed, oversized, malformed and
/// replayed payloads with a typed result, and turns the rest into the same change records as
/// <see cref="InboundSyncEngine"/>, reading the entity's current state from Autotask rather than trusting the
/// payload's fields. Polling stays the safety net for callouts that never arrive.
/// </summary>
public sealed class AutotaskWebhookReceiver
{
    /// <summary>The header that carries the signature.</summary>
    public const string SignatureHeader = "X-Hook-Signature";

    /// <summary>The largest body accepted, in bytes.</summary>
    public const int MaxPayloadBytes = 256 * 1024;

    private const int RememberedPayloads = 10_000;

    private readonly IAutotaskClientFactory _clients;
    private readonly object _gate = new();
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _seenOrder = new();

    internal AutotaskWebhookReceiver(IAutotaskClientFactory clients)
    {
        _clients = clients;
    }

    /// <summary>Checks an <c>X-Hook-Signature</c> value (<c>sha1=&lt;base64&gt;</c>) against the raw body, in constant time.</summary>
    /// <param name="body">The raw request body, exactly as received.</param>
    /// <param name="signatureHeader">The header's value.</param>
    /// <param name="secretKey">The webhook's secret key.</param>
    public static bool VerifySignature(ReadOnlySpan<byte> body, string? signatureHeader, string secretKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(secretKey);
        if (string.IsNullOrWhiteSpace(signatureHeader))
        {
            return false;
        }

        var value = signatureHeader.Trim();
        if (value.StartsWith("sha1=", StringComparison.OrdinalIgnoreCase))
        {
            value = value[5..];
        }

        Span<byte> given = stackalloc byte[64];
        if (!Convert.TryFromBase64String(value, given, out var length) || length != 20)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[20];
#pragma warning disable CA5350 // Autotask signs callouts with HMAC-SHA1; the algorithm is the sender's, not ours to choose.
        HMACSHA1.HashData(Encoding.UTF8.GetBytes(secretKey), body, expected);
#pragma warning restore CA5350
        return CryptographicOperations.FixedTimeEquals(expected, given[..length]);
    }

    /// <summary>Verifies and processes one callout.</summary>
    /// <param name="connection">The connection whose instance sent it.</param>
    /// <param name="body">The raw request body, exactly as received.</param>
    /// <param name="signatureHeader">The <c>X-Hook-Signature</c> header's value, or <c>null</c>.</param>
    /// <param name="secretKey">The webhook's secret key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<WebhookResult> ReceiveAsync(string connection, ReadOnlyMemory<byte> body, string? signatureHeader, string secretKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(secretKey);
        var client = _clients.GetClient(connection);
        if (body.Length > MaxPayloadBytes)
        {
            return new WebhookResult { Status = WebhookStatus.TooLarge, Reason = $"The body has {body.Length} bytes; at most {MaxPayloadBytes} are accepted." };
        }

        if (string.IsNullOrWhiteSpace(signatureHeader))
        {
            return new WebhookResult { Status = WebhookStatus.MissingSignature, Reason = $"The {SignatureHeader} header is missing." };
        }

        if (!VerifySignature(body.Span, signatureHeader, secretKey))
        {
            return new WebhookResult { Status = WebhookStatus.BadSignature, Reason = "The signature does not match the body and the webhook's secret key." };
        }

        string entityType;
        string action;
        long id;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            entityType = Property(root, "EntityType")?.GetString() ?? throw new FormatException("EntityType is missing.");
            action = Property(root, "Action")?.GetString() ?? throw new FormatException("Action is missing.");
            var idElement = Property(root, "Id") ?? throw new FormatException("Id is missing.");
            id = idElement.ValueKind == JsonValueKind.String ? long.Parse(idElement.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : idElement.GetInt64();
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or OverflowException)
        {
            return new WebhookResult { Status = WebhookStatus.Malformed, Reason = "The body is not an Autotask webhook payload: " + ex.Message };
        }

        var fingerprint = Fingerprint(client.ConnectionName, body.Span);
        if (!Remember(fingerprint))
        {
            return new WebhookResult { Status = WebhookStatus.Replayed, Reason = "This signed payload was received before." };
        }

        try
        {
            return await ProcessAsync(client, entityType, action, id, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Not processed: Autotask's retry of the same payload must not count as a replay.
            Forget(fingerprint);
            throw;
        }
    }

    private static async Task<WebhookResult> ProcessAsync(IAutotaskClient client, string entityType, string action, long id, CancellationToken cancellationToken)
    {
        var deleted = string.Equals(action, "Delete", StringComparison.OrdinalIgnoreCase);
        switch (entityType.ToUpperInvariant())
        {
            case "COMPANY" or "COMPANIES" or "ACCOUNT":
                var customer = deleted
                    ? new CustomerChange { Kind = ChangeKind.Removal, CompanyId = id, ChangeKey = $"company:{id}:deleted" }
                    : await InboundSyncEngine.CustomerChangeAsync(client, id, cancellationToken).ConfigureAwait(false);
                return new WebhookResult { Status = WebhookStatus.Accepted, Customer = customer };
            case "CONTRACT" or "CONTRACTS":
                var contract = deleted
                    ? new ContractChange { Kind = ChangeKind.Removal, ContractId = id, ChangeKey = $"contract:{id}:deleted" }
                    : await InboundSyncEngine.ContractChangeAsync(client, id, cancellationToken).ConfigureAwait(false);
                return new WebhookResult { Status = WebhookStatus.Accepted, Contract = contract };
            default:
                return new WebhookResult { Status = WebhookStatus.Ignored, Reason = $"Callouts for {entityType} are not followed by the inbound sync." };
        }
    }

    private static string Fingerprint(string connection, ReadOnlySpan<byte> body) =>
        connection.ToUpperInvariant() + ":" + Convert.ToHexString(SHA256.HashData(body));

    private void Forget(string hash)
    {
        lock (_gate)
        {
            _seen.Remove(hash);
        }
    }

    private bool Remember(string hash)
    {
        lock (_gate)
        {
            if (!_seen.Add(hash))
            {
                return false;
            }

            _seenOrder.Enqueue(hash);
            if (_seenOrder.Count > RememberedPayloads)
            {
                _seen.Remove(_seenOrder.Dequeue());
            }

            return true;
        }
    }

    private static JsonElement? Property(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("The payload is not a JSON object.");
        }

        foreach (var property in element.EnumerateObject())
        {
            if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }
}
