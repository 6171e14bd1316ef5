using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Autotask.Integration.Tests.Security;

public sealed class CredentialTests : IDisposable
{
    private readonly WireMockServer _server = TestServer.Start();
    private readonly WireMockServer _foreign = TestServer.Start();

    public void Dispose()
    {
        _server.Dispose();
        _foreign.Dispose();
    }

    [Fact]
    public async Task Every_request_carries_the_three_credential_headers_and_impersonation_when_set()
    {
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/7").UsingGet())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("""{"item":{"id":7}}"""));
        using var harness = ClientHarness.For(_server, c => c.ImpersonationResourceId = 29682885);

        await harness.Client.GetAsync<Company>(7, TestContext.Current.CancellationToken);

        var headers = Assert.Single(_server.LogEntries).RequestMessage!.Headers!;
        Assert.Equal(ClientHarness.UserName, headers["UserName"].Single());
        Assert.Equal(ClientHarness.Secret, headers["Secret"].Single());
        Assert.Equal(ClientHarness.IntegrationCode, headers["ApiIntegrationCode"].Single());
        Assert.Equal("29682885", headers["ImpersonationResourceId"].Single());
        Assert.StartsWith("application/json", headers["Accept"].Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_next_page_url_on_another_host_is_refused_before_anything_is_sent_to_it()
    {
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json")
                .WithBody(Wire.Page(Wire.Companies(1, 2), _foreign.BaseUrl() + "/atservicesrest/v1.0/Companies/query/next?paging=2")));
        using var harness = ClientHarness.Create(o =>
        {
            ClientHarness.AllowLoopback(o);
            o.AddConnection("test", c =>
            {
                ClientHarness.Credentials(c);
                c.ZoneUrl = _server.BaseUrl() + "/atservicesrest/";
            });
        });

        var seen = 0;
        var error = await Assert.ThrowsAsync<AutotaskUnsafeUrlException>(async () =>
        {
            await foreach (var _ in harness.Client.QueryAsync(new AutotaskQuery<Company>(), TestContext.Current.CancellationToken))
            {
                seen++;
            }
        });

        Assert.Equal(2, seen);
        Assert.Empty(_foreign.LogEntries);
        Assert.Contains("not followed", error.Message, StringComparison.Ordinal);
        Assert.Single(_server.LogEntries);
    }

    [Theory]
    [InlineData("https://{host}/atservicesrest/v1.0/Companies/query/next?paging=2")]
    [InlineData("/other-app/v1.0/Companies/query/next?paging=2")]
    [InlineData("http://user:pw@{host}/atservicesrest/v1.0/Companies/query/next")]
    public async Task A_next_page_url_with_another_scheme_path_or_user_info_is_refused(string template)
    {
        var next = template.Replace("{host}", new Uri(_server.BaseUrl()).Authority, StringComparison.Ordinal);
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody(Wire.Page(Wire.Companies(1, 1), next)));
        using var harness = ClientHarness.For(_server);

        await Assert.ThrowsAsync<AutotaskUnsafeUrlException>(async () =>
        {
            await foreach (var _ in harness.Client.QueryAsync(new AutotaskQuery<Company>(), TestContext.Current.CancellationToken))
            {
            }
        });
        Assert.Single(_server.LogEntries);
    }

    [Fact]
    public async Task Redirects_are_not_followed_so_credentials_stay_on_the_zone()
    {
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/7").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(302).WithHeader("Location", _foreign.BaseUrl() + "/steal"));
        using var harness = ClientHarness.For(_server);

        var error = await Assert.ThrowsAsync<AutotaskUnsafeUrlException>(() => harness.Client.GetAsync<Company>(7, TestContext.Current.CancellationToken));

        Assert.Contains("redirect", error.Message, StringComparison.Ordinal);
        Assert.Empty(_foreign.LogEntries);
    }

    [Fact]
    public async Task A_primary_handler_of_the_applications_own_does_not_follow_redirects_either()
    {
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/7").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(307).WithHeader("Location", _foreign.BaseUrl() + "/steal"));
        using var harness = ClientHarness.For(_server, builder: b => b.ConfigurePrimaryHttpMessageHandler(_ => new HttpClientHandler()));

        await Assert.ThrowsAsync<AutotaskUnsafeUrlException>(() => harness.Client.GetAsync<Company>(7, TestContext.Current.CancellationToken));

        Assert.Empty(_foreign.LogEntries);
    }

    [Fact]
    public async Task A_primary_handler_set_on_the_public_http_client_builder_cannot_re_enable_redirects()
    {
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/7").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(302).WithHeader("Location", _foreign.BaseUrl() + "/steal"));
        using var harness = ClientHarness.For(_server, builder: b => b.ApiHttpClient.ConfigurePrimaryHttpMessageHandler(() => new HttpClientHandler { AllowAutoRedirect = true }));

        var error = await Assert.ThrowsAsync<AutotaskUnsafeUrlException>(() => harness.Client.GetAsync<Company>(7, TestContext.Current.CancellationToken));

        Assert.Contains("redirect", error.Message, StringComparison.Ordinal);
        Assert.Empty(_foreign.LogEntries);
    }

    [Fact]
    public async Task A_vendor_handler_that_rewrites_the_url_never_sees_or_carries_the_credentials()
    {
        var seen = new List<string>();
        using var harness = ClientHarness.For(_server, builder: b => b.ApiHttpClient.AddHttpMessageHandler(() => new RewritingHandler(_foreign.BaseUrl(), seen)));

        var error = await Assert.ThrowsAsync<AutotaskUnsafeUrlException>(() => harness.Client.GetAsync<Company>(7, TestContext.Current.CancellationToken));

        Assert.Contains("did not leave the zone", error.Message, StringComparison.Ordinal);
        Assert.Empty(_foreign.LogEntries);
        Assert.Empty(_server.LogEntries);
        Assert.DoesNotContain("Secret", seen);
    }

    /// <summary>A vendor's handler gone wrong: it notes the headers it sees and sends the request to another host.</summary>
    private sealed class RewritingHandler(string host, List<string> seen) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen.AddRange(request.Headers.Select(h => h.Key));
            request.RequestUri = new Uri(host + request.RequestUri!.PathAndQuery);
            return base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public async Task The_secret_never_appears_in_logs_exceptions_or_options_text()
    {
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/7").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(500)
                .WithBody(Wire.Errors($"IntegrationCode is invalid. Secret {ClientHarness.Secret} rejected.")));
        using var harness = ClientHarness.For(_server);

        var error = await Assert.ThrowsAsync<AutotaskAuthenticationException>(() => harness.Client.GetAsync<Company>(7, TestContext.Current.CancellationToken));

        Assert.DoesNotContain(ClientHarness.Secret, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ClientHarness.Secret, error.ToString(), StringComparison.Ordinal);
        Assert.All(error.Errors, e => Assert.DoesNotContain(ClientHarness.Secret, e, StringComparison.Ordinal));
        Assert.NotEmpty(harness.Logs.GetSnapshot());
        Assert.DoesNotContain(ClientHarness.Secret, harness.AllLogText(), StringComparison.Ordinal);

        var options = new AutotaskConnectionOptions();
        ClientHarness.Credentials(options);
        Assert.DoesNotContain(ClientHarness.Secret, options.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(ClientHarness.IntegrationCode, options.ToString(), StringComparison.Ordinal);
    }
}
