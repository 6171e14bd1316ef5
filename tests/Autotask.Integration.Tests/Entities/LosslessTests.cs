using System.Text.Json;
using System.Text.Json.Nodes;
using Autotask.Integration.Entities;
using Autotask.Integration.Json;
using Autotask.Integration.Querying;
using Autotask.Integration.Tests.Support;
using NodaTime;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Autotask.Integration.Tests.Entities;

/// <summary>
/// A record read and written back changes in Autotask only what the caller changed: fields the model lacks, values it
/// could not convert and values in formats it would not write all go back as Autotask sent them. Exact bodies, on the wire.
/// </summary>
public sealed class LosslessTests : IDisposable
{
    // A company as a real tenant sends it: a field no model has, values the model cannot convert (an id as text, a
    // date-time that is not one) and values the model would write in another form (a 7-digit fraction, a basic offset,
    // a number for a string field, a picklist as a string).
    private const string TenantCompany = """
        {"id":1,"companyName":"Contoso","companyCategoryID":1,"aFieldFromANewerApi":{"nested":[1,2]},"ownerResourceID":"abc",
         "lastActivityDate":"n/a","createDate":"2026-01-02T03:04:05.1234567","lastTrackedModifiedDateTime":"2026-01-02T03:04:05+0000",
         "phone":5551234,"companyType":"1","isActive":true,"webAddress":null,"userDefinedFields":[{"name":"Code","value":"C-1"}]}
        """;

    private readonly WireMockServer _server = TestServer.Start();

