using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Autotask.Integration;

/// <summary>Turns model members into the field names Autotask uses on the wire.</summary>
internal static class FieldNames
{
    public static string Of(MemberInfo member) =>
        member.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(member.Name);

    public static string Of<T, TValue>(Expression<Func<T, TValue>> field) => Of(PropertyOf(field));

    /// <summary>
    /// What a value of the property is on the wire, for filters and patches alike: a picklist value's id, 1 or 0 for a
    /// boolean Autotask keeps as a number, anything else as it is.
    /// </summary>
    public static object? ToWire(PropertyInfo property, object? value) => value switch
    {
        Entities.IPicklistValue picklist => picklist.Value,
        bool flag when property.GetCustomAttribute<JsonConverterAttribute>()?.ConverterType == typeof(Entities.NumericBooleanConverter) => flag ? 1 : 0,
        _ => value,
    };

    public static PropertyInfo PropertyOf<T, TValue>(Expression<Func<T, TValue>> field)
    {
        ArgumentNullException.ThrowIfNull(field);
        var body = field.Body;
        while (body is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked } unary)
        {
            body = unary.Operand;
        }

        if (body is MemberExpression { Member: PropertyInfo property } member && member.Expression is ParameterExpression)
        {
            return property;
        }

        throw new ArgumentException($"'{field}' does not name a property of {typeof(T).Name}; write it as x => x.Property.", nameof(field));
    }
}
