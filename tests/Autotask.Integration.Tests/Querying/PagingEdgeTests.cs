using System.Net;
using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace Autotask.Integration.Tests.Querying;

/// <summary>Tenants that accept one method on next pages, long query strings, and pages that cannot be right.</summary>
public sealed class PagingEdgeTests : IDisposable
{
    private readonly WireMock.Server.WireMockServer _server = TestServer.Start();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _server.Dispose();

    private string Api => _server.BaseUrl() + "/atservicesrest/v1.0";

    private static async Task<List<T>> ReadAllAsync<T>(IAutotaskClient client, AutotaskQuery<T> query) where T : AutotaskEntity, IQueryableEntity
    {
        var items = new List<T>();
        await foreach (var item in client.QueryAsync(query, Ct))
        {
            items.Add(item);
        }

        return items;
    }

    [Theory]
    [InlineData(AutotaskQueryMethod.Post, "GET")]
    [InlineData(AutotaskQueryMethod.Get, "POST")]
    public async Task A_tenant_that_accepts_one_method_on_next_pages_is_read_to_the_end_and_remembered(AutotaskQueryMethod queryMethod, string only)
    {
        await using var harness = SimulatorHarness.Create(
            new AutotaskSimulatorOptions { DataSet = SimulatorDataSet.Companies(1200), NextPageMethod = new HttpMethod(only) },
            c => c.QueryMethod = queryMethod);

        var first = await ReadAllAsync(harness.Client, new AutotaskQuery<Company>());
        var second = await ReadAllAsync(harness.Client, new AutotaskQuery<Company>());

        Assert.Equal(1200, first.Count);
        Assert.Equal(first.Select(c => c.Id), second.Select(c => c.Id));
        var nextPages = harness.Simulator.Requests.Where(r => r.Path.EndsWith("/query/next", StringComparison.Ordinal)).ToList();
        // Page 2 of the first read was refused once; every next page after that went straight to the accepted method.
        Assert.Equal([405, 200, 200, 200, 200], nextPages.Select(r => r.Status));
        Assert.All(nextPages.Skip(1), r => Assert.Equal(only, r.Method));
    }

    [Fact]
    public async Task A_next_page_refused_with_both_methods_is_a_typed_error_after_the_pages_read()
    {
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody(Wire.Page(Wire.Companies(1, 500), Api + "/Companies/query/next?paging=p2")));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query/next"))
            .RespondWith(Response.Create().WithStatusCode(405).WithHeader("Content-Type", "application/json")
                .WithBody("""{"Message":"The requested resource does not support http method."}"""));
        using var harness = ClientHarness.For(_server);
        var read = 0;

        var error = await Assert.ThrowsAsync<AutotaskValidationException>(async () =>
        {
            await foreach (var _ in harness.Client.QueryAsync(new AutotaskQuery<Company>(), Ct))
            {
                read++;
            }
        });

