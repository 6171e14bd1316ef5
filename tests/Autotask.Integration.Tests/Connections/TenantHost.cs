using Autotask.Integration.Auditing;
using Autotask.Integration.Connections;
using Autotask.Integration.Inbound;
using Autotask.Integration.Mapping;
using Autotask.Integration.Sync;
using Autotask.Integration.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Autotask.Integration.Tests.Connections;

/// <summary>
/// A vendor's multi-tenant host: no connection configured, partners linked at run time, several simulated MSP
/// databases behind one zone (one simulator each, told apart by API user).
/// </summary>
internal sealed class TenantHost : IAsyncDisposable
{
    private TenantHost(AutotaskSimulator[] databases, ServiceProvider services, InMemoryAuditSink audit)
    {
        Databases = databases;
        Services = services;
        Audit = audit;
    }

    public AutotaskSimulator[] Databases { get; }

    public ServiceProvider Services { get; }

    public InMemoryAuditSink Audit { get; }

    public IAutotaskConnectionManager Connections => Services.GetRequiredService<IAutotaskConnectionManager>();

    public IAutotaskClientFactory Clients => Services.GetRequiredService<IAutotaskClientFactory>();

    public IMappingEngine Mapping => Services.GetRequiredService<IMappingEngine>();

    public IQuantitySyncEngine Sync => Services.GetRequiredService<IQuantitySyncEngine>();

    public IInboundSyncEngine Inbound => Services.GetRequiredService<IInboundSyncEngine>();

    public IMappingStore Store => Services.GetRequiredService<IMappingStore>();

    public IAutotaskConnectionStore ConnectionStore => Services.GetRequiredService<IAutotaskConnectionStore>();

    internal ConnectionRegistry Registry => Services.GetRequiredService<ConnectionRegistry>();

    /// <summary>Simulated databases 101, 102, ... with their own API users and secrets.</summary>
    public static AutotaskSimulator[] CreateDatabases(int count, SimulatorDataSet? data = null, Action<AutotaskSimulatorOptions>? configure = null) =>
        Enumerable.Range(1, count).Select(n =>
        {
            var options = new AutotaskSimulatorOptions
            {
                Seed = 40 + n,
                DatabaseId = 100 + n,
                UserName = $"api-user@msp{n}.example",
                Secret = $"secret-of-msp-{n}",
                IntegrationCode = "VENDORINTEGRATIONCODE000001",
                DataSet = data ?? SimulatorDataSet.Default,
            };
            configure?.Invoke(options);
            return AutotaskSimulator.Create(options);
        }).ToArray();

    public static TenantHost Create(
        int databases = 2, SimulatorDataSet? data = null, Action<AutotaskIntegrationOptions>? configure = null, Action<AutotaskIntegrationBuilder>? build = null,
        Action<IServiceCollection>? services = null, Action<AutotaskSimulatorOptions>? simulator = null) =>
        For(CreateDatabases(databases, data, simulator), configure, build, services);

    public static TenantHost For(
        AutotaskSimulator[] databases, Action<AutotaskIntegrationOptions>? configure = null, Action<AutotaskIntegrationBuilder>? build = null, Action<IServiceCollection>? services = null)
    {
        var audit = new InMemoryAuditSink();
        var collection = new ServiceCollection();
        collection.AddLogging(b => b.SetMinimumLevel(LogLevel.Critical));
        services?.Invoke(collection);
        var builder = collection.AddAutotaskIntegration(o =>
        {
            databases[0].ConfigureZones(o);
            configure?.Invoke(o);
        }).UseSimulators(databases).UseAuditSink(audit);
        build?.Invoke(builder);
        return new TenantHost(databases, collection.BuildServiceProvider(), audit);
    }

    /// <summary>What a partner of database <paramref name="database"/> (1-based) enters in the portal.</summary>
    public AutotaskConnectionOptions PartnerSettings(int database, Action<AutotaskConnectionOptions>? configure = null) =>
        Databases[database - 1].CreateConnectionSettings(c =>
        {
            c.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
            configure?.Invoke(c);
        });

    public IReadOnlyList<AuditEvent> AuditOf(string connection, string operation) =>
        Audit.Events.Where(e => e.Connection == connection && e.Operation == operation).ToList();

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        foreach (var database in Databases)
        {
            await database.DisposeAsync();
        }
    }
}
