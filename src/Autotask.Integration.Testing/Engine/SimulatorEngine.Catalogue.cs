using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autotask.Integration.Testing.Json;

namespace Autotask.Integration.Testing.Engine;

/// <summary>
/// Every entity of the REST catalogue the simulator has no model for: stored as JSON, with the operations and child
/// URLs the catalogue lists, values checked against the catalogue's types, and metadata from the catalogue.
/// </summary>
internal sealed partial class SimulatorEngine
{
    /// <summary>Fields Autotask sets itself on every entity that has them.</summary>
    private static readonly string[] CatalogueReadOnly = ["id", "createDate", "createDateTime", "lastActivityDate", "lastModifiedDate", "lastModifiedDateTime", "lastModifiedTime"];

    /// <summary>Answers a request on a catalogue entity, or <c>null</c> when the URL is a modelled entity's or unknown.</summary>
    private EngineResponse? DispatchCatalogue(EngineRequest request, string[] segments)
    {
        if (segments.Length >= 3 && long.TryParse(segments[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parentId) &&
            SimulatorCatalog.Child(segments[0], segments[2]) is { } child)
        {
            if (IsModelled(child.Entry.Name))
            {
                return null;
            }

            long? childId = segments.Length == 4 && long.TryParse(segments[3], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
            if (segments.Length > 4 || (segments.Length == 4 && childId is null))
            {
                return Error(HttpStatusCode.NotFound, "The requested resource does not exist.");
            }

            var operation = (request.Method, childId) switch
            {
                ("GET", null) => "list",
                ("GET", _) => "get",
                ("POST", null) => "create",
                ("PATCH", null) => "update",
                ("PUT", null) => "replace",
                ("DELETE", not null) => "delete",
                _ => "",
            };
            if (!child.Child.Allows(operation))
            {
                return NotAllowed(request.Method, segments);
            }

            var table = _data.CatalogueTable(child.Entry);
            Require(table.Entry.Name, Access(operation));
            return operation switch
            {
                "list" => Json(w => WritePage(w, table.After(0).Where(r => ParentOf(r, child.Child) == parentId).ToArray())),
                "get" => CatalogueGet(table, childId!.Value, r => ParentOf(r, child.Child) == parentId),
                "delete" => CatalogueDelete(table, childId!.Value, child.Child, parentId),
                _ => CatalogueWrite(table, operation, request.Body, child.Child, parentId),
            };
        }

        var entry = SimulatorCatalog.ByName.GetValueOrDefault(segments[0]);
        if (entry is null || IsModelled(entry.Name))
        {
            return null;
        }

        var rows = _data.CatalogueTable(entry);
        if (segments.Length >= 2 && segments[1].Equals("entityInformation", StringComparison.OrdinalIgnoreCase))
        {
            return CatalogueMetadata(entry, segments);
        }

        var root = (request.Method, segments.Length) switch
        {
            ("GET", 2) when long.TryParse(segments[1], NumberStyles.None, CultureInfo.InvariantCulture, out _) => "get",
            ("GET" or "POST", >= 2) when segments[1].Equals("query", StringComparison.OrdinalIgnoreCase) =>
                segments.Length >= 3 && segments[2].Equals("count", StringComparison.OrdinalIgnoreCase) ? "count" : "query",
            ("POST", 1) => "create",
            ("PATCH", 1) => "update",
            ("PUT", 1) => "replace",
            ("DELETE", 2) when long.TryParse(segments[1], NumberStyles.None, CultureInfo.InvariantCulture, out _) => "delete",
            _ => "",
        };
        if (!entry.Allows(root))
        {
            return NotAllowed(request.Method, segments);
        }

        Require(entry.Name, Access(root));
        var id = segments.Length == 2 && long.TryParse(segments[1], NumberStyles.None, CultureInfo.InvariantCulture, out var rootId) ? rootId : 0;
        return root switch
        {
            "get" => CatalogueGet(rows, id, _ => true),
            "query" or "count" => Query(CatalogueTarget(rows), request, segments),
            "delete" => CatalogueDelete(rows, id, null, null),
            _ => CatalogueWrite(rows, root, request.Body, null, null),
        };
    }

    private bool IsModelled(string entity) => _data.TableFor(entity) is not null || entity.Equals("ContractServiceUnits", StringComparison.OrdinalIgnoreCase);

    private static SimulatorAccess Access(string operation) => operation switch
    {
        "create" => SimulatorAccess.Create,
        "update" or "replace" or "delete" => SimulatorAccess.Update,
        _ => SimulatorAccess.Read,
    };

    private static EngineResponse NotAllowed(string method, string[] segments) =>
        Error(HttpStatusCode.MethodNotAllowed, $"The requested resource ({string.Join('/', segments)}) does not support http method '{method}'.");

    private static long? ParentOf(JsonObject row, CatalogueChild child) =>
        child.ParentIdField is { } field && row[field] is JsonValue value && value.TryGetValue<long>(out var id) ? id : null;

    private EngineResponse CatalogueGet(CatalogueTable table, long id, Func<JsonObject, bool> belongs)
    {
        var row = table.Find(id) is { } found && belongs(found) ? found : null;
        return Json(w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("item");
            if (row is null)
            {
                w.WriteNullValue();
            }
            else
            {
                row.WriteTo(w);
            }

            w.WriteEndObject();
        }, row is null ? (int)_options.MissingIdStatus : 200);
    }

    private EngineResponse CatalogueDelete(CatalogueTable table, long id, CatalogueChild? child, long? parentId)
    {
        lock (_gate)
        {
            if (table.Find(id) is not { } row || (child is not null && ParentOf(row, child) != parentId))
            {
                throw new SimulatorException(HttpStatusCode.NotFound, $"No {table.Entry.Name} record has id {id}.");
            }

            table.Remove(id);
            return ItemId(id);
        }
    }

    /// <summary>Creates, updates (PATCH) or replaces (PUT) a record, checking every field against the catalogue.</summary>
    private EngineResponse CatalogueWrite(CatalogueTable table, string operation, byte[] body, CatalogueChild? child, long? parentId)
    {
        var entry = table.Entry;
        JsonObject given;
        try
        {
            given = JsonNode.Parse(body)?.AsObject() ?? throw SimulatorException.Invalid("The body is empty.");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw SimulatorException.Invalid("The body is not a JSON object.");
        }

        var values = new JsonObject();
        long id = 0;
        foreach (var (name, value) in given)
        {
            if (name.Equals("id", StringComparison.OrdinalIgnoreCase))
            {
                id = value is JsonValue v && v.TryGetValue<long>(out var given64) ? given64 : -1;
                continue;
            }

            if (name.Equals("userDefinedFields", StringComparison.OrdinalIgnoreCase) && entry.Udfs)
            {
                values["userDefinedFields"] = value?.DeepClone();
                continue;
            }

            if (!entry.Fields.TryGetValue(name, out var type))
            {
                throw SimulatorException.Invalid($"Unable to find {name} in the {entry.Name} entity.");
            }

            var canonical = entry.Fields.Keys.First(k => k.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (operation == "update" && CatalogueReadOnly.Contains(canonical, StringComparer.OrdinalIgnoreCase))
            {
                throw SimulatorException.Invalid($"{canonical} of {entry.Name} is read-only.");
            }

            values[canonical] = CheckValue(entry.Name, canonical, type, value);
        }

        if (child?.ParentIdField is { } parentField)
        {
            if (values[parentField] is JsonValue set && set.TryGetValue<long>(out var named) && named != parentId)
            {
                throw SimulatorException.Invalid($"{parentField} ({named}) is not the parent in the URL ({parentId}).");
            }

            values[parentField] = parentId;
        }

        lock (_gate)
        {
            if (operation == "create")
            {
                if (id != 0)
                {
                    throw SimulatorException.Invalid("The id of a new entity must not be set.");
                }

                foreach (var field in entry.Fields.Keys.Where(f => f.StartsWith("create", StringComparison.OrdinalIgnoreCase) && entry.Fields[f] == "datetime"))
                {
                    values[field] = InstantConverter.Format(Now);
                }

                return ItemId(table.Insert(values)["id"]!.GetValue<long>());
            }

            if (id < 1)
            {
                throw SimulatorException.Invalid($"The id of the {entry.Name} record to {operation} is required.");
            }

            if (table.Find(id) is not { } existing || (child is not null && ParentOf(existing, child) != parentId))
            {
                throw SimulatorException.Invalid($"No {entry.Name} record has id {id}.");
            }

            // PATCH keeps what the body leaves out; PUT empties it, except the fields Autotask sets itself.
            var merged = operation == "update" ? (JsonObject)existing.DeepClone() : [];
            if (operation == "replace")
            {
                foreach (var field in CatalogueReadOnly.Where(f => existing.ContainsKey(f)))
                {
                    merged[field] = existing[field]?.DeepClone();
                }
            }

            foreach (var (name, value) in values)
            {
                if (operation == "replace" && CatalogueReadOnly.Contains(name, StringComparer.OrdinalIgnoreCase))
                {
                    continue;
                }

                merged[name] = value?.DeepClone();
            }

            merged["id"] = id;
            table.Replace(id, merged);
            return ItemId(id);
        }
    }

    /// <summary>A value as Autotask would store it, or Autotask's error for a value of the wrong type.</summary>
    private static JsonNode? CheckValue(string entity, string field, string type, JsonNode? value)
    {
        if (value is null)
        {
            return null;
        }

        var ok = value is JsonValue v && type switch
        {
            "int32" or "int64" => (v.TryGetValue<long>(out _) || (v.TryGetValue<string>(out var s) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))),
            "double" or "decimal" => v.TryGetValue<decimal>(out _),
            "boolean" => v.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
            "datetime" => v.TryGetValue<string>(out var text) && InstantConverter.Parse(text) is not null,
            "object" => true,
            _ => v.GetValueKind() == JsonValueKind.String,
        };
        if (!ok && type != "object")
        {
            throw SimulatorException.Invalid($"The value for {field} of {entity} is not a valid {type}.");
        }

        return value.DeepClone();
    }

    private static QueryTarget CatalogueTarget(CatalogueTable table)
    {
        var entry = table.Entry;
        return new QueryTarget(entry.Name, new FieldReaders(
            name => entry.Fields.TryGetValue(name, out var type)
                ? row => ReadValue(((JsonObject)row)[entry.Fields.Keys.First(k => k.Equals(name, StringComparison.OrdinalIgnoreCase))], type)
                : null,
            name => row => ((JsonObject)row)["userDefinedFields"] is JsonArray udfs
                ? udfs.OfType<JsonObject>().FirstOrDefault(u => string.Equals((string?)u["name"], name, StringComparison.OrdinalIgnoreCase))?["value"]?.GetValue<string>()
                : null),
            after => table.After(after),
            row => ((JsonObject)row)["id"]!.GetValue<long>(),
            (w, row, include) =>
            {
                var node = (JsonObject)row;
                if (include is null)
                {
                    node.WriteTo(w);
                    return;
                }

                w.WriteStartObject();
                foreach (var (name, value) in node.Where(p => include.Contains(p.Key)))
                {
                    w.WritePropertyName(name);
                    if (value is null)
                    {
                        w.WriteNullValue();
                    }
                    else
                    {
                        value.WriteTo(w);
                    }
                }

                w.WriteEndObject();
            });
    }

    /// <summary>A stored JSON value as the query evaluator compares it: numbers as long or decimal, dates as instants.</summary>
    private static object? ReadValue(JsonNode? node, string type)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        return type switch
        {
            "int32" or "int64" => value.TryGetValue<long>(out var l) ? l : long.Parse(value.GetValue<string>(), CultureInfo.InvariantCulture),
            "double" or "decimal" => value.GetValue<decimal>(),
            "boolean" => value.GetValue<bool>(),
            "datetime" => InstantConverter.Parse(value.GetValue<string>()),
            _ => value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString(),
        };
    }

