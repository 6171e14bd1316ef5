using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Autotask.Integration.Generator;

/// <summary>
/// Writes the SDK's entity code from the REST catalogue: a model per entity (in the abstractions), the client's
/// catalogue of URLs and capabilities with the entities' serialiser context, and the simulator's catalogue of fields.
/// Pure: the same catalogue and hand-written refinements always give the same files, which the tests compare with
/// the checked-in ones.
/// </summary>
public static partial class CatalogueGenerator
{
    /// <summary>Where the generated files go, relative to the repository root.</summary>
    public const string ModelsDirectory = "src/Autotask.Integration.Abstractions/Entities/Generated";

    /// <summary>The client's catalogue and the entities' serialiser context.</summary>
    public const string ClientCatalogPath = "src/Autotask.Integration/Entities/Generated/EntityCatalog.g.cs";

    /// <summary>The simulator's catalogue.</summary>
    public const string SimulatorCatalogPath = "src/Autotask.Integration.Testing/Engine/Generated/SimulatorCatalog.g.cs";

    /// <summary>The hand-written models whose properties the generated part leaves out.</summary>
    public const string HandWrittenDirectory = "src/Autotask.Integration.Abstractions/Entities";

    /// <summary>The catalogue, relative to the repository root.</summary>
    public const string CataloguePath = "eng/generator/autotask-rest-catalogue.json";

    /// <summary>Type names that would clash with names every caller uses.</summary>
    private static readonly Dictionary<string, string> Renames = new(StringComparer.Ordinal)
    {
        ["Task"] = "ProjectTask",
    };

    /// <summary>
    /// The field holding the parent's id, for child URLs where it is not the parent's model name + <c>ID</c>
    /// (attachments hold it in <c>parentID</c>). A child URL whose field is neither is not routed by the typed client.
    /// </summary>
    private static readonly Dictionary<string, string> ParentFields = new(StringComparer.Ordinal)
    {
        ["Companies/{parentId}/Attachments"] = "parentID",
        ["Projects/{parentId}/Attachments"] = "parentID",
        ["Tasks/{parentId}/Attachments"] = "parentID",
        ["Tickets/{parentId}/Attachments"] = "parentID",
        ["Opportunities/{parentId}/Attachments"] = "parentID",
        ["Expenses/{parentId}/Items"] = "expenseReportID",
        ["PurchaseOrders/{parentId}/Items"] = "orderID",
        ["UserDefinedFields/{parentId}/ListItems"] = "udfFieldId",
    };

    /// <summary>
    /// Webhook entities the published description predates: Autotask documents webhooks for configuration items and
    /// tickets with the company webhook's shape (CompanyWebhooks, its Fields, UdfFields and ExcludedResources), so
    /// they are added from it. See ../shared/docs/autotask-api.md, Webhooks.
    /// </summary>
    private static readonly string[] WebhookKindsAddedFromCompanyShape = ["ConfigurationItem", "Ticket"];

    private static readonly string[] OperationOrder = ["query", "count", "get", "create", "update", "replace", "delete", "list"];

    /// <summary>One entity of the catalogue.</summary>
    public sealed record Entity(string Name, string? Model, IReadOnlyList<string> Root, IReadOnlyList<Child> Children, IReadOnlyList<Field> Fields, bool Udfs)
    {
        /// <summary>The model's C# type name, or <c>null</c> for a URL that is not an entity (zone and threshold information).</summary>
        public string? TypeName => Model is null ? null : Renames.GetValueOrDefault(Model[..^"Model".Length], Model[..^"Model".Length]);
    }

    /// <summary>A child-collection URL of an entity.</summary>
    public sealed record Child(string Url, string Parent, IReadOnlyList<string> Operations)
    {
        /// <summary>The last segment of the URL, such as <c>Notes</c>.</summary>
        public string Segment => Url[(Url.LastIndexOf('/') + 1)..];
    }

    /// <summary>A field with its wire name and catalogue type.</summary>
    public sealed record Field(string Name, string Type);

