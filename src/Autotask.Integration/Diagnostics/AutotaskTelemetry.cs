using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Autotask.Integration;

/// <summary>
/// The names under which the SDK publishes traces and metrics, for <c>AddSource</c> and <c>AddMeter</c> in
/// OpenTelemetry or a <see cref="MeterListener"/>. The README lists every instrument and tag.
/// </summary>
/// <remarks>
/// The meter is created through the application's <see cref="IMeterFactory"/>, so each service provider has its
/// own: tests and hosts that run several providers do not see each other's measurements. No tag ever holds a
/// credential.
/// </remarks>
public static class AutotaskTelemetry
{
    /// <summary>The name of the <see cref="ActivitySource"/>: one activity per client operation.</summary>
    public const string ActivitySourceName = "Autotask.Integration";

    /// <summary>The name of the <see cref="Meter"/>.</summary>
    public const string MeterName = "Autotask.Integration";

    internal static readonly string? Version = typeof(AutotaskTelemetry).Assembly.GetName().Version?.ToString();

    internal static readonly ActivitySource Source = new(ActivitySourceName, Version);
}
