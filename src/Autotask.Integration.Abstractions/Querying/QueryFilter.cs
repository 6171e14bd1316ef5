namespace Autotask.Integration.Querying;

/// <summary>The comparison operators of Autotask query filters.</summary>
public enum FilterOperator
{
    /// <summary>Equal (<c>eq</c>).</summary>
    Eq,

    /// <summary>Not equal (<c>noteq</c>).</summary>
    NotEq,

    /// <summary>Greater than (<c>gt</c>).</summary>
    Gt,

    /// <summary>Greater than or equal (<c>gte</c>).</summary>
    Gte,

    /// <summary>Less than (<c>lt</c>).</summary>
    Lt,

    /// <summary>Less than or equal (<c>lte</c>).</summary>
    Lte,

    /// <summary>String starts with (<c>beginsWith</c>).</summary>
    BeginsWith,

    /// <summary>String ends with (<c>endsWith</c>).</summary>
    EndsWith,

    /// <summary>String contains (<c>contains</c>).</summary>
    Contains,

    /// <summary>The field has a value (<c>exist</c>); takes no value.</summary>
    Exist,

    /// <summary>The field has no value (<c>notExist</c>); takes no value.</summary>
    NotExist,

    /// <summary>The field equals one of a list of values (<c>in</c>).</summary>
    In,

    /// <summary>The field equals none of a list of values (<c>notIn</c>).</summary>
    NotIn,
}

/// <summary>How the filters of a <see cref="FilterGroup"/> combine.</summary>
public enum LogicalOperator
{
    /// <summary>All filters must match.</summary>
    And,

    /// <summary>At least one filter must match.</summary>
    Or,
}

/// <summary>A condition in an Autotask query: a <see cref="FieldFilter"/> or a <see cref="FilterGroup"/>.</summary>
public abstract class QueryFilter
{
    private protected QueryFilter()
    {
    }

    /// <summary>The most values an <c>in</c> or <c>notIn</c> list may hold; Autotask limits a query to 500 OR conditions.</summary>
    public const int MaxListValues = 500;

    /// <summary>
    /// How deep groups may nest: a group of field filters is 1 deep, a group holding such a group 2, and so on. Deeper
    /// filters are refused when the group is made, so no filter can be too deep to check, print or send.
    /// </summary>
    public const int MaxGroupDepth = 32;

    /// <summary>How deep the groups of this filter nest: 0 for a field filter.</summary>
    internal int Depth { get; private protected init; }
}

/// <summary>A comparison of one field with a value.</summary>
public sealed class FieldFilter : QueryFilter
{
    /// <summary>Creates a field filter, checking that the value fits the operator.</summary>
    /// <param name="field">The field's name, as Autotask spells it (for example <c>companyName</c>).</param>
    /// <param name="operator">The operator.</param>
    /// <param name="value">The value; <see cref="FilterValue.None"/> for <c>exist</c> and <c>notExist</c>, a list for <c>in</c> and <c>notIn</c>.</param>
    /// <param name="isUserDefinedField">Whether <paramref name="field"/> names a user-defined field.</param>
    /// <exception cref="ArgumentException">The field is empty, or the value does not fit the operator.</exception>
    public FieldFilter(string field, FilterOperator @operator, FilterValue value, bool isUserDefinedField = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(field);
        switch (@operator)
        {
            case FilterOperator.Exist or FilterOperator.NotExist when value.Kind != FilterValueKind.None:
                throw new ArgumentException($"The {@operator} operator takes no value (field '{field}').", nameof(value));
            case FilterOperator.In or FilterOperator.NotIn when value.Kind != FilterValueKind.List:
                throw new ArgumentException($"The {@operator} operator takes a list of values (field '{field}'); use FilterValue.List.", nameof(value));
            case FilterOperator.In or FilterOperator.NotIn when value.Items.Count == 0:
                throw new ArgumentException($"The {@operator} list for field '{field}' is empty.", nameof(value));
            case FilterOperator.In or FilterOperator.NotIn when value.Items.Count > MaxListValues:
                throw new ArgumentException($"The {@operator} list for field '{field}' has {value.Items.Count} values; Autotask accepts at most {MaxListValues}. Split the values into several queries.", nameof(value));
            case not (FilterOperator.Exist or FilterOperator.NotExist or FilterOperator.In or FilterOperator.NotIn) when value.Kind is FilterValueKind.None or FilterValueKind.List:
                throw new ArgumentException($"The {@operator} operator takes a single value (field '{field}'); to test for an empty field use NotExist.", nameof(value));
            case FilterOperator.BeginsWith or FilterOperator.EndsWith or FilterOperator.Contains when value.Kind != FilterValueKind.Text:
                throw new ArgumentException($"The {@operator} operator takes a string (field '{field}').", nameof(value));
        }

        Field = field;
        Operator = @operator;
        Value = value;
        IsUserDefinedField = isUserDefinedField;
    }

    /// <summary>The field's name.</summary>
    public string Field { get; }

    /// <summary>The operator.</summary>
    public FilterOperator Operator { get; }

    /// <summary>The value.</summary>
    public FilterValue Value { get; }

    /// <summary>Whether <see cref="Field"/> names a user-defined field (sent with <c>"udf": true</c>).</summary>
    public bool IsUserDefinedField { get; }

    /// <inheritdoc />
    public override string ToString() => $"{(IsUserDefinedField ? "udf:" : "")}{Field} {Operator} {Value}";
}

/// <summary>A group of filters combined with AND or OR; groups nest.</summary>
public sealed class FilterGroup : QueryFilter
{
    /// <summary>Creates a group.</summary>
    /// <param name="operator">How the filters combine.</param>
    /// <param name="filters">The filters; at least one.</param>
    /// <exception cref="ArgumentException">The group is empty, holds a <c>null</c>, or would nest deeper than <see cref="QueryFilter.MaxGroupDepth"/>.</exception>
    public FilterGroup(LogicalOperator @operator, IEnumerable<QueryFilter> filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        var items = filters.ToArray();
        if (items.Length == 0)
        {
            throw new ArgumentException("A filter group needs at least one filter.", nameof(filters));
        }

        if (items.Any(f => f is null))
        {
            throw new ArgumentException("A filter group cannot hold null.", nameof(filters));
        }

        // Each filter knows its own depth, so this needs no recursion however the groups were built.
        Depth = 1 + items.Max(f => f.Depth);
        if (Depth > MaxGroupDepth)
        {
            throw new ArgumentException($"Filter groups nest {Depth} deep; Autotask queries allow at most {MaxGroupDepth}. Flatten the conditions (an In filter replaces many Or groups).", nameof(filters));
        }

        Operator = @operator;
        Filters = items;
    }

    /// <summary>How the filters combine.</summary>
    public LogicalOperator Operator { get; }

    /// <summary>The filters of the group.</summary>
    public IReadOnlyList<QueryFilter> Filters { get; }

    /// <inheritdoc />
    public override string ToString() => "(" + string.Join($" {Operator} ", Filters) + ")";
}
