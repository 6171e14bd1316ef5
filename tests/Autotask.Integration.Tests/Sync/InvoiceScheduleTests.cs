using Autotask.Integration.Sync;
using NodaTime;

namespace Autotask.Integration.Tests.Sync;

/// <summary>Invoice dates, billing periods and usage units: month ends, leap days, business-day shifts, DST and bad input.</summary>
public sealed class InvoiceScheduleTests
{
    private static LocalDate D(int year, int month, int day) => new(year, month, day);

    [Fact]
    public void A_day_the_month_lacks_is_the_months_last_day()
    {
        var schedule = InvoiceSchedule.OnDay(31);

        Assert.Equal(D(2026, 2, 28), schedule.InvoiceDateOf(new YearMonth(2026, 2)));
        Assert.Equal(D(2028, 2, 29), schedule.InvoiceDateOf(new YearMonth(2028, 2)));
        Assert.Equal(D(2026, 4, 30), schedule.InvoiceDateOf(new YearMonth(2026, 4)));
        Assert.Equal(D(2026, 1, 31), schedule.InvoiceDateOf(new YearMonth(2026, 1)));
        Assert.Equal(D(2028, 2, 29), InvoiceSchedule.LastDayOfMonth().InvoiceDateOf(new YearMonth(2028, 2)));
        Assert.Equal(D(2026, 2, 28), InvoiceSchedule.OnDay(29).InvoiceDateOf(new YearMonth(2026, 2)));
    }

    [Fact]
    public void Weekends_and_holidays_move_the_date_to_the_next_or_previous_business_day()
    {
        // 2026-02-01 is a Sunday, 2026-01-31 a Saturday.
        Assert.Equal(D(2026, 2, 2), InvoiceSchedule.OnDay(1, BusinessDayShift.NextBusinessDay).InvoiceDateOf(new YearMonth(2026, 2)));
        Assert.Equal(D(2026, 2, 3), InvoiceSchedule.OnDay(1, BusinessDayShift.NextBusinessDay).WithHolidays([D(2026, 2, 2)]).InvoiceDateOf(new YearMonth(2026, 2)));
        Assert.Equal(D(2026, 1, 30), InvoiceSchedule.LastDayOfMonth(BusinessDayShift.PreviousBusinessDay).InvoiceDateOf(new YearMonth(2026, 1)));
        // Into the next month: January's date is 2 February (31 January is a Saturday), February's 2 March (28 February is one too).
        var next = InvoiceSchedule.LastDayOfMonth(BusinessDayShift.NextBusinessDay);
        Assert.Equal(D(2026, 2, 2), next.InvoiceDateOf(new YearMonth(2026, 1)));
        Assert.Equal(new BillingPeriod(D(2026, 2, 2), D(2026, 3, 2)), next.PeriodOf(D(2026, 2, 2)));
        Assert.Equal(new BillingPeriod(D(2025, 12, 31), D(2026, 2, 2)), next.PeriodOf(D(2026, 2, 1)));
        Assert.Equal(D(2026, 2, 1), InvoiceSchedule.OnDay(1).InvoiceDateOf(new YearMonth(2026, 2)));
    }

    public static TheoryData<string, int> Schedules => new()
    {
        { "31st", 0 }, { "last day, next business day", 1 }, { "15th, previous business day", 2 }, { "1st with holidays", 3 },
    };

    private static InvoiceSchedule Schedule(int which) => which switch
    {
        0 => InvoiceSchedule.OnDay(31),
        1 => InvoiceSchedule.LastDayOfMonth(BusinessDayShift.NextBusinessDay),
        2 => InvoiceSchedule.OnDay(15, BusinessDayShift.PreviousBusinessDay),
        _ => InvoiceSchedule.OnDay(1, BusinessDayShift.NextBusinessDay).WithHolidays([D(2028, 1, 3), D(2028, 5, 1), D(2028, 5, 2)]),
    };

