using System.Linq.Expressions;
using Autotask.Integration.Entities;

namespace Autotask.Integration.Querying;

/// <summary>
/// An immutable query for entities of type <typeparamref name="T"/>: filters (combined with AND), the fields to
/// return, and the most records to return. Each method returns a new query.
/// </summary>
/// <typeparam name="T">The entity model.</typeparam>
/// <example>
/// <code>
/// var query = new AutotaskQuery&lt;Company&gt;()
///     .Where(Filter&lt;Company&gt;.Eq(c =&gt; c.IsActive, true))
///     .Where(Filter&lt;Company&gt;.BeginsWith(c =&gt; c.CompanyName, "Contoso"));
/// await foreach (var company in client.QueryAsync(query, cancellationToken)) { ... }
/// </code>
/// </example>
public sealed class AutotaskQuery<T> where T : AutotaskEntity, IQueryableEntity
{
    /// <summary>The most records one page holds.</summary>
    public const int MaxPageSize = 500;

    /// <summary>Creates a query that matches every entity.</summary>
    public AutotaskQuery()
    {
    }

    private AutotaskQuery(IReadOnlyList<QueryFilter> filters, IReadOnlyList<string>? includeFields, int? maxRecords)
    {
        Filters = filters;
        IncludeFields = includeFields;
        MaxRecords = maxRecords;
    }

    /// <summary>The filters; all must match. An empty list matches every entity.</summary>
    public IReadOnlyList<QueryFilter> Filters { get; } = [];

    /// <summary>The fields to return, or <c>null</c> for every field. The client always adds <c>id</c>.</summary>
    public IReadOnlyList<string>? IncludeFields { get; }

    /// <summary>The most records the query returns in all, or <c>null</c> for all of them.</summary>
    public int? MaxRecords { get; }

    /// <summary>Adds filters that must all match.</summary>
    /// <param name="filters">The filters.</param>
    public AutotaskQuery<T> Where(params QueryFilter[] filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        if (filters.Any(f => f is null))
        {
            throw new ArgumentException("A filter cannot be null.", nameof(filters));
        }

        return new([.. Filters, .. filters], IncludeFields, MaxRecords);
    }

    /// <summary>Returns only the named fields (as Autotask spells them) and <c>id</c>.</summary>
    /// <param name="fields">The field names.</param>
    public AutotaskQuery<T> Include(params string[] fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        foreach (var field in fields)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(field, nameof(fields));
        }

        return new(Filters, [.. IncludeFields ?? [], .. fields], MaxRecords);
    }

    /// <summary>Returns only the given fields of the model and <c>id</c>; the other properties are left empty.</summary>
    /// <param name="fields">The fields, such as <c>c =&gt; c.CompanyName</c>.</param>
    public AutotaskQuery<T> Include(params Expression<Func<T, object?>>[] fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        return Include(fields.Select(FieldNames.Of).ToArray());
    }

    /// <summary>Returns at most <paramref name="maxRecords"/> records in all.</summary>
    /// <param name="maxRecords">The most records, at least 1.</param>
    public AutotaskQuery<T> Take(int maxRecords)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRecords, 1);
        return new(Filters, IncludeFields, maxRecords);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{typeof(T).Name} where {(Filters.Count == 0 ? "(all)" : string.Join(" And ", Filters))}" +
        (MaxRecords is { } max ? $" take {max}" : "");
}
