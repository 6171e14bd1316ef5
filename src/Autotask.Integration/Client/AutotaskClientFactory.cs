using Autotask.Integration.Client;
using Autotask.Integration.Connections;
using Autotask.Integration.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Autotask.Integration;

/// <summary>
/// Hands out clients by connection id. A client is a light handle: the connection is looked up in the sources on its
/// first request, so connections linked at run time are served like configured ones.
/// </summary>
internal sealed class AutotaskClientFactory : IAutotaskClientFactory
{
    internal const string HttpClientName = "Autotask.Integration";

    private readonly ConnectionRegistry _registry;
    private readonly OptionsConnectionSource _configured;
    private readonly IHttpClientFactory _httpClientFactory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AutotaskInstruments _instruments;

    public AutotaskClientFactory(
        ConnectionRegistry registry,
        OptionsConnectionSource configured,
        IHttpClientFactory httpClientFactory,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        AutotaskInstruments instruments)
    {
        _registry = registry;
        _configured = configured;
        _httpClientFactory = httpClientFactory;
        _time = time;
        _logger = loggerFactory.CreateLogger("Autotask.Integration.AutotaskClient");
        _instruments = instruments;
    }

    public IAutotaskClient GetClient(string connectionName)
    {
        AutotaskConnectionIds.Validate(connectionName);

        // The configured spelling of the name, so that logs, metrics and audit agree with the configuration.
        return new AutotaskClient(_configured.Spelling(connectionName) ?? connectionName, _registry, _httpClientFactory, _time, _logger, _instruments);
    }

    /// <summary>A client of a runtime that is not in the registry (settings being tested before they are saved).</summary>
    internal IAutotaskClient GetClient(ConnectionRuntime runtime) =>
        new AutotaskClient(runtime.Id, _registry, _httpClientFactory, _time, _logger, _instruments, runtime);

    /// <summary>A runtime for settings that are not saved; dispose it after use.</summary>
    internal ConnectionRuntime CreateRuntime(string connectionId, AutotaskConnectionOptions settings) => _registry.CreateDetached(connectionId, settings);

    /// <summary>The zone URL rules settings are checked against.</summary>
    internal Zones.ZoneUrlPolicy ZonePolicy => _registry.ZonePolicy;

    public Task<IReadOnlyList<string>> ListConnectionsAsync(CancellationToken cancellationToken = default) => _registry.ListAsync(cancellationToken);

    /// <summary>The client to inject as <see cref="IAutotaskClient"/> when exactly one connection is configured.</summary>
    public IAutotaskClient GetSingleClient()
    {
        var names = _configured.ListAsync().GetAwaiter().GetResult();
        return names.Count switch
        {
            1 => GetClient(names[0]),
            0 => throw new AutotaskConfigurationException("No Autotask connection is configured, so there is no single IAutotaskClient to inject; inject IAutotaskClientFactory and call GetClient(id) for connections linked at run time."),
            _ => throw new AutotaskConfigurationException(
                $"Several Autotask connections are configured ({string.Join(", ", names)}); inject IAutotaskClientFactory and call GetClient(name)."),
        };
    }
}
