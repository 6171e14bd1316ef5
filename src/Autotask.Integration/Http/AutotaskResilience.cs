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
/// Autotask's limits (the database's hour, paced, and the endpoint's thread slots, see <see cref="Limits.RequestLimits"/>:
/// callers wait rather than fail), and the timeout of one attempt. One pipeline for all connections; what differs per
/// connection is read from the request's runtime.
/// </summary>
internal static class AutotaskResilience
{
    public const string PipelineName = "Autotask.Integration";

    /// <summary>The longest attempt while thread slots are shared: shorter than the shared store's 60-second lease.</summary>
    internal static readonly TimeSpan MaxSharedAttempt = TimeSpan.FromSeconds(50);

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

        // Autotask's limits, per attempt: counted into the database's hour (paced), then a thread slot of the endpoint.
        var limits = services.GetRequiredService<Limits.RequestLimits>();
        builder.AddRateLimiter(new RateLimiterStrategyOptions
        {
            Name = "AutotaskLimits",
            RateLimiter = async args =>
            {
                var request = args.Context.GetRequestMessage();
                var info = request is not null && request.Options.TryGetValue(AutotaskRequestOptions.Request, out var value) ? value : null;
                var connection = ConnectionOf(args.Context);
                var slot = await limits.AcquireAsync(connection, info ?? new RequestInfo("?", null, IsRead: false, new Uri("about:blank")), args.Context.CancellationToken).ConfigureAwait(false);
                return new SlotLease(slot);
            },
        });

