using Autotask.Integration.Connections;
using Autotask.Integration.Mapping;
using NodaTime;

namespace Autotask.Integration.Sync;

/// <summary>A subscription's usage over a billing period, such as the GB a backup customer stored.</summary>
/// <param name="VendorSubscriptionId">The subscription.</param>
/// <param name="Usage">The usage, zero or more, in the vendor's measure; converted to units by <see cref="UsageUnits"/>.</param>
public sealed record SubscriptionUsage(string VendorSubscriptionId, double Usage);

/// <summary>Which day of a billing period the units of its usage take effect on.</summary>
public enum UsageEffectiveDate
{
    /// <summary>The invoice date: on the day the vendor invoices, Autotask bills what the invoice says. The default.</summary>
    InvoiceDate,

    /// <summary>The first day of the period the usage was measured over.</summary>
    PeriodStart,
}

/// <summary>How usage is billed.</summary>
public sealed record UsageBillingOptions
{
    /// <summary>The partner's invoice schedule (with its changes over time), in the Autotask instance's time zone.</summary>
    public required InvoiceCalendar Calendar { get; init; }

    /// <summary>How usage becomes units, unless <see cref="UnitsByService"/> says otherwise for the subscription's service. Default: up to whole units of 1.</summary>
    public UsageUnits Units { get; init; } = new();

    /// <summary>Per Autotask service id, the rule (rounding, unit size, floor, ceiling) for the subscriptions mapped to it.</summary>
    public IReadOnlyDictionary<long, UsageUnits>? UnitsByService { get; init; }

    /// <summary>Which day of the period the units take effect on. Default: <see cref="UsageEffectiveDate.InvoiceDate"/>.</summary>
    public UsageEffectiveDate EffectiveDate { get; init; } = UsageEffectiveDate.InvoiceDate;

    /// <summary>How the units are written (concurrency, lease, progress, dry run); its effective date policy is not used.</summary>
    public QuantitySyncOptions Sync { get; init; } = new();
}

/// <summary>One usage figure's outcome.</summary>
public sealed record UsageBillingItem
{
    /// <summary>The usage as given.</summary>
    public required double Usage { get; init; }

    /// <summary>The units it came to, or <c>null</c> when the usage was refused.</summary>
    public int? Units { get; init; }

    /// <summary>What became of it: its position, status, units before and after, adjustment, reason.</summary>
    public required QuantitySyncItem Result { get; init; }
}

/// <summary>The outcome of billing a period's usage: one item per usage figure, in input order.</summary>
public sealed record UsageBillingReport
{
    /// <summary>The connection.</summary>
    public required string Connection { get; init; }

    /// <summary>The period billed.</summary>
    public required BillingPeriod Period { get; init; }

    /// <summary>The day the units took effect.</summary>
    public required LocalDate EffectiveDate { get; init; }

    /// <summary>One item per usage figure.</summary>
    public required IReadOnlyList<UsageBillingItem> Items { get; init; }

    /// <summary>How many items have the given status.</summary>
    /// <param name="status">The status.</param>
    public int Count(QuantitySyncStatus status) => Items.Count(i => i.Result.Status == status);
}

/// <summary>
/// Bills usage on the partner's invoice schedule: sets each contract service's units to its subscription's usage of
/// a billing period, as adjustments through the quantity sync (and its ledger), so billing a period again writes
/// nothing and a change is written once.
/// </summary>
/// <remarks>Registered by <c>AddAutotaskIntegration</c>.</remarks>
public interface IUsageBillingEngine
{
    /// <summary>
    /// Bills the usage of the period that ends on <paramref name="invoiceDate"/>. Usage that is negative or not a
    /// number is reported per item as <see cref="QuantitySyncStatus.Invalid"/> and never stops the rest.
    /// </summary>
    /// <param name="connection">The connection.</param>
    /// <param name="invoiceDate">An invoice date of <see cref="UsageBillingOptions.Calendar"/>.</param>
    /// <param name="usage">Each subscription's usage over the period.</param>
    /// <param name="options">The schedule and the rules.</param>
    /// <param name="cancellationToken">Cancels the call; what was written stays recorded in the ledger.</param>
    /// <exception cref="ArgumentException"><paramref name="invoiceDate"/> is not an invoice date of the calendar.</exception>
    Task<UsageBillingReport> BillAsync(string connection, LocalDate invoiceDate, IEnumerable<SubscriptionUsage> usage, UsageBillingOptions options, CancellationToken cancellationToken = default);

    /// <summary>Works out the units of a period's usage as a plan to approve, writing nothing (see <see cref="IQuantitySyncEngine.PlanAsync"/>).</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="invoiceDate">An invoice date of <see cref="UsageBillingOptions.Calendar"/>.</param>
    /// <param name="usage">Each subscription's usage over the period; refused figures are left out of the plan.</param>
    /// <param name="options">The schedule and the rules.</param>
    /// <param name="approval">Decides the items; <c>null</c> leaves them pending.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException"><paramref name="invoiceDate"/> is not an invoice date of the calendar.</exception>
    Task<QuantityPlan> PlanAsync(string connection, LocalDate invoiceDate, IEnumerable<SubscriptionUsage> usage, UsageBillingOptions options, PlanApprovalRule? approval = null, CancellationToken cancellationToken = default);
}

