using NodaTime;

namespace Autotask.Integration.Auditing;

/// <summary>The outcome of an audited operation.</summary>
public enum AuditStatus
{
    /// <summary>It did what was asked.</summary>
    Succeeded,

    /// <summary>It failed; <see cref="AuditEvent.Details"/> says why.</summary>
    Failed,

    /// <summary>Nothing needed doing (for example the quantity was already right).</summary>
    Skipped,
}

/// <summary>The names of the audited operations, as a vendor's audit-log page shows them.</summary>
public static class AuditOperations
{
    /// <summary>A connection was tested before it was saved, or saved (the details say whether it was tested).</summary>
    public const string CreateConnectorConnection = "Create Connector Connection";

    /// <summary>A connection's settings were changed, such as its secret rotated.</summary>
    public const string UpdateConnectorConnection = "Update Connector Connection";

    /// <summary>A connection was removed (unlinked).</summary>
    public const string DeleteConnectorConnection = "Delete Connector Connection";

    /// <summary>A connection was bound on purpose to the Autotask database its credentials reach now.</summary>
    public const string RebindConnectorConnection = "Rebind Connector Connection";

    /// <summary>A connection's alert mapping was saved at run time.</summary>
    public const string UpdateAlertMapping = "Update Alert Mapping";

    /// <summary>A vendor customer was mapped to a company.</summary>
    public const string CreateConnectionCustomerMapping = "Create Connection Customer Mapping";

    /// <summary>A customer mapping was removed.</summary>
    public const string DeleteConnectionCustomerMapping = "Delete Connection Customer Mapping";

    /// <summary>A vendor offer was mapped to a service.</summary>
    public const string CreateOfferMapping = "Create Offer Mapping";

    /// <summary>An offer mapping was removed.</summary>
    public const string DeleteOfferMapping = "Delete Offer Mapping";

    /// <summary>A vendor subscription was mapped to a contract service.</summary>
    public const string CreateSubscriptionMapping = "Create Subscription Mapping";

    /// <summary>A subscription mapping was removed.</summary>
    public const string DeleteSubscriptionMapping = "Delete Subscription Mapping";

    /// <summary>A service was added to a contract for a subscription.</summary>
    public const string AddContractService = "Add Contract Service";

    /// <summary>A subscription's quantity was synced to Autotask.</summary>
    public const string UpdateSubscriptionQuantity = "Update Subscription Quantity";

    /// <summary>A usage period was billed by the usage billing job: settled, or with items still due (the details say which and why).</summary>
    public const string BillUsagePeriod = "Bill Usage Period";

    /// <summary>A person settled a usage period (or some of its items) as it is, so the job no longer bills it; the details say who and why.</summary>
    public const string SettleUsagePeriod = "Settle Usage Period";

    /// <summary>Audit operation of a new alert ticket.</summary>
    public const string CreateAlertTicket = "Create Alert Ticket";

    /// <summary>Audit operation of a note added for a repeated alert or a digest update.</summary>
    public const string AddAlertTicketNote = "Add Alert Ticket Note";

    /// <summary>Audit operation of a new daily digest ticket.</summary>
    public const string CreateDigestTicket = "Create Digest Ticket";

    /// <summary>Audit operation of a test ticket.</summary>
    public const string SendTestTicket = "Send Test Ticket";

    /// <summary>An Autotask webhook was created or brought up to date from code.</summary>
    public const string RegisterWebhook = "Register Webhook";

    /// <summary>An Autotask webhook was deleted from code.</summary>
    public const string DeleteWebhook = "Delete Webhook";
}

/// <summary>One audited operation: what was done, for which connection and ids, with what outcome. Never a credential.</summary>
public sealed record AuditEvent
{
    /// <summary>A unique id of the event.</summary>
    public required string EventId { get; init; }

    /// <summary>The operation, one of <see cref="AuditOperations"/> or an operation of your own.</summary>
    public required string Operation { get; init; }

    /// <summary>The connection.</summary>
    public required string Connection { get; init; }

    /// <summary>The outcome.</summary>
    public required AuditStatus Status { get; init; }

    /// <summary>The vendor's ids involved, by kind (for example <c>customer</c>, <c>subscription</c>).</summary>
    public IReadOnlyDictionary<string, string> VendorIds { get; init; } = new Dictionary<string, string>();

    /// <summary>The Autotask ids involved, by kind (for example <c>company</c>, <c>contractService</c>).</summary>
    public IReadOnlyDictionary<string, long> AutotaskIds { get; init; } = new Dictionary<string, long>();

    /// <summary>What happened, in words for the audit-log page.</summary>
    public string? Details { get; init; }

    /// <summary>When the operation started.</summary>
    public required Instant StartedAt { get; init; }

    /// <summary>When it ended.</summary>
    public required Instant CompletedAt { get; init; }
}

/// <summary>Receives the audit events of every externally visible operation.</summary>
/// <remarks>A sink that fails never loses the operation's result: the engine logs the failure and goes on.</remarks>
public interface IAuditSink
{
    /// <summary>Records an event.</summary>
    /// <param name="auditEvent">The event.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default);
}
