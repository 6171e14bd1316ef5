using Autotask.Integration.Entities;
using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

// Compiled into the simulator package as well (shared source, not a dependency on this package's internals).
#if AUTOTASK_SIMULATOR
namespace Autotask.Integration.Testing.Json;
#else
namespace Autotask.Integration.Json;
#endif

// Real tenants send the odd field in another JSON type than documented: a number where a string is modelled, a letter
// code where a number is, picklist values as numbers in one field and strings in the next. One such value must not fail
// a page of 500 records, so scalars are read tolerantly: converted where nothing is lost, otherwise read as null (the
// nullable fields) rather than guessed. A value no model field can hold still fails, without retries (see the client).

/// <summary>Reads a string from a JSON string, number or boolean (as written); anything else reads as null.</summary>
internal sealed class TolerantStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.Number:
                return Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan);
            case JsonTokenType.True:
                return "true";
            case JsonTokenType.False:
                return "false";
            default:
                reader.Skip();
                return null;
        }
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}

/// <summary>
/// Reads a nullable number from a JSON number or a numeric string, only when the value fits without loss (7.0 as an
/// int, not 7.5; nothing beyond the type's range); a value that is not one reads as null.
/// </summary>
/// <typeparam name="T">The number type: <see cref="int"/>, <see cref="long"/> or <see cref="decimal"/>.</typeparam>
internal sealed class TolerantNumberConverter<T> : JsonConverter<T?>
    where T : struct, INumber<T>
{
    public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                return Parse(Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan));
            case JsonTokenType.String:
                return Parse(reader.GetString()!);
            default:
                reader.Skip();
                return null;
        }
    }

    public override void Write(Utf8JsonWriter writer, T? value, JsonSerializerOptions options) =>
        writer.WriteNumberValue(decimal.CreateChecked(value!.Value));

    private static T? Parse(string text) =>
        T.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;
}

/// <summary>
/// Reads a nullable boolean as tolerantly as one Autotask keeps as a number (true/false, 1/0, or their strings;
/// anything else reads as null), and writes it as a JSON boolean.
/// </summary>
internal sealed class TolerantBooleanConverter : JsonConverter<bool?>
{
    private static readonly NumericBooleanConverter Reader = new();

    public override bool? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Reader.Read(ref reader, typeToConvert, options);

    public override void Write(Utf8JsonWriter writer, bool? value, JsonSerializerOptions options) => writer.WriteBooleanValue(value!.Value);
}

/// <summary>Reads a picklist value type from a number or a numeric string (anything else reads as null) and writes its id.</summary>
internal sealed class PicklistValueConverter<T> : JsonConverter<T?>
    where T : struct, IPicklistValue<T>
{
    private static readonly TolerantNumberConverter<int> Numbers = new();

    public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Numbers.Read(ref reader, typeof(int?), options) is { } id ? T.FromValue(id) : null;

    public override void Write(Utf8JsonWriter writer, T? value, JsonSerializerOptions options) =>
        writer.WriteNumberValue(value!.Value.Value);
}
