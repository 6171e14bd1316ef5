using Autotask.Integration.Entities;
using Autotask.Integration.Testing.Engine;
using Autotask.Integration.Testing.Hosting;
using NodaTime;
namespace Autotask.Integration.Testing;

/// <summary>
/// A stateful, in-memory Autotask instance for tests, samples and benchmarks. Create one in process with
/// <see cref="Create(int)"/> (an <see cref="HttpMessageHandler"/>, no sockets) or on a loopback port with
/// <see cref="StartAsync(int, CancellationToken)"/>, then point the client at it with <see cref="AddConnection"/>
/// and <see cref="AutotaskSimulatorExtensions.UseSimulator"/>.
/// </summary>
/// <example>
/// <code>
/// await using var simulator = AutotaskSimulator.Create(seed: 42);
/// services.AddAutotaskIntegration(o =&gt; simulator.AddConnection(o, "contoso")).UseSimulator(simulator);
/// </code>
/// </example>
public sealed class AutotaskSimulator : IAsyncDisposable
{
    /// <summary>The host suffix of the in-process simulator's made-up zone addresses (never resolvable).</summary>
    public const string InProcessHostSuffix = "sim.autotask.invalid";

    private readonly SimulatorEngine _engine;
    private LoopbackServer? _server;

    private AutotaskSimulator(AutotaskSimulatorOptions options)
    {
        Options = options;
        Data = new SimulatorData();
        Faults = new SimulatorFaults(options.Seed);
        _engine = new SimulatorEngine(options, Data, Faults);
        SimulatorSeeder.Seed(Data, options.DataSet, options.Seed, Instant.FromDateTimeOffset(options.TimeProvider.GetUtcNow()));
        options.Fixtures?.Invoke(Data);
    }

    /// <summary>The options the simulator was made with.</summary>
    public AutotaskSimulatorOptions Options { get; }

    /// <summary>The instance's entities, picklists and user-defined fields.</summary>
    public SimulatorData Data { get; }

    /// <summary>Fault injection, changeable while running.</summary>
    public SimulatorFaults Faults { get; }

    /// <summary>The REST base address of the simulated zone (what zone discovery answers).</summary>
    public Uri ZoneUrl => _engine.ZoneBase;

    /// <summary>The base address to discover the zone from.</summary>
    public Uri DiscoveryUrl => _server is null ? new Uri($"https://webservices.{InProcessHostSuffix}/atservicesrest/") : _engine.ZoneBase;

    /// <summary>The loopback address when started with <see cref="StartAsync(int, CancellationToken)"/>; otherwise <c>null</c>.</summary>
    public Uri? ListeningAddress => _server?.Address;

    /// <summary>Every request received, in order. Header values are not kept.</summary>
    public IReadOnlyList<RecordedRequest> Requests => _engine.Requests;

    /// <summary>The contract service adjustments applied through the API (not the seeded ones), in order.</summary>
    public IReadOnlyList<ContractServiceAdjustment> AppliedAdjustments => _engine.Applied;

    /// <summary>Requests counted in the rolling hour, as <c>ThresholdInformation</c> reports them.</summary>
    public int RequestsInCurrentHour => _engine.RequestsInCurrentHour;

    /// <summary>The requests in flight now per entity, as Autotask's thread limit counts them.</summary>
    public IReadOnlyDictionary<string, int> InFlightByEntity => _engine.InFlightByEntity;

    /// <summary>The most requests that were in flight at once per entity, as Autotask's thread limit counts them.</summary>
    public IReadOnlyDictionary<string, int> PeakInFlightByEntity => _engine.PeakInFlightByEntity;

    /// <summary>Requests refused because their entity already had <see cref="AutotaskSimulatorOptions.MaxConcurrentRequestsPerEntity"/> in flight.</summary>
    public long ThreadLimitRefusals => _engine.ThreadLimitRefusals;

