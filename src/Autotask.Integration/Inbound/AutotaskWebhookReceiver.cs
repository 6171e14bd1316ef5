using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Autotask.Integration.Connections;
using Autotask.Integration.Mapping;
using NodaTime;
using NodaTime.Text;

namespace Autotask.Integration.Inbound;

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

    /// <summary>The same signed payload was received before, by this or another receiver sharing the store: not processed again.</summary>
    Replayed,

    /// <summary>The callout's <c>EventTime</c> lies outside the replay window around the store's clock: refused.</summary>
    OutsideWindow,

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
/// <summary>Verifies and processes Autotask webhook callouts, each once, reading the changed record from Autotask.</summary>
/// <remarks>Registered by <c>AddAutotaskIntegration</c>; fake it in your own unit tests.</remarks>
public interface IAutotaskWebhookReceiver
{
    /// <summary>The header that carries the signature.</summary>
    const string SignatureHeader = "X-Hook-Signature";

    /// <summary>The largest body accepted, in bytes.</summary>
    const int MaxPayloadBytes = 256 * 1024;

    /// <summary>
    /// Verifies and processes one callout read from a stream, such as an ASP.NET Core request body: at most
    /// <see cref="IAutotaskWebhookReceiver.MaxPayloadBytes"/> + 1 bytes are read, so an oversized body is refused without being buffered.
    /// </summary>
    /// <param name="connection">The connection whose Autotask sent it.</param>
    /// <param name="body">The raw request body, read from its current position.</param>
    /// <param name="signatureHeader">The <c>X-Hook-Signature</c> header's value, or <c>null</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What became of the callout.</returns>
    /// <exception cref="AutotaskConnectionNotFoundException">No connection has that id, or it was removed; the body was not read.</exception>
    /// <exception cref="AutotaskConfigurationException">The connection has no <see cref="AutotaskConnectionOptions.WebhookSecretKey"/>.</exception>
#pragma warning disable RS0026 // The overloads differ in the body's type (a stream or bytes); no call can bind to both.
    Task<WebhookResult> ReceiveAsync(string connection, Stream body, string? signatureHeader, CancellationToken cancellationToken = default);

    /// <summary>Verifies and processes one callout.</summary>
    /// <param name="connection">The connection whose Autotask sent it.</param>
    /// <param name="body">The raw request body, exactly as received.</param>
    /// <param name="signatureHeader">The <c>X-Hook-Signature</c> header's value, or <c>null</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What became of the callout.</returns>
    /// <exception cref="AutotaskConnectionNotFoundException">No connection has that id, or it was removed.</exception>
    /// <exception cref="AutotaskConfigurationException">The connection has no <see cref="AutotaskConnectionOptions.WebhookSecretKey"/>.</exception>
    Task<WebhookResult> ReceiveAsync(string connection, ReadOnlyMemory<byte> body, string? signatureHeader, CancellationToken cancellationToken = default);
#pragma warning restore RS0026
}


/// <summary>
/// Receives Autotask company and contract webhook callouts. Each callout is verified with the webhook secret key of
/// the connection it is for (<see cref="AutotaskConnectionOptions.WebhookSecretKey"/>): <c>X-Hook-Signature</c> is
/// the HMAC-SHA1 of the raw body, compared in constant time. Unsigned, mis-signed, oversized and malformed payloads
/// (duplicate keys and ids below 1 included) are refused with a typed result; so are replays, which the
/// <see cref="IMappingStore"/> remembers for every receiver sharing it, within a window on the callout's
/// <c>EventTime</c> (<see cref="AutotaskConnectionOptions.WebhookReplayWindow"/>) that the store measures by its own
/// clock. The rest become the same change records as <see cref="InboundSyncEngine"/>, read from Autotask's current
/// state rather than from the payload's fields: a Delete for a record that still exists delivers that record, not a
/// removal. Polling stays the safety net for callouts that never arrive.
/// </summary>
internal sealed class AutotaskWebhookReceiver : IAutotaskWebhookReceiver
{
    private static readonly InstantPattern OffsetFreeTime = InstantPattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm':'ss;FFFFFFF");

    private readonly IAutotaskClientFactory _clients;
    private readonly IMappingStore _store;
    private readonly DatabaseBinding _binding;

