using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Autotask.Integration.Json;
using NodaTime;

namespace Autotask.Integration.Sync;

/// <summary>Whether a planned change may be written.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PlanDecision>))]
public enum PlanDecision
{
    /// <summary>Waiting for a person or a rule.</summary>
    Pending,

    /// <summary>Approved: applying the plan writes it, if the units are still what the plan saw.</summary>
    Approved,

    /// <summary>Held back by an approval rule for a person to look at; not written until approved.</summary>
    Held,

    /// <summary>Rejected: never written from this plan.</summary>
    Rejected,
}

/// <summary>One change of a <see cref="QuantityPlan"/>: the units a contract service bills, and the units it should bill.</summary>
public sealed record QuantityPlanItem
{
    /// <summary>The vendor subscription.</summary>
    public required string VendorSubscriptionId { get; init; }

    /// <summary>The contract service the subscription is mapped to.</summary>
    public required long ContractServiceId { get; init; }

    /// <summary>The day the change takes effect.</summary>
    public required LocalDate EffectiveDate { get; init; }

    /// <summary>The units Autotask billed on <see cref="EffectiveDate"/> when the plan was made: applying writes only while they are still these.</summary>
    public required int UnitsBefore { get; init; }

    /// <summary>The units the subscription should bill.</summary>
    public required int DesiredUnits { get; init; }

    /// <summary>The change to write: <see cref="DesiredUnits"/> minus <see cref="UnitsBefore"/>.</summary>
    public int UnitChange => DesiredUnits - UnitsBefore;

    /// <summary>Whether it may be written.</summary>
    public PlanDecision Decision { get; init; }

    /// <summary>Why it was decided so (the rule, or the person's words).</summary>
    public string? DecisionReason { get; init; }
}

/// <summary>
/// The result of a dry run that a person or a rule approves before anything is written: the changes a sync would
/// make, each with the units it was computed against. Serialisable (<see cref="ToJson"/>, <see cref="FromJson"/>)
/// so that it can wait in a queue or a database for approval; exportable as CSV for a spreadsheet.
/// Apply it with <see cref="IQuantitySyncEngine.ApplyPlanAsync"/>, once.
/// </summary>
public sealed record QuantityPlan
{
    /// <summary>The plan's id, unique; applying it twice is refused by this id.</summary>
    public required string PlanId { get; init; }

    /// <summary>The connection the plan was made for.</summary>
    public required string Connection { get; init; }

    /// <summary>The Autotask database the plan was read from (<c>ci</c>), which applying checks.</summary>
    public required long DatabaseCi { get; init; }

    /// <summary>When the plan was made.</summary>
    public required Instant CreatedAt { get; init; }

    /// <summary>The changes, one per subscription whose units differ. Unchanged, unmapped and invalid items are in <see cref="Report"/>.</summary>
    public required IReadOnlyList<QuantityPlanItem> Items { get; init; }

    /// <summary>The dry run the plan came from: every input item's outcome.</summary>
    [JsonIgnore]
    public QuantitySyncReport? Report { get; init; }

    /// <summary>How many items have the given decision.</summary>
    /// <param name="decision">The decision.</param>
    public int Count(PlanDecision decision) => Items.Count(i => i.Decision == decision);

    /// <summary>Approves items (all of them when <paramref name="vendorSubscriptionIds"/> is <c>null</c>), returning the new plan.</summary>
    /// <param name="vendorSubscriptionIds">The subscriptions to approve, or <c>null</c> for every item that is not rejected.</param>
    /// <param name="reason">Who approved, or why.</param>
    /// <exception cref="ArgumentException">A subscription is not in the plan.</exception>
    public QuantityPlan Approve(IEnumerable<string>? vendorSubscriptionIds = null, string? reason = null) =>
        Decide(vendorSubscriptionIds, PlanDecision.Approved, reason);

    /// <summary>Rejects items, returning the new plan.</summary>
    /// <param name="vendorSubscriptionIds">The subscriptions to reject.</param>
    /// <param name="reason">Who rejected, or why.</param>
    /// <exception cref="ArgumentException">A subscription is not in the plan.</exception>
    public QuantityPlan Reject(IEnumerable<string> vendorSubscriptionIds, string? reason = null)
    {
        ArgumentNullException.ThrowIfNull(vendorSubscriptionIds);
        return Decide(vendorSubscriptionIds, PlanDecision.Rejected, reason);
    }

    private QuantityPlan Decide(IEnumerable<string>? ids, PlanDecision decision, string? reason)
    {
        var chosen = ids?.ToHashSet(StringComparer.Ordinal);
        if (chosen is not null && chosen.FirstOrDefault(id => Items.All(i => i.VendorSubscriptionId != id)) is { } unknown)
        {
            throw new ArgumentException($"Subscription '{unknown}' is not in plan {PlanId}.", nameof(ids));
        }

        return this with
        {
            Items = Items.Select(i => chosen is null ? (i.Decision == PlanDecision.Rejected ? i : i with { Decision = decision, DecisionReason = reason ?? i.DecisionReason })
                : chosen.Contains(i.VendorSubscriptionId) ? i with { Decision = decision, DecisionReason = reason } : i).ToArray(),
        };
    }

    /// <summary>The plan as JSON (camelCase, dates as ISO 8601), read back by <see cref="FromJson"/>.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, AutotaskJsonContext.Default.QuantityPlan);

