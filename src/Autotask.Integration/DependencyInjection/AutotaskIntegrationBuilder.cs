using Autotask.Integration.Connections;
using Autotask.Integration.Auditing;
using Autotask.Integration.Mapping;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Autotask.Integration;

/// <summary>Returned by <c>AddAutotaskIntegration</c>: configures the SDK further.</summary>
public sealed class AutotaskIntegrationBuilder
{
    internal AutotaskIntegrationBuilder(IServiceCollection services, IHttpClientBuilder apiClient, IHttpClientBuilder zoneDiscoveryClient)
    {
        Services = services;
        ApiHttpClient = apiClient;
        ZoneDiscoveryHttpClient = zoneDiscoveryClient;
    }

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// The HTTP client that carries API requests of every connection; add handlers or replace the primary handler here.
    /// Whatever is added, the SDK's credentials handler stays the last before the network (added handlers never see
    /// the credential headers) and the primary handler never follows redirects.
    /// </summary>
    public IHttpClientBuilder ApiHttpClient { get; }

    /// <summary>The HTTP client of zone discovery, which carries no credentials.</summary>
    public IHttpClientBuilder ZoneDiscoveryHttpClient { get; }

    /// <summary>Sets the primary message handler of both HTTP clients, for example an in-process Autotask simulator.</summary>
    /// <param name="createHandler">Creates the handler.</param>
    /// <returns>This builder.</returns>
    public AutotaskIntegrationBuilder ConfigurePrimaryHttpMessageHandler(Func<IServiceProvider, HttpMessageHandler> createHandler)
    {
        ArgumentNullException.ThrowIfNull(createHandler);
        // Redirects are switched off when the chain is built, whichever way the handler was set.
        ApiHttpClient.ConfigurePrimaryHttpMessageHandler(createHandler);
        ZoneDiscoveryHttpClient.ConfigurePrimaryHttpMessageHandler(createHandler);
        return this;
    }

    /// <summary>A redirect would carry the credential headers past the zone check, so no primary handler may follow one.</summary>
    internal static HttpMessageHandler WithoutRedirects(HttpMessageHandler handler)
    {
        switch (handler)
        {
            case SocketsHttpHandler sockets:
                sockets.AllowAutoRedirect = false;
                break;
            case HttpClientHandler client:
                client.AllowAutoRedirect = false;
                break;
        }

        return handler;
    }

    /// <summary>Keeps mappings and sync state in the given store instead of the in-memory default.</summary>
    /// <typeparam name="TStore">The store type, registered as a singleton.</typeparam>
    /// <returns>This builder.</returns>
    public AutotaskIntegrationBuilder UseMappingStore<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicConstructors)] TStore>()
        where TStore : class, IMappingStore
    {
        Services.RemoveAll<IMappingStore>();
        Services.AddSingleton<IMappingStore, TStore>();
        return this;
    }

    /// <summary>Keeps mappings and sync state in the given store instance instead of the in-memory default.</summary>
    /// <param name="store">The store.</param>
    /// <returns>This builder.</returns>
    public AutotaskIntegrationBuilder UseMappingStore(IMappingStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        Services.RemoveAll<IMappingStore>();
        Services.AddSingleton(store);
        return this;
    }

    /// <summary>Sends audit events to the given sink only, instead of the logging default.</summary>
    /// <param name="sink">The sink.</param>
    /// <returns>This builder.</returns>
    public AutotaskIntegrationBuilder UseAuditSink(IAuditSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        Services.RemoveAll<IAuditSink>();
        Services.AddSingleton(sink);
        return this;
    }

    /// <summary>Sends audit events to the given sink as well as to those already registered.</summary>
    /// <param name="sink">The sink.</param>
    /// <returns>This builder.</returns>
    public AutotaskIntegrationBuilder AddAuditSink(IAuditSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        Services.AddSingleton(sink);
        return this;
    }

    /// <summary>Saves connections linked at run time in the given store instead of the in-memory default.</summary>
    /// <param name="createStore">Creates the store (once) from the application's services.</param>
    /// <returns>This builder.</returns>
    public AutotaskIntegrationBuilder UseConnectionStore(Func<IServiceProvider, IAutotaskConnectionStore> createStore)
    {
        ArgumentNullException.ThrowIfNull(createStore);
        Services.RemoveAll<IAutotaskConnectionStore>();
        Services.AddSingleton(createStore);
        return this;
    }

    /// <summary>Saves connections linked at run time in the given store instead of the in-memory default.</summary>
    /// <param name="store">The store.</param>
    /// <returns>This builder.</returns>
    public AutotaskIntegrationBuilder UseConnectionStore(IAutotaskConnectionStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return UseConnectionStore(_ => store);
    }

    /// <summary>
    /// Looks connections up in a source of your own as well (a vault, your own tenant table), after the options and the
    /// connection store. The SDK never writes to it.
    /// </summary>
    /// <param name="source">The source.</param>
    /// <returns>This builder.</returns>
    public AutotaskIntegrationBuilder AddConnectionSource(IAutotaskConnectionSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Services.AddSingleton(source);
        return this;
    }
}
