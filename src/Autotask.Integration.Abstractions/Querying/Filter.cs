using System.Linq.Expressions;
using Autotask.Integration.Entities;

namespace Autotask.Integration.Querying;

/// <summary>Builds filters by field name, for user-defined fields and for combining filters into groups.</summary>
/// <remarks>Prefer <see cref="Filter{T}"/>, which takes the field from the model so that the name cannot be misspelt.</remarks>
public static class Filter
{
    /// <summary>A comparison of a field, named as Autotask spells it, with a value.</summary>
    /// <param name="field">The field's name, such as <c>companyName</c>.</param>
    /// <param name="operator">The operator.</param>
    /// <param name="value">The value (none for <c>exist</c>/<c>notExist</c>, a list for <c>in</c>/<c>notIn</c>).</param>
    public static FieldFilter Field(string field, FilterOperator @operator, FilterValue value = default) => new(field, @operator, value);

    /// <summary>A comparison of a user-defined field with a value (sent with <c>"udf": true</c>).</summary>
    /// <param name="name">The user-defined field's name.</param>
    /// <param name="operator">The operator.</param>
    /// <param name="value">The value.</param>
    public static FieldFilter Udf(string name, FilterOperator @operator, FilterValue value = default) => new(name, @operator, value, isUserDefinedField: true);

    /// <summary>A group that matches when every filter matches.</summary>
    /// <param name="filters">The filters.</param>
    public static FilterGroup And(params QueryFilter[] filters) => new(LogicalOperator.And, filters);

    /// <summary>A group that matches when at least one filter matches.</summary>
    /// <param name="filters">The filters.</param>
    public static FilterGroup Or(params QueryFilter[] filters) => new(LogicalOperator.Or, filters);
}

/// <summary>Builds filters on the fields of the model <typeparamref name="T"/>, named by expressions such as <c>c =&gt; c.CompanyName</c>.</summary>
/// <typeparam name="T">The entity model.</typeparam>
public static class Filter<T> where T : AutotaskEntity
{
    /// <summary>The field equals the value.</summary>
    /// <typeparam name="TValue">The field's type.</typeparam>
    /// <param name="field">The field, such as <c>c =&gt; c.CompanyType</c>.</param>
    /// <param name="value">The value; not <c>null</c> (use <see cref="NotExist{TValue}"/>).</param>
    public static FieldFilter Eq<TValue>(Expression<Func<T, TValue>> field, TValue value) => Make(field, FilterOperator.Eq, value);

    /// <summary>The field does not equal the value.</summary>
    /// <typeparam name="TValue">The field's type.</typeparam>
    /// <param name="field">The field.</param>
    /// <param name="value">The value.</param>
    public static FieldFilter NotEq<TValue>(Expression<Func<T, TValue>> field, TValue value) => Make(field, FilterOperator.NotEq, value);

    /// <summary>The field is greater than the value.</summary>
    /// <typeparam name="TValue">The field's type.</typeparam>
    /// <param name="field">The field.</param>
    /// <param name="value">The value.</param>
    public static FieldFilter Gt<TValue>(Expression<Func<T, TValue>> field, TValue value) => Make(field, FilterOperator.Gt, value);

    /// <summary>The field is greater than or equal to the value.</summary>
    /// <typeparam name="TValue">The field's type.</typeparam>
    /// <param name="field">The field.</param>
    /// <param name="value">The value.</param>
    public static FieldFilter Gte<TValue>(Expression<Func<T, TValue>> field, TValue value) => Make(field, FilterOperator.Gte, value);

    /// <summary>The field is less than the value.</summary>
    /// <typeparam name="TValue">The field's type.</typeparam>
    /// <param name="field">The field.</param>
    /// <param name="value">The value.</param>
    public static FieldFilter Lt<TValue>(Expression<Func<T, TValue>> field, TValue value) => Make(field, FilterOperator.Lt, value);

    /// <summary>The field is less than or equal to the value.</summary>
    /// <typeparam name="TValue">The field's type.</typeparam>
    /// <param name="field">The field.</param>
    /// <param name="value">The value.</param>
    public static FieldFilter Lte<TValue>(Expression<Func<T, TValue>> field, TValue value) => Make(field, FilterOperator.Lte, value);

    /// <summary>The string field starts with the text.</summary>
    /// <param name="field">The field.</param>
    /// <param name="text">The text.</param>
    public static FieldFilter BeginsWith(Expression<Func<T, string?>> field, string text) => Make(field, FilterOperator.BeginsWith, text);

    /// <summary>The string field ends with the text.</summary>
    /// <param name="field">The field.</param>
    /// <param name="text">The text.</param>
    public static FieldFilter EndsWith(Expression<Func<T, string?>> field, string text) => Make(field, FilterOperator.EndsWith, text);

    /// <summary>The string field contains the text.</summary>
    /// <param name="field">The field.</param>
    /// <param name="text">The text.</param>
    public static FieldFilter Contains(Expression<Func<T, string?>> field, string text) => Make(field, FilterOperator.Contains, text);

    /// <summary>The field has a value.</summary>
    /// <typeparam name="TValue">The field's type.</typeparam>
    /// <param name="field">The field.</param>
    public static FieldFilter Exist<TValue>(Expression<Func<T, TValue>> field) => new(FieldNames.Of(field), FilterOperator.Exist, FilterValue.None);

    /// <summary>The field has no value.</summary>
    /// <typeparam name="TValue">The field's type.</typeparam>
    /// <param name="field">The field.</param>
    public static FieldFilter NotExist<TValue>(Expression<Func<T, TValue>> field) => new(FieldNames.Of(field), FilterOperator.NotExist, FilterValue.None);

    /// <summary>The field equals one of the values (at most <see cref="QueryFilter.MaxListValues"/>).</summary>
    /// <typeparam name="TValue">The field's type.</typeparam>
    /// <param name="field">The field.</param>
    /// <param name="values">The values.</param>
    public static FieldFilter In<TValue>(Expression<Func<T, TValue>> field, IEnumerable<TValue> values) =>
        new(FieldNames.Of(field), FilterOperator.In, FilterValue.List(values));

    /// <summary>The field equals none of the values (at most <see cref="QueryFilter.MaxListValues"/>).</summary>
    /// <typeparam name="TValue">The field's type.</typeparam>
    /// <param name="field">The field.</param>
    /// <param name="values">The values.</param>
    public static FieldFilter NotIn<TValue>(Expression<Func<T, TValue>> field, IEnumerable<TValue> values) =>
        new(FieldNames.Of(field), FilterOperator.NotIn, FilterValue.List(values));

    private static FieldFilter Make<TValue>(Expression<Func<T, TValue>> field, FilterOperator @operator, TValue value)
    {
        var property = FieldNames.PropertyOf(field);
        var name = FieldNames.Of(property);
        var filterValue = FilterValue.From(FieldNames.ToWire(property, value));
        if (filterValue.Kind == FilterValueKind.None)
        {
            throw new ArgumentException($"The value for field '{name}' is null; to test for an empty field use NotExist.", nameof(value));
        }

        return new FieldFilter(name, @operator, filterValue);
    }
}
