using System.Net;
using System.Text.RegularExpressions;
using Autotask.Integration.Portal;
using Autotask.Integration.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Autotask.Integration.Tests.Portal;

/// <summary>
/// The reference portal, running as it does from <c>dotnet run</c> (the same <see cref="PortalApp.BuildAsync"/>), on a
/// free port of 127.0.0.1 with its own SQLite file, and every log record of every category kept for inspection.
/// </summary>
internal sealed partial class PortalHost : IAsyncDisposable
{
    private readonly string _directory;

    private PortalHost(WebApplication app, Uri address, string directory)
    {
        App = app;
        Address = address;
        _directory = directory;
    }

    public WebApplication App { get; }

    public Uri Address { get; }

    /// <summary>Every log record the portal wrote, at every level.</summary>
    public FakeLogCollector Logs => App.Services.GetFakeLogCollector();

    /// <summary>The partners' simulated Autotask databases.</summary>
    public IReadOnlyDictionary<string, AutotaskSimulator> Databases => App.Services.GetRequiredService<SimulatedMsps>().Databases;

    /// <summary>What a partner types in as its API user's secret: its simulated database's.</summary>
    public string SecretOf(string partner) => Databases[partner].Options.Secret;

    /// <summary>What a partner types in as its API user's name: its simulated database's.</summary>
    public string UserOf(string partner) => Databases[partner].Options.UserName;

    public static async Task<PortalHost> StartAsync(CancellationToken cancellationToken, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "autotask-portal-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        var app = await PortalApp.BuildAsync(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["Portal:StorePath"] = Path.Combine(directory, "portal.db") });
            builder.Logging.ClearProviders();
            builder.Logging.AddFakeLogging();
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
            builder.Logging.AddFilter("Microsoft", LogLevel.Trace);
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Trace);
        }, cancellationToken);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new PortalHost(app, new Uri(address), directory);
    }

    /// <summary>A client of its own (cookies kept, redirects not followed), as one browser.</summary>
    public HttpClient NewClient() => new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseCookies = true })
    {
        BaseAddress = Address,
    };

    /// <summary>Signs the client in as a partner.</summary>
    public static async Task SignInAsync(HttpClient client, string partner, CancellationToken cancellationToken)
    {
        using var signedIn = await PostFormAsync(client, "/signin", "/signin", new() { ["partner"] = partner, ["password"] = partner + "-portal" }, cancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal($"/{partner}/integration", signedIn.Headers.Location?.OriginalString);
    }

    /// <summary>A new client (one browser) signed in as the partner.</summary>
    public async Task<HttpClient> SignedInAsync(string partner, CancellationToken cancellationToken)
    {
        var client = NewClient();
        await SignInAsync(client, partner, cancellationToken);
        return client;
    }

    /// <summary>A new client signed in as the partner, which has linked its simulated Autotask on the PSA integration page.</summary>
    public async Task<HttpClient> LinkedAsync(string partner, CancellationToken cancellationToken)
    {
        var client = await SignedInAsync(partner, cancellationToken);
        await LinkAsync(client, partner, SecretOf(partner), cancellationToken);
        return client;
    }

    /// <summary>Opens a page for its anti-forgery token, then posts a form to it (or to <paramref name="action"/>), as a browser would.</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(HttpClient client, string page, string action, Dictionary<string, string> fields, CancellationToken cancellationToken)
    {
        var html = await client.GetStringAsync(page, cancellationToken);
        fields["__RequestVerificationToken"] = TokenPattern().Match(html) is { Success: true } match ? WebUtility.HtmlDecode(match.Groups[1].Value) : throw new InvalidOperationException($"{page} has no anti-forgery token.");
        return await client.PostAsync(action, new FormUrlEncodedContent(fields), cancellationToken);
    }

    /// <summary>Links a partner's Autotask through the PSA integration page (Test and Save).</summary>
    public async Task LinkAsync(HttpClient client, string partner, string secret, CancellationToken cancellationToken)
    {
        using var saved = await PostFormAsync(client, $"/{partner}/integration", $"/{partner}/integration?handler=Save", new()
        {
            ["UserName"] = UserOf(partner),
            ["Secret"] = secret,
            ["IntegrationCode"] = SimulatedMsps.IntegrationCode,
        }, cancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open is left to the temp folder's cleaning.
        }
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
