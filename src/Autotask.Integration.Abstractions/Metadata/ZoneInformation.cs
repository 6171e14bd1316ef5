namespace Autotask.Integration.Metadata;

/// <summary>The zone of an Autotask instance, as returned by <c>zoneInformation</c>.</summary>
public sealed record ZoneInformation
{
    /// <summary>The zone's name, such as <c>America East 3</c>.</summary>
    public string? ZoneName { get; init; }

    /// <summary>The base address of the zone's REST API, such as <c>https://webservices3.autotask.net/atservicesrest/</c>.</summary>
    public Uri? Url { get; init; }

    /// <summary>The address of the Autotask web UI for the zone.</summary>
    public Uri? WebUrl { get; init; }

    /// <summary>The identifier of the instance's database.</summary>
    public long? Ci { get; init; }
}
