using NodaTime;

namespace Autotask.Integration.Sync;

/// <summary>Where an invoice date that falls on a weekend or holiday moves.</summary>
public enum BusinessDayShift
{
    /// <summary>It stays where it falls.</summary>
    None,

    /// <summary>To the next business day (it may move into the next month).</summary>
    NextBusinessDay,

    /// <summary>To the previous business day (it may move into the previous month).</summary>
    PreviousBusinessDay,
}

/// <summary>
/// The days billed on one invoice date: from the previous invoice date (included) to this one (excluded), as calendar
/// days of the Autotask instance's time zone.
/// </summary>
/// <param name="Start">The first day billed: the previous invoice date.</param>
/// <param name="InvoiceDate">The invoice date; the last day billed is the day before.</param>
public sealed record BillingPeriod(LocalDate Start, LocalDate InvoiceDate)
{
    /// <summary>How many days are billed.</summary>
    public int Days => Period.DaysBetween(Start, InvoiceDate);

    /// <summary>The period as instants, from the start of its first day to the start of the invoice date, in the zone: a DST change inside makes it an hour longer or shorter, never a day.</summary>
    /// <param name="zone">The Autotask instance's time zone.</param>
    public Interval ToInterval(DateTimeZone zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return new Interval(zone.AtStartOfDay(Start).ToInstant(), zone.AtStartOfDay(InvoiceDate).ToInstant());
    }
}

/// <summary>
/// A partner's invoice schedule: a day of the month (a day the month lacks, such as the 31st in February, means the
/// month's last day) or the last day, moved off weekends (Saturday, Sunday) and holidays if asked. Dates are calendar
/// dates of the Autotask instance's time zone, from 0001-01-01 to 9998-12-31 (the months around a date must exist in
/// the ISO calendar). Immutable.
/// </summary>
public sealed class InvoiceSchedule
{
    /// <summary>
    /// The most days in a row that may be off (weekends and holidays): an invoice date moves by at most this many, so
    /// it never reaches the next month's (at least 28 days later), and the months around a date hold its neighbours.
    /// </summary>
    private const int MostDaysOff = 27;

    private static readonly HashSet<LocalDate> NoHolidays = [];

    private static readonly LocalDate FirstDate = new(1, 1, 1);

    private static readonly LocalDate LastDate = new(9998, 12, 31);

    private static readonly Instant FirstInstant = Instant.FromUtc(1, 1, 2, 0, 0);

    private static readonly Instant LastInstant = Instant.FromUtc(9998, 12, 31, 0, 0);

    private InvoiceSchedule(int? dayOfMonth, BusinessDayShift shift, IReadOnlySet<LocalDate> holidays)
    {
        DayOfMonth = dayOfMonth;
        Shift = shift;
        Holidays = holidays;
    }

    /// <summary>The day of the month, or <c>null</c> for the last day.</summary>
    public int? DayOfMonth { get; }

    /// <summary>Where an invoice date on a weekend or holiday moves.</summary>
    public BusinessDayShift Shift { get; }

    /// <summary>The days that are not business days besides Saturdays and Sundays.</summary>
    public IReadOnlySet<LocalDate> Holidays { get; }