    /// <summary>Reads a plan written by <see cref="ToJson"/>.</summary>
    /// <param name="json">The JSON.</param>
    /// <exception cref="QuantityPlanException">The text is not a plan.</exception>
    public static QuantityPlan FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        QuantityPlan? plan;
        try
        {
            plan = JsonSerializer.Deserialize(json, AutotaskJsonContext.Default.QuantityPlan);
        }
        catch (JsonException ex)
        {
            throw new QuantityPlanException($"The text is not a quantity plan: {ex.Message}", QuantityPlanProblem.Unreadable, ex);
        }

        if (plan is null || string.IsNullOrWhiteSpace(plan.PlanId) || string.IsNullOrWhiteSpace(plan.Connection) || plan.Items is null || plan.Items.Any(i => i is null || string.IsNullOrWhiteSpace(i.VendorSubscriptionId)))
        {
            throw new QuantityPlanException("The text is not a complete quantity plan (an id, a connection and items with subscriptions are needed).", QuantityPlanProblem.Unreadable);
        }

        return plan;
    }

    /// <summary>
    /// The plan as CSV (RFC 4180, comma-separated, a header row, invariant culture): subscription, contract
    /// service, effective date, units before, desired units, change, decision, reason.
    /// </summary>
    public string ToCsv()
    {
        var csv = new StringBuilder("subscription,contractServiceId,effectiveDate,unitsBefore,desiredUnits,unitChange,decision,reason\r\n");
        foreach (var item in Items)
        {
            csv.Append(Field(item.VendorSubscriptionId)).Append(',')
                .Append(item.ContractServiceId.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(item.EffectiveDate.ToString("uuuu-MM-dd", CultureInfo.InvariantCulture)).Append(',')
                .Append(item.UnitsBefore.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(item.DesiredUnits.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(item.UnitChange.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(item.Decision.ToString()).Append(',')
                .Append(Field(item.DecisionReason ?? "")).Append("\r\n");
        }

        return csv.ToString();
    }

    private static string Field(string value)
    {
        // A leading =, +, - or @ would make a spreadsheet run the text as a formula, and so would a tab or carriage return
        // before one (spreadsheets skip them): such a field gets a leading apostrophe, and quotes.
        var formula = value.Length > 0 && "=+-@\t\r".Contains(value[0], StringComparison.Ordinal);
        var text = formula ? "'" + value : value;
        return formula || text.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
    }
}

/// <summary>Decides plan items without a person: approves the small changes, holds the rest for one.</summary>
public sealed record PlanApprovalRule
{
    /// <summary>Approve a change of at most this many units (either way); <c>null</c>: no limit by units.</summary>
    public int? MaxUnitChange { get; init; }

    /// <summary>
    /// Approve a change of at most this percentage of the units before (10 means 10 %); a change from 0 units is
    /// never under a percentage; <c>null</c>: no limit by percentage.
    /// </summary>
    public decimal? MaxPercentChange { get; init; }

    /// <summary>Approves every change (the sync without a person).</summary>
    public static PlanApprovalRule ApproveAll { get; } = new();

    /// <summary>Approves changes of at most <paramref name="units"/> units, holds larger ones.</summary>
    /// <param name="units">0 or more.</param>
    public static PlanApprovalRule UnderUnits(int units)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(units);
        return new PlanApprovalRule { MaxUnitChange = units };
    }

    /// <summary>Approves changes of at most <paramref name="percent"/> % of the units before, holds larger ones.</summary>
    /// <param name="percent">0 or more.</param>
    public static PlanApprovalRule UnderPercent(decimal percent)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(percent);
        return new PlanApprovalRule { MaxPercentChange = percent };
    }

    /// <summary>Decides one item: approved when within every limit set, otherwise held with the reason.</summary>
    /// <param name="item">The item.</param>
    public QuantityPlanItem Decide(QuantityPlanItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var change = Math.Abs(item.UnitChange);
        if (MaxUnitChange is { } units && change > units)
        {
            return item with { Decision = PlanDecision.Held, DecisionReason = string.Create(CultureInfo.InvariantCulture, $"Held: a change of {item.UnitChange:+#;-#;0} units is more than {units}.") };
        }

        if (MaxPercentChange is { } percent && (item.UnitsBefore == 0 ? change > 0 : change * 100m / item.UnitsBefore > percent))
        {
            return item with { Decision = PlanDecision.Held, DecisionReason = string.Create(CultureInfo.InvariantCulture, $"Held: a change of {item.UnitChange:+#;-#;0} units from {item.UnitsBefore} is more than {percent} %.") };
        }

        return item with { Decision = PlanDecision.Approved, DecisionReason = "Approved by rule." };
    }
}

/// <summary>What is wrong with a plan that cannot be applied.</summary>
public enum QuantityPlanProblem
{
    /// <summary>The text is not a plan.</summary>
    Unreadable,

    /// <summary>The plan was applied before (or is being applied).</summary>
    AlreadyApplied,

    /// <summary>The plan was made for another connection.</summary>
    OtherConnection,

    /// <summary>The connection now reaches another Autotask database than the one the plan was read from.</summary>
    OtherDatabase,
}

/// <summary>A plan cannot be applied; nothing of it was written.</summary>
public sealed class QuantityPlanException : AutotaskException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="problem">The kind of problem.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public QuantityPlanException(string message, QuantityPlanProblem problem, Exception? innerException = null)
        : base(message, innerException)
    {
        Problem = problem;
    }

    /// <summary>The kind of problem.</summary>
    public QuantityPlanProblem Problem { get; }
}
