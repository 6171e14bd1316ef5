using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Autotask.Integration.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Autotask.Integration.Tests.Support;

/// <summary>The SDK wired to a simulator the way a vendor's test would wire it.</summary>
internal sealed class SimulatorHarness : IAsyncDisposable
{
    private SimulatorHarness(AutotaskSimulator simulator, ServiceProvider services)
    {
        Simulator = simulator;
        Services = services;
    }

    public AutotaskSimulator Simulator { get; }

    public ServiceProvider Services { get; }

    public IAutotaskClient Client => Services.GetRequiredService<IAutotaskClient>();

    public static SimulatorHarness Create(AutotaskSimulatorOptions? options = null, Action<AutotaskConnectionOptions>? connection = null, string name = "simulator") =>
        For(AutotaskSimulator.Create(options ?? new AutotaskSimulatorOptions()), connection, name);

    public static SimulatorHarness For(AutotaskSimulator simulator, Action<AutotaskConnectionOptions>? connection = null, string name = "simulator")
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddAutotaskIntegration(o => simulator.AddConnection(o, name, c =>
        {
            c.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
            connection?.Invoke(c);
        })).UseSimulator(simulator);
        return new SimulatorHarness(simulator, services.BuildServiceProvider());
    }

    /// <summary>An HttpClient straight onto the simulator, for wire-level requests the typed client would refuse to send.</summary>
    public HttpClient RawClient(bool withCredentials = true)
    {
        var client = new HttpClient(Simulator.CreateHandler()) { BaseAddress = new Uri(Simulator.ZoneUrl, "v1.0/") };
        if (withCredentials)
        {
            client.DefaultRequestHeaders.Add("UserName", Simulator.Options.UserName);
            client.DefaultRequestHeaders.Add("Secret", Simulator.Options.Secret);
            client.DefaultRequestHeaders.Add("ApiIntegrationCode", Simulator.Options.IntegrationCode);
        }

        return client;
    }

    public async Task<List<T>> All<T>(AutotaskQuery<T> query) where T : AutotaskEntity, IQueryableEntity
    {
        var items = new List<T>();
        await foreach (var item in Client.QueryAsync(query, TestContext.Current.CancellationToken))
        {
            items.Add(item);
        }

        return items;
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Simulator.DisposeAsync();
    }
}
