using Autotask.Integration.Entities;
using System.Globalization;
using NodaTime;

namespace Autotask.Integration.Querying;

/// <summary>The kind of a <see cref="FilterValue"/>.</summary>
public enum FilterValueKind
{
    /// <summary>No value: used by the <c>exist</c> and <c>notExist</c> operators.</summary>
    None,

    /// <summary>A string.</summary>
    Text,

    /// <summary>A whole number.</summary>
    WholeNumber,

    /// <summary>A decimal number.</summary>
    DecimalNumber,

    /// <summary>A boolean, sent as <c>true</c> or <c>false</c>.</summary>
    Boolean,

    /// <summary>A point in time, sent in UTC.</summary>
    Instant,

    /// <summary>A calendar date, sent without time zone conversion.</summary>
    Date,

    /// <summary>A list of values, for the <c>in</c> and <c>notIn</c> operators.</summary>
    List,
}

/// <summary>
/// A value in a query filter. Converts implicitly from the types Autotask filters accept: <see cref="string"/>,
/// <see cref="int"/>, <see cref="long"/>, <see cref="decimal"/>, <see cref="bool"/>, NodaTime <see cref="NodaTime.Instant"/>
/// and <see cref="LocalDate"/>; lists are made with <see cref="List{T}(IEnumerable{T})"/>.
/// </summary>
public readonly struct FilterValue : IEquatable<FilterValue>
{
    private readonly object? _value;

    private FilterValue(FilterValueKind kind, object? value)
    {
        Kind = kind;
        _value = value;
    }

    /// <summary>The kind of value.</summary>
    public FilterValueKind Kind { get; }

    /// <summary>The value: a <see cref="string"/>, <see cref="long"/>, <see cref="decimal"/>, <see cref="bool"/>, <see cref="NodaTime.Instant"/>, <see cref="LocalDate"/>, a list of <see cref="FilterValue"/>, or <c>null</c> for <see cref="FilterValueKind.None"/>.</summary>
    public object? Value => _value;

    /// <summary>The list's items when <see cref="Kind"/> is <see cref="FilterValueKind.List"/>; otherwise empty.</summary>
    public IReadOnlyList<FilterValue> Items => _value as IReadOnlyList<FilterValue> ?? [];

    /// <summary>No value.</summary>
    public static FilterValue None => default;

    /// <summary>Creates a string value.</summary>
    /// <param name="value">The string; not <c>null</c>.</param>
    public static implicit operator FilterValue(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(FilterValueKind.Text, value);
    }

    /// <summary>Creates a whole-number value.</summary>
    /// <param name="value">The number.</param>
    public static implicit operator FilterValue(long value) => new(FilterValueKind.WholeNumber, value);

    /// <summary>Creates a whole-number value.</summary>
    /// <param name="value">The number.</param>
    public static implicit operator FilterValue(int value) => new(FilterValueKind.WholeNumber, (long)value);

    /// <summary>Creates a decimal value.</summary>
    /// <param name="value">The number.</param>
    public static implicit operator FilterValue(decimal value) => new(FilterValueKind.DecimalNumber, value);

    /// <summary>Creates a boolean value.</summary>
    /// <param name="value">The boolean.</param>
    public static implicit operator FilterValue(bool value) => new(FilterValueKind.Boolean, value);

    /// <summary>Creates a point-in-time value.</summary>
    /// <param name="value">The instant.</param>
    public static implicit operator FilterValue(Instant value) => new(FilterValueKind.Instant, value);

    /// <summary>Creates a calendar-date value.</summary>
    /// <param name="value">The date.</param>
    public static implicit operator FilterValue(LocalDate value) => new(FilterValueKind.Date, value);

    /// <summary>Creates a list value for the <c>in</c> and <c>notIn</c> operators.</summary>
    /// <typeparam name="T">The item type: one of the types a single value accepts.</typeparam>
    /// <param name="values">The items; none may be <c>null</c>.</param>
    /// <exception cref="ArgumentException">An item is <c>null</c>, a list, or of a type filters do not accept.</exception>
    public static FilterValue List<T>(IEnumerable<T> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var items = new List<FilterValue>();
        foreach (var value in values)
        {
            var item = From(value);
            if (item.Kind is FilterValueKind.None or FilterValueKind.List)
            {
                throw new ArgumentException("A list filter value cannot contain null or nested lists.", nameof(values));
            }

            items.Add(item);
        }

        return new(FilterValueKind.List, items.AsReadOnly());
    }

    /// <summary>Converts a value of one of the accepted types to a filter value.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="value">The value; <c>null</c> gives <see cref="None"/>.</param>
    /// <exception cref="ArgumentException">The type is not one that Autotask filters accept.</exception>
    public static FilterValue From<T>(T value) => value switch
    {
        null => None,
        FilterValue filterValue => filterValue,
        string s => s,
        long l => l,
        int i => i,
        short s16 => (long)s16,
        byte b => (long)b,
        bool b => b,
        decimal d => d,
        double d => Exactly(d, d.ToString("R", CultureInfo.InvariantCulture), x => x),
        float f => Exactly(f, f.ToString("R", CultureInfo.InvariantCulture), x => (float)x),
        Instant instant => instant,
        LocalDate date => date,
        IPicklistValue picklist => (long)picklist.Value,
        Enum e => Convert.ToInt64(e, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable => throw new ArgumentException("Use FilterValue.List (or the In / NotIn filters) for lists.", nameof(value)),
        _ => throw new ArgumentException($"Autotask filters do not accept values of type {value.GetType().Name}.", nameof(value)),
    };

    /// <summary>
    /// A binary floating-point value as the decimal it reads as, sent only when that is exact: a filter is never
    /// silently changed (1e-30 to 0, say), and NaN, infinities and numbers beyond decimal's range are refused.
    /// </summary>
    private static FilterValue Exactly(double value, string text, Func<double, double> narrow)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            throw new ArgumentException($"A filter value must be a finite number; {text} is not.", nameof(value));
        }

        if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var exact) ||
            narrow((double)exact) != narrow(value))
        {
            throw new ArgumentException($"The number {text} cannot be sent to Autotask exactly (a decimal holds at most 28 decimal places and about 7.9e28); pass a decimal value instead.", nameof(value));
        }

        return exact;
    }

    /// <inheritdoc />
    public bool Equals(FilterValue other)
    {
        if (Kind != other.Kind)
        {
            return false;
        }

#pragma warning disable RS0030 // Filter values are not secrets: equality of two lists, not a signature check.
        return Kind == FilterValueKind.List ? Items.SequenceEqual(other.Items) : Equals(_value, other._value);
#pragma warning restore RS0030
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is FilterValue other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, Kind == FilterValueKind.List ? Items.Count : _value?.GetHashCode() ?? 0);

    /// <summary>Compares two values for equality.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    public static bool operator ==(FilterValue left, FilterValue right) => left.Equals(right);

    /// <summary>Compares two values for inequality.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    public static bool operator !=(FilterValue left, FilterValue right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        FilterValueKind.None => "(none)",
        FilterValueKind.List => "[" + string.Join(", ", Items) + "]",
        _ => Convert.ToString(_value, CultureInfo.InvariantCulture) ?? "",
    };
}
