using NodaTime;

namespace Autotask.Integration.Sync;

/// <summary>The quantity a vendor subscription should bill, as of an instant ("subscription S has 17 units as of T").</summary>
/// <param name="VendorSubscriptionId">The subscription.</param>
/// <param name="Quantity">The desired units, 0 or more (0 cancels).</param>
/// <param name="AsOf">When the quantity took effect at the vendor.</param>
public sealed record SubscriptionQuantity(string VendorSubscriptionId, int Quantity, Instant AsOf)
{
    /// <summary>The ISO 4217 currency of the subscription, checked against the connection's when both are known.</summary>
    public string? Currency { get; init; }
}

/// <summary>Chooses the effective date of an adjustment from the instant of a change, in the Autotask instance's time zone.</summary>
public abstract class EffectiveDatePolicy
{
    /// <summary>The calendar day of the change in the instance's zone. The default.</summary>
    public static EffectiveDatePolicy DayOfChange { get; } = Custom((instant, zone) => instant.InZone(zone).Date);

    /// <summary>The day after the change.</summary>
    public static EffectiveDatePolicy NextDay { get; } = Custom((instant, zone) => instant.InZone(zone).Date.PlusDays(1));

    /// <summary>The first day of the month after the change.</summary>
    public static EffectiveDatePolicy FirstOfNextMonth { get; } = Custom((instant, zone) =>
    {
        var date = instant.InZone(zone).Date;
        return new LocalDate(date.Year, date.Month, 1).PlusMonths(1);
    });

    /// <summary>A policy of your own, such as aligning with the vendor's invoice date.</summary>
    /// <param name="compute">Computes the date from the change's instant and the instance's time zone.</param>
    public static EffectiveDatePolicy Custom(Func<Instant, DateTimeZone, LocalDate> compute)
    {
        ArgumentNullException.ThrowIfNull(compute);
        return new DelegatePolicy(compute);
    }

    /// <summary>Computes the effective date.</summary>
    /// <param name="asOf">When the change took effect.</param>
    /// <param name="instanceZone">The Autotask instance's time zone.</param>
    public abstract LocalDate EffectiveDate(Instant asOf, DateTimeZone instanceZone);

    private sealed class DelegatePolicy(Func<Instant, DateTimeZone, LocalDate> compute) : EffectiveDatePolicy
    {
        public override LocalDate EffectiveDate(Instant asOf, DateTimeZone instanceZone) => compute(asOf, instanceZone);
    }
}

/// <summary>How a quantity sync runs.</summary>
public sealed record QuantitySyncOptions
{
    /// <summary>Work out and report what would change, writing nothing (no adjustment, no ledger entry, no audit).</summary>
    public bool DryRun { get; init; }

    /// <summary>How effective dates are chosen. Default: <see cref="EffectiveDatePolicy.DayOfChange"/>.</summary>
    public EffectiveDatePolicy EffectiveDate { get; init; } = EffectiveDatePolicy.DayOfChange;

    /// <summary>How many adjustments are written at once. Default: 3, Autotask's thread limit per entity.</summary>
    public int MaxConcurrentWrites { get; init; } = 3;

    /// <summary>How many times one subscription's write is tried when Autotask proves it was not applied. Default: 3.</summary>
    public int MaxWriteAttempts { get; init; } = 3;

