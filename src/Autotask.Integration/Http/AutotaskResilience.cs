using System.Net;
using Autotask.Integration.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.RateLimiting;
using Polly.Retry;
using Polly.Timeout;

namespace Autotask.Integration.Http;

/// <summary>
/// The resilience pipeline of a connection, outside in: retry (reads on 429, 5xx, broken connections and timeouts;
/// writes only on 429, threshold answers and refused connections, where nothing was applied; Retry-After honoured),
/// the hourly request budget (callers wait rather than fail), at most N requests in flight per entity endpoint,
/// and the timeout of one attempt. One pipeline for all connections; the limits are each connection's own, held by its
/// runtime, so that they are counted per connection and freed with it.
/// </summary>
internal static class AutotaskResilience
{
    public const string PipelineName = "Autotask.Integration";

    /// <summary>The most retries any connection may ask for (<see cref="AutotaskConnectionOptions.MaxRetryAttempts"/> is checked against it).</summary>
    internal const int MaxRetryAttemptsLimit = 10;

    public static void ConfigureConnection(ResiliencePipelineBuilder<HttpResponseMessage> builder, ResilienceHandlerContext context)
    {
        var services = context.ServiceProvider;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AutotaskClientFactory).Namespace + ".Resilience");
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var instruments = services.GetRequiredService<AutotaskInstruments>();

        // One pipeline for every connection: what differs per connection (retries, limits, timeout) is read from the
        // request's connection runtime, whose limiters live and die with it.
        AddRetry(builder, null, logger, time, instruments);

        builder.AddRateLimiter(new RateLimiterStrategyOptions
        {
            Name = "HourlyBudget",
            RateLimiter = async args =>
            {
                var connection = ConnectionOf(args.Context);
                var budget = connection.Budget;
                var lease = budget.AttemptAcquire();
                if (lease.IsAcquired)
                {
                    return lease;
                }

                lease.Dispose();
                Log.BudgetExhausted(logger, connection.Id, connection.Settings.HourlyRequestBudget);
                instruments.Throttled.Add(1, new KeyValuePair<string, object?>("autotask.connection", connection.Id));
                return await budget.AcquireAsync(1, args.Context.CancellationToken).ConfigureAwait(false);
            },
        });

        builder.AddRateLimiter(new RateLimiterStrategyOptions
        {
            Name = "EntityConcurrency",
            RateLimiter = args => ConnectionOf(args.Context).PerEntity.AcquireAsync(EntityOf(args.Context), 1, args.Context.CancellationToken),
        });

        builder.AddTimeout(new TimeoutStrategyOptions
        {
            TimeoutGenerator = args => new ValueTask<TimeSpan>(ConnectionOf(args.Context).Settings.AttemptTimeout),
        });
    }

    private static Connections.ConnectionRuntime ConnectionOf(ResilienceContext context) =>
        context.GetRequestMessage() is { } request && request.Options.TryGetValue(AutotaskRequestOptions.Connection, out var connection)
            ? connection
            : throw new InvalidOperationException("This HttpClient sends Autotask requests made by the Autotask client only.");

    public static void ConfigureZoneDiscovery(ResiliencePipelineBuilder<HttpResponseMessage> builder, ResilienceHandlerContext context)
    {
        var services = context.ServiceProvider;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AutotaskClientFactory).Namespace + ".Resilience");
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        AddRetry(builder, new RetrySettings("(zone discovery)", 2, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30)), logger, time, services.GetRequiredService<AutotaskInstruments>());
        builder.AddTimeout(TimeSpan.FromSeconds(30));
    }

    /// <summary>The retry settings of one request: the connection's, or zone discovery's own.</summary>
    private sealed record RetrySettings(string Connection, int MaxRetries, TimeSpan BaseDelay, TimeSpan MaxRetryAfter)
    {
        public static RetrySettings Of(Connections.ConnectionRuntime connection) =>
            new(connection.Id, connection.Settings.MaxRetryAttempts, connection.Settings.RetryBaseDelay, connection.Settings.MaxRetryAfter);
    }

    /// <summary>Adds the retry strategy.</summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="fixedSettings">The settings of every request, or <c>null</c> to read each request's connection.</param>
    /// <param name="logger">Logs each retry.</param>
    /// <param name="time">The clock of Retry-After dates.</param>
    /// <param name="instruments">Counts each retry.</param>
    private static void AddRetry(
        ResiliencePipelineBuilder<HttpResponseMessage> builder, RetrySettings? fixedSettings, ILogger logger, TimeProvider time, AutotaskInstruments instruments)
    {
        RetrySettings SettingsOf(ResilienceContext context) => fixedSettings ?? RetrySettings.Of(ConnectionOf(context));

        builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            Name = "Retry",
            MaxRetryAttempts = fixedSettings?.MaxRetries ?? MaxRetryAttemptsLimit,
            ShouldHandle = async args =>
            {
                var settings = SettingsOf(args.Context);
                return args.AttemptNumber < settings.MaxRetries && await ShouldRetryAsync(args.Outcome, args.Context, settings.MaxRetryAfter, time).ConfigureAwait(false);
            },
            DelayGenerator = args =>
            {
                if (args.Outcome.Result is { } response && ErrorMapper.RetryAfter(response, time) is { } retryAfter)
                {
                    return new ValueTask<TimeSpan?>(retryAfter);
                }

                // Exponential from the connection's base delay, with jitter between 80 % and 120 %.
                var baseDelay = SettingsOf(args.Context).BaseDelay;
                var factor = Math.Pow(2, args.AttemptNumber) * (0.8 + (0.4 * Random.Shared.NextDouble()));
                return new ValueTask<TimeSpan?>(TimeSpan.FromTicks((long)Math.Min(baseDelay.Ticks * factor, TimeSpan.FromMinutes(10).Ticks)));
            },
            OnRetry = args =>
            {
                var connectionName = SettingsOf(args.Context).Connection;
                var request = args.Context.GetRequestMessage();
                var reason = args.Outcome.Exception is { } exception
                    ? exception.GetType().Name
                    : $"HTTP {(int)args.Outcome.Result!.StatusCode}";
                Log.Retrying(logger, request?.Method.Method ?? "?", AutotaskRequestOptions.Sanitize(request?.RequestUri)?.AbsolutePath ?? "?",
                    connectionName, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, reason);
                instruments.Retries.Add(1,
                    new KeyValuePair<string, object?>("autotask.connection", connectionName),
                    new KeyValuePair<string, object?>("autotask.reason", reason));
                return default;
            },
        });
    }

    private static string EntityOf(ResilienceContext context) =>
        context.GetRequestMessage() is { } request && request.Options.TryGetValue(AutotaskRequestOptions.Request, out var info)
            ? info.Entity ?? ""
            : "";

    internal static async ValueTask<bool> ShouldRetryAsync(Outcome<HttpResponseMessage> outcome, ResilienceContext context, TimeSpan maxRetryAfter, TimeProvider time)
    {
        var request = context.GetRequestMessage();
        var isRead = request is not null && request.Options.TryGetValue(AutotaskRequestOptions.Request, out var info) && info.IsRead;

        if (outcome.Exception is { } exception)
        {
            return exception switch
            {
                OperationCanceledException when context.CancellationToken.IsCancellationRequested => false,
                AutotaskRequestException => false,
                TimeoutRejectedException => isRead,
                HttpRequestException => isRead || ErrorMapper.IsConnectFailure(exception),
                IOException => isRead,
                _ => false,
            };
        }

        var response = outcome.Result;
        if (response is null)
        {
            return false;
        }

        switch (response.StatusCode)
        {
            case HttpStatusCode.TooManyRequests:
                return RetryAfterAcceptable(response, maxRetryAfter, time);
            case HttpStatusCode.RequestTimeout or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout:
                return isRead;
            case HttpStatusCode.InternalServerError:
                // Autotask uses 500 for credential problems and threshold refusals as well as real faults: read the text.
                var body = await ErrorMapper.ReadBodyAsync(response.Content, context.CancellationToken).ConfigureAwait(false);
                return ErrorMapper.Classify(response.StatusCode, body) switch
                {
                    FailureKind.RateLimit => RetryAfterAcceptable(response, maxRetryAfter, time),
                    FailureKind.Server => isRead,
                    _ => false,
                };
            default:
                return false;
        }
    }

    private static bool RetryAfterAcceptable(HttpResponseMessage response, TimeSpan maxRetryAfter, TimeProvider time) =>
        ErrorMapper.RetryAfter(response, time) is not { } wait || wait <= maxRetryAfter;
}