    /// <summary>Reads the catalogue.</summary>
    public static IReadOnlyList<Entity> Read(string json)
    {
        using var document = JsonDocument.Parse(json);
        var entities = new List<Entity>();
        foreach (var e in document.RootElement.GetProperty("entities").EnumerateArray())
        {
            entities.Add(new Entity(
                e.GetProperty("entity").GetString()!,
                e.GetProperty("model").GetString(),
                e.GetProperty("root").EnumerateArray().Select(o => o.GetString()!).ToArray(),
                e.GetProperty("children").EnumerateArray().Select(c => new Child(
                    c.GetProperty("url").GetString()!,
                    c.GetProperty("parent").GetString()!,
                    c.GetProperty("ops").EnumerateArray().Select(o => o.GetString()!).ToArray())).ToArray(),
                e.GetProperty("fields").EnumerateArray().Select(f => new Field(f.GetProperty("name").GetString()!, f.GetProperty("type").GetString()!)).ToArray(),
                e.TryGetProperty("udfs", out var udfs) && udfs.ValueKind == JsonValueKind.True));
        }

        foreach (var kind in WebhookKindsAddedFromCompanyShape)
        {
            foreach (var company in entities.Where(e => e.Name.StartsWith("CompanyWebhook", StringComparison.Ordinal)).ToArray())
            {
                if (entities.Any(e => e.Name == kind + company.Name["Company".Length..]))
                {
                    continue;
                }

                entities.Add(company with
                {
                    Name = kind + company.Name["Company".Length..],
                    Model = kind + company.Model!["Company".Length..],
                    Children = company.Children.Select(c => c with { Url = kind + c.Url["Company".Length..], Parent = kind + c.Parent["Company".Length..] }).ToArray(),
                });
            }
        }

        return entities;
    }

    /// <summary>
    /// Generates every file: repository-relative path to content. <paramref name="handWritten"/> holds the text of the
    /// hand-written model files; a <c>partial record</c> there keeps its own properties (by wire name) and documentation.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Generate(string catalogueJson, IEnumerable<string> handWritten)
    {
        var entities = Read(catalogueJson);
        var refined = ReadHandWritten(handWritten);
        var byName = entities.ToDictionary(e => e.Name, StringComparer.Ordinal);
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var modelled = entities.Where(e => e.TypeName is not null).ToArray();
        foreach (var entity in modelled)
        {
            files[$"{ModelsDirectory}/{entity.TypeName}.g.cs"] = Model(entity, byName, refined.GetValueOrDefault(entity.TypeName!));
        }

        files[ClientCatalogPath] = ClientCatalog(modelled, byName);
        files[SimulatorCatalogPath] = SimulatorCatalog(entities, byName);
        return files;
    }

    /// <summary>The field holding the parent's id for a child URL, or <c>null</c> when the catalogue does not tell it.</summary>
    public static string? ParentField(Entity child, Child route, IReadOnlyDictionary<string, Entity> byName)
    {
        if (ParentFields.TryGetValue(route.Url, out var known))
        {
            return child.Fields.Any(f => f.Name == known) ? known : null;
        }

        if (byName.TryGetValue(route.Parent, out var parent) && parent.Model is { } model)
        {
            var candidate = char.ToLowerInvariant(model[0]) + model[1..^"Model".Length] + "ID";
            var found = child.Fields.FirstOrDefault(f => f.Name.Equals(candidate, StringComparison.OrdinalIgnoreCase));
            if (found is not null)
            {
                return found.Name;
            }
        }

        // Webhook fields and excluded resources name their parent webhookID.
        return route.Parent.EndsWith("Webhooks", StringComparison.Ordinal) && child.Fields.Any(f => f.Name == "webhookID") ? "webhookID" : null;
    }

    /// <summary>What the typed client can do with an entity: the root operations, and a child URL's where its parent field is known.</summary>
    public static IReadOnlySet<string> Capabilities(Entity entity, IReadOnlyDictionary<string, Entity> byName)
    {
        var ops = new HashSet<string>(entity.Root, StringComparer.Ordinal);
        foreach (var child in entity.Children)
        {
            if (ParentField(entity, child, byName) is null)
            {
                continue;
            }

            foreach (var op in child.Operations.Where(o => o is "create" or "update" or "replace" or "delete"))
            {
                ops.Add(op);
            }
        }

        return ops;
    }