    private static void WritePage(Utf8JsonWriter w, JsonObject[] rows)
    {
        w.WriteStartObject();
        w.WriteStartArray("items");
        foreach (var row in rows)
        {
            row.WriteTo(w);
        }

        w.WriteEndArray();
        w.WriteStartObject("pageDetails");
        w.WriteNumber("count", rows.Length);
        w.WriteNumber("requestCount", rows.Length);
        w.WriteNull("prevPageUrl");
        w.WriteNull("nextPageUrl");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private EngineResponse CatalogueMetadata(CatalogueEntry entry, string[] segments)
    {
        if (segments.Length == 2)
        {
            return Json(w =>
            {
                w.WriteStartObject();
                w.WriteStartObject("info");
                w.WriteString("name", entry.Name);
                w.WriteBoolean("canCreate", entry.AllowsAnywhere("create") && !IsDenied(entry.Name, SimulatorAccess.Create));
                w.WriteBoolean("canUpdate", entry.AllowsAnywhere("update") && !IsDenied(entry.Name, SimulatorAccess.Update));
                w.WriteBoolean("canQuery", entry.Allows("query") && !IsDenied(entry.Name, SimulatorAccess.Read));
                w.WriteBoolean("canDelete", entry.AllowsAnywhere("delete") && !IsDenied(entry.Name, SimulatorAccess.Update));
                w.WriteBoolean("hasUserDefinedFields", entry.Udfs);
                w.WriteBoolean("supportsWebhookCallouts", entry.Name is "Companies" or "Contacts" or "Tickets" or "ConfigurationItems");
                w.WriteEndObject();
                w.WriteEndObject();
            });
        }

        if (segments.Length == 3 && segments[2].Equals("userDefinedFields", StringComparison.OrdinalIgnoreCase))
        {
            return Metadata(entry.Name, segments);
        }

        if (segments.Length != 3 || !segments[2].Equals("fields", StringComparison.OrdinalIgnoreCase))
        {
            return Error(HttpStatusCode.NotFound, "The requested resource does not exist.");
        }

        var parentFields = entry.Children.Select(c => c.ParentIdField).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("fields");
            foreach (var (name, type) in entry.Fields.OrderBy(f => entry.FieldList.IndexOf(f.Key + ":", StringComparison.Ordinal)))
            {
                var picklist = _data.Picklist(entry.Name, name);
                WriteField(w, name, type switch
                {
                    "int32" => "integer",
                    "int64" => "long",
                    "double" or "decimal" => "double",
                    "boolean" => "boolean",
                    "datetime" => "datetime",
                    "object" => "object",
                    "base64" => "base64",
                    _ => "string",
                }, parentFields.Contains(name) || _data.IsRequired(entry.Name, name), CatalogueReadOnly.Contains(name, StringComparer.OrdinalIgnoreCase), picklist);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }
}
