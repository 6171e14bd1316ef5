using Autotask.Integration.Alerts;
using Autotask.Integration.Auditing;
using Autotask.Integration.Entities;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace Autotask.Integration.Tests.Connections;

/// <summary>A partner linked at run time gets its alert mapping from the portal, checked against its own Autotask's picklists.</summary>
public sealed class RunTimeAlertMappingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static AlertMapping Mapping(string priority = "High") => new()
    {
        Severities = { [AlertSeverity.Error] = new AlertTicketRule { Priority = priority, Queue = "Monitoring Alert", DaysUntilDue = 1 } },
        CatchAllCompanyId = null,
    };

    [Fact]
    public async Task A_mapping_saved_at_run_time_is_checked_against_the_partners_picklists_then_used()
    {
        await using var host = TenantHost.Create(build: b => b.AddAlertTickets(o => o.For("configured", m => m.Severities[AlertSeverity.Error] = new AlertTicketRule { Priority = "High", Queue = "Monitoring Alert" })));
        var alerts = host.Services.GetRequiredService<IAlertTicketEngine>();
        var database = host.Databases[0];
        await host.Connections.LinkAsync("partner-a", host.PartnerSettings(1), cancellationToken: Ct);
        var company = database.Data.All<Company>().First(c => c.IsActive == true && c.CompanyType == CompanyType.Customer);
        await host.Mapping.MapCustomerAsync("partner-a", "org-1", company.Id, Ct);
        var alert = new Alert { VendorCustomerId = "org-1", AlertKey = "job-1:failed", Severity = AlertSeverity.Error, Title = "Backup failed", OccurredAt = SystemClock.Instance.GetCurrentInstant() };

        Assert.Null(await alerts.GetMappingAsync("partner-a", Ct));
        var none = await Assert.ThrowsAsync<AlertMappingException>(() => alerts.PublishAlertAsync("partner-a", alert, Ct));
        Assert.Contains("has no alert mapping", none.Message, StringComparison.Ordinal);

        var wrong = await Assert.ThrowsAsync<AlertMappingException>(() => alerts.SaveMappingAsync("partner-a", Mapping("Urgent!!"), Ct));
        Assert.Contains("'Urgent!!'", wrong.Message, StringComparison.Ordinal);
        Assert.Contains("High", wrong.Message, StringComparison.Ordinal); // the labels that do exist
        Assert.Null(await alerts.GetMappingAsync("partner-a", Ct));

        await alerts.SaveMappingAsync("partner-a", Mapping(), Ct);
        var saved = await alerts.GetMappingAsync("partner-a", Ct);
        var result = await alerts.PublishAlertAsync("partner-a", alert, Ct);

        Assert.Equal("High", saved!.Severities[AlertSeverity.Error].Priority);
        Assert.Equal(["Complete"], saved.ClosedStatuses);
        Assert.Equal(AlertOutcome.TicketCreated, result.Outcome);
        var ticket = database.Data.Get<Ticket>(result.TicketId!.Value)!;
        Assert.Equal(company.Id, ticket.CompanyId);
        Assert.Equal([AuditStatus.Failed, AuditStatus.Succeeded], host.AuditOf("partner-a", AuditOperations.UpdateAlertMapping).Select(e => e.Status));

        // A connection whose mapping is configured keeps it there; an unknown connection is refused typed.
        await Assert.ThrowsAsync<AutotaskConfigurationException>(() => alerts.SaveMappingAsync("configured", Mapping(), Ct));
        await Assert.ThrowsAsync<AutotaskConnectionNotFoundException>(() => alerts.SaveMappingAsync("nobody", Mapping(), Ct));
        await Assert.ThrowsAsync<ArgumentNullException>(() => alerts.SaveMappingAsync("partner-a", null!, Ct));
    }
}
