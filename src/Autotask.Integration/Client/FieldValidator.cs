using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autotask.Integration.Json;
using Autotask.Integration.Metadata;
using Autotask.Integration.Querying;

namespace Autotask.Integration.Client;

/// <summary>How a record is written: what its fields must satisfy differs.</summary>
internal enum WriteKind
{
    Create,
    Update,
    Replace,
}

/// <summary>
/// Checks a record or a query against the instance's field metadata before it is sent: unknown fields, one field given
/// twice (names that differ only by case), required fields without a value, read-only fields set, values not of the
/// field's data type, strings longer than the field, and values that are not active picklist values.
/// </summary>
/// <remarks>
/// The value checks take what Autotask's own JSON reader takes, no more: an integer as a JSON number with no fraction
/// and within the type's range, or a string holding one (picklist values are listed as such strings); a decimal number
/// as a JSON number or an invariant numeric string; a boolean as <c>true</c> or <c>false</c> only (a boolean Autotask
/// keeps as 1 or 0, such as <c>Contacts.isActive</c>, is an integer field in its metadata); a date-time as an ISO 8601
/// string; a string as a JSON string; an object or an array as none of these. A data type the SDK does not know (such
/// as <c>object</c>) is not checked, but for the length of a string.
/// </remarks>
internal static class FieldValidator
{
    /// <summary>
    /// The longest string a field whose metadata gives no length takes: above Autotask's longest text fields (32,000
    /// characters, note descriptions), far below a runaway value.
    /// </summary>
    public const int DefaultMaxLength = 100_000;

    /// <summary>The longest base64 string without a length in metadata: 10,000,000 bytes (Autotask's attachment allowance per five minutes) encoded.</summary>
    public const int Base64MaxLength = 13_333_336;

    private enum ValueKind
    {
        Any,
        Int16,
        Int32,
        Int64,
        Byte,
        Double,
        Decimal,
        Boolean,
        DateTime,
        Text,
        Base64,
    }

