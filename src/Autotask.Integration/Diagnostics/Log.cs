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

    [LoggerMessage(1003, LogLevel.Information, "Connection {Connection}: database {Database} has used this SDK's allowance of {Allowance} requests in the rolling hour (pacing: {Decision}); the request waits")]
    public static partial void AllowanceUsed(ILogger logger, string connection, string database, int allowance, string decision);

    [LoggerMessage(1006, LogLevel.Warning, "The shared limits ({Store}) cannot be used ({Reason}): limits are kept in process, each instance taking 1/{Instances} of them, and the shared limits are tried again in {RetrySeconds} s")]
    public static partial void SharedLimitsDown(ILogger logger, string store, string reason, int instances, double retrySeconds);

    [LoggerMessage(1007, LogLevel.Information, "The shared limits ({Store}) are used again")]
    public static partial void SharedLimitsBack(ILogger logger, string store);

    [LoggerMessage(1008, LogLevel.Information, "Database {Database}: pacing is now {Decision}, allowing {Allowance} requests in the rolling hour (other integrations used {OthersShare:P0} of the threshold)")]
    public static partial void PacingChanged(ILogger logger, string database, string decision, int allowance, double othersShare);

    [LoggerMessage(1009, LogLevel.Warning, "Database {Database}: ThresholdInformation could not be read through connection {Connection} ({Error}); the last reading is trusted for {StaleMinutes} minutes, then the database is assumed busy")]
    public static partial void ThresholdReadFailed(ILogger logger, string database, string connection, string error, double staleMinutes);

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

    [LoggerMessage(1201, LogLevel.Information, "{Entity} of connection {Connection} differs from the SDK's model: the instance has fields the model lacks ({NotInModel}), which records read keep and replaces send back as read; the model has fields the instance lacks ({NotInInstance})")]
    public static partial void FieldDrift(ILogger logger, string entity, string connection, string notInModel, string notInInstance);
}
