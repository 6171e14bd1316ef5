namespace Autotask.Integration.Metadata;

/// <summary>The request threshold of the Autotask database, from <c>ThresholdInformation</c>.</summary>
public sealed record ThresholdInformation
{
    /// <summary>The number of requests allowed per time frame (10,000 per hour by default).</summary>
    public int ExternalRequestThreshold { get; init; }

    /// <summary>The length of the time frame in minutes.</summary>
    public int RequestThresholdTimeframe { get; init; }

    /// <summary>The number of requests counted in the current time frame, by every integration of the database.</summary>
    public int CurrentTimeframeRequestCount { get; init; }
}