    /// <summary>
    /// How long a pending ledger entry (a write in flight, or one whose outcome is unknown) is left to the sync that
    /// made it, measured by the store's clock. Within that time another sync reports the subscription as in progress;
    /// after it, the next sync reads the units back and settles the entry. A write not over within half the lease
    /// (waiting for the hourly budget or the per-entity limit included) is abandoned, so that no write reaches Autotask
    /// after another sync may have taken it for abandoned. Default: 10 minutes. Zero treats every pending entry as
    /// abandoned and sets no limit on writes: use it only when no other sync can be running.
    /// </summary>
    public TimeSpan PendingLease { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Receives progress as items are decided and written (items done of the total, writes so far).</summary>
    public IProgress<SyncProgress>? Progress { get; init; }

    /// <summary>Set by <see cref="IQuantitySyncEngine.ApplyPlanAsync"/>: per subscription, the contract service, the effective date and the units the plan saw.</summary>
    internal IReadOnlyDictionary<string, (long ContractServiceId, LocalDate EffectiveDate, int UnitsBefore)>? PlannedUnits { get; init; }
}

/// <summary>How far a long piece of work has come.</summary>
/// <param name="Done">Items finished.</param>
/// <param name="Total">Items in all.</param>
/// <param name="Writes">Writes to Autotask made so far.</param>
public readonly record struct SyncProgress(int Done, int Total, int Writes);

/// <summary>How a plan is made.</summary>
public sealed record QuantityPlanOptions
{
    /// <summary>How effective dates are chosen. Default: <see cref="EffectiveDatePolicy.DayOfChange"/>.</summary>
    public EffectiveDatePolicy EffectiveDate { get; init; } = EffectiveDatePolicy.DayOfChange;

    /// <summary>Decides each item as the plan is made; <c>null</c> (the default) leaves every item pending for a person.</summary>
    public PlanApprovalRule? Approval { get; init; }
}

/// <summary>What became of one item of a quantity sync.</summary>
public enum QuantitySyncStatus
{
    /// <summary>An adjustment was applied; Autotask now bills the desired units.</summary>
    Applied,

    /// <summary>Autotask already billed the desired units; nothing was written.</summary>
    Unchanged,

    /// <summary>Dry run: an adjustment would be written.</summary>
    Planned,

    /// <summary>The subscription is not mapped.</summary>
    Unmapped,

    /// <summary>The item is not valid (negative quantity, empty id, wrong currency, date outside the contract).</summary>
    Invalid,

    /// <summary>Writing failed; <see cref="QuantitySyncItem.Reason"/> says why. Running the sync again retries it safely.</summary>
    Failed,

    /// <summary>A later change of the same subscription in the same batch replaced this one.</summary>
    Superseded,

    /// <summary>Applying a plan: the units are no longer what the plan saw, so nothing was written; make a new plan.</summary>
    Stale,

    /// <summary>Applying a plan: the item was not approved (pending, held or rejected), so nothing was written.</summary>
    NotApproved,
}

/// <summary>The outcome of one input item.</summary>
public sealed record QuantitySyncItem
{
    /// <summary>The position of the item in the input, from 0.</summary>
    public required int Index { get; init; }

    /// <summary>The subscription.</summary>
    public string? VendorSubscriptionId { get; init; }

    /// <summary>The outcome.</summary>
    public required QuantitySyncStatus Status { get; init; }

    /// <summary>The desired units.</summary>
    public int DesiredUnits { get; init; }

    /// <summary>The units Autotask billed before, when read.</summary>
    public int? UnitsBefore { get; init; }

    /// <summary>The unit change written (or planned).</summary>
    public int? UnitChange { get; init; }

    /// <summary>The effective date used.</summary>
    public LocalDate? EffectiveDate { get; init; }

    /// <summary>The contract service, when mapped.</summary>
    public long? ContractServiceId { get; init; }

    /// <summary>The Autotask id of the adjustment written, when Autotask answered with one.</summary>
    public long? AdjustmentId { get; init; }

    /// <summary>Why the item was not applied, in plain words.</summary>
    public string? Reason { get; init; }
}

/// <summary>The outcome of a quantity sync: one item per input item.</summary>
public sealed record QuantitySyncReport
{
    /// <summary>The connection.</summary>
    public required string Connection { get; init; }

    /// <summary>Whether this was a dry run.</summary>
    public bool DryRun { get; init; }

    /// <summary>One result per input item, in input order.</summary>
    public required IReadOnlyList<QuantitySyncItem> Items { get; init; }

    /// <summary>When the sync started.</summary>
    public Instant StartedAt { get; init; }

    /// <summary>When it ended.</summary>
    public Instant CompletedAt { get; init; }

    /// <summary>How many items have the given status.</summary>
    /// <param name="status">The status.</param>
    public int Count(QuantitySyncStatus status) => Items.Count(i => i.Status == status);
}
