using System.Text.Json;
using Autotask.Integration.Caching;
using Autotask.Integration.Diagnostics;
using Autotask.Integration.Http;
using Autotask.Integration.Json;
using Autotask.Integration.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.Timeout;

namespace Autotask.Integration.Zones;

/// <summary>A zone the client may send credentials to, with the API root that requests are built on.</summary>
internal sealed record ResolvedZone(ZoneInformation Information, Uri ApiRoot);

/// <summary>Decides whether a zone URL may receive credentials: https (unless allowed otherwise) on an allowed host.</summary>
internal sealed class ZoneUrlPolicy
{
    private readonly string[] _suffixes;
    private readonly bool _allowHttp;

    public ZoneUrlPolicy(AutotaskZoneOptions options)
    {
        _suffixes = options.AllowedHostSuffixes.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim().TrimStart('.')).ToArray();
        _allowHttp = options.AllowInsecureHttp;
    }

    public bool IsAllowed(Uri uri, out string reason)
    {
        if (!uri.IsAbsoluteUri)
        {
            reason = "it is not an absolute URL";
            return false;
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            reason = "it carries user information";
            return false;
        }

        if (uri.Scheme != Uri.UriSchemeHttps && !(_allowHttp && uri.Scheme == Uri.UriSchemeHttp))
        {
            reason = $"its scheme is {uri.Scheme}, not https";
            return false;
        }

        var host = uri.IdnHost;
        foreach (var suffix in _suffixes)
        {
            if (host.Equals(suffix, StringComparison.OrdinalIgnoreCase) ||
                host.EndsWith("." + suffix, StringComparison.OrdinalIgnoreCase))
            {
                reason = "";
                return true;
            }
        }

        reason = $"its host {host} is not one of the allowed Autotask hosts ({string.Join(", ", _suffixes)})";
        return false;
    }

    /// <summary>The API root (<c>.../v1.0/</c>) of a zone base address.</summary>
    public static Uri ApiRoot(Uri zoneUrl)
    {
        var text = zoneUrl.GetLeftPart(UriPartial.Path);
        if (!text.EndsWith('/'))
        {
            text += "/";
        }

        if (!text.EndsWith("/v1.0/", StringComparison.OrdinalIgnoreCase))
        {
            text += "v1.0/";
        }

        return new Uri(text, UriKind.Absolute);
    }
}

/// <summary>
/// Discovers the zone of an API user from <c>zoneInformation</c> (no credentials sent), caches it per username and
/// discovery address, shares one request among concurrent callers, and refuses untrusted zone URLs.
/// </summary>
internal sealed class ZoneResolver
{
    internal const string HttpClientName = "Autotask.Integration.ZoneDiscovery";

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly AutotaskZoneOptions _options;
    private readonly ZoneUrlPolicy _policy;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AsyncCache<ResolvedZone> _cache;

    public ZoneResolver(IHttpClientFactory httpClientFactory, IOptions<AutotaskIntegrationOptions> options, TimeProvider time, ILogger<ZoneResolver> logger)
    {
        _httpClientFactory = httpClientFactory;
        _options = options.Value.Zones;
        _policy = new ZoneUrlPolicy(_options);
        _time = time;
        _logger = logger;
        _cache = new AsyncCache<ResolvedZone>(time, _options.CacheDuration, StringComparer.OrdinalIgnoreCase);
    }

    public ZoneUrlPolicy Policy => _policy;

    /// <summary>Forgets the zones whose cache time has passed, so that the cache follows the API users in use.</summary>
    public int RemoveExpired() => _cache.RemoveExpired();

    /// <summary>How many API users' zones are cached.</summary>
    public int CachedZones => _cache.Count;

    public Task<ResolvedZone> ResolveAsync(string userName, string connectionName, CancellationToken cancellationToken) =>
        _cache.GetOrLoadAsync(_options.DiscoveryUrl + "|" + userName, () => DiscoverAsync(userName, connectionName), cancellationToken);

    private async Task<ResolvedZone> DiscoverAsync(string userName, string connectionName)
    {
        var discoveryRoot = ZoneUrlPolicy.ApiRoot(new Uri(_options.DiscoveryUrl, UriKind.Absolute));
        var uri = new Uri(discoveryRoot, "zoneInformation?user=" + Uri.EscapeDataString(userName));
        var details = new AutotaskErrorDetails
        {
            Operation = "ZoneDiscovery",
            Connection = connectionName,
            Method = "GET",
            RequestUri = AutotaskRequestOptions.Sanitize(uri),
        };

        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Accept.ParseAdd("application/json");
        request.Options.Set(AutotaskRequestOptions.Request, new RequestInfo("ZoneDiscovery", null, IsRead: true, discoveryRoot));

        var client = _httpClientFactory.CreateClient(HttpClientName);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or TaskCanceledException or IOException)
        {
            throw ErrorMapper.FromTransportFailure(ex, details, isRead: true);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await ErrorMapper.FromResponseAsync(response, details, redact: null, isRead: true, _time, CancellationToken.None).ConfigureAwait(false);
            }

            ZoneInformationResponse? body;
            using var bodyTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                using var stream = await response.Content.ReadAsStreamAsync(bodyTimeout.Token).ConfigureAwait(false);
                body = await JsonSerializer.DeserializeAsync(stream, AutotaskJsonContext.Default.ZoneInformationResponse, bodyTimeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex)
            {
                throw ErrorMapper.FromTransportFailure(new TimeoutException("The zone discovery answer did not arrive in time.", ex), details, isRead: true);
            }
            catch (JsonException ex)
            {
                throw new AutotaskRequestException("Autotask zone discovery answered with a body that is not valid JSON.", details with { StatusCode = response.StatusCode }, ex);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                throw ErrorMapper.FromTransportFailure(ex, details, isRead: true);
            }

            if (string.IsNullOrWhiteSpace(body?.Url))
            {
                throw new AutotaskAuthenticationException(
                    $"Autotask zone discovery found no zone for the username of connection '{connectionName}'. Check the API user's username.",
                    details with { StatusCode = response.StatusCode });
            }

            if (!Uri.TryCreate(body.Url, UriKind.Absolute, out var zoneUrl))
            {
                throw new AutotaskUnsafeUrlException(
                    "Autotask zone discovery answered with a zone URL that is not a valid absolute URL. No credentials were sent.",
                    details with { StatusCode = response.StatusCode });
            }

            if (!_policy.IsAllowed(zoneUrl, out var reason))
            {
                Log.ZoneUrlRefused(_logger, zoneUrl.IdnHost);
                throw new AutotaskUnsafeUrlException(
                    $"Autotask zone discovery answered with a zone URL that was refused because {reason}. No credentials were sent to it.",
                    details with { StatusCode = response.StatusCode });
            }

            var information = new ZoneInformation
            {
                ZoneName = body.ZoneName,
                Url = zoneUrl,
                WebUrl = Uri.TryCreate(body.WebUrl, UriKind.Absolute, out var webUrl) ? webUrl : null,
                Ci = body.Ci,
            };
            Log.ZoneResolved(_logger, connectionName, information.ZoneName, zoneUrl);
            return new ResolvedZone(information, ZoneUrlPolicy.ApiRoot(zoneUrl));
        }
    }
}
