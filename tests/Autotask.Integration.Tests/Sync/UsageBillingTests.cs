using Autotask.Integration.Entities;
using Autotask.Integration.Jobs;
using Autotask.Integration.Mapping;
using Autotask.Integration.Sync;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NodaTime;

namespace Autotask.Integration.Tests.Sync;

/// <summary>A backup vendor's usage billed on the partner's invoice schedule, against the simulator.</summary>
public sealed class UsageBillingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The 30th of each month (29 February in 2028) until July, then the last business day of the month.</summary>
    internal static InvoiceCalendar Calendar { get; } = new InvoiceCalendar(InvoiceSchedule.OnDay(30))
        .ChangedOn(new LocalDate(2028, 7, 1), InvoiceSchedule.LastDayOfMonth(BusinessDayShift.PreviousBusinessDay));

    internal static UsageUnits Rule { get; } = new() { Rounding = UsageRounding.Up, UnitSize = 10m, Floor = 2, Ceiling = 40 };

    /// <summary>GB stored over a period: some periods repeat the last figure (no change to write), one is under the floor, one over the ceiling.</summary>
    internal static double GigabytesFor(string subscription, LocalDate invoiceDate)
    {
        double[] figures = [123.4, 123.4, 130.0, 5.0, 5.0, 999.9, 250.01, 250.01, 250.01, 88.0, 120.5, 0.0, 64.2];
        var shift = subscription.EndsWith('b') ? 5 : 0;
        return figures[(invoiceDate.Month + shift) % figures.Length] + (subscription.EndsWith('b') ? 10 : 0);
    }

    /// <summary>A fresh simulator with one customer, a contract over 2027-12 to 2029-01 and two contract services mapped as usage-a and usage-b.</summary>
    internal static async Task<(SyncHarness Sync, SubscriptionMapping[] Lines)> HarnessAsync(string zone, FakeTimeProvider clock, Action<IServiceCollection>? services = null)
    {
        var sync = SyncHarness.Create(new AutotaskSimulatorOptions
        {
            DataSet = SimulatorDataSet.Empty,
            Fixtures = data =>
            {
                var company = data.Add(new Company { CompanyName = "Fjord Backup Customer", CompanyType = CompanyType.Customer, IsActive = true });
                var contract = data.Add(new Contract { CompanyId = company.Id, ContractName = "Backup", ContractType = ContractType.RecurringService, Status = 1, StartDate = new LocalDate(2027, 12, 1), EndDate = new LocalDate(2029, 1, 31) });
                var storage = data.Add(new Service { Name = "Backup storage (per 10 GB)", PeriodType = 1, UnitPrice = 4m });
                data.Add(new ContractService { ContractId = contract.Id, ServiceId = storage.Id, UnitPrice = 4m });
                data.Add(new ContractService { ContractId = contract.Id, ServiceId = storage.Id, UnitPrice = 4m });
            },
        }, c => c.TimeZone = zone, configure: b =>
        {
            b.Services.AddSingleton<TimeProvider>(clock);
            services?.Invoke(b.Services);
        });
        var data = sync.Simulator.Data;
        var company = data.All<Company>()[0];
        await sync.Store.AddCustomerAsync(new CustomerMapping { Connection = SyncHarness.Connection, VendorCustomerId = "org-1", CompanyId = company.Id }, Ct);
        var lines = new List<SubscriptionMapping>();
        foreach (var (line, id) in data.All<ContractService>().Zip(["usage-a", "usage-b"]))
        {
            lines.Add(await sync.Store.AddSubscriptionAsync(new SubscriptionMapping
            {
                Connection = SyncHarness.Connection, VendorSubscriptionId = id, VendorCustomerId = "org-1", VendorOfferId = "storage",
                CompanyId = company.Id, ContractId = line.ContractId, ContractServiceId = line.Id, ServiceId = line.ServiceId,
            }, Ct));
        }

        return (sync, [.. lines]);
    }

    [Theory]
    [InlineData("Europe/London")]
    [InlineData("America/New_York")]
    [InlineData("Australia/Sydney")]
    [InlineData("Asia/Kolkata")]
    public async Task A_year_of_invoice_dates_bills_each_periods_usage_on_its_invoice_day_with_one_adjustment_per_real_change(string zoneId)
    {
        var zone = DateTimeZoneProviders.Tzdb[zoneId];
        var clock = new FakeTimeProvider(new LocalDateTime(2027, 12, 30, 12, 0).InZoneLeniently(zone).ToDateTimeOffset());
        var source = new ScriptedUsage(clock, zone);
        var (sync, lines) = await HarnessAsync(zoneId, clock, s => s.AddSingleton<IUsageSource>(source));
        await using var _ = sync;
        var jobs = sync.Services.GetRequiredService<IAutotaskJobs>();

        // The scheduler's clock runs through 2028 in steps of eight hours; the job bills whatever invoice date has come.
        var end = new LocalDate(2029, 1, 1).AtStartOfDayInZone(zone).ToInstant();
        while (clock.GetUtcNow() < end.ToDateTimeOffset())
        {
            await jobs.BillUsageAsync(SyncHarness.Connection, cancellationToken: Ct);
            clock.Advance(TimeSpan.FromHours(8));
        }

        var expected = new List<LocalDate> { new(2027, 12, 30) };
        while (Calendar.NextInvoiceDate(expected[^1]) < new LocalDate(2029, 1, 1))
        {
            expected.Add(Calendar.NextInvoiceDate(expected[^1]));
        }

        // Each invoice date asked for once, on its own day in the instance's zone; the periods join without a gap.
        Assert.Equal(expected, source.Billed.Select(b => b.Period.InvoiceDate));
        Assert.Contains(new LocalDate(2028, 2, 29), expected);
        Assert.Contains(new LocalDate(2028, 9, 29), expected); // 30 September 2028 is a Saturday: the business day before.
        Assert.All(source.Billed, b => Assert.Equal(b.Period.InvoiceDate, b.AskedAt.InZone(zone).Date));
        for (var i = 1; i < source.Billed.Count; i++)
        {
            Assert.Equal(source.Billed[i - 1].Period.InvoiceDate, source.Billed[i].Period.Start);
        }

        // The periods' instants in the zone add up to the whole span, whatever the daylight saving changes did to their lengths.
        var spans = source.Billed.Skip(1).Select(b => b.Period.ToInterval(zone).Duration).Aggregate(Duration.Zero, (a, b) => a + b);
        Assert.Equal(expected[^1].AtStartOfDayInZone(zone).ToInstant() - expected[0].AtStartOfDayInZone(zone).ToInstant(), spans);

        foreach (var line in lines)
        {
            var units = expected.Select(d => Rule.UnitsFor(GigabytesFor(line.VendorSubscriptionId, d))).ToList();
            Assert.Equal(units, expected.Select(d => sync.UnitsOn(line, d)));
            var changes = units.Select((u, i) => i == 0 ? u != 0 : u != units[i - 1]).Count(c => c);
            Assert.Equal(changes, sync.Simulator.Data.AdjustmentsOf(line.ContractServiceId).Count);
            Assert.True(changes < expected.Count, "Some periods repeat the figure before, so fewer adjustments than periods.");
        }

        // Billing every period again writes nothing: level-triggered through the ledger.
        var adjustments = sync.Simulator.AppliedAdjustments.Count;
        var engine = sync.Services.GetRequiredService<IUsageBillingEngine>();
        foreach (var date in expected)
        {
            var again = await engine.BillAsync(SyncHarness.Connection, date, lines.Select(l => new SubscriptionUsage(l.VendorSubscriptionId, GigabytesFor(l.VendorSubscriptionId, date))).ToArray(),
                new UsageBillingOptions { Calendar = Calendar, Units = Rule }, Ct);
            Assert.All(again.Items, i => Assert.Equal(QuantitySyncStatus.Unchanged, i.Result.Status));
        }

        Assert.Equal(adjustments, sync.Simulator.AppliedAdjustments.Count);
    }

    [Fact]
    public async Task Usage_that_is_negative_or_not_a_number_is_refused_per_item_and_the_rest_is_billed()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 3, 30, 12, 0, 0, TimeSpan.Zero));
        var (sync, lines) = await HarnessAsync("Etc/UTC", clock);
        await using var _ = sync;
        var engine = sync.Services.GetRequiredService<IUsageBillingEngine>();

        var report = await engine.BillAsync(SyncHarness.Connection, new LocalDate(2028, 3, 30),
            [new("usage-a", double.NaN), new("usage-b", 55), new("usage-a", -1), new("usage-a", double.PositiveInfinity), new("", 3)],
            new UsageBillingOptions { Calendar = Calendar, Units = Rule }, Ct);

        Assert.Equal(new LocalDate(2028, 2, 29), report.Period.Start);
        Assert.Equal(new LocalDate(2028, 3, 30), report.EffectiveDate);
        Assert.Equal([QuantitySyncStatus.Invalid, QuantitySyncStatus.Applied, QuantitySyncStatus.Invalid, QuantitySyncStatus.Invalid, QuantitySyncStatus.Invalid], report.Items.Select(i => i.Result.Status));
        Assert.Equal([0, 1, 2, 3, 4], report.Items.Select(i => i.Result.Index));
        Assert.Contains("not a finite number", report.Items[0].Result.Reason, StringComparison.Ordinal);
        Assert.Contains("-1", report.Items[2].Result.Reason, StringComparison.Ordinal);
        Assert.Null(report.Items[0].Units);
        Assert.Equal(6, report.Items[1].Units);
        Assert.Equal(6, sync.UnitsOn(lines[1], new LocalDate(2028, 3, 30)));
        Assert.Equal(0, sync.UnitsOn(lines[0], new LocalDate(2028, 3, 30)));
        Assert.Single(sync.Simulator.AppliedAdjustments);
    }

    [Fact]
    public async Task Usage_too_large_for_a_decimal_fails_its_item_only()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 3, 30, 12, 0, 0, TimeSpan.Zero));
        var (sync, lines) = await HarnessAsync("Etc/UTC", clock);
        await using var _ = sync;
        var engine = sync.Services.GetRequiredService<IUsageBillingEngine>();

        // 1e26 in units of 0.001 is more than a decimal holds; 2^96 is more than a decimal holds to begin with.
        var report = await engine.BillAsync(SyncHarness.Connection, new LocalDate(2028, 3, 30),
            [new("usage-a", 1e26), new("usage-a", Math.Pow(2, 96)), new("usage-b", 0.005)],
            new UsageBillingOptions { Calendar = Calendar, Units = new UsageUnits { UnitSize = 0.001m } }, Ct);

        Assert.Equal([QuantitySyncStatus.Invalid, QuantitySyncStatus.Invalid, QuantitySyncStatus.Applied], report.Items.Select(i => i.Result.Status));
        Assert.All(report.Items.Take(2), i => Assert.Contains("too large", i.Result.Reason, StringComparison.Ordinal));
        Assert.Equal(5, report.Items[2].Units);
        Assert.Equal(0, sync.UnitsOn(lines[0], new LocalDate(2028, 3, 30)));
        Assert.Equal(5, sync.UnitsOn(lines[1], new LocalDate(2028, 3, 30)));
        Assert.Single(sync.Simulator.AppliedAdjustments);
    }

    [Fact]
    public async Task An_invoice_date_at_the_end_of_the_calendar_is_refused_before_anything_is_read()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 3, 30, 12, 0, 0, TimeSpan.Zero));
        var (sync, _) = await HarnessAsync("Etc/UTC", clock);
        await using var __ = sync;
        var engine = sync.Services.GetRequiredService<IUsageBillingEngine>();
        var requests = sync.Simulator.Requests.Count;

        foreach (var date in new[] { LocalDate.MaxIsoValue, LocalDate.MinIsoValue })
        {
            var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.BillAsync(SyncHarness.Connection, date,
                [new SubscriptionUsage("usage-a", 10)], new UsageBillingOptions { Calendar = Calendar }, Ct));
            Assert.Equal("invoiceDate", error.ParamName);
        }

        Assert.Equal(requests, sync.Simulator.Requests.Count);
        Assert.Empty(sync.Simulator.AppliedAdjustments);
    }

    [Fact]
    public async Task A_day_that_is_not_an_invoice_date_is_refused_before_anything_is_read()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 3, 30, 12, 0, 0, TimeSpan.Zero));
        var (sync, _) = await HarnessAsync("Etc/UTC", clock);
        await using var __ = sync;
        var engine = sync.Services.GetRequiredService<IUsageBillingEngine>();
        var requests = sync.Simulator.Requests.Count;

        var error = await Assert.ThrowsAsync<ArgumentException>(() => engine.BillAsync(SyncHarness.Connection, new LocalDate(2028, 3, 31),
            [new SubscriptionUsage("usage-a", 10)], new UsageBillingOptions { Calendar = Calendar }, Ct));

        Assert.Contains("2028-03-31 is not an invoice date", error.Message, StringComparison.Ordinal);
        Assert.Equal(requests, sync.Simulator.Requests.Count);
        Assert.Empty(sync.Simulator.AppliedAdjustments);
    }

    [Fact]
    public async Task Per_service_rules_floors_ceilings_and_the_period_start_are_applied()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 3, 30, 12, 0, 0, TimeSpan.Zero));
        var (sync, lines) = await HarnessAsync("Etc/UTC", clock);
        await using var _ = sync;
        var engine = sync.Services.GetRequiredService<IUsageBillingEngine>();
        var options = new UsageBillingOptions
        {
            Calendar = Calendar,
            Units = new UsageUnits { Rounding = UsageRounding.Down },
            UnitsByService = new Dictionary<long, UsageUnits> { [lines[0].ServiceId] = new() { Rounding = UsageRounding.Nearest, UnitSize = 100m, Ceiling = 3 } },
            EffectiveDate = UsageEffectiveDate.PeriodStart,
        };

        var report = await engine.BillAsync(SyncHarness.Connection, new LocalDate(2028, 3, 30), [new("usage-a", 950), new("usage-b", 950)], options, Ct);

        // Both lines bill the same service, so the per-service rule governs both: 9.5 rounds to 10, capped at 3.
        Assert.Equal([3, 3], report.Items.Select(i => i.Units));
        Assert.Equal(new LocalDate(2028, 2, 29), report.EffectiveDate);
        Assert.Equal(3, sync.UnitsOn(lines[0], new LocalDate(2028, 2, 29)));
        Assert.Equal(0, sync.UnitsOn(lines[0], new LocalDate(2028, 2, 28)));

        var floorAboveCeiling = await engine.BillAsync(SyncHarness.Connection, new LocalDate(2028, 4, 30), [new("usage-a", 5)],
            options with { UnitsByService = null, Units = new UsageUnits { Floor = 5, Ceiling = 2 } }, Ct);
        Assert.Equal(QuantitySyncStatus.Invalid, floorAboveCeiling.Items[0].Result.Status);
        Assert.Contains("floor (5) is above its ceiling (2)", floorAboveCeiling.Items[0].Result.Reason, StringComparison.Ordinal);
    }

    /// <summary>The vendor's usage source, scripted: records each period asked for and when.</summary>
    internal sealed class ScriptedUsage(TimeProvider clock, DateTimeZone zone) : IUsageSource
    {
        public List<(BillingPeriod Period, Instant AskedAt)> Billed { get; } = [];

        public DateTimeZone Zone { get; } = zone;

        public ValueTask<UsageBillingOptions?> GetBillingOptionsAsync(string connection, CancellationToken cancellationToken) =>
            ValueTask.FromResult<UsageBillingOptions?>(new UsageBillingOptions { Calendar = Calendar, Units = Rule });

        public ValueTask<IReadOnlyList<SubscriptionUsage>> GetUsageAsync(string connection, BillingPeriod period, CancellationToken cancellationToken)
        {
            lock (Billed)
            {
                Billed.Add((period, Instant.FromDateTimeOffset(clock.GetUtcNow())));
            }

            return ValueTask.FromResult<IReadOnlyList<SubscriptionUsage>>(
                [new("usage-a", GigabytesFor("usage-a", period.InvoiceDate)), new("usage-b", GigabytesFor("usage-b", period.InvoiceDate))]);
        }
    }
}
