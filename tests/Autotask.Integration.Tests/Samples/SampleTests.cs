using Autotask.Integration.Samples;
using Autotask.Integration.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Autotask.Integration.Tests.Samples;

/// <summary>Runs the samples' entry points against the simulator, so that they cannot rot.</summary>
public sealed class SampleTests
{
    private static async Task<(int ExitCode, string Output)> RunTour(AutotaskSimulator simulator, bool allowWrites, Action<AutotaskConnectionOptions>? connection = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAutotaskIntegration(o => simulator.AddConnection(o, "simulator", c =>
        {
            c.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
            connection?.Invoke(c);
        })).UseSimulator(simulator);
        await using var provider = services.BuildServiceProvider();
        using var output = new StringWriter();
        var exit = await Tour.RunAsync(provider, output, allowWrites, TestContext.Current.CancellationToken);
        return (exit, output.ToString());
    }

    [Fact]
    public async Task The_main_sample_tours_the_simulator_and_creates_a_test_ticket()
    {
        await using var simulator = AutotaskSimulator.Create(seed: 42);

        var (exit, output) = await RunTour(simulator, allowWrites: true);

        Assert.Equal(0, exit);
        Assert.Contains("Active customers: 25", output, StringComparison.Ordinal);
        Assert.Contains("billed units this month", output, StringComparison.Ordinal);
        var ticket = Assert.Single(simulator.Data.All<Ticket>());
        Assert.Contains($"Created test ticket {ticket.TicketNumber}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_allow_writes_the_main_sample_writes_nothing()
    {
        await using var simulator = AutotaskSimulator.Create(seed: 42);

        var (exit, output) = await RunTour(simulator, allowWrites: false);

        Assert.Equal(0, exit);
        Assert.Contains("--allow-writes", output, StringComparison.Ordinal);
        Assert.Empty(simulator.Data.All<Ticket>());
    }

    [Fact]
    public async Task Bad_credentials_end_the_main_sample_with_a_plain_message_and_a_failing_exit_code()
    {
        await using var simulator = AutotaskSimulator.Create(seed: 42);

        var (exit, output) = await RunTour(simulator, allowWrites: true, c => c.Secret = "wrong");

        Assert.Equal(1, exit);
        Assert.Contains("Check the API user's username, secret and integration code", output, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sample_uses_the_simulator_only_without_credentials()
    {
        var none = new ConfigurationBuilder().Build();
        var some = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Autotask:Connections:main:UserName"] = "u" }).Build();

        Assert.False(SampleHost.HasCredentials(none));
        Assert.True(SampleHost.HasCredentials(some));
    }
}
