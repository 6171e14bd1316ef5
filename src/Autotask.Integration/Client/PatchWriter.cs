using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Autotask.Integration.Entities;
using Autotask.Integration.Json;
using Autotask.Integration.Querying;

namespace Autotask.Integration.Client;

/// <summary>Writes a PATCH body: the id and only the changed fields.</summary>
internal static class PatchWriter
{
    public static byte[] Write<T>(EntityPatch<T> patch, EntityDescriptor<T> descriptor) where T : AutotaskEntity, IUpdatableEntity
    {
        var context = AutotaskJsonContext.Default;
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", patch.Id);
            foreach (var (field, value) in patch.Changes)
            {
                if (!descriptor.FieldNames.Contains(field))
                {
                    throw new ArgumentException($"'{field}' is not a field of {descriptor.Path}.", nameof(patch));
                }

                writer.WritePropertyName(field);
                switch (value)
                {
                    case null:
                        writer.WriteNullValue();
                        break;
                    case IReadOnlyList<UserDefinedField> fields:
                        JsonSerializer.Serialize(writer, fields, context.IReadOnlyListUserDefinedField);
                        break;
                    case Enum e:
                        writer.WriteNumberValue(Convert.ToInt64(e, CultureInfo.InvariantCulture));
                        break;
                    default:
                        var typeInfo = context.GetTypeInfo(value.GetType())
                            ?? throw new ArgumentException($"The value of '{field}' has a type ({value.GetType().Name}) that cannot be sent to Autotask.", nameof(patch));
                        JsonSerializer.Serialize(writer, value, typeInfo);
                        break;
                }
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
