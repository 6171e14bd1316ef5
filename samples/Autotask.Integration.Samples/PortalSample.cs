using System.Globalization;
using Autotask.Integration.Auditing;
using Autotask.Integration.Connections;
using Autotask.Integration.Entities;
using Autotask.Integration.Mapping;
using Autotask.Integration.Querying;
using Autotask.Integration.Sync;
using Autotask.Integration.Testing;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace Autotask.Integration.Samples;

/// <summary>
/// A vendor portal's "PSA Integration" page, played on the embedded simulator: three partners, each with its own
/// Autotask database, link at run time ("Test and Save"; one typed a wrong secret, one's API user lacks a permission),
/// get synced, one rotates its secret, one unlinks. The host starts with no connection; connections, mappings and the
/// audit trail are kept in the SQLite file, secrets encrypted with Data Protection keys kept next to it.
/// </summary>
internal static class PortalSample
{
    /// <summary>The partners: their connection id and the number of their (simulated) Autotask database.</summary>
    public static readonly IReadOnlyList<(string Id, int Database)> Partners = [("northwind", 1), ("contoso", 2), ("fabrikam", 3)];

    /// <summary>One simulated Autotask database per partner, each with its own API user.</summary>
    public static AutotaskSimulator[] CreateDatabases() => Partners.Select(p => PartnerDatabase(p.Id, 1000 + p.Database, "VENDORPORTALINTEGRATION0001")).ToArray();

    /// <summary>A partner's simulated Autotask database, with an API user of its own (<c>api-user@{id}.example</c>, secret <c>{id}-secret-from-autotask</c>).</summary>
    public static AutotaskSimulator PartnerDatabase(string id, long databaseId, string integrationCode, Action<SimulatorData>? fixtures = null) =>
        AutotaskSimulator.Create(new AutotaskSimulatorOptions
        {
            Seed = 42,
            DatabaseId = databaseId,
            UserName = $"api-user@{id}.example",
            Secret = $"{id}-secret-from-autotask",
            IntegrationCode = integrationCode,
            Fixtures = fixtures,
        });

    /// <summary>The portal's host: no connection configured, every partner's Autotask reached through the simulators.</summary>
    public static AutotaskIntegrationBuilder AddPortal(IServiceCollection services, AutotaskSimulator[] databases, string storePath, InMemoryAuditSink runAudit)
    {
        services.AddDataProtection()
            .SetApplicationName("Autotask.Integration.Samples")
            .PersistKeysToFileSystem(new DirectoryInfo(storePath + ".keys"));
        return services.AddAutotaskIntegration(databases[0].ConfigureZones)
            .UseSimulators(databases)
            .UseSqliteStore(storePath)
            .AddAuditSink(runAudit)
            .AddAlertTickets(_ => { }); // no mapping at start-up: each partner saves its own from the portal
    }

