using System.Net;
using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Autotask.Integration.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Autotask.Integration.Tests.Errors;

public sealed class ErrorMappingTests : IDisposable
{
    private readonly WireMockServer _server = TestServer.Start();

    public void Dispose() => _server.Dispose();

    private void GivenGetCompany(int status, string body) =>
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/7").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body));

    private async Task<TException> GetCompanyFails<TException>(int status, string body) where TException : AutotaskRequestException
    {
        GivenGetCompany(status, body);
        using var harness = ClientHarness.For(_server, c => c.MaxRetryAttempts = 2);
        return await Assert.ThrowsAsync<TException>(() => harness.Client.GetAsync<Company>(7, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Http_401_is_an_authentication_error()
    {
        var error = await GetCompanyFails<AutotaskAuthenticationException>(401, Wire.Errors("User is not authenticated."));
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Equal(["User is not authenticated."], error.Errors);
        Assert.Equal("Companies", error.Entity);
        Assert.Equal("Get", error.Operation);
        Assert.Single(_server.LogEntries);
    }

    [Theory]
    [InlineData("IntegrationCode is invalid.")]
    [InlineData("Zone information could not be determined")]
    public async Task Autotask_500_credential_answers_are_authentication_errors_and_not_retried(string text)
    {
        var error = await GetCompanyFails<AutotaskAuthenticationException>(500, Wire.Errors(text));
        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.Contains(text, error.Message, StringComparison.Ordinal);
        Assert.Contains("integration code", error.Message, StringComparison.Ordinal);
        Assert.Single(_server.LogEntries);
    }

    [Theory]
    [InlineData(403, "Forbidden")]
    [InlineData(500, "User does not have permission to query Companies.")]
    public async Task Permission_answers_are_permission_errors(int status, string text)
    {
        var error = await GetCompanyFails<AutotaskPermissionException>(status, Wire.Errors(text));
        Assert.Contains("security level", error.Message, StringComparison.Ordinal);
        Assert.Single(_server.LogEntries);
    }

    [Fact]
    public async Task Http_400_is_a_validation_error_with_autotask_messages()
    {
        var error = await GetCompanyFails<AutotaskValidationException>(400, Wire.Errors("Field a is required.", "Field b is too long."));
        Assert.Equal(["Field a is required.", "Field b is too long."], error.Errors);
        Assert.Single(_server.LogEntries);
    }

    [Fact]
    public async Task An_autotask_500_with_a_business_rule_message_is_a_validation_error_and_not_retried()
    {
        var error = await GetCompanyFails<AutotaskValidationException>(500,
            Wire.Errors("When assigning a Resource, you must assign both a assignedResourceID and assignedResourceRoleID."));
        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.Single(_server.LogEntries);
    }

    [Fact]
    public async Task A_500_without_a_message_is_a_server_error_retried_for_reads()
    {
        await GetCompanyFails<AutotaskServerException>(500, "");
        Assert.Equal(3, _server.LogEntries.Count());
    }

    [Fact]
    public async Task Threshold_wording_in_a_business_rule_is_not_taken_for_a_rate_limit()
    {
        var error = await GetCompanyFails<AutotaskValidationException>(400, Wire.Errors("The discount exceeds the approval threshold."));
        Assert.Single(_server.LogEntries);
        Assert.Contains("threshold", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(404, "{\"item\":null}")]
    [InlineData(200, "{\"item\":null}")]
    public async Task A_missing_id_reads_as_null_whichever_way_the_tenant_answers(int status, string body)
    {
        GivenGetCompany(status, body);
        using var harness = ClientHarness.For(_server, c => c.MaxRetryAttempts = 2);

        Assert.Null(await harness.Client.GetAsync<Company>(7, TestContext.Current.CancellationToken));
        Assert.Single(_server.LogEntries);
    }

    [Fact]
    public async Task Http_404_on_a_count_is_a_not_found_error()
    {
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query/count").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(404).WithHeader("Content-Type", "application/json").WithBody(""));
        using var harness = ClientHarness.For(_server, c => c.MaxRetryAttempts = 2);

        await Assert.ThrowsAsync<AutotaskNotFoundException>(() => harness.Client.CountAsync(new AutotaskQuery<Company>(), TestContext.Current.CancellationToken));
        Assert.Single(_server.LogEntries);
    }

    [Fact]
    public async Task A_persistent_500_on_a_read_is_retried_then_a_server_error()
    {
        var error = await GetCompanyFails<AutotaskServerException>(500, Wire.Errors("Object reference not set to an instance of an object."));
        Assert.Equal(3, _server.LogEntries.Count());
        Assert.Equal(new Uri(_server.BaseUrl() + "/atservicesrest/v1.0/Companies/7"), error.RequestUri);
    }

    [Fact]
    public async Task A_threshold_answer_is_a_rate_limit_error_with_retry_after()
    {
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/7").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(429).WithHeader("Retry-After", "3600").WithBody(Wire.Errors("Request threshold exceeded.")));
        using var harness = ClientHarness.For(_server);

        var error = await Assert.ThrowsAsync<AutotaskRateLimitException>(() => harness.Client.GetAsync<Company>(7, TestContext.Current.CancellationToken));

        Assert.Equal(TimeSpan.FromHours(1), error.RetryAfter);
        // A Retry-After longer than MaxRetryAfter is not waited for.
        Assert.Single(_server.LogEntries);
    }

    [Fact]
    public async Task Html_or_empty_error_bodies_still_give_a_typed_error()
    {
        var error = await GetCompanyFails<AutotaskValidationException>(400, "<html>Bad Request</html>");
        Assert.Equal(["Bad Request"], error.Errors);
    }

    [Fact]
    public async Task Get_of_a_missing_id_returns_null()
    {
        GivenGetCompany(200, """{"item":null}""");
        using var harness = ClientHarness.For(_server);

        Assert.Null(await harness.Client.GetAsync<Company>(7, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_a_typed_error()
    {
        GivenGetCompany(200, "{\"item\":{\"id\":");
        using var harness = ClientHarness.For(_server, c => c.MaxRetryAttempts = 1);

        var error = await Assert.ThrowsAsync<AutotaskServerException>(() => harness.Client.GetAsync<Company>(7, TestContext.Current.CancellationToken));
        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_405_in_asp_net_shape_keeps_autotasks_text_and_is_typed()
    {
        var error = await GetCompanyFails<AutotaskValidationException>(405, """{"Message":"The requested resource does not support http method 'GET'."}""");

        Assert.Equal(["The requested resource does not support http method 'GET'."], error.Errors);
        Assert.Contains("does not support http method 'GET'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("..", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(".:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_500_html_page_is_a_server_fault_summarised_by_its_title_and_retried_for_reads()
    {
        var error = await GetCompanyFails<AutotaskServerException>(500,
            "<!DOCTYPE html><html><head><title>500 - Internal server error.</title><style>body{}</style></head><body><h1>Server Error</h1><p>Details &amp; more</p></body></html>");

        Assert.Equal(["500 - Internal server error."], error.Errors);
        Assert.DoesNotContain("<", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, _server.LogEntries.Count());
    }

    [Theory]
    [InlineData(400, "User does not have permission to do this with the discount field.")]
    [InlineData(400, "The request is not authenticated for this picklist value.")]
    [InlineData(422, "Username or secret fields cannot be set here.")]
    public async Task Status_decides_first_message_text_refines_only_a_500(int status, string text)
    {
        var error = await GetCompanyFails<AutotaskValidationException>(status, Wire.Errors(text));
        Assert.Equal([text], error.Errors);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(500)]
    [InlineData(403)]
    public async Task Credentials_echoed_by_an_error_body_are_redacted_everywhere(int status)
    {
        var echo = $"Bad header values: ApiIntegrationcode={ClientHarness.IntegrationCode}; UserName={ClientHarness.UserName}; Secret={ClientHarness.Secret}.";
        GivenGetCompany(status, Wire.Errors(echo));
        using var harness = ClientHarness.For(_server, c => c.MaxRetryAttempts = 0);

        var error = await Assert.ThrowsAnyAsync<AutotaskRequestException>(() => harness.Client.GetAsync<Company>(7, TestContext.Current.CancellationToken));

        foreach (var text in new[] { error.Message, error.ToString(), string.Join(" ", error.Errors) }.Concat(harness.Logs.GetSnapshot().Select(l => l.Message)))
        {
            Assert.DoesNotContain(ClientHarness.Secret, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(ClientHarness.IntegrationCode, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(ClientHarness.UserName, text, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Contains("ApiIntegrationcode=***", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_write_answered_500_whose_body_breaks_off_may_have_been_applied()
    {
        using var harness = ClientHarness.Create(o =>
        {
            o.AddConnection("test", c =>
            {
                ClientHarness.Credentials(c);
                c.ZoneUrl = "https://webservices1.autotask.net/atservicesrest/";
                c.MaxRetryAttempts = 2;
            });
        }, b => b.ConfigurePrimaryHttpMessageHandler(_ => new BrokenBodyHandler()));

        var error = await Assert.ThrowsAsync<AutotaskCommunicationException>(() =>
            harness.Client.CreateAsync(new Company { CompanyName = "Fabrikam", CompanyType = CompanyType.Customer }, TestContext.Current.CancellationToken));

        Assert.True(error.RequestMayHaveBeenApplied);
        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.Contains("may have been applied", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Answers every request 500 with a body that breaks off after a few bytes, and cannot be read twice.</summary>
    private sealed class BrokenBodyHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.InternalServerError) { Content = new StreamContent(new BreakingStream()) });

        private sealed class BreakingStream : MemoryStream
        {
            public BreakingStream()
                : base(System.Text.Encoding.UTF8.GetBytes("{\"errors\":[\"The discount"))
            {
            }

            // Not seekable, as a network stream: a second read of the content is refused ("already consumed").
            public override bool CanSeek => false;

            public override int Read(byte[] buffer, int offset, int count) =>
                Position < 8 ? base.Read(buffer, offset, Math.Min(count, 8)) : throw new IOException("The connection was reset.");

            public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
                Task.FromResult(Read(buffer, offset, count));

            public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
            {
                var array = new byte[buffer.Length];
                var read = Read(array, 0, array.Length);
                array.AsSpan(0, read).CopyTo(buffer.Span);
                return ValueTask.FromResult(read);
            }
        }
    }
}

/// <summary>Real tenants send the odd field in another JSON type than documented.</summary>
public sealed class OddFieldTests : IDisposable
{
    private readonly WireMock.Server.WireMockServer _server = TestServer.Start();

    public void Dispose() => _server.Dispose();

    private void GivenPage(string items) =>
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("{\"items\":[" + items + "],\"pageDetails\":{\"nextPageUrl\":null}}"));

    [Fact]
    public async Task One_odd_value_neither_fails_the_page_nor_the_other_fields()
    {
        GivenPage("""
            {"id":1,"companyName":12345,"companyType":"A","classification":"7","isActive":"true","phone":true,"companyNumber":{"nested":1}},
            {"id":2,"companyName":"Fabrikam","companyType":1,"classification":7.0,"isActive":1}
            """);
        using var harness = ClientHarness.For(_server);

        var companies = new List<Company>();
        await foreach (var company in harness.Client.QueryAsync(new AutotaskQuery<Company>(), TestContext.Current.CancellationToken))
        {
            companies.Add(company);
        }

        Assert.Equal(2, companies.Count);
        Assert.Equal(("12345", (int?)null, (int?)7, (bool?)true, "true", (string?)null), (companies[0].CompanyName, companies[0].CompanyType, companies[0].Classification, companies[0].IsActive, companies[0].Phone, companies[0].CompanyNumber));
        Assert.Equal(("Fabrikam", (int?)1, (int?)7, (bool?)true), (companies[1].CompanyName, companies[1].CompanyType, companies[1].Classification, companies[1].IsActive));
        Assert.Single(_server.LogEntries);
    }

    [Fact]
    public async Task A_value_no_field_can_hold_is_named_and_not_fetched_again()
    {
        GivenPage("""{"id":"not-a-number","companyName":"Fabrikam"}""");
        using var harness = ClientHarness.For(_server, c => c.MaxRetryAttempts = 3);

        var error = await Assert.ThrowsAsync<AutotaskServerException>(async () =>
        {
            await foreach (var _ in harness.Client.QueryAsync(new AutotaskQuery<Company>(), TestContext.Current.CancellationToken))
            {
            }
        });

        Assert.Contains("$.items[0].id", error.Message, StringComparison.Ordinal);
        Assert.Contains("Companies", error.Message, StringComparison.Ordinal);
        Assert.Single(_server.LogEntries);
    }
}
