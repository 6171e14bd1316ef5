using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Autotask.Integration.Caching;
using Autotask.Integration.Diagnostics;
using Autotask.Integration.Entities;
using Autotask.Integration.Http;
using Autotask.Integration.Json;
using Autotask.Integration.Metadata;
using Autotask.Integration.Querying;
using Autotask.Integration.Zones;
using Microsoft.Extensions.Logging;
using Polly.RateLimiting;
using Polly.Timeout;

namespace Autotask.Integration.Client;

/// <summary>The REST client of one connection. Built by <see cref="AutotaskClientFactory"/>.</summary>
internal sealed class AutotaskClient : IAutotaskClient
{
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };
    private static readonly MediaTypeWithQualityHeaderValue JsonAccept = new("application/json");

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly ZoneResolver _zones;
    private readonly AutotaskConnectionOptions _options;
    private readonly ConnectionCredentials _credentials;
    private readonly ResolvedZone? _configuredZone;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AsyncCache<IReadOnlyList<EntityField>> _metadata;

    /// <summary>
    /// The longest query string sent: Autotask's IIS front end refuses longer ones (HTML 404.15) before the API sees
    /// them, so a GET query that would be longer goes as a POST.
    /// </summary>
    internal const int MaxQueryStringLength = 2048;

    private const int PageLimit = AutotaskQuery<Company>.MaxPageSize;

    // The method this connection's tenant was found to accept on next-page URLs, once one was refused with 405.
    private HttpMethod? _nextPageMethod;

    private readonly AutotaskInstruments _instruments;

    public AutotaskClient(
        string connectionName,
        AutotaskConnectionOptions options,
        IHttpClientFactory httpClientFactory,
        ZoneResolver zones,
        TimeProvider time,
        ILogger logger,
        AutotaskInstruments instruments)
    {
        ConnectionName = connectionName;
        _options = options;
        _credentials = new ConnectionCredentials(connectionName, options);
        _httpClientFactory = httpClientFactory;
        _zones = zones;
        _time = time;
        _logger = logger;
        _instruments = instruments;
        _metadata = new AsyncCache<IReadOnlyList<EntityField>>(time, options.MetadataCacheDuration, StringComparer.OrdinalIgnoreCase);

        if (!string.IsNullOrWhiteSpace(options.ZoneUrl))
        {
            var zoneUrl = new Uri(options.ZoneUrl, UriKind.Absolute);
            if (!zones.Policy.IsAllowed(zoneUrl, out var reason))
            {
                throw new AutotaskConfigurationException($"Autotask connection '{connectionName}': ZoneUrl is refused because {reason}.", connectionName);
            }

            _configuredZone = new ResolvedZone(new ZoneInformation { Url = zoneUrl }, ZoneUrlPolicy.ApiRoot(zoneUrl));
        }
    }

    public string ConnectionName { get; }

    private HttpClient Http => _httpClientFactory.CreateClient(AutotaskClientFactory.HttpClientName);

    public async Task<ZoneInformation> GetZoneAsync(CancellationToken cancellationToken = default) =>
        (await ZoneAsync(cancellationToken).ConfigureAwait(false)).Information;

    public IAsyncEnumerable<T> QueryAsync<T>(AutotaskQuery<T> query, CancellationToken cancellationToken = default) where T : AutotaskEntity, IQueryableEntity
    {
        ArgumentNullException.ThrowIfNull(query);
        var entity = Queryable<T>();
        QueryWriter.Validate(entity.Path, entity.FieldNames, query.Filters, query.IncludeFields);
        return EnumerateAsync(entity, query, cancellationToken);
    }

    private async IAsyncEnumerable<T> EnumerateAsync<T>(EntityDescriptor<T> entity, AutotaskQuery<T> query, [EnumeratorCancellation] CancellationToken cancellationToken)
        where T : AutotaskEntity, IQueryableEntity
    {
        using var activity = StartActivity("Query", entity.Path);
        var zone = await ZoneAsync(cancellationToken).ConfigureAwait(false);
        var pageSize = query.MaxRecords is { } max ? Math.Min(max, AutotaskQuery<T>.MaxPageSize) : (int?)null;
        var search = QueryWriter.Write(query.Filters, query.IncludeFields, pageSize);
        var info = new RequestInfo("Query", entity.Path, IsRead: true, zone.ApiRoot);
        var (method, uri, body) = QueryRequest(zone, entity.Path + "/query", search);

        long remaining = query.MaxRecords ?? long.MaxValue;
        var pages = 0;
        long? previousLastId = null;
        while (true)
        {
            var page = pages == 0
                ? await ReadJsonAsync(method, uri, body, info, entity.PageTypeInfo, cancellationToken).ConfigureAwait(false)
                : await ReadNextPageAsync(entity, uri, method, search, info, cancellationToken).ConfigureAwait(false);
            pages++;
            activity?.SetTag("autotask.pages", pages);
            var items = page.Items ?? [];
            previousLastId = CheckPage(entity.Path, pages, items, previousLastId, Details(info, method, uri));
            foreach (var item in items)
            {
                if (item is null)
                {
                    continue;
                }

                yield return item;
                if (--remaining == 0)
                {
                    yield break;
                }
            }

            var next = page.PageDetails?.NextPageUrl;
            if (string.IsNullOrEmpty(next))
            {
                yield break;
            }

            var nextUri = NextPageUri(next, zone, info, method);
            if (nextUri == uri)
            {
                throw new AutotaskServerException(
                    $"Autotask paging of {entity.Path} for connection '{ConnectionName}' did not advance: the next page URL is the page just read.",
                    Details(info, method, uri));
            }

            uri = nextUri;
        }
    }

    /// <summary>
    /// Refuses a page that cannot be right before any of its items is yielded: more items than a page holds, an id
    /// twice, or (in a read whose pages come sorted by id, as Autotask's do) a page that does not start after the last.
    /// </summary>
    /// <returns>The page's last id when its ids ascend, else <c>null</c>.</returns>
    private long? CheckPage<T>(string entityPath, int pageNumber, List<T> items, long? previousLastId, AutotaskErrorDetails details) where T : AutotaskEntity
    {
        string? problem = null;
        long? firstId = null;
        long? lastId = null;
        var ascending = true;
        if (items.Count > PageLimit)
        {
            problem = $"holds {items.Count} items, more than the {PageLimit} a page can";
        }
        else
        {
            var seen = new HashSet<long>();
            foreach (var item in items)
            {
                if (item is null)
                {
                    continue;
                }

                if (!seen.Add(item.Id))
                {
                    problem = $"holds id {item.Id} twice";
                    break;
                }

                ascending &= lastId is null || item.Id > lastId;
                firstId ??= item.Id;
                lastId = item.Id;
            }

            if (problem is null && ascending && previousLastId is { } previous && firstId is { } first && first <= previous)
            {
                problem = $"starts at id {first}, not after id {previous} that ended the page before (a page was repeated or the results shifted)";
            }
        }

        if (problem is not null)
        {
            throw new AutotaskServerException(
                $"Autotask paging of {entityPath} for connection '{ConnectionName}' returned an impossible page {pageNumber}: it {problem}. None of its items was delivered; run the read again.",
                details);
        }

        return ascending ? lastId : null;
    }

    /// <summary>
    /// Reads a next page. Tenants differ in the method they accept there: the query's own method is tried first (or
    /// the one this connection learnt), and on a 405 the other, once; what worked is remembered for the connection.
    /// </summary>
    private async Task<QueryResponse<T>> ReadNextPageAsync<T>(
        EntityDescriptor<T> entity, Uri next, HttpMethod queryMethod, byte[] search, RequestInfo info, CancellationToken cancellationToken)
        where T : AutotaskEntity
    {
        var first = _nextPageMethod ?? queryMethod;
        var (method, uri, body) = NextPageRequest(next, first, search);
        try
        {
            return await ReadJsonAsync(method, uri, body, info, entity.PageTypeInfo, cancellationToken).ConfigureAwait(false);
        }
        catch (AutotaskValidationException refused) when (refused.StatusCode == System.Net.HttpStatusCode.MethodNotAllowed)
        {
            var other = first == HttpMethod.Get ? HttpMethod.Post : HttpMethod.Get;
            var (otherMethod, otherUri, otherBody) = NextPageRequest(next, other, search);
            if (otherMethod != other)
            {
                throw new AutotaskValidationException(
                    $"Autotask paging of {info.Entity} for connection '{ConnectionName}' refused {first.Method} on the next page (HTTP 405), and its next-page URL is too long to be sent with {other.Method}.",
                    refused.Details, refused);
            }

            try
            {
                var page = await ReadJsonAsync(otherMethod, otherUri, otherBody, info, entity.PageTypeInfo, cancellationToken).ConfigureAwait(false);
                _nextPageMethod = other;
                Log.NextPageMethodChanged(_logger, ConnectionName, first.Method, other.Method);
                return page;
            }
            catch (AutotaskValidationException again) when (again.StatusCode == System.Net.HttpStatusCode.MethodNotAllowed)
            {
                throw new AutotaskValidationException(
                    $"Autotask paging of {info.Entity} for connection '{ConnectionName}' refused the next page with both GET and POST (HTTP 405); the results so far are incomplete.",
                    again.Details, again);
            }
        }
    }

    /// <summary>
    /// How a next page goes with a method: a GET uses the next-page URL as given (Autotask's carries the query); a POST
    /// sends the original query as its body, and drops the URL's own copy of it when that would make the URL too long.
    /// A GET whose URL is too long goes as a POST.
    /// </summary>
    private static (HttpMethod Method, Uri Uri, byte[]? Body) NextPageRequest(Uri next, HttpMethod method, byte[] search)
    {
        var tooLong = next.Query.Length - 1 > MaxQueryStringLength;
        if (method == HttpMethod.Get && !tooLong)
        {
            return (HttpMethod.Get, next, null);
        }

        return (HttpMethod.Post, tooLong ? WithoutParameter(next, "search") : next, search);
    }

    private static Uri WithoutParameter(Uri uri, string name)
    {
        var kept = uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Where(p => !p.StartsWith(name + "=", StringComparison.OrdinalIgnoreCase));
        return new UriBuilder(uri) { Query = string.Join("&", kept) }.Uri;
    }

    public async Task<long> CountAsync<T>(AutotaskQuery<T> query, CancellationToken cancellationToken = default) where T : AutotaskEntity, IQueryableEntity
    {
        ArgumentNullException.ThrowIfNull(query);
        var entity = Queryable<T>();
        QueryWriter.Validate(entity.Path, entity.FieldNames, query.Filters, includeFields: null);
        using var activity = StartActivity("Count", entity.Path);
        var zone = await ZoneAsync(cancellationToken).ConfigureAwait(false);
        var info = new RequestInfo("Count", entity.Path, IsRead: true, zone.ApiRoot);
        var (method, uri, body) = QueryRequest(zone, entity.Path + "/query/count", QueryWriter.Write(query.Filters, null, null));
        var result = await ReadJsonAsync(method, uri, body, info, AutotaskJsonContext.Default.CountResponse, cancellationToken).ConfigureAwait(false);
        return result.QueryCount;
    }

    public async Task<T?> GetAsync<T>(long id, CancellationToken cancellationToken = default) where T : AutotaskEntity, IQueryableEntity
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(id, 1);
        var entity = Queryable<T>();
        using var activity = StartActivity("Get", entity.Path);
        var zone = await ZoneAsync(cancellationToken).ConfigureAwait(false);
        var info = new RequestInfo("Get", entity.Path, IsRead: true, zone.ApiRoot);
        var uri = new Uri(zone.ApiRoot, $"{entity.Path}/{id}");
        try
        {
            var result = await ReadJsonAsync(HttpMethod.Get, uri, null, info, entity.ItemTypeInfo, cancellationToken).ConfigureAwait(false);
            return result.Item;
        }
        catch (AutotaskNotFoundException)
        {
            // Autotask answers a missing id either 200 {"item":null} or 404 {"item":null}; the URL itself comes from the model.
            return null;
        }
    }

    public async Task<long> CreateAsync<T>(T entity, CancellationToken cancellationToken = default) where T : AutotaskEntity, ICreatableEntity
    {
        ArgumentNullException.ThrowIfNull(entity);
        var descriptor = EntityDescriptor<T>.Instance;
        if (!descriptor.CanCreate)
        {
            throw new NotSupportedException($"Autotask does not let API users create {descriptor.Path}.");
        }

        if (entity.Id != 0)
        {
            throw new ArgumentException($"A new {typeof(T).Name} must have Id 0; it has {entity.Id}. To change an existing one use UpdateAsync.", nameof(entity));
        }

        using var activity = StartActivity("Create", descriptor.Path);
        var zone = await ZoneAsync(cancellationToken).ConfigureAwait(false);
        var path = WritePath(descriptor, descriptor.ParentId?.Invoke(entity), nameof(entity));
        var info = new RequestInfo("Create", descriptor.Path, IsRead: false, zone.ApiRoot);
        var body = JsonSerializer.SerializeToUtf8Bytes(entity, descriptor.TypeInfo);
        var result = await ReadJsonAsync(HttpMethod.Post, new Uri(zone.ApiRoot, path), body, info, AutotaskJsonContext.Default.ItemIdResponse, cancellationToken).ConfigureAwait(false);
        activity?.SetTag("autotask.item_id", result.ItemId);
        return result.ItemId;
    }

    public async Task<long> UpdateAsync<T>(EntityPatch<T> patch, CancellationToken cancellationToken = default) where T : AutotaskEntity, IUpdatableEntity
    {
        ArgumentNullException.ThrowIfNull(patch);
        var descriptor = EntityDescriptor<T>.Instance;
        if (!descriptor.CanUpdate)
        {
            throw new NotSupportedException($"Autotask does not let API users update {descriptor.Path}.");
        }

        if (patch.Changes.Count == 0)
        {
            throw new ArgumentException($"The patch of {typeof(T).Name} {patch.Id} changes nothing.", nameof(patch));
        }

        using var activity = StartActivity("Update", descriptor.Path);
        var zone = await ZoneAsync(cancellationToken).ConfigureAwait(false);
        var path = WritePath(descriptor, patch.ParentId, nameof(patch));
        var info = new RequestInfo("Update", descriptor.Path, IsRead: false, zone.ApiRoot);
        var body = PatchWriter.Write(patch, descriptor);
        var result = await ReadJsonAsync(HttpMethod.Patch, new Uri(zone.ApiRoot, path), body, info, AutotaskJsonContext.Default.ItemIdResponse, cancellationToken).ConfigureAwait(false);
        return result.ItemId == 0 ? patch.Id : result.ItemId;
    }

    public async Task<EntityInformation> GetEntityInformationAsync<T>(CancellationToken cancellationToken = default) where T : AutotaskEntity
    {
        var entity = EntityDescriptor<T>.Instance;
        using var activity = StartActivity("GetEntityInformation", entity.Path);
        var zone = await ZoneAsync(cancellationToken).ConfigureAwait(false);
        var info = new RequestInfo("GetEntityInformation", entity.Path, IsRead: true, zone.ApiRoot);
        var result = await ReadJsonAsync(HttpMethod.Get, new Uri(zone.ApiRoot, entity.Path + "/entityInformation"), null, info,
            AutotaskJsonContext.Default.EntityInformationResponse, cancellationToken).ConfigureAwait(false);
        return result.Info ?? throw new AutotaskRequestException(
            $"Autotask answered the entity information of {entity.Path} without an 'info' object.", Details(info, HttpMethod.Get, null));
    }

    public Task<IReadOnlyList<EntityField>> GetFieldsAsync<T>(CancellationToken cancellationToken = default) where T : AutotaskEntity =>
        LoadFieldsAsync(EntityDescriptor<T>.Instance.Path, "fields", cancellationToken);

    public Task<IReadOnlyList<EntityField>> GetUserDefinedFieldsAsync<T>(CancellationToken cancellationToken = default) where T : AutotaskEntity =>
        LoadFieldsAsync(EntityDescriptor<T>.Instance.Path, "userDefinedFields", cancellationToken);

    public async Task<Picklist> GetPicklistAsync<T>(string field, CancellationToken cancellationToken = default) where T : AutotaskEntity
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(field);
        var path = EntityDescriptor<T>.Instance.Path;
        var fields = await GetFieldsAsync<T>(cancellationToken).ConfigureAwait(false);
        var found = fields.FirstOrDefault(f => f.IsPickList && string.Equals(f.Name, field, StringComparison.OrdinalIgnoreCase));
        if (found is null)
        {
            var picklists = fields.Where(f => f.IsPickList).Select(f => f.Name).ToArray();
            throw new ArgumentException(
                $"{path} has no picklist field '{field}'. Its picklist fields are: {(picklists.Length == 0 ? "(none)" : string.Join(", ", picklists))}.",
                nameof(field));
        }

        return new Picklist(path, found.Name, found.PicklistValues ?? []);
    }

    public async Task<ThresholdInformation> GetThresholdInformationAsync(CancellationToken cancellationToken = default)
    {
        using var activity = StartActivity("GetThresholdInformation", "ThresholdInformation");
        var zone = await ZoneAsync(cancellationToken).ConfigureAwait(false);
        var info = new RequestInfo("GetThresholdInformation", "ThresholdInformation", IsRead: true, zone.ApiRoot);
        return await ReadJsonAsync(HttpMethod.Get, new Uri(zone.ApiRoot, "ThresholdInformation"), null, info,
            AutotaskJsonContext.Default.ThresholdInformation, cancellationToken).ConfigureAwait(false);
    }

    private Task<IReadOnlyList<EntityField>> LoadFieldsAsync(string entityPath, string kind, CancellationToken cancellationToken) =>
        _metadata.GetOrLoadAsync(entityPath + "/" + kind, async () =>
        {
            using var activity = StartActivity("GetFields", entityPath);
            var zone = await ZoneAsync(CancellationToken.None).ConfigureAwait(false);
            var info = new RequestInfo("GetFields", entityPath, IsRead: true, zone.ApiRoot);
            var result = await ReadJsonAsync(HttpMethod.Get, new Uri(zone.ApiRoot, $"{entityPath}/entityInformation/{kind}"), null, info,
                AutotaskJsonContext.Default.FieldsResponse, CancellationToken.None).ConfigureAwait(false);
            var fields = result.Fields?.ToArray() ?? [];
            Log.FieldsLoaded(_logger, fields.Length, entityPath, ConnectionName);
            return (IReadOnlyList<EntityField>)fields;
        }, cancellationToken);

    private static EntityDescriptor<T> Queryable<T>() where T : AutotaskEntity
    {
        var entity = EntityDescriptor<T>.Instance;
        if (!entity.CanQuery)
        {
            throw new NotSupportedException(
                $"Autotask cannot query or read {entity.Path}. " +
                (typeof(T) == typeof(ContractServiceAdjustment) ? "To learn whether an adjustment was applied, read ContractServiceUnits." : ""));
        }

        return entity;
    }

    private static string WritePath<T>(EntityDescriptor<T> descriptor, long? parentId, string parameterName) where T : AutotaskEntity
    {
        if (descriptor.Parent is not { } parent)
        {
            return descriptor.Path;
        }

        if (parentId is not > 0)
        {
            throw new ArgumentException(
                $"{typeof(T).Name} is written under its parent ({parent.ParentPath}/{{id}}/{parent.ChildSegment}), so {parent.ParentIdField} must be set.",
                parameterName);
        }

        return $"{parent.ParentPath}/{parentId}/{parent.ChildSegment}";
    }

    /// <summary>A query or count as the connection sends it: GET with <c>?search=</c>, unless that URL would be too long, or POST.</summary>
    private (HttpMethod Method, Uri Uri, byte[]? Body) QueryRequest(ResolvedZone zone, string path, byte[] search)
    {
        if (_options.QueryMethod == AutotaskQueryMethod.Get)
        {
            var parameter = "search=" + Uri.EscapeDataString(Encoding.UTF8.GetString(search));
            if (parameter.Length <= MaxQueryStringLength)
            {
                return (HttpMethod.Get, new Uri(zone.ApiRoot, path + "?" + parameter), null);
            }
        }

        return (HttpMethod.Post, new Uri(zone.ApiRoot, path), search);
    }

    /// <summary>Checks a server-given next-page URL: it must stay on the zone's origin and under its API root.</summary>
    private Uri NextPageUri(string next, ResolvedZone zone, RequestInfo info, HttpMethod method)
    {
        if (Uri.TryCreate(zone.ApiRoot, next, out var uri) &&
            AutotaskRequestOptions.SameOrigin(uri, zone.ApiRoot) &&
            string.IsNullOrEmpty(uri.UserInfo) &&
            uri.AbsolutePath.StartsWith(zone.ApiRoot.AbsolutePath, StringComparison.OrdinalIgnoreCase))
        {
            return uri;
        }

        var shown = Uri.TryCreate(next, UriKind.Absolute, out var absolute) ? absolute.GetLeftPart(UriPartial.Authority) : "(a malformed URL)";
        throw new AutotaskUnsafeUrlException(
            $"Autotask paging of {info.Entity} for connection '{ConnectionName}' handed back a next-page URL on {shown}, outside the zone {zone.ApiRoot.GetLeftPart(UriPartial.Authority)}. It was not followed and no credentials were sent; the results so far are incomplete.",
            Details(info, method, AutotaskRequestOptions.Sanitize(absolute)));
    }

    private ValueTask<ResolvedZone> ZoneAsync(CancellationToken cancellationToken) =>
        _configuredZone is { } zone
            ? new ValueTask<ResolvedZone>(zone)
            : new ValueTask<ResolvedZone>(_zones.ResolveAsync(_credentials.UserName, ConnectionName, cancellationToken));

    /// <summary>Sends a request and reads its JSON answer. A read whose answer breaks off while it is read is sent again.</summary>
    private async Task<TResult> ReadJsonAsync<TResult>(
        HttpMethod method, Uri uri, byte[]? body, RequestInfo info, JsonTypeInfo<TResult> typeInfo, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            // The pipeline's attempt timeout ends at the answer's headers; this one also covers reading its body.
            using var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptTimeout.CancelAfter(_options.AttemptTimeout + _options.AttemptTimeout);
            using var response = await SendAsync(method, uri, body, info, cancellationToken).ConfigureAwait(false);
            Exception failure;
            try
            {
                using var stream = await response.Content.ReadAsStreamAsync(attemptTimeout.Token).ConfigureAwait(false);
                var result = await JsonSerializer.DeserializeAsync(stream, typeInfo, attemptTimeout.Token).ConfigureAwait(false);
                if (result is not null)
                {
                    return result;
                }

                failure = new JsonException("The answer was empty or null.");
            }
            catch (JsonException ex) when (info.IsRead && IsConversionFailure(ex))
            {
                // Well-formed JSON holding a value the model cannot hold: reading it again gives the same answer.
                throw new AutotaskServerException(
                    $"Autotask {info.Operation} {info.Entity} for connection '{ConnectionName}' answered a value that {typeof(TResult).Name.Split('`')[0]} cannot hold at {ex.Path ?? "(unknown)"}: {ex.Message.Split(" Path:")[0]} It was not read again.",
                    Details(info, method, uri) with { StatusCode = response.StatusCode }, ex);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or JsonException && !cancellationToken.IsCancellationRequested)
            {
                failure = ex;
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                failure = new TimeoutException("The answer's body did not arrive in time.", ex);
            }

            var details = Details(info, method, uri) with { StatusCode = response.StatusCode };
            if (!info.IsRead)
            {
                // A success status came back, but a body that cannot be read proves nothing either way.
                throw new AutotaskCommunicationException(
                    $"Autotask {info.Operation} {info.Entity} for connection '{ConnectionName}' was answered HTTP {(int)response.StatusCode}, but the answer could not be read. The write may have been applied: read the entity back before writing it again.",
                    details, requestMayHaveBeenApplied: true, failure);
            }

            if (attempt > _options.MaxRetryAttempts)
            {
                throw failure is JsonException
                    ? new AutotaskServerException($"Autotask {info.Operation} {info.Entity} for connection '{ConnectionName}' answered with a body that is not valid JSON, {attempt} times.", details, failure)
                    : ErrorMapper.FromTransportFailure(failure, details, isRead: true);
            }

            Log.RereadingAfterBrokenAnswer(_logger, info.Operation, info.Entity, ConnectionName, attempt + 1);
            _instruments.Retries.Add(1,
                new KeyValuePair<string, object?>("autotask.connection", ConnectionName),
                new KeyValuePair<string, object?>("autotask.reason", "broken answer"));
            await Task.Delay(_options.RetryBaseDelay * attempt, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether a JSON failure is a value of the wrong type in well-formed JSON, rather than a body that broke off.</summary>
    private static bool IsConversionFailure(JsonException exception) =>
        exception.InnerException is InvalidOperationException or FormatException or OverflowException ||
        exception.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal);

    /// <summary>Sends one request through the pipeline and returns a success answer; anything else becomes a typed exception.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, byte[]? body, RequestInfo info, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = JsonContentType;
        }

        request.Headers.Accept.Add(JsonAccept);
        request.Options.Set(AutotaskRequestOptions.Connection, _credentials);
        request.Options.Set(AutotaskRequestOptions.Request, info);

        var started = _time.GetTimestamp();
        HttpResponseMessage response;
        try
        {
            response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
        {
            Record(info, method, null, AutotaskInstruments.ErrorType(ex), started);
            AutotaskInstruments.Fail(Activity.Current, ex);
            throw;
        }
        catch (AutotaskRequestException ex)
        {
            Record(info, method, null, AutotaskInstruments.ErrorType(ex), started);
            AutotaskInstruments.Fail(Activity.Current, ex);
            Log.RequestFailed(_logger, info.Operation, info.Entity, ConnectionName, ex.GetType().Name, null);
            throw;
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or TaskCanceledException or IOException or RateLimiterRejectedException)
        {
            var error = ErrorMapper.FromTransportFailure(ex, Details(info, method, uri), info.IsRead);
            Record(info, method, null, AutotaskInstruments.ErrorType(error), started);
            AutotaskInstruments.Fail(Activity.Current, error);
            Log.RequestFailed(_logger, info.Operation, info.Entity, ConnectionName, error.GetType().Name, null);
            throw error;
        }

        var status = (int)response.StatusCode;
        Record(info, method, status, response.IsSuccessStatusCode ? null : status.ToString(CultureInfo.InvariantCulture), started);
        Log.RequestCompleted(_logger, info.Operation, info.Entity, ConnectionName, method.Method, uri.AbsolutePath, status,
            _time.GetElapsedTime(started).TotalMilliseconds);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var error = await ErrorMapper.FromResponseAsync(response, Details(info, method, uri), _credentials.Echoable, info.IsRead, _time, cancellationToken).ConfigureAwait(false);
            AutotaskInstruments.Fail(Activity.Current, error);
            Log.RequestFailed(_logger, info.Operation, info.Entity, ConnectionName, error.GetType().Name, response.StatusCode);
            throw error;
        }
    }

    private AutotaskErrorDetails Details(RequestInfo info, HttpMethod method, Uri? uri) => new()
    {
        Operation = info.Operation,
        Entity = info.Entity,
        Connection = ConnectionName,
        Method = method.Method,
        RequestUri = AutotaskRequestOptions.Sanitize(uri),
    };

    /// <summary>Counts a request: with the status code when an answer came, with <c>error.type</c> when it failed.</summary>
    private void Record(RequestInfo info, HttpMethod method, int? status, string? errorType, long started)
    {
        var tags = new TagList
        {
            { "autotask.connection", ConnectionName },
            { "autotask.entity", info.Entity },
            { "autotask.operation", info.Operation },
            { "http.request.method", method.Method },
        };
        if (status is { } code)
        {
            tags.Add("http.response.status_code", code);
        }

        if (errorType is not null)
        {
            tags.Add("error.type", errorType);
        }

        _instruments.Requests.Add(1, tags);
        _instruments.Duration.Record(_time.GetElapsedTime(started).TotalSeconds, tags);
    }

    private Activity? StartActivity(string operation, string entity)
    {
        var activity = AutotaskTelemetry.Source.StartActivity($"Autotask {operation} {entity}", ActivityKind.Client);
        activity?.SetTag("autotask.connection", ConnectionName);
        activity?.SetTag("autotask.operation", operation);
        activity?.SetTag("autotask.entity", entity);
        return activity;
    }
}
