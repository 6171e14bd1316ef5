using System.Net;
using System.Threading.RateLimiting;
using Autotask.Integration.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.RateLimiting;
using Polly.Retry;
using Polly.Timeout;

namespace Autotask.Integration.Http;

/// <summary>
/// The resilience pipeline of a connection, outside in: retry (reads on 429, 5xx, broken connections and timeouts;
/// writes only on 429, threshold answers and refused connections, where nothing was applied; Retry-After honoured),
/// the hourly request budget (callers wait rather than fail), at most N requests in flight per entity endpoint,
/// and the timeout of one attempt. One pipeline per connection, so that limits are counted per connection.
/// </summary>
internal static class AutotaskResilience
{
    public const string PipelineName = "Autotask.Integration";

    public static void ConfigureConnection(ResiliencePipelineBuilder<HttpResponseMessage> builder, ResilienceHandlerContext context)
    {
        var services = context.ServiceProvider;
        var connectionName = context.InstanceName;
        var options = services.GetRequiredService<IOptions<AutotaskIntegrationOptions>>().Value;
        var connection = options.Connections.TryGetValue(connectionName, out var found) ? found : new AutotaskConnectionOptions();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AutotaskClientFactory).Namespace + ".Resilience");
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var instruments = services.GetRequiredService<AutotaskInstruments>();

        AddRetry(builder, connectionName, connection.MaxRetryAttempts, connection.RetryBaseDelay, connection.MaxRetryAfter, logger, time, instruments);

        var budget = new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
        {
            PermitLimit = connection.HourlyRequestBudget,
            Window = TimeSpan.FromHours(1),
            SegmentsPerWindow = 60,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
        context.OnPipelineDisposed(budget.Dispose);
        builder.AddRateLimiter(new RateLimiterStrategyOptions
        {
            Name = "HourlyBudget",
            RateLimiter = async args =>
            {
                var lease = budget.AttemptAcquire();
                if (lease.IsAcquired)
                {
                    return lease;
                }

                lease.Dispose();
                Log.BudgetExhausted(logger, connectionName, connection.HourlyRequestBudget);
                instruments.Throttled.Add(1, new KeyValuePair<string, object?>("autotask.connection", connectionName));
                return await budget.AcquireAsync(1, args.Context.CancellationToken).ConfigureAwait(false);
            },
        });

        var perEntity = PartitionedRateLimiter.Create<string, string>(entity =>
            RateLimitPartition.GetConcurrencyLimiter(entity, _ => new ConcurrencyLimiterOptions
            {
                PermitLimit = connection.MaxConcurrentRequestsPerEntity,
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            }));
        context.OnPipelineDisposed(perEntity.Dispose);
        builder.AddRateLimiter(new RateLimiterStrategyOptions
        {
            Name = "EntityConcurrency",
            RateLimiter = args => perEntity.AcquireAsync(EntityOf(args.Context), 1, args.Context.CancellationToken),
        });

        builder.AddTimeout(connection.AttemptTimeout);
    }

    public static void ConfigureZoneDiscovery(ResiliencePipelineBuilder<HttpResponseMessage> builder, ResilienceHandlerContext context)
    {
        var services = context.ServiceProvider;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AutotaskClientFactory).Namespace + ".Resilience");
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        AddRetry(builder, "(zone discovery)", 2, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30), logger, time, services.GetRequiredService<AutotaskInstruments>());
        builder.AddTimeout(TimeSpan.FromSeconds(30));
    }

    private static void AddRetry(
        ResiliencePipelineBuilder<HttpResponseMessage> builder, string connectionName, int maxRetries, TimeSpan baseDelay, TimeSpan maxRetryAfter, ILogger logger, TimeProvider time, AutotaskInstruments instruments)
    {
        if (maxRetries <= 0)
        {
            return;
        }

        builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            Name = "Retry",
            MaxRetryAttempts = maxRetries,
            Delay = baseDelay,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldHandle = args => ShouldRetryAsync(args.Outcome, args.Context, maxRetryAfter, time),
            DelayGenerator = args =>
                new ValueTask<TimeSpan?>(args.Outcome.Result is { } response ? ErrorMapper.RetryAfter(response, time) : null),
            OnRetry = args =>
            {
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
