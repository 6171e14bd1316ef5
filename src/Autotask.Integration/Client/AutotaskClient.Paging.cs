using System.Runtime.CompilerServices;
using System.Text;
using Autotask.Integration.Diagnostics;
using Autotask.Integration.Entities;
using Autotask.Integration.Http;
using Autotask.Integration.Json;
using Autotask.Integration.Querying;

namespace Autotask.Integration.Client;

/// <summary>Queries and counts: pages streamed one at a time, next-page URLs checked and followed, every page checked before its items are delivered.</summary>
internal sealed partial class AutotaskClient
{
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
        long remaining = query.MaxRecords ?? long.MaxValue;
        await foreach (var page in PagesAsync(entity, query.Filters, query.MaxRecords, query.IncludeFields, prefetch: false, activity, cancellationToken).ConfigureAwait(false))
        {
            foreach (var item in page.Items)
            {
                yield return item;
                if (--remaining == 0)
                {
                    yield break;
                }
            }
        }
    }

    /// <summary>A checked page: its records (no nulls, ids ascending), and whether another page follows.</summary>
    private readonly record struct Page<T>(List<T> Items, bool More);

    /// <summary>
    /// The pages of a query, each checked before it is handed over. With <paramref name="prefetch"/>, the next page is
    /// requested as soon as its URL is known, while the caller works through the current one; an abandoned prefetch is
    /// cancelled and awaited.
    /// </summary>
    private async IAsyncEnumerable<Page<T>> PagesAsync<T>(
        IPagedEntity<T> entity, IReadOnlyList<QueryFilter> filters, int? maxRecords, IReadOnlyList<string>? includeFields, bool prefetch,
        System.Diagnostics.Activity? activity, [EnumeratorCancellation] CancellationToken cancellationToken)
        where T : class
    {
        var zone = await ZoneAsync(cancellationToken).ConfigureAwait(false);
        var pageSize = maxRecords is { } max ? Math.Min(max, PageLimit) : (int?)null;
        var search = QueryWriter.Write(filters, includeFields, pageSize);
        var info = zone.Request("Query", entity.Path, isRead: true);
        var (method, uri, body) = QueryRequest(zone, entity.Path + "/query", search);

        using var ahead = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pending = ReadJsonAsync(method, uri, body, info, entity.ReadPageAsync, ahead.Token);
        var awaited = false;
        try
        {
            var pages = 0;
            long? previousLastId = null;
            while (true)
            {
                awaited = true;
                var page = await pending.ConfigureAwait(false);
                pages++;
                activity?.SetTag("autotask.pages", pages);
                var items = page.Items ?? [];
                previousLastId = CheckPage(entity, pages, items, previousLastId, Details(info, method, uri));
                items.RemoveAll(static item => item is null);

                // A next-page URL that cannot be followed fails the read after this page's items, which are sound.
                Uri? nextUri = null;
                Exception? refused = null;
                if (page.PageDetails?.NextPageUrl is { Length: > 0 } next)
                {
                    try
                    {
                        nextUri = NextPageUri(next, zone, info, method);
                        if (nextUri == uri)
                        {
                            throw new AutotaskServerException(
                                $"Autotask paging of {entity.Path} for connection '{ConnectionName}' did not advance: the next page URL is the page just read.",
                                Details(info, method, uri));
                        }
                    }
                    catch (AutotaskException ex)
                    {
                        refused = ex;
                        nextUri = null;
                    }

                    if (nextUri is not null && prefetch)
                    {
                        pending = ReadNextPageAsync(entity, nextUri, method, search, info, ahead.Token);
                        awaited = false;
                    }
                }

                yield return new Page<T>(items, nextUri is not null || refused is not null);
                if (refused is not null)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(refused);
                }

                if (nextUri is null)
                {
                    yield break;
                }

                uri = nextUri;
                if (!prefetch)
                {
                    pending = ReadNextPageAsync(entity, uri, method, search, info, ahead.Token);
                    awaited = false;
                }
            }
        }
        finally
        {
            if (!awaited)
            {
                // The caller stopped with a page still on its way: it is cancelled, and its outcome observed.
                await ahead.CancelAsync().ConfigureAwait(false);
                try
                {
                    await pending.ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Nobody is left to hand it to.
                }
            }
        }
    }

    /// <summary>
    /// Refuses a page that cannot be right before any of its items is yielded: more items than a page holds, an id
    /// twice, ids that go back within the page, or a page that does not start after the last. Autotask's query results
    /// come sorted by id ascending (its paging goes on from the ids of the page before), so a page out of that order was
    /// not read as the query said.
    /// </summary>
    /// <returns>The last id read so far: the page's last, or the one before it for an empty page.</returns>
    private long? CheckPage<T>(IPagedEntity<T> entity, int pageNumber, List<T> items, long? previousLastId, AutotaskErrorDetails details) where T : class
    {
        var entityPath = entity.Path;
        string? problem = null;
        long? firstId = null;
        long? lastId = null;
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

                var id = entity.IdOf(item);
                if (!seen.Add(id))
                {
                    problem = $"holds id {id} twice";
                    break;
                }

                if (lastId is { } before && id < before)
                {
                    problem = $"goes back from id {before} to id {id}, where Autotask's results come sorted by id";
                    break;
                }

                firstId ??= id;
                lastId = id;
            }

            if (problem is null && previousLastId is { } previous && firstId is { } first && first <= previous)
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

        return lastId ?? previousLastId;
    }

    /// <summary>
    /// Reads a next page. Tenants differ in the method they accept there: the query's own method is tried first (or
    /// the one this connection learnt), and on a 405 the other, once; what worked is remembered for the connection.
    /// </summary>
    private async Task<QueryResponse<T>> ReadNextPageAsync<T>(
        IPagedEntity<T> entity, Uri next, HttpMethod queryMethod, byte[] search, RequestInfo info, CancellationToken cancellationToken)
        where T : class
    {
        var first = info.Connection!.NextPageMethod ?? queryMethod;
        var (method, uri, body) = NextPageRequest(next, first, search);
        try
        {
            return await ReadJsonAsync(method, uri, body, info, entity.ReadPageAsync, cancellationToken).ConfigureAwait(false);
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
                var page = await ReadJsonAsync(otherMethod, otherUri, otherBody, info, entity.ReadPageAsync, cancellationToken).ConfigureAwait(false);
                info.Connection.NextPageMethod = other;
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
        return await CountAsync(entity.Path, query.Filters, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Counts the records of an entity that match the filters (checked by the caller).</summary>
    private async Task<long> CountAsync(string entityPath, IReadOnlyList<QueryFilter> filters, CancellationToken cancellationToken)
    {
        using var activity = StartActivity("Count", entityPath);
        var zone = await ZoneAsync(cancellationToken).ConfigureAwait(false);
        var info = zone.Request("Count", entityPath, isRead: true);
        var (method, uri, body) = QueryRequest(zone, entityPath + "/query/count", QueryWriter.Write(filters, null, null));
        var result = await ReadJsonAsync(method, uri, body, info, AutotaskJsonContext.Default.CountResponse, cancellationToken).ConfigureAwait(false);
        return result.QueryCount;
    }

    /// <summary>A query or count as the connection sends it: GET with <c>?search=</c>, unless that URL would be too long, or POST.</summary>
    private static (HttpMethod Method, Uri Uri, byte[]? Body) QueryRequest(ConnectionSession zone, string path, byte[] search)
    {
        if (zone.Runtime.Settings.QueryMethod == AutotaskQueryMethod.Get)
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
    private Uri NextPageUri(string next, ConnectionSession zone, RequestInfo info, HttpMethod method)
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
}
