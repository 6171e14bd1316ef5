using System.Globalization;
using System.Text.Json.Serialization.Metadata;
using Autotask.Integration.Json;

namespace Autotask.Integration.Entities;

/// <summary>What paging needs of an entity: its URL segment, how to read a page of it, and a record's id.</summary>
internal interface IPagedEntity<T>
{
    string Path { get; }

    /// <summary>Reads a page from an answer's body.</summary>
    ValueTask<QueryResponse<T>?> ReadPageAsync(Stream stream, CancellationToken cancellationToken);

    long IdOf(T item);
}

/// <summary>What the client knows of one entity model: its catalogue entry (URLs and operations), serialiser metadata and field names.</summary>
internal sealed class EntityDescriptor<T> : IPagedEntity<T> where T : AutotaskEntity
{
    public static readonly EntityDescriptor<T> Instance = new();

    private readonly Dictionary<string, Func<object, object?>> _getters;

    private EntityDescriptor()
    {
        Entity = EntityCatalog.ByType.GetValueOrDefault(typeof(T))
            ?? throw new NotSupportedException($"{typeof(T).FullName} is not an Autotask entity this SDK models.");
        var context = AutotaskEntityJsonContext.Default;
        TypeInfo = (JsonTypeInfo<T>)context.GetTypeInfo(typeof(T))!;
        FieldNames = new HashSet<string>(TypeInfo.Properties.Select(p => p.Name), StringComparer.OrdinalIgnoreCase);
        _getters = TypeInfo.Properties.Where(p => p.Get is not null)
            .ToDictionary(p => p.Name, p => p.Get!, StringComparer.OrdinalIgnoreCase);
    }

    public CatalogEntity Entity { get; }

    /// <summary>The entity's URL segment, such as <c>Companies</c>.</summary>
    public string Path => Entity.Name;

    public JsonTypeInfo<T> TypeInfo { get; }

    /// <summary>Reads a page, each record keeping the JSON it was read from.</summary>
    public async ValueTask<QueryResponse<T>?> ReadPageAsync(Stream stream, CancellationToken cancellationToken) =>
        await EntityJson.ReadBufferedAsync(stream, json => EntityJson.ReadPage(json.Span, TypeInfo), cancellationToken).ConfigureAwait(false);

    /// <summary>Reads the answer of a read by id, the record keeping the JSON it was read from.</summary>
    public async ValueTask<ItemAnswer<T>> ReadItemAsync(Stream stream, CancellationToken cancellationToken) =>
        await EntityJson.ReadBufferedAsync(stream, json => EntityJson.ReadItem(json.Span, TypeInfo), cancellationToken).ConfigureAwait(false);

    public long IdOf(T item) => item.Id;

    public bool CanQuery => Entity.Operations.HasFlag(EntityOperations.Query);

    /// <summary>The wire names of the model's properties.</summary>
    public IReadOnlySet<string> FieldNames { get; }

    /// <summary>The value of the field holding the parent's id, or <c>null</c> when it is not set.</summary>
    public long? ParentIdOf(T entity, CatalogChild route) =>
        _getters.TryGetValue(route.ParentIdField!, out var get) && get(entity) is { } value
            ? Convert.ToInt64(value, CultureInfo.InvariantCulture)
            : null;

    /// <summary>
    /// The URL (relative to the zone's API root) of an operation: the entity's own, or its parent's child URL when only
    /// that allows the operation, which then needs the parent's id.
    /// </summary>
    public string UrlFor(EntityOperations operation, long? parentId, string parameterName)
    {
        if (Entity.RouteFor(operation) is not { } route)
        {
            return Path;
        }

        if (parentId is not > 0)
        {
            throw new ArgumentException(
                $"{typeof(T).Name} is {operation.ToString().ToLowerInvariant()}d under its parent ({route.Parent}/{{id}}/{route.Segment}), so {route.ParentIdField} must be set.",
                parameterName);
        }

        return $"{route.Parent}/{parentId.Value.ToString(CultureInfo.InvariantCulture)}/{route.Segment}";
    }
}
