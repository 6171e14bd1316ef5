using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Autotask.Integration.Json;
using Polly.RateLimiting;
using Polly.Timeout;

namespace Autotask.Integration.Http;

/// <summary>What kind of failure an Autotask answer is.</summary>
internal enum FailureKind
{
    Authentication,
    Permission,
    RateLimit,
    Validation,
    NotFound,
    Server,
    Redirect,
    Other,
}

/// <summary>Turns Autotask's error answers and transport failures into the SDK's typed exceptions.</summary>
internal static class ErrorMapper
{
    private const int MaxErrorBodyBytes = 64 * 1024;
    private const int MaxBufferedErrorBytes = 1024 * 1024;

    // Autotask answers several credential problems with HTTP 500 and a message; these fragments recognise them.
    private static readonly string[] AuthenticationTexts =
    [
        "integrationcode is invalid", "integration code is invalid", "zone information could not be determined",
        "not authenticated", "authentication failed", "invalid credentials", "username or secret", "user is inactive",
    ];

    private static readonly string[] PermissionTexts =
    [
        "permission", "not authorized", "unauthorized to", "access denied", "does not have access", "security level",
    ];

    // Autotask also answers validation and business-rule failures with HTTP 500 and a message; a 500 is taken as a
    // transient server fault only when it carries no message or one of these.
    private static readonly string[] TransientTexts =
    [
        "timeout", "timed out", "deadlock", "object reference not set", "unexpected error", "internal server error",
        "temporarily", "try again", "service unavailable",
    ];

    private static readonly string[] ThresholdTexts =
    [
        "threshold", "rate limit", "too many requests", "request limit",
    ];

    public static FailureKind Classify(HttpStatusCode status, IReadOnlyList<string> errors)
    {
        var code = (int)status;
        if (code is >= 300 and < 400)
        {
            return FailureKind.Redirect;
        }

        // Threshold wording means a refusal only on the statuses Autotask refuses with; elsewhere it is a business rule.
        if (status == HttpStatusCode.TooManyRequests ||
            (status is HttpStatusCode.InternalServerError or HttpStatusCode.ServiceUnavailable && Mentions(errors, ThresholdTexts)))
        {
            return FailureKind.RateLimit;
        }

        if (status == HttpStatusCode.Unauthorized || Mentions(errors, AuthenticationTexts))
        {
            return FailureKind.Authentication;
        }

        if (status == HttpStatusCode.Forbidden || Mentions(errors, PermissionTexts))
        {
            return FailureKind.Permission;
        }

        return code switch
        {
            404 => FailureKind.NotFound,
            400 or 409 or 422 => FailureKind.Validation,
            500 when errors.Count > 0 && !Mentions(errors, TransientTexts) => FailureKind.Validation,
            >= 500 => FailureKind.Server,
            _ => FailureKind.Other,
        };
    }

