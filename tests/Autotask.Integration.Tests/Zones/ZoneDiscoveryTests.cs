using Autotask.Integration.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Autotask.Integration.Tests.Zones;

public sealed class ZoneDiscoveryTests : IDisposable
{
    private readonly WireMockServer _discovery = TestServer.Start();
    private readonly WireMockServer _zone = TestServer.Start();

    public void Dispose()
    {
        _discovery.Dispose();
        _zone.Dispose();
    }

    private ClientHarness Harness(params string[] connections) => ClientHarness.Create(o =>
    {
        ClientHarness.AllowLoopback(o);
        o.Zones.DiscoveryUrl = _discovery.BaseUrl() + "/atservicesrest/";
        foreach (var name in connections.DefaultIfEmpty("test"))
        {
            o.AddConnection(name, ClientHarness.Credentials);
        }
    });

    private void GivenZone(string url) =>
        _discovery.Given(Request.Create().WithPath("/atservicesrest/v1.0/zoneInformation").UsingGet())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json")
                .WithBody($$"""{"zoneName":"America East 3","url":"{{url}}","webUrl":"https://ww3.autotask.net/","ci":12345}"""));

    private void GivenThresholdOnZone() =>
        _zone.Given(Request.Create().WithPath("/atservicesrest/v1.0/ThresholdInformation").UsingGet())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json")
                .WithBody("""{"externalRequestThreshold":10000,"requestThresholdTimeframe":60,"currentTimeframeRequestCount":17}"""));

    [Fact]
    public async Task Zone_is_discovered_from_the_username_without_credentials_and_used_for_requests()
    {
        GivenZone(_zone.BaseUrl() + "/atservicesrest/");
        GivenThresholdOnZone();
        using var harness = Harness();

        var threshold = await harness.Client.GetThresholdInformationAsync(TestContext.Current.CancellationToken);
        var zone = await harness.Client.GetZoneAsync(TestContext.Current.CancellationToken);

        Assert.Equal(17, threshold.CurrentTimeframeRequestCount);
        Assert.Equal("America East 3", zone.ZoneName);
        Assert.Equal(12345, zone.Ci);
        var discovery = Assert.Single(_discovery.LogEntries).RequestMessage!;
        Assert.Equal(ClientHarness.UserName, discovery.Query!["user"].Single());
        Assert.False(discovery.Headers!.ContainsKey("Secret"));
        Assert.False(discovery.Headers.ContainsKey("UserName"));
        Assert.False(discovery.Headers.ContainsKey("ApiIntegrationCode"));
        Assert.Equal(ClientHarness.Secret, Assert.Single(_zone.LogEntries).RequestMessage!.Headers!["Secret"].Single());
    }

    [Fact]
    public async Task Discovered_zone_is_cached_per_username_across_connections_and_calls()
    {
        GivenZone(_zone.BaseUrl() + "/atservicesrest/");
        GivenThresholdOnZone();
        using var harness = Harness("a", "b");

        var calls = Enumerable.Range(0, 10).Select(i =>
            harness.Factory.GetClient(i % 2 == 0 ? "a" : "b").GetThresholdInformationAsync(TestContext.Current.CancellationToken));
        await Task.WhenAll(calls);

        Assert.Single(_discovery.LogEntries);
        Assert.Equal(10, _zone.LogEntries.Count());
    }

    [Fact]
    public async Task A_configured_zone_url_skips_discovery()
    {
        GivenThresholdOnZone();
        using var harness = ClientHarness.For(_zone);

        await harness.Client.GetThresholdInformationAsync(TestContext.Current.CancellationToken);

        Assert.Empty(_discovery.LogEntries);
    }

    [Theory]
    [InlineData("https://webservices3.evil.example/atservicesrest/")]
    [InlineData("https://autotask.net.evil.example/atservicesrest/")]
    [InlineData("https://user:pw@webservices3.autotask.net/atservicesrest/")]
    [InlineData("not a url")]
    public async Task A_zone_url_on_an_untrusted_host_is_refused(string url)
    {
        GivenZone(url);
        using var harness = Harness();

        var error = await Assert.ThrowsAsync<AutotaskUnsafeUrlException>(() => harness.Client.GetThresholdInformationAsync(TestContext.Current.CancellationToken));

        Assert.Equal("ZoneDiscovery", error.Operation);
        Assert.DoesNotContain(ClientHarness.Secret, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_https_rule_refuses_plain_http_unless_allowed()
    {
        var strict = new Autotask.Integration.Zones.ZoneUrlPolicy(new AutotaskZoneOptions());
        Assert.False(strict.IsAllowed(new Uri("http://webservices3.autotask.net/atservicesrest/"), out var reason));
        Assert.Contains("https", reason, StringComparison.Ordinal);
        Assert.True(strict.IsAllowed(new Uri("https://webservices3.autotask.net/atservicesrest/"), out _));
        Assert.True(strict.IsAllowed(new Uri("https://WEBSERVICES15.AUTOTASK.NET/atservicesrest/"), out _));
        Assert.False(strict.IsAllowed(new Uri("https://autotask.net.evil.example/"), out _));
        Assert.False(strict.IsAllowed(new Uri("https://evilautotask.net/"), out _));
        Assert.False(strict.IsAllowed(new Uri("https://127.0.0.1/"), out _));
    }

    [Fact]
    public async Task A_zone_on_a_host_that_is_not_allowed_is_never_contacted()
    {
        using var untrusted = TestServer.Start();
        // Same machine, but named "localhost", which is not among the allowed hosts (only 127.0.0.1 is).
        GivenZone(untrusted.BaseUrl().Replace("127.0.0.1", "localhost", StringComparison.Ordinal) + "/atservicesrest/");
        using var harness = Harness();

        await Assert.ThrowsAsync<AutotaskUnsafeUrlException>(() => harness.Client.GetThresholdInformationAsync(TestContext.Current.CancellationToken));

        Assert.Empty(untrusted.LogEntries);
    }

    [Fact]
    public async Task A_failed_discovery_is_not_cached()
    {
        _discovery.Given(Request.Create().WithPath("/atservicesrest/v1.0/zoneInformation").UsingGet())
            .InScenario("zone").WillSetStateTo("up")
            .RespondWith(Response.Create().WithStatusCode(404).WithBody(Wire.Errors("Not found")));
        _discovery.Given(Request.Create().WithPath("/atservicesrest/v1.0/zoneInformation").UsingGet())
            .InScenario("zone").WhenStateIs("up")
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json")
                .WithBody($$"""{"zoneName":"Z","url":"{{_zone.BaseUrl()}}/atservicesrest/"}"""));
        GivenThresholdOnZone();
        using var harness = Harness();

        await Assert.ThrowsAsync<AutotaskNotFoundException>(() => harness.Client.GetThresholdInformationAsync(TestContext.Current.CancellationToken));
        var threshold = await harness.Client.GetThresholdInformationAsync(TestContext.Current.CancellationToken);

        Assert.Equal(10000, threshold.ExternalRequestThreshold);
        Assert.Equal(2, _discovery.LogEntries.Count());
    }

    [Fact]
    public async Task An_empty_zone_answer_is_an_authentication_error()
    {
        _discovery.Given(Request.Create().WithPath("/atservicesrest/v1.0/zoneInformation").UsingGet())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("""{"zoneName":null,"url":null}"""));
        using var harness = Harness();

        var error = await Assert.ThrowsAsync<AutotaskAuthenticationException>(() => harness.Client.GetZoneAsync(TestContext.Current.CancellationToken));
        Assert.Contains("username", error.Message, StringComparison.Ordinal);
    }
}
