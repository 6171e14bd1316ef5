using Autotask.Integration.Auditing;
using Autotask.Integration.Connections;
using Autotask.Integration.Diagnostics;
using Autotask.Integration.Http;
using Autotask.Integration.Inbound;
using Autotask.Integration.Jobs;
using Autotask.Integration.Mapping;
using Autotask.Integration.Sync;
using Autotask.Integration.Zones;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace Autotask.Integration;

/// <summary>Registers the Autotask.Integration SDK.</summary>
public static class AutotaskServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Autotask client for the connections that <paramref name="configure"/> adds (none is fine: connections
    /// may be linked at run time through <see cref="IAutotaskConnectionManager"/>): <see cref="IAutotaskClientFactory"/>
    /// for any connection and, when exactly one is configured, <see cref="IAutotaskClient"/> for it. Options are
    /// validated at start-up.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Adds connections and sets options.</param>
    /// <returns>A builder for further configuration.</returns>
    /// <example>
    /// <code>
    /// services.AddAutotaskIntegration(o =&gt; o.AddConnection("contoso", c =&gt;
    /// {
    ///     c.UserName = "abc123@example.com";
    ///     c.Secret = secretFromVault;
    ///     c.IntegrationCode = "ABCDEFGHIJKLMNOPQRSTUVWXYZA";
    /// }));
    /// </code>
    /// </example>
    public static AutotaskIntegrationBuilder AddAutotaskIntegration(this IServiceCollection services, Action<AutotaskIntegrationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<AutotaskIntegrationOptions>().Configure(configure);
        return AddCore(services);
    }

    /// <summary>
    /// Registers the Autotask client with options bound from a configuration section, such as <c>Autotask</c> holding
    /// <c>Connections:{name}:UserName</c>, <c>:Secret</c>, <c>:IntegrationCode</c> and <c>Zones:...</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section to bind.</param>
    /// <param name="configure">Optionally sets more options after binding.</param>
    /// <returns>A builder for further configuration.</returns>
    public static AutotaskIntegrationBuilder AddAutotaskIntegration(
        this IServiceCollection services, IConfiguration configuration, Action<AutotaskIntegrationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var options = services.AddOptions<AutotaskIntegrationOptions>().Bind(configuration);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return AddCore(services);
    }

    private static AutotaskIntegrationBuilder AddCore(IServiceCollection services)
    {
        services.AddOptions<AutotaskIntegrationOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AutotaskIntegrationOptions>, AutotaskIntegrationOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<AutotaskInstruments>();
        services.AddLogging();
        services.TryAddSingleton<ZoneResolver>();

        // Connections: the options' first, then the connection store (in memory unless a durable one is chosen), then
        // any source the application adds. Looked up by id at run time, so a host may start with none.
        services.TryAddSingleton<OptionsConnectionSource>();
        services.TryAddSingleton<IAutotaskConnectionStore, InMemoryConnectionStore>();
        if (!services.Any(d => d.ServiceType == typeof(ConnectionRegistry)))
        {
            services.AddSingleton<IAutotaskConnectionSource>(sp => sp.GetRequiredService<OptionsConnectionSource>());
            services.AddSingleton<IAutotaskConnectionSource>(sp => sp.GetRequiredService<IAutotaskConnectionStore>());
        }

        services.TryAddSingleton(sp => new Limits.RequestLimits(sp.GetRequiredService<IOptions<AutotaskIntegrationOptions>>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>(), sp.GetRequiredService<AutotaskInstruments>(), sp, sp.GetService<Limits.IAutotaskSharedLimits>()));
        services.TryAddSingleton<ConnectionRegistry>();
        services.TryAddSingleton(sp => new DatabaseBinding(sp.GetRequiredService<ConnectionRegistry>(), sp.GetRequiredService<IMappingStore>()));
        services.TryAddSingleton<AutotaskClientFactory>();
        services.TryAddSingleton<IAutotaskClientFactory>(sp => sp.GetRequiredService<AutotaskClientFactory>());
        services.TryAddSingleton<IAutotaskClient>(sp => sp.GetRequiredService<AutotaskClientFactory>().GetSingleClient());
        services.TryAddTransient<CredentialsHandler>();

        // The mapping and sync engine, with an in-memory store and a logging audit sink unless others are chosen.
        services.TryAddSingleton<IMappingStore, InMemoryMappingStore>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuditSink, LoggerAuditSink>());
        services.TryAddSingleton<AuditTrail>();
        services.TryAddSingleton(sp => new AutotaskConnectionTester(sp.GetRequiredService<IAutotaskClientFactory>(), sp.GetRequiredService<AuditTrail>(), sp.GetRequiredService<TimeProvider>(), sp.GetServices<IConnectionCheck>()));
        services.TryAddSingleton<IAutotaskConnectionTester>(sp => sp.GetRequiredService<AutotaskConnectionTester>());
        services.TryAddSingleton(sp => new AutotaskConnectionManager(sp.GetRequiredService<IAutotaskConnectionStore>(), sp.GetRequiredService<ConnectionRegistry>(),
            sp.GetRequiredService<AutotaskClientFactory>(), sp.GetRequiredService<AutotaskConnectionTester>(), sp.GetRequiredService<DatabaseBinding>(),
            sp.GetRequiredService<AuditTrail>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IAutotaskConnectionManager>(sp => sp.GetRequiredService<AutotaskConnectionManager>());
        services.TryAddSingleton(sp => new MappingEngine(sp.GetRequiredService<IAutotaskClientFactory>(), sp.GetRequiredService<IMappingStore>(),
            sp.GetRequiredService<AuditTrail>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<DatabaseBinding>()));
        services.TryAddSingleton<IMappingEngine>(sp => sp.GetRequiredService<MappingEngine>());
        services.TryAddSingleton(sp => new InboundSyncEngine(sp.GetRequiredService<IAutotaskClientFactory>(), sp.GetRequiredService<IMappingStore>(), sp.GetRequiredService<DatabaseBinding>()));
        services.TryAddSingleton<IInboundSyncEngine>(sp => sp.GetRequiredService<InboundSyncEngine>());
        services.TryAddSingleton(sp => new AutotaskWebhookReceiver(sp.GetRequiredService<IAutotaskClientFactory>(), sp.GetRequiredService<IMappingStore>(),
            sp.GetRequiredService<DatabaseBinding>()));
        services.TryAddSingleton<IAutotaskWebhookReceiver>(sp => sp.GetRequiredService<AutotaskWebhookReceiver>());
        services.TryAddSingleton<IAutotaskWebhooks>(sp => new AutotaskWebhooks(sp.GetRequiredService<IAutotaskClientFactory>(), sp.GetRequiredService<DatabaseBinding>(),
            sp.GetRequiredService<IAutotaskConnectionStore>(), sp.GetRequiredService<ConnectionRegistry>(), sp.GetRequiredService<AuditTrail>()));
        services.TryAddSingleton(sp => new QuantitySyncEngine(sp.GetRequiredService<IAutotaskClientFactory>(), sp.GetRequiredService<IMappingStore>(),
            sp.GetRequiredService<AuditTrail>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<DatabaseBinding>()));
        services.TryAddSingleton<IQuantitySyncEngine>(sp => sp.GetRequiredService<QuantitySyncEngine>());
        services.TryAddSingleton<IUsageBillingEngine>(sp => new UsageBillingEngine(sp.GetRequiredService<QuantitySyncEngine>(), sp.GetRequiredService<IAutotaskClientFactory>(),
            sp.GetRequiredService<IMappingStore>(), sp.GetRequiredService<DatabaseBinding>()));
        services.TryAddSingleton<IJobInstances, ProcessJobInstances>();
        services.TryAddSingleton<IAutotaskJobs>(sp => new AutotaskJobs(sp, sp.GetRequiredService<IAutotaskClientFactory>(), sp.GetRequiredService<IMappingStore>(),
            sp.GetRequiredService<DatabaseBinding>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IUsageBillingEngine>(),
            sp.GetRequiredService<QuantitySyncEngine>(), sp.GetRequiredService<IInboundSyncEngine>(), sp.GetRequiredService<AutotaskInstruments>()));

        // The factory's own request loggers keep the raw header values in their log state, where a structured log
        // sink could write the secret out; the client logs each request itself, without headers.
        var clients = services.AddHttpClient(AutotaskClientFactory.HttpClientName, ConfigureHttpClient)
            .ConfigurePrimaryHttpMessageHandler(CreatePrimaryHandler)
            .RemoveAllLoggers();
        clients.AddResilienceHandler(AutotaskResilience.PipelineName, AutotaskResilience.ConfigureConnection);
        clients.AddHttpMessageHandler<CredentialsHandler>();

        var zones = services.AddHttpClient(ZoneResolver.HttpClientName, ConfigureHttpClient)
            .ConfigurePrimaryHttpMessageHandler(CreatePrimaryHandler)
            .RemoveAllLoggers();
        zones.AddResilienceHandler(AutotaskResilience.PipelineName + ".ZoneDiscovery", AutotaskResilience.ConfigureZoneDiscovery);

        // Enforced when the handler chain is built, after every handler an application added through the public
        // builders (post-configuration runs after all configuration): the credentials handler is the last one before
        // the network, so no other handler sees the headers or changes the URL after the zone check, and no primary
        // handler follows redirects.
        services.PostConfigure<HttpClientFactoryOptions>(AutotaskClientFactory.HttpClientName, o => o.HttpMessageHandlerBuilderActions.Add(builder =>
        {
            var credentials = builder.AdditionalHandlers.OfType<CredentialsHandler>().ToList();
            foreach (var handler in credentials)
            {
                builder.AdditionalHandlers.Remove(handler);
            }

            builder.AdditionalHandlers.Add(credentials.FirstOrDefault() ?? builder.Services.GetRequiredService<CredentialsHandler>());
            builder.PrimaryHandler = AutotaskIntegrationBuilder.WithoutRedirects(builder.PrimaryHandler);
        }));
        services.PostConfigure<HttpClientFactoryOptions>(ZoneResolver.HttpClientName, o => o.HttpMessageHandlerBuilderActions.Add(builder =>
            builder.PrimaryHandler = AutotaskIntegrationBuilder.WithoutRedirects(builder.PrimaryHandler)));

        return new AutotaskIntegrationBuilder(services, clients, zones);
    }

    private static void ConfigureHttpClient(HttpClient client)
    {
        // Timeouts belong to the resilience pipeline, per attempt.
        client.Timeout = Timeout.InfiniteTimeSpan;
        client.DefaultRequestHeaders.UserAgent.ParseAdd("Autotask.Integration/" + typeof(AutotaskIntegrationBuilder).Assembly.GetName().Version?.ToString(3));
    }

    private static SocketsHttpHandler CreatePrimaryHandler() => new()
    {
        // Redirects are never followed: a redirect would carry the credential headers to another host.
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AutomaticDecompression = System.Net.DecompressionMethods.All,
    };
}
