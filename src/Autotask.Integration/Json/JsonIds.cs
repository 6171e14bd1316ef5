using System.Globalization;
using System.Text.Json.Nodes;

namespace Autotask.Integration.Json;

/// <summary>Reads an id from a JSON record, as a number or a number in a string (as the tolerant converters read them).</summary>
internal static class JsonIds
{
    /// <summary>The id, or <c>null</c> when the node is not a whole number.</summary>
    public static long? Read(JsonNode? node) =>
        node is JsonValue value && long.TryParse(value.ToJsonString().Trim('"'), NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) ? id : null;
}
