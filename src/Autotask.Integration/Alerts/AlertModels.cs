using NodaTime;

namespace Autotask.Integration.Alerts;

/// <summary>The severity of a vendor alert.</summary>
public enum AlertSeverity
{
    /// <summary>Something worked (a backup succeeded).</summary>
    Success,

    /// <summary>Something needs a look.</summary>
    Warning,

    /// <summary>Something failed.</summary>
    Error,
}

/// <summary>What a ticket for one severity (or the daily digest) gets, by the labels an administrator sees in Autotask.</summary>
public sealed class AlertTicketRule
{
    /// <summary>The ticket priority's label, such as <c>High</c>. Required.</summary>
    public string Priority { get; set; } = "";

    /// <summary>The queue's label, such as <c>Monitoring Alert</c>. Required.</summary>
    public string Queue { get; set; } = "";

    /// <summary>Days from the alert to the ticket's due date, in the instance's time zone. Default: 1.</summary>
    public int DaysUntilDue { get; set; } = 1;

    /// <summary>The status label of a new ticket. Default: <c>New</c>.</summary>
    public string Status { get; set; } = "New";

    /// <summary>The source label, if any (such as <c>Monitoring Alert</c>).</summary>
    public string? Source { get; set; }

    /// <summary>The issue type label, if any.</summary>
    public string? IssueType { get; set; }
}

/// <summary>The alert mapping of one connection: which ticket each severity and the daily digest get.</summary>
public sealed class AlertMapping
{
    /// <summary>The rule per severity. Every severity that is published needs one.</summary>
    public Dictionary<AlertSeverity, AlertTicketRule> Severities { get; } = [];

    /// <summary>The rule of the daily digest ticket.</summary>
    public AlertTicketRule? DailyDigest { get; set; }

    /// <summary>The company that gets alerts of unmapped vendor customers; when <c>null</c>, such alerts are reported as unmapped.</summary>
    public long? CatchAllCompanyId { get; set; }

    /// <summary>The note type label of the notes added for repeated alerts. Default: <c>Task Notes</c>.</summary>
    public string NoteType { get; set; } = "Task Notes";

    /// <summary>The publish label (who sees the notes) of the notes added for repeated alerts. Default: <c>Internal Users Only</c>.</summary>
    public string NotePublish { get; set; } = "Internal Users Only";

    /// <summary>The status labels of closed tickets: a repeat of an alert whose ticket has one of them gets a new ticket. Default: <c>Complete</c>.</summary>
    public IList<string> ClosedStatuses { get; } = ["Complete"];
}

/// <summary>The alert mappings of every connection, registered with <c>AddAlertTickets</c>.</summary>
public sealed class AlertTicketOptions
{
    /// <summary>The mapping per connection id, compared as <see cref="AutotaskConnectionIds.Comparer"/> compares them.</summary>
    public Dictionary<string, AlertMapping> Connections { get; } = new(AutotaskConnectionIds.Comparer);

    /// <summary>Sets the alert mapping of a connection.</summary>
    /// <param name="connection">The connection's name.</param>
    /// <param name="configure">Sets the mapping.</param>
    /// <returns>These options.</returns>
    public AlertTicketOptions For(string connection, Action<AlertMapping> configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connection);
        ArgumentNullException.ThrowIfNull(configure);
        if (!Connections.TryGetValue(connection, out var mapping))
        {
            mapping = new AlertMapping();
            Connections[connection] = mapping;
        }

        configure(mapping);
        return this;
    }
}

/// <summary>A vendor alert, such as a failed backup job.</summary>
public sealed record Alert
{
    /// <summary>The vendor customer the alert is about.</summary>
    public required string VendorCustomerId { get; init; }

    /// <summary>
    /// What identifies "the same alert": repeats with the same key for the same customer add a note to the open ticket
    /// instead of opening another (for example <c>job-1234:failed</c>).
    /// </summary>
    public required string AlertKey { get; init; }

    /// <summary>The severity.</summary>
    public required AlertSeverity Severity { get; init; }

    /// <summary>The ticket title.</summary>
    public required string Title { get; init; }

    /// <summary>The details.</summary>
    public string? Description { get; init; }

    /// <summary>When it happened.</summary>
    public required Instant OccurredAt { get; init; }
}

/// <summary>What became of an alert.</summary>
public enum AlertOutcome
{
    /// <summary>A new ticket was created.</summary>
    TicketCreated,

    /// <summary>The alert repeated while its ticket was open: a note was added.</summary>
    NoteAdded,

    /// <summary>The vendor customer is not mapped and no catch-all company is set: nothing was created.</summary>
    Unmapped,
}

/// <summary>The result of publishing an alert, a digest or a test ticket.</summary>
public sealed record AlertResult
{
    /// <summary>What happened.</summary>
    public required AlertOutcome Outcome { get; init; }

    /// <summary>The ticket created or noted.</summary>
    public long? TicketId { get; init; }

    /// <summary>The ticket's number, such as <c>T20261125.0001</c>.</summary>
    public string? TicketNumber { get; init; }

    /// <summary>The company of the ticket.</summary>
    public long? CompanyId { get; init; }

    /// <summary>Whether the ticket went to the catch-all company because the customer is not mapped.</summary>
    public bool CatchAll { get; init; }

    /// <summary>Why nothing was created, when nothing was.</summary>
    public string? Reason { get; init; }
}

/// <summary>An alert mapping names a label that does not exist in the Autotask instance; the message lists those that do.</summary>
public sealed class AlertMappingException : AutotaskException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, with the labels that exist.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public AlertMappingException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>The stored form of an alert mapping saved at run time (sync state <c>alerts.mapping</c>).</summary>
internal sealed record StoredAlertMapping(
    Dictionary<AlertSeverity, AlertTicketRule> Severities, AlertTicketRule? DailyDigest, long? CatchAllCompanyId, string NoteType, string NotePublish, List<string> ClosedStatuses)
{
    public static string Write(AlertMapping mapping) =>
        System.Text.Json.JsonSerializer.Serialize(
            new StoredAlertMapping(new Dictionary<AlertSeverity, AlertTicketRule>(mapping.Severities), mapping.DailyDigest, mapping.CatchAllCompanyId,
                mapping.NoteType, mapping.NotePublish, [.. mapping.ClosedStatuses]),
            Json.AutotaskJsonContext.Default.StoredAlertMapping);

    public static AlertMapping Read(string json)
    {
        StoredAlertMapping? stored;
        try
        {
            stored = System.Text.Json.JsonSerializer.Deserialize(json, Json.AutotaskJsonContext.Default.StoredAlertMapping);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new AlertMappingException("The stored alert mapping cannot be read; save the connection's alert mapping again.", ex);
        }

        if (stored is null)
        {
            throw new AlertMappingException("The stored alert mapping is empty; save the connection's alert mapping again.");
        }

        var mapping = new AlertMapping
        {
            DailyDigest = stored.DailyDigest,
            CatchAllCompanyId = stored.CatchAllCompanyId,
            NoteType = stored.NoteType,
            NotePublish = stored.NotePublish,
        };
        foreach (var (severity, rule) in stored.Severities ?? [])
        {
            mapping.Severities[severity] = rule;
        }

        mapping.ClosedStatuses.Clear();
        foreach (var status in stored.ClosedStatuses ?? [])
        {
            mapping.ClosedStatuses.Add(status);
        }

        return mapping;
    }
}