    [Theory]
    [MemberData(nameof(Schedules))]
    public void A_leap_year_of_periods_bills_every_day_exactly_once(string name, int which)
    {
        var schedule = Schedule(which);
        var periods = new List<BillingPeriod> { schedule.PeriodOf(D(2028, 1, 1)) };
        while (periods[^1].InvoiceDate <= D(2028, 12, 31))
        {
            periods.Add(schedule.PeriodBilledOn(schedule.NextInvoiceDate(periods[^1].InvoiceDate)));
        }

        // Twelve invoice dates a year: twelve periods, or thirteen when the year's first day is billed in the previous December's.
        Assert.True(periods.Count is 12 or 13, $"{name}: {periods.Count} periods");
        for (var i = 1; i < periods.Count; i++)
        {
            Assert.Equal(periods[i - 1].InvoiceDate, periods[i].Start);
            Assert.InRange(periods[i].Days, 25, 35);
        }

        for (var day = D(2028, 1, 1); day <= D(2028, 12, 31); day = day.PlusDays(1))
        {
            var period = schedule.PeriodOf(day);
            Assert.True(period.Start <= day && day < period.InvoiceDate, $"{name}: {day} is not in {period}");
            Assert.Single(periods, p => p.Start <= day && day < p.InvoiceDate);
        }

        Assert.Equal(Period.DaysBetween(periods[0].Start, periods[^1].InvoiceDate), periods.Sum(p => p.Days));
    }

    [Fact]
    public void A_period_across_a_DST_change_is_an_hour_longer_or_shorter_never_a_day()
    {
        var schedule = InvoiceSchedule.OnDay(1);
        var amsterdam = DateTimeZoneProviders.Tzdb["Europe/Amsterdam"];
        var newYork = DateTimeZoneProviders.Tzdb["America/New_York"];

        var spring = schedule.PeriodBilledOn(D(2026, 4, 1));
        var autumn = schedule.PeriodBilledOn(D(2026, 12, 1));

        Assert.Equal(31, spring.Days);
        Assert.Equal(Duration.FromDays(31) - Duration.FromHours(1), spring.ToInterval(amsterdam).Duration);
        Assert.Equal(Duration.FromDays(30) + Duration.FromHours(1), autumn.ToInterval(newYork).Duration);
        Assert.Equal(Duration.FromDays(31), spring.ToInterval(DateTimeZone.Utc).Duration);
    }

    [Fact]
    public void The_running_period_is_read_in_the_instance_zone()
    {
        var schedule = InvoiceSchedule.OnDay(1);
        var instant = Instant.FromUtc(2026, 3, 31, 23, 30);

        Assert.Equal(new BillingPeriod(D(2026, 3, 1), D(2026, 4, 1)), schedule.PeriodAt(instant, DateTimeZone.Utc));
        Assert.Equal(new BillingPeriod(D(2026, 4, 1), D(2026, 5, 1)), schedule.PeriodAt(instant, DateTimeZoneProviders.Tzdb["Pacific/Auckland"]));
    }

    [Fact]
    public void Bad_schedules_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => InvoiceSchedule.OnDay(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => InvoiceSchedule.OnDay(32));
        Assert.Throws<ArgumentOutOfRangeException>(() => InvoiceSchedule.OnDay(1, (BusinessDayShift)9));
        Assert.Throws<ArgumentNullException>(() => InvoiceSchedule.OnDay(1).WithHolidays(null!));
        var notInvoiceDate = Assert.Throws<ArgumentException>(() => InvoiceSchedule.OnDay(15).PeriodBilledOn(D(2026, 3, 14)));
        Assert.Contains("2026-03-15", notInvoiceDate.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(UsageRounding.Up, 10.1, 11)]
    [InlineData(UsageRounding.Up, 10.0, 10)]
    [InlineData(UsageRounding.Down, 10.9, 10)]
    [InlineData(UsageRounding.Nearest, 10.5, 11)]
    [InlineData(UsageRounding.Nearest, 10.49, 10)]
    [InlineData(UsageRounding.Up, 0.0, 0)]
    public void Usage_becomes_whole_units_by_the_rounding_rule(UsageRounding rounding, double usage, int units) =>
        Assert.Equal(units, new UsageUnits { Rounding = rounding }.UnitsFor((decimal)usage));

