using Autotask.Integration.Auditing;
using NodaTime;

namespace Autotask.Integration.Mapping;

/// <summary>
/// Where the mappings and the sync state of every connection are kept. The contract, which every implementation
/// must keep (the conformance suite checks it):
/// <list type="bullet">
/// <item>Map once: a vendor customer maps to one company and a company to one vendor customer per connection; an
/// offer maps once; a subscription maps once, and a contract service to one subscription (so that two
/// subscriptions never fight over one line's units). A second mapping of either side throws <see cref="MappingConflictException"/>,
/// even when two processes race.</item>
/// <item>Optimistic concurrency: removing a mapping names the version read; a stale version throws
/// <see cref="StoreConcurrencyException"/>.</item>
/// <item>At most one pending ledger entry per subscription and connection; a write begins only from the ledger
/// version its caller read (compare-and-swap in the store), so the order of writes is decided by the store and never
/// by comparing the clocks of different processes.</item>
/// <item>A webhook callout is recorded once: of any number of receivers, in any number of processes, recording the
/// same callout while its event time lies within the window, exactly one is told it is the first; the window is
/// measured by the store's clock.</item>
/// <item>Connections are isolated: nothing of one connection is visible through another.</item>
/// </list>
/// All methods are thread-safe.
/// </summary>
public interface IMappingStore
{
    /// <summary>Finds the mapping of a vendor customer.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="vendorCustomerId">The vendor customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<CustomerMapping?> FindCustomerAsync(string connection, string vendorCustomerId, CancellationToken cancellationToken = default);

    /// <summary>Finds the mapping of an Autotask company.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="companyId">The company.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<CustomerMapping?> FindCustomerByCompanyAsync(string connection, long companyId, CancellationToken cancellationToken = default);

    /// <summary>Adds a customer mapping and returns it as stored (with its version).</summary>
    /// <param name="mapping">The mapping.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="MappingConflictException">The vendor customer or the company is mapped already.</exception>
    Task<CustomerMapping> AddCustomerAsync(CustomerMapping mapping, CancellationToken cancellationToken = default);

    /// <summary>Removes a customer mapping.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="vendorCustomerId">The vendor customer.</param>
    /// <param name="expectedVersion">The version read before; the removal fails if it changed since.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><c>false</c> when there was no such mapping.</returns>
    /// <exception cref="StoreConcurrencyException">The mapping changed since it was read.</exception>
    Task<bool> RemoveCustomerAsync(string connection, string vendorCustomerId, long expectedVersion, CancellationToken cancellationToken = default);

    /// <summary>Lists the customer mappings of a connection.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<IReadOnlyList<CustomerMapping>> ListCustomersAsync(string connection, CancellationToken cancellationToken = default);

    /// <summary>Finds the mapping of a vendor offer.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="vendorOfferId">The offer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<OfferMapping?> FindOfferAsync(string connection, string vendorOfferId, CancellationToken cancellationToken = default);

    /// <summary>Adds an offer mapping and returns it as stored.</summary>
    /// <param name="mapping">The mapping.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="MappingConflictException">The offer is mapped already.</exception>
    Task<OfferMapping> AddOfferAsync(OfferMapping mapping, CancellationToken cancellationToken = default);

    /// <summary>Removes an offer mapping.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="vendorOfferId">The offer.</param>
    /// <param name="expectedVersion">The version read before.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="StoreConcurrencyException">The mapping changed since it was read.</exception>
    Task<bool> RemoveOfferAsync(string connection, string vendorOfferId, long expectedVersion, CancellationToken cancellationToken = default);

    /// <summary>Finds the mapping of a vendor subscription.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="vendorSubscriptionId">The subscription.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<SubscriptionMapping?> FindSubscriptionAsync(string connection, string vendorSubscriptionId, CancellationToken cancellationToken = default);

    /// <summary>Finds the mappings of many subscriptions at once; subscriptions that are not mapped are left out.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="vendorSubscriptionIds">The subscriptions.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<IReadOnlyDictionary<string, SubscriptionMapping>> FindSubscriptionsAsync(string connection, IReadOnlyCollection<string> vendorSubscriptionIds, CancellationToken cancellationToken = default);

