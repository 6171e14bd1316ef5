using System.Collections.Frozen;

namespace Autotask.Integration.Entities;

/// <summary>What Autotask lets API users do on a URL of an entity, as its REST description lists it.</summary>
[Flags]
internal enum EntityOperations
{
    None = 0,
    Query = 1,
    Count = 2,
    Get = 4,
    Create = 8,
    Update = 16,
    Replace = 32,
    Delete = 64,
    List = 128,
}

/// <summary>A child-collection URL of an entity: <c>{Parent}/{parentId}/{Segment}</c>.</summary>
/// <param name="Parent">The parent entity's URL segment, such as <c>Tickets</c>.</param>
/// <param name="Segment">The child segment, such as <c>Notes</c>.</param>
/// <param name="Operations">What the child URL allows.</param>
/// <param name="ParentIdField">The child's field holding the parent's id; <c>null</c> when the description does not tell it.</param>
internal sealed record CatalogChild(string Parent, string Segment, EntityOperations Operations, string? ParentIdField);

/// <summary>One modelled entity: its URL segment, model type, root operations and child URLs.</summary>
internal sealed record CatalogEntity(string Name, Type ModelType, EntityOperations Operations, IReadOnlyList<CatalogChild> Children)
{
    /// <summary>
    /// Where an operation is sent: a child route whenever a child URL allows it (Autotask refuses some children on
    /// their own URL even where its description lists the operation: adjustments are created under their contract),
    /// else <c>null</c> for the entity's own URL; throws <see cref="NotSupportedException"/> when neither allows it.
    /// </summary>
    public CatalogChild? RouteFor(EntityOperations operation)
    {
        var child = Children.FirstOrDefault(c => c.Operations.HasFlag(operation) && c.ParentIdField is not null);
        if (child is not null || Operations.HasFlag(operation))
        {
            return child;
        }

        throw new NotSupportedException($"Autotask does not let API users {operation.ToString().ToLowerInvariant()} {Name}.");
    }

    /// <summary>Whether the entity's own URL or a routed child URL allows the operation.</summary>
    public bool Allows(EntityOperations operation) =>
        Operations.HasFlag(operation) || Children.Any(c => c.Operations.HasFlag(operation) && c.ParentIdField is not null);
}

/// <summary>The modelled entities of the REST catalogue, by model type and by name (generated in <c>Generated/EntityCatalog.g.cs</c>).</summary>
internal static partial class EntityCatalog
{
    private static readonly CatalogEntity[] Entities = Create();

    public static readonly FrozenDictionary<Type, CatalogEntity> ByType = Entities.ToFrozenDictionary(e => e.ModelType);

    public static readonly FrozenDictionary<string, CatalogEntity> ByName = Entities.ToFrozenDictionary(e => e.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every modelled entity, in catalogue order.</summary>
    public static IReadOnlyList<CatalogEntity> All => Entities;
}
