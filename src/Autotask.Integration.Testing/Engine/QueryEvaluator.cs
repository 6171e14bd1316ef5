using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Autotask.Integration.Entities;
using Autotask.Integration.Testing.Json;
using NodaTime;

namespace Autotask.Integration.Testing.Engine;

/// <summary>How a query reads the rows of a table: a field by name (<c>null</c> when there is no such field) and a user-defined field.</summary>
internal sealed record FieldReaders(Func<string, Func<object, object?>?> Field, Func<string, Func<object, object?>> Udf);

/// <summary>A parsed Autotask search object: filters, included fields and page size.</summary>
internal sealed class ParsedQuery
{
    public required Func<object, bool> Matches { get; init; }

    public IReadOnlyList<string>? IncludeFields { get; init; }

    public int? MaxRecords { get; init; }
}

/// <summary>
/// Parses and evaluates Autotask search objects the way Autotask does: every operator, nested and/or groups, UDF
/// filters, case-insensitive text comparison, booleans only as true/false, unknown fields refused.
/// </summary>
internal static class QueryEvaluator
{
    /// <summary>The readers of a typed model's fields and user-defined fields.</summary>
    public static FieldReaders Readers(IReadOnlyDictionary<string, JsonPropertyInfo> fields) =>
        new(name => TypedField(fields, name), name => entity => (entity as IHasUserDefinedFields)?.GetUserDefinedField(name));

    /// <summary>Reads a field of a typed model: what Autotask stores, a picklist value's id and 1 or 0 for a boolean kept as a number.</summary>
    private static Func<object, object?>? TypedField(IReadOnlyDictionary<string, JsonPropertyInfo> fields, string name)
    {
        if (!fields.TryGetValue(name, out var info) || info.Get is not { } getter)
        {
            return null;
        }

        var numericBoolean = info.CustomConverter is NumericBooleanConverter;
        return entity => getter(entity) switch
        {
            IPicklistValue picklist => picklist.Value,
            bool flag when numericBoolean => flag ? 1 : 0,
            var other => other,
        };
    }