    internal AutotaskWebhookReceiver(IAutotaskClientFactory clients, IMappingStore store, DatabaseBinding binding)
    {
        _clients = clients;
        _store = store;
        _binding = binding;
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

#pragma warning disable RS0026 // The overloads differ in the body's type (a stream or bytes); no call can bind to both.
    /// <inheritdoc />
    public async Task<WebhookResult> ReceiveAsync(string connection, Stream body, string? signatureHeader, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        await SecretKeyOfAsync(connection, cancellationToken).ConfigureAwait(false);
        if (body.CanSeek && body.Length - body.Position > IAutotaskWebhookReceiver.MaxPayloadBytes)
        {
            return TooLarge(body.Length - body.Position);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(IAutotaskWebhookReceiver.MaxPayloadBytes + 1);
        try
        {
            var length = 0;
            int read;
            while (length <= IAutotaskWebhookReceiver.MaxPayloadBytes && (read = await body.ReadAsync(buffer.AsMemory(length, IAutotaskWebhookReceiver.MaxPayloadBytes + 1 - length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
            }

            return length > IAutotaskWebhookReceiver.MaxPayloadBytes
                ? TooLarge(null)
                : await ReceiveAsync(connection, buffer.AsMemory(0, length), signatureHeader, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc />
    public async Task<WebhookResult> ReceiveAsync(string connection, ReadOnlyMemory<byte> body, string? signatureHeader, CancellationToken cancellationToken = default)
#pragma warning restore RS0026
    {
        var (secretKey, window) = await SecretKeyOfAsync(connection, cancellationToken).ConfigureAwait(false);
        var client = _clients.GetClient(connection);
        if (body.Length > IAutotaskWebhookReceiver.MaxPayloadBytes)
        {
            return TooLarge(body.Length);
        }

        if (string.IsNullOrWhiteSpace(signatureHeader))
        {
            return new WebhookResult { Status = WebhookStatus.MissingSignature, Reason = $"The {IAutotaskWebhookReceiver.SignatureHeader} header is missing." };
        }

        if (!VerifySignature(body.Span, signatureHeader, secretKey))
        {
            return new WebhookResult { Status = WebhookStatus.BadSignature, Reason = $"The signature does not match the body and the webhook secret key of connection '{client.ConnectionName}'." };
        }

        Callout callout;
        try
        {
            callout = Callout.Parse(body);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or OverflowException)
        {
            return new WebhookResult { Status = WebhookStatus.Malformed, Reason = "The body is not an Autotask webhook payload: " + ex.Message };
        }

        // Signed by the connection's key: now the store may be touched, once the connection still reaches its database.
        await _binding.OpenAsync(client.ConnectionName, cancellationToken).ConfigureAwait(false);
        var key = Convert.ToHexString(SHA256.HashData(body.Span));
        switch (await _store.TryRecordCalloutAsync(client.ConnectionName, key, callout.EventTime, Duration.FromTimeSpan(window), cancellationToken).ConfigureAwait(false))
        {
            case CalloutReceipt.Repeated:
                return new WebhookResult { Status = WebhookStatus.Replayed, Reason = "This signed payload was received before." };
            case CalloutReceipt.OutsideWindow:
                return new WebhookResult
                {
                    Status = WebhookStatus.OutsideWindow,
                    Reason = $"The callout's EventTime {callout.EventTime} lies more than {window} from the store's clock; a replay or a delivery that came too late. Polling picks up the change.",
                };
        }

        try
        {
            return await ProcessAsync(client, callout, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Not processed: Autotask's retry of the same payload must not count as a replay. If the store cannot forget
            // it either, the processing failure is still the one reported.
            try
            {
                await _store.ForgetCalloutAsync(client.ConnectionName, key, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception forgetFailure) when (forgetFailure is not OperationCanceledException)
            {
                // The retry will be refused as a repeat; polling delivers the change.
            }

            throw;
        }
    }

    private async Task<(string SecretKey, TimeSpan Window)> SecretKeyOfAsync(string connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var options = await _binding.SettingsAsync(connection, cancellationToken).ConfigureAwait(false);
        return string.IsNullOrEmpty(options.WebhookSecretKey)
            ? throw new AutotaskConfigurationException($"The Autotask connection '{connection}' has no webhook secret key: set its WebhookSecretKey to the secret key of its webhooks.", connection)
            : (options.WebhookSecretKey, options.WebhookReplayWindow);
    }

    private static WebhookResult TooLarge(long? length) => new()
    {
        Status = WebhookStatus.TooLarge,
        Reason = length is { } bytes ? $"The body has {bytes} bytes; at most {IAutotaskWebhookReceiver.MaxPayloadBytes} are accepted." : $"The body has more than {IAutotaskWebhookReceiver.MaxPayloadBytes} bytes, the most accepted.",
    };

    private static async Task<WebhookResult> ProcessAsync(IAutotaskClient client, Callout callout, CancellationToken cancellationToken)
    {
        // Every action is answered from Autotask's current state: a Delete for a record that still exists (a forged or
        // stale callout, or one for a record restored since) must not remove it on the vendor's side.
        var deleted = string.Equals(callout.Action, "Delete", StringComparison.OrdinalIgnoreCase);
        switch (callout.EntityType.ToUpperInvariant())
        {
            case "COMPANY" or "COMPANIES" or "ACCOUNT":
                var customer = await InboundSyncEngine.CustomerChangeAsync(client, callout.Id, cancellationToken).ConfigureAwait(false);
                return new WebhookResult { Status = WebhookStatus.Accepted, Customer = customer, Reason = StillExists(deleted, customer.Kind, "company", callout.Id) };
            case "CONTRACT" or "CONTRACTS":
                var contract = await InboundSyncEngine.ContractChangeAsync(client, callout.Id, cancellationToken).ConfigureAwait(false);
                return new WebhookResult { Status = WebhookStatus.Accepted, Contract = contract, Reason = StillExists(deleted, contract.Kind, "contract", callout.Id) };
            default:
                return new WebhookResult { Status = WebhookStatus.Ignored, Reason = $"Callouts for {callout.EntityType} are not followed by the inbound sync." };
        }
    }

    private static string? StillExists(bool deleted, ChangeKind kind, string what, long id) =>
        deleted && kind != ChangeKind.Removal ? $"A Delete callout came for {what} {id}, which still exists in Autotask: its current state is delivered instead of a removal." : null;

    /// <summary>The fields of a callout the receiver acts on, read strictly.</summary>
    private sealed record Callout(string EntityType, string Action, long Id, Instant EventTime)
    {
        private static readonly string[] Actions = ["Create", "Update", "Delete"];

        public static Callout Parse(ReadOnlyMemory<byte> body)
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("the payload is not a JSON object.");
            }

            RefuseDuplicateKeys(root);
            var entityType = Text(root, "EntityType");
            var action = Text(root, "Action");
            if (!Actions.Contains(action, StringComparer.OrdinalIgnoreCase))
            {
                throw new FormatException($"Action '{action}' is not Create, Update or Delete.");
            }

            var idElement = Property(root, "Id") ?? throw new FormatException("Id is missing.");
            var id = idElement.ValueKind switch
            {
                JsonValueKind.Number => idElement.GetInt64(),
                JsonValueKind.String => long.Parse(idElement.GetString()!, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture),
                _ => throw new FormatException("Id is not a number."),
            };
            if (id < 1)
            {
                throw new FormatException($"Id {id} is not an Autotask id (ids start at 1).");
            }

            var time = Text(root, "EventTime");
            // Autotask writes the event time in UTC; a value without an offset is read as UTC.
            var withOffset = OffsetDateTimePattern.ExtendedIso.Parse(time);
            var eventTime = withOffset.Success ? withOffset.Value.ToInstant()
                : OffsetFreeTime.Parse(time) is { Success: true } utc ? utc.Value
                : throw new FormatException($"EventTime '{time}' is not an ISO 8601 time.");
            return new Callout(entityType, action, id, eventTime);
        }

        private static string Text(JsonElement root, string name) =>
            Property(root, name) is { ValueKind: JsonValueKind.String } value && value.GetString() is { Length: > 0 } text
                ? text
                : throw new FormatException($"{name} is missing or not a text.");

        private static JsonElement? Property(JsonElement element, string name)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return property.Value;
                }
            }

            return null;
        }

        // A key given twice (in any case) would let one reader see "Delete" where another sees "Update": refused at every level.
        private static void RefuseDuplicateKeys(JsonElement root)
        {
            var pending = new Stack<JsonElement>();
            pending.Push(root);
            while (pending.TryPop(out var element))
            {
                if (element.ValueKind == JsonValueKind.Object)
                {
                    var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                    foreach (var property in element.EnumerateObject())
                    {
                        if (!names.Add(property.Name))
                        {
                            throw new FormatException($"the key '{property.Name}' appears more than once.");
                        }

                        pending.Push(property.Value);
                    }
                }
                else if (element.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in element.EnumerateArray())
                    {
                        pending.Push(item);
                    }
                }
            }
        }
    }
}
