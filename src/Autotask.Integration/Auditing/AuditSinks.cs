using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Autotask.Integration.Auditing;

/// <summary>Keeps audit events in memory, for tests, samples and an in-process audit-log page.</summary>
public sealed class InMemoryAuditSink : IAuditSink, IAuditReader
{
    private readonly ConcurrentQueue<AuditEvent> _events = new();

    /// <summary>The events received, in order.</summary>
    public IReadOnlyList<AuditEvent> Events => _events.ToArray();

    /// <inheritdoc />
    public Task WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        _events.Enqueue(auditEvent);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<AuditPage> ReadAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);

        var matching = _events
            .Where(e => AutotaskConnectionIds.Comparer.Equals(e.Connection, query.Connection)
                && (query.Operation is null || e.Operation == query.Operation)
                && (query.Status is null || e.Status == query.Status)
                && (query.From is null || e.CompletedAt >= query.From)
                && (query.Until is null || e.CompletedAt < query.Until))
            .OrderByDescending(e => e.CompletedAt).ThenBy(e => e.EventId, StringComparer.Ordinal)
            .Skip(query.Skip).Take(query.Take + 1).ToList();
        var hasMore = matching.Count > query.Take;
        return Task.FromResult(new AuditPage { Events = hasMore ? matching.GetRange(0, query.Take) : matching, HasMore = hasMore });
    }
}

/// <summary>Writes audit events to an <see cref="ILogger"/> (category <c>Autotask.Integration.Audit</c>).</summary>
public sealed partial class LoggerAuditSink : IAuditSink
{
    private readonly ILogger _logger;

    /// <summary>Creates the sink.</summary>
    /// <param name="loggerFactory">The logger factory.</param>
    public LoggerAuditSink(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _logger = loggerFactory.CreateLogger("Autotask.Integration.Audit");
    }

    /// <inheritdoc />
    public Task WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        Audit(_logger, auditEvent.Operation, auditEvent.Connection, auditEvent.Status,
            string.Join(", ", auditEvent.VendorIds.Select(p => $"{p.Key}={p.Value}")),
            string.Join(", ", auditEvent.AutotaskIds.Select(p => $"{p.Key}={p.Value}")),
            auditEvent.Details);
        return Task.CompletedTask;
    }

    [LoggerMessage(1400, LogLevel.Information, "Audit: {Operation} for connection {Connection}: {Status} (vendor {VendorIds}; Autotask {AutotaskIds}) {Details}")]
    private static partial void Audit(ILogger logger, string operation, string connection, AuditStatus status, string vendorIds, string autotaskIds, string? details);
}
