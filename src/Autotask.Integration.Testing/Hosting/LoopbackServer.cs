using System.Net;
using Autotask.Integration.Testing.Engine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Autotask.Integration.Testing.Hosting;

/// <summary>Serves the engine over HTTP on 127.0.0.1 only, on a free port, for samples and clients in other languages.</summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _users;

    private LoopbackServer(WebApplication app, Uri address, int users)
    {
        _app = app;
        Address = address;
        _users = users;
    }

    public Uri Address { get; }

    /// <summary>Serves the databases on one port; each simulator using it releases it once, and the last release stops it.</summary>
    public static async Task<LoopbackServer> StartAsync(IReadOnlyList<SimulatorEngine> engines, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(context => ServeAsync(engines, context));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LoopbackServer(app, new Uri(address.Replace("localhost", "127.0.0.1", StringComparison.Ordinal)), engines.Count);
    }

    private static async Task ServeAsync(IReadOnlyList<SimulatorEngine> engines, HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var uri = new Uri($"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}{context.Request.Path}{context.Request.QueryString}");
        var engine = SimulatorHandler.Route(engines, headers, uri);
        var answer = await engine.HandleAsync(new EngineRequest(context.Request.Method, uri, headers, buffer.ToArray()), context.RequestAborted).ConfigureAwait(false);
        if (answer.Fault is TransportFault.RefuseBeforeRequest or TransportFault.DropBeforeAnswer)
        {
            context.Abort();
            return;
        }

        context.Response.StatusCode = answer.Status;
        foreach (var (name, value) in answer.Headers)
        {
            context.Response.Headers[name] = value;
        }

        context.Response.ContentLength = answer.Body.Length;
        if (answer.Fault == TransportFault.DropMidAnswer)
        {
            await context.Response.Body.WriteAsync(answer.Body.AsMemory(0, answer.Body.Length / 2), context.RequestAborted).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            context.Abort();
            return;
        }

        await context.Response.Body.WriteAsync(answer.Body, context.RequestAborted).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Decrement(ref _users) != 0)
        {
            return;
        }

        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