        builder.AddTimeout(new TimeoutStrategyOptions
        {
            // A shared thread slot is leased for 60 seconds (then freed for the other instances, in case its holder died):
            // an attempt that holds one ends before its lease does.
            TimeoutGenerator = args => new ValueTask<TimeSpan>(limits.UsingShared
                ? TimeSpan.FromTicks(Math.Min(ConnectionOf(args.Context).Settings.AttemptTimeout.Ticks, MaxSharedAttempt.Ticks))
                : ConnectionOf(args.Context).Settings.AttemptTimeout),
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
            MaxRetryAttempts = fixedSettings?.MaxRetries ?? MaxThresholdWaits,
            ShouldHandle = async args =>
            {
                var settings = SettingsOf(args.Context);
                var verdict = await ClassifyAsync(args.Outcome, args.Context, settings.MaxRetryAfter, time).ConfigureAwait(false);
                args.Context.Properties.Set(LastVerdict, verdict);
                return verdict switch
                {
                    // A threshold refusal that says nothing of when to come back is waited out for up to MaxRetryAfter in
                    // all, however many attempts that takes: the window it waits for is longer than a few retries.
                    RetryVerdict.WaitOutThreshold => args.Context.Properties.GetValue(ThresholdWaited, TimeSpan.Zero) < settings.MaxRetryAfter,
                    RetryVerdict.Retry => args.AttemptNumber < settings.MaxRetries,
                    _ => false,
                };
            },
            DelayGenerator = args =>
            {
                if (args.Outcome.Result is { } response && ErrorMapper.RetryAfter(response, time) is { } retryAfter)
                {
                    return new ValueTask<TimeSpan?>(retryAfter);
                }

                var settings = SettingsOf(args.Context);
                if (args.Context.Properties.GetValue(LastVerdict, RetryVerdict.No) == RetryVerdict.WaitOutThreshold)
                {
                    // Doubling from the base delay (at least a second), the last wait cut to what is left of MaxRetryAfter.
                    var waited = args.Context.Properties.GetValue(ThresholdWaited, TimeSpan.Zero);
                    var waits = args.Context.Properties.GetValue(ThresholdWaits, 0);
                    var first = Math.Max(settings.BaseDelay.Ticks, TimeSpan.FromSeconds(1).Ticks);
                    var next = Math.Min(first * Math.Pow(2, waits) * (0.8 + (0.4 * Random.Shared.NextDouble())), (settings.MaxRetryAfter - waited).Ticks);
                    var delay = TimeSpan.FromTicks(Math.Max((long)next, 0));
                    args.Context.Properties.Set(ThresholdWaited, waited + delay);
                    args.Context.Properties.Set(ThresholdWaits, waits + 1);
                    return new ValueTask<TimeSpan?>(delay);
                }

                // Exponential from the connection's base delay, with jitter between 80 % and 120 %.
                var factor = Math.Pow(2, args.AttemptNumber) * (0.8 + (0.4 * Random.Shared.NextDouble()));
                return new ValueTask<TimeSpan?>(TimeSpan.FromTicks((long)Math.Min(settings.BaseDelay.Ticks * factor, TimeSpan.FromMinutes(10).Ticks)));
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

    /// <summary>What a failed attempt calls for.</summary>
    internal enum RetryVerdict
    {
        /// <summary>Not retried.</summary>
        No,

        /// <summary>Retried, up to the connection's <see cref="AutotaskConnectionOptions.MaxRetryAttempts"/>.</summary>
        Retry,

        /// <summary>A threshold refusal without <c>Retry-After</c>: waited out for up to <see cref="AutotaskConnectionOptions.MaxRetryAfter"/>.</summary>
        WaitOutThreshold,
    }

    /// <summary>The most attempts a threshold refusal is waited out with (each waits at least a second).</summary>
    private const int MaxThresholdWaits = 100;

    private static readonly ResiliencePropertyKey<RetryVerdict> LastVerdict = new("Autotask.RetryVerdict");
    private static readonly ResiliencePropertyKey<TimeSpan> ThresholdWaited = new("Autotask.ThresholdWaited");
    private static readonly ResiliencePropertyKey<int> ThresholdWaits = new("Autotask.ThresholdWaits");

    internal static async ValueTask<bool> ShouldRetryAsync(Outcome<HttpResponseMessage> outcome, ResilienceContext context, TimeSpan maxRetryAfter, TimeProvider time) =>
        await ClassifyAsync(outcome, context, maxRetryAfter, time).ConfigureAwait(false) != RetryVerdict.No;

    internal static async ValueTask<RetryVerdict> ClassifyAsync(Outcome<HttpResponseMessage> outcome, ResilienceContext context, TimeSpan maxRetryAfter, TimeProvider time)
    {
        var request = context.GetRequestMessage();
        var isRead = request is not null && request.Options.TryGetValue(AutotaskRequestOptions.Request, out var info) && info.IsRead;

        if (outcome.Exception is { } exception)
        {
            return Verdict(exception switch
            {
                OperationCanceledException when context.CancellationToken.IsCancellationRequested => false,
                AutotaskRequestException => false,
                TimeoutRejectedException => isRead,
                HttpRequestException => isRead || ErrorMapper.IsConnectFailure(exception),
                IOException => isRead,
                _ => false,
            });
        }

        var response = outcome.Result;
        if (response is null)
        {
            return RetryVerdict.No;
        }

        switch (response.StatusCode)
        {
            case HttpStatusCode.TooManyRequests:
                return Threshold(response, maxRetryAfter, time);
            case HttpStatusCode.RequestTimeout or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout:
                return Verdict(isRead);
            case HttpStatusCode.InternalServerError:
                // Autotask uses 500 for credential problems and threshold refusals as well as real faults: read the text.
                var body = await ErrorMapper.ReadBodyAsync(response.Content, context.CancellationToken).ConfigureAwait(false);
                return ErrorMapper.Classify(response.StatusCode, body) switch
                {
                    FailureKind.RateLimit => Threshold(response, maxRetryAfter, time),
                    FailureKind.Server => Verdict(isRead),
                    _ => RetryVerdict.No,
                };
            default:
                return RetryVerdict.No;
        }
    }

    private static RetryVerdict Verdict(bool retry) => retry ? RetryVerdict.Retry : RetryVerdict.No;

    /// <summary>A threshold refusal: retried after its <c>Retry-After</c> when that is short enough, waited out when it has none.</summary>
    private static RetryVerdict Threshold(HttpResponseMessage response, TimeSpan maxRetryAfter, TimeProvider time) =>
        ErrorMapper.RetryAfter(response, time) is { } wait
            ? Verdict(wait <= maxRetryAfter)
            : RetryVerdict.WaitOutThreshold;

    /// <summary>A granted lease that frees the request's thread slot when the attempt is over.</summary>
    private sealed class SlotLease(IDisposable slot) : System.Threading.RateLimiting.RateLimitLease
    {
        public override bool IsAcquired => true;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                slot.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
