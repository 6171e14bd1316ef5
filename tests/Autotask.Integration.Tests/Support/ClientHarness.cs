using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using WireMock.Server;

namespace Autotask.Integration.Tests.Support;

/// <summary>Builds the SDK the way an application does, pointed at a local test server, with logs captured.</summary>
internal sealed class ClientHarness : IDisposable
{
    public const string UserName = "api-user@example.com";
    public const string Secret = "s3cr3t-Value-Never-Shown";
    public const string IntegrationCode = "INTEGRATIONCODE123456789ABC";

    private ClientHarness(ServiceProvider services)
    {
        Services = services;
        Logs = services.GetFakeLogCollector();
    }

    public ServiceProvider Services { get; }

    public FakeLogCollector Logs { get; }

    public IAutotaskClient Client => Services.GetRequiredService<IAutotaskClient>();

    public IAutotaskClientFactory Factory => Services.GetRequiredService<IAutotaskClientFactory>();

    /// <summary>A client with its zone fixed to the server (no discovery), fast retries.</summary>
    public static ClientHarness For(WireMockServer server, Action<AutotaskConnectionOptions>? connection = null, Action<AutotaskIntegrationBuilder>? builder = null) =>
        Create(o =>
        {
            AllowLoopback(o);
            o.AddConnection("test", c =>
            {
                Credentials(c);
                c.ZoneUrl = server.BaseUrl() + "/atservicesrest/";
                connection?.Invoke(c);
            });
        }, builder);

    public static ClientHarness Create(Action<AutotaskIntegrationOptions> configure, Action<AutotaskIntegrationBuilder>? builder = null)
    {
        var services = new ServiceCollection();
        services.AddFakeLogging(o => o.OutputSink = null);
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace));
        var integration = services.AddAutotaskIntegration(configure);
        builder?.Invoke(integration);
        return new ClientHarness(services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));
    }

    public static void AllowLoopback(AutotaskIntegrationOptions options)
    {
        options.Zones.AllowInsecureHttp = true;
        options.Zones.AllowedHostSuffixes.Add("127.0.0.1");
    }

    public static void Credentials(AutotaskConnectionOptions c)
    {
        c.UserName = UserName;
        c.Secret = Secret;
        c.IntegrationCode = IntegrationCode;
        c.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
    }

    public string AllLogText() => string.Join("\n", Logs.GetSnapshot().Select(r => r.Message + " " + string.Join(",", r.StructuredState?.Select(kv => kv.Value) ?? [])));

    public void Dispose() => Services.Dispose();
}
