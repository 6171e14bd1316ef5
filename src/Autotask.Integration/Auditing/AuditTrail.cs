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

    public async Task WriteAsync(
        string operation,
        string connection,
        AuditStatus status,
        Instant startedAt,
        string? details,
        IReadOnlyDictionary<string, string>? vendorIds = null,
        IReadOnlyDictionary<string, long>? autotaskIds = null)
    {
        var auditEvent = new AuditEvent
        {
            EventId = Guid.NewGuid().ToString("N"),
            Operation = operation,
            Connection = connection,
            Status = status,
            StartedAt = startedAt,
            CompletedAt = Now,
            Details = details,
            VendorIds = vendorIds ?? new Dictionary<string, string>(),
            AutotaskIds = autotaskIds ?? new Dictionary<string, long>(),
        };

        foreach (var sink in _sinks)
        {
            try
            {
                // Not the caller's token: the operation is done, and its record must not be lost to a cancellation.
                await sink.WriteAsync(auditEvent, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                SinkFailed(_logger, ex, sink.GetType().Name, operation, connection);
            }
        }
    }

    [LoggerMessage(1401, LogLevel.Error, "Audit sink {Sink} failed to record {Operation} for connection {Connection}; the operation's result stands")]
    private static partial void SinkFailed(ILogger logger, Exception exception, string sink, string operation, string connection);
}