    /// <summary>Reads the <c>errors</c> array of an error answer, or its text when it is not Autotask's JSON shape.</summary>
    public static async Task<IReadOnlyList<string>> ReadErrorsAsync(HttpContent? content, CancellationToken cancellationToken, string? secret = null)
    {
        if (content is null)
        {
            return [];
        }

        byte[] body;
        try
        {
            // Buffered, so that the retry decision and the exception can both read it.
#if NET9_0_OR_GREATER
            await content.LoadIntoBufferAsync(MaxBufferedErrorBytes, cancellationToken).ConfigureAwait(false);
#else
            await content.LoadIntoBufferAsync(MaxBufferedErrorBytes).ConfigureAwait(false);
#endif
            body = await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or ObjectDisposedException)
        {
            return [];
        }

        if (body.Length > MaxErrorBodyBytes)
        {
            body = body[..MaxErrorBodyBytes];
        }

        if (body.Length == 0)
        {
            return [];
        }

        try
        {
            var parsed = JsonSerializer.Deserialize(body, AutotaskJsonContext.Default.ErrorResponse);
            if (parsed?.Errors is { Count: > 0 } errors)
            {
                return errors.Where(e => !string.IsNullOrWhiteSpace(e)).Select(e => Redact(e!, secret)).ToArray();
            }
        }
        catch (JsonException)
        {
            // Not Autotask's error shape: fall back to the text below.
        }

        // Redacted before it is cut, so that no part of a secret survives at the cut.
        var text = Redact(Encoding.UTF8.GetString(body).Trim(), secret);
        if (text.Length > 500)
        {
            text = text[..500] + "...";
        }

        return text.Length == 0 || text.StartsWith('{') ? [] : [text];
    }

    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        RetryConditionHeaderValue? header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    public static async Task<AutotaskException> FromResponseAsync(
        HttpResponseMessage response, AutotaskErrorDetails request, string? secret, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = await ReadErrorsAsync(response.Content, cancellationToken, secret).ConfigureAwait(false);

        var details = request with
        {
            StatusCode = response.StatusCode,
            Errors = errors,
            RequestId = FirstHeader(response, "X-Request-Id") ?? FirstHeader(response, "Request-Id"),
        };

        var what = $"Autotask {details.Operation}{(details.Entity is null ? "" : " " + details.Entity)}" +
                   (details.Connection is null ? "" : $" for connection '{details.Connection}'");
        var said = errors.Count == 0 ? "" : ": " + string.Join(" ", errors);
        var status = $"HTTP {(int)response.StatusCode}";

        switch (Classify(response.StatusCode, errors))
        {
            case FailureKind.Authentication:
                return new AutotaskAuthenticationException(
                    $"{what} was refused, {status}{said}. Check the API user's username, secret and integration code, and that its security level may log in to the web services API.",
                    details);
            case FailureKind.Permission:
                return new AutotaskPermissionException(
                    $"{what} is not allowed for the API user, {status}{said}. Grant the permission in the API user's security level.",
                    details);
            case FailureKind.RateLimit:
                var retryAfter = RetryAfter(response, time);
                return new AutotaskRateLimitException(
                    $"{what} was refused because a request limit was reached, {status}{said}. " +
                    (retryAfter is { } wait ? $"Autotask asked to wait {wait.TotalSeconds:0} s. " : "") +
                    "Requests of every integration of the Autotask database count towards its hourly limit.",
                    details, retryAfter);
            case FailureKind.Validation:
                return new AutotaskValidationException($"{what} was rejected, {status}{said}. Correct the request's fields or filters.", details);
            case FailureKind.NotFound:
                return new AutotaskNotFoundException($"{what} found nothing, {status}{said}.", details);
            case FailureKind.Server:
                return new AutotaskServerException($"{what} failed on Autotask's side, {status}{said}. Reads were retried; try again later.", details);
            case FailureKind.Redirect:
                return new AutotaskUnsafeUrlException(
                    $"{what} was answered with a redirect ({status}) to {response.Headers.Location?.GetLeftPart(UriPartial.Authority) ?? "(no location)"}. The client does not follow redirects, so that credentials never leave the zone; check the zone URL.",
                    details);
            default:
                return new AutotaskException($"{what} failed, {status}{said}.", details);
        }
    }

    /// <summary>Maps a failure to get any answer. For a write, says whether it may have been applied.</summary>
    public static AutotaskException FromTransportFailure(Exception exception, AutotaskErrorDetails request, bool isRead)
    {
        var what = $"Autotask {request.Operation}{(request.Entity is null ? "" : " " + request.Entity)}" +
                   (request.Connection is null ? "" : $" for connection '{request.Connection}'");

        if (exception is RateLimiterRejectedException rejected)
        {
            return new AutotaskRateLimitException($"{what} was not sent: the connection's request limit queue is full.", request, rejected.RetryAfter, exception);
        }

        var nothingSent = IsConnectFailure(exception);
        var mayBeApplied = !isRead && !nothingSent;
        var reason = exception is TimeoutRejectedException or TaskCanceledException or TimeoutException ? "timed out" :
            nothingSent ? "could not connect" : "lost the connection before the answer came";
        var advice = mayBeApplied
            ? " The write may have been applied: read the entity back before writing it again."
            : isRead ? " The request was retried; try again later." : " Nothing was applied.";
        return new AutotaskCommunicationException($"{what} {reason}.{advice}", request, mayBeApplied, exception);
    }

    /// <summary>Whether the failure proves the request never reached the server (so a write was not applied).</summary>
    public static bool IsConnectFailure(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError })
            {
                return true;
            }

            if (e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused or System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.HostUnreachable or System.Net.Sockets.SocketError.NetworkUnreachable })
            {
                return true;
            }
        }

        return false;
    }

    private static string Redact(string text, string? secret) =>
        string.IsNullOrEmpty(secret) ? text : text.Replace(secret, "***", StringComparison.Ordinal);

    private static bool Mentions(IReadOnlyList<string> errors, string[] fragments)
    {
        foreach (var error in errors)
        {
            foreach (var fragment in fragments)
            {
                if (error.Contains(fragment, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static string? FirstHeader(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