    /// <summary>Invoices on a day of the month; in a month without that day (the 31st in April), on its last day.</summary>
    /// <param name="dayOfMonth">1 to 31.</param>
    /// <param name="shift">Where a date on a weekend or holiday moves.</param>
    /// <exception cref="ArgumentOutOfRangeException">The day is not 1 to 31.</exception>
    public static InvoiceSchedule OnDay(int dayOfMonth, BusinessDayShift shift = BusinessDayShift.None)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dayOfMonth, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dayOfMonth, 31);
        return new InvoiceSchedule(dayOfMonth, CheckShift(shift), NoHolidays);
    }

    /// <summary>Invoices on the last day of each month.</summary>
    /// <param name="shift">Where a date on a weekend or holiday moves.</param>
    public static InvoiceSchedule LastDayOfMonth(BusinessDayShift shift = BusinessDayShift.None) => new(null, CheckShift(shift), NoHolidays);

    /// <summary>The same schedule with these holidays (replacing any it had).</summary>
    /// <param name="holidays">The holidays, such as the MSP's from Autotask's <c>Holidays</c>.</param>
    /// <exception cref="ArgumentException">
    /// With the weekends, the holidays leave no business day for 28 days or more in a row: an invoice date moved off
    /// them could pass the next month's.
    /// </exception>
    public InvoiceSchedule WithHolidays(IEnumerable<LocalDate> holidays)
    {
        ArgumentNullException.ThrowIfNull(holidays);
        var schedule = new InvoiceSchedule(DayOfMonth, Shift, holidays.ToHashSet());
        // In date order, the first holiday of a run too long is met first, and only a weekend can come before it.
        foreach (var holiday in schedule.Holidays.Order())
        {
            var (first, last) = (holiday, holiday);
            while (Period.DaysBetween(first, last) < MostDaysOff && first > LocalDate.MinIsoValue && !schedule.IsBusinessDay(first.PlusDays(-1)))
            {
                first = first.PlusDays(-1);
            }

            while (Period.DaysBetween(first, last) < MostDaysOff && last < LocalDate.MaxIsoValue && !schedule.IsBusinessDay(last.PlusDays(1)))
            {
                last = last.PlusDays(1);
            }

            if (Period.DaysBetween(first, last) >= MostDaysOff)
            {
                throw new ArgumentException(
                    $"The holidays, with the weekends, leave no business day for {MostDaysOff + 1} days or more in a row from {first:uuuu-MM-dd}: an invoice date moved off them could pass the next month's. At most {MostDaysOff} days in a row may be off.",
                    nameof(holidays));
            }
        }

        return schedule;
    }

    /// <summary>The invoice date that belongs to a month (moved off a weekend or holiday, possibly into a neighbouring month).</summary>
    /// <param name="month">The month.</param>
    /// <exception cref="ArgumentOutOfRangeException">The month is before year 1 or after year 9998.</exception>
    public LocalDate InvoiceDateOf(YearMonth month)
    {
        if (month.Year is < 1 or > 9998)
        {
            throw new ArgumentOutOfRangeException(nameof(month), month, "An invoice schedule works with the months of years 1 to 9998.");
        }

        return DateOf(month);
    }

    /// <summary>The first invoice date after a day.</summary>
    /// <param name="date">The day.</param>
    /// <exception cref="ArgumentOutOfRangeException">The day is before 0001-01-01 or after 9998-12-31.</exception>
    public LocalDate NextInvoiceDate(LocalDate date) => Next(InRange(date, nameof(date)));

    /// <summary>The last invoice date on or before a day.</summary>
    /// <param name="date">The day.</param>
    /// <exception cref="ArgumentOutOfRangeException">The day is before 0001-01-01 or after 9998-12-31.</exception>
    public LocalDate PreviousInvoiceDate(LocalDate date) => Previous(InRange(date, nameof(date)));

    /// <summary>The period billed on an invoice date: from the previous invoice date to this one.</summary>
    /// <param name="invoiceDate">An invoice date of this schedule.</param>
    /// <exception cref="ArgumentException">The date is not one of the schedule's invoice dates.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The date is before 0001-01-01 or after 9998-12-31.</exception>
    public BillingPeriod PeriodBilledOn(LocalDate invoiceDate) => BilledOn(InRange(invoiceDate, nameof(invoiceDate)));

    /// <summary>The period a day's usage is billed in: the one whose invoice date is the first after the day.</summary>
    /// <param name="date">The day of the usage.</param>
    /// <exception cref="ArgumentOutOfRangeException">The day is before 0001-01-01 or after 9998-12-31.</exception>
    public BillingPeriod PeriodOf(LocalDate date) => BilledOn(Next(InRange(date, nameof(date))));

    /// <summary>The period running at an instant, by the calendar date in the instance's time zone.</summary>
    /// <param name="now">The instant.</param>
    /// <param name="instanceZone">The Autotask instance's time zone.</param>
    /// <exception cref="ArgumentOutOfRangeException">The instant is before 0001-01-02 or from 9998-12-31 (UTC) on.</exception>
    public BillingPeriod PeriodAt(Instant now, DateTimeZone instanceZone)
    {
        ArgumentNullException.ThrowIfNull(instanceZone);
        // The instants at the ends of time have no date in some zones; a day's margin keeps the date of every zone in range.
        if (now < FirstInstant || now >= LastInstant)
        {
            throw new ArgumentOutOfRangeException(nameof(now), now, $"{now} is outside the instants an invoice schedule works with (0001-01-02 to 9998-12-31 UTC).");
        }

        return BilledOn(Next(now.InZone(instanceZone).Date));
    }

    /// <summary>Whether a day is a business day: not a Saturday, Sunday or holiday.</summary>
    /// <param name="date">The day.</param>
    public bool IsBusinessDay(LocalDate date) =>
        date.DayOfWeek is not (IsoDayOfWeek.Saturday or IsoDayOfWeek.Sunday) && !Holidays.Contains(date);

    /// <summary>Describes the schedule.</summary>
    public override string ToString() =>
        (DayOfMonth is { } day ? $"day {day} of each month" : "last day of each month") +
        (Shift == BusinessDayShift.None ? "" : Shift == BusinessDayShift.NextBusinessDay ? ", next business day" : ", previous business day") +
        (Holidays.Count == 0 ? "" : $", {Holidays.Count} holidays");

    /// <summary>A date the schedule works with, or the argument refused.</summary>
    internal static LocalDate InRange(LocalDate date, string parameterName) =>
        date >= FirstDate && date <= LastDate
            ? date
            : throw new ArgumentOutOfRangeException(parameterName, date, $"{date:uuuu-MM-dd} is outside the dates an invoice schedule works with (0001-01-01 to 9998-12-31).");

    /// <summary><see cref="NextInvoiceDate"/> without the range check: the months around a date in range exist.</summary>
    internal LocalDate Next(LocalDate date)
    {
        // A shift moves a date by at most MostDaysOff days, so the month before and the two after hold the answer.
        var month = date.ToYearMonth();
        for (var offset = -1; offset <= 2; offset++)
        {
            var candidate = DateOf(Add(month, offset));
            if (candidate > date)
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"No invoice date follows {date:uuuu-MM-dd} within two months.");
    }

    /// <summary><see cref="PreviousInvoiceDate"/> without the range check.</summary>
    internal LocalDate Previous(LocalDate date)
    {
        var month = date.ToYearMonth();
        for (var offset = 1; offset >= -2; offset--)
        {
            var candidate = DateOf(Add(month, offset));
            if (candidate <= date)
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"No invoice date comes on or before {date:uuuu-MM-dd} within two months.");
    }

    private BillingPeriod BilledOn(LocalDate invoiceDate)
    {
        if (Previous(invoiceDate) != invoiceDate)
        {
            throw new ArgumentException($"{invoiceDate:uuuu-MM-dd} is not an invoice date of this schedule; the next one is {Next(invoiceDate):uuuu-MM-dd}.", nameof(invoiceDate));
        }

        return new BillingPeriod(Previous(invoiceDate.PlusDays(-1)), invoiceDate);
    }

    private LocalDate DateOf(YearMonth month)
    {
        var last = month.OnDayOfMonth(1).PlusMonths(1).PlusDays(-1).Day;
        var date = month.OnDayOfMonth(Math.Min(DayOfMonth ?? last, last));
        if (Shift == BusinessDayShift.None)
        {
            return date;
        }

        var step = Shift == BusinessDayShift.NextBusinessDay ? 1 : -1;
        while (!IsBusinessDay(date))
        {
            date = date.PlusDays(step);
        }

        return date;
    }

    private static YearMonth Add(YearMonth month, int months) => month.OnDayOfMonth(1).PlusMonths(months).ToYearMonth();

    private static BusinessDayShift CheckShift(BusinessDayShift shift) =>
        Enum.IsDefined(shift) ? shift : throw new ArgumentOutOfRangeException(nameof(shift), shift, "Not a business day shift.");
}

