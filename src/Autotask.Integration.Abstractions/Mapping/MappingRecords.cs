using NodaTime;

namespace Autotask.Integration.Mapping;

/// <summary>A vendor customer mapped to an Autotask company of type Customer. Each side maps once per connection.</summary>
public sealed record CustomerMapping
{
    /// <summary>The connection the mapping belongs to.</summary>
    public required string Connection { get; init; }

    /// <summary>The vendor's id of the customer.</summary>
    public required string VendorCustomerId { get; init; }

    /// <summary>The Autotask company id.</summary>
    public required long CompanyId { get; init; }

    /// <summary>The company's name when it was mapped, for display.</summary>
    public string? CompanyName { get; init; }

    /// <summary>When the mapping was made.</summary>
    public Instant MappedAt { get; init; }

    /// <summary>The stored version, for optimistic concurrency; set by the store.</summary>
    public long Version { get; init; }
}

/// <summary>The billing term of a vendor offer, matched against the period type of an Autotask service.</summary>
public enum BillingTerm
{
    /// <summary>Billed every month (Autotask period type "Monthly").</summary>
    Monthly,

    /// <summary>Billed every three months (Autotask period type "Quarterly").</summary>
    Quarterly,

    /// <summary>Billed every six months (Autotask period type "Semi-Annual").</summary>
    SemiAnnual,

    /// <summary>Billed every year (Autotask period type "Yearly").</summary>
    Annual,
}

/// <summary>A vendor offer (a product with a billing term) mapped to an Autotask service whose period matches the term.</summary>
public sealed record OfferMapping
{
    /// <summary>The connection the mapping belongs to.</summary>
    public required string Connection { get; init; }

    /// <summary>The vendor's id of the offer.</summary>
    public required string VendorOfferId { get; init; }

    /// <summary>The offer's billing term.</summary>
    public required BillingTerm Term { get; init; }

    /// <summary>The Autotask service id.</summary>
    public required long ServiceId { get; init; }

    /// <summary>The service's name when it was mapped, for display.</summary>
    public string? ServiceName { get; init; }

    /// <summary>When the mapping was made.</summary>
    public Instant MappedAt { get; init; }

    /// <summary>The stored version, for optimistic concurrency; set by the store.</summary>
    public long Version { get; init; }
}

/// <summary>
/// A vendor subscription mapped to a service line (contract service) on a Recurring Service contract of the
/// customer's company. Each subscription maps once per connection.
/// </summary>
public sealed record SubscriptionMapping
{
    /// <summary>The connection the mapping belongs to.</summary>
    public required string Connection { get; init; }

    /// <summary>The vendor's id of the subscription.</summary>
    public required string VendorSubscriptionId { get; init; }

    /// <summary>The vendor's id of the customer that owns the subscription.</summary>
    public required string VendorCustomerId { get; init; }

    /// <summary>The vendor's id of the subscribed offer.</summary>
    public required string VendorOfferId { get; init; }

    /// <summary>The Autotask company id.</summary>
    public required long CompanyId { get; init; }

    /// <summary>The Autotask contract id.</summary>
    public required long ContractId { get; init; }

    /// <summary>The Autotask contract service (service line) id.</summary>
    public required long ContractServiceId { get; init; }

    /// <summary>The Autotask service id.</summary>
    public required long ServiceId { get; init; }

    /// <summary>The ISO 4217 currency of the subscription, when known.</summary>
    public string? Currency { get; init; }

    /// <summary>When the mapping was made.</summary>
    public Instant MappedAt { get; init; }

    /// <summary>The stored version, for optimistic concurrency; set by the store.</summary>
    public long Version { get; init; }
}

/// <summary>The state of an adjustment the sync engine wrote or meant to write.</summary>
public enum AdjustmentState
{
    /// <summary>About to be written, or written with an unknown outcome: the next sync reads the units back to settle it.</summary>
    Pending,

    /// <summary>Applied by Autotask.</summary>
    Applied,

    /// <summary>Not applied (refused, or found not to have landed); the next sync decides afresh.</summary>
    NotApplied,

    /// <summary>
    /// Its outcome cannot be told: when it was settled, the units were neither those it started from nor those it
    /// meant to reach (someone else changed them). The next sync decides afresh from the units Autotask bills.
    /// </summary>
    Indeterminate,
}

/// <summary>
/// One entry of the ledger of adjustments: what the engine intended to write for a subscription (from which units to
/// which), and what became of it. At most one entry per subscription is pending at a time, which keeps two
/// processes from adjusting the same subscription at once.
/// </summary>
public sealed record AdjustmentLedgerEntry
{
    /// <summary>A unique id of the operation.</summary>
    public required string OperationId { get; init; }

    /// <summary>The connection.</summary>
    public required string Connection { get; init; }

    /// <summary>The vendor subscription.</summary>
    public required string VendorSubscriptionId { get; init; }

    /// <summary>The contract id.</summary>
    public required long ContractId { get; init; }

    /// <summary>The contract service id.</summary>
    public required long ContractServiceId { get; init; }

    /// <summary>The effective date of the adjustment, in the Autotask instance's calendar.</summary>
    public required LocalDate EffectiveDate { get; init; }

    /// <summary>The units billed before the adjustment.</summary>
    public required int UnitsBefore { get; init; }

    /// <summary>The units the adjustment brings the service to.</summary>
    public required int UnitsAfter { get; init; }

    /// <summary>The signed unit change written.</summary>
    public int UnitChange => UnitsAfter - UnitsBefore;

    /// <summary>The state.</summary>
    public AdjustmentState State { get; init; } = AdjustmentState.Pending;

    /// <summary>The Autotask id of the adjustment, when Autotask answered with one.</summary>
    public long? AdjustmentId { get; init; }

    /// <summary>When the entry was recorded, by the store's clock.</summary>
    public Instant RecordedAt { get; init; }

    /// <summary>When the entry was settled (applied or not), by the store's clock, if it was.</summary>
    public Instant? SettledAt { get; init; }
}