internal sealed class UsageBillingEngine(QuantitySyncEngine sync, IAutotaskClientFactory clients, IMappingStore store, DatabaseBinding binding) : IUsageBillingEngine
{
    /// <inheritdoc />
    public async Task<UsageBillingReport> BillAsync(string connection, LocalDate invoiceDate, IEnumerable<SubscriptionUsage> usage, UsageBillingOptions options, CancellationToken cancellationToken = default)
    {
        var (name, period, effective, figures) = await PrepareAsync(connection, invoiceDate, usage, options, cancellationToken).ConfigureAwait(false);
        var valid = figures.Where(f => f.Units is not null).ToList();
        var report = await sync.SyncAsync(name, valid.Select(f => new SubscriptionQuantity(f.Usage.VendorSubscriptionId, f.Units!.Value, f.AsOf)),
            options.Sync with { EffectiveDate = EffectiveDatePolicy.Custom((_, _) => effective) }, cancellationToken).ConfigureAwait(false);
        var items = new UsageBillingItem[figures.Count];
        for (var i = 0; i < valid.Count; i++)
        {
            items[valid[i].Index] = new UsageBillingItem { Usage = valid[i].Usage.Usage, Units = valid[i].Units, Result = report.Items[i] with { Index = valid[i].Index } };
        }

        foreach (var refused in figures.Where(f => f.Units is null))
        {
            items[refused.Index] = new UsageBillingItem
            {
                Usage = refused.Usage?.Usage ?? double.NaN,
                Result = new QuantitySyncItem { Index = refused.Index, VendorSubscriptionId = refused.Usage?.VendorSubscriptionId, Status = QuantitySyncStatus.Invalid, Reason = refused.Problem },
            };
        }

        return new UsageBillingReport { Connection = name, Period = period, EffectiveDate = effective, Items = items };
    }

    /// <inheritdoc />
    public async Task<QuantityPlan> PlanAsync(string connection, LocalDate invoiceDate, IEnumerable<SubscriptionUsage> usage, UsageBillingOptions options, PlanApprovalRule? approval = null, CancellationToken cancellationToken = default)
    {
        var (name, _, effective, figures) = await PrepareAsync(connection, invoiceDate, usage, options, cancellationToken).ConfigureAwait(false);
        return await sync.PlanAsync(name, figures.Where(f => f.Units is not null).Select(f => new SubscriptionQuantity(f.Usage.VendorSubscriptionId, f.Units!.Value, f.AsOf)),
            new QuantityPlanOptions { EffectiveDate = EffectiveDatePolicy.Custom((_, _) => effective), Approval = approval }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<(string Name, BillingPeriod Period, LocalDate Effective, List<Figure> Figures)> PrepareAsync(
        string connection, LocalDate invoiceDate, IEnumerable<SubscriptionUsage> usage, UsageBillingOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(usage);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Calendar, nameof(options.Calendar));
        var period = options.Calendar.PeriodBilledOn(invoiceDate);
        var effective = options.EffectiveDate switch
        {
            UsageEffectiveDate.InvoiceDate => period.InvoiceDate,
            UsageEffectiveDate.PeriodStart => period.Start,
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.EffectiveDate, "Not a usage effective date."),
        };
        var name = clients.GetClient(connection).ConnectionName;
        var settings = await binding.OpenAsync(name, cancellationToken).ConfigureAwait(false);
        var asOf = effective.AtStartOfDayInZone(DateTimeZoneProviders.Tzdb[settings.TimeZone]).ToInstant();
        var input = usage.ToList();
        var ids = input.Where(u => u is not null && !string.IsNullOrWhiteSpace(u.VendorSubscriptionId)).Select(u => u.VendorSubscriptionId).Distinct(StringComparer.Ordinal).ToArray();
        var mappings = options.UnitsByService is { Count: > 0 } && ids.Length > 0
            ? await store.FindSubscriptionsAsync(name, ids, cancellationToken).ConfigureAwait(false)
            : new Dictionary<string, SubscriptionMapping>();

        var figures = new List<Figure>(input.Count);
        for (var i = 0; i < input.Count; i++)
        {
            var figure = input[i];
            if (figure is null || string.IsNullOrWhiteSpace(figure.VendorSubscriptionId))
            {
                figures.Add(new Figure(i, figure!, null, asOf, figure is null ? "The item is empty." : "The subscription id is empty."));
                continue;
            }

            var rule = mappings.TryGetValue(figure.VendorSubscriptionId, out var mapping) && options.UnitsByService!.TryGetValue(mapping.ServiceId, out var own) ? own : options.Units;
            try
            {
                figures.Add(new Figure(i, figure, rule.UnitsFor(figure.Usage), asOf, null));
            }
            catch (Exception ex) when (ex is ArgumentOutOfRangeException or InvalidOperationException)
            {
                figures.Add(new Figure(i, figure, null, asOf, $"The usage {figure.Usage} cannot be billed: {ex.Message.Split(Environment.NewLine)[0]}"));
            }
        }

        return (name, period, effective, figures);
    }

    private sealed record Figure(int Index, SubscriptionUsage Usage, int? Units, Instant AsOf, string? Problem);
}
