using Microsoft.Extensions.DependencyInjection;

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

    /// <summary>The HTTP client that carries API requests of every connection; add handlers or replace the primary handler here.</summary>
    public IHttpClientBuilder ApiHttpClient { get; }

    /// <summary>The HTTP client of zone discovery, which carries no credentials.</summary>
    public IHttpClientBuilder ZoneDiscoveryHttpClient { get; }

    /// <summary>Sets the primary message handler of both HTTP clients, for example an in-process Autotask simulator.</summary>
    /// <param name="createHandler">Creates the handler.</param>
    /// <returns>This builder.</returns>
    public AutotaskIntegrationBuilder ConfigurePrimaryHttpMessageHandler(Func<IServiceProvider, HttpMessageHandler> createHandler)
    {
        ArgumentNullException.ThrowIfNull(createHandler);
        ApiHttpClient.ConfigurePrimaryHttpMessageHandler(createHandler);
        ZoneDiscoveryHttpClient.ConfigurePrimaryHttpMessageHandler(createHandler);
        return this;
    }
}