    /// <summary>Lists the subscription mappings of a connection, optionally of one vendor customer.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="vendorCustomerId">Only this customer's subscriptions, when given.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<IReadOnlyList<SubscriptionMapping>> ListSubscriptionsAsync(string connection, string? vendorCustomerId = null, CancellationToken cancellationToken = default);

    /// <summary>Adds a subscription mapping and returns it as stored.</summary>
    /// <param name="mapping">The mapping.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="MappingConflictException">The subscription, or its contract service, is mapped already.</exception>
    Task<SubscriptionMapping> AddSubscriptionAsync(SubscriptionMapping mapping, CancellationToken cancellationToken = default);

    /// <summary>Removes a subscription mapping.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="vendorSubscriptionId">The subscription.</param>
    /// <param name="expectedVersion">The version read before.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="StoreConcurrencyException">The mapping changed since it was read.</exception>
    Task<bool> RemoveSubscriptionAsync(string connection, string vendorSubscriptionId, long expectedVersion, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads where the ledger of each subscription stands: its version and its pending entry, if any, with how long
    /// that entry has been pending by the store's own clock. A sync reads this <em>before</em> it reads the units
    /// from Autotask, and names the version when it begins a write (<see cref="TryBeginAdjustmentAsync"/>), so that
    /// the store, not the clocks of the processes, decides whether the read is still current.
    /// </summary>
    /// <param name="connection">The connection.</param>
    /// <param name="vendorSubscriptionIds">The subscriptions.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One head per subscription asked for; version 0 and nothing pending for one with no ledger yet.</returns>
    Task<IReadOnlyDictionary<string, LedgerHead>> GetLedgerHeadsAsync(string connection, IReadOnlyCollection<string> vendorSubscriptionIds, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records an adjustment about to be written, in one atomic step: only when the subscription's ledger is still at
    /// <paramref name="expectedVersion"/> (nothing began or settled since the caller read it) and no entry is pending.
    /// A successful begin moves the ledger to the next version. The store stamps <see cref="AdjustmentLedgerEntry.RecordedAt"/>
    /// with its own clock; the value on <paramref name="entry"/> is ignored.
    /// </summary>
    /// <param name="entry">The entry, in state <see cref="AdjustmentState.Pending"/>.</param>
    /// <param name="expectedVersion">The <see cref="LedgerHead.Version"/> read before the units were read.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>
    /// <see cref="AdjustmentBeginOutcome.Begun"/>; <see cref="AdjustmentBeginOutcome.Stale"/> when the ledger moved since
    /// <paramref name="expectedVersion"/> (read the head and the units again); <see cref="AdjustmentBeginOutcome.Busy"/>
    /// when another entry is pending (someone else is adjusting the subscription).
    /// </returns>
    /// <exception cref="ArgumentException">The entry is not pending, or its operation id is in the ledger already.</exception>
    Task<AdjustmentBeginOutcome> TryBeginAdjustmentAsync(AdjustmentLedgerEntry entry, long expectedVersion, CancellationToken cancellationToken = default);

    /// <summary>
    /// Settles a pending adjustment, in one atomic step with moving the subscription's ledger to the next version. The
    /// store stamps <see cref="AdjustmentLedgerEntry.SettledAt"/> with its own clock.
    /// </summary>
    /// <param name="connection">The connection.</param>
    /// <param name="operationId">The entry's operation id.</param>
    /// <param name="state"><see cref="AdjustmentState.Applied"/>, <see cref="AdjustmentState.NotApplied"/> or <see cref="AdjustmentState.Indeterminate"/>.</param>
    /// <param name="adjustmentId">The Autotask id of the adjustment, when known.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The subscription's ledger version after the settle.</returns>
    /// <exception cref="StoreConcurrencyException">No pending entry has that operation id (another sync settled it).</exception>
    Task<long> SettleAdjustmentAsync(string connection, string operationId, AdjustmentState state, long? adjustmentId, CancellationToken cancellationToken = default);

    /// <summary>The pending ledger entries of some subscriptions (of all, when <paramref name="vendorSubscriptionIds"/> is <c>null</c>).</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="vendorSubscriptionIds">The subscriptions, or <c>null</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<IReadOnlyList<AdjustmentLedgerEntry>> GetPendingAdjustmentsAsync(string connection, IReadOnlyCollection<string>? vendorSubscriptionIds = null, CancellationToken cancellationToken = default);

    /// <summary>The ledger of a subscription, oldest first.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="vendorSubscriptionId">The subscription.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<IReadOnlyList<AdjustmentLedgerEntry>> GetLedgerAsync(string connection, string vendorSubscriptionId, CancellationToken cancellationToken = default);

    /// <summary>Reads a value of sync state (such as a watermark), with its version; <c>null</c> when unset.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<SyncStateValue?> GetStateAsync(string connection, string key, CancellationToken cancellationToken = default);

    /// <summary>Writes a value of sync state if its version is still <paramref name="expectedVersion"/> (0 when unset).</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="expectedVersion">The version read before, or 0 when there was none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new version.</returns>
    /// <exception cref="StoreConcurrencyException">The value changed since it was read.</exception>
    Task<long> SetStateAsync(string connection, string key, string value, long expectedVersion, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records a webhook callout as received, unless it was received before. The store measures the window by its own
    /// clock: a callout whose event time lies more than <paramref name="window"/> before or after the store's now is
    /// refused as <see cref="CalloutReceipt.OutsideWindow"/> and not recorded, and records whose event time has left the
    /// window are forgotten, so the record stays small and a replay of a forgotten callout is refused by its age.
    /// </summary>
    /// <param name="connection">The connection the callout is for.</param>
    /// <param name="calloutKey">What identifies the callout (the webhook receiver uses a hash of the signed body).</param>
    /// <param name="eventTime">When the event happened, as the callout says.</param>
    /// <param name="window">How far the event time may lie from the store's clock; positive.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether this is the first record of the callout, a repeat, or outside the window.</returns>
    Task<CalloutReceipt> TryRecordCalloutAsync(string connection, string calloutKey, Instant eventTime, Duration window, CancellationToken cancellationToken = default);

    /// <summary>
    /// Forgets a callout recorded by <see cref="TryRecordCalloutAsync"/> whose processing failed, so that Autotask's
    /// retry of it is processed rather than refused as a repeat.
    /// </summary>
    /// <param name="connection">The connection the callout is for.</param>
    /// <param name="calloutKey">The key it was recorded with.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task ForgetCalloutAsync(string connection, string calloutKey, CancellationToken cancellationToken = default);
}

/// <summary>
/// A mapping store that is also an <see cref="IAuditSink"/> and records the audit event of a settled adjustment in the
/// settle's own transaction. The quantity sync settles through it when the store is one of the registered audit sinks,
/// so that an adjustment that reached Autotask is audited exactly once: by the one sync whose settle the store accepted
/// (never by two syncs settling the same entry at once), and never lost to a process that dies between the settle and
/// its audit event. The SQLite and PostgreSQL stores implement it; a store of your own may.
/// </summary>
public interface IAuditedLedgerStore : IMappingStore, IAuditSink
{
    /// <summary>
    /// Settles a pending adjustment as <see cref="IMappingStore.SettleAdjustmentAsync"/> does and, in the same
    /// transaction, records <paramref name="auditEvent"/> as <see cref="IAuditSink.WriteAsync"/> would: both or
    /// neither. An event whose <see cref="AuditEvent.EventId"/> is recorded already is not recorded again.
    /// </summary>
    /// <param name="connection">The connection.</param>
    /// <param name="operationId">The entry's operation id.</param>
    /// <param name="state"><see cref="AdjustmentState.Applied"/>, <see cref="AdjustmentState.NotApplied"/> or <see cref="AdjustmentState.Indeterminate"/>.</param>
    /// <param name="adjustmentId">The Autotask id of the adjustment, when known.</param>
    /// <param name="auditEvent">The audit event of the settle.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The subscription's ledger version after the settle.</returns>
    /// <exception cref="StoreConcurrencyException">No pending entry has that operation id (another sync settled it); nothing was recorded.</exception>
    Task<long> SettleAdjustmentAndAuditAsync(string connection, string operationId, AdjustmentState state, long? adjustmentId, AuditEvent auditEvent, CancellationToken cancellationToken = default);
}

/// <summary>What became of <see cref="IMappingStore.TryRecordCalloutAsync"/>.</summary>
public enum CalloutReceipt
{
    /// <summary>The callout is recorded now: the caller is the first to receive it.</summary>
    First,

    /// <summary>The callout was recorded before, by this or another receiver.</summary>
    Repeated,

    /// <summary>The callout's event time lies outside the window around the store's clock: not recorded.</summary>
    OutsideWindow,
}

/// <summary>A value of sync state with its version.</summary>
/// <param name="Value">The value.</param>
/// <param name="Version">The version, for optimistic concurrency.</param>
public sealed record SyncStateValue(string Value, long Version);

/// <summary>
/// Where the ledger of one subscription stands, as the store orders it. <see cref="Version"/> moves on every begin and
/// every settle of an adjustment of the subscription, whichever process made it.
/// </summary>
public sealed record LedgerHead
{
    /// <summary>The vendor subscription.</summary>
    public required string VendorSubscriptionId { get; init; }

    /// <summary>The ledger's version: 0 before the first adjustment began, then one more on every begin and settle.</summary>
    public long Version { get; init; }

    /// <summary>The entry pending for the subscription, if one is.</summary>
    public AdjustmentLedgerEntry? Pending { get; init; }

    /// <summary>How long <see cref="Pending"/> has been pending, by the store's clock (zero when nothing is pending).</summary>
    public Duration PendingFor { get; init; }
}

/// <summary>What became of <see cref="IMappingStore.TryBeginAdjustmentAsync"/>.</summary>
public enum AdjustmentBeginOutcome
{
    /// <summary>The entry is recorded as pending; the caller may write the adjustment.</summary>
    Begun,

    /// <summary>The ledger moved since the caller read it: another adjustment began or settled. Read again before deciding.</summary>
    Stale,

    /// <summary>Another entry of the subscription is pending: another sync is adjusting it.</summary>
    Busy,
}

/// <summary>What kind of mapping rule was broken.</summary>
public enum MappingError
{
    /// <summary>The vendor customer, offer or subscription, or the Autotask company, is mapped already.</summary>
    AlreadyMapped,

    /// <summary>The Autotask company does not exist.</summary>
    CompanyNotFound,

    /// <summary>The Autotask company is not of type Customer.</summary>
    CompanyNotCustomer,

    /// <summary>The Autotask company is inactive.</summary>
    CompanyInactive,

    /// <summary>The Autotask service does not exist or is inactive.</summary>
    ServiceNotFound,

    /// <summary>The service's billing period does not match the offer's term.</summary>
    TermMismatch,

    /// <summary>The contract does not exist.</summary>
    ContractNotFound,

    /// <summary>The contract belongs to another company.</summary>
    ContractOfAnotherCompany,

    /// <summary>The contract is not a Recurring Service contract.</summary>
    ContractNotRecurringService,

    /// <summary>The contract is not active.</summary>
    ContractInactive,

    /// <summary>The contract service does not exist on the contract, or is for another service than the offer's.</summary>
    ContractServiceMismatch,

    /// <summary>The vendor customer is not mapped.</summary>
    CustomerNotMapped,

    /// <summary>The vendor offer is not mapped.</summary>
    OfferNotMapped,

    /// <summary>The subscription's currency is not the connection's.</summary>
    CurrencyMismatch,

    /// <summary>The mapping is still used: a customer with subscriptions, or a subscription with a write pending.</summary>
    InUse,

    /// <summary>An id or value given is not valid.</summary>
    InvalidInput,
}

/// <summary>A mapping was refused: the message says which rule and what to do.</summary>
public class MappingException : AutotaskException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">The rule that was broken.</param>
    /// <param name="message">What went wrong and what to do.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public MappingException(MappingError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>The rule that was broken.</summary>
    public MappingError Error { get; }
}

/// <summary>A second mapping of something mapped already ("map once").</summary>
public sealed class MappingConflictException : MappingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is mapped already, and to what.</param>
    public MappingConflictException(string message)
        : base(MappingError.AlreadyMapped, message)
    {
    }
}

/// <summary>
/// A stored value (a mapping, a sync state value such as a watermark) changed since it was read: read it again and
/// decide afresh. The store's optimistic-concurrency check, for every kind of value it keeps.
/// </summary>
public sealed class StoreConcurrencyException : AutotaskException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What changed.</param>
    public StoreConcurrencyException(string message)
        : base(message)
    {
    }
}

/// <summary>A mapping store cannot be used: its database is missing, corrupt, of another application or of a newer schema. The message says what to do.</summary>
public sealed class MappingStoreException : AutotaskException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and what to do.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public MappingStoreException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