    private static readonly FrozenDictionary<string, ValueKind> Kinds = new Dictionary<string, ValueKind>(StringComparer.OrdinalIgnoreCase)
    {
        ["short"] = ValueKind.Int16,
        ["int16"] = ValueKind.Int16,
        ["integer"] = ValueKind.Int32,
        ["int"] = ValueKind.Int32,
        ["int32"] = ValueKind.Int32,
        ["long"] = ValueKind.Int64,
        ["int64"] = ValueKind.Int64,
        ["byte"] = ValueKind.Byte,
        ["double"] = ValueKind.Double,
        ["float"] = ValueKind.Double,
        ["decimal"] = ValueKind.Decimal,
        ["currency"] = ValueKind.Decimal,
        ["boolean"] = ValueKind.Boolean,
        ["bool"] = ValueKind.Boolean,
        ["datetime"] = ValueKind.DateTime,
        ["date"] = ValueKind.DateTime,
        ["string"] = ValueKind.Text,
        ["base64"] = ValueKind.Base64,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    public static void Validate(string entity, IReadOnlyList<EntityField> fields, JsonObject body, WriteKind kind)
    {
        var byName = fields.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);
        RefuseDuplicates(entity, byName, body);
        foreach (var (name, value) in body)
        {
            if (name.Equals("id", StringComparison.OrdinalIgnoreCase) || name.Equals("userDefinedFields", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!byName.TryGetValue(name, out var field))
            {
                throw Fail(entity, name, AutotaskFieldProblem.UnknownField, $"{entity} has no field '{name}' in this Autotask instance.");
            }

            // A PUT carries the whole record as it was read, read-only fields included; Autotask keeps its own values.
            if (field.IsReadOnly && kind != WriteKind.Replace)
            {
                throw Fail(entity, field.Name, AutotaskFieldProblem.ReadOnly, $"{field.Name} of {entity} is read-only: Autotask sets it.");
            }

            if (field.IsRequired && !field.IsReadOnly && IsEmpty(value))
            {
                throw Fail(entity, field.Name, AutotaskFieldProblem.Required, $"{field.Name} of {entity} is required and cannot be empty.");
            }

            // A read-only field in a PUT is not written, whatever it holds.
            if (!field.IsReadOnly)
            {
                CheckValue(entity, field, value);
            }

            if (field.IsPickList && !IsEmpty(value) && field.PicklistValues is { Count: > 0 } values)
            {
                var text = value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : value!.ToJsonString();
                var found = values.FirstOrDefault(p => string.Equals(p.Value, text, StringComparison.OrdinalIgnoreCase));
                if (found is null)
                {
                    throw Fail(entity, field.Name, AutotaskFieldProblem.NotAPicklistValue,
                        $"{text} is not a value of the picklist {entity}.{field.Name} in this Autotask instance.");
                }

                if (!found.IsActive)
                {
                    throw Fail(entity, field.Name, AutotaskFieldProblem.InactivePicklistValue,
                        $"{text} ('{found.Label}') of the picklist {entity}.{field.Name} is inactive in this Autotask instance.");
                }
            }
        }

        if (kind == WriteKind.Update)
        {
            return;
        }

        foreach (var field in fields.Where(f => f.IsRequired && !f.IsReadOnly && !f.Name.Equals("id", StringComparison.OrdinalIgnoreCase)))
        {
            var value = body.FirstOrDefault(p => p.Key.Equals(field.Name, StringComparison.OrdinalIgnoreCase)).Value;
            if (IsEmpty(value))
            {
                throw Fail(entity, field.Name, AutotaskFieldProblem.Required, $"{field.Name} of {entity} is required.");
            }
        }
    }

    /// <summary>Checks the field names of filters: fields against the entity's fields, user-defined ones against its user-defined fields.</summary>
    public static void ValidateFilters(string entity, IReadOnlyList<EntityField> fields, IReadOnlyList<EntityField> userDefined, IEnumerable<QueryFilter> filters)
    {
        foreach (var filter in filters)
        {
            switch (filter)
            {
                case FieldFilter { IsUserDefinedField: true } udf when !userDefined.Any(f => f.Name.Equals(udf.Field, StringComparison.OrdinalIgnoreCase)):
                    throw Fail(entity, udf.Field, AutotaskFieldProblem.UnknownField, $"{entity} has no user-defined field '{udf.Field}' in this Autotask instance.");
                case FieldFilter { IsUserDefinedField: false } field when !fields.Any(f => f.Name.Equals(field.Field, StringComparison.OrdinalIgnoreCase)):
                    throw Fail(entity, field.Field, AutotaskFieldProblem.UnknownField, $"{entity} has no field '{field.Field}' in this Autotask instance.");
                case FilterGroup group:
                    ValidateFilters(entity, fields, userDefined, group.Filters);
                    break;
            }
        }
    }

    /// <summary>Refuses a record that names one field twice, in names that differ only by case: Autotask would keep one of them, unsaid which.</summary>
    private static void RefuseDuplicates(string entity, Dictionary<string, EntityField> byName, JsonObject body)
    {
        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, _) in body)
        {
            if (!seen.TryAdd(name, name))
            {
                var field = byName.TryGetValue(name, out var known) ? known.Name : seen[name];
                throw Fail(entity, field, AutotaskFieldProblem.DuplicateField,
                    $"The {entity} record holds '{seen[name]}' and '{name}': the field {field} twice, in names that differ only by case. Keep one.");
            }
        }
    }

    /// <summary>Refuses a value the field cannot hold: of another type than its data type, or a string longer than the field.</summary>
    private static void CheckValue(string entity, EntityField field, JsonNode? value)
    {
        if (value is null)
        {
            return;
        }

        var kind = field.DataType is { } type && Kinds.TryGetValue(type.Trim(), out var known) ? known : ValueKind.Any;
        if (value is not JsonValue scalar)
        {
            // Only a field of a type the SDK does not know (such as the catalogue's "object": a UDF definition's default value) may hold one.
            if (kind == ValueKind.Any)
            {
                return;
            }

            throw WrongType(entity, field, value is JsonArray ? "an array" : "an object");
        }

        var json = scalar.GetValueKind();
        var text = json == JsonValueKind.String ? StringOf(scalar) : null;
        var fits = kind switch
        {
            ValueKind.Int16 => Integer(json, scalar, text, short.MinValue, short.MaxValue),
            ValueKind.Int32 => Integer(json, scalar, text, int.MinValue, int.MaxValue),
            ValueKind.Int64 => Integer(json, scalar, text, long.MinValue, long.MaxValue),
            ValueKind.Byte => Integer(json, scalar, text, byte.MinValue, byte.MaxValue),
            ValueKind.Double => (text ?? Number(json, scalar)) is { } number &&
                double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real),
            ValueKind.Decimal => (text ?? Number(json, scalar)) is { } number && decimal.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
            ValueKind.Boolean => json is JsonValueKind.True or JsonValueKind.False,
            ValueKind.DateTime => text is not null && InstantConverter.Parse(text) is not null,
            ValueKind.Text or ValueKind.Base64 => text is not null,
            _ => true,
        };
        if (!fits)
        {
            throw WrongType(entity, field, Shown(scalar));
        }

        if (text is not null && kind is ValueKind.Text or ValueKind.Base64 or ValueKind.Any)
        {
            var given = field.Length is > 0;
            var max = given ? field.Length!.Value : kind == ValueKind.Base64 ? Base64MaxLength : DefaultMaxLength;
            if (text.Length > max)
            {
                throw Fail(entity, field.Name, AutotaskFieldProblem.TooLong,
                    $"{field.Name} of {entity} holds {text.Length.ToString("N0", CultureInfo.InvariantCulture)} characters, more than the {max.ToString("N0", CultureInfo.InvariantCulture)} it can" +
                    (given ? "." : " (the instance's metadata gives it no length; this is the SDK's bound for such fields)."));
            }
        }
    }

    /// <summary>An integer within the range: a JSON number written with no fraction or exponent, or a string holding one.</summary>
    private static bool Integer(JsonValueKind json, JsonValue scalar, string? text, long min, long max)
    {
        var digits = text ?? Number(json, scalar);
        return digits is not null &&
            long.TryParse(digits, text is null ? NumberStyles.AllowLeadingSign : NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) &&
            number >= min && number <= max;
    }

    /// <summary>A JSON number as it goes on the wire, or <c>null</c> for any other value.</summary>
    private static string? Number(JsonValueKind json, JsonValue scalar) => json == JsonValueKind.Number ? scalar.ToJsonString() : null;

    private static string StringOf(JsonValue scalar) =>
        scalar.TryGetValue<string>(out var text) ? text : JsonDocument.Parse(scalar.ToJsonString()).RootElement.GetString()!;

    /// <summary>A value for a message: its JSON, cut short.</summary>
    private static string Shown(JsonValue scalar)
    {
        var json = scalar.ToJsonString();
        return json.Length <= 40 ? json : json[..40] + "...";
    }

    private static AutotaskFieldException WrongType(string entity, EntityField field, string shown) =>
        Fail(entity, field.Name, AutotaskFieldProblem.WrongType,
            $"{field.Name} of {entity} is a{(field.DataType is ['a' or 'e' or 'i' or 'o' or 'u', ..] ? "n" : "")} {field.DataType ?? "scalar"} field in this Autotask instance; {shown} is not a value it holds.");

    private static bool IsEmpty(JsonNode? value) =>
        value is null || (value is JsonValue v && v.GetValueKind() == JsonValueKind.String && string.IsNullOrWhiteSpace(v.GetValue<string>()));

    private static AutotaskFieldException Fail(string entity, string field, AutotaskFieldProblem problem, string message) =>
        new(message, entity, field, problem);
}
