using Autotask.Integration.Connections;
using Autotask.Integration.Entities;

namespace Autotask.Integration.Tests.Connections;

/// <summary>The permissions a connection is tested for: a list with a hole in it is refused before anything is sent, saved or audited.</summary>
public sealed class ConnectionRequirementTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly PermissionRequirement[] WithANull = [PermissionRequirement.Read<Company>("find the customer companies to map"), null!];

    [Fact]
    public async Task A_null_requirement_is_refused_naming_the_parameter_before_anything_is_sent_or_saved()
    {
        await using var host = TenantHost.Create();
        var database = host.Databases[0];

        var link = await Assert.ThrowsAsync<ArgumentException>(() => host.Connections.LinkAsync("partner-a", host.PartnerSettings(1), WithANull, Ct));
        var test = await Assert.ThrowsAsync<ArgumentException>(() => host.Connections.TestAsync("partner-a", host.PartnerSettings(1), WithANull, Ct));

        Assert.Equal("requirements", link.ParamName);
        Assert.Equal("requirements", test.ParamName);
        Assert.Empty(database.Requests);
        Assert.Null(await host.ConnectionStore.FindAsync("partner-a", Ct));
        Assert.Empty(await host.Clients.ListConnectionsAsync(Ct));
        Assert.Empty(host.Audit.Events);

        // A linked connection's changed settings are refused alike: the old ones stay.
        await host.Connections.LinkAsync("partner-a", host.PartnerSettings(1), cancellationToken: Ct);
        var requests = database.Requests.Count;
        var events = host.Audit.Events.Count;
        var secret = (await host.ConnectionStore.FindAsync("partner-a", Ct))!.Secret;

        var update = await Assert.ThrowsAsync<ArgumentException>(() => host.Connections.UpdateAsync("partner-a", c => c.Secret = "rotated-secret", WithANull, Ct));

        Assert.Equal("requirements", update.ParamName);
        Assert.Equal(requests, database.Requests.Count);
        Assert.Equal(events, host.Audit.Events.Count);
        Assert.Equal(secret, (await host.ConnectionStore.FindAsync("partner-a", Ct))!.Secret);
    }
}