    /// <summary>The C# name of a property for a wire name: <c>configurationItemCategoryID</c> becomes <c>ConfigurationItemCategoryId</c>.</summary>
    public static string PropertyName(string wire)
    {
        var name = char.ToUpperInvariant(wire[0]) + wire[1..];
        return name.EndsWith("ID", StringComparison.Ordinal) && name.Length > 2 ? name[..^2] + "Id" : name;
    }

    private static string Model(Entity entity, IReadOnlyDictionary<string, Entity> byName, HandWrittenModel? refined)
    {
        var ops = Capabilities(entity, byName);
        var bases = new List<string> { "AutotaskEntity" };
        if (ops.Contains("query"))
        {
            bases.Add("IQueryableEntity");
        }

        if (ops.Contains("create"))
        {
            bases.Add("ICreatableEntity");
        }

        if (ops.Contains("update"))
        {
            bases.Add("IUpdatableEntity");
        }

        if (ops.Contains("replace"))
        {
            bases.Add("IReplaceableEntity");
        }

        if (ops.Contains("delete"))
        {
            bases.Add("IDeletableEntity");
        }

        var hasUdfs = entity.Udfs && refined?.WireNames.Contains("userDefinedFields") != true;
        if (entity.Udfs)
        {
            bases.Add("IHasUserDefinedFields");
        }

        var type = entity.TypeName!;
        var w = new StringBuilder();
        Header(w);
        var fields = entity.Fields.Where(f => f.Name != "id" && refined?.WireNames.Contains(f.Name) != true).ToArray();
        if (fields.Any(f => f.Type is "datetime"))
        {
            w.Append("using NodaTime;\n");
        }

        w.Append("using System.Text.Json.Serialization;\n\n");
        w.Append("namespace Autotask.Integration.Entities;\n\n");
        if (refined is null)
        {
            w.Append(CultureInfo.InvariantCulture, $"/// <summary>An Autotask {Words(type)} (the <c>{entity.Name}</c> entity).</summary>\n");
            w.Append(CultureInfo.InvariantCulture, $"/// <remarks>{Describe(entity, byName)}</remarks>\n");
        }

        w.Append(CultureInfo.InvariantCulture, $"public sealed partial record {type} : {string.Join(", ", bases)}\n{{\n");
        var taken = new HashSet<string>(refined?.PropertyNames ?? new HashSet<string>(), StringComparer.OrdinalIgnoreCase) { "Id", type };
        var first = true;
        foreach (var field in fields)
        {
            var name = PropertyName(field.Name);
            if (!taken.Add(name))
            {
                name += "Value";
                var n = 2;
                while (!taken.Add(name))
                {
                    name = PropertyName(field.Name) + n++.ToString(CultureInfo.InvariantCulture);
                }
            }

            if (!first)
            {
                w.Append('\n');
            }

            first = false;
            w.Append(CultureInfo.InvariantCulture, $"    /// <summary>The {Words(field.Name)} (<c>{field.Name}</c>).</summary>\n");
            w.Append(CultureInfo.InvariantCulture, $"    [JsonPropertyName(\"{field.Name}\")]\n");
            w.Append(CultureInfo.InvariantCulture, $"    public {ClrType(field)} {name} {{ get; init; }}\n");
        }

        if (hasUdfs)
        {
            if (!first)
            {
                w.Append('\n');
            }

            w.Append("    /// <inheritdoc />\n");
            w.Append("    public IReadOnlyList<UserDefinedField>? UserDefinedFields { get; init; }\n");
        }

        w.Append("}\n");
        return w.ToString();
    }

