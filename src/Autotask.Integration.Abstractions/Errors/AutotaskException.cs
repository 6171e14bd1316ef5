using System.Net;

namespace Autotask.Integration;

/// <summary>
/// The root of every failure this SDK reports on purpose: catch it to handle them all. Catch a derived type only
/// where you act differently.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><see cref="AutotaskRequestException"/> and its subtypes: a request to Autotask failed (refused credentials,
/// missing permission, a limit, invalid content, not found, a server error, no answer, an unsafe URL).</item>
/// <item><see cref="AutotaskConfigurationException"/>: a connection is missing or set up in a way that cannot work.</item>
/// <item><c>MappingException</c>, <c>StoreConcurrencyException</c> and <c>MappingStoreException</c>
/// (namespace <c>Autotask.Integration.Mapping</c>): a mapping rule was broken, a stored value changed since it was
/// read, or the store cannot be used.</item>
/// <item><c>PicklistLabelNotFoundException</c> and <c>AlertMappingException</c>: a label that the Autotask instance
/// does not have.</item>
/// </list>
/// Wrong arguments (a null, an empty string, an unknown field name) are <see cref="ArgumentException"/>s, as
/// everywhere in .NET: they are bugs to fix, not conditions to handle.
/// </remarks>
public abstract class AutotaskException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and what to do.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    protected AutotaskException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A connection cannot be used as it is set up: no connection or several where one was expected, a refused zone
/// URL, a webhook secret key that is not set. The message names the connection and the setting to change.
/// </summary>
public sealed class AutotaskConfigurationException : AutotaskException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and which setting to change.</param>
    /// <param name="connection">The connection, or <c>null</c> when the problem is not one connection's.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public AutotaskConfigurationException(string message, string? connection = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Connection = connection;
    }

    /// <summary>The connection the problem is in, or <c>null</c>.</summary>
    public string? Connection { get; }
}

/// <summary>
/// A request to Autotask failed: an error answer, no answer at all, or a server-given URL the client refused to
/// follow. Carries what is needed to diagnose it, never a credential.
/// </summary>
/// <remarks>
/// Catch a derived type where the caller acts differently: <see cref="AutotaskAuthenticationException"/>,
/// <see cref="AutotaskPermissionException"/>, <see cref="AutotaskRateLimitException"/>,
/// <see cref="AutotaskValidationException"/>, <see cref="AutotaskNotFoundException"/>,
/// <see cref="AutotaskServerException"/>, <see cref="AutotaskCommunicationException"/>,
/// <see cref="AutotaskUnsafeUrlException"/>.
/// </remarks>
public class AutotaskRequestException : AutotaskException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and what to do.</param>
    /// <param name="details">The request and answer the failure came from.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public AutotaskRequestException(string message, AutotaskErrorDetails details, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentNullException.ThrowIfNull(details);
        Details = details;
    }

    /// <summary>The request and answer the failure came from.</summary>
    public AutotaskErrorDetails Details { get; }

    /// <summary>The HTTP status of Autotask's answer, or <c>null</c> when there was no answer.</summary>
    public HttpStatusCode? StatusCode => Details.StatusCode;

    /// <summary>The messages of Autotask's <c>errors</c> array; empty when it sent none.</summary>
    public IReadOnlyList<string> Errors => Details.Errors;

    /// <summary>The entity the request was about, such as <c>Companies</c>, or <c>null</c>.</summary>
    public string? Entity => Details.Entity;

    /// <summary>The operation, such as <c>Query</c>, <c>Create</c> or <c>ZoneDiscovery</c>.</summary>
    public string Operation => Details.Operation;

    /// <summary>The request URL without its query string (which could hold personal data); never a credential.</summary>
    public Uri? RequestUri => Details.RequestUri;
}

/// <summary>Where a failure came from: the request and, when there was one, Autotask's answer. Never a credential.</summary>
public sealed record AutotaskErrorDetails
{
    /// <summary>The operation, such as <c>Query</c>, <c>Create</c> or <c>ZoneDiscovery</c>.</summary>
    public required string Operation { get; init; }

    /// <summary>The entity the request was about, such as <c>Companies</c>, or <c>null</c>.</summary>
    public string? Entity { get; init; }

    /// <summary>The name of the connection the request was made for, or <c>null</c>.</summary>
    public string? Connection { get; init; }

    /// <summary>The HTTP method.</summary>
    public string? Method { get; init; }

    /// <summary>The request URL without its query string.</summary>
    public Uri? RequestUri { get; init; }

    /// <summary>The HTTP status of the answer, or <c>null</c> when there was no answer.</summary>
    public HttpStatusCode? StatusCode { get; init; }

    /// <summary>The messages of Autotask's <c>errors</c> array.</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];

    /// <summary>A request id from the answer's headers, when the server sent one.</summary>
    public string? RequestId { get; init; }
}

