using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Autotask.Integration.Connections;
using Autotask.Integration.Diagnostics;
using Autotask.Integration.Http;
using Polly.RateLimiting;
using Polly.Timeout;

namespace Autotask.Integration.Client;

/// <summary>Sending one request through the resilience pipeline, reading its JSON answer, and turning failures into typed exceptions, logs and metrics.</summary>
internal sealed partial class AutotaskClient
{
    /// <summary>Sends a request and reads its JSON answer. A read whose answer breaks off while it is read is sent again.</summary>
    private Task<TResult> ReadJsonAsync<TResult>(
        HttpMethod method, Uri uri, byte[]? body, RequestInfo info, JsonTypeInfo<TResult> typeInfo, CancellationToken cancellationToken) =>
        ReadJsonAsync(method, uri, body, info, (stream, token) => JsonSerializer.DeserializeAsync(stream, typeInfo, token), cancellationToken);

    /// <summary>Sends a request and reads its JSON answer with <paramref name="read"/> (which throws <see cref="JsonException"/> on what it cannot read).</summary>
    private async Task<TResult> ReadJsonAsync<TResult>(
        HttpMethod method, Uri uri, byte[]? body, RequestInfo info, Func<Stream, CancellationToken, ValueTask<TResult?>> read, CancellationToken cancellationToken)
    {
        var settings = info.Connection!.Settings;
        for (var attempt = 1; ; attempt++)
        {
            // The pipeline's attempt timeout ends at the answer's headers; this one also covers reading its body.
            using var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptTimeout.CancelAfter(settings.AttemptTimeout + settings.AttemptTimeout);
            using var response = await SendAsync(method, uri, body, info, cancellationToken).ConfigureAwait(false);
            Exception failure;
            try
            {
                using var stream = await response.Content.ReadAsStreamAsync(attemptTimeout.Token).ConfigureAwait(false);
                var result = await read(stream, attemptTimeout.Token).ConfigureAwait(false);
                if (result is not null)
                {
                    return result;
                }

                failure = new JsonException("The answer was empty or null.");
            }
            catch (JsonException ex) when (info.IsRead && IsConversionFailure(ex))
            {
                // Well-formed JSON holding a value the model cannot hold: reading it again gives the same answer.
                throw new AutotaskServerException(
                    $"Autotask {info.Operation} {info.Entity} for connection '{ConnectionName}' answered a value that {typeof(TResult).Name.Split('`')[0]} cannot hold at {ex.Path ?? "(unknown)"}: {ex.Message.Split(" Path:")[0]} It was not read again.",
                    Details(info, method, uri) with { StatusCode = response.StatusCode }, ex);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or JsonException && !cancellationToken.IsCancellationRequested)
            {
                failure = ex;
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                failure = new TimeoutException("The answer's body did not arrive in time.", ex);
            }

            var details = Details(info, method, uri) with { StatusCode = response.StatusCode };
            if (!info.IsRead)
            {
                // A success status came back, but a body that cannot be read proves nothing either way.
                throw new AutotaskCommunicationException(
                    $"Autotask {info.Operation} {info.Entity} for connection '{ConnectionName}' was answered HTTP {(int)response.StatusCode}, but the answer could not be read. The write may have been applied: read the entity back before writing it again.",
                    details, requestMayHaveBeenApplied: true, failure);
            }

            if (attempt > settings.MaxRetryAttempts)
            {
                throw failure is JsonException
                    ? new AutotaskServerException($"Autotask {info.Operation} {info.Entity} for connection '{ConnectionName}' answered with a body that is not valid JSON, {attempt} times.", details, failure)
                    : ErrorMapper.FromTransportFailure(failure, details, isRead: true);
            }

            Log.RereadingAfterBrokenAnswer(_logger, info.Operation, info.Entity, ConnectionName, attempt + 1);
            _instruments.Retries.Add(1,
                new KeyValuePair<string, object?>("autotask.connection", ConnectionName),
                new KeyValuePair<string, object?>("autotask.reason", "broken answer"));
            await Task.Delay(settings.RetryBaseDelay * attempt, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether a JSON failure is a value of the wrong type in well-formed JSON, rather than a body that broke off.</summary>
    private static bool IsConversionFailure(JsonException exception) =>
        exception.InnerException is InvalidOperationException or FormatException or OverflowException ||
        exception.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal);

    /// <summary>Sends one request through the pipeline and returns a success answer; anything else becomes a typed exception.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, byte[]? body, RequestInfo info, CancellationToken cancellationToken)
    {
        var runtime = await EnterAsync(info, method, uri, cancellationToken).ConfigureAwait(false);
        try
        {
            return await SendAsync(runtime, method, uri, body, info, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            runtime.Exit();
        }
    }

    /// <summary>
    /// Counts a request into the connection's current runtime: a changed connection's new settings apply from this
    /// request on (refused if they would send the credentials to another zone than the operation was built for); a
    /// removed connection's requests are refused.
    /// </summary>
    private async Task<ConnectionRuntime> EnterAsync(RequestInfo info, HttpMethod method, Uri uri, CancellationToken cancellationToken)
    {
        while (true)
        {
            var runtime = await RuntimeAsync(cancellationToken).ConfigureAwait(false);
            if (!ReferenceEquals(runtime, info.Connection) && info.Connection is { } began)
            {
                var zone = await runtime.ZoneAsync(cancellationToken).ConfigureAwait(false);
                if (!AutotaskRequestOptions.SameOrigin(zone.ApiRoot, info.ApiRoot))
                {
                    throw new AutotaskUnsafeUrlException(
                        $"Autotask connection '{ConnectionName}' was changed to another zone while {info.Operation} {info.Entity} ran; the rest of it was not sent, so the new credentials did not go to the old zone. Run it again.",
                        Details(info, method, uri));
                }

                // An operation checked against the connection's database goes on only in that database.
                if (began.VerifiedDatabase is { } database)
                {
                    var now = await DatabaseBinding.IdentityAsync(runtime, cancellationToken).ConfigureAwait(false);
                    if (now != database)
                    {
                        throw new AutotaskDatabaseMismatchException(ConnectionName, database, now);
                    }

                    runtime.VerifiedDatabase ??= database;
                }
            }

            switch (runtime.TryEnter())
            {
                case RetireReason.None:
                    return runtime;
                case var _ when _pinned is not null:
                    throw new ObjectDisposedException($"The client made to test connection '{ConnectionName}' before it was saved is no longer usable.");
                case RetireReason.Removed:
                    throw new AutotaskConnectionNotFoundException(ConnectionName, removed: true);
                default:
                    continue;
            }
        }
    }

    private async Task<HttpResponseMessage> SendAsync(ConnectionRuntime runtime, HttpMethod method, Uri uri, byte[]? body, RequestInfo info, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = JsonContentType;
        }

        request.Headers.Accept.Add(JsonAccept);
        request.Options.Set(AutotaskRequestOptions.Connection, runtime);
        request.Options.Set(AutotaskRequestOptions.Request, info);

        var started = _time.GetTimestamp();
        HttpResponseMessage response;
        try
        {
            response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
        {
            Record(info, method, null, AutotaskInstruments.ErrorType(ex), started);
            AutotaskInstruments.Fail(Activity.Current, ex);
            throw;
        }
        catch (AutotaskRequestException ex)
        {
            Record(info, method, null, AutotaskInstruments.ErrorType(ex), started);
            AutotaskInstruments.Fail(Activity.Current, ex);
            Log.RequestFailed(_logger, info.Operation, info.Entity, ConnectionName, ex.GetType().Name, null);
            throw;
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or TaskCanceledException or IOException or RateLimiterRejectedException)
        {
            var error = ErrorMapper.FromTransportFailure(ex, Details(info, method, uri), info.IsRead);
            Record(info, method, null, AutotaskInstruments.ErrorType(error), started);
            AutotaskInstruments.Fail(Activity.Current, error);
            Log.RequestFailed(_logger, info.Operation, info.Entity, ConnectionName, error.GetType().Name, null);
            throw error;
        }

        var status = (int)response.StatusCode;
        Record(info, method, status, response.IsSuccessStatusCode ? null : status.ToString(CultureInfo.InvariantCulture), started);
        Log.RequestCompleted(_logger, info.Operation, info.Entity, ConnectionName, method.Method, uri.AbsolutePath, status,
            _time.GetElapsedTime(started).TotalMilliseconds);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var error = await ErrorMapper.FromResponseAsync(response, Details(info, method, uri), runtime.Credentials.Echoable, info.IsRead, _time, cancellationToken).ConfigureAwait(false);
            AutotaskInstruments.Fail(Activity.Current, error);
            Log.RequestFailed(_logger, info.Operation, info.Entity, ConnectionName, error.GetType().Name, response.StatusCode);
            throw error;
        }
    }

    private AutotaskErrorDetails Details(RequestInfo info, HttpMethod method, Uri? uri) => new()
    {
        Operation = info.Operation,
        Entity = info.Entity,
        Connection = ConnectionName,
        Method = method.Method,
        RequestUri = AutotaskRequestOptions.Sanitize(uri),
    };

    /// <summary>Counts a request: with the status code when an answer came, with <c>error.type</c> when it failed.</summary>
    private void Record(RequestInfo info, HttpMethod method, int? status, string? errorType, long started)
    {
        var tags = new TagList
        {
            { "autotask.connection", ConnectionName },
            { "autotask.entity", info.Entity },
            { "autotask.operation", info.Operation },
            { "http.request.method", method.Method },
        };
        if (status is { } code)
        {
            tags.Add("http.response.status_code", code);
        }

        if (errorType is not null)
        {
            tags.Add("error.type", errorType);
        }

        _instruments.Requests.Add(1, tags);
        _instruments.Duration.Record(_time.GetElapsedTime(started).TotalSeconds, tags);
    }

    private Activity? StartActivity(string operation, string entity)
    {
        var activity = AutotaskTelemetry.Source.StartActivity($"Autotask {operation} {entity}", ActivityKind.Client);
        activity?.SetTag("autotask.connection", ConnectionName);
        activity?.SetTag("autotask.operation", operation);
        activity?.SetTag("autotask.entity", entity);
        return activity;
    }
}