    private static string Describe(Entity entity, IReadOnlyDictionary<string, Entity> byName)
    {
        var parts = new List<string>();
        var root = OperationOrder.Where(entity.Root.Contains).ToArray();
        parts.Add(root.Length == 0 ? $"{entity.Name} has no operation on its own URL." : $"On <c>{entity.Name}</c>: {string.Join(", ", root)}.");
        foreach (var child in entity.Children)
        {
            var field = ParentField(entity, child, byName);
            parts.Add($"Under <c>{child.Url}</c>: {string.Join(", ", OperationOrder.Where(child.Operations.Contains))}" +
                      (field is null ? " (by entity name only)." : $" (the parent's id is <c>{field}</c>)."));
        }

        return string.Join(" ", parts);
    }

    private static string ClrType(Field field) => field.Type switch
    {
        "int32" when IsId(field.Name) => "long?",
        "int32" => "int?",
        "int64" => "long?",
        "double" or "decimal" => "decimal?",
        "boolean" => "bool?",
        "datetime" => "Instant?",
        "base64" => "byte[]?",
        "object" => "System.Text.Json.JsonElement?",
        _ => "string?",
    };

    private static bool IsId(string name) => name.EndsWith("ID", StringComparison.Ordinal) || name.EndsWith("Id", StringComparison.Ordinal);

    private static string ClientCatalog(IReadOnlyList<Entity> modelled, IReadOnlyDictionary<string, Entity> byName)
    {
        var w = new StringBuilder();
        Header(w);
        w.Append("using System.Text.Json.Serialization;\nusing Autotask.Integration.Json;\n\nnamespace Autotask.Integration.Entities;\n\n");
        w.Append("/// <summary>Every modelled entity of the REST catalogue: its URL, operations and child URLs.</summary>\n");
        w.Append("internal static partial class EntityCatalog\n{\n");
        w.Append("    private static CatalogEntity[] Create() =>\n    [\n");
        foreach (var entity in modelled)
        {
            w.Append(CultureInfo.InvariantCulture, $"        new(\"{entity.Name}\", typeof({entity.TypeName}), {Ops(entity.Root)}, [");
            w.Append(string.Join(", ", entity.Children.Select(c =>
                $"new(\"{c.Parent}\", \"{c.Segment}\", {Ops(c.Operations)}, {(ParentField(entity, c, byName) is { } f ? $"\"{f}\"" : "null")})")));
            w.Append("]),\n");
        }

        w.Append("    ];\n}\n\n");
        w.Append("/// <summary>The source-generated serialiser metadata of every entity model (pages and items are read around it, by EntityJson).</summary>\n");
        w.Append("[JsonSourceGenerationOptions(\n");
        w.Append("    GenerationMode = JsonSourceGenerationMode.Metadata,\n");
        w.Append("    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,\n");
        w.Append("    PropertyNameCaseInsensitive = true,\n");
        w.Append("    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,\n");
        w.Append("    NumberHandling = JsonNumberHandling.AllowReadingFromString,\n");
        w.Append("    Converters = [typeof(InstantConverter), typeof(LocalDateConverter), typeof(TolerantInstantConverter), typeof(TolerantLocalDateConverter), typeof(TolerantStringConverter),\n");
        w.Append("        typeof(TolerantNumberConverter<int>), typeof(TolerantNumberConverter<long>), typeof(TolerantNumberConverter<decimal>), typeof(TolerantBooleanConverter),\n");
        w.Append("        typeof(PicklistValueConverter<CompanyType>), typeof(PicklistValueConverter<ContractType>), typeof(PicklistValueConverter<ContractStatus>),\n");
        w.Append("        typeof(PicklistValueConverter<TicketPriority>), typeof(PicklistValueConverter<TicketStatus>)])]\n");
        foreach (var entity in modelled)
        {
            w.Append(CultureInfo.InvariantCulture, $"[JsonSerializable(typeof({entity.TypeName}))]\n");
        }

        w.Append("internal sealed partial class AutotaskEntityJsonContext : JsonSerializerContext;\n");
        return w.ToString();
    }

