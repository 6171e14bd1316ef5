using Autotask.Integration.Entities;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace Autotask.Integration.Tests.DependencyInjection;

public sealed class RegistrationTests
{
    private static OptionsValidationException Invalid(Action<AutotaskIntegrationOptions> configure)
    {
        using var harness = ClientHarness.Create(configure);
        return Assert.Throws<OptionsValidationException>(() => harness.Services.GetRequiredService<IOptions<AutotaskIntegrationOptions>>().Value);
    }

    [Fact]
    public void Validation_names_the_connection_and_the_field_and_never_the_secret()
    {
        var error = Invalid(o => o.AddConnection("contoso", c =>
        {
            c.Secret = "top-secret-value";
            c.ZoneUrl = "https://evil.example/atservicesrest/";
            c.Currency = "euro";
            c.HourlyRequestBudget = 0;
            c.ImpersonationResourceId = -1;
        }));

        Assert.Contains("Autotask connection 'contoso': UserName is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("Autotask connection 'contoso': IntegrationCode is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("Autotask connection 'contoso': ZoneUrl is refused because its host evil.example", error.Message, StringComparison.Ordinal);
        Assert.Contains("Currency 'euro'", error.Message, StringComparison.Ordinal);
        Assert.Contains("HourlyRequestBudget is 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("ImpersonationResourceId", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("top-secret-value", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("UserName", "api@example.com\r\nX-Injected: 1", "control character")]
    [InlineData("Secret", "s3cr3t\r\nX-Injected: 1", "control character")]
    [InlineData("IntegrationCode", "CODE\nX-Injected: 1", "control character")]
    [InlineData("Secret", "s3cr3t\n", "ends with a line break")]
    [InlineData("IntegrationCode", "CODE\r\n", "ends with a line break")]
    [InlineData("Secret", "s3cr\t3t", "control character")]
    [InlineData("Secret", "sécret", "outside printable ASCII")]
    [InlineData("UserName", "api@exämple.com", "outside printable ASCII")]
    [InlineData("IntegrationCode", " CODE", "starts or ends with a space")]
    public void Credentials_that_a_header_cannot_carry_are_refused_naming_the_setting_never_the_value(string setting, string value, string problem)
    {
        var error = Invalid(o => o.AddConnection("contoso", c =>
        {
            c.UserName = setting == "UserName" ? value : "api@example.com";
            c.Secret = setting == "Secret" ? value : "a-valid-secret";
            c.IntegrationCode = setting == "IntegrationCode" ? value : "VALIDCODE";
            c.ZoneUrl = "https://webservices1.autotask.net/atservicesrest/";
        }));

        Assert.Contains($"Autotask connection 'contoso': {setting} ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Single(error.Failures);
        Assert.DoesNotContain(value.Trim(), error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Injected", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_out_of_range_are_refused_at_start_up()
    {
        var error = Invalid(o =>
        {
            o.Zones.CacheDuration = TimeSpan.MaxValue;
            o.AddConnection("contoso", c =>
            {
                c.UserName = "api@example.com";
                c.Secret = "a-valid-secret";
                c.IntegrationCode = "VALIDCODE";
                c.QueryMethod = (AutotaskQueryMethod)7;
            });
        });

        Assert.Contains("Autotask zones: CacheDuration is", error.Message, StringComparison.Ordinal);
        Assert.Contains("Autotask connection 'contoso': QueryMethod 7 is not one of Post, Get", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", null, "WebhookSecretKey must have 1 to 64 characters")]
    [InlineData("k", null, "WebhookSecretKey must have 1 to 64 characters")]
    [InlineData("line\nbreak", null, "WebhookSecretKey contains a control character")]
    [InlineData(null, "00:00:00", "WebhookReplayWindow is 00:00:00; it must be between")]
    [InlineData(null, "30.00:00:00", "WebhookReplayWindow is 30.00:00:00; it must be between")]
    public void Webhook_settings_out_of_range_are_refused_naming_the_setting(string? key, string? window, string problem)
    {
        var error = Invalid(o => o.AddConnection("contoso", c =>
        {
            c.UserName = "api@example.com";
            c.Secret = "a-valid-secret";
            c.IntegrationCode = "VALIDCODE";
            c.WebhookSecretKey = key == "k" ? new string('k', 65) : key;
            c.WebhookReplayWindow = window is null ? c.WebhookReplayWindow : TimeSpan.Parse(window, System.Globalization.CultureInfo.InvariantCulture);
        }));

        Assert.Contains($"Autotask connection 'contoso': {problem}", error.Message, StringComparison.Ordinal);
        Assert.Single(error.Failures);
        Assert.DoesNotContain("line\nbreak", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_build_for_each_framework_runs_on_that_frameworks_line_of_its_dependencies()
    {
        // On .NET 8 (the net8.0 run of .ci/run) the libraries must not have pulled the 10.x line into the application.
        var major = Environment.Version.Major;

        Assert.Equal(major, typeof(IOptions<>).Assembly.GetName().Version!.Major);
        Assert.Equal(major, typeof(Microsoft.Extensions.Http.Resilience.HttpStandardResilienceOptions).Assembly.GetName().Version!.Major);
        Assert.Equal(major, typeof(Microsoft.Extensions.Logging.ILogger).Assembly.GetName().Version!.Major);
        Assert.Equal(major, typeof(Microsoft.Data.Sqlite.SqliteConnection).Assembly.GetName().Version!.Major);
        Assert.Equal(major, typeof(Npgsql.NpgsqlConnection).Assembly.GetName().Version!.Major);
    }

    [Fact]
    public void A_missing_secret_is_reported()
    {
        var error = Invalid(o => o.AddConnection("a", c => { c.UserName = "u@example.com"; c.IntegrationCode = "X"; }));
        Assert.Contains("Autotask connection 'a': Secret is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_starts_with_no_connection_and_serves_none_until_one_is_linked()
    {
        var services = new ServiceCollection();
        services.AddAutotaskIntegration(_ => { });
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        // Start-up validation passes with zero connections; there is no single client to inject, and nothing is listed.
        _ = provider.GetRequiredService<IOptions<AutotaskIntegrationOptions>>().Value;
        var single = Assert.Throws<AutotaskConfigurationException>(() => provider.GetRequiredService<IAutotaskClient>());
        Assert.Contains("No Autotask connection is configured", single.Message, StringComparison.Ordinal);
        Assert.Empty(await provider.GetRequiredService<IAutotaskClientFactory>().ListConnectionsAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Invalid_options_stop_the_host_at_start_up()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAutotaskIntegration(o => o.AddConnection("broken", _ => { }));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("'broken'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_bind_from_a_configuration_section()
    {
        using var server = TestServer.Start();
        server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/3").UsingGet())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("""{"item":{"id":3,"companyName":"Fabrikam"}}"""));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Autotask:Zones:AllowInsecureHttp"] = "true",
            ["Autotask:Zones:AllowedHostSuffixes:0"] = "127.0.0.1",
            ["Autotask:Connections:fabrikam:UserName"] = ClientHarness.UserName,
            ["Autotask:Connections:fabrikam:Secret"] = ClientHarness.Secret,
            ["Autotask:Connections:fabrikam:IntegrationCode"] = ClientHarness.IntegrationCode,
            ["Autotask:Connections:fabrikam:ZoneUrl"] = server.BaseUrl() + "/atservicesrest/",
            ["Autotask:Connections:fabrikam:MaxConcurrentRequestsPerEntity"] = "2",
            ["Autotask:Connections:fabrikam:RetryBaseDelay"] = "00:00:00.010",
        }).Build();
        var services = new ServiceCollection();
        services.AddAutotaskIntegration(configuration.GetSection("Autotask"));
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<AutotaskIntegrationOptions>>().Value;
        var company = await provider.GetRequiredService<IAutotaskClient>().GetAsync<Company>(3, TestContext.Current.CancellationToken);

        Assert.Equal("Fabrikam", company!.CompanyName);
        Assert.Equal(2, options.Connections["fabrikam"].MaxConcurrentRequestsPerEntity);
        Assert.Equal(TimeSpan.FromMilliseconds(10), options.Connections["fabrikam"].RetryBaseDelay);
        Assert.Contains("autotask.net", options.Zones.AllowedHostSuffixes);
    }

    [Fact]
    public async Task Several_connections_are_served_by_the_factory_one_client_each()
    {
        using var harness = ClientHarness.Create(o =>
        {
            o.AddConnection("north", ClientHarness.Credentials);
            o.AddConnection("south", ClientHarness.Credentials);
        });

        var north = harness.Factory.GetClient("north");
        Assert.Equal("north", harness.Factory.GetClient("NORTH").ConnectionName);
        Assert.Equal("south", harness.Factory.GetClient("south").ConnectionName);
        Assert.Equal("north", north.ConnectionName);
        Assert.Equal(["north", "south"], await harness.Factory.ListConnectionsAsync(TestContext.Current.CancellationToken));

        // An id no source knows is refused on the client's first request, typed, naming the id.
        var unknown = await Assert.ThrowsAsync<AutotaskConnectionNotFoundException>(() => harness.Factory.GetClient("east").GetZoneAsync(TestContext.Current.CancellationToken));
        Assert.Equal("east", unknown.Connection);
        Assert.False(unknown.Removed);
        Assert.Throws<ArgumentException>(() => harness.Factory.GetClient(" "));
        var ambiguous = Assert.Throws<AutotaskConfigurationException>(() => harness.Client);
        Assert.Contains("IAutotaskClientFactory", ambiguous.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_single_connection_can_be_injected_directly()
    {
        using var harness = ClientHarness.Create(o => o.AddConnection("only", ClientHarness.Credentials));
        Assert.Equal("only", harness.Client.ConnectionName);
    }
}