    public static async Task<int> RunAsync(IServiceProvider services, AutotaskSimulator[] databases, TextWriter output, CancellationToken cancellationToken)
    {
        var portal = services.GetRequiredService<IAutotaskConnectionManager>();
        var clients = services.GetRequiredService<IAutotaskClientFactory>();
        var sync = services.GetRequiredService<IQuantitySyncEngine>();
        var store = services.GetRequiredService<IMappingStore>();
        AutotaskConnectionOptions Entered(int database, string? secret = null) => databases[database - 1].CreateConnectionSettings(c =>
        {
            c.Secret = secret ?? c.Secret;
            c.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
        });

        try
        {
            await output.HeadingAsync("PSA Integration: partners linked before");
            var earlier = await clients.ListConnectionsAsync(cancellationToken);
            await output.WriteLineAsync(earlier.Count == 0 ? "  None: the host started with no connection." : "  " + string.Join(", ", earlier) + " (unlinked now, to play the page from the start).");
            foreach (var id in earlier)
            {
                await portal.RemoveAsync(id, cancellationToken);
            }

            await output.HeadingAsync("northwind: Test and Save with a mistyped secret, then the right one");
            await LinkAsync(portal, "northwind", Entered(1, "northwind-secret-from-autotasc"), output, cancellationToken);
            await LinkAsync(portal, "northwind", Entered(1), output, cancellationToken);

            await output.HeadingAsync("contoso: Test and Save with an API user that may not change units");
            databases[1].DenyAccess("ContractServiceAdjustments", SimulatorAccess.Create);
            await LinkAsync(portal, "contoso", Entered(2), output, cancellationToken);

            await output.HeadingAsync("fabrikam: Test and Save");
            await LinkAsync(portal, "fabrikam", Entered(3), output, cancellationToken);

            await output.TableAsync(["Partner", "Bound to"], await Task.WhenAll((await clients.ListConnectionsAsync(cancellationToken)).Select(async id => new[]
            {
                id, (await portal.GetDatabaseAsync(id, cancellationToken))?.ToString(),
            })));

            foreach (var partner in new[] { "northwind", "fabrikam" })
            {
                await output.HeadingAsync($"{partner}: map and sync");
                await ResellerSample.RunAsync(services, partner, output, allowWrites: true, cancellationToken);
            }

            await output.HeadingAsync("fabrikam: alert mapping, then Send a test ticket");
            var alerts = services.GetRequiredService<Alerts.IAlertTicketEngine>();
            var mapping = new Alerts.AlertMapping();
            AlertsSample.Configure(mapping);
            mapping.Severities[Alerts.AlertSeverity.Error].Queue = "Monitoring Alerts";
            try
            {
                await alerts.SaveMappingAsync("fabrikam", mapping, cancellationToken);
            }
            catch (Alerts.AlertMappingException ex)
            {
                await output.WriteLineAsync("  A label the partner's Autotask does not have is refused: " + ex.Message);
            }

            AlertsSample.Configure(mapping);
            await alerts.SaveMappingAsync("fabrikam", mapping, cancellationToken);
            var test = await alerts.SendTestTicketAsync("fabrikam", ResellerSample.VendorCustomer, cancellationToken);
            await output.WriteLineAsync($"  Saved the alert mapping; the test ticket is {test.TicketNumber}.");

            await output.HeadingAsync("fabrikam: the MSP rotates its API user's secret in Autotask");
            databases[2].Options.Secret = "fabrikam-rotated-secret";
            var customers = new AutotaskQuery<Company>().Where(Filter<Company>.Eq(c => c.CompanyType, CompanyType.Customer));
            try
            {
                await clients.GetClient("fabrikam").CountAsync(customers, cancellationToken);
            }
            catch (AutotaskAuthenticationException ex)
            {
                await output.WriteLineAsync("  The stored secret stops working: " + ex.Message);
            }

            try
            {
                await portal.UpdateAsync("fabrikam", c => c.Secret = "fabrikam-rotated-secrett", cancellationToken: cancellationToken);
            }
            catch (AutotaskConnectionTestFailedException ex)
            {
                await output.WriteLineAsync("  The partner mistypes the new secret; it is refused and the old one kept: " + ex.Result.Problems[0]);
            }

            await portal.UpdateAsync("fabrikam", c => c.Secret = "fabrikam-rotated-secret", cancellationToken: cancellationToken);
            var count = await clients.GetClient("fabrikam").CountAsync(customers, cancellationToken);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  Rotated: the next request works again ({count} customer companies)."));
            var again = await sync.SyncAsync("fabrikam", [new SubscriptionQuantity(ResellerSample.VendorSubscription, 25, SystemClock.Instance.GetCurrentInstant())], cancellationToken: cancellationToken);
            await output.WriteLineAsync($"  Synced with the new secret: {again.Items[0].Status}.");

            await output.HeadingAsync("northwind: unlinks");
            await portal.RemoveAsync("northwind", cancellationToken);
            try
            {
                await sync.SyncAsync("northwind", [new SubscriptionQuantity(ResellerSample.VendorSubscription, 30, SystemClock.Instance.GetCurrentInstant())], cancellationToken: cancellationToken);
            }
            catch (AutotaskConnectionNotFoundException ex)
            {
                await output.WriteLineAsync("  A sync after unlinking is refused: " + ex.Message);
            }

            var kept = await store.ListSubscriptionsAsync("northwind", cancellationToken: cancellationToken);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  Its {kept.Count} subscription mapping(s) stay in the store, bound to its database, for when it links again."));
            await output.WriteLineAsync($"  Linked now: {string.Join(", ", await clients.ListConnectionsAsync(cancellationToken))}.");
            return 0;
        }
        catch (Exception ex) when (ex is AutotaskException or SampleStoppedException)
        {
            await output.WriteLineAsync();
            await output.WriteLineAsync("Failed: " + ex.Message);
            return 1;
        }
    }

    private static async Task LinkAsync(IAutotaskConnectionManager portal, string id, AutotaskConnectionOptions entered, TextWriter output, CancellationToken cancellationToken)
    {
        try
        {
            var result = await portal.LinkAsync(id, entered, ConnectionRequirements.SubscriptionSync, cancellationToken);
            await output.WriteLineAsync($"  Linked '{id}': every permission granted ({result.Checks.Count} checked), zone {result.Zone?.ZoneName}.");
        }
        catch (AutotaskConnectionTestFailedException ex)
        {
            await output.WriteLineAsync($"  Not saved. The page shows:");
            foreach (var problem in ex.Result.Problems)
            {
                await output.WriteLineAsync("  ! " + problem);
            }
        }
    }
}
