using System.Net.Http.Headers;
using Autotask.Integration.Connections;
using Autotask.Integration.Diagnostics;
using Autotask.Integration.Entities;
using Autotask.Integration.Http;
using Autotask.Integration.Metadata;
using Autotask.Integration.Querying;
using Autotask.Integration.Zones;
using Microsoft.Extensions.Logging;

namespace Autotask.Integration.Client;

/// <summary>The REST client of one connection. Built by <see cref="AutotaskClientFactory"/>.</summary>
internal sealed partial class AutotaskClient : IAutotaskClient
{
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };
    private static readonly MediaTypeWithQualityHeaderValue JsonAccept = new("application/json");

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly ConnectionRegistry _registry;
    private readonly ConnectionRuntime? _pinned;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AutotaskInstruments _instruments;

    /// <summary>
    /// The longest query string sent: Autotask's IIS front end refuses longer ones (HTML 404.15) before the API sees
    /// them, so a GET query that would be longer goes as a POST.
    /// </summary>
    internal const int MaxQueryStringLength = 2048;

    private const int PageLimit = AutotaskQuery<Company>.MaxPageSize;

    public AutotaskClient(
        string connectionName,
        ConnectionRegistry registry,
        IHttpClientFactory httpClientFactory,
        TimeProvider time,
        ILogger logger,
        AutotaskInstruments instruments,
        ConnectionRuntime? pinned = null)
    {
        ConnectionName = connectionName;
        _registry = registry;
        _pinned = pinned;
        _httpClientFactory = httpClientFactory;
        _time = time;
        _logger = logger;
        _instruments = instruments;
    }

    public string ConnectionName { get; }

    private HttpClient Http => _httpClientFactory.CreateClient(AutotaskClientFactory.HttpClientName);

    public async Task<ZoneInformation> GetZoneAsync(CancellationToken cancellationToken = default) =>
        (await ZoneAsync(cancellationToken).ConfigureAwait(false)).Information;

    /// <summary>The connection's current runtime: the registry's, or the one this client was made for (settings not saved yet).</summary>
    private Task<ConnectionRuntime> RuntimeAsync(CancellationToken cancellationToken) =>
        _pinned is { } pinned ? Task.FromResult(pinned) : _registry.GetAsync(ConnectionName, cancellationToken);

    /// <summary>The connection's runtime and zone, which an operation's requests are built on.</summary>
    private async Task<ConnectionSession> ZoneAsync(CancellationToken cancellationToken)
    {
        var runtime = await RuntimeAsync(cancellationToken).ConfigureAwait(false);
        return new ConnectionSession(runtime, await runtime.ZoneAsync(cancellationToken).ConfigureAwait(false));
    }
}

/// <summary>What one operation is built on: the connection's runtime when it began, and its zone.</summary>
internal sealed record ConnectionSession(ConnectionRuntime Runtime, ResolvedZone Zone)
{
    public Uri ApiRoot => Zone.ApiRoot;

    public ZoneInformation Information => Zone.Information;

    public RequestInfo Request(string operation, string? entity, bool isRead) =>
        new(operation, entity, isRead, ApiRoot) { Connection = Runtime, Database = Limits.RequestLimits.DatabaseOf(Runtime, Zone.Information) };
}