/// <summary>How a usage figure becomes whole units.</summary>
public enum UsageRounding
{
    /// <summary>Up to the next whole unit: 10.1 GB in units of 1 GB is 11.</summary>
    Up,

    /// <summary>Down to the whole unit below: 10.9 is 10.</summary>
    Down,

    /// <summary>To the nearest whole unit, halves away from zero: 10.5 is 11, 10.4 is 10.</summary>
    Nearest,
}

/// <summary>
/// Turns a period's usage (such as GB stored) into the units a contract service bills: divided by the unit's size,
/// rounded, then held between a floor and a ceiling.
/// </summary>
public sealed record UsageUnits
{
    /// <summary>How usage is rounded to whole units. Default: <see cref="UsageRounding.Up"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a rounding.</exception>
    public UsageRounding Rounding
    {
        get;
        init => field = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Not a rounding.");
    } = UsageRounding.Up;

    /// <summary>How much usage one unit is (such as 1 for a unit per GB, 1024 for a unit per TB of GB figures). Default: 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Zero or less.</exception>
    public decimal UnitSize
    {
        get;
        init => field = value > 0m ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "A unit's size must be more than zero.");
    } = 1m;

    /// <summary>The fewest units billed, whatever the usage (such as a minimum commitment); <c>null</c> for none.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public int? Floor
    {
        get;
        init => field = value is null or >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The floor must be zero or more.");
    }

    /// <summary>The most units billed (such as a cap in the partner's agreement); <c>null</c> for none.</summary>
    public int? Ceiling { get; init; }

    /// <summary>The units for a usage figure.</summary>
    /// <param name="usage">The usage of the period; zero or more.</param>
    /// <exception cref="ArgumentOutOfRangeException">The usage is negative or too large for units.</exception>
    /// <exception cref="InvalidOperationException">The floor is above the ceiling.</exception>
    public int UnitsFor(decimal usage)
    {
        if (Floor is { } floor && Ceiling is { } ceiling && floor > ceiling)
        {
            throw new InvalidOperationException($"The usage rule's floor ({floor}) is above its ceiling ({ceiling}).");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(usage);
        decimal units;
        try
        {
            units = usage / UnitSize;
        }
        catch (OverflowException)
        {
            // A unit smaller than 1 can make a usage that is a decimal into a number of units that is none.
            throw new ArgumentOutOfRangeException(nameof(usage), usage, $"The usage is too large to bill as units of {UnitSize}.");
        }

        var rounded = Rounding switch
        {
            UsageRounding.Up => decimal.Ceiling(units),
            UsageRounding.Down => decimal.Floor(units),
            _ => decimal.Round(units, MidpointRounding.AwayFromZero),
        };
        if (rounded > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(usage), usage, "The usage is too large to bill as units.");
        }

        var result = (int)rounded;
        if (Floor is { } min && result < min)
        {
            result = min;
        }

        if (Ceiling is { } max && result > max)
        {
            result = max;
        }

        return result;
    }

    /// <summary>The units for a usage figure given as a floating-point number (as many vendors' APIs report it).</summary>
    /// <param name="usage">The usage; zero or more, and a number.</param>
    /// <exception cref="ArgumentOutOfRangeException">The usage is not a number, infinite, negative or too large.</exception>
    /// <exception cref="InvalidOperationException">The floor is above the ceiling.</exception>
    public int UnitsFor(double usage)
    {
        if (double.IsNaN(usage) || double.IsInfinity(usage))
        {
            throw new ArgumentOutOfRangeException(nameof(usage), usage, "The usage is not a finite number.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(usage);
        // decimal.MaxValue as a double rounds up to 2^96, which no decimal holds: that bound is refused too.
        if (usage >= (double)decimal.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(usage), usage, "The usage is too large to bill as units.");
        }

        return UnitsFor((decimal)usage);
    }
}

