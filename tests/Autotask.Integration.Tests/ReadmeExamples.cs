using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Autotask.Integration.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Autotask.Integration.Tests;

/// <summary>The README's examples, kept compiling and running against the simulator.</summary>
public sealed class ReadmeExamples
{
    [Fact]
    public async Task Quick_start_runs_as_written()
    {
        await using var simulator = AutotaskSimulator.Create(seed: 42);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Autotask:UserName"] = simulator.Options.UserName,
            ["Autotask:Secret"] = simulator.Options.Secret,
            ["Autotask:IntegrationCode"] = simulator.Options.IntegrationCode,
        }).Build();
        var services = new ServiceCollection();
        var cancellationToken = TestContext.Current.CancellationToken;
        var output = new List<string>();

        // --- README quick start ---
        services.AddAutotaskIntegration(options => options.AddConnection("contoso", c =>
        {
            c.UserName = configuration["Autotask:UserName"];
            c.Secret = configuration["Autotask:Secret"];
            c.IntegrationCode = configuration["Autotask:IntegrationCode"];
        }))
        // --- (test only: point the same registration at the simulator) ---
            .UseSimulator(simulator);
        services.Configure<AutotaskIntegrationOptions>(o =>
        {
            o.Zones.DiscoveryUrl = simulator.DiscoveryUrl.ToString();
            o.Zones.AllowedHostSuffixes.Add(AutotaskSimulator.InProcessHostSuffix);
        });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IAutotaskClient>();

        // --- README quick start, continued ---
        var query = new AutotaskQuery<Company>().Where(
            Filter<Company>.Eq(c => c.IsActive, true),
            Filter<Company>.Eq(c => c.CompanyType, CompanyType.Customer),
            Filter<Company>.BeginsWith(c => c.CompanyName, "Con"));

        await foreach (var company in client.QueryAsync(query, cancellationToken))
        {
            output.Add($"{company.Id} {company.CompanyName}");
        }

        var expected = simulator.Data.All<Company>()
            .Where(c => c.IsActive == true && c.CompanyType == CompanyType.Customer && c.CompanyName!.StartsWith("Con", StringComparison.OrdinalIgnoreCase))
            .Select(c => $"{c.Id} {c.CompanyName}");
        Assert.NotEmpty(output);
        Assert.Equal(expected, output);
    }

    [Fact]
    public async Task Simulator_example_runs_as_written()
    {
        var services = new ServiceCollection();

        // --- README simulator example ---
        await using var simulator = AutotaskSimulator.Create(seed: 42);
        services.AddAutotaskIntegration(o => simulator.AddConnection(o, "test")).UseSimulator(simulator);

        simulator.Faults.Next(SimulatorFault.AmbiguousWrite);
        var fixture = simulator.Data.Add(new Company { CompanyName = "Fixture Ltd", CompanyType = CompanyType.Customer, IsActive = true });
        // --- end ---

        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IAutotaskClient>();
        var error = await Assert.ThrowsAsync<AutotaskCommunicationException>(() =>
            client.CreateAsync(new Ticket { CompanyId = fixture.Id, Title = "x", Status = 1, Priority = 2 }, TestContext.Current.CancellationToken));
        Assert.True(error.RequestMayHaveBeenApplied);
        Assert.Single(simulator.Data.All<Ticket>());
    }
}
