using System.Net;
using Autotask.Integration.Entities;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;

namespace Autotask.Integration.Tests.Simulator;

public sealed class SimulatorBehaviourTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Zone_is_discovered_from_the_simulator_and_credentials_are_checked_on_every_call()
    {
        await using var sim = SimulatorHarness.Create();

        var zone = await sim.Client.GetZoneAsync(Ct);
        await sim.Client.GetAsync<Company>(1, Ct);

        Assert.Equal(sim.Simulator.ZoneUrl, zone.Url);
        var discovery = sim.Simulator.Requests[0];
        Assert.EndsWith("/zoneInformation", discovery.Path, StringComparison.Ordinal);
        Assert.False(discovery.HasHeader("Secret"));
        var call = sim.Simulator.Requests[1];
        Assert.True(call.HasHeader("Secret") && call.HasHeader("UserName") && call.HasHeader("ApiIntegrationCode"));
        Assert.All(sim.Simulator.Requests, r => Assert.DoesNotContain(sim.Simulator.Options.Secret, r.ToString(), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("secret")]
    [InlineData("code")]
    [InlineData("user")]
    [InlineData("impersonation")]
    public async Task Wrong_credentials_are_answered_the_way_autotask_answers_them(string wrong)
    {
        await using var simulator = AutotaskSimulator.Create();
        await using var sim = SimulatorHarness.For(simulator, c =>
        {
            switch (wrong)
            {
                case "secret": c.Secret = "nope"; break;
                case "code": c.IntegrationCode = "NOPE"; break;
                case "user": c.UserName = "someone-else@example.com"; break;
                case "impersonation": c.ImpersonationResourceId = 77; break;
            }
        });

        var error = await Assert.ThrowsAnyAsync<AutotaskRequestException>(() => sim.Client.GetAsync<Company>(1, Ct));

        Assert.True(error is AutotaskAuthenticationException or AutotaskValidationException, error.GetType().Name);
        Assert.Equal(wrong == "secret" ? HttpStatusCode.Unauthorized : HttpStatusCode.InternalServerError, error.StatusCode);
        if (wrong != "impersonation")
        {
            Assert.IsType<AutotaskAuthenticationException>(error);
        }
    }

    [Fact]
    public async Task Missing_credential_headers_are_refused()
    {
        await using var sim = SimulatorHarness.Create();
        using var http = sim.RawClient(withCredentials: false);

        using var response = await http.GetAsync("Companies/1", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Beyond_the_hourly_limit_requests_are_answered_429_with_retry_after()
    {
        await using var sim = SimulatorHarness.Create(new AutotaskSimulatorOptions { HourlyRequestLimit = 3 }, c => c.MaxRetryAfter = TimeSpan.FromSeconds(5));

        for (var i = 1; i <= 3; i++)
        {
            await sim.Client.GetAsync<Company>(i, Ct);
        }

        var error = await Assert.ThrowsAsync<AutotaskRateLimitException>(() => sim.Client.GetAsync<Company>(4, Ct));
        Assert.InRange(error.RetryAfter!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(60));
        Assert.Equal(3, sim.Simulator.RequestsInCurrentHour);
        Assert.Equal(4, sim.Simulator.RequestsByEntity["Companies"]);
    }

    [Fact]
    public async Task Threshold_information_reports_the_requests_of_the_hour()
    {
        await using var sim = SimulatorHarness.Create(new AutotaskSimulatorOptions { HourlyRequestLimit = 500 });
        await sim.Client.GetAsync<Company>(1, Ct);

        var threshold = await sim.Client.GetThresholdInformationAsync(Ct);

        Assert.Equal(500, threshold.ExternalRequestThreshold);
        Assert.Equal(2, threshold.CurrentTimeframeRequestCount);
    }

    [Fact]
    public async Task More_than_three_concurrent_requests_on_one_entity_are_refused()
    {
        await using var sim = SimulatorHarness.Create();
        sim.Simulator.Faults.Latency = TimeSpan.FromMilliseconds(300);
        sim.Simulator.Faults.Randomly(SimulatorFault.Latency, 1.0);
        using var http = sim.RawClient();

        var responses = await Task.WhenAll(Enumerable.Range(1, 5).Select(i => http.GetAsync($"Companies/{i}", Ct)));

        Assert.Equal(3, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(2, responses.Count(r => r.StatusCode == (HttpStatusCode)429));
        Assert.All(responses.Where(r => (int)r.StatusCode == 429), r => Assert.NotNull(r.Headers.RetryAfter));
    }

    [Fact]
    public async Task The_client_stays_within_the_concurrency_limit_on_its_own()
    {
        await using var sim = SimulatorHarness.Create();
        sim.Simulator.Faults.Latency = TimeSpan.FromMilliseconds(50);
        sim.Simulator.Faults.Randomly(SimulatorFault.Latency, 1.0);

        var companies = await Task.WhenAll(Enumerable.Range(1, 12).Select(i => sim.Client.GetAsync<Company>(i, Ct)));

        Assert.All(companies, Assert.NotNull);
        Assert.DoesNotContain(sim.Simulator.Requests, r => r.Status == 429);
    }

    [Fact]
    public void The_same_seed_and_clock_give_the_same_data_and_another_seed_other_data()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero));
        SimulatorData Make(int seed) => AutotaskSimulator.Create(new AutotaskSimulatorOptions { Seed = seed, TimeProvider = clock }).Data;
        var a = Make(7);
        var b = Make(7);
        var c = Make(8);

        Assert.Equal(a.All<Company>(), b.All<Company>(),
            (x, y) => x with { UserDefinedFields = null } == y with { UserDefinedFields = null } && x.UserDefinedFields!.SequenceEqual(y.UserDefinedFields!));
        Assert.Equal(a.All<Contact>(), b.All<Contact>());
        Assert.Equal(a.All<ContractService>(), b.All<ContractService>());
        Assert.Equal(a.All<ContractServiceUnit>(), b.All<ContractServiceUnit>());
        Assert.NotEqual(a.All<Company>().Select(x => x.CompanyName), c.All<Company>().Select(x => x.CompanyName));
        Assert.Equal(25, a.All<Company>().Count(x => x.CompanyType == CompanyType.Customer && x.IsActive == true));
        Assert.Equal(25, a.All<Contract>().Count(x => x.ContractType == ContractType.RecurringService));
        Assert.NotEmpty(a.All<ContractServiceUnit>());
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_fault_sequence()
    {
        async Task<long[]> Run(int seed)
        {
            await using var sim = SimulatorHarness.Create(new AutotaskSimulatorOptions { Seed = seed }, c => c.MaxRetryAttempts = 0);
            sim.Simulator.Faults.Randomly(SimulatorFault.ServiceUnavailable, 0.3);
            for (var i = 0; i < 40; i++)
            {
                try
                {
                    await sim.Client.GetAsync<Company>(1, Ct);
                }
                catch (AutotaskServerException)
                {
                }
            }

            return sim.Simulator.Faults.Injected.Select(f => f.RequestNumber).ToArray();
        }

        var first = await Run(11);
        Assert.Equal(first, await Run(11));
        Assert.NotEqual(first, await Run(12));
        Assert.InRange(first.Length, 4, 24);
    }
}
