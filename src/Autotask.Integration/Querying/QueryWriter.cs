using System.Buffers;
using System.Text.Json;
using Autotask.Integration.Json;
using NodaTime;

namespace Autotask.Integration.Querying;

/// <summary>Writes a query as Autotask's search object: <c>{"filter":[...],"IncludeFields":[...],"MaxRecords":n}</c>.</summary>
internal static class QueryWriter
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    /// <summary>Checks every field the query names against the model, before anything is sent.</summary>
    public static void Validate(string entityPath, IReadOnlySet<string> fieldNames, IReadOnlyList<QueryFilter> filters, IReadOnlyList<string>? includeFields)
    {
        foreach (var filter in filters)
        {
            ValidateFilter(entityPath, fieldNames, filter);
        }

        if (includeFields is not null)
        {
            foreach (var field in includeFields)
            {
                if (!fieldNames.Contains(field))
                {
                    throw new ArgumentException($"'{field}' is not a field of {entityPath}; IncludeFields can name only the model's fields.", nameof(includeFields));
                }
            }
        }
    }

    private static void ValidateFilter(string entityPath, IReadOnlySet<string> fieldNames, QueryFilter filter)
    {
        switch (filter)
        {
            case FieldFilter { IsUserDefinedField: false } field when !fieldNames.Contains(field.Field):
                throw new ArgumentException($"'{field.Field}' is not a field of {entityPath}. Filter on the model's fields, or use Filter.Udf for a user-defined field.", nameof(filter));
            case FilterGroup group:
                foreach (var inner in group.Filters)
                {
                    ValidateFilter(entityPath, fieldNames, inner);
                }

                break;
        }
    }

    public static byte[] Write(IReadOnlyList<QueryFilter> filters, IReadOnlyList<string>? includeFields, int? maxRecords)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("filter");
            if (filters.Count == 0)
            {
                // Autotask wants at least one condition; this one matches every entity.
                writer.WriteStartObject();
                writer.WriteString("op", "gte");
                writer.WriteString("field", "id");
                writer.WriteNumber("value", 0);
                writer.WriteEndObject();
            }

            foreach (var filter in filters)
            {
                WriteFilter(writer, filter);
            }

            writer.WriteEndArray();

            if (includeFields is { Count: > 0 })
            {
                writer.WriteStartArray("IncludeFields");
                var written = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "id" };
                writer.WriteStringValue("id");
                foreach (var field in includeFields)
                {
                    if (written.Add(field))
                    {
                        writer.WriteStringValue(field);
                    }
                }

                writer.WriteEndArray();
            }

            if (maxRecords is { } max)
            {
                writer.WriteNumber("MaxRecords", max);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteFilter(Utf8JsonWriter writer, QueryFilter filter)
    {
        writer.WriteStartObject();
        switch (filter)
        {
            case FieldFilter field:
                writer.WriteString("op", OperatorName(field.Operator));
                writer.WriteString("field", field.Field);
                if (field.IsUserDefinedField)
                {
                    writer.WriteBoolean("udf", true);
                }

                if (field.Value.Kind != FilterValueKind.None)
                {
                    writer.WritePropertyName("value");
                    WriteValue(writer, field.Value);
                }

                break;
            case FilterGroup group:
                writer.WriteString("op", group.Operator == LogicalOperator.And ? "and" : "or");
                writer.WriteStartArray("items");
                foreach (var inner in group.Filters)
                {
                    WriteFilter(writer, inner);
                }

                writer.WriteEndArray();
                break;
            default:
                throw new ArgumentException($"Unknown filter type {filter.GetType().Name}.", nameof(filter));
        }

        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, FilterValue value)
    {
        switch (value.Kind)
        {
            case FilterValueKind.Text:
                writer.WriteStringValue((string)value.Value!);
                break;
            case FilterValueKind.WholeNumber:
                writer.WriteNumberValue((long)value.Value!);
                break;
            case FilterValueKind.DecimalNumber:
                writer.WriteNumberValue((decimal)value.Value!);
                break;
            case FilterValueKind.Boolean:
                writer.WriteBooleanValue((bool)value.Value!);
                break;
            case FilterValueKind.Instant:
                writer.WriteStringValue(InstantConverter.Format((Instant)value.Value!));
                break;
            case FilterValueKind.Date:
                writer.WriteStringValue(LocalDateConverter.Format((LocalDate)value.Value!));
                break;
            case FilterValueKind.List:
                writer.WriteStartArray();
                foreach (var item in value.Items)
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    internal static string OperatorName(FilterOperator op) => op switch
    {
        FilterOperator.Eq => "eq",
        FilterOperator.NotEq => "noteq",
        FilterOperator.Gt => "gt",
        FilterOperator.Gte => "gte",
        FilterOperator.Lt => "lt",
        FilterOperator.Lte => "lte",
        FilterOperator.BeginsWith => "beginsWith",
        FilterOperator.EndsWith => "endsWith",
        FilterOperator.Contains => "contains",
        FilterOperator.Exist => "exist",
        FilterOperator.NotExist => "notExist",
        FilterOperator.In => "in",
        FilterOperator.NotIn => "notIn",
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown filter operator."),
    };
}