    /// <summary>Parses a search object over rows whose fields the readers give.</summary>
    public static ParsedQuery Parse(string search, string entityPath, FieldReaders fields)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(search);
        }
        catch (JsonException)
        {
            throw SimulatorException.Invalid("The search object is not valid JSON.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw SimulatorException.Invalid("The search object must be a JSON object.");
            }

            JsonElement filter = default;
            IReadOnlyList<string>? include = null;
            int? maxRecords = null;
            foreach (var property in root.EnumerateObject())
            {
                if (property.NameEquals("filter") || property.Name.Equals("filter", StringComparison.OrdinalIgnoreCase))
                {
                    filter = property.Value.Clone();
                }
                else if (property.Name.Equals("IncludeFields", StringComparison.OrdinalIgnoreCase))
                {
                    include = property.Value.ValueKind == JsonValueKind.Array
                        ? property.Value.EnumerateArray().Select(e => e.GetString() ?? "").ToArray()
                        : throw SimulatorException.Invalid("IncludeFields must be an array of field names.");
                    foreach (var name in include)
                    {
                        if (fields.Field(name) is null)
                        {
                            throw SimulatorException.Invalid($"Unable to find {name} in the {entityPath} entity.");
                        }
                    }
                }
                else if (property.Name.Equals("MaxRecords", StringComparison.OrdinalIgnoreCase))
                {
                    if (!property.Value.TryGetInt32(out var max) || max < 1 || max > 500)
                    {
                        throw SimulatorException.Invalid("MaxRecords must be a whole number from 1 to 500.");
                    }

                    maxRecords = max;
                }
            }

            if (filter.ValueKind != JsonValueKind.Array || filter.GetArrayLength() == 0)
            {
                throw SimulatorException.Invalid("The search object needs a filter with at least one condition.");
            }

            var conditions = filter.EnumerateArray().Select(f => ParseFilter(f, entityPath, fields)).ToArray();
            return new ParsedQuery
            {
                Matches = entity => conditions.All(c => c(entity)),
                IncludeFields = include,
                MaxRecords = maxRecords,
            };
        }
    }

    private static Func<object, bool> ParseFilter(JsonElement filter, string entityPath, FieldReaders fields)
    {
        if (filter.ValueKind != JsonValueKind.Object)
        {
            throw SimulatorException.Invalid("A filter must be a JSON object.");
        }

        var op = Property(filter, "op")?.GetString()?.ToLowerInvariant() ?? throw SimulatorException.Invalid("A filter has no 'op'.");
        if (op is "and" or "or")
        {
            var items = Property(filter, "items");
            if (items is not { ValueKind: JsonValueKind.Array } array || array.GetArrayLength() == 0)
            {
                throw SimulatorException.Invalid($"An '{op}' group needs 'items'.");
            }

            var inner = array.EnumerateArray().Select(i => ParseFilter(i, entityPath, fields)).ToArray();
            return op == "and" ? entity => inner.All(c => c(entity)) : entity => inner.Any(c => c(entity));
        }

        var field = Property(filter, "field")?.GetString() ?? throw SimulatorException.Invalid($"The '{op}' filter has no 'field'.");
        var isUdf = Property(filter, "udf") is { ValueKind: JsonValueKind.True };
        var value = Property(filter, "value")?.Clone();

        var read = isUdf
            ? fields.Udf(field)
            : fields.Field(field) ?? throw SimulatorException.Invalid($"Unable to find {field} in the {entityPath} entity.");

        switch (op)
        {
            case "exist":
                return entity => read(entity) is { } v && !(v is string s && s.Length == 0);
            case "notexist":
                return entity => read(entity) is null or "";
            case "in" or "notin":
                if (value is not { ValueKind: JsonValueKind.Array } list)
                {
                    throw SimulatorException.Invalid($"The '{op}' filter on {field} needs an array value.");
                }

                if (list.GetArrayLength() > 500)
                {
                    throw SimulatorException.Invalid($"The '{op}' filter on {field} has more than 500 values.");
                }

                var options = list.EnumerateArray().Select(e => e.Clone()).ToArray();
                Func<object, bool> contains;
                if (options.All(o => o.ValueKind == JsonValueKind.Number))
                {
                    // Whole-number lists (ids) are the common case: look them up instead of comparing each.
                    var numbers = options.Select(o => o.GetDecimal()).ToHashSet();
                    contains = v => v is long or int or short or decimal
                        ? numbers.Contains(Convert.ToDecimal(v, CultureInfo.InvariantCulture))
                        : options.Any(o => Compare(v, o, field) == 0);
                }
                else
                {
                    contains = v => options.Any(o => Compare(v, o, field) == 0);
                }

                return op == "in"
                    ? entity => read(entity) is { } v && contains(v)
                    : entity => read(entity) is not { } v || !contains(v);
        }

        if (value is not { } expected || expected.ValueKind == JsonValueKind.Null)
        {
            throw SimulatorException.Invalid($"The '{op}' filter on {field} needs a value.");
        }

        return op switch
        {
            "eq" => entity => read(entity) is { } v && Compare(v, expected, field) == 0,
            "noteq" => entity => read(entity) is not { } v || Compare(v, expected, field) != 0,
            "gt" => entity => read(entity) is { } v && Compare(v, expected, field) > 0,
            "gte" => entity => read(entity) is { } v && Compare(v, expected, field) >= 0,
            "lt" => entity => read(entity) is { } v && Compare(v, expected, field) < 0,
            "lte" => entity => read(entity) is { } v && Compare(v, expected, field) <= 0,
            "beginswith" => Text(read, expected, field, (a, b) => a.StartsWith(b, StringComparison.OrdinalIgnoreCase)),
            "endswith" => Text(read, expected, field, (a, b) => a.EndsWith(b, StringComparison.OrdinalIgnoreCase)),
            "contains" => Text(read, expected, field, (a, b) => a.Contains(b, StringComparison.OrdinalIgnoreCase)),
            _ => throw SimulatorException.Invalid($"'{op}' is not a filter operator."),
        };
    }

    private static Func<object, bool> Text(Func<object, object?> read, JsonElement expected, string field, Func<string, string, bool> test)
    {
        if (expected.ValueKind != JsonValueKind.String)
        {
            throw SimulatorException.Invalid($"The text filter on {field} needs a string value.");
        }

        var text = expected.GetString()!;
        return entity => read(entity) is { } v && test(Convert.ToString(v, CultureInfo.InvariantCulture) ?? "", text);
    }

    /// <summary>Compares a stored value with a filter value; throws Autotask's error for a value of the wrong kind.</summary>
    private static int Compare(object actual, JsonElement expected, string field)
    {
        switch (actual)
        {
            case bool b:
                if (expected.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    throw SimulatorException.Invalid($"The value for {field} must be true or false.");
                }

                return b.CompareTo(expected.GetBoolean());
            case long or int or short or decimal or double:
                var number = Convert.ToDecimal(actual, CultureInfo.InvariantCulture);
                if (expected.ValueKind == JsonValueKind.Number)
                {
                    return number.CompareTo(expected.GetDecimal());
                }

                if (expected.ValueKind == JsonValueKind.String && decimal.TryParse(expected.GetString(), NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed))
                {
                    return number.CompareTo(parsed);
                }

                throw SimulatorException.Invalid($"The value for {field} must be a number.");
            case Instant instant:
                return instant.CompareTo(ReadInstant(expected, field));
            case LocalDate date:
                return date.CompareTo(ReadDate(expected, field));
            default:
                var text = expected.ValueKind switch
                {
                    JsonValueKind.String => expected.GetString()!,
                    JsonValueKind.Number => expected.GetRawText(),
                    _ => throw SimulatorException.Invalid($"The value for {field} must be text."),
                };
                var stored = Convert.ToString(actual, CultureInfo.InvariantCulture) ?? "";
                if (decimal.TryParse(stored, NumberStyles.Number, CultureInfo.InvariantCulture, out var a) &&
                    decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var e))
                {
                    return a.CompareTo(e);
                }

                return string.Compare(stored, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    private static Instant ReadInstant(JsonElement value, string field) =>
        (value.ValueKind == JsonValueKind.String ? InstantConverter.Parse(value.GetString()) : null)
        ?? throw SimulatorException.Invalid($"The value for {field} must be a date and time.");

    private static LocalDate ReadDate(JsonElement value, string field) =>
        (value.ValueKind == JsonValueKind.String ? LocalDateConverter.Parse(value.GetString()) : null)
        ?? throw SimulatorException.Invalid($"The value for {field} must be a date.");

    private static JsonElement? Property(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }
}