    /// <summary>
    /// Counts <paramref name="count"/> requests of the database's other integrations into the rolling hour, as if made
    /// now: <c>ThresholdInformation</c> reports them, and they count towards <see cref="AutotaskSimulatorOptions.HourlyRequestLimit"/>.
    /// </summary>
    /// <param name="count">The number of requests.</param>
    public void AddOtherIntegrationRequests(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _engine.AddOtherIntegrationRequests(count);
    }

    /// <summary>Requests received per entity.</summary>
    public IReadOnlyDictionary<string, long> RequestsByEntity => _engine.RequestsByEntity;

    /// <summary>Creates an in-process simulator with the default data set.</summary>
    /// <param name="seed">The seed of the data and of random faults.</param>
    public static AutotaskSimulator Create(int seed = 42) => Create(new AutotaskSimulatorOptions { Seed = seed });

    /// <summary>Creates an in-process simulator.</summary>
    /// <param name="options">The options.</param>
    public static AutotaskSimulator Create(AutotaskSimulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new AutotaskSimulator(options);
    }

    /// <summary>Starts a simulator with the default data set on a free port of 127.0.0.1.</summary>
    /// <param name="seed">The seed of the data and of random faults.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static Task<AutotaskSimulator> StartAsync(int seed = 42, CancellationToken cancellationToken = default) =>
        StartAsync(new AutotaskSimulatorOptions { Seed = seed }, cancellationToken);

    /// <summary>Starts a simulator on a free port of 127.0.0.1.</summary>
    /// <param name="options">The options.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<AutotaskSimulator> StartAsync(AutotaskSimulatorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return (await StartZoneAsync([options], cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary>
    /// Starts several MSPs' databases in one simulated zone on a free port of 127.0.0.1: each request goes to the database
    /// whose API user it names, as Autotask routes by API user. The port stays open until every one of them is disposed.
    /// </summary>
    /// <param name="databases">The databases' options, each with its own <see cref="AutotaskSimulatorOptions.UserName"/> and <see cref="AutotaskSimulatorOptions.DatabaseId"/>.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The databases, in the order given.</returns>
    /// <exception cref="ArgumentException">No database is given, or two have the same API user.</exception>
    public static async Task<IReadOnlyList<AutotaskSimulator>> StartZoneAsync(IEnumerable<AutotaskSimulatorOptions> databases, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(databases);
        var simulators = databases.Select(Create).ToArray();
        if (simulators.Length == 0)
        {
            throw new ArgumentException("Name at least one database.", nameof(databases));
        }

        if (simulators.GroupBy(s => s.Options.UserName, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } shared)
        {
            throw new ArgumentException($"Two databases have the API user '{shared.Key}'; each needs its own, as requests are routed by it.", nameof(databases));
        }

        var server = await LoopbackServer.StartAsync(simulators.Select(s => s._engine).ToArray(), cancellationToken).ConfigureAwait(false);
        foreach (var simulator in simulators)
        {
            simulator._server = server;
            simulator._engine.ZoneBase = new Uri(server.Address, "/atservicesrest/");
        }

        return simulators;
    }

