using System.Collections.Frozen;

namespace Autotask.Integration.Testing.Engine;

/// <summary>A child-collection URL of a catalogue entity: <c>{Parent}/{parentId}/{Segment}</c>.</summary>
internal sealed record CatalogueChild(string Parent, string Segment, string Operations, string? ParentIdField)
{
    private readonly HashSet<string> _operations = [.. Operations.Split(',', StringSplitOptions.RemoveEmptyEntries)];

    public bool Allows(string operation) => _operations.Contains(operation);
}

/// <summary>An entity of the REST catalogue as the simulator serves it.</summary>
internal sealed record CatalogueEntry(string Name, string Operations, bool Udfs, CatalogueChild[] Children, string FieldList)
{
    private readonly HashSet<string> _operations = [.. Operations.Split(',', StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>The fields and their catalogue types (<c>int32</c>, <c>int64</c>, <c>double</c>, <c>boolean</c>, <c>string</c>, <c>datetime</c>, <c>base64</c>, <c>object</c>).</summary>
    public FrozenDictionary<string, string> Fields { get; } = FieldList.Split(' ', StringSplitOptions.RemoveEmptyEntries)
        .Select(f => f.Split(':'))
        .ToFrozenDictionary(f => f[0], f => f[1], StringComparer.OrdinalIgnoreCase);

    public bool Allows(string operation) => _operations.Contains(operation);

    /// <summary>Whether the entity's own URL or one of its child URLs allows the operation.</summary>
    public bool AllowsAnywhere(string operation) => Allows(operation) || Children.Any(c => c.Allows(operation));
}

/// <summary>The REST catalogue (generated in <c>Generated/SimulatorCatalog.g.cs</c>), by entity name and by child URL.</summary>
internal static partial class SimulatorCatalog
{
    private static readonly CatalogueEntry[] Entries = Create();

    public static readonly FrozenDictionary<string, CatalogueEntry> ByName = Entries.ToFrozenDictionary(e => e.Name, StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenDictionary<string, (CatalogueEntry Entry, CatalogueChild Child)> ByChildUrl = Entries
        .SelectMany(e => e.Children.Select(c => (Key: (c.Parent + "/" + c.Segment).ToUpperInvariant(), Value: (e, c))))
        .ToFrozenDictionary(x => x.Key, x => x.Value);

    /// <summary>Every entity of the catalogue.</summary>
    public static IReadOnlyList<CatalogueEntry> All => Entries;

    /// <summary>The entity kept under <c>{parent}/{id}/{segment}</c>, if the catalogue names that URL.</summary>
    public static (CatalogueEntry Entry, CatalogueChild Child)? Child(string parent, string segment) =>
        ByChildUrl.TryGetValue((parent + "/" + segment).ToUpperInvariant(), out var found) ? found : null;
}