        Assert.Equal(500, read);
        Assert.Contains("both GET and POST", error.Message, StringComparison.Ordinal);
        Assert.Equal(["POST", "POST", "GET"], _server.LogEntries.Select(e => e.RequestMessage!.Method));
    }

    [Fact]
    public async Task A_get_query_too_long_for_a_url_is_sent_as_a_post()
    {
        await using var harness = SimulatorHarness.Create(connection: c => c.QueryMethod = AutotaskQueryMethod.Get);
        var ids = Enumerable.Range(1, 500).Select(i => (long)i * 1000).ToArray();

        await ReadAllAsync(harness.Client, new AutotaskQuery<Company>().Where(Filter<Company>.In(c => c.Id, ids)));
        await harness.Client.CountAsync(new AutotaskQuery<Company>().Where(Filter<Company>.In(c => c.Id, ids)), Ct);
        await ReadAllAsync(harness.Client, new AutotaskQuery<Company>().Where(Filter<Company>.Eq(c => c.IsActive, true)));

        Assert.Equal(["POST", "POST", "GET"], harness.Simulator.Requests.Where(r => r.Path.Contains("/query", StringComparison.Ordinal)).Select(r => r.Method));
        Assert.All(harness.Simulator.Requests, r => Assert.NotEqual(404, r.Status));
    }

    [Fact]
    public async Task A_next_page_url_whose_query_is_too_long_is_posted_without_it()
    {
        // A filter value long enough that the next-page URL's copy of the query passes IIS's limit.
        await using var harness = SimulatorHarness.Create(new AutotaskSimulatorOptions { DataSet = SimulatorDataSet.Companies(1200) });
        var query = new AutotaskQuery<Company>().Where(Filter<Company>.NotEq(c => c.CompanyName, new string('x', 2100)));

        var all = await ReadAllAsync(harness.Client, query);

        Assert.Equal(1200, all.Count);
        var nextPages = harness.Simulator.Requests.Where(r => r.Path.EndsWith("/query/next", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, nextPages.Count);
        Assert.All(nextPages, r => Assert.True(r.Status == 200 && r.Method == "POST" && r.Query!.Length <= 2048 && !r.Query.Contains("search=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Iis_refusing_a_long_query_string_is_a_typed_too_long_error_never_not_found()
    {
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(404).WithHeader("Content-Type", "text/html")
                .WithBody("<html><head><title>IIS 10.0 Detailed Error - 404.15 - Not Found</title></head><body>The query string is too long.</body></html>"));
        using var harness = ClientHarness.For(_server, c => c.QueryMethod = AutotaskQueryMethod.Get);

        var error = await Assert.ThrowsAsync<AutotaskValidationException>(() => ReadAllAsync(harness.Client, new AutotaskQuery<Company>()));

        Assert.Contains("URL is too long", error.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
    }

    public static TheoryData<string, string, int, string> ImpossiblePages() => new()
    {
        { "more items than a page holds", Wire.Page(Wire.Companies(1, 501), null), 0, "holds 501 items" },
        { "an id twice in one page", Wire.Page(Wire.Companies(1, 10) + "," + Wire.Companies(5, 1), null), 0, "holds id 5 twice" },
        { "ids going back within one page", Wire.Page(Wire.Companies(6, 5) + "," + Wire.Companies(1, 5), null), 0, "goes back from id 10 to id 1" },
    };

    [Theory]
    [MemberData(nameof(ImpossiblePages))]
    public async Task An_impossible_page_is_refused_before_any_of_its_items_is_delivered(string what, string page, int delivered, string problem)
    {
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody(page));
        using var harness = ClientHarness.For(_server);
        var read = 0;

        var error = await Assert.ThrowsAsync<AutotaskServerException>(async () =>
        {
            await foreach (var _ in harness.Client.QueryAsync(new AutotaskQuery<Company>(), Ct))
            {
                read++;
            }
        });

        Assert.True(delivered == read, what);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_page_that_goes_back_in_an_id_sorted_read_is_refused_before_its_items()
    {
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody(Wire.Page(Wire.Companies(1, 500), Api + "/Companies/query/next?paging=p2")));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query/next").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody(Wire.Page(Wire.Companies(400, 500), null)));
        using var harness = ClientHarness.For(_server);
        var ids = new List<long>();

        var error = await Assert.ThrowsAsync<AutotaskServerException>(async () =>
        {
            await foreach (var company in harness.Client.QueryAsync(new AutotaskQuery<Company>(), Ct))
            {
                ids.Add(company.Id);
            }
        });

        Assert.Equal(Enumerable.Range(1, 500).Select(i => (long)i), ids);
        Assert.Contains("starts at id 400", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Autotask's results come sorted by id, so a page whose ids go back is as impossible untyped as typed, and in a ranged read.</summary>
    [Theory]
    [InlineData("QueryAsync")]
    [InlineData("EntitySet")]
    [InlineData("ReadAllAsync")]
    public async Task A_page_whose_ids_go_back_within_it_is_refused_before_any_of_its_items(string reader)
    {
        var unsorted = Wire.Companies(1, 3) + "," + Wire.Companies(9, 1) + "," + Wire.Companies(4, 3);
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody(Wire.Page(unsorted, Api + "/Companies/query/next?paging=p2")));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query/count").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("""{"queryCount":2000}"""));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query/next").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody(Wire.Page(Wire.Companies(10, 5), null)));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/entityInformation/fields").UsingGet())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("""{"fields":[{"name":"id","dataType":"long","isReadOnly":true}]}"""));
        using var harness = ClientHarness.For(_server);
        var read = 0;

        var error = await Assert.ThrowsAsync<AutotaskServerException>(async () =>
        {
            switch (reader)
            {
                case "QueryAsync":
                    await foreach (var _ in harness.Client.QueryAsync(new AutotaskQuery<Company>(), Ct))
                    {
                        read++;
                    }

                    break;
                case "EntitySet":
                    await foreach (var _ in harness.Client.EntitySet("Companies").QueryAsync([], Ct))
                    {
                        read++;
                    }

                    break;
                default:
                    await foreach (var _ in harness.Client.ReadAllAsync(new AutotaskQuery<Company>(), new AutotaskReadOptions { Streams = 4 }, Ct))
                    {
                        read++;
                    }

                    break;
            }
        });

        Assert.Equal(0, read);
        Assert.Contains("impossible page 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("goes back from id 9 to id 4", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_server.LogEntries, e => e.RequestMessage!.Path.EndsWith("/query/next", StringComparison.Ordinal));
    }
}