    public LosslessTests()
    {
        _server.Given(Request.Create().UsingGet().WithPath("/atservicesrest/v1.0/Companies/1"))
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody($$"""{"item":{{TenantCompany}}}"""));
        _server.Given(Request.Create().UsingPost().WithPath("/atservicesrest/v1.0/Companies/query"))
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json")
                .WithBody("{\"items\":[" + TenantCompany + """,{"id":2,"companyName":"Fabrikam","lastActivityDate":"","createDate":"+0000"}],"pageDetails":{"count":2,"requestCount":500,"prevPageUrl":null,"nextPageUrl":null}}"""));
        _server.Given(Request.Create().UsingPut())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("""{"itemId":1}"""));
        _server.Given(Request.Create().UsingPost().WithPath("/atservicesrest/v1.0/Companies"))
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("""{"itemId":3}"""));
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => _server.Dispose();

    private JsonObject SentBody(string method) =>
        JsonNode.Parse(Wire.Body(Assert.Single(_server.LogEntries, e => e.RequestMessage!.Method == method)))!.AsObject();

    private static JsonObject Tenant() => JsonNode.Parse(TenantCompany)!.AsObject();

    private static async Task<List<T>> All<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    [Fact]
    public async Task A_record_read_and_replaced_with_one_field_changed_sends_every_field_as_read_but_that_one()
    {
        using var harness = ClientHarness.For(_server);
        var company = await harness.Client.GetAsync<Company>(1, Token);

        await harness.Client.ReplaceAsync(company! with { CompanyName = "Contoso Ltd" }, Token);

        var expected = Tenant();
        expected["companyName"] = "Contoso Ltd";
        var sent = SentBody("PUT");
        Assert.True(JsonNode.DeepEquals(expected, sent), $"sent {sent.ToJsonString()}");
    }

    [Fact]
    public async Task A_record_read_from_a_page_keeps_what_the_model_cannot_hold_and_a_null_set_by_the_caller_is_sent_as_null()
    {
        using var harness = ClientHarness.For(_server);
        var company = (await All(harness.Client.QueryAsync(new AutotaskQuery<Company>(), Token)))[0];
        Assert.Null(company.OwnerResourceId);
        Assert.Null(company.LastActivityDate);

        await harness.Client.ReplaceAsync(company with { IsActive = null, CompanyCategoryId = 4, OwnerResourceId = 29682885 }, Token);

        var expected = Tenant();
        expected["isActive"] = null;
        expected["companyCategoryID"] = 4;
        expected["ownerResourceID"] = 29682885;
        var sent = SentBody("PUT");
        Assert.True(JsonNode.DeepEquals(expected, sent), $"sent {sent.ToJsonString()}");
    }

    [Fact]
    public async Task Records_made_in_code_send_only_what_the_caller_set()
    {
        using var harness = ClientHarness.For(_server);

        await harness.Client.ReplaceAsync(new Company { Id = 1, CompanyName = "Contoso", CompanyType = CompanyType.Customer }, Token);
        var read = await harness.Client.GetAsync<Company>(1, Token);
        await harness.Client.CreateAsync(read! with { Id = 0, CompanyName = "Copy" }, Token);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"id":1,"companyName":"Contoso","companyType":1}"""), SentBody("PUT")));
        // A create sends the model's values only: what another record was read with is not copied into a new one.
        var created = SentBody("POST");
        Assert.Equal("Copy", (string?)created["companyName"]);
        Assert.False(created.ContainsKey("aFieldFromANewerApi"));
        Assert.False(created.ContainsKey("id"));
    }

    [Fact]
    public async Task Date_times_that_are_not_ones_read_as_null_in_one_request_and_the_json_as_read_keeps_them()
    {
        using var harness = ClientHarness.For(_server);

        var companies = await All(harness.Client.QueryAsync(new AutotaskQuery<Company>(), Token));

        Assert.Single(_server.LogEntries);
        Assert.Equal([1L, 2L], companies.Select(c => c.Id));
        Assert.Equal(Instant.FromUtc(2026, 1, 2, 3, 4, 5), companies[0].LastTrackedModifiedDateTime);
        Assert.Equal(Instant.FromUtc(2026, 1, 2, 3, 4, 5).PlusTicks(1_234_567), companies[0].CreateDate);
        Assert.Null(companies[1].LastActivityDate);
        Assert.Null(companies[1].CreateDate);
        Assert.Equal("n/a", companies[0].GetJsonAsRead()!.Value.GetProperty("lastActivityDate").GetString());
        Assert.Equal(1, companies[0].GetJsonAsRead()!.Value.GetProperty("companyCategoryID").GetInt32());
        Assert.Equal("+0000", companies[1].GetJsonAsRead()!.Value.GetProperty("createDate").GetString());
    }

    [Fact]
    public async Task What_a_record_was_read_from_is_left_out_of_its_equality_and_its_text()
    {
        using var harness = ClientHarness.For(_server);
        var read = (await harness.Client.GetAsync<Company>(1, Token))!;
        var made = JsonSerializer.Deserialize(TenantCompany, AutotaskEntityJsonContext.Default.Company)! with { UserDefinedFields = read.UserDefinedFields };

        Assert.Null(made.GetJsonAsRead());
        Assert.Equal(made, read);
        Assert.Equal(made.GetHashCode(), read.GetHashCode());
        Assert.DoesNotContain("aFieldFromANewerApi", read.ToString(), StringComparison.Ordinal);
        Assert.Contains("Contoso", read.ToString(), StringComparison.Ordinal);
        Assert.NotEqual(read, read with { CompanyName = "Other" });
        Assert.NotNull((read with { CompanyName = "Other" }).GetJsonAsRead());
    }

    [Theory]
    [InlineData(404, "<html><head><title>404 - File or directory not found.</title></head></html>", "text/html")]
    [InlineData(404, "", "text/plain")]
    [InlineData(404, """{"errors":["The requested resource does not exist."]}""", "application/json")]
    [InlineData(200, """{"items":[]}""", "application/json")]
    [InlineData(200, "{}", "application/json")]
    public async Task Only_autotasks_own_no_such_record_reads_as_missing(int status, string body, string contentType)
    {
        _server.Given(Request.Create().UsingGet().WithPath("/atservicesrest/v1.0/Companies/9")).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", contentType).WithBody(body));
        _server.Given(Request.Create().UsingGet().WithPath("/atservicesrest/v1.0/ConfigurationItems/9")).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", contentType).WithBody(body));
        using var harness = ClientHarness.For(_server);

        var typed = await Assert.ThrowsAnyAsync<AutotaskRequestException>(() => harness.Client.GetAsync<Company>(9, Token));
        var untyped = await Assert.ThrowsAnyAsync<AutotaskRequestException>(() => harness.Client.EntitySet("ConfigurationItems").GetAsync(9, Token));

        foreach (var error in new[] { typed, untyped })
        {
            Assert.IsType(status == 404 ? typeof(AutotaskNotFoundException) : typeof(AutotaskServerException), error);
            Assert.DoesNotContain("found no such record", error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(404)]
    [InlineData(200)]
    public async Task Autotasks_item_null_reads_as_missing_whichever_status_carries_it(int status)
    {
        _server.Given(Request.Create().UsingGet().WithPath("/atservicesrest/v1.0/Companies/9")).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody("""{"item":null}"""));
        _server.Given(Request.Create().UsingGet().WithPath("/atservicesrest/v1.0/ConfigurationItems/9")).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody("""{"item":null}"""));
        using var harness = ClientHarness.For(_server);

        Assert.Null(await harness.Client.GetAsync<Company>(9, Token));
        Assert.Null(await harness.Client.EntitySet("ConfigurationItems").GetAsync(9, Token));
    }
}
