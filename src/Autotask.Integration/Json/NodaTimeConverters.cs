using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using NodaTime;
using NodaTime.Text;

// Compiled into the simulator package as well (shared source, not a dependency on this package's internals).
#if AUTOTASK_SIMULATOR
namespace Autotask.Integration.Testing.Json;
#else
namespace Autotask.Integration.Json;
#endif

/// <summary>
/// Reads Autotask date-times, which are UTC and ISO 8601 but often come without a zone designator
/// (<c>2026-11-25T10:15:00.123</c>), and writes them in UTC with a <c>Z</c>.
/// </summary>
internal sealed class InstantConverter : JsonConverter<Instant>
{
    private static readonly InstantPattern OutputPattern = InstantPattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'");

    // ISO 8601's basic offset (+0000), which some tenants send in place of the extended one (+00:00).
    private static readonly OffsetDateTimePattern BasicOffsetPattern = OffsetDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm':'ss.FFFFFFFFFo<+HHmm>");

    public override Instant Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return Parse(text) ?? throw new JsonException($"'{text}' is not an ISO 8601 date-time.", new FormatException("Not an ISO 8601 date-time."));
    }

    public override void Write(Utf8JsonWriter writer, Instant value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Format(value));

    public static string Format(Instant value) => OutputPattern.Format(value);

    public static Instant? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var timeStart = text.IndexOf('T', StringComparison.Ordinal);
        if (text.EndsWith('Z') || text.EndsWith('z'))
        {
            var result = InstantPattern.ExtendedIso.Parse(text.ToUpperInvariant());
            return result.Success ? result.Value : null;
        }

        if (timeStart > 0 && text.AsSpan(timeStart).IndexOfAny('+', '-') > 0)
        {
            var result = OffsetDateTimePattern.ExtendedIso.Parse(text);
            if (!result.Success)
            {
                result = BasicOffsetPattern.Parse(text);
            }

            return result.Success ? result.Value.ToInstant() : null;
        }

        var local = LocalDateTimePattern.ExtendedIso.Parse(text);
        if (local.Success)
        {
            return local.Value.InUtc().ToInstant();
        }

        var dateOnly = LocalDatePattern.Iso.Parse(text);
        return dateOnly.Success ? dateOnly.Value.AtMidnight().InUtc().ToInstant() : null;
    }
}

/// <summary>
/// Reads an optional Autotask date or date-time as tolerantly as the other scalars: a value that is not one (<c>""</c>,
/// <c>"n/a"</c>, a number) reads as <c>null</c> instead of failing its page; a record the client read keeps the value
/// as sent, so a replace sends it back. Written as the strict converter writes it.
/// </summary>
internal abstract class TolerantTextConverter<T> : JsonConverter<T?>
    where T : struct
{
    public override bool HandleNull => false;

    public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return null;
        }

        return Parse(reader.GetString());
    }

    public override void Write(Utf8JsonWriter writer, T? value, JsonSerializerOptions options) => writer.WriteStringValue(Format(value!.Value));

    protected abstract T? Parse(string? text);

    protected abstract string Format(T value);
}

/// <summary>An optional date-time, read as <see cref="TolerantTextConverter{T}"/> reads (the basic offset <c>+0000</c> included).</summary>
internal sealed class TolerantInstantConverter : TolerantTextConverter<Instant>
{
    protected override Instant? Parse(string? text) => InstantConverter.Parse(text);

    protected override string Format(Instant value) => InstantConverter.Format(value);
}

/// <summary>An optional date, read as <see cref="TolerantTextConverter{T}"/> reads.</summary>
internal sealed class TolerantLocalDateConverter : TolerantTextConverter<LocalDate>
{
    protected override LocalDate? Parse(string? text) => LocalDateConverter.Parse(text);

    protected override string Format(LocalDate value) => LocalDateConverter.Format(value);
}

/// <summary>
/// Reads and writes Autotask date-only fields (contract dates, effective dates). Autotask sends them as a date at
/// midnight and does not convert them between time zones, so only the calendar date is kept.
/// </summary>
internal sealed class LocalDateConverter : JsonConverter<LocalDate>
{
    public override LocalDate Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return Parse(text) ?? throw new JsonException($"'{text}' is not an ISO 8601 date.", new FormatException("Not an ISO 8601 date."));
    }

    public override void Write(Utf8JsonWriter writer, LocalDate value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Format(value));

    /// <summary>Formats a date the way Autotask's date-only fields take it: the date at midnight, no zone.</summary>
    public static string Format(LocalDate value) =>
        value.ToString("uuuu'-'MM'-'dd", CultureInfo.InvariantCulture) + "T00:00:00";

    public static LocalDate? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length < 10)
        {
            return null;
        }

        var result = LocalDatePattern.Iso.Parse(text[..10]);
        return result.Success ? result.Value : null;
    }
}