/// <summary>
/// The credentials were refused: a wrong username, secret or integration code, or an API user that cannot log in
/// to the web services API. Autotask reports some of these with HTTP 500 (for example "IntegrationCode is invalid").
/// </summary>
public sealed class AutotaskAuthenticationException : AutotaskRequestException
{
    /// <inheritdoc cref="AutotaskRequestException(string, AutotaskErrorDetails, Exception?)" />
    public AutotaskAuthenticationException(string message, AutotaskErrorDetails details, Exception? innerException = null)
        : base(message, details, innerException)
    {
    }
}

/// <summary>The API user is authenticated but its security level does not allow the request.</summary>
public sealed class AutotaskPermissionException : AutotaskRequestException
{
    /// <inheritdoc cref="AutotaskRequestException(string, AutotaskErrorDetails, Exception?)" />
    public AutotaskPermissionException(string message, AutotaskErrorDetails details, Exception? innerException = null)
        : base(message, details, innerException)
    {
    }
}

/// <summary>
/// Autotask refused the request because a request limit was reached (HTTP 429, or a threshold message), and the
/// client's retries did not get through.
/// </summary>
public sealed class AutotaskRateLimitException : AutotaskRequestException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and what to do.</param>
    /// <param name="details">The request and answer.</param>
    /// <param name="retryAfter">How long Autotask asked to wait, when it said.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public AutotaskRateLimitException(string message, AutotaskErrorDetails details, TimeSpan? retryAfter, Exception? innerException = null)
        : base(message, details, innerException)
    {
        RetryAfter = retryAfter;
    }

    /// <summary>How long Autotask asked to wait before the next request, when it said.</summary>
    public TimeSpan? RetryAfter { get; }
}

/// <summary>Autotask rejected the request's content: a missing or invalid field, a bad filter, a rule of the instance.</summary>
public sealed class AutotaskValidationException : AutotaskRequestException
{
    /// <inheritdoc cref="AutotaskRequestException(string, AutotaskErrorDetails, Exception?)" />
    public AutotaskValidationException(string message, AutotaskErrorDetails details, Exception? innerException = null)
        : base(message, details, innerException)
    {
    }
}

/// <summary>The entity or URL does not exist (HTTP 404).</summary>
public sealed class AutotaskNotFoundException : AutotaskRequestException
{
    /// <inheritdoc cref="AutotaskRequestException(string, AutotaskErrorDetails, Exception?)" />
    public AutotaskNotFoundException(string message, AutotaskErrorDetails details, Exception? innerException = null)
        : base(message, details, innerException)
    {
    }

    /// <summary>
    /// Whether the answer was Autotask's own "no such record" (<c>{"item":null}</c>), rather than a URL not found (a
    /// route that is down answers with an HTML page or an empty body): only then is the record known to be missing.
    /// </summary>
    public bool NoSuchRecord { get; init; }
}

/// <summary>Autotask failed with a server error (HTTP 5xx) that retries did not get past.</summary>
public sealed class AutotaskServerException : AutotaskRequestException
{
    /// <inheritdoc cref="AutotaskRequestException(string, AutotaskErrorDetails, Exception?)" />
    public AutotaskServerException(string message, AutotaskErrorDetails details, Exception? innerException = null)
        : base(message, details, innerException)
    {
    }
}

/// <summary>
/// No answer came back: the connection failed, dropped, or timed out. For a write, <see cref="RequestMayHaveBeenApplied"/>
/// says whether Autotask may have applied it; read the entity back before writing again.
/// </summary>
public sealed class AutotaskCommunicationException : AutotaskRequestException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and what to do.</param>
    /// <param name="details">The request.</param>
    /// <param name="requestMayHaveBeenApplied">Whether the request may have reached Autotask and been applied.</param>
    /// <param name="innerException">The underlying failure.</param>
    public AutotaskCommunicationException(string message, AutotaskErrorDetails details, bool requestMayHaveBeenApplied, Exception? innerException = null)
        : base(message, details, innerException)
    {
        RequestMayHaveBeenApplied = requestMayHaveBeenApplied;
    }

    /// <summary>
    /// Whether the request may have reached Autotask and been applied: <c>false</c> only when the failure proves
    /// nothing was sent (for example the connection was refused).
    /// </summary>
    public bool RequestMayHaveBeenApplied { get; }
}

/// <summary>
/// The client refused a URL before sending anything to it: a zone URL or next-page URL on a host or scheme other
/// than the allowed ones, so that credentials never leave the resolved zone.
/// </summary>
public sealed class AutotaskUnsafeUrlException : AutotaskRequestException
{
    /// <inheritdoc cref="AutotaskRequestException(string, AutotaskErrorDetails, Exception?)" />
    public AutotaskUnsafeUrlException(string message, AutotaskErrorDetails details, Exception? innerException = null)
        : base(message, details, innerException)
    {
    }
}