    /// <summary>
    /// Takes an access right away from the API user's security level, as an Autotask administrator might: requests
    /// that need it are refused with Autotask's permission error, and <c>entityInformation</c> reports it missing.
    /// </summary>
    /// <param name="entity">The entity, such as <c>Contracts</c>.</param>
    /// <param name="access">The access right.</param>
    public void DenyAccess(string entity, SimulatorAccess access)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(entity);
        _engine.Deny(entity, access);
    }

    /// <summary>A message handler that delivers requests to this simulator in process. Each call returns a new handler.</summary>
    public HttpMessageHandler CreateHandler() => new SimulatorHandler(_engine);

    /// <summary>
    /// A message handler that plays several in-process simulators as several MSPs' databases in one zone: each request
    /// goes to the simulator whose API user it names, as Autotask routes by API user.
    /// </summary>
    /// <param name="simulators">In-process simulators, each with its own <see cref="AutotaskSimulatorOptions.UserName"/> and <see cref="AutotaskSimulatorOptions.DatabaseId"/>.</param>
    public static HttpMessageHandler CreateHandler(IEnumerable<AutotaskSimulator> simulators)
    {
        ArgumentNullException.ThrowIfNull(simulators);
        var engines = simulators.Select(s => s._engine).ToArray();
        if (engines.Length == 0)
        {
            throw new ArgumentException("Name at least one simulator.", nameof(simulators));
        }

        return new SimulatorHandler(engines);
    }

    /// <summary>
    /// Sets the SDK's zone options for this simulator (its discovery address, and its zone host allowed; plain http on
    /// 127.0.0.1 only for the loopback server), without adding a connection: for hosts that link connections at run time.
    /// </summary>
    /// <param name="options">The SDK's options.</param>
    public void ConfigureZones(AutotaskIntegrationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Zones.DiscoveryUrl = DiscoveryUrl.ToString();
        var host = _server is null ? InProcessHostSuffix : "127.0.0.1";
        if (!options.Zones.AllowedHostSuffixes.Contains(host, StringComparer.OrdinalIgnoreCase))
        {
            options.Zones.AllowedHostSuffixes.Add(host);
        }

        options.Zones.AllowInsecureHttp |= _server is not null;
    }

    /// <summary>New connection settings with this simulator's API user, as a partner would enter them in a vendor's portal.</summary>
    /// <param name="configure">Changes more settings.</param>
    public AutotaskConnectionOptions CreateConnectionSettings(Action<AutotaskConnectionOptions>? configure = null)
    {
        var connection = new AutotaskConnectionOptions
        {
            UserName = Options.UserName,
            Secret = Options.Secret,
            IntegrationCode = Options.IntegrationCode,
        };
        configure?.Invoke(connection);
        return connection;
    }

    /// <summary>
    /// Adds a connection to this simulator: its credentials, zone discovery address, and the zone hosts it needs
    /// allowed (plain http on 127.0.0.1 only for the loopback server).
    /// </summary>
    /// <param name="options">The SDK's options.</param>
    /// <param name="name">The connection's name.</param>
    /// <param name="configure">Changes more settings of the connection.</param>
    public void AddConnection(AutotaskIntegrationOptions options, string name = "simulator", Action<AutotaskConnectionOptions>? configure = null)
    {
        ConfigureZones(options);
        options.AddConnection(name, connection =>
        {
            connection.UserName = Options.UserName;
            connection.Secret = Options.Secret;
            connection.IntegrationCode = Options.IntegrationCode;
            configure?.Invoke(connection);
        });
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
            _server = null;
        }
    }
}

/// <summary>Points the SDK at an <see cref="AutotaskSimulator"/>.</summary>
public static class AutotaskSimulatorExtensions
{
    /// <summary>
    /// Sends the SDK's requests to the simulator in process when it was made with <see cref="AutotaskSimulator.Create(int)"/>;
    /// a loopback simulator is reached over the network and needs nothing here.
    /// </summary>
    /// <param name="builder">The builder from <c>AddAutotaskIntegration</c>.</param>
    /// <param name="simulator">The simulator.</param>
    /// <returns>The builder.</returns>
    public static AutotaskIntegrationBuilder UseSimulator(this AutotaskIntegrationBuilder builder, AutotaskSimulator simulator)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(simulator);
        if (simulator.ListeningAddress is null)
        {
            builder.ConfigurePrimaryHttpMessageHandler(_ => simulator.CreateHandler());
        }

        return builder;
    }

    /// <summary>Sends the SDK's requests to several in-process simulators, each request to the one whose API user it names.</summary>
    /// <param name="builder">The builder from <c>AddAutotaskIntegration</c>.</param>
    /// <param name="simulators">In-process simulators, each with its own API user and database id.</param>
    /// <returns>The builder.</returns>
    public static AutotaskIntegrationBuilder UseSimulators(this AutotaskIntegrationBuilder builder, params AutotaskSimulator[] simulators)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(simulators);
        builder.ConfigurePrimaryHttpMessageHandler(_ => AutotaskSimulator.CreateHandler(simulators));
        return builder;
    }
}
