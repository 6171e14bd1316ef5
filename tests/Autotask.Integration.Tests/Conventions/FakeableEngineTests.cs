using System.Reflection;
using Autotask.Integration.Alerts;
using Autotask.Integration.Connections;
using Autotask.Integration.Inbound;
using Autotask.Integration.Mapping;
using Autotask.Integration.Sync;
using NodaTime;

namespace Autotask.Integration.Tests.Conventions;

/// <summary>A vendor unit-tests its own code against fakes of the engines, built from public types only.</summary>
public sealed class FakeableEngineTests
{
    private static readonly Type[] Engines =
    [
        typeof(IMappingEngine), typeof(IQuantitySyncEngine), typeof(IAlertTicketEngine),
        typeof(IInboundSyncEngine), typeof(IAutotaskWebhookReceiver), typeof(IAutotaskConnectionTester),
    ];

    /// <summary>What a vendor might write: push its licence counts and raise a ticket when one is refused.</summary>
    private sealed class LicencePusher(IQuantitySyncEngine sync, IAlertTicketEngine alerts)
    {
        public async Task<int> PushAsync(string connection, IReadOnlyList<SubscriptionQuantity> quantities, CancellationToken cancellationToken)
        {
            var report = await sync.SyncAsync(connection, quantities, cancellationToken: cancellationToken);
            foreach (var refused in report.Items.Where(i => i.Status == QuantitySyncStatus.Failed))
            {
                await alerts.PublishAlertAsync(connection, new Alert
                {
                    VendorCustomerId = "c-1",
                    AlertKey = refused.VendorSubscriptionId ?? "(unknown)",
                    Title = "Licence count refused",
                    Severity = AlertSeverity.Warning,
                    OccurredAt = report.CompletedAt,
                }, cancellationToken);
            }

            return report.Count(QuantitySyncStatus.Applied);
        }
    }

    private sealed class FakeSync(QuantitySyncReport report) : IQuantitySyncEngine
    {
        public Task<QuantitySyncReport> SyncAsync(string connection, IEnumerable<SubscriptionQuantity> changes, QuantitySyncOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(report);

        public Task<QuantityPlan> PlanAsync(string connection, IEnumerable<SubscriptionQuantity> changes, QuantityPlanOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new QuantityPlan { PlanId = "p", Connection = connection, DatabaseCi = 1, CreatedAt = report.StartedAt, Items = [] });

        public Task<QuantitySyncReport> ApplyPlanAsync(string connection, QuantityPlan plan, QuantitySyncOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(report);
    }

    private sealed class FakeAlerts : IAlertTicketEngine
    {
        public List<Alert> Published { get; } = [];

        public Task ValidateAsync(string connection, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<AlertMapping?> GetMappingAsync(string connection, CancellationToken cancellationToken = default) => Task.FromResult<AlertMapping?>(new AlertMapping());

        public Task SaveMappingAsync(string connection, AlertMapping mapping, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<AlertResult> PublishAlertAsync(string connection, Alert alert, CancellationToken cancellationToken = default)
        {
            Published.Add(alert);
            return Task.FromResult(new AlertResult { Outcome = AlertOutcome.TicketCreated, TicketId = 1 });
        }

        public Task<AlertResult> PublishDailyDigestAsync(string connection, string vendorCustomerId, LocalDate day, IReadOnlyList<Alert> events, CancellationToken cancellationToken = default) =>
            Task.FromResult(new AlertResult { Outcome = AlertOutcome.TicketCreated });

        public Task<AlertResult> SendTestTicketAsync(string connection, string? vendorCustomerId = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new AlertResult { Outcome = AlertOutcome.TicketCreated });
    }

    [Fact]
    public async Task A_vendors_code_runs_against_fakes_of_the_engines_and_results_it_builds_itself()
    {
        var now = Instant.FromUtc(2026, 11, 30, 12, 0);
        var report = new QuantitySyncReport
        {
            Connection = "main",
            StartedAt = now,
            CompletedAt = now,
            Items =
            [
                new QuantitySyncItem { Index = 0, VendorSubscriptionId = "s-1", DesiredUnits = 5, Status = QuantitySyncStatus.Applied },
                new QuantitySyncItem { Index = 1, VendorSubscriptionId = "s-2", DesiredUnits = 3, Status = QuantitySyncStatus.Failed, Reason = "refused" },
            ],
        };
        var alerts = new FakeAlerts();

        var applied = await new LicencePusher(new FakeSync(report), alerts).PushAsync("main", [new SubscriptionQuantity("s-1", 5, now)], TestContext.Current.CancellationToken);

        Assert.Equal(1, applied);
        Assert.Equal("s-2", Assert.Single(alerts.Published).AlertKey);
    }

    [Fact]
    public void Every_engine_is_an_interface_whose_results_a_caller_can_construct()
    {
        foreach (var engine in Engines)
        {
            Assert.True(engine.IsInterface && engine.IsPublic, engine.Name);
            foreach (var method in engine.GetMethods())
            {
                var result = method.ReturnType.IsGenericType ? method.ReturnType.GetGenericArguments()[0] : null;
                if (result is null || !result.IsClass || result == typeof(string) || result.IsGenericType)
                {
                    continue;
                }

                Assert.True(result.GetConstructors().Any(c => c.IsPublic), $"{engine.Name}.{method.Name} returns {result.Name}, which has no public constructor");
                Assert.All(result.GetProperties().Where(p => p.SetMethod is not null), p => Assert.True(p.SetMethod!.IsPublic, $"{result.Name}.{p.Name}"));
            }
        }

        // The implementations are the SDK's own: a vendor gets them from DI, never constructs or derives from them.
        var implementations = typeof(AutotaskIntegrationOptions).Assembly.GetTypes()
            .Where(t => t.IsClass && Engines.Any(e => e.IsAssignableFrom(t))).ToList();
        Assert.Equal(Engines.Length, implementations.Count);
        Assert.All(implementations, t => Assert.False(t.IsPublic, t.Name));
    }
}