/// <summary>
/// A partner's invoice schedules over time: a schedule changed from a date on governs the invoice dates from that
/// date on, and the one before it those before. The period that spans a change runs from the last invoice date of the
/// old schedule to the first of the new one, so it is longer or shorter than usual, and no day is billed twice or
/// left out. Immutable.
/// </summary>
public sealed class InvoiceCalendar
{
    private readonly (LocalDate From, InvoiceSchedule Schedule)[] _segments;

    /// <summary>A calendar with one schedule, always.</summary>
    /// <param name="schedule">The schedule.</param>
    public InvoiceCalendar(InvoiceSchedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        _segments = [(LocalDate.MinIsoValue, schedule)];
    }

    private InvoiceCalendar((LocalDate From, InvoiceSchedule Schedule)[] segments) => _segments = segments;

    /// <summary>The same calendar with a schedule that governs invoice dates from a day on.</summary>
    /// <param name="from">The first day the new schedule governs; after every earlier change.</param>
    /// <param name="schedule">The new schedule.</param>
    /// <exception cref="ArgumentException">The day is not after the last change.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The day is before 0001-01-01 or after 9998-12-31.</exception>
    public InvoiceCalendar ChangedOn(LocalDate from, InvoiceSchedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        from = InvoiceSchedule.InRange(from, nameof(from));
        if (from <= _segments[^1].From)
        {
            throw new ArgumentException($"A schedule change must come after the last one ({_segments[^1].From:uuuu-MM-dd}); {from:uuuu-MM-dd} does not.", nameof(from));
        }

        return new InvoiceCalendar([.. _segments, (from, schedule)]);
    }

