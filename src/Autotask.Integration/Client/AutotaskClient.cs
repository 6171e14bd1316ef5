using System.Net.Http.Headers;
using Autotask.Integration.Caching;
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
    private readonly ZoneResolver _zones;
    private readonly AutotaskConnectionOptions _options;
    private readonly ConnectionCredentials _credentials;
    private readonly ResolvedZone? _configuredZone;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AsyncCache<IReadOnlyList<EntityField>> _metadata;
    private readonly AutotaskInstruments _instruments;

    /// <summary>
    /// The longest query string sent: Autotask's IIS front end refuses longer ones (HTML 404.15) before the API sees
    /// them, so a GET query that would be longer goes as a POST.
    /// </summary>
    internal const int MaxQueryStringLength = 2048;

    private const int PageLimit = AutotaskQuery<Company>.MaxPageSize;

    // The method this connection's tenant was found to accept on next-page URLs, once one was refused with 405.
    private HttpMethod? _nextPageMethod;


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

    private ValueTask<ResolvedZone> ZoneAsync(CancellationToken cancellationToken) =>
        _configuredZone is { } zone
            ? new ValueTask<ResolvedZone>(zone)
            : new ValueTask<ResolvedZone>(_zones.ResolveAsync(_credentials.UserName, ConnectionName, cancellationToken));
}
