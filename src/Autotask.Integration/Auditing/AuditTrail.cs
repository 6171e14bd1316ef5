using Autotask.Integration.Diagnostics;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace Autotask.Integration.Auditing;

/// <summary>Writes audit events for the engines. A sink that fails is logged, never allowed to fail the operation.</summary>
internal sealed partial class AuditTrail
{
    private readonly IEnumerable<IAuditSink> _sinks;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public AuditTrail(IEnumerable<IAuditSink> sinks, TimeProvider time, ILoggerFactory loggerFactory)
    {
        _sinks = sinks;
        _time = time;
        _logger = loggerFactory.CreateLogger("Autotask.Integration.Audit");
    }

    public Instant Now => _time.GetCurrentInstant();

    public Task WriteAsync(
        string operation,
        string connection,
        AuditStatus status,
        Instant startedAt,
        string? details,
        IReadOnlyDictionary<string, string>? vendorIds = null,
        IReadOnlyDictionary<string, long>? autotaskIds = null) =>
        WriteAsync(Create(operation, connection, status, startedAt, details, vendorIds, autotaskIds));

    /// <summary>An event that ends now; <paramref name="eventId"/> names it when the caller must be able to tell it again (a new id otherwise).</summary>
    public AuditEvent Create(
        string operation,
        string connection,
        AuditStatus status,
        Instant startedAt,
        string? details,
        IReadOnlyDictionary<string, string>? vendorIds = null,
        IReadOnlyDictionary<string, long>? autotaskIds = null,
        string? eventId = null) => new()
    {
        EventId = eventId ?? Guid.NewGuid().ToString("N"),
        Operation = operation,
        Connection = connection,
        Status = status,
        StartedAt = startedAt,
        CompletedAt = Now,
        Details = details,
        VendorIds = vendorIds ?? new Dictionary<string, string>(),
        AutotaskIds = autotaskIds ?? new Dictionary<string, long>(),
    };

    /// <summary>Whether <paramref name="sink"/> is one of the sinks events are written to.</summary>
    public bool Includes(object sink) => _sinks.Any(s => ReferenceEquals(s, sink));

    /// <summary>Writes an event to every sink but <paramref name="recordedBy"/>, which has recorded it already (with a ledger settle).</summary>
    public async Task WriteAsync(AuditEvent auditEvent, IAuditSink? recordedBy = null)
    {
        foreach (var sink in _sinks)
        {
            if (ReferenceEquals(sink, recordedBy))
            {
                continue;
            }

            try
            {
                // Not the caller's token: the operation is done, and its record must not be lost to a cancellation.
                await sink.WriteAsync(auditEvent, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                SinkFailed(_logger, ex, sink.GetType().Name, auditEvent.Operation, auditEvent.Connection);
            }
        }
    }

    [LoggerMessage(1401, LogLevel.Error, "Audit sink {Sink} failed to record {Operation} for connection {Connection}; the operation's result stands")]
    private static partial void SinkFailed(ILogger logger, Exception exception, string sink, string operation, string connection);
}
