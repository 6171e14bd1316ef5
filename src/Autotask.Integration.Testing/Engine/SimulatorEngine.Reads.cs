using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Autotask.Integration.Entities;
using NodaTime;

namespace Autotask.Integration.Testing.Engine;

/// <summary>A table as a query sees it: its rows after an id, their fields, ids and JSON.</summary>
internal sealed record QueryTarget(
    string Path, FieldReaders Fields, Func<long, IEnumerable<object>> After, Func<object, long> IdOf, Action<Utf8JsonWriter, object, HashSet<string>?> Write);

/// <summary>Reading entities: by id, by query with paging and next-page URLs, and their field and picklist metadata.</summary>
internal sealed partial class SimulatorEngine
{
    private EngineResponse GetById(string path, long id)
    {
        if (path == "ContractServiceAdjustments")
        {
            throw new SimulatorException(HttpStatusCode.MethodNotAllowed, "ContractServiceAdjustments cannot be queried.");
        }

        var entity = path == "ContractServiceUnits" ? _data.Get<ContractServiceUnit>(id) : _data.TableFor(path)!.Find(id);
        var typeInfo = TypeInfoFor(path);
        return Json(w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("item");
            if (entity is null)
            {
                w.WriteNullValue();
            }
            else
            {
                WriteEntity(w, path, entity, typeInfo, null);
            }

            w.WriteEndObject();
        }, entity is null ? (int)_options.MissingIdStatus : 200);
    }

    /// <summary>Writes a modelled entity as the API answers it: its model's fields, its instance fields, only the included ones.</summary>
    private void WriteEntity(Utf8JsonWriter w, string path, object entity, System.Text.Json.Serialization.Metadata.JsonTypeInfo typeInfo, HashSet<string>? include)
    {
        var extra = _data.InstanceValuesOf(path, ((AutotaskEntity)entity).Id);
        if (include is null && extra is null)
        {
            JsonSerializer.Serialize(w, entity, typeInfo);
            return;
        }

        var node = JsonSerializer.SerializeToNode(entity, typeInfo)!.AsObject();
        foreach (var (name, value) in extra ?? [])
        {
            node[name] = value?.DeepClone();
        }

        if (include is not null)
        {
            foreach (var name in node.Select(p => p.Key).Where(k => !include.Contains(k)).ToList())
            {
                node.Remove(name);
            }
        }

        node.WriteTo(w);
    }

    private EngineResponse Query(string path, EngineRequest request, string[] segments)
    {
        if (path == "ContractServiceAdjustments")
        {
            throw new SimulatorException(HttpStatusCode.MethodNotAllowed, "ContractServiceAdjustments cannot be queried.");
        }

        var typeInfo = TypeInfoFor(path);
        var fields = path == "ContractServiceUnits"
            ? typeInfo.Properties.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase)
            : _data.TableFor(path)!.Fields;
        IEnumerable<object> Source(long after) => path == "ContractServiceUnits"
            ? _data.ContractServiceUnits().Where(u => u.Id > after)
            : _data.TableFor(path)!.After(after);

        return Query(new QueryTarget(path, QueryEvaluator.Readers(fields), Source, e => ((AutotaskEntity)e).Id,
            (w, entity, include) => WriteEntity(w, path, entity, typeInfo, include)), request, segments);
    }

    /// <summary>Answers a query, a count or a next page over any table: Autotask's paging, include fields and page size.</summary>
    private EngineResponse Query(QueryTarget target, EngineRequest request, string[] segments)
    {
        var path = target.Path;
        var uriQuery = System.Web.HttpUtility.ParseQueryString(request.Uri.Query);
        var isNextPage = segments.Length >= 3 && segments[2].Equals("next", StringComparison.OrdinalIgnoreCase);
        if (isNextPage && _options.NextPageMethod is { } only && !request.Method.Equals(only.Method, StringComparison.OrdinalIgnoreCase))
        {
            // Some tenants accept only one method on next-page URLs, answering the other in ASP.NET's shape.
            return Json(w =>
            {
                w.WriteStartObject();
                w.WriteString("Message", $"The requested resource does not support http method '{request.Method}'.");
                w.WriteEndObject();
            }, 405);
        }

        var search = request.Method switch
        {
            "POST" => Encoding.UTF8.GetString(request.Body),
            "GET" => uriQuery["search"] ?? throw SimulatorException.Invalid("A GET query needs the search parameter."),
            _ => throw new SimulatorException(HttpStatusCode.MethodNotAllowed, "The requested resource does not support this HTTP method."),
        };

        var query = QueryEvaluator.Parse(search, path, target.Fields);
        var source = target.After;

        if (segments.Length >= 3 && segments[2].Equals("count", StringComparison.OrdinalIgnoreCase))
        {
            var count = source(0).LongCount(e => query.Matches(e));
            return Json(w =>
            {
                w.WriteStartObject();
                w.WriteNumber("queryCount", count);
                w.WriteEndObject();
            });
        }

        var after = isNextPage
            ? long.Parse(uriQuery["after"] ?? throw SimulatorException.Invalid("The paging token is missing."), CultureInfo.InvariantCulture)
            : 0;
        var pageSize = query.MaxRecords ?? _options.PageSize;
        var page = new List<object>(Math.Min(pageSize, 512));
        var more = false;
        foreach (var entity in source(after))
        {
            if (!query.Matches(entity))
            {
                continue;
            }

            if (page.Count == pageSize)
            {
                more = true;
                break;
            }

            page.Add(entity);
        }

        string? next = null;
        if (more)
        {
            // As Autotask's, the next-page URL carries the whole query, so that a GET needs no body.
            next = new Uri(ZoneBase, $"v1.0/{path}/query/next?after={target.IdOf(page[^1])}&search={Uri.EscapeDataString(search)}").ToString();
        }

        var include = query.IncludeFields is { } names ? new HashSet<string>(names.Append("id"), StringComparer.OrdinalIgnoreCase) : null;
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("items");
            foreach (var entity in page)
            {
                target.Write(w, entity, include);
            }

            w.WriteEndArray();
            w.WriteStartObject("pageDetails");
            w.WriteNumber("count", page.Count);
            w.WriteNumber("requestCount", pageSize);
            w.WriteNull("prevPageUrl");
            if (next is null)
            {
                w.WriteNull("nextPageUrl");
            }
            else
            {
                w.WriteString("nextPageUrl", next);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    private System.Text.Json.Serialization.Metadata.JsonTypeInfo TypeInfoFor(string path) =>
        path == "ContractServiceUnits" ? SimulatorJsonContext.Default.ContractServiceUnit : _data.TableFor(path)!.TypeInfo;

    private EngineResponse Metadata(string path, string[] segments)
    {
        if (segments.Length == 2)
        {
            var readOnly = path is "ContractServiceUnits";
            return Json(w =>
            {
                w.WriteStartObject();
                w.WriteStartObject("info");
                w.WriteString("name", path);
                w.WriteBoolean("canCreate", !readOnly && path != "Resources" && !IsDenied(path, SimulatorAccess.Create));
                w.WriteBoolean("canUpdate", !readOnly && path != "ContractServiceAdjustments" && !IsDenied(path, SimulatorAccess.Update));
                w.WriteBoolean("canQuery", path != "ContractServiceAdjustments" && !IsDenied(path, SimulatorAccess.Read));
                w.WriteBoolean("canDelete", false);
                w.WriteBoolean("hasUserDefinedFields", _data.UserDefinedFields(path).Count > 0);
                w.WriteBoolean("supportsWebhookCallouts", path is "Companies" or "Contacts" or "Tickets");
                w.WriteEndObject();
                w.WriteEndObject();
            });
        }

        if (segments[2].Equals("userDefinedFields", StringComparison.OrdinalIgnoreCase))
        {
            var names = _data.UserDefinedFields(path);
            return Json(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("fields");
                foreach (var name in names)
                {
                    w.WriteStartObject();
                    w.WriteString("name", name);
                    w.WriteString("dataType", "string");
                    w.WriteNumber("length", 100);
                    w.WriteBoolean("isRequired", false);
                    w.WriteBoolean("isReadOnly", false);
                    w.WriteBoolean("isQueryable", true);
                    w.WriteBoolean("isPickList", false);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
        }

        if (!segments[2].Equals("fields", StringComparison.OrdinalIgnoreCase))
        {
            return Error(HttpStatusCode.NotFound, "The requested resource does not exist.");
        }

        var typeInfo = TypeInfoFor(path);
        var required = EntityRules.Required(path);
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("fields");
            foreach (var property in typeInfo.Properties.Where(p => p.Name != "userDefinedFields"))
            {
                var picklist = _data.Picklist(path, property.Name);
                var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
                // A boolean Autotask keeps as 1 or 0 (Contacts.isActive) is an integer field in its metadata.
                WriteField(w, property.Name,
                    type == typeof(string) ? "string" : type == typeof(bool) && property.CustomConverter is not NumericBooleanConverter ? "boolean" :
                    type == typeof(decimal) ? "double" : type == typeof(Instant) || type == typeof(LocalDate) ? "datetime" :
                    type == typeof(long) ? "long" : "integer",
                    required.Contains(property.Name) || _data.IsRequired(path, property.Name),
                    ReadOnlyFields.Contains(property.Name) || path == "ContractServiceUnits", picklist);
            }

            WriteInstanceFields(w, path);
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>Writes the fields of <c>entityInformation/fields</c> that the instance has beyond the catalogue.</summary>
    private void WriteInstanceFields(Utf8JsonWriter w, string entity)
    {
        foreach (var (name, type) in _data.InstanceFields(entity))
        {
            WriteField(w, name, MetadataType(type), _data.IsRequired(entity, name), isReadOnly: false, _data.Picklist(entity, name));
        }
    }

    /// <summary>The data type <c>entityInformation/fields</c> gives a field of a catalogue type.</summary>
    private static string MetadataType(string catalogueType) => catalogueType switch
    {
        "int32" => "integer",
        "int64" => "long",
        "double" or "decimal" => "double",
        "boolean" => "boolean",
        "datetime" => "datetime",
        "object" => "object",
        "base64" => "base64",
        _ => "string",
    };

    /// <summary>Writes one field of <c>entityInformation/fields</c>, as Autotask describes it.</summary>
    private static void WriteField(Utf8JsonWriter w, string name, string dataType, bool isRequired, bool isReadOnly, IReadOnlyList<Metadata.PicklistValue> picklist)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("dataType", dataType);
        w.WriteNumber("length", dataType == "string" ? 255 : 0);
        w.WriteBoolean("isRequired", isRequired);
        w.WriteBoolean("isReadOnly", isReadOnly);
        w.WriteBoolean("isQueryable", true);
        var isReference = name.EndsWith("ID", StringComparison.Ordinal) && picklist.Count == 0;
        w.WriteBoolean("isReference", isReference);
        w.WriteString("referenceEntityType", isReference ? name[..^2] : "");
        w.WriteBoolean("isPickList", picklist.Count > 0);
        w.WriteStartArray("picklistValues");
        foreach (var value in picklist)
        {
            JsonSerializer.Serialize(w, value, SimulatorJsonContext.Default.PicklistValue);
        }

        w.WriteEndArray();
        w.WriteString("picklistParentValueField", "");
        w.WriteEndObject();
    }
}
