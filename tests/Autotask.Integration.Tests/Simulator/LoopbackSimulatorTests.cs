using System.Net;
using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;

namespace Autotask.Integration.Tests.Simulator;

public sealed class LoopbackSimulatorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_simulator_serves_the_client_over_a_loopback_port()
    {
        await using var simulator = await AutotaskSimulator.StartAsync(seed: 42, Ct);
        await using var sim = SimulatorHarness.For(simulator);

        var companies = await sim.All(new AutotaskQuery<Company>().Where(Filter<Company>.Eq(c => c.CompanyType, CompanyType.Customer)));
        var ticket = await sim.Client.CreateAsync(new Ticket { CompanyId = companies[0].Id, Title = "Over the wire", Status = 1, Priority = 2 }, Ct);

        Assert.Equal("127.0.0.1", simulator.ListeningAddress!.Host);
        Assert.Equal(28, companies.Count);
        Assert.Equal("Over the wire", simulator.Data.Get<Ticket>(ticket)!.Title);
    }

    [Fact]
    public async Task Any_http_client_can_use_the_loopback_simulator()
    {
        await using var simulator = await AutotaskSimulator.StartAsync(seed: 1, Ct);
        using var http = new HttpClient { BaseAddress = new Uri(simulator.ZoneUrl, "v1.0/") };

        var zone = await http.GetStringAsync($"zoneInformation?user={Uri.EscapeDataString(simulator.Options.UserName)}", Ct);
        using var unauthenticated = await http.GetAsync("Companies/1", Ct);

        Assert.Contains(simulator.ZoneUrl.ToString(), zone, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
    }

    [Fact]
    public async Task A_connection_dropped_by_the_loopback_server_is_an_ambiguous_write()
    {
        await using var simulator = await AutotaskSimulator.StartAsync(seed: 42, Ct);
        await using var sim = SimulatorHarness.For(simulator);
        simulator.Faults.Next(SimulatorFault.AmbiguousWrite);

        var error = await Assert.ThrowsAsync<AutotaskCommunicationException>(() =>
            sim.Client.CreateAsync(new Ticket { CompanyId = 1, Title = "Lost answer", Status = 1, Priority = 2 }, Ct));

        Assert.True(error.RequestMayHaveBeenApplied);
        Assert.Single(simulator.Data.All<Ticket>());
    }
}
