using System.Globalization;
using System.Net;
using System.Text;
using Autotask.Integration.Entities;
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
internal sealed partial class SimulatorEngine
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
    private readonly Dictionary<string, int> _peakInFlight = new(StringComparer.OrdinalIgnoreCase);
    private long _threadRefusals;
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<ContractServiceAdjustment> _applied = [];
    private readonly HashSet<(string Entity, SimulatorAccess Access)> _denied = [];
    private int _ticketSequence;

    /// <summary>Whether this engine's database has the API user: zone discovery and requests are routed to it by username.</summary>
    public bool HasUser(string? userName) => string.Equals(userName, _options.UserName, StringComparison.OrdinalIgnoreCase);

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
                case SimulatorFault.LostWrite:
                    return Record(request, entity, fault, new EngineResponse(0, [], [], TransportFault.DropBeforeAnswer));
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

            if (DispatchCatalogue(request, segments) is { } catalogued)
            {
                return catalogued;
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
                    "PUT" when CatalogueAllows(segments, "replace") => Update(childPath, request.Body, parentId, replace: true),
                    _ => Error(HttpStatusCode.MethodNotAllowed, "The requested resource does not support this HTTP method."),
                };
            }

            // A modelled child deleted under its parent: {Parent}/{parentId}/{Child}/{id}
            if (segments.Length == 4 && request.Method == "DELETE" && long.TryParse(segments[1], out var ownerId) && long.TryParse(segments[3], out var childId) &&
                ChildRoutes.TryGetValue((Canonical(segments[0]), Canonical(segments[2], segments[0])), out var deletedPath))
            {
                if (!CatalogueAllows(segments, "delete"))
                {
                    return Error(HttpStatusCode.MethodNotAllowed, "The requested resource does not support this HTTP method.");
                }

                Require(deletedPath, SimulatorAccess.Update);
                return Delete(deletedPath, childId, ownerId);
            }

            var path = Canonical(entity);
            if (_data.TableFor(path) is null && !path.Equals("ContractServiceUnits", StringComparison.OrdinalIgnoreCase))
            {
                return Error(HttpStatusCode.NotFound, "The requested resource does not exist.");
            }

            var isMetadata = segments.Length >= 2 && segments[1].Equals("entityInformation", StringComparison.OrdinalIgnoreCase);
            if (!isMetadata)
            {
                Require(path, request.Method switch { "POST" when segments.Length == 1 => SimulatorAccess.Create, "PATCH" or "PUT" or "DELETE" => SimulatorAccess.Update, _ => SimulatorAccess.Read });
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
                case 1 when request.Method == "PUT" && SimulatorCatalog.ByName.GetValueOrDefault(path)?.Allows("replace") == true:
                    return Update(path, request.Body, null, replace: true);
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

    /// <summary>Whether the catalogue lets the child URL <c>{Parent}/{id}/{Child}</c> of the request do the operation.</summary>
    private static bool CatalogueAllows(string[] segments, string operation) =>
        SimulatorCatalog.Child(segments[0], segments[2])?.Child.Allows(operation) == true;

    private static bool IsChild(string path) => ChildRoutes.Values.Contains(path, StringComparer.OrdinalIgnoreCase);
}
