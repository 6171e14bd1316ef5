using Autotask.Integration.Auditing;
using Autotask.Integration.Connections;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;

namespace Autotask.Integration.Tests.Sync;

public sealed class ConnectionTesterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_working_connection_passes_and_is_audited()
    {
        await using var sync = SyncHarness.Create();

        var result = await sync.Tester.TestAsync(SyncHarness.Connection, cancellationToken: Ct);

        Assert.True(result.Succeeded);
        Assert.Equal("Simulator Zone 1", result.Zone!.ZoneName);
        Assert.Equal(ConnectionRequirements.SubscriptionSync.Count, result.Checks.Count);
        Assert.All(result.Checks, c => Assert.True(c.Granted));
        var audit = Assert.Single(sync.Audit.Events);
        Assert.Equal(AuditOperations.CreateConnectorConnection, audit.Operation);
        Assert.Equal(AuditStatus.Succeeded, audit.Status);
    }

    [Theory]
    [InlineData("ContractServiceAdjustments", SimulatorAccess.Create, "create ContractServiceAdjustments")]
    [InlineData("Contracts", SimulatorAccess.Read, "read Contracts")]
    [InlineData("ContractServices", SimulatorAccess.Create, "create ContractServices")]
    public async Task A_missing_permission_is_named_in_an_administrators_words(string entity, SimulatorAccess access, string expected)
    {
        await using var sync = SyncHarness.Create();
        sync.Simulator.DenyAccess(entity, access);

        var result = await sync.Tester.TestAsync(SyncHarness.Connection, cancellationToken: Ct);

        Assert.False(result.Succeeded);
        var problem = Assert.Single(result.Problems);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
        Assert.Contains("Security Levels", problem, StringComparison.Ordinal);
        Assert.Single(result.Checks, c => !c.Granted);
        Assert.Equal(AuditStatus.Failed, Assert.Single(sync.Audit.Events).Status);
    }

    [Fact]
    public async Task Bad_credentials_are_reported_without_the_secret()
    {
        await using var sync = SyncHarness.Create(connection: c => c.Secret = "not-the-secret");

        var result = await sync.Tester.TestAsync(SyncHarness.Connection, cancellationToken: Ct);

        Assert.False(result.Succeeded);
        Assert.Contains("refused the API user's credentials", Assert.Single(result.Problems), StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-secret", result.Problems[0], StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-secret", sync.Audit.Events[0].Details!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_shape_has_its_own_requirements()
    {
        await using var sync = SyncHarness.Create();
        sync.Simulator.DenyAccess("TicketNotes", SimulatorAccess.Create);

        var alerts = await sync.Tester.TestAsync(SyncHarness.Connection, ConnectionRequirements.AlertTickets, Ct);
        var inbound = await sync.Tester.TestAsync(SyncHarness.Connection, ConnectionRequirements.InboundSync, Ct);

        Assert.Contains("create TicketNotes", Assert.Single(alerts.Problems), StringComparison.Ordinal);
        Assert.True(inbound.Succeeded);
    }
}
