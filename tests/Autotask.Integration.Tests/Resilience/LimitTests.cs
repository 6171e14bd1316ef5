using Autotask.Integration.Entities;
using Autotask.Integration.Tests.Support;

namespace Autotask.Integration.Tests.Resilience;

public sealed class LimitTests
{
    private static ClientHarness Harness(CountingHandler handler, Action<AutotaskConnectionOptions>? configure = null) =>
        ClientHarness.Create(o =>
        {
            ClientHarness.AllowLoopback(o);
            o.AddConnection("test", c =>
            {
                ClientHarness.Credentials(c);
                c.ZoneUrl = "http://127.0.0.1:1/atservicesrest/";
                configure?.Invoke(c);
            });
        }, b => b.ConfigurePrimaryHttpMessageHandler(_ => handler));

    [Fact]
    public async Task At_most_three_requests_are_in_flight_per_entity()
    {
        var handler = new CountingHandler();
        using var harness = Harness(handler);

        var companies = Enumerable.Range(1, 10).Select(i => harness.Client.GetAsync<Company>(i, TestContext.Current.CancellationToken)).ToList();
        var tickets = Enumerable.Range(1, 10).Select(i => harness.Client.GetAsync<Ticket>(i, TestContext.Current.CancellationToken)).ToList();
        await Wait.UntilAsync(() => handler.InFlight == 6);
        await Task.Delay(100, TestContext.Current.CancellationToken);

        Assert.Equal(6, handler.InFlight);
        handler.Open();
        await Task.WhenAll(companies.Cast<Task>().Concat(tickets));
        Assert.Equal(6, handler.MaxInFlight);
        Assert.Equal(20, handler.Sent);
    }

    [Fact]
    public async Task The_concurrency_limit_is_configurable()
    {
        var handler = new CountingHandler();
        using var harness = Harness(handler, c => c.MaxConcurrentRequestsPerEntity = 1);

        var calls = Enumerable.Range(1, 5).Select(i => harness.Client.GetAsync<Company>(i, TestContext.Current.CancellationToken)).ToList();
        await Wait.UntilAsync(() => handler.InFlight == 1);
        await Task.Delay(100, TestContext.Current.CancellationToken);
        handler.Open();
        await Task.WhenAll(calls);

        Assert.Equal(1, handler.MaxInFlight);
    }

    [Fact]
    public async Task A_caller_beyond_the_hourly_budget_waits_instead_of_being_sent()
    {
        var handler = new CountingHandler { HoldRequests = false };
        using var harness = Harness(handler, c => c.HourlyRequestBudget = 2);
        using var throttled = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long>(
            Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(harness.Services),
            AutotaskTelemetry.MeterName, "autotask.client.throttled");

        await harness.Client.GetAsync<Company>(1, TestContext.Current.CancellationToken);
        await harness.Client.GetAsync<Company>(2, TestContext.Current.CancellationToken);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var third = harness.Client.GetAsync<Company>(3, cts.Token);
        await Task.Delay(300, TestContext.Current.CancellationToken);

        Assert.False(third.IsCompleted);
        Assert.Equal(2, handler.Sent);
        Assert.Contains(harness.Logs.GetSnapshot(), r => r.Id.Id == 1003);
        Assert.Contains(throttled.GetMeasurementSnapshot(), m => Equals(m.Tags["autotask.connection"], "test"));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => third);
        Assert.Equal(2, handler.Sent);
    }

    [Fact]
    public async Task Connections_to_one_database_share_its_hour_and_other_databases_do_not()
    {
        // Without zone discovery the database is known by its API user: "a" and "b" use the same one, "c" another.
        var handler = new CountingHandler { HoldRequests = false };
        using var harness = ClientHarness.Create(o =>
        {
            ClientHarness.AllowLoopback(o);
            foreach (var name in new[] { "a", "b", "c" })
            {
                o.AddConnection(name, c =>
                {
                    ClientHarness.Credentials(c);
                    c.UserName = name == "c" ? "other-api-user@example.com" : c.UserName;
                    c.ZoneUrl = "http://127.0.0.1:1/atservicesrest/";
                    c.HourlyRequestBudget = 1;
                });
            }
        }, b => b.ConfigurePrimaryHttpMessageHandler(_ => handler));

        await harness.Factory.GetClient("a").GetAsync<Company>(1, TestContext.Current.CancellationToken);
        await harness.Factory.GetClient("c").GetAsync<Company>(1, TestContext.Current.CancellationToken);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var shared = harness.Factory.GetClient("b").GetAsync<Company>(1, cts.Token);
        await Task.Delay(300, TestContext.Current.CancellationToken);

        Assert.False(shared.IsCompleted);
        Assert.Equal(2, handler.Sent);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => shared);
        Assert.Equal(2, handler.Sent);
    }

    [Fact]
    public async Task A_request_waiting_for_the_hour_gives_its_thread_up_to_others_on_the_endpoint()
    {
        // "a" and "b" reach one database (one API user) with one thread per endpoint; "a" has used its budget of one.
        var handler = new CountingHandler { HoldRequests = false };
        using var harness = ClientHarness.Create(o =>
        {
            ClientHarness.AllowLoopback(o);
            foreach (var (name, budget) in new[] { ("a", 1), ("b", 100) })
            {
                o.AddConnection(name, c =>
                {
                    ClientHarness.Credentials(c);
                    c.ZoneUrl = "http://127.0.0.1:1/atservicesrest/";
                    c.HourlyRequestBudget = budget;
                    c.MaxConcurrentRequestsPerEntity = 1;
                });
            }
        }, b => b.ConfigurePrimaryHttpMessageHandler(_ => handler));
        await harness.Factory.GetClient("a").GetAsync<Company>(1, TestContext.Current.CancellationToken);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var blocked = harness.Factory.GetClient("a").GetAsync<Company>(2, waiting.Token);
        await Task.Delay(200, TestContext.Current.CancellationToken);

        // While "a" waits for the hour, "b" gets the endpoint's only thread.
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bounded.CancelAfter(TimeSpan.FromSeconds(30)); // "a" waits an hour: 30 s tells the two apart on a loaded machine too.
        await harness.Factory.GetClient("b").GetAsync<Company>(3, bounded.Token);

        Assert.False(blocked.IsCompleted);
        Assert.Equal(2, handler.Sent);
        await waiting.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked);
    }
}
