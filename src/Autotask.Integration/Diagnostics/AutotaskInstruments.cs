using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Autotask.Integration.Diagnostics;

/// <summary>
/// The SDK's metric instruments, on a meter from the application's <see cref="IMeterFactory"/> (one per service
/// provider). Tags follow the OpenTelemetry conventions: <c>error.type</c> names what failed, never a free-text status.
/// </summary>
internal sealed class AutotaskInstruments
{
    public AutotaskInstruments(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = Meter = meterFactory.Create(new MeterOptions(AutotaskTelemetry.MeterName) { Version = AutotaskTelemetry.Version });
        Requests = meter.CreateCounter<long>("autotask.client.requests", "{request}", "Requests sent to Autotask.");
        Duration = meter.CreateHistogram<double>("autotask.client.request.duration", "s", "Time from sending a request to its answer, retries included.");
        Retries = meter.CreateCounter<long>("autotask.client.retries", "{retry}", "Requests retried after a transient failure.");
        Throttled = meter.CreateCounter<long>("autotask.client.throttled", "{request}", "Requests that waited because the database's hourly allowance (budget or pacing) was used up.");
        LimitFallbacks = meter.CreateCounter<long>("autotask.limits.fallbacks", "{fallback}", "Times the shared limits could not be used and in-process limits took over.");
        JobRuns = meter.CreateCounter<long>("autotask.jobs.runs", "{run}", "Job runs ended, by job and outcome.");
        JobItems = meter.CreateCounter<long>("autotask.jobs.items", "{item}", "Items job runs handled (subscriptions, digests, changes delivered).");
        JobWrites = meter.CreateCounter<long>("autotask.jobs.writes", "{write}", "Writes job runs made to Autotask.");
        JobDuration = meter.CreateHistogram<double>("autotask.jobs.duration", "s", "Time from a job run's start to its end.");
    }

    public Counter<long> JobRuns { get; }

    public Counter<long> JobItems { get; }

    public Counter<long> JobWrites { get; }

    public Histogram<double> JobDuration { get; }

    /// <summary>The SDK's meter, for observable instruments.</summary>
    public Meter Meter { get; }

    public Counter<long> LimitFallbacks { get; }

    public Counter<long> Requests { get; }

    public Histogram<double> Duration { get; }

    public Counter<long> Retries { get; }

    public Counter<long> Throttled { get; }

    /// <summary>The <c>error.type</c> of a failure: the exception's type name, or the HTTP status code of an error answer.</summary>
    public static string ErrorType(Exception exception) => exception switch
    {
        AutotaskRequestException { StatusCode: { } status } => ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture),
        OperationCanceledException => typeof(OperationCanceledException).FullName!,
        _ => exception.GetType().FullName!,
    };

    /// <summary>Marks the operation's activity as failed, with the <c>error.type</c> tag.</summary>
    public static void Fail(Activity? activity, Exception exception)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("error.type", ErrorType(exception));
        activity.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
    }
}