    [Fact]
    public void Units_are_held_between_the_floor_and_the_ceiling_after_the_unit_size()
    {
        var perTerabyte = new UsageUnits { UnitSize = 1024m, Floor = 1, Ceiling = 5 };

        Assert.Equal(1, perTerabyte.UnitsFor(0m));
        Assert.Equal(2, perTerabyte.UnitsFor(1025m));
        Assert.Equal(5, perTerabyte.UnitsFor(100_000m));
        Assert.Equal(3, perTerabyte.UnitsFor(3072.0));
    }

    [Fact]
    public void Bad_usage_and_bad_rules_are_refused()
    {
        var units = new UsageUnits();

        Assert.Throws<ArgumentOutOfRangeException>(() => units.UnitsFor(-0.5m));
        Assert.Throws<ArgumentOutOfRangeException>(() => units.UnitsFor(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => units.UnitsFor(double.PositiveInfinity));
        Assert.Throws<ArgumentOutOfRangeException>(() => units.UnitsFor(1e30));
        Assert.Throws<ArgumentOutOfRangeException>(() => units with { UnitSize = 0m });
        Assert.Throws<ArgumentOutOfRangeException>(() => units with { Floor = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => units with { Rounding = (UsageRounding)7 });
        var inverted = Assert.Throws<InvalidOperationException>(() => (units with { Floor = 6, Ceiling = 5 }).UnitsFor(1m));
        Assert.Contains("above its ceiling", inverted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Usage_beyond_what_a_decimal_holds_is_refused_as_out_of_range()
    {
        var perThousandth = new UsageUnits { UnitSize = 0.001m };

        // 1e26 is a decimal, but 1e26 / 0.001 is not; 2^96 is the double nearest decimal.MaxValue, and above it.
        Assert.Equal("usage", Assert.Throws<ArgumentOutOfRangeException>(() => perThousandth.UnitsFor(1e26m)).ParamName);
        Assert.Equal("usage", Assert.Throws<ArgumentOutOfRangeException>(() => perThousandth.UnitsFor(1e26)).ParamName);
        Assert.Equal("usage", Assert.Throws<ArgumentOutOfRangeException>(() => new UsageUnits().UnitsFor(Math.Pow(2, 96))).ParamName);
        Assert.Equal("usage", Assert.Throws<ArgumentOutOfRangeException>(() => new UsageUnits().UnitsFor(-1e30)).ParamName);
        Assert.Equal("usage", Assert.Throws<ArgumentOutOfRangeException>(() => new UsageUnits().UnitsFor(decimal.MaxValue)).ParamName);
        Assert.Equal(5, perThousandth.UnitsFor(0.005m));
    }

    [Fact]
    public void Holidays_that_leave_no_business_day_for_28_days_in_a_row_are_refused()
    {
        // 1 and 2 July 2028 are a weekend: with holidays from the 3rd to the 27th, 27 days in a row are off; the 28th is a Friday.
        var july = Enumerable.Range(3, 25).Select(day => D(2028, 7, day)).ToList();
        var schedule = InvoiceSchedule.OnDay(1, BusinessDayShift.NextBusinessDay).WithHolidays(july);

        Assert.Equal(D(2028, 7, 28), schedule.InvoiceDateOf(new YearMonth(2028, 7)));
        var periods = new List<BillingPeriod> { schedule.PeriodOf(D(2028, 1, 1)) };
        while (periods[^1].InvoiceDate <= D(2028, 12, 31))
        {
            periods.Add(schedule.PeriodBilledOn(schedule.NextInvoiceDate(periods[^1].InvoiceDate)));
        }

        for (var day = D(2028, 1, 1); day <= D(2028, 12, 31); day = day.PlusDays(1))
        {
            Assert.Single(periods, p => p.Start <= day && day < p.InvoiceDate);
        }

        // One day more (the weekend after joins the run: 30 days), or a year of holidays, is refused as it is given.
        var longer = Assert.Throws<ArgumentException>(() => InvoiceSchedule.OnDay(1, BusinessDayShift.NextBusinessDay).WithHolidays([.. july, D(2028, 7, 28)]));
        Assert.Equal("holidays", longer.ParamName);
        Assert.Contains("from 2028-07-01", longer.Message, StringComparison.Ordinal);
        var year = Assert.Throws<ArgumentException>(() => InvoiceSchedule.LastDayOfMonth(BusinessDayShift.PreviousBusinessDay).WithHolidays(Enumerable.Range(0, 400).Select(i => D(2026, 1, 1).PlusDays(i))));
        Assert.Equal("holidays", year.ParamName);
        // Without a shift, holidays move nothing, but the schedule is the same either way: refused alike.
        Assert.Throws<ArgumentException>(() => InvoiceSchedule.OnDay(1).WithHolidays([.. july, D(2028, 7, 28)]));
    }

    [Fact]
    public void Dates_at_the_ends_of_the_iso_calendar_are_refused_naming_the_argument()
    {
        var schedule = InvoiceSchedule.OnDay(31, BusinessDayShift.NextBusinessDay);

        Assert.Equal("date", Assert.Throws<ArgumentOutOfRangeException>(() => schedule.NextInvoiceDate(LocalDate.MaxIsoValue)).ParamName);
        Assert.Equal("date", Assert.Throws<ArgumentOutOfRangeException>(() => schedule.PreviousInvoiceDate(LocalDate.MinIsoValue)).ParamName);
        Assert.Equal("date", Assert.Throws<ArgumentOutOfRangeException>(() => schedule.PeriodOf(LocalDate.MaxIsoValue)).ParamName);
        Assert.Equal("invoiceDate", Assert.Throws<ArgumentOutOfRangeException>(() => schedule.PeriodBilledOn(LocalDate.MinIsoValue)).ParamName);
        Assert.Equal("month", Assert.Throws<ArgumentOutOfRangeException>(() => schedule.InvoiceDateOf(new YearMonth(9999, 12))).ParamName);
        Assert.Equal("now", Assert.Throws<ArgumentOutOfRangeException>(() => schedule.PeriodAt(Instant.MaxValue, DateTimeZone.Utc)).ParamName);

        // The first and last days of the range still have their periods.
        foreach (var day in new[] { D(1, 1, 1), D(9998, 12, 31) })
        {
            var period = schedule.PeriodOf(day);
            Assert.True(period.Start <= day && day < period.InvoiceDate, $"{day} is not in {period}");
        }
    }
}

/// <summary>A schedule changed mid-period: the period across the change runs from the old schedule's last date to the new one's first.</summary>
public sealed class InvoiceCalendarTests
{
    private static LocalDate D(int year, int month, int day) => new(year, month, day);

    [Fact]
    public void A_later_invoice_day_shortens_the_period_across_the_change_and_an_earlier_one_lengthens_it()
    {
        // From the 15th to the 1st, changed on 10 March: 15 February, then 1 April (15 March is no longer a date).
        var earlier = new InvoiceCalendar(InvoiceSchedule.OnDay(15)).ChangedOn(D(2026, 3, 10), InvoiceSchedule.OnDay(1));
        Assert.Equal(new BillingPeriod(D(2026, 2, 15), D(2026, 4, 1)), earlier.PeriodOf(D(2026, 3, 20)));
        Assert.Equal(45, earlier.PeriodOf(D(2026, 3, 20)).Days);
        Assert.Equal(new BillingPeriod(D(2026, 1, 15), D(2026, 2, 15)), earlier.PeriodOf(D(2026, 2, 1)));
        Assert.Equal(new BillingPeriod(D(2026, 4, 1), D(2026, 5, 1)), earlier.PeriodOf(D(2026, 4, 1)));
        Assert.Throws<ArgumentException>(() => earlier.PeriodBilledOn(D(2026, 3, 15)));

        // From the 1st to the 20th, changed on 5 March: 1 March, then 20 March.
        var later = new InvoiceCalendar(InvoiceSchedule.OnDay(1)).ChangedOn(D(2026, 3, 5), InvoiceSchedule.OnDay(20));
        Assert.Equal(new BillingPeriod(D(2026, 3, 1), D(2026, 3, 20)), later.PeriodOf(D(2026, 3, 2)));
        Assert.Equal(new BillingPeriod(D(2026, 3, 20), D(2026, 4, 20)), later.PeriodOf(D(2026, 3, 20)));
        Assert.Equal(InvoiceSchedule.OnDay(1).DayOfMonth, later.ScheduleOn(D(2026, 3, 4)).DayOfMonth);
        Assert.Equal(20, later.ScheduleOn(D(2026, 3, 5)).DayOfMonth);
    }

    [Fact]
    public void Across_two_changes_in_a_leap_year_every_day_is_billed_exactly_once()
    {
        var calendar = new InvoiceCalendar(InvoiceSchedule.OnDay(31))
            .ChangedOn(D(2028, 2, 15), InvoiceSchedule.OnDay(10, BusinessDayShift.NextBusinessDay))
            .ChangedOn(D(2028, 8, 1), InvoiceSchedule.LastDayOfMonth(BusinessDayShift.PreviousBusinessDay));

        var periods = new List<BillingPeriod> { calendar.PeriodOf(D(2028, 1, 1)) };
        while (periods[^1].InvoiceDate <= D(2028, 12, 31))
        {
            periods.Add(calendar.PeriodBilledOn(calendar.NextInvoiceDate(periods[^1].InvoiceDate)));
        }

        for (var i = 1; i < periods.Count; i++)
        {
            Assert.Equal(periods[i - 1].InvoiceDate, periods[i].Start);
            Assert.True(periods[i].Days > 0);
        }

        for (var day = D(2028, 1, 1); day <= D(2028, 12, 31); day = day.PlusDays(1))
        {
            Assert.Single(periods, p => p.Start <= day && day < p.InvoiceDate);
            Assert.Equal(periods.Single(p => p.Start <= day && day < p.InvoiceDate), calendar.PeriodOf(day));
        }

        // 31 January (old), then 10 March (2028-03-10 is a Friday): February 10 came before the change.
        Assert.Equal(new BillingPeriod(D(2028, 1, 31), D(2028, 3, 10)), calendar.PeriodOf(D(2028, 2, 20)));
    }

    [Fact]
    public void Changes_out_of_order_are_refused()
    {
        var calendar = new InvoiceCalendar(InvoiceSchedule.OnDay(1)).ChangedOn(D(2026, 5, 1), InvoiceSchedule.OnDay(15));

        Assert.Throws<ArgumentException>(() => calendar.ChangedOn(D(2026, 4, 1), InvoiceSchedule.OnDay(20)));
        Assert.Throws<ArgumentException>(() => calendar.ChangedOn(D(2026, 5, 1), InvoiceSchedule.OnDay(20)));
        Assert.Throws<ArgumentNullException>(() => new InvoiceCalendar(null!));
    }

    [Fact]
    public void Dates_at_the_ends_of_the_iso_calendar_are_refused_naming_the_argument()
    {
        var calendar = new InvoiceCalendar(InvoiceSchedule.OnDay(1)).ChangedOn(D(2026, 5, 1), InvoiceSchedule.OnDay(31, BusinessDayShift.PreviousBusinessDay));

        Assert.Equal("date", Assert.Throws<ArgumentOutOfRangeException>(() => calendar.NextInvoiceDate(LocalDate.MaxIsoValue)).ParamName);
        Assert.Equal("date", Assert.Throws<ArgumentOutOfRangeException>(() => calendar.PreviousInvoiceDate(LocalDate.MinIsoValue)).ParamName);
        Assert.Equal("date", Assert.Throws<ArgumentOutOfRangeException>(() => calendar.PeriodOf(LocalDate.MaxIsoValue)).ParamName);
        Assert.Equal("invoiceDate", Assert.Throws<ArgumentOutOfRangeException>(() => calendar.PeriodBilledOn(LocalDate.MinIsoValue)).ParamName);
        Assert.Equal("from", Assert.Throws<ArgumentOutOfRangeException>(() => calendar.ChangedOn(LocalDate.MaxIsoValue, InvoiceSchedule.OnDay(2))).ParamName);

        foreach (var day in new[] { D(1, 1, 1), D(9998, 12, 31) })
        {
            var period = calendar.PeriodOf(day);
            Assert.True(period.Start <= day && day < period.InvoiceDate, $"{day} is not in {period}");
        }
    }
}