    private static string SimulatorCatalog(IReadOnlyList<Entity> entities, IReadOnlyDictionary<string, Entity> byName)
    {
        var w = new StringBuilder();
        Header(w);
        w.Append("namespace Autotask.Integration.Testing.Engine;\n\n");
        w.Append("/// <summary>Every entity of the REST catalogue as the simulator serves it: operations, child URLs and typed fields.</summary>\n");
        w.Append("internal static partial class SimulatorCatalog\n{\n");
        w.Append("    private static CatalogueEntry[] Create() =>\n    [\n");
        foreach (var entity in entities.Where(e => e.Model is not null))
        {
            w.Append(CultureInfo.InvariantCulture, $"        new(\"{entity.Name}\", \"{string.Join(",", OperationOrder.Where(entity.Root.Contains))}\", {(entity.Udfs ? "true" : "false")},\n");
            w.Append("            [");
            w.Append(string.Join(", ", entity.Children.Select(c =>
                $"new(\"{c.Parent}\", \"{c.Segment}\", \"{string.Join(",", OperationOrder.Where(c.Operations.Contains))}\", {(ParentField(entity, c, byName) is { } f ? $"\"{f}\"" : "null")})")));
            w.Append("],\n            \"");
            w.Append(string.Join(" ", entity.Fields.Select(f => f.Name + ":" + f.Type)));
            w.Append("\"),\n");
        }

        w.Append("    ];\n}\n");
        return w.ToString();
    }

    private static string Ops(IEnumerable<string> operations)
    {
        var flags = OperationOrder.Where(operations.Contains)
            .Select(o => "EntityOperations." + char.ToUpperInvariant(o[0]) + o[1..]).ToArray();
        return flags.Length == 0 ? "EntityOperations.None" : string.Join(" | ", flags);
    }

    private static void Header(StringBuilder w)
    {
        w.Append("// Generated by eng/generator from eng/generator/autotask-rest-catalogue.json. Do not edit: run\n");
        w.Append("// `dotnet run --project eng/generator`. Refine a model in a hand-written partial record under Entities/.\n");
        w.Append("#nullable enable\n");
    }

    /// <summary>A camel-case name as lower-case words: <c>configurationItemCategoryID</c> becomes <c>configuration item category ID</c>.</summary>
    private static string Words(string name)
    {
        var words = WordPattern().Matches(name).Select(m => m.Value).ToArray();
        return string.Join(" ", words.Select(x => x.Length > 1 && x.All(char.IsUpper) ? x : x.ToLowerInvariant()));
    }

    /// <summary>The hand-written part of a model: its property names and the wire names they cover.</summary>
    public sealed record HandWrittenModel(IReadOnlySet<string> PropertyNames, IReadOnlySet<string> WireNames);

    private static Dictionary<string, HandWrittenModel> ReadHandWritten(IEnumerable<string> sources)
    {
        var models = new Dictionary<string, HandWrittenModel>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            var declarations = RecordPattern().Matches(source);
            for (var i = 0; i < declarations.Count; i++)
            {
                var start = declarations[i].Index;
                var end = i + 1 < declarations.Count ? declarations[i + 1].Index : source.Length;
                var body = source[start..end];
                var properties = new HashSet<string>(StringComparer.Ordinal);
                var wires = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                foreach (Match property in PropertyPattern().Matches(body))
                {
                    var name = property.Groups["name"].Value;
                    properties.Add(name);
                    wires.Add(property.Groups["wire"].Success ? property.Groups["wire"].Value : char.ToLowerInvariant(name[0]) + name[1..]);
                }

                models[declarations[i].Groups["type"].Value] = new HandWrittenModel(properties, wires);
            }
        }

        return models;
    }

    [GeneratedRegex(@"public sealed partial record (?<type>\w+)")]
    private static partial Regex RecordPattern();

    [GeneratedRegex(@"(\[JsonPropertyName\(""(?<wire>\w+)""\)\]\s*)?public [\w<>?,. ]+? (?<name>\w+) \{ get; init; \}")]
    private static partial Regex PropertyPattern();

    [GeneratedRegex(@"[A-Z]{2,}(?=[A-Z][a-z]|\d|$)|[A-Z]?[a-z]+|[A-Z]+|\d+")]
    private static partial Regex WordPattern();
}
