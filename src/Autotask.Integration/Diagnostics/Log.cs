using System.Net;
using Microsoft.Extensions.Logging;

namespace Autotask.Integration.Diagnostics;

/// <summary>
/// The SDK's log messages. Event ids: 1000-1099 requests and resilience, 1100-1199 zones, 1200-1299 metadata.
/// No argument ever holds a credential; URLs are logged without their query string.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Debug, "Autotask {Operation} {Entity} for connection {Connection}: {Method} {Path} answered {Status} in {ElapsedMs:0} ms")]
    public static partial void RequestCompleted(ILogger logger, string operation, string? entity, string connection, string method, string path, int status, double elapsedMs);

    [LoggerMessage(1001, LogLevel.Warning, "Autotask {Operation} {Entity} for connection {Connection} failed: {ErrorType} (HTTP {Status})")]
    public static partial void RequestFailed(ILogger logger, string operation, string? entity, string connection, string errorType, HttpStatusCode? status);

    [LoggerMessage(1002, LogLevel.Warning, "Retrying Autotask {Method} {Path} for connection {Connection}: attempt {Attempt} in {DelayMs:0} ms after {Reason}")]
    public static partial void Retrying(ILogger logger, string method, string path, string connection, int attempt, double delayMs, string reason);

    [LoggerMessage(1003, LogLevel.Information, "Connection {Connection} has used its budget of {Budget} requests an hour; the next request waits")]
    public static partial void BudgetExhausted(ILogger logger, string connection, int budget);

    [LoggerMessage(1004, LogLevel.Warning, "Autotask {Operation} {Entity} for connection {Connection}: the answer broke off while it was read; reading it again (attempt {Attempt})")]
    public static partial void RereadingAfterBrokenAnswer(ILogger logger, string operation, string? entity, string connection, int attempt);

    [LoggerMessage(1005, LogLevel.Information, "Connection {Connection}: Autotask refused {Refused} on a next-page URL; {Accepted} worked and is used for next pages from now on")]
    public static partial void NextPageMethodChanged(ILogger logger, string connection, string refused, string accepted);

    [LoggerMessage(1100, LogLevel.Debug, "Autotask zone for connection {Connection} resolved to {ZoneName} at {ZoneUrl}")]
    public static partial void ZoneResolved(ILogger logger, string? connection, string? zoneName, Uri zoneUrl);

    [LoggerMessage(1101, LogLevel.Error, "Autotask zone discovery answered with a URL on an untrusted host {Host}; it was refused")]
    public static partial void ZoneUrlRefused(ILogger logger, string host);

    [LoggerMessage(1200, LogLevel.Debug, "Loaded {Count} fields of {Entity} for connection {Connection}")]
    public static partial void FieldsLoaded(ILogger logger, int count, string entity, string connection);
}
