using Autotask.Integration.Alerts;
using Autotask.Integration.Auditing;
using Autotask.Integration.Connections;
using Autotask.Integration.Mapping;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Autotask.Integration;

/// <summary>Registers alert tickets.</summary>
public static class AlertTicketBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="AlertTicketEngine"/> with the alert mapping of each connection. In a host, every label is
    /// resolved at start-up and a label that does not exist stops the host with a message that lists those that do;
    /// <see cref="AutotaskConnectionTester"/> reports the same problems.
    /// </summary>
    /// <param name="builder">The builder from <c>AddAutotaskIntegration</c>.</param>
    /// <param name="configure">Sets the mappings, for example <c>o =&gt; o.For("contoso", m =&gt; ...)</c>.</param>
    /// <returns>The builder.</returns>
    public static AutotaskIntegrationBuilder AddAlertTickets(this AutotaskIntegrationBuilder builder, Action<AlertTicketOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.Configure(configure);
        services.TryAddSingleton(sp => new AlertTicketEngine(sp.GetRequiredService<IAutotaskClientFactory>(), sp.GetRequiredService<IMappingStore>(),
            sp.GetRequiredService<AuditTrail>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Connections.DatabaseBinding>(), sp.GetRequiredService<IOptions<AlertTicketOptions>>()));
        services.TryAddSingleton<IAlertTicketEngine>(sp => sp.GetRequiredService<AlertTicketEngine>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConnectionCheck, AlertMappingCheck>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, AlertMappingStartupValidation>());
        return builder;
    }
}

/// <summary>A check the connection tester runs besides the permission probes.</summary>
internal interface IConnectionCheck
{
    Task<IReadOnlyList<string>> CheckAsync(string connection, CancellationToken cancellationToken);
}

internal sealed class AlertMappingCheck(AlertTicketEngine engine, IOptions<AlertTicketOptions> options) : IConnectionCheck
{
    public Task<IReadOnlyList<string>> CheckAsync(string connection, CancellationToken cancellationToken) =>
        options.Value.Connections.ContainsKey(connection)
            ? engine.FindProblemsAsync(connection, cancellationToken)
            : Task.FromResult<IReadOnlyList<string>>([]);
}

/// <summary>Resolves every alert mapping's labels when the host starts, so that a wrong label stops it there.</summary>
internal sealed class AlertMappingStartupValidation(AlertTicketEngine engine, IOptions<AlertTicketOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var connection in options.Value.Connections.Keys)
        {
            problems.AddRange(await engine.FindProblemsAsync(connection, cancellationToken).ConfigureAwait(false));
        }

        if (problems.Count > 0)
        {
            throw new AlertMappingException(string.Join(" ", problems));
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