    /// <summary>The schedule in force on a day.</summary>
    /// <param name="date">The day.</param>
    public InvoiceSchedule ScheduleOn(LocalDate date) => _segments.Last(s => s.From <= date).Schedule;

    /// <summary>The first invoice date after a day.</summary>
    /// <param name="date">The day.</param>
    /// <exception cref="ArgumentOutOfRangeException">The day is before 0001-01-01 or after 9998-12-31.</exception>
    public LocalDate NextInvoiceDate(LocalDate date) => Next(InvoiceSchedule.InRange(date, nameof(date)));

    /// <summary>The last invoice date on or before a day.</summary>
    /// <param name="date">The day.</param>
    /// <exception cref="ArgumentOutOfRangeException">The day is before 0001-01-01 or after 9998-12-31.</exception>
    public LocalDate PreviousInvoiceDate(LocalDate date) => Previous(InvoiceSchedule.InRange(date, nameof(date)));

    /// <summary>The period billed on an invoice date: from the previous invoice date (of whichever schedule) to this one.</summary>
    /// <param name="invoiceDate">An invoice date of the calendar.</param>
    /// <exception cref="ArgumentException">The date is not one of the calendar's invoice dates.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The date is before 0001-01-01 or after 9998-12-31.</exception>
    public BillingPeriod PeriodBilledOn(LocalDate invoiceDate) => BilledOn(InvoiceSchedule.InRange(invoiceDate, nameof(invoiceDate)));

    /// <summary>The period a day's usage is billed in.</summary>
    /// <param name="date">The day of the usage.</param>
    /// <exception cref="ArgumentOutOfRangeException">The day is before 0001-01-01 or after 9998-12-31.</exception>
    public BillingPeriod PeriodOf(LocalDate date) => BilledOn(Next(InvoiceSchedule.InRange(date, nameof(date))));

    private LocalDate Next(LocalDate date)
    {
        for (var i = 0; i < _segments.Length; i++)
        {
            var (from, schedule) = _segments[i];
            var candidate = schedule.Next(from > date ? from.PlusDays(-1) : date);
            if (i == _segments.Length - 1 || candidate < _segments[i + 1].From)
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("A calendar always has a schedule.");
    }

    private LocalDate Previous(LocalDate date)
    {
        for (var i = _segments.Length - 1; i >= 0; i--)
        {
            var (from, schedule) = _segments[i];
            var until = i == _segments.Length - 1 ? date : LocalDate.Min(date, _segments[i + 1].From.PlusDays(-1));
            var candidate = schedule.Previous(until);
            if (i == 0 || candidate >= from)
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("A calendar always has a schedule.");
    }

    private BillingPeriod BilledOn(LocalDate invoiceDate)
    {
        if (Previous(invoiceDate) != invoiceDate)
        {
            throw new ArgumentException($"{invoiceDate:uuuu-MM-dd} is not an invoice date of this calendar; the next one is {Next(invoiceDate):uuuu-MM-dd}.", nameof(invoiceDate));
        }

        return new BillingPeriod(Previous(invoiceDate.PlusDays(-1)), invoiceDate);
    }
}
