using System.Text.Json;
using System.Text.Json.Nodes;
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
/// Checks a record or a query against the instance's field metadata before it is sent: unknown fields, required
/// fields without a value, read-only fields set, and values that are not active picklist values.
/// </summary>
internal static class FieldValidator
{
    public static void Validate(string entity, IReadOnlyList<EntityField> fields, JsonObject body, WriteKind kind)
    {
        var byName = fields.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);
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

    private static bool IsEmpty(JsonNode? value) =>
        value is null || (value is JsonValue v && v.GetValueKind() == JsonValueKind.String && string.IsNullOrWhiteSpace(v.GetValue<string>()));

    private static AutotaskFieldException Fail(string entity, string field, AutotaskFieldProblem problem, string message) =>
        new(message, entity, field, problem);
}
