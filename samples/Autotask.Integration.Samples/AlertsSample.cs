using System.Globalization;
using Autotask.Integration.Alerts;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace Autotask.Integration.Samples;

/// <summary>The backup-service shape: alerts become tickets by labelled rules, repeats become notes, plus a daily digest and a test ticket.</summary>
internal static class AlertsSample
{
    /// <summary>The alert mapping, by the labels an Autotask administrator sees.</summary>
    public static void Configure(AlertMapping mapping)
    {
        mapping.Severities[AlertSeverity.Error] = new AlertTicketRule { Priority = "High", Queue = "Monitoring Alert", DaysUntilDue = 1 };
        mapping.Severities[AlertSeverity.Warning] = new AlertTicketRule { Priority = "Medium", Queue = "Monitoring Alert", DaysUntilDue = 3 };
        mapping.Severities[AlertSeverity.Success] = new AlertTicketRule { Priority = "Low", Queue = "Monitoring Alert", DaysUntilDue = 7 };
        mapping.DailyDigest = new AlertTicketRule { Priority = "Low", Queue = "Monitoring Alert", DaysUntilDue = 1 };
    }

    public static async Task RunAsync(IServiceProvider services, string connection, TextWriter output, bool allowWrites, CancellationToken cancellationToken)
    {
        var alerts = services.GetRequiredService<IAlertTicketEngine>();
        await ResellerSample.EnsureCustomerAsync(services, connection, output, cancellationToken);
        await output.HeadingAsync("Alert tickets");
        await alerts.ValidateAsync(connection, cancellationToken);
        await output.WriteLineAsync("  Every label of the alert mapping exists in this Autotask.");
        if (!allowWrites)
        {
            await output.WriteLineAsync("  Not sending tickets: pass --allow-writes to create tickets in this Autotask.");
            return;
        }

        var now = SystemClock.Instance.GetCurrentInstant();
        var failed = new Alert
        {
            VendorCustomerId = ResellerSample.VendorCustomer,
            AlertKey = "job-nightly-sql:failed",
            Severity = AlertSeverity.Error,
            Title = "Backup job 'Nightly SQL' failed",
            Description = "Volume D: could not be read.",
            OccurredAt = now,
        };
        var results = new List<(string What, AlertResult Result)>
        {
            ("error alert", await alerts.PublishAlertAsync(connection, failed, cancellationToken)),
            ("same alert again", await alerts.PublishAlertAsync(connection, failed with { OccurredAt = now.Plus(Duration.FromMinutes(30)) }, cancellationToken)),
            ("unmapped customer", await alerts.PublishAlertAsync(connection, failed with { VendorCustomerId = "unknown-customer" }, cancellationToken)),
        };
        var today = now.InUtc().Date;
        results.Add(("daily digest", await alerts.PublishDailyDigestAsync(connection, ResellerSample.VendorCustomer, today, [failed], cancellationToken)));
        results.Add(("daily digest again", await alerts.PublishDailyDigestAsync(connection, ResellerSample.VendorCustomer, today, [], cancellationToken)));
        results.Add(("test ticket", await alerts.SendTestTicketAsync(connection, ResellerSample.VendorCustomer, cancellationToken)));
        await output.TableAsync(["Sent", "Outcome", "Ticket", "Company", "Reason"], results.Select(r => new[]
        {
            r.What, r.Result.Outcome.ToString(), r.Result.TicketNumber, r.Result.CompanyId?.ToString(CultureInfo.InvariantCulture), r.Result.Reason,
        }));
    }
}
