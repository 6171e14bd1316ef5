using Autotask.Integration.Alerts;
using Autotask.Integration.Entities;
using Microsoft.AspNetCore.Mvc;

namespace Autotask.Integration.Portal.Pages.Partner;

/// <summary>One row of the alert mapping form: an alert severity, or the daily digest.</summary>
public sealed class AlertRow
{
    /// <summary>The severity's name, or <c>Daily digest</c>.</summary>
    public string Kind { get; set; } = "";

    /// <summary>The priority label.</summary>
    public string? Priority { get; set; }

    /// <summary>The queue label.</summary>
    public string? Queue { get; set; }

    /// <summary>The status label of a new ticket.</summary>
    public string? Status { get; set; }

    /// <summary>The issue type label, if any.</summary>
    public string? IssueType { get; set; }

    /// <summary>Days from the alert to the due date.</summary>
    public int DaysUntilDue { get; set; } = 1;
}

/// <summary>The alert mapping: severity to priority, queue, status, issue type and days due, from the partner's picklists.</summary>
public sealed class AlertsModel(IAlertTicketEngine alerts, IAutotaskClientFactory clients) : PartnerPage
{
    private const string Digest = "Daily digest";

    /// <summary>The priority labels of the partner's Autotask.</summary>
    public IReadOnlyList<string> Priorities { get; private set; } = [];

    /// <summary>The queue labels.</summary>
    public IReadOnlyList<string> Queues { get; private set; } = [];

    /// <summary>The ticket status labels.</summary>
    public IReadOnlyList<string> Statuses { get; private set; } = [];

    /// <summary>The issue type labels.</summary>
    public IReadOnlyList<string> IssueTypes { get; private set; } = [];

    /// <summary>The form's rows.</summary>
    [BindProperty]
    public IList<AlertRow> Rows { get; set; } = [];

    /// <summary>Shows the saved mapping, or a suggestion.</summary>
    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        if (!await LoadPicklistsAsync(cancellationToken))
        {
            return;
        }

        var mapping = await alerts.GetMappingAsync(Partner, cancellationToken);
        Rows = [.. Enum.GetValues<AlertSeverity>().Reverse().Select(s => Row(s.ToString(), mapping?.Severities.GetValueOrDefault(s), s switch
        {
            AlertSeverity.Error => 1,
            AlertSeverity.Warning => 3,
            _ => 7,
        })), Row(Digest, mapping?.DailyDigest, 1)];
    }

    /// <summary>Saves the mapping; a label the partner's Autotask does not have is refused and nothing is saved.</summary>
    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!await LoadPicklistsAsync(cancellationToken))
        {
            return Page();
        }

        var mapping = new AlertMapping();
        foreach (var row in Rows)
        {
            var rule = new AlertTicketRule
            {
                Priority = row.Priority ?? "",
                Queue = row.Queue ?? "",
                Status = string.IsNullOrEmpty(row.Status) ? "New" : row.Status,
                IssueType = string.IsNullOrEmpty(row.IssueType) ? null : row.IssueType,
                DaysUntilDue = row.DaysUntilDue,
            };
            if (row.Kind == Digest)
            {
                mapping.DailyDigest = rule;
            }
            else if (Enum.TryParse<AlertSeverity>(row.Kind, out var severity) && Enum.IsDefined(severity))
            {
                mapping.Severities[severity] = rule;
            }
            else
            {
                Problems.Add($"'{row.Kind}' is not an alert severity.");
            }
        }

        if (Problems.Count == 0)
        {
            try
            {
                await alerts.SaveMappingAsync(Partner, mapping, cancellationToken);
                return Done("Saved the alert mapping.");
            }
            catch (AlertMappingException ex)
            {
                Show(ex);
            }
        }

        return Page();
    }

    private async Task<bool> LoadPicklistsAsync(CancellationToken cancellationToken)
    {
        if (!IsLinked)
        {
            return false;
        }

        var client = clients.GetClient(Partner);
        Priorities = (await client.GetPicklistAsync<Ticket>("priority", cancellationToken)).ActiveLabels;
        Queues = (await client.GetPicklistAsync<Ticket>("queueID", cancellationToken)).ActiveLabels;
        Statuses = (await client.GetPicklistAsync<Ticket>("status", cancellationToken)).ActiveLabels;
        IssueTypes = (await client.GetPicklistAsync<Ticket>("issueType", cancellationToken)).ActiveLabels;
        return true;
    }

    private static string? First(IReadOnlyList<string> labels) => labels.Count > 0 ? labels[0] : null;

    private AlertRow Row(string kind, AlertTicketRule? rule, int days) => new()
    {
        Kind = kind,
        Priority = rule?.Priority ?? First(Priorities),
        Queue = rule?.Queue ?? First(Queues),
        Status = rule?.Status ?? (Statuses.Contains("New") ? "New" : First(Statuses)),
        IssueType = rule?.IssueType,
        DaysUntilDue = rule?.DaysUntilDue ?? days,
    };
}
