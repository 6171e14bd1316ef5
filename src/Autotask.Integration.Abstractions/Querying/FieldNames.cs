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

    /// <summary>Whether Autotask keeps the property's value as a number although the model shows a boolean.</summary>
    public static bool IsNumericBoolean(PropertyInfo property) =>
        property.GetCustomAttribute<JsonConverterAttribute>()?.ConverterType == typeof(Entities.NumericBooleanConverter);

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
