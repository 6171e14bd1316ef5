using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Autotask.Integration.Entities;
using Autotask.Integration.Inbound;
using Autotask.Integration.Mapping;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Autotask.Integration.Tests.Inbound;

public sealed class WebhookTests : IAsyncLifetime
{
    private const string SecretKey = "webhook-secret-key-0123456789";
    private SyncHarness _sync = null!;
    private Company _company = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _sync = Harness();
        _company = _sync.Simulator.Data.All<Company>()[0];
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _sync.DisposeAsync();

    private static SyncHarness Harness(AutotaskSimulator? simulator = null, IMappingStore? store = null, TimeSpan? window = null)
    {
        void Connection(AutotaskConnectionOptions c)
        {
            c.WebhookSecretKey = SecretKey;
            c.WebhookReplayWindow = window ?? c.WebhookReplayWindow;
        }

        Action<AutotaskIntegrationBuilder>? configure = store is null ? null : b => b.UseMappingStore(store);
        return simulator is null
            ? SyncHarness.Create(connection: Connection, configure: configure)
            : SyncHarness.For(simulator, Connection, configure: configure);
    }

    private static string Sign(byte[] body, string key = SecretKey)
    {
#pragma warning disable CA5350 // Autotask's signature scheme.
        return "sha1=" + Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(key), body));
