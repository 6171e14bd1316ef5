using System.Text.Json;
using System.Text.Json.Serialization;

namespace Autotask.Integration.Entities;

/// <summary>
/// The serialiser's converter for a boolean that Autotask keeps as the number 1 or 0 (such as <c>Contacts.isActive</c>):
/// read from 1/0, true/false or their strings (anything else reads as null), written as 1 or 0. Models name it on
/// such properties; filters and patches on them send 1 or 0 too.
/// </summary>
public sealed class NumericBooleanConverter : JsonConverter<bool?>
{
    /// <inheritdoc />
    public override bool? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.True:
                return true;
            case JsonTokenType.False:
                return false;
            case JsonTokenType.Number:
                return reader.TryGetInt32(out var number) && number is 0 or 1 ? number == 1 : null;
            case JsonTokenType.String:
                var text = reader.GetString()!.Trim();
                return text switch
                {
                    "1" => true,
                    "0" => false,
                    _ => bool.TryParse(text, out var parsed) ? parsed : null,
                };
            default:
                reader.Skip();
                return null;
        }
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, bool? value, JsonSerializerOptions options) => writer.WriteNumberValue(value!.Value ? 1 : 0);
}
