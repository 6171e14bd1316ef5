using System.Text.Json.Serialization;
using Autotask.Integration.Metadata;

namespace Autotask.Integration.Json;

/// <summary>One page of a query's answer.</summary>
internal sealed class QueryResponse<T>
{
    public List<T>? Items { get; set; }

    public PageDetails? PageDetails { get; set; }
}

/// <summary>Paging information of a query page.</summary>
internal sealed class PageDetails
{
    public int Count { get; set; }

    public int RequestCount { get; set; }

    public string? PrevPageUrl { get; set; }

    public string? NextPageUrl { get; set; }
}

internal sealed class CountResponse
{
    public long QueryCount { get; set; }
}

internal sealed class ItemIdResponse
{
    public long ItemId { get; set; }
}

internal sealed class ErrorResponse
{
    public List<string?>? Errors { get; set; }
}

internal sealed class FieldsResponse
{
    public List<EntityField>? Fields { get; set; }
}

internal sealed class EntityInformationResponse
{
    public EntityInformation? Info { get; set; }
}

/// <summary>The answer of <c>zoneInformation</c>; the URL is read as text so that a malformed one is reported, not thrown.</summary>
internal sealed class ZoneInformationResponse
{
    public string? ZoneName { get; set; }

    public string? Url { get; set; }

    public string? WebUrl { get; set; }

    [JsonPropertyName("ci")]
    public long? Ci { get; set; }
}

/// <summary>An inbound watermark as the store keeps it: the instant delivered up to, and the versions delivered at or after it, as Unix ticks.</summary>
internal sealed record WatermarkState(
    [property: JsonPropertyName("at")] long? At,
    [property: JsonPropertyName("recent")] Dictionary<long, long>? Recent);