#pragma warning restore CA5350
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff", CultureInfo.InvariantCulture);

    private byte[] Payload(string entity = "Company", string action = "Update", long? id = null, DateTimeOffset? at = null) =>
        Encoding.UTF8.GetBytes($$$"""{"Action":"{{{action}}}","Guid":"{{{Guid.NewGuid()}}}","EntityType":"{{{entity}}}","Id":{{{id ?? _company.Id}}},"EventTime":"{{{Time(at ?? DateTimeOffset.UtcNow)}}}","Fields":{"companyName":"whatever the payload says"}}""");

    private Task<WebhookResult> Receive(byte[] body, string? signature, SyncHarness? sync = null) =>
        (sync ?? _sync).Webhooks.ReceiveAsync(SyncHarness.Connection, body, signature, Ct);

    private Task<WebhookResult> ReceiveSigned(byte[] body, SyncHarness? sync = null) => Receive(body, Sign(body), sync);

    [Fact]
    public async Task A_signed_callout_becomes_a_change_read_from_autotask_not_from_the_payload()
    {
        var result = await ReceiveSigned(Payload());

        Assert.Equal(WebhookStatus.Accepted, result.Status);
        Assert.Equal(_company.CompanyName, result.Customer!.Customer!.Name);
        Assert.Null(result.Reason);
    }

    [Fact]
    public async Task Unsigned_forged_tampered_and_oversized_callouts_are_refused()
    {
        var body = Payload();
        var tampered = body.ToArray();
        tampered[^5] ^= 1;
        var oversized = new byte[IAutotaskWebhookReceiver.MaxPayloadBytes + 1];

        Assert.Equal(WebhookStatus.MissingSignature, (await Receive(body, null)).Status);
        Assert.Equal(WebhookStatus.BadSignature, (await Receive(body, Sign(body, "someone-elses-key"))).Status);
        Assert.Equal(WebhookStatus.BadSignature, (await Receive(body, "sha1=not-base64!")).Status);
        Assert.Equal(WebhookStatus.BadSignature, (await Receive(tampered, Sign(body))).Status);
        Assert.Equal(WebhookStatus.TooLarge, (await ReceiveSigned(oversized)).Status);
        Assert.Empty(_sync.Simulator.Requests);
    }

    public static TheoryData<string, string> MalformedPayloads() => new()
    {
        { """{"Action":"Update"}""", "EntityType is missing" },
        { """[1,2]""", "not a JSON object" },
        { """{"Action":"Update","EntityType":"Company","Id":0,"EventTime":"2026-11-29T10:00:00"}""", "Id 0 is not an Autotask id" },
        { """{"Action":"Delete","EntityType":"Company","Id":0,"EventTime":"2026-11-29T10:00:00"}""", "Id 0 is not an Autotask id" },
        { """{"Action":"Update","EntityType":"Company","Id":-5,"EventTime":"2026-11-29T10:00:00"}""", "Id -5 is not an Autotask id" },
        { """{"Action":"Delete","EntityType":"Contract","Id":-5,"EventTime":"2026-11-29T10:00:00"}""", "Id -5 is not an Autotask id" },
        { """{"Action":"Delete","EntityType":"Company","Id":"-5","EventTime":"2026-11-29T10:00:00"}""", "" },
        { """{"Action":"Update","EntityType":"Company","Id":1.5,"EventTime":"2026-11-29T10:00:00"}""", "" },
        { """{"Action":"Update","EntityType":"Company","Id":99999999999999999999,"EventTime":"2026-11-29T10:00:00"}""", "" },
        { """{"Action":"Update","EntityType":"Company","Id":true,"EventTime":"2026-11-29T10:00:00"}""", "Id is not a number" },
        { """{"Action":"Update","EntityType":"Company","EventTime":"2026-11-29T10:00:00"}""", "Id is missing" },
        { """{"Action":"Update","EntityType":"Company","Id":1}""", "EventTime is missing" },
        { """{"Action":"Update","EntityType":"Company","Id":1,"EventTime":"yesterday"}""", "EventTime 'yesterday' is not an ISO 8601 time" },
        { """{"Action":"Remove","EntityType":"Company","Id":1,"EventTime":"2026-11-29T10:00:00"}""", "Action 'Remove' is not Create, Update or Delete" },
        { """{"Action":"Delete","EntityType":"Company","Id":1,"EventTime":"2026-11-29T10:00:00","action":"Update"}""", "the key 'action' appears more than once" },
        { """{"Action":"Update","Action":"Delete","EntityType":"Company","Id":1,"EventTime":"2026-11-29T10:00:00"}""", "the key 'Action' appears more than once" },
        { """{"Action":"Update","EntityType":"Company","Id":1,"EventTime":"2026-11-29T10:00:00","Fields":{"a":1,"A":2}}""", "the key 'A' appears more than once" },
        { """{"Action":"Update","EntityType":7,"Id":1,"EventTime":"2026-11-29T10:00:00"}""", "EntityType is missing or not a text" },
        { """{"Action":"Update",""", "" },
    };

    [Theory]
    [MemberData(nameof(MalformedPayloads))]
    public async Task Malformed_payloads_are_refused_before_anything_is_read_or_remembered(string json, string reason)
    {
        var body = Encoding.UTF8.GetBytes(json);

        var result = await ReceiveSigned(body);

        Assert.Equal(WebhookStatus.Malformed, result.Status);
        Assert.StartsWith("The body is not an Autotask webhook payload: ", result.Reason, StringComparison.Ordinal);
        Assert.Contains(reason, result.Reason, StringComparison.Ordinal);
        Assert.Empty(_sync.Simulator.Requests);
        // Nothing was remembered: the same body, once fixed, is not a replay of it.
        Assert.Equal(WebhookStatus.Accepted, (await ReceiveSigned(Payload())).Status);
    }

    [Fact]
    public async Task A_delete_for_a_record_that_still_exists_delivers_its_current_state_not_a_removal()
    {
        var result = await ReceiveSigned(Payload(action: "Delete"));

        Assert.Equal(WebhookStatus.Accepted, result.Status);
        Assert.Equal(ChangeKind.Upsert, result.Customer!.Kind);
        Assert.Equal(_company.CompanyName, result.Customer.Customer!.Name);
        Assert.Contains("still exists", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deletions_of_missing_records_become_removals_contracts_are_followed_and_other_entities_ignored()
    {
        var contractId = _sync.Simulator.Data.All<Contract>()[0].Id;

        var deleted = await ReceiveSigned(Payload(action: "Delete", id: 987_654_321));
        var contract = await ReceiveSigned(Payload("Contract", id: contractId));
        var deletedContract = await ReceiveSigned(Payload("Contract", "Delete", id: 987_654_321));
        var ticket = await ReceiveSigned(Payload("Ticket", id: 1));

        Assert.Equal(ChangeKind.Removal, deleted.Customer!.Kind);
        Assert.Equal(987_654_321, deleted.Customer.CompanyId);
        Assert.Equal(ChangeKind.Upsert, contract.Contract!.Kind);
        Assert.Equal(ChangeKind.Removal, deletedContract.Contract!.Kind);
        Assert.Equal(WebhookStatus.Ignored, ticket.Status);
    }

    [Fact]
    public async Task A_replayed_callout_is_not_processed_twice_by_this_or_a_new_receiver_sharing_the_store()
    {
        var body = Payload();
        await using var restarted = Harness(_sync.Simulator, _sync.Store);

        Assert.Equal(WebhookStatus.Accepted, (await ReceiveSigned(body)).Status);
        Assert.Equal(WebhookStatus.Replayed, (await ReceiveSigned(body)).Status);
        Assert.Equal(WebhookStatus.Replayed, (await ReceiveSigned(body, restarted)).Status);
    }

    [Fact]
    public async Task A_replay_is_refused_after_ten_thousand_other_callouts()
    {
        var body = Payload();
        Assert.Equal(WebhookStatus.Accepted, (await ReceiveSigned(body)).Status);

        // Callouts for an entity the sync does not follow are remembered too, and read nothing from Autotask.
        for (var i = 1; i <= 10_001; i++)
        {
            Assert.Equal(WebhookStatus.Ignored, (await ReceiveSigned(Payload("Ticket", id: i))).Status);
        }

        Assert.Equal(WebhookStatus.Replayed, (await ReceiveSigned(body)).Status);
    }

    [Fact]
    public async Task Callouts_outside_the_window_are_refused_and_a_replay_after_the_window_is_not_accepted()
    {
        var storeClock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var sync = Harness(_sync.Simulator, new InMemoryMappingStore(storeClock), TimeSpan.FromMinutes(10));
        var now = storeClock.GetUtcNow();
        var body = Payload(at: now);

        Assert.Equal(WebhookStatus.OutsideWindow, (await ReceiveSigned(Payload(at: now.AddMinutes(-11)), sync)).Status);
        Assert.Equal(WebhookStatus.OutsideWindow, (await ReceiveSigned(Payload(at: now.AddMinutes(11)), sync)).Status);
        Assert.Equal(WebhookStatus.Accepted, (await ReceiveSigned(Payload(at: now.AddMinutes(-9)), sync)).Status);
        Assert.Equal(WebhookStatus.Accepted, (await ReceiveSigned(body, sync)).Status);

        storeClock.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(WebhookStatus.Replayed, (await ReceiveSigned(body, sync)).Status);
        storeClock.Advance(TimeSpan.FromMinutes(2));
        var late = await ReceiveSigned(body, sync);
        Assert.Equal(WebhookStatus.OutsideWindow, late.Status);
        Assert.Contains("Polling picks up the change", late.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_event_time_with_an_offset_is_read_as_that_instant()
    {
        var at = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(-5));
        var body = Encoding.UTF8.GetBytes($$"""{"Action":"Update","EntityType":"Company","Id":{{_company.Id}},"EventTime":"{{at.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture)}}"}""");

        Assert.Equal(WebhookStatus.Accepted, (await ReceiveSigned(body)).Status);
    }

    [Fact]
    public async Task A_callout_whose_processing_failed_is_processed_when_autotask_retries_it()
    {
        var body = Payload();
        _sync.Simulator.Faults.Next(SimulatorFault.ServerError, times: 10, r => !r.IsWrite);

        await Assert.ThrowsAnyAsync<AutotaskException>(() => ReceiveSigned(body));
        _sync.Simulator.Faults.Clear();

        Assert.Equal(WebhookStatus.Accepted, (await ReceiveSigned(body)).Status);
        Assert.Equal(WebhookStatus.Replayed, (await ReceiveSigned(body)).Status);
    }

    [Fact]
    public async Task When_the_store_cannot_forget_a_failed_callout_the_processing_failure_is_still_the_one_reported()
    {
        await using var sync = Harness(_sync.Simulator, new ForgetfulStore(new InMemoryMappingStore()));
        _sync.Simulator.Faults.Next(SimulatorFault.ServerError, times: 10, r => !r.IsWrite);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => ReceiveSigned(Payload(), sync));
        _sync.Simulator.Faults.Clear();

        Assert.IsType<AutotaskServerException>(error);
    }

    private sealed class ForgetfulStore(IMappingStore inner) : DelegatingMappingStore(inner)
    {
        public override Task ForgetCalloutAsync(string connection, string calloutKey, CancellationToken cancellationToken = default) =>
            throw new MappingStoreException("The store is down.");
    }

    [Fact]
    public async Task Each_secret_verifies_only_its_own_connection()
    {
        var simulator = _sync.Simulator;
        await using var sync = SyncHarness.For(simulator, c => c.WebhookSecretKey = SecretKey, configure: b => b.Services.Configure<AutotaskIntegrationOptions>(o =>
        {
            simulator.AddConnection(o, "other-tenant", c => c.WebhookSecretKey = "the-other-tenants-key");
            simulator.AddConnection(o, "no-callouts");
        }));
        var body = Payload();

        var signedForFirst = await sync.Webhooks.ReceiveAsync("other-tenant", body, Sign(body), Ct);
        var signedForOther = await sync.Webhooks.ReceiveAsync("other-tenant", body, Sign(body, "the-other-tenants-key"), Ct);

        Assert.Equal(WebhookStatus.BadSignature, signedForFirst.Status);
        Assert.Contains("connection 'other-tenant'", signedForFirst.Reason, StringComparison.Ordinal);
        Assert.Equal(WebhookStatus.Accepted, signedForOther.Status);
        var none = await Assert.ThrowsAsync<AutotaskConfigurationException>(() => sync.Webhooks.ReceiveAsync("no-callouts", body, Sign(body), Ct));
        Assert.Contains("'no-callouts' has no webhook secret key", none.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<AutotaskConnectionNotFoundException>(() => sync.Webhooks.ReceiveAsync("nobody", body, Sign(body), Ct));
    }

    [Fact]
    public async Task A_callout_for_an_unknown_connection_throws_the_exception_both_overloads_document()
    {
        var body = Payload();
        var requests = _sync.Simulator.Requests.Count;

        var fromBytes = await Assert.ThrowsAsync<AutotaskConnectionNotFoundException>(() => _sync.Webhooks.ReceiveAsync("nobody", body, Sign(body), Ct));
        var fromStream = await Assert.ThrowsAsync<AutotaskConnectionNotFoundException>(() => _sync.Webhooks.ReceiveAsync("nobody", new MemoryStream(body), Sign(body), Ct));

        Assert.Equal("nobody", fromBytes.Connection);
        Assert.Equal("nobody", fromStream.Connection);
        Assert.Equal(requests, _sync.Simulator.Requests.Count);
        var documentation = XDocument.Load(Path.ChangeExtension(typeof(IAutotaskWebhookReceiver).Assembly.Location, ".xml"));
        var overloads = documentation.Descendants("member")
            .Where(m => ((string)m.Attribute("name")!).StartsWith("M:Autotask.Integration.Inbound.IAutotaskWebhookReceiver.ReceiveAsync(", StringComparison.Ordinal))
            .ToList();
        Assert.Equal(2, overloads.Count);
        Assert.All(overloads, m => Assert.Contains(m.Elements("exception"), e => (string?)e.Attribute("cref") == "T:" + typeof(AutotaskConnectionNotFoundException).FullName));
    }

    [Fact]
    public async Task A_streamed_body_is_verified_and_an_endless_one_is_refused_after_reading_at_most_the_limit()
    {
        var body = Payload();
        using var valid = new NonSeekableStream(body);
        using var endless = new NonSeekableStream(null);

        var accepted = await _sync.Webhooks.ReceiveAsync(SyncHarness.Connection, valid, Sign(body), Ct);
        var refused = await _sync.Webhooks.ReceiveAsync(SyncHarness.Connection, endless, Sign(body), Ct);

        Assert.Equal(WebhookStatus.Accepted, accepted.Status);
        Assert.Equal(WebhookStatus.TooLarge, refused.Status);
        Assert.InRange(endless.BytesRead, IAutotaskWebhookReceiver.MaxPayloadBytes + 1, IAutotaskWebhookReceiver.MaxPayloadBytes + 1);
        using var seekable = new MemoryStream(new byte[IAutotaskWebhookReceiver.MaxPayloadBytes + 1]);
        Assert.Equal(WebhookStatus.TooLarge, (await _sync.Webhooks.ReceiveAsync(SyncHarness.Connection, seekable, Sign(body), Ct)).Status);
        Assert.Equal(0, seekable.Position);
    }

    [Fact]
    public void Signatures_are_checked_against_the_raw_bytes()
    {
        var body = Payload();
        Assert.True(AutotaskWebhookReceiver.VerifySignature(body, Sign(body), SecretKey));
        Assert.True(AutotaskWebhookReceiver.VerifySignature(body, Sign(body)["sha1=".Length..], SecretKey));
        Assert.False(AutotaskWebhookReceiver.VerifySignature(body, "", SecretKey));
        Assert.False(AutotaskWebhookReceiver.VerifySignature(body, Sign(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body) + " ")), SecretKey));
    }

    /// <summary>
    /// A request body as ASP.NET Core hands it over: it cannot seek, so its length is unknown until read. It serves the
    /// given bytes, or 'x' without end, and counts what was read from it.
    /// </summary>
    private sealed class NonSeekableStream(byte[]? content) : Stream
    {
        private int _position;

        public long BytesRead { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = content is null ? count : Math.Min(count, content.Length - _position);
            if (content is null)
            {
                buffer.AsSpan(offset, read).Fill((byte)'x');
            }
            else
            {
                content.AsSpan(_position, read).CopyTo(buffer.AsSpan(offset));
                _position += read;
            }

            BytesRead += read;
            return read;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
