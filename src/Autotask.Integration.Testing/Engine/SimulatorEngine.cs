using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autotask.Integration.Entities;
using Autotask.Integration.Testing.Json;
using Autotask.Integration.Metadata;
using NodaTime;

namespace Autotask.Integration.Testing.Engine;

/// <summary>A request as the engine sees it, whichever transport brought it.</summary>
internal sealed record EngineRequest(string Method, Uri Uri, IReadOnlyDictionary<string, string> Headers, byte[] Body);

/// <summary>How the transport should end the exchange.</summary>
internal enum TransportFault
{
    None,
    RefuseBeforeRequest,
    DropBeforeAnswer,
    DropMidAnswer,
}

/// <summary>An answer for the transport to deliver.</summary>
internal sealed record EngineResponse(int Status, byte[] Body, IReadOnlyList<KeyValuePair<string, string>> Headers, TransportFault Fault = TransportFault.None);

/// <summary>
/// The simulated Autotask: routes a request, checks credentials and limits, injects faults, and reads or changes
/// <see cref="SimulatorData"/> the way Autotask does. Shared by the in-process handler and the loopback server.
/// </summary>
internal sealed class SimulatorEngine
{
    private const string VersionPrefix = "/atservicesrest/v1.0/";

    private static readonly Dictionary<(string Parent, string Child), string> ChildRoutes = new()
    {
        [("Tickets", "Notes")] = "TicketNotes",
        [("Contracts", "Services")] = "ContractServices",
        [("Contracts", "ServiceAdjustments")] = "ContractServiceAdjustments",
        [("Companies", "Contacts")] = "Contacts",
    };

