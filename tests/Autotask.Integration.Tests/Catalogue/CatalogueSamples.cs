using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Autotask.Integration.Entities;
using Autotask.Integration.Generator;
using Autotask.Integration.Json;
using Autotask.Integration.Tests.Support;

namespace Autotask.Integration.Tests.Catalogue;

/// <summary>
/// The REST catalogue as the tests read it (the checked-in JSON, not the generated code), and a full record of any
/// entity: every field set to a value of its catalogue type, distinct per field so that a swapped field shows.
/// </summary>
internal static class CatalogueSamples
{
    private static readonly Lazy<IReadOnlyList<CatalogueGenerator.Entity>> Catalogue = new(() =>
        CatalogueGenerator.Read(File.ReadAllText(Path.Combine(Repository.Root, CatalogueGenerator.CataloguePath))));

    public static IReadOnlyList<CatalogueGenerator.Entity> Entities => Catalogue.Value;

    /// <summary>The modelled entities' names, as theory data.</summary>
    public static TheoryData<string> Modelled()
    {
        var data = new TheoryData<string>();
        foreach (var entity in Entities.Where(e => e.TypeName is not null))
        {
            data.Add(entity.Name);
        }

        return data;
    }

    public static CatalogueGenerator.Entity Entity(string name) => Entities.Single(e => e.Name == name);

    public static Type ModelOf(string name) => EntityCatalog.ByName[name].ModelType;

    /// <summary>A record with every catalogue field set; <paramref name="variant"/> changes every value.</summary>
    public static JsonObject Record(string name, int variant = 0)
    {
        var entity = Entity(name);
        var properties = AutotaskEntityJsonContext.Default.GetTypeInfo(ModelOf(name))!.Properties
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        var record = new JsonObject();
        for (var i = 0; i < entity.Fields.Count; i++)
        {
            var field = entity.Fields[i];
            long n = i + 1 + (variant * 1000);
            var clr = properties.TryGetValue(field.Name, out var property) ? Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType : null;
            record[field.Name] = field.Name == "id" ? 0L : field.Type switch
            {
                // A hand-written model may keep a number Autotask uses as a flag as a boolean (contacts' isActive).
                "int32" or "int64" when clr == typeof(bool) => 1L,
                "int32" or "int64" => n,
                "double" or "decimal" => n + 0.25m,
                "boolean" => n % 2 == 0,
                "datetime" => $"2026-{1 + (n % 12):00}-{1 + (n % 28):00}T00:00:00Z",
                "base64" => Convert.ToBase64String([(byte)n, 2, 3]),
                "object" => new JsonObject { ["v"] = n },
                _ => $"{field.Name} {n}",
            };
        }

        record.Remove("id");
        return record;
    }

    /// <summary>Whether two wire values mean the same: numbers by value, dates by instant (or by day for a date-only value), the rest as text.</summary>
    public static bool Same(JsonNode? expected, JsonNode? actual)
    {
        if (expected is null || actual is null)
        {
            return expected is null && actual is null;
        }

        if (expected is JsonObject || actual is JsonObject)
        {
            return JsonNode.DeepEquals(expected, actual);
        }

        var e = expected.AsValue();
        var a = actual.AsValue();
        if (e.GetValueKind() == JsonValueKind.Number && a.GetValueKind() == JsonValueKind.Number)
        {
            return decimal.Parse(e.ToJsonString(), CultureInfo.InvariantCulture) == decimal.Parse(a.ToJsonString(), CultureInfo.InvariantCulture);
        }

        if (e.GetValueKind() == JsonValueKind.String && a.GetValueKind() == JsonValueKind.String &&
            DateTimeOffset.TryParse(e.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var ed) &&
            DateTimeOffset.TryParse(a.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var ad))
        {
            return ed == ad;
        }

        return e.ToJsonString() == a.ToJsonString();
    }

    /// <summary>The fields of <paramref name="expected"/> whose values <paramref name="actual"/> lacks or differs in, named.</summary>
    public static IReadOnlyList<string> Differences(JsonObject expected, JsonObject actual, params string[] ignored)
    {
        var byName = actual.ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);
        return expected
            .Where(p => !ignored.Contains(p.Key, StringComparer.OrdinalIgnoreCase))
            .Where(p => !byName.TryGetValue(p.Key, out var value) || !Same(p.Value, value))
            .Select(p => $"{p.Key}: sent {p.Value?.ToJsonString()}, got {(byName.TryGetValue(p.Key, out var v) ? v?.ToJsonString() : "(missing)")}")
            .ToArray();
    }

    /// <summary>Reads a record into its model, as the client does.</summary>
    public static object ToModel(string name, JsonObject record) =>
        record.Deserialize(AutotaskEntityJsonContext.Default.GetTypeInfo(ModelOf(name))!)!;

    /// <summary>Writes a model as the client sends it.</summary>
    public static JsonObject ToJson(string name, object model) =>
        JsonSerializer.SerializeToNode(model, AutotaskEntityJsonContext.Default.GetTypeInfo(ModelOf(name))!)!.AsObject();

    /// <summary>A text field the model holds as a string, to change in updates (not the parent's id, not one Autotask sets).</summary>
    public static PropertyInfo? TextProperty(string name)
    {
        var fields = Entity(name).Fields.Where(f => f.Type == "string").Select(f => f.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return ModelOf(name).GetProperties().FirstOrDefault(p => p.PropertyType == typeof(string) && fields.Contains(WireName(name, p)));
    }

    /// <summary>The wire name of a model property (read from the attribute: net8.0's source-generated metadata does not link back to properties).</summary>
    public static string WireName(string name, PropertyInfo property) =>
        property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(property.Name);
}
