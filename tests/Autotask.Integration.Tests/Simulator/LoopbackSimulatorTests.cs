using System.Net;
using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

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

    [Fact]
    public async Task Several_databases_share_one_loopback_zone_and_each_request_reaches_its_API_users_database()
    {
        var zone = await AutotaskSimulator.StartZoneAsync(
            [new AutotaskSimulatorOptions { DatabaseId = 501, UserName = "api@one.example" }, new AutotaskSimulatorOptions { DatabaseId = 502, UserName = "api@two.example" }], Ct);
        await using var two = zone[1];
        var services = new ServiceCollection();
        services.AddAutotaskIntegration(o =>
        {
            zone[0].AddConnection(o, "one");
            zone[1].AddConnection(o, "two");
        });
        await using var provider = services.BuildServiceProvider();
        var clients = provider.GetRequiredService<IAutotaskClientFactory>();

        await clients.GetClient("one").CreateAsync(new Ticket { CompanyId = 1, Title = "For one", Status = 1, Priority = 2 }, Ct);
        await clients.GetClient("two").CreateAsync(new Ticket { CompanyId = 1, Title = "For two", Status = 1, Priority = 2 }, Ct);
        Assert.Equal(zone[0].ListeningAddress, zone[1].ListeningAddress);
        Assert.Contains(zone[0].Data.All<Ticket>(), t => t.Title == "For one");
        Assert.DoesNotContain(zone[0].Data.All<Ticket>(), t => t.Title == "For two");
        Assert.Contains(zone[1].Data.All<Ticket>(), t => t.Title == "For two");

        // Disposing one database leaves the port open for the other.
        await zone[0].DisposeAsync();
        await clients.GetClient("two").CreateAsync(new Ticket { CompanyId = 1, Title = "Still served", Status = 1, Priority = 2 }, Ct);
        Assert.Contains(zone[1].Data.All<Ticket>(), t => t.Title == "Still served");
    }

    [Fact]
    public async Task A_zone_refuses_two_databases_with_the_same_API_user_or_none()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => AutotaskSimulator.StartZoneAsync([new AutotaskSimulatorOptions { UserName = "same@x.example" }, new AutotaskSimulatorOptions { UserName = "SAME@x.example", DatabaseId = 2 }], Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => AutotaskSimulator.StartZoneAsync([], Ct));
    }
}
