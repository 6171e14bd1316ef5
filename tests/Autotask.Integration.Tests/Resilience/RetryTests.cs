using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
namespace Autotask.Integration.Tests.Resilience;

public sealed class RetryTests : IDisposable
{
    private readonly WireMockServer _server = TestServer.Start();

    public void Dispose() => _server.Dispose();

    private static Ticket NewTicket => new() { CompanyId = 5, Title = "Backup failed", Status = 1, Priority = 2, QueueId = 3 };

    private void GivenOnceThen(string path, string method, IResponseBuilder first, string thenBody)
    {
        _server.Given(Request.Create().WithPath(path).UsingMethod(method)).InScenario(path).WillSetStateTo("second").RespondWith(first);
        _server.Given(Request.Create().WithPath(path).UsingMethod(method)).InScenario(path).WhenStateIs("second")
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody(thenBody));
    }

    [Fact]
    public async Task A_429_is_retried_after_the_retry_after_delay()
    {
        GivenOnceThen("/atservicesrest/v1.0/Companies/7", "GET",
            Response.Create().WithStatusCode(429).WithHeader("Retry-After", "1"), """{"item":{"id":7,"companyName":"Contoso"}}""");
        using var harness = ClientHarness.For(_server);

        var company = await harness.Client.GetAsync<Company>(7, TestContext.Current.CancellationToken);

        Assert.Equal("Contoso", company!.CompanyName);
        Assert.Equal(2, _server.LogEntries.Count());
        var retry = Assert.Single(harness.Logs.GetSnapshot(), r => r.Id.Id == 1002);
        Assert.Equal("1000", retry.GetStructuredStateValue("DelayMs"));
    }

    [Fact]
    public async Task Retry_after_is_waited_for_on_the_clients_clock_before_the_next_attempt()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        GivenOnceThen("/atservicesrest/v1.0/Companies/7", "GET",
            Response.Create().WithStatusCode(429).WithHeader("Retry-After", "30"), """{"item":{"id":7,"companyName":"Contoso"}}""");
        using var harness = ClientHarness.For(_server, builder: b => b.Services.AddSingleton<TimeProvider>(clock));

        var read = harness.Client.GetAsync<Company>(7, TestContext.Current.CancellationToken);
        await Wait.UntilAsync(() => harness.Logs.GetSnapshot().Any(r => r.Id.Id == 1002));

        // The fake clock moves a second at a time, with a pause for the client between steps: however slow the machine,
        // the second attempt cannot come before 30 seconds have passed on the client's clock (it may come later, if the
        // wait started after the first steps).
        var seconds = 0;
        while (!read.IsCompleted && seconds < 300)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            seconds++;
            await Task.WhenAny(read, Task.Delay(20, TestContext.Current.CancellationToken));
        }

        Assert.True(read.IsCompleted, "no second attempt after 300 seconds on the client's clock");
        var company = await read;
        Assert.Equal("Contoso", company!.CompanyName);
        Assert.Equal(2, _server.LogEntries.Count());
        Assert.InRange(seconds, 30, 300);
    }

    /// <summary>A primary handler that answers every request as told and counts what reached it.</summary>
    private sealed class ScriptedHandler(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> answer) : HttpMessageHandler
    {
        private int _sent;

        public int Sent => Volatile.Read(ref _sent);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _sent);
            return answer(request, cancellationToken);
        }
    }

    private static ClientHarness Scripted(ScriptedHandler handler) => ClientHarness.Create(o =>
    {
        ClientHarness.AllowLoopback(o);
        o.AddConnection("test", c =>
        {
            ClientHarness.Credentials(c);
            c.ZoneUrl = "http://127.0.0.1:9/atservicesrest/";
            c.AttemptTimeout = TimeSpan.FromMilliseconds(100);
            c.MaxRetryAttempts = 3;
        });
    }, b => b.ConfigurePrimaryHttpMessageHandler(_ => handler));

    [Theory]
    [InlineData("the attempt times out")]
    [InlineData("the connection breaks while sending")]
    public async Task A_write_without_an_answer_is_not_retried_and_may_have_been_applied_while_a_read_is_retried(string failure)
    {
        var handler = new ScriptedHandler(async (_, ct) =>
        {
            if (failure == "the connection breaks while sending")
            {
                throw new IOException("The connection was reset while the request was being sent.");
            }

            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        });
        using var harness = Scripted(handler);

        var write = await Assert.ThrowsAsync<AutotaskCommunicationException>(() => harness.Client.CreateAsync(NewTicket, TestContext.Current.CancellationToken));
        Assert.True(write.RequestMayHaveBeenApplied);
        Assert.Equal(1, handler.Sent);

        await Assert.ThrowsAsync<AutotaskCommunicationException>(() => harness.Client.GetAsync<Company>(7, TestContext.Current.CancellationToken));
        Assert.Equal(1 + 4, handler.Sent);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task Reads_are_retried_on_server_errors(int status)
    {
        GivenOnceThen("/atservicesrest/v1.0/Companies/query", "POST",
            Response.Create().WithStatusCode(status).WithBody(Wire.Errors("The service is temporarily unavailable.")), Wire.Page(Wire.Companies(1, 2), null));
        using var harness = ClientHarness.For(_server);

        var count = 0;
        await foreach (var _ in harness.Client.QueryAsync(new AutotaskQuery<Company>(), TestContext.Current.CancellationToken))
        {
            count++;
        }

        Assert.Equal(2, count);
        Assert.Equal(2, _server.LogEntries.Count());
    }

    [Fact]
    public async Task Reads_are_retried_when_the_connection_drops()
    {
        GivenOnceThen("/atservicesrest/v1.0/Companies/7", "GET",
            Response.Create().WithFault(FaultType.EMPTY_RESPONSE), """{"item":{"id":7}}""");
        using var harness = ClientHarness.For(_server);

        Assert.NotNull(await harness.Client.GetAsync<Company>(7, TestContext.Current.CancellationToken));
        Assert.Equal(2, _server.LogEntries.Count());
    }

    [Fact]
    public async Task A_write_that_fails_with_500_is_not_retried()
    {
        GivenOnceThen("/atservicesrest/v1.0/Tickets", "POST",
            Response.Create().WithStatusCode(500).WithBody(Wire.Errors("An unexpected error has occurred.")), """{"itemId":99}""");
        using var harness = ClientHarness.For(_server);

        await Assert.ThrowsAsync<AutotaskServerException>(() => harness.Client.CreateAsync(NewTicket, TestContext.Current.CancellationToken));
        Assert.Single(_server.LogEntries);
    }

    [Theory]
    [InlineData(FaultType.EMPTY_RESPONSE)]
    [InlineData(FaultType.MALFORMED_RESPONSE_CHUNK)]
    public async Task An_ambiguous_write_is_never_retried_and_says_it_may_have_been_applied(FaultType fault)
    {
        GivenOnceThen("/atservicesrest/v1.0/Tickets", "POST", Response.Create().WithFault(fault), """{"itemId":99}""");
        using var harness = ClientHarness.For(_server);

        var error = await Assert.ThrowsAsync<AutotaskCommunicationException>(() => harness.Client.CreateAsync(NewTicket, TestContext.Current.CancellationToken));

        Assert.True(error.RequestMayHaveBeenApplied);
        Assert.Contains("read the entity back", error.Message, StringComparison.Ordinal);
        Assert.Single(_server.LogEntries);
    }

    [Fact]
    public async Task A_write_refused_with_429_is_retried_because_nothing_was_applied()
    {
        GivenOnceThen("/atservicesrest/v1.0/Tickets", "POST",
            Response.Create().WithStatusCode(429).WithHeader("Retry-After", "0"), """{"itemId":99}""");
        using var harness = ClientHarness.For(_server);

        Assert.Equal(99, await harness.Client.CreateAsync(NewTicket, TestContext.Current.CancellationToken));
        Assert.Equal(2, _server.LogEntries.Count());
    }

    [Fact]
    public async Task A_write_refused_by_a_threshold_500_is_retried()
    {
        GivenOnceThen("/atservicesrest/v1.0/Tickets", "POST",
            Response.Create().WithStatusCode(500).WithBody(Wire.Errors("Request threshold of 10000 per hour exceeded.")), """{"itemId":99}""");
        using var harness = ClientHarness.For(_server);

        Assert.Equal(99, await harness.Client.CreateAsync(NewTicket, TestContext.Current.CancellationToken));
        Assert.Equal(2, _server.LogEntries.Count());
    }

    [Fact]
    public async Task A_write_to_a_refused_connection_is_retried_and_reported_as_not_applied()
    {
        var closedPort = TestServer.FreePort();
        using var harness = ClientHarness.Create(o =>
        {
            ClientHarness.AllowLoopback(o);
            o.AddConnection("test", c =>
            {
                ClientHarness.Credentials(c);
                c.ZoneUrl = $"http://127.0.0.1:{closedPort}/atservicesrest/";
                c.MaxRetryAttempts = 2;
            });
        });

        var error = await Assert.ThrowsAsync<AutotaskCommunicationException>(() => harness.Client.CreateAsync(NewTicket, TestContext.Current.CancellationToken));

        Assert.False(error.RequestMayHaveBeenApplied);
        Assert.Equal(2, harness.Logs.GetSnapshot().Count(r => r.Id.Id == 1002));
    }

    [Fact]
    public async Task Cancellation_stops_a_request_and_is_not_wrapped()
    {
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/7").UsingGet())
            .RespondWith(Response.Create().WithDelay(TimeSpan.FromSeconds(30)).WithBody("""{"item":null}"""));
        using var harness = ClientHarness.For(_server);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => harness.Client.GetAsync<Company>(7, cts.Token));
    }

    [Fact]
    public async Task An_attempt_that_times_out_is_retried_for_reads()
    {
        GivenOnceThen("/atservicesrest/v1.0/Companies/7", "GET",
            Response.Create().WithDelay(TimeSpan.FromSeconds(5)).WithBody("""{"item":null}"""), """{"item":{"id":7}}""");
        using var harness = ClientHarness.For(_server, c => c.AttemptTimeout = TimeSpan.FromMilliseconds(300));

        Assert.NotNull(await harness.Client.GetAsync<Company>(7, TestContext.Current.CancellationToken));
    }
}
