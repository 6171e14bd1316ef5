using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Autotask.Integration;

/// <summary>
/// The names under which the SDK publishes traces and metrics, for <c>AddSource</c> and <c>AddMeter</c> in
/// OpenTelemetry or a <see cref="MeterListener"/>.
/// </summary>
/// <remarks>
/// Instruments: <c>autotask.client.requests</c> (counter, one per request sent, tagged with connection, entity,
/// operation, method and status), <c>autotask.client.request.duration</c> (histogram, seconds),
/// <c>autotask.client.retries</c> (counter), <c>autotask.client.throttled</c> (counter of requests that waited for
/// the hourly budget). No tag ever holds a credential.
/// </remarks>
public static class AutotaskTelemetry
{
    /// <summary>The name of the <see cref="ActivitySource"/>: one activity per client operation.</summary>
    public const string ActivitySourceName = "Autotask.Integration";

    /// <summary>The name of the <see cref="Meter"/>.</summary>
    public const string MeterName = "Autotask.Integration";

    internal static readonly ActivitySource Source = new(ActivitySourceName, typeof(AutotaskTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly Meter Meter = new(MeterName, typeof(AutotaskTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> Requests = Meter.CreateCounter<long>("autotask.client.requests", "{request}", "Requests sent to Autotask.");

    internal static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("autotask.client.request.duration", "s", "Time from sending a request to its answer, retries included.");

    internal static readonly Counter<long> Retries = Meter.CreateCounter<long>("autotask.client.retries", "{retry}", "Requests retried after a transient failure.");

    internal static readonly Counter<long> Throttled = Meter.CreateCounter<long>("autotask.client.throttled", "{request}", "Requests that waited because the connection's hourly budget was used up.");
}
