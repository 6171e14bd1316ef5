using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Autotask.Integration.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace Autotask.Integration.Tests.Querying;

public sealed class QueryPagingTests : IDisposable
{
    private readonly WireMock.Server.WireMockServer _server = TestServer.Start();

    public void Dispose() => _server.Dispose();

    private string Api => _server.BaseUrl() + "/atservicesrest/v1.0";

    private void GivenThreePages(string method)
    {
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query").UsingMethod(method))
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json")
                .WithBody(Wire.Page(Wire.Companies(1, 500), Api + "/Companies/query/next?paging=p2")));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query/next").WithParam("paging", "p2").UsingMethod(method))
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json")
                .WithBody(Wire.Page(Wire.Companies(501, 500), Api + "/Companies/query/next?paging=p3")));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query/next").WithParam("paging", "p3").UsingMethod(method))
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json")
                .WithBody(Wire.Page(Wire.Companies(1001, 7), null)));
    }

    [Fact]
    public async Task Query_follows_next_page_until_null_and_reposts_the_body()
    {
        GivenThreePages("POST");
        using var harness = ClientHarness.For(_server);
        var query = new AutotaskQuery<Company>().Where(Filter<Company>.Eq(c => c.IsActive, true));

        var ids = new List<long>();
        await foreach (var company in harness.Client.QueryAsync(query, TestContext.Current.CancellationToken))
        {
            ids.Add(company.Id);
        }

        Assert.Equal(Enumerable.Range(1, 1007).Select(i => (long)i), ids);
        var requests = _server.LogEntries.ToList();
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Equal("POST", r.RequestMessage!.Method));
        var firstBody = Wire.Body(requests[0]);
        Assert.All(requests, r => Assert.Equal(firstBody, Wire.Body(r)));
        Assert.Equal("""{"filter":[{"op":"eq","field":"isActive","value":true}]}""", firstBody);
    }

    [Fact]
    public async Task Query_with_get_method_sends_the_search_in_the_url_and_gets_next_pages()
    {
        GivenThreePages("GET");
        using var harness = ClientHarness.For(_server, c => c.QueryMethod = AutotaskQueryMethod.Get);

        var count = 0;
        await foreach (var _ in harness.Client.QueryAsync(new AutotaskQuery<Company>(), TestContext.Current.CancellationToken))
        {
            count++;
        }

        Assert.Equal(1007, count);
        var requests = _server.LogEntries.ToList();
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Equal("GET", r.RequestMessage!.Method));
        Assert.Equal("""{"filter":[{"op":"gte","field":"id","value":0}]}""", requests[0].RequestMessage!.Query!["search"].Single());
    }

    [Fact]
    public async Task Query_reads_pages_lazily()
    {
        GivenThreePages("POST");
        using var harness = ClientHarness.For(_server);

        await using var enumerator = harness.Client.QueryAsync(new AutotaskQuery<Company>(), TestContext.Current.CancellationToken)
            .GetAsyncEnumerator(TestContext.Current.CancellationToken);
        for (var i = 0; i < 500; i++)
        {
            Assert.True(await enumerator.MoveNextAsync());
        }

        Assert.Single(_server.LogEntries);
        Assert.True(await enumerator.MoveNextAsync());
        Assert.Equal(501, enumerator.Current.Id);
        Assert.Equal(2, _server.LogEntries.Count());
    }

    [Fact]
    public async Task Take_stops_after_max_records_and_asks_for_no_more_than_needed()
    {
        GivenThreePages("POST");
        using var harness = ClientHarness.For(_server);

        var companies = new List<Company>();
        await foreach (var company in harness.Client.QueryAsync(new AutotaskQuery<Company>().Take(10), TestContext.Current.CancellationToken))
        {
            companies.Add(company);
        }

        Assert.Equal(10, companies.Count);
        var request = Assert.Single(_server.LogEntries);
        Assert.Contains("\"MaxRecords\":10", Wire.Body(request));
    }

    [Fact]
    public async Task A_page_that_keeps_failing_fails_the_enumeration_with_a_typed_error()
    {
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json")
                .WithBody(Wire.Page(Wire.Companies(1, 500), Api + "/Companies/query/next?paging=p2")));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query/next").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(503).WithBody(Wire.Errors("Service unavailable")));
        using var harness = ClientHarness.For(_server, c => c.MaxRetryAttempts = 2);

        var seen = 0;
        var error = await Assert.ThrowsAsync<AutotaskServerException>(async () =>
        {
            await foreach (var _ in harness.Client.QueryAsync(new AutotaskQuery<Company>(), TestContext.Current.CancellationToken))
            {
                seen++;
            }
        });

        Assert.Equal(500, seen);
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Equal(1 + 3, _server.LogEntries.Count());
    }

    [Fact]
    public async Task A_page_whose_answer_breaks_off_is_read_again()
    {
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query").UsingPost())
            .InScenario("broken").WillSetStateTo("once")
            .RespondWith(Response.Create().WithFault(WireMock.ResponseBuilders.FaultType.MALFORMED_RESPONSE_CHUNK));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query").UsingPost())
            .InScenario("broken").WhenStateIs("once")
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody(Wire.Page(Wire.Companies(1, 3), null)));
        using var harness = ClientHarness.For(_server);

        var companies = new List<Company>();
        await foreach (var company in harness.Client.QueryAsync(new AutotaskQuery<Company>(), TestContext.Current.CancellationToken))
        {
            companies.Add(company);
        }

        Assert.Equal(3, companies.Count);
    }

    [Fact]
    public async Task Count_posts_the_filters_to_query_count()
    {
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Tickets/query/count").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("""{"queryCount":42}"""));
        using var harness = ClientHarness.For(_server);

        var count = await harness.Client.CountAsync(new AutotaskQuery<Ticket>().Where(Filter<Ticket>.Eq(t => t.Status, 1)), TestContext.Current.CancellationToken);

        Assert.Equal(42, count);
        Assert.Equal("""{"filter":[{"op":"eq","field":"status","value":1}]}""", Wire.Body(Assert.Single(_server.LogEntries)));
    }

    [Fact]
    public async Task Unknown_field_names_are_refused_before_anything_is_sent()
    {
        using var harness = ClientHarness.For(_server);

        var error = Assert.Throws<ArgumentException>(() =>
            harness.Client.QueryAsync(new AutotaskQuery<Company>().Where(Filter.Field("compnyName", FilterOperator.Eq, "x")), TestContext.Current.CancellationToken));
        Assert.Contains("'compnyName' is not a field of Companies", error.Message, StringComparison.Ordinal);

        var include = Assert.Throws<ArgumentException>(() =>
            harness.Client.QueryAsync(new AutotaskQuery<Company>().Include("nope"), TestContext.Current.CancellationToken));
        Assert.Contains("'nope'", include.Message, StringComparison.Ordinal);
        Assert.Empty(_server.LogEntries);
    }
}
