using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Autotask.Integration.Entities;

namespace Autotask.Integration.Json;

/// <summary>
/// Reads Autotask's answers that carry records (a query page, a record by id) so that each record keeps the JSON it
/// was read from (<see cref="AutotaskEntity.GetJsonAsRead"/>), and writes the body of a replace from it: the answer is
/// buffered and read in one pass, and every record's bytes are copied out of it once.
/// </summary>
internal static class EntityJson
{
    private const int FirstBufferSize = 16 * 1024;

    private static readonly JsonTypeInfo<PageDetails> PageDetailsTypeInfo = AutotaskJsonContext.Default.PageDetails;

    /// <summary>Reads an answer's body to its end and hands it to <paramref name="read"/>, in a buffer rented for the call.</summary>
    public static async ValueTask<TResult> ReadBufferedAsync<TResult>(Stream stream, Func<ReadOnlyMemory<byte>, TResult> read, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(FirstBufferSize);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(checked(buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read1 = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read1 == 0)
                {
                    break;
                }

                length += read1;
            }

            return read(buffer.AsMemory(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A page of records (<c>{"items":[...],"pageDetails":{...}}</c>), each keeping its JSON.</summary>
    /// <exception cref="JsonException">The answer is not such an object, or a record holds a value its model cannot.</exception>
    public static QueryResponse<T> ReadPage<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> typeInfo) where T : AutotaskEntity
    {
        var reader = new Utf8JsonReader(json);
        var page = new QueryResponse<T>();
        StartObject(ref reader);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (NameIs(ref reader, "items"u8, "items"))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    var items = new List<T>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        items.Add(ReadRecord(ref reader, json, typeInfo, $"$.items[{items.Count}]")!);
                    }

                    page.Items = items;
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    throw new JsonException("The JSON value could not be converted: items is not an array.");
                }
            }
            else if (NameIs(ref reader, "pageDetails"u8, "pageDetails"))
            {
                reader.Read();
                page.PageDetails = JsonSerializer.Deserialize(ref reader, PageDetailsTypeInfo);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return page;
    }

    /// <summary>
    /// A record by id (<c>{"item":{...}}</c>): <see cref="ItemAnswer{T}.Missing"/> only for Autotask's own "no such
    /// record" (<c>{"item":null}</c>); an answer without <c>item</c> is neither a record nor missing.
    /// </summary>
    public static ItemAnswer<T> ReadItem<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> typeInfo) where T : AutotaskEntity
    {
        var reader = new Utf8JsonReader(json);
        StartObject(ref reader);
        var answer = new ItemAnswer<T>(null, Missing: false, HasItem: false);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (NameIs(ref reader, "item"u8, "item"))
            {
                reader.Read();
                var item = ReadRecord(ref reader, json, typeInfo, "$.item");
                answer = new ItemAnswer<T>(item, Missing: item is null, HasItem: true);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return answer;
    }

    /// <summary>
    /// The body of a replace (PUT) of <paramref name="entity"/>: a record made in code sends its own fields; a record the
    /// client read sends every field it was read with (those the model lacks and values it could not convert included),
    /// changed only where the model's values differ from what the model made of that JSON: those go as the model holds
    /// them, a value set to <c>null</c> as <c>null</c>.
    /// </summary>
    public static JsonObject ReplaceBody<T>(T entity, JsonTypeInfo<T> typeInfo) where T : AutotaskEntity
    {
        var current = JsonSerializer.SerializeToNode(entity, typeInfo)!.AsObject();
        if (entity.GetJsonAsRead() is not { } asRead)
        {
            return current;
        }

        var body = JsonObject.Create(asRead)!;
        var readAs = JsonSerializer.SerializeToNode(asRead.Deserialize(typeInfo)!, typeInfo)!.AsObject();
        foreach (var name in current.Select(p => p.Key).Union(readAs.Select(p => p.Key)).ToList())
        {
            var now = current[name];
            if (JsonNode.DeepEquals(now, readAs[name]))
            {
                // Not changed since it was read: it goes as Autotask sent it.
                continue;
            }

            foreach (var sent in body.Where(p => p.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(p => p.Key).ToList())
            {
                body.Remove(sent);
            }

            body[name] = now?.DeepClone();
        }

        return body;
    }

    /// <summary>A record at the reader (on its first token), keeping its JSON; <c>null</c> for a JSON null.</summary>
    private static T? ReadRecord<T>(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, JsonTypeInfo<T> typeInfo, string path) where T : AutotaskEntity
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        var start = checked((int)reader.TokenStartIndex);
        reader.Skip();
        T? record;
        try
        {
            record = AutotaskEntity.FromJson(json[start..checked((int)reader.BytesConsumed)], typeInfo);
        }
        catch (JsonException ex) when (ex.Path is { } within)
        {
            // The path within the record, placed in the answer (as reading the whole answer would have named it).
            throw new JsonException(ex.Message, path + within.TrimStart('$'), ex.LineNumber, ex.BytePositionInLine, ex.InnerException ?? ex);
        }

        return record;
    }

    private static void StartObject(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("The answer was empty.");
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("The JSON value could not be converted: the answer is not a JSON object.");
        }
    }

    // Autotask's names, read as the serialiser reads them: exactly, or ignoring case.
    private static bool NameIs(ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8, string name) =>
        reader.ValueTextEquals(utf8) || string.Equals(reader.GetString(), name, StringComparison.OrdinalIgnoreCase);
}

/// <summary>What a read by id answered: the record, Autotask's own "no such record", or neither (no <c>item</c> at all).</summary>
internal readonly record struct ItemAnswer<T>(T? Item, bool Missing, bool HasItem) where T : class;
