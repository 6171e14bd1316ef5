using Autotask.Integration.Alerts;
using Autotask.Integration.Auditing;
using Autotask.Integration.Connections;
using Autotask.Integration.Entities;
using Autotask.Integration.Inbound;
using Autotask.Integration.Mapping;
using Autotask.Integration.Sync;
using Autotask.Integration.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace Autotask.Integration.Tests.Support;

/// <summary>The engines wired to a simulator, with the in-memory store and an in-memory audit sink.</summary>
internal sealed class SyncHarness : IAsyncDisposable
{
    public const string Connection = "reseller";

    private SyncHarness(AutotaskSimulator simulator, ServiceProvider services, InMemoryAuditSink audit)
    {
        Simulator = simulator;
        Services = services;
        Audit = audit;
    }

    public AutotaskSimulator Simulator { get; }

    public ServiceProvider Services { get; }

    public InMemoryAuditSink Audit { get; }

    public IMappingStore Store => Services.GetRequiredService<IMappingStore>();

    public IMappingEngine Mapping => Services.GetRequiredService<IMappingEngine>();

    public IQuantitySyncEngine Sync => Services.GetRequiredService<IQuantitySyncEngine>();

    public IAutotaskConnectionTester Tester => Services.GetRequiredService<IAutotaskConnectionTester>();

    public IAlertTicketEngine Alerts => Services.GetRequiredService<IAlertTicketEngine>();

    public IInboundSyncEngine Inbound => Services.GetRequiredService<IInboundSyncEngine>();

    public IAutotaskWebhookReceiver Webhooks => Services.GetRequiredService<IAutotaskWebhookReceiver>();

    public IAutotaskClient Client => Services.GetRequiredService<IAutotaskClient>();

    public static SyncHarness Create(AutotaskSimulatorOptions? options = null, Action<AutotaskConnectionOptions>? connection = null, IAuditSink? extraSink = null,
        Action<AutotaskIntegrationBuilder>? configure = null) =>
        For(AutotaskSimulator.Create(options ?? new AutotaskSimulatorOptions()), connection, extraSink, configure);

    public static SyncHarness For(AutotaskSimulator simulator, Action<AutotaskConnectionOptions>? connection = null, IAuditSink? extraSink = null,
        Action<AutotaskIntegrationBuilder>? configure = null)
    {
        var audit = new InMemoryAuditSink();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Critical));
        var builder = services.AddAutotaskIntegration(o => simulator.AddConnection(o, Connection, c =>
        {
            c.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
            connection?.Invoke(c);
        })).UseSimulator(simulator).UseAuditSink(audit);
        if (extraSink is not null)
        {
            builder.AddAuditSink(extraSink);
        }

        configure?.Invoke(builder);

        return new SyncHarness(simulator, services.BuildServiceProvider(), audit);
    }

    /// <summary>Maps the first <paramref name="count"/> contract services of active customers straight into the store, as sub-1, sub-2...</summary>
    public async Task<List<SubscriptionMapping>> MapSubscriptionsAsync(int count)
    {
        var data = Simulator.Data;
        var companies = data.All<Company>().ToDictionary(c => c.Id);
        var mapped = new List<SubscriptionMapping>();
        var customers = new HashSet<long>();
        foreach (var line in data.All<ContractService>().Take(count))
        {
            var contract = data.Get<Contract>(line.ContractId)!;
            var companyId = contract.CompanyId!.Value;
            if (customers.Add(companyId))
            {
                await Store.AddCustomerAsync(new CustomerMapping { Connection = Connection, VendorCustomerId = $"cust-{companyId}", CompanyId = companyId, CompanyName = companies[companyId].CompanyName });
            }

            mapped.Add(await Store.AddSubscriptionAsync(new SubscriptionMapping
            {
                Connection = Connection,
                VendorSubscriptionId = $"sub-{mapped.Count + 1}",
                VendorCustomerId = $"cust-{companyId}",
                VendorOfferId = $"offer-{line.ServiceId}",
                CompanyId = companyId,
                ContractId = line.ContractId,
                ContractServiceId = line.Id,
                ServiceId = line.ServiceId,
            }));
        }

        return mapped;
    }

    /// <summary>The units the simulator bills for a mapped subscription on a day.</summary>
    public int UnitsOn(SubscriptionMapping mapping, LocalDate date) => Simulator.Data.UnitsOn(mapping.ContractServiceId, date);

    /// <summary>
    /// Noon (UTC) of the day the test run started, fixed for the whole run: a change "five minutes later" never falls on
    /// another day, and what a test reads as today's units is the day its changes take effect, even across midnight.
    /// </summary>
    public static Instant Today { get; } = SystemClock.Instance.GetCurrentInstant().InUtc().Date.At(new LocalTime(12, 0)).InUtc().ToInstant();

    public static LocalDate TodayUtc => Today.InUtc().Date;

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Simulator.DisposeAsync();
    }
}
