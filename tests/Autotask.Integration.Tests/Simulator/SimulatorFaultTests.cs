using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;

namespace Autotask.Integration.Tests.Simulator;

public sealed class SimulatorFaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Ticket NewTicket => new() { CompanyId = 1, Title = "Alert", Status = 1, Priority = 2 };

    private static bool IsTicketCreate(SimulatorRequest r) => r.IsWrite && r.Entity == "Tickets";

    [Theory]
    [InlineData(SimulatorFault.RateLimited)]
    [InlineData(SimulatorFault.ServerError)]
    [InlineData(SimulatorFault.ServiceUnavailable)]
    [InlineData(SimulatorFault.Latency)]
    [InlineData(SimulatorFault.RefusedConnection)]
    [InlineData(SimulatorFault.DroppedConnection)]
    public async Task A_read_gets_through_every_transient_fault(SimulatorFault fault)
    {
        await using var sim = SimulatorHarness.Create();
        sim.Simulator.Faults.RetryAfter = TimeSpan.Zero;
        sim.Simulator.Faults.Latency = TimeSpan.FromMilliseconds(20);
        sim.Simulator.Faults.Next(fault, when: r => r.Entity == "Companies");

        var companies = await sim.All(new AutotaskQuery<Company>());

        Assert.Equal(32, companies.Count);
        Assert.Equal(fault, Assert.Single(sim.Simulator.Faults.Injected).Fault);
    }

    [Theory]
    [InlineData(SimulatorFault.RateLimited)]
    [InlineData(SimulatorFault.RefusedConnection)]
    public async Task A_write_refused_before_it_was_applied_is_retried_and_applied_once(SimulatorFault fault)
    {
        await using var sim = SimulatorHarness.Create();
        sim.Simulator.Faults.RetryAfter = TimeSpan.Zero;
        sim.Simulator.Faults.Next(fault, when: IsTicketCreate);

        var id = await sim.Client.CreateAsync(NewTicket, Ct);

        Assert.Equal(id, Assert.Single(sim.Simulator.Data.All<Ticket>()).Id);
    }

    [Theory]
    [InlineData(SimulatorFault.ServerError)]
    [InlineData(SimulatorFault.ServiceUnavailable)]
    public async Task A_write_that_failed_on_the_server_is_not_retried(SimulatorFault fault)
    {
        await using var sim = SimulatorHarness.Create();
        sim.Simulator.Faults.Next(fault, when: IsTicketCreate);

        await Assert.ThrowsAsync<AutotaskServerException>(() => sim.Client.CreateAsync(NewTicket, Ct));

        Assert.Empty(sim.Simulator.Data.All<Ticket>());
        Assert.Single(sim.Simulator.Requests, r => r.Entity == "Tickets");
    }

    [Theory]
    [InlineData(SimulatorFault.AmbiguousWrite)]
    [InlineData(SimulatorFault.DroppedConnection)]
    public async Task An_ambiguous_write_is_applied_reported_as_possibly_applied_and_not_retried(SimulatorFault fault)
    {
        await using var sim = SimulatorHarness.Create();
        sim.Simulator.Faults.Next(fault, when: IsTicketCreate);

        var error = await Assert.ThrowsAsync<AutotaskCommunicationException>(() => sim.Client.CreateAsync(NewTicket, Ct));

        Assert.True(error.RequestMayHaveBeenApplied);
        Assert.Single(sim.Simulator.Data.All<Ticket>());
        Assert.Single(sim.Simulator.Requests, r => r.Entity == "Tickets");
    }

    [Fact]
    public async Task Faults_can_be_changed_while_running_and_cleared()
    {
        await using var sim = SimulatorHarness.Create(connection: c => c.MaxRetryAttempts = 0);
        sim.Simulator.Faults.Randomly(SimulatorFault.ServiceUnavailable, 1.0);
        await Assert.ThrowsAsync<AutotaskServerException>(() => sim.Client.GetAsync<Company>(1, Ct));

        sim.Simulator.Faults.Clear();

        Assert.NotNull(await sim.Client.GetAsync<Company>(1, Ct));
    }
}
