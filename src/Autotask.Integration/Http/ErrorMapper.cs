using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
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

    /// <summary>IIS refused the URL as too long (its HTML 404.15 page), before Autotask saw the request.</summary>
    TooLong,
    Other,
}

/// <summary>What an error answer said: its messages, whether it was an HTML page, and whether its body broke off.</summary>
/// <param name="Errors">The messages, credentials redacted.</param>
/// <param name="IsHtml">Whether the body was an HTML page (summarised by its title).</param>
/// <param name="Broken">Whether the body could not be read to its end.</param>
/// <param name="NoSuchRecord">Whether the body was Autotask's own answer for a missing record, <c>{"item":null}</c>.</param>
internal sealed record ErrorBody(IReadOnlyList<string> Errors, bool IsHtml = false, bool Broken = false, bool NoSuchRecord = false)
{
    public static ErrorBody Empty { get; } = new([]);

    public static ErrorBody Unreadable { get; } = new([], Broken: true);
}

/// <summary>Turns Autotask's error answers and transport failures into the SDK's typed exceptions.</summary>
internal static partial class ErrorMapper
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
        // ASP.NET Web API's answer to an exception that escaped Autotask's own error handling: {"Message":"An error has occurred."}.
        "an error has occurred",
    ];

    private static readonly string[] ThresholdTexts =
    [
        "threshold", "rate limit", "too many requests", "request limit",
    ];

    /// <summary>
    /// Classifies an error answer by its status first; the text only refines a 500 or 503 (Autotask answers credential
    /// problems, permission problems, threshold refusals and business rules with 500 as well as real faults).
    /// </summary>
    public static FailureKind Classify(HttpStatusCode status, ErrorBody body)
    {
        var code = (int)status;
        var errors = body.Errors;
        switch (code)
        {
            case >= 300 and < 400:
                return FailureKind.Redirect;
            case 401:
                return FailureKind.Authentication;
            case 403:
                return FailureKind.Permission;
            case 429:
                return FailureKind.RateLimit;
            case 404 when body.IsHtml && errors.Any(e => e.Contains("404.15", StringComparison.Ordinal)):
                return FailureKind.TooLong;
            case 404:
                return FailureKind.NotFound;
            case >= 400 and < 500:
                return FailureKind.Validation;
            case 500 or 503 when body.IsHtml || body.Broken || errors.Count == 0:
                return FailureKind.Server;
            case 500 or 503 when Mentions(errors, ThresholdTexts):
                return FailureKind.RateLimit;
            case 500 when Mentions(errors, AuthenticationTexts):
                return FailureKind.Authentication;
            case 500 when Mentions(errors, PermissionTexts):
                return FailureKind.Permission;
            case 500 when !Mentions(errors, TransientTexts):
                return FailureKind.Validation;
            case >= 500:
                return FailureKind.Server;
            default:
                return FailureKind.Other;
        }
    }

    /// <summary>
    /// Reads an error answer's text: Autotask's <c>errors</c> array, ASP.NET's <c>{"Message":...}</c>, the title of an
    /// HTML error page, or the start of plain text. Every value in <paramref name="redact"/> (the credentials, which
    /// error bodies can echo) is replaced by <c>***</c> before anything is cut or kept.
    /// </summary>
    public static async Task<ErrorBody> ReadBodyAsync(HttpContent? content, CancellationToken cancellationToken, IReadOnlyCollection<string>? redact = null)
    {
        if (content is null)
        {
            return ErrorBody.Empty;
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
        catch (Exception ex) when (ex is IOException or HttpRequestException or ObjectDisposedException or InvalidOperationException)
        {
            // The body broke off (and a second read finds the stream consumed): what it said is unknown.
            return ErrorBody.Unreadable;
        }

        if (body.Length > MaxErrorBodyBytes)
        {
            body = body[..MaxErrorBodyBytes];
        }

        var text = Redact(Encoding.UTF8.GetString(body).Trim(), redact);
        if (text.Length == 0)
        {
            return ErrorBody.Empty;
        }

        if (text[0] == '{' && JsonMessages(text, out var noSuchRecord) is { } messages)
        {
            return new ErrorBody(messages, NoSuchRecord: noSuchRecord);
        }

        if (text[0] == '<')
        {
            var title = HtmlTitle().Match(text) is { Success: true } match ? match.Groups[1].Value : HtmlTags().Replace(text, " ");
            title = Shorten(System.Net.WebUtility.HtmlDecode(Spaces().Replace(title, " ").Trim()), 200);
            return new ErrorBody(title.Length == 0 ? [] : [title], IsHtml: true);
        }

        return new ErrorBody([Shorten(text, 500)]);
    }

    /// <summary>The messages of a JSON error body, or <c>null</c> when it is not JSON; and whether it is <c>{"item":null}</c>.</summary>
    private static List<string>? JsonMessages(string text, out bool noSuchRecord)
    {
        noSuchRecord = false;
        try
        {
            using var document = JsonDocument.Parse(text);
            var messages = new List<string>();
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return messages;
            }

            noSuchRecord = document.RootElement.TryGetProperty("item", out var item) && item.ValueKind == JsonValueKind.Null;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.NameEquals("errors") || property.Name.Equals("errors", StringComparison.OrdinalIgnoreCase))
                {
                    if (property.Value.ValueKind == JsonValueKind.Array)
                    {
                        messages.AddRange(property.Value.EnumerateArray()
                            .Where(e => e.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(e.GetString()))
                            .Select(e => Shorten(e.GetString()!.Trim(), 500)));
                    }
                }
                else if ((property.Name.Equals("Message", StringComparison.OrdinalIgnoreCase) || property.Name.Equals("MessageDetail", StringComparison.OrdinalIgnoreCase))
                    && property.Value.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(property.Value.GetString()))
                {
                    messages.Add(Shorten(property.Value.GetString()!.Trim(), 500));
                }
            }

            return messages;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Shorten(string text, int length) => text.Length > length ? text[..length] + "..." : text;

    [System.Text.RegularExpressions.GeneratedRegex("<title[^>]*>(.*?)</title>", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex HtmlTitle();

    [System.Text.RegularExpressions.GeneratedRegex("<[^>]*>", System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex HtmlTags();

    [System.Text.RegularExpressions.GeneratedRegex("\\s+")]
    private static partial System.Text.RegularExpressions.Regex Spaces();

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

    public static async Task<AutotaskRequestException> FromResponseAsync(
        HttpResponseMessage response, AutotaskErrorDetails request, IReadOnlyCollection<string>? redact, bool isRead, TimeProvider time, CancellationToken cancellationToken)
    {
        var body = await ReadBodyAsync(response.Content, cancellationToken, redact).ConfigureAwait(false);
        var errors = body.Errors;

        var details = request with
        {
            StatusCode = response.StatusCode,
            Errors = errors,
            RequestId = FirstHeader(response, "X-Request-Id") ?? FirstHeader(response, "Request-Id"),
        };

        var what = $"Autotask {details.Operation}{(details.Entity is null ? "" : " " + details.Entity)}" +
                   (details.Connection is null ? "" : $" for connection '{details.Connection}'");
        var said = errors.Count == 0 ? "" : (body.IsHtml ? ": an HTML error page, " : ": ") + string.Join(" ", errors).TrimEnd('.', ' ');
        var status = $"HTTP {(int)response.StatusCode}";

        if (body.Broken && (int)response.StatusCode >= 500 && !isRead)
        {
            // Autotask answers business rules with 500 too; without the body nobody can tell, so the write may have landed.
            return new AutotaskCommunicationException(
                $"{what} was answered {status}, but the answer broke off before it could be read. The write may have been applied: read the entity back before writing it again.",
                details, requestMayHaveBeenApplied: true);
        }

        switch (Classify(response.StatusCode, body))
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
            case FailureKind.Validation when response.StatusCode == HttpStatusCode.MethodNotAllowed:
                return new AutotaskValidationException($"{what} was refused, {status}{said}: this Autotask does not accept the request's HTTP method there.", details);
            case FailureKind.Validation:
                return new AutotaskValidationException($"{what} was rejected, {status}{said}. Correct the request's fields or filters.", details);
            case FailureKind.TooLong:
                return new AutotaskValidationException(
                    $"{what} was refused by Autotask's web server because its URL is too long, {status}{said}. This is not \"not found\": send the query as a POST (QueryMethod = Post), or use fewer values in In filters.",
                    details);
            case FailureKind.NotFound:
                return new AutotaskNotFoundException(
                    body.NoSuchRecord ? $"{what} found no such record, {status}." : $"{what} found nothing, {status}{said}: the URL itself was not found, which is not an answer about a record.",
                    details) { NoSuchRecord = body.NoSuchRecord };
            case FailureKind.Server:
                return new AutotaskServerException($"{what} failed on Autotask's side, {status}{said}. Reads were retried; try again later.", details);
            case FailureKind.Redirect:
                return new AutotaskUnsafeUrlException(
                    $"{what} was answered with a redirect ({status}) to {response.Headers.Location?.GetLeftPart(UriPartial.Authority) ?? "(no location)"}. The client does not follow redirects, so that credentials never leave the zone; check the zone URL.",
                    details);
            default:
                return new AutotaskRequestException($"{what} failed, {status}{said}.", details);
        }
    }

    /// <summary>Maps a failure to get any answer. For a write, says whether it may have been applied.</summary>
    public static AutotaskRequestException FromTransportFailure(Exception exception, AutotaskErrorDetails request, bool isRead)
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

    private static string Redact(string text, IReadOnlyCollection<string>? values)
    {
        if (values is null)
        {
            return text;
        }

        // Longest first, so that a value containing another is replaced whole.
        foreach (var value in values.Where(v => v.Length >= 3).OrderByDescending(v => v.Length))
        {
            text = text.Replace(value, "***", StringComparison.OrdinalIgnoreCase);
        }

        return text;
    }

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
