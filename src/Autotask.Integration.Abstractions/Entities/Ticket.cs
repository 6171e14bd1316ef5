using System.Text.Json.Serialization;
using NodaTime;

namespace Autotask.Integration.Entities;

/// <summary>An Autotask ticket (the <c>Tickets</c> entity).</summary>
/// <remarks>Status, priority, queue, source and the issue types are per-instance picklists: resolve labels through the picklist metadata.</remarks>
public sealed partial record Ticket
{
    /// <summary>The ticket number Autotask assigns, such as <c>T20261125.0001</c>. Read-only.</summary>
    public string? TicketNumber { get; init; }

    /// <summary>The id of the company.</summary>
    [JsonPropertyName("companyID")]
    public long CompanyId { get; init; }

    /// <summary>The id of the contact.</summary>
    [JsonPropertyName("contactID")]
    public long? ContactId { get; init; }

    /// <summary>The id of the contract.</summary>
    [JsonPropertyName("contractID")]
    public long? ContractId { get; init; }

    /// <summary>The title.</summary>
    public string? Title { get; init; }

    /// <summary>The description.</summary>
    public string? Description { get; init; }

    /// <summary>The status picklist value.</summary>
    public TicketStatus? Status { get; init; }

    /// <summary>The priority picklist value.</summary>
    public TicketPriority? Priority { get; init; }

    /// <summary>The queue picklist value.</summary>
    [JsonPropertyName("queueID")]
    public int? QueueId { get; init; }

    /// <summary>The source picklist value.</summary>
    public int? Source { get; init; }

    /// <summary>The ticket type picklist value.</summary>
    public int? TicketType { get; init; }

    /// <summary>The ticket category picklist value.</summary>
    public int? TicketCategory { get; init; }

    /// <summary>The issue type picklist value.</summary>
    public int? IssueType { get; init; }

    /// <summary>The sub-issue type picklist value.</summary>
    public int? SubIssueType { get; init; }

    /// <summary>The id of the assigned resource.</summary>
    [JsonPropertyName("assignedResourceID")]
    public long? AssignedResourceId { get; init; }

    /// <summary>When the ticket is due.</summary>
    public Instant? DueDateTime { get; init; }

    /// <summary>When the ticket was created.</summary>
    public Instant? CreateDate { get; init; }

    /// <summary>When there was last activity on the ticket.</summary>
    public Instant? LastActivityDate { get; init; }

    /// <summary>When the ticket was completed, if it was.</summary>
    public Instant? CompletedDate { get; init; }

    /// <inheritdoc />
    public IReadOnlyList<UserDefinedField>? UserDefinedFields { get; init; }
}

/// <summary>A note on a ticket (the <c>TicketNotes</c> entity). Created and updated under <c>Tickets/{ticketId}/Notes</c>.</summary>
public sealed partial record TicketNote
{
    /// <summary>The id of the ticket.</summary>
    [JsonPropertyName("ticketID")]
    public long TicketId { get; init; }

    /// <summary>The title.</summary>
    public string? Title { get; init; }

    /// <summary>The text of the note.</summary>
    public string? Description { get; init; }

    /// <summary>The note type picklist value.</summary>
    public int? NoteType { get; init; }

    /// <summary>The publish picklist value (who can see the note).</summary>
    public int? Publish { get; init; }

    /// <summary>The id of the resource that wrote the note.</summary>
    [JsonPropertyName("creatorResourceID")]
    public long? CreatorResourceId { get; init; }

    /// <summary>When the note was created.</summary>
    public Instant? CreateDateTime { get; init; }

    /// <summary>When the note was last changed.</summary>
    public Instant? LastActivityDate { get; init; }
}

/// <summary>An Autotask resource (the <c>Resources</c> entity): a user of the instance, including API users.</summary>
public sealed partial record Resource
{
    /// <summary>The first name.</summary>
    public string? FirstName { get; init; }

    /// <summary>The last name.</summary>
    public string? LastName { get; init; }

    /// <summary>The e-mail address.</summary>
    public string? Email { get; init; }

    /// <summary>The user name.</summary>
    public string? UserName { get; init; }

    /// <summary>The job title.</summary>
    public string? Title { get; init; }

    /// <summary>Whether the resource is active.</summary>
    public bool? IsActive { get; init; }

    /// <summary>The resource type (for example Employee).</summary>
    public string? ResourceType { get; init; }
}