    private static readonly HashSet<string> ReadOnlyFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "id", "ticketNumber", "createDate", "createDateTime", "lastActivityDate", "lastModifiedDate", "lastModifiedDateTime", "lastTrackedModifiedDateTime",
    };

    private readonly AutotaskSimulatorOptions _options;
    private readonly SimulatorData _data;
    private readonly SimulatorFaults _faults;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly Queue<DateTimeOffset> _hour = new();
    private readonly Dictionary<string, int> _inFlight = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, long> _perEntity = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<ContractServiceAdjustment> _applied = [];
    private readonly HashSet<(string Entity, SimulatorAccess Access)> _denied = [];
    private int _ticketSequence;

    public SimulatorEngine(AutotaskSimulatorOptions options, SimulatorData data, SimulatorFaults faults)
    {
        _options = options;
        _data = data;
        _faults = faults;
        _time = options.TimeProvider;
    }

    /// <summary>The zone's REST base address, such as <c>https://webservices1.sim.autotask.invalid/atservicesrest/</c>.</summary>
    public Uri ZoneBase { get; set; } = new("https://webservices1.sim.autotask.invalid/atservicesrest/");

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return _requests.ToArray();
            }
        }
    }

    public IReadOnlyList<ContractServiceAdjustment> Applied
    {
        get
        {
            lock (_gate)
            {
                return _applied.ToArray();
            }
        }
    }

    public int RequestsInCurrentHour
    {
        get
        {
            lock (_gate)
            {
                Expire(_time.GetUtcNow());
                return _hour.Count;
            }
        }
    }

    public IReadOnlyDictionary<string, long> RequestsByEntity
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, long>(_perEntity, StringComparer.OrdinalIgnoreCase);
            }
        }
    }

    private Instant Now => Instant.FromDateTimeOffset(_time.GetUtcNow());

    public void Deny(string entity, SimulatorAccess access)
    {
        lock (_gate)
        {
            _denied.Add((entity.ToUpperInvariant(), access));
        }
    }

    private bool IsDenied(string entity, SimulatorAccess access)
    {
        lock (_gate)
        {
            return _denied.Contains((entity.ToUpperInvariant(), access));
        }
    }

    private void Require(string entity, SimulatorAccess access)
    {
        if (IsDenied(entity, access))
        {
            var verb = access switch { SimulatorAccess.Read => "query", SimulatorAccess.Create => "create", _ => "update" };
            throw new SimulatorException(HttpStatusCode.InternalServerError, $"User does not have permission to {verb} {entity}.");
        }
    }

    public async Task<EngineResponse> HandleAsync(EngineRequest request, CancellationToken cancellationToken)
    {
        var path = request.Uri.AbsolutePath;
        if (!path.StartsWith(VersionPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return Record(request, null, null, Error(HttpStatusCode.NotFound, "The requested resource does not exist."));
        }

        var segments = path[VersionPrefix.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0)
        {
            return Record(request, null, null, Error(HttpStatusCode.NotFound, "The requested resource does not exist."));
        }

        // IIS refuses a long query string before the API sees it, with an HTML page rather than Autotask's JSON.
        if (request.Uri.Query.Length > 1 && request.Uri.Query.Length - 1 > _options.MaxQueryStringLength)
        {
            return Record(request, null, null, new EngineResponse(404, Encoding.UTF8.GetBytes(
                "<!DOCTYPE html><html><head><title>IIS 10.0 Detailed Error - 404.15 - Not Found</title></head><body><h3>HTTP Error 404.15 - Not Found</h3>" +
                "<h4>The request filtering module is configured to deny a request where the query string is too long.</h4></body></html>"),
                [new("Content-Type", "text/html")]));
        }

        if (segments[0].Equals("zoneInformation", StringComparison.OrdinalIgnoreCase))
        {
            // Zone discovery needs no credentials and is not counted against the limits.
            return Record(request, null, null, ZoneInformation(request));
        }

        var entity = segments[0];
        var isWrite = request.Method is "POST" or "PATCH" or "PUT" or "DELETE" &&
                      !segments.Any(s => s.Equals("query", StringComparison.OrdinalIgnoreCase));
        var described = new SimulatorRequest(request.Method, path, entity, isWrite);
        lock (_gate)
        {
            _perEntity[entity] = _perEntity.GetValueOrDefault(entity) + 1;
        }

        if (CountAgainstHour() is { } retryAfter)
        {
            return Record(request, entity, null, Throttled(retryAfter, "Request threshold exceeded: the database allows " +
                _options.HourlyRequestLimit.ToString(CultureInfo.InvariantCulture) + " requests per hour."));
        }

        if (Authenticate(request) is { } refused)
        {
            return Record(request, entity, null, refused);
        }

        if (!EnterEntity(entity))
        {
            return Record(request, entity, null, Throttled(TimeSpan.FromSeconds(1),
                $"Thread limit exceeded: at most {_options.MaxConcurrentRequestsPerEntity} concurrent requests per entity for this integration."));
        }

        try
        {
            var fault = _faults.Draw(described);
            switch (fault)
            {
                case SimulatorFault.RateLimited:
                    return Record(request, entity, fault, Throttled(_faults.RetryAfter, "Request threshold exceeded (injected)."));
                case SimulatorFault.ServerError:
                    return Record(request, entity, fault, Error(HttpStatusCode.InternalServerError, "An unexpected error has occurred (injected)."));
                case SimulatorFault.ServiceUnavailable:
                    return Record(request, entity, fault, Error(HttpStatusCode.ServiceUnavailable, "The service is temporarily unavailable (injected)."));
                case SimulatorFault.RateLimitedWithoutRetryAfter:
                    return Record(request, entity, fault, Error((HttpStatusCode)429, "Request threshold exceeded (injected)."));
                case SimulatorFault.ThresholdServerError:
                    return Record(request, entity, fault, Error(HttpStatusCode.InternalServerError,
                        "Itgenatr005: The thread threshold has been exceeded for this integration (injected). Please try again later."));
                case SimulatorFault.MessageShapedServerError:
                    return Record(request, entity, fault, Json(w =>
                    {
                        w.WriteStartObject();
                        w.WriteString("Message", "An error has occurred (injected).");
                        w.WriteEndObject();
                    }, 500));
                case SimulatorFault.HtmlServerError:
                    return Record(request, entity, fault, new EngineResponse(500, Encoding.UTF8.GetBytes(
                        "<!DOCTYPE html><html><head><title>Runtime Error</title></head><body><h1>Server Error in '/' Application.</h1>" +
                        "<h2><i>Runtime Error (injected)</i></h2></body></html>"), [new("Content-Type", "text/html; charset=utf-8")]));
                case SimulatorFault.LateCommit:
                    // The write is applied after the client has given up, on the simulator's clock, whatever the client does meanwhile.
                    _ = CommitLateAsync(request, segments);
                    return Record(request, entity, fault, new EngineResponse(0, [], [], TransportFault.DropBeforeAnswer));
                case SimulatorFault.GatewayTimeoutLateCommit:
                    _ = CommitLateAsync(request, segments);
                    return Record(request, entity, fault, new EngineResponse(504, Encoding.UTF8.GetBytes(
                        "<!DOCTYPE html><html><head><title>504 Gateway Time-out</title></head><body><h1>504 Gateway Time-out</h1></body></html>"),
                        [new("Content-Type", "text/html")]));
                case SimulatorFault.RefusedConnection:
                    return Record(request, entity, fault, new EngineResponse(0, [], [], TransportFault.RefuseBeforeRequest));
                case SimulatorFault.Latency:
                    await Task.Delay(_faults.Latency, _time, cancellationToken).ConfigureAwait(false);
                    break;
            }

            var response = Dispatch(request, segments);
            response = fault switch
            {
                SimulatorFault.AmbiguousWrite => response with { Fault = TransportFault.DropBeforeAnswer },
                SimulatorFault.DroppedConnection => response with { Fault = TransportFault.DropMidAnswer },
                _ => response,
            };
            return Record(request, entity, fault, response);
        }
        finally
        {
            LeaveEntity(entity);
        }
    }

    private async Task CommitLateAsync(EngineRequest request, string[] segments)
    {
        await Task.Delay(_faults.LateCommitDelay, _time).ConfigureAwait(false);
        Dispatch(request, segments);
    }

    private EngineResponse Dispatch(EngineRequest request, string[] segments)
    {
        try
        {
            var entity = segments[0];
            if (entity.Equals("ThresholdInformation", StringComparison.OrdinalIgnoreCase) && request.Method == "GET")
            {
                return Json(w =>
                {
                    w.WriteStartObject();
                    w.WriteNumber("externalRequestThreshold", _options.HourlyRequestLimit);
                    w.WriteNumber("requestThresholdTimeframe", 60);
                    w.WriteNumber("currentTimeframeRequestCount", RequestsInCurrentHour);
                    w.WriteEndObject();
                });
            }

            // Child routes: {Parent}/{parentId}/{Child}
            if (segments.Length == 3 && long.TryParse(segments[1], out var parentId) &&
                ChildRoutes.TryGetValue((Canonical(segments[0]), Canonical(segments[2], segments[0])), out var childPath))
            {
                Require(childPath, request.Method == "POST" ? SimulatorAccess.Create : SimulatorAccess.Update);
                return request.Method switch
                {
                    "POST" => Create(childPath, request.Body, parentId),
                    "PATCH" => Update(childPath, request.Body, parentId),
                    _ => Error(HttpStatusCode.MethodNotAllowed, "The requested resource does not support this HTTP method."),
                };
            }

            var path = Canonical(entity);
            if (_data.TableFor(path) is null && !path.Equals("ContractServiceUnits", StringComparison.OrdinalIgnoreCase))
            {
                return Error(HttpStatusCode.NotFound, "The requested resource does not exist.");
            }

            var isMetadata = segments.Length >= 2 && segments[1].Equals("entityInformation", StringComparison.OrdinalIgnoreCase);
            if (!isMetadata)
            {
                Require(path, request.Method switch { "POST" when segments.Length == 1 => SimulatorAccess.Create, "PATCH" => SimulatorAccess.Update, _ => SimulatorAccess.Read });
            }

            switch (segments.Length)
            {
                case 1 when request.Method == "POST":
                    return IsChild(path)
                        ? Error(HttpStatusCode.NotFound, $"The requested resource does not exist. Create {path} under their parent.")
                        : Create(path, request.Body, null);
                case 1 when request.Method == "PATCH":
                    return IsChild(path)
                        ? Error(HttpStatusCode.NotFound, $"The requested resource does not exist. Update {path} under their parent.")
                        : Update(path, request.Body, null);
                case 2 when long.TryParse(segments[1], out var id) && request.Method == "GET":
                    return GetById(path, id);
                case >= 2 when segments[1].Equals("query", StringComparison.OrdinalIgnoreCase):
                    return Query(path, request, segments);
                case >= 2 when segments[1].Equals("entityInformation", StringComparison.OrdinalIgnoreCase):
                    return Metadata(path, segments);
                default:
                    return Error(HttpStatusCode.MethodNotAllowed, "The requested resource does not support this HTTP method.");
            }
        }
        catch (SimulatorException ex)
        {
            return Error(ex.Status, [.. ex.Errors]);
        }
    }

    private string Canonical(string segment, string? parent = null)
    {
        if (parent is not null)
        {
            return ChildRoutes.Keys.FirstOrDefault(k => k.Parent.Equals(parent, StringComparison.OrdinalIgnoreCase) &&
                                                        k.Child.Equals(segment, StringComparison.OrdinalIgnoreCase)).Child ?? segment;
        }

        if (segment.Equals("ContractServiceUnits", StringComparison.OrdinalIgnoreCase))
        {
            return "ContractServiceUnits";
        }

        return _data.TableFor(segment)?.Path ?? segment;
    }

    private static bool IsChild(string path) => ChildRoutes.Values.Contains(path, StringComparer.OrdinalIgnoreCase);

    private EngineResponse ZoneInformation(EngineRequest request)
    {
        var query = System.Web.HttpUtility.ParseQueryString(request.Uri.Query);
        if (!string.Equals(query["user"], _options.UserName, StringComparison.OrdinalIgnoreCase))
        {
            return Error(HttpStatusCode.InternalServerError, "Zone information could not be determined");
        }

        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("zoneName", "Simulator Zone 1");
            w.WriteString("url", ZoneBase.ToString());
            w.WriteString("webUrl", new Uri(ZoneBase, "/").ToString());
            w.WriteNumber("ci", 1);
            w.WriteEndObject();
        });
    }

    private EngineResponse? Authenticate(EngineRequest request)
    {
        request.Headers.TryGetValue("UserName", out var user);
        request.Headers.TryGetValue("Secret", out var secret);
        request.Headers.TryGetValue("ApiIntegrationCode", out var code);
        if (string.IsNullOrEmpty(user) || string.IsNullOrEmpty(secret) || string.IsNullOrEmpty(code))
        {
            return Error(HttpStatusCode.Unauthorized, "Missing credentials: UserName, Secret and ApiIntegrationCode headers are required.");
        }

        if (!string.Equals(user, _options.UserName, StringComparison.OrdinalIgnoreCase))
        {
            return Error(HttpStatusCode.InternalServerError, "Zone information could not be determined");
        }

        if (!string.Equals(secret, _options.Secret, StringComparison.Ordinal))
        {
            return Error(HttpStatusCode.Unauthorized, "User is not authenticated.");
        }

        if (!string.Equals(code, _options.IntegrationCode, StringComparison.Ordinal))
        {
            return Error(HttpStatusCode.InternalServerError, "IntegrationCode is invalid.");
        }

        if (request.Headers.TryGetValue("ImpersonationResourceId", out var impersonated) &&
            (!long.TryParse(impersonated, out var resourceId) || _data.Get<Resource>(resourceId) is not { IsActive: true }))
        {
            return Error(HttpStatusCode.InternalServerError, $"The impersonated resource {impersonated} does not exist or is inactive.");
        }

        return null;
    }

    private TimeSpan? CountAgainstHour()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            Expire(now);
            if (_hour.Count >= _options.HourlyRequestLimit)
            {
                var wait = _hour.Peek().AddHours(1) - now;
                return wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait;
            }

            _hour.Enqueue(now);
            return null;
        }
    }

    private void Expire(DateTimeOffset now)
    {
        while (_hour.Count > 0 && _hour.Peek() <= now.AddHours(-1))
        {
            _hour.Dequeue();
        }
    }

    private bool EnterEntity(string entity)
    {
        lock (_gate)
        {
            var now = _inFlight.GetValueOrDefault(entity);
            if (now >= _options.MaxConcurrentRequestsPerEntity)
            {
                return false;
            }

            _inFlight[entity] = now + 1;
            return true;
        }
    }

    private void LeaveEntity(string entity)
    {
        lock (_gate)
        {
            _inFlight[entity] = Math.Max(0, _inFlight.GetValueOrDefault(entity) - 1);
        }
    }

    private EngineResponse Record(EngineRequest request, string? entity, SimulatorFault? fault, EngineResponse response)
    {
        var body = request.Body.Length == 0 ? null : Encoding.UTF8.GetString(request.Body);
        var recorded = new RecordedRequest(
            request.Method, request.Uri.AbsolutePath, string.IsNullOrEmpty(request.Uri.Query) ? null : request.Uri.Query,
            entity, request.Headers.Keys.ToArray(), body,
            response.Fault is TransportFault.DropBeforeAnswer or TransportFault.RefuseBeforeRequest ? 0 : response.Status, fault);
        lock (_gate)
        {
            _requests.Add(recorded);
        }

        return response;
    }

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
                JsonSerializer.Serialize(w, entity, typeInfo);
            }

            w.WriteEndObject();
        }, entity is null ? (int)_options.MissingIdStatus : 200);
    }

    private EngineResponse Query(string path, EngineRequest request, string[] segments)
    {
        if (path == "ContractServiceAdjustments")
        {
            throw new SimulatorException(HttpStatusCode.MethodNotAllowed, "ContractServiceAdjustments cannot be queried.");
        }

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

        var typeInfo = TypeInfoFor(path);
        var fields = path == "ContractServiceUnits"
            ? typeInfo.Properties.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase)
            : _data.TableFor(path)!.Fields;
        var query = QueryEvaluator.Parse(search, path, fields);
        IEnumerable<AutotaskEntity> Source(long after) => path == "ContractServiceUnits"
            ? _data.ContractServiceUnits().Where(u => u.Id > after)
            : _data.TableFor(path)!.After(after);

        if (segments.Length >= 3 && segments[2].Equals("count", StringComparison.OrdinalIgnoreCase))
        {
            var count = Source(0).LongCount(e => query.Matches(e));
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
        var page = new List<AutotaskEntity>(Math.Min(pageSize, 512));
        var more = false;
        foreach (var entity in Source(after))
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
            next = new Uri(ZoneBase, $"v1.0/{path}/query/next?after={page[^1].Id}&search={Uri.EscapeDataString(search)}").ToString();
        }

        var include = query.IncludeFields is { } names ? new HashSet<string>(names.Append("id"), StringComparer.OrdinalIgnoreCase) : null;
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("items");
            foreach (var entity in page)
            {
                if (include is null)
                {
                    JsonSerializer.Serialize(w, entity, typeInfo);
                    continue;
                }

                var node = JsonSerializer.SerializeToNode(entity, typeInfo)!.AsObject();
                foreach (var name in node.Select(p => p.Key).Where(k => !include.Contains(k)).ToList())
                {
                    node.Remove(name);
                }

                node.WriteTo(w);
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
        var typeInfo = TypeInfoFor(path);
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

        var required = EntityRules.Required(path);
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("fields");
            foreach (var property in typeInfo.Properties.Where(p => p.Name != "userDefinedFields"))
            {
                var picklist = _data.Picklist(path, property.Name);
                var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
                w.WriteStartObject();
                w.WriteString("name", property.Name);
                w.WriteString("dataType", type == typeof(string) ? "string" : type == typeof(bool) ? "boolean" :
                    type == typeof(decimal) ? "double" : type == typeof(Instant) || type == typeof(LocalDate) ? "datetime" : "integer");
                w.WriteNumber("length", type == typeof(string) ? 255 : 0);
                w.WriteBoolean("isRequired", required.Contains(property.Name));
                w.WriteBoolean("isReadOnly", ReadOnlyFields.Contains(property.Name) || path == "ContractServiceUnits");
                w.WriteBoolean("isQueryable", true);
                var isReference = property.Name.EndsWith("ID", StringComparison.Ordinal) && picklist.Count == 0;
                w.WriteBoolean("isReference", isReference);
                w.WriteString("referenceEntityType", isReference ? property.Name[..^2] : "");
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

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private EngineResponse Create(string path, byte[] body, long? parentId)
    {
        if (path is "Resources" or "ContractServiceUnits")
        {
            throw new SimulatorException(HttpStatusCode.MethodNotAllowed, $"{path} cannot be created through the API.");
        }

        var table = _data.TableFor(path)!;
        if (path == "ContractServiceAdjustments")
        {
            EntityRules.RequireWholeUnits(body);
        }

        AutotaskEntity entity;
        try
        {
            entity = (AutotaskEntity?)JsonSerializer.Deserialize(body, table.TypeInfo)
                     ?? throw SimulatorException.Invalid("The body is empty.");
        }
        catch (JsonException ex)
        {
            throw SimulatorException.Invalid($"The body is not a valid {path} entity: {ex.Message}");
        }

        if (entity.Id != 0)
        {
            throw SimulatorException.Invalid("The id of a new entity must not be set.");
        }

        lock (_gate)
        {
            // One writer at a time, so that validation and insertion see the same state.
            entity = EntityRules.PrepareCreate(entity, parentId, _data, Now, ref _ticketSequence);
            var stored = _data.Insert(table, entity);
            if (stored is ContractServiceAdjustment adjustment)
            {
                _applied.Add(adjustment);
            }

            return ItemId(stored.Id);
        }
    }

    private EngineResponse Update(string path, byte[] body, long? parentId)
    {
        if (path is "Resources" or "ContractServiceUnits" or "ContractServiceAdjustments")
        {
            throw new SimulatorException(HttpStatusCode.MethodNotAllowed, $"{path} cannot be updated through the API.");
        }

        var table = _data.TableFor(path)!;
        JsonObject patch;
        try
        {
            patch = JsonNode.Parse(body)?.AsObject() ?? throw SimulatorException.Invalid("The body is empty.");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw SimulatorException.Invalid("The body is not a JSON object.");
        }

        var idNode = patch.FirstOrDefault(p => p.Key.Equals("id", StringComparison.OrdinalIgnoreCase)).Value;
        if (idNode is null || !long.TryParse(idNode.ToJsonString(), out var id))
        {
            throw SimulatorException.Invalid("The id of the entity to update is required.");
        }

        lock (_gate)
        {
            var existing = table.Find(id) ?? throw SimulatorException.Invalid($"No {path} entity has id {id}.");
            var merged = JsonSerializer.SerializeToNode(existing, table.TypeInfo)!.AsObject();
            foreach (var (name, value) in patch)
            {
                if (name.Equals("id", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (!table.Fields.TryGetValue(name, out var field))
                {
                    throw SimulatorException.Invalid($"Unable to find {name} in the {path} entity.");
                }

                if (ReadOnlyFields.Contains(field.Name))
                {
                    throw SimulatorException.Invalid($"{field.Name} of {path} is read-only.");
                }

                merged[field.Name] = value?.DeepClone();
            }

            AutotaskEntity updated;
            try
            {
                updated = (AutotaskEntity)merged.Deserialize(table.TypeInfo)!;
            }
            catch (JsonException ex)
            {
                throw SimulatorException.Invalid($"The changes are not valid for {path}: {ex.Message}");
            }

            updated = EntityRules.PrepareUpdate(updated, existing, parentId, _data, Now);
            _data.Replace(table, updated);
            return ItemId(id);
        }
    }

    private static EngineResponse ItemId(long id) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("itemId", id);
        w.WriteEndObject();
    });

    private static EngineResponse Throttled(TimeSpan retryAfter, string message)
    {
        var response = Error((HttpStatusCode)429, message);
        var seconds = Math.Max(0, (int)Math.Ceiling(retryAfter.TotalSeconds));
        return response with { Headers = [.. response.Headers, new("Retry-After", seconds.ToString(CultureInfo.InvariantCulture))] };
    }

    private static EngineResponse Error(HttpStatusCode status, params string[] errors) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("errors");
        foreach (var error in errors)
        {
            w.WriteStringValue(error);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }, (int)status);

    private static EngineResponse Json(Action<Utf8JsonWriter> write, int status = 200)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return new EngineResponse(status, buffer.WrittenSpan.ToArray(), [new("Content-Type", "application/json; charset=utf-8")]);
    }
}
