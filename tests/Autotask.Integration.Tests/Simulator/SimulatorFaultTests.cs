using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
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
    [InlineData(SimulatorFault.RateLimitedWithoutRetryAfter)]
    [InlineData(SimulatorFault.ThresholdServerError)]
    [InlineData(SimulatorFault.MessageShapedServerError)]
    [InlineData(SimulatorFault.HtmlServerError)]
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
    [InlineData(SimulatorFault.RateLimitedWithoutRetryAfter)]
    [InlineData(SimulatorFault.ThresholdServerError)]
    public async Task A_write_refused_before_it_was_applied_is_retried_and_applied_once(SimulatorFault fault)
    {
        await using var sim = SimulatorHarness.Create();
        sim.Simulator.Faults.RetryAfter = TimeSpan.Zero;
        sim.Simulator.Faults.Next(fault, when: IsTicketCreate);

        var id = await sim.Client.CreateAsync(NewTicket, Ct);

        Assert.Equal(id, Assert.Single(sim.Simulator.Data.All<Ticket>()).Id);
        Assert.Equal(2, sim.Simulator.Requests.Count(r => r.Entity == "Tickets"));
    }

    [Theory]
    [InlineData(SimulatorFault.ServerError)]
    [InlineData(SimulatorFault.ServiceUnavailable)]
    [InlineData(SimulatorFault.MessageShapedServerError)]
    [InlineData(SimulatorFault.HtmlServerError)]
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

    [Theory]
    [InlineData(SimulatorFault.MessageShapedServerError, "An error has occurred (injected).")]
    [InlineData(SimulatorFault.HtmlServerError, "Runtime Error")]
    public async Task Error_bodies_of_other_shapes_keep_their_text_and_never_the_raw_page(SimulatorFault fault, string text)
    {
        await using var sim = SimulatorHarness.Create(connection: c => c.MaxRetryAttempts = 0);
        sim.Simulator.Faults.Next(fault);

        var error = await Assert.ThrowsAsync<AutotaskServerException>(() => sim.Client.GetAsync<Company>(1, Ct));

        Assert.Contains(text, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("<", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SimulatorFault.RateLimitedWithoutRetryAfter)]
    [InlineData(SimulatorFault.ThresholdServerError)]
    public async Task A_threshold_refusal_that_does_not_go_away_is_a_rate_limit_error_once_MaxRetryAfter_is_waited(SimulatorFault fault)
    {
        // Without Retry-After the refusal is waited out for MaxRetryAfter in all (a wait of about 1 s, then the rest of 2.5 s),
        // however few retries MaxRetryAttempts allows for other failures.
        await using var sim = SimulatorHarness.Create(connection: c =>
        {
            c.MaxRetryAttempts = 1;
            c.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
            c.MaxRetryAfter = TimeSpan.FromSeconds(2.5);
        });
        sim.Simulator.Faults.Randomly(fault, 1.0, IsTicketCreate);
        var started = System.Diagnostics.Stopwatch.StartNew();

        await Assert.ThrowsAsync<AutotaskRateLimitException>(() => sim.Client.CreateAsync(NewTicket, Ct));

        Assert.Empty(sim.Simulator.Data.All<Ticket>());
        // Waits of 0.8-1.2 s, then 1.6-2.4 s cut to what is left of 2.5 s: three attempts, or four when the first two
        // waits are jittered short enough (0.85 s and 1.6 s) to leave a last, short one. Never more.
        Assert.InRange(sim.Simulator.Requests.Count(r => r.Entity == "Tickets"), 3, 4);
        Assert.True(started.Elapsed >= TimeSpan.FromSeconds(2.4), $"gave up after {started.Elapsed.TotalSeconds:0.0} s, before MaxRetryAfter");
    }

    [Theory]
    [InlineData(SimulatorFault.RateLimitedWithoutRetryAfter)]
    [InlineData(SimulatorFault.ThresholdServerError)]
    public async Task A_threshold_refusal_without_Retry_After_is_waited_out_past_MaxRetryAttempts(SimulatorFault fault)
    {
        // Three refusals in a row need 1 + 2 + 4 s of waiting (with jitter): more retries than MaxRetryAttempts, well
        // within MaxRetryAfter. The write is applied once.
        await using var sim = SimulatorHarness.Create(connection: c =>
        {
            c.MaxRetryAttempts = 1;
            c.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
            c.MaxRetryAfter = TimeSpan.FromSeconds(30);
        });
        sim.Simulator.Faults.Next(fault, times: 3, IsTicketCreate);

        var id = await sim.Client.CreateAsync(NewTicket, Ct);

        Assert.Equal(id, Assert.Single(sim.Simulator.Data.All<Ticket>()).Id);
        Assert.Equal(4, sim.Simulator.Requests.Count(r => r.Entity == "Tickets"));
    }

    [Fact]
    public async Task A_late_commit_drops_the_answer_and_applies_the_write_when_the_simulators_clock_says_so()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var sim = SimulatorHarness.Create(new AutotaskSimulatorOptions { TimeProvider = clock });
        sim.Simulator.Faults.Next(SimulatorFault.LateCommit);

        var error = await Assert.ThrowsAsync<AutotaskCommunicationException>(() => sim.Client.CreateAsync(NewTicket, Ct));

        Assert.True(error.RequestMayHaveBeenApplied);
        Assert.Empty(sim.Simulator.Data.All<Ticket>());
        clock.Advance(sim.Simulator.Faults.LateCommitDelay);
        await Wait.UntilAsync(() => sim.Simulator.Data.All<Ticket>().Count > 0);

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
