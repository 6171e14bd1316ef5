using System.Collections.Concurrent;
using Autotask.Integration.Client;
using Autotask.Integration.Diagnostics;
using Autotask.Integration.Zones;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Autotask.Integration;

/// <summary>Builds one <see cref="IAutotaskClient"/> per configured connection and hands out the same one every time.</summary>
internal sealed class AutotaskClientFactory : IAutotaskClientFactory
{
    internal const string HttpClientName = "Autotask.Integration";

    private readonly AutotaskIntegrationOptions _options;
    private readonly IHttpClientFactory _httpClientFactory;
    private readonly ZoneResolver _zones;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly AutotaskInstruments _instruments;
    private readonly ConcurrentDictionary<string, IAutotaskClient> _clients = new(StringComparer.OrdinalIgnoreCase);

    public AutotaskClientFactory(
        IOptions<AutotaskIntegrationOptions> options,
        IHttpClientFactory httpClientFactory,
        ZoneResolver zones,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        AutotaskInstruments instruments)
    {
        _options = options.Value;
        _httpClientFactory = httpClientFactory;
        _zones = zones;
        _time = time;
        _loggerFactory = loggerFactory;
        _instruments = instruments;
    }

    public IReadOnlyCollection<string> ConnectionNames => _options.Connections.Keys;

    public IAutotaskClient GetClient(string connectionName)
    {
        ArgumentNullException.ThrowIfNull(connectionName);
        return _clients.GetOrAdd(connectionName, name =>
        {
            // Use the configured spelling of the name, so that logs, metrics and pipelines agree.
            var configured = _options.Connections.Keys.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase))
                ?? throw new ArgumentException(
                    $"No Autotask connection is named '{name}'. Configured connections: {(_options.Connections.Count == 0 ? "(none)" : string.Join(", ", _options.Connections.Keys))}.",
                    nameof(connectionName));
            return new AutotaskClient(configured, _options.Connections[configured], _httpClientFactory, _zones, _time,
                _loggerFactory.CreateLogger("Autotask.Integration.AutotaskClient"), _instruments);
        });
    }

    /// <summary>The client to inject as <see cref="IAutotaskClient"/> when exactly one connection is configured.</summary>
    public IAutotaskClient GetSingleClient() => _options.Connections.Count switch
    {
        1 => GetClient(_options.Connections.Keys.First()),
        0 => throw new AutotaskConfigurationException("No Autotask connection is configured; add one in AddAutotaskIntegration."),
        _ => throw new AutotaskConfigurationException(
            $"Several Autotask connections are configured ({string.Join(", ", _options.Connections.Keys)}); inject IAutotaskClientFactory and call GetClient(name)."),
    };
}
