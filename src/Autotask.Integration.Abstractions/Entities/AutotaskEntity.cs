using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Autotask.Integration.Entities;

/// <summary>
/// The base of every Autotask entity model. Every entity has a numeric <see cref="Id"/> assigned by Autotask.
/// </summary>
/// <remarks>
/// Models are immutable records. Properties that Autotask may omit or return as <c>null</c> are nullable.
/// A record the client read keeps the JSON Autotask sent, every field of it: fields this model does not declare (an
/// instance is often newer than the models) and values it could not convert (read as <c>null</c>) are there, through
/// <see cref="GetJsonAsRead"/>, and <c>ReplaceAsync</c> sends them back unchanged. A copy made with <c>with</c> keeps it;
/// equality and <see cref="object.ToString"/> leave it out.
/// The set of entities is the SDK's: a type outside it cannot derive from this one, because the client only knows
/// the URLs and capabilities of its own: one model per entity of Autotask's REST API, generated from its published
/// description. What an entity supports is a compile-time fact, told by <see cref="IQueryableEntity"/>,
/// <see cref="ICreatableEntity"/>, <see cref="IUpdatableEntity"/>, <see cref="IReplaceableEntity"/> and
/// <see cref="IDeletableEntity"/>. Entities the models lack are reached by name through <c>IAutotaskClient.Entities</c>.
/// </remarks>
public abstract record AutotaskEntity
{
    /// <summary>Only the SDK's entities derive from this type.</summary>
    private protected AutotaskEntity()
    {
    }

    // The record's JSON as Autotask sent it (UTF-8), set by FromJson when the client read it; null for a record made in code.
    private byte[]? _jsonAsRead;

    /// <summary>The Autotask id of the entity; <c>0</c> for an entity that has not been created yet (and then not sent).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long Id { get; init; }

    /// <summary>
    /// The record exactly as Autotask sent it when the client read it: every field, including those this model does not
    /// declare and values it could not convert (which its properties hold as <c>null</c>); <c>null</c> for a record made
    /// in code. A copy made with <c>with</c> keeps what the original was read as, so this does not show changes made since.
    /// </summary>
    /// <returns>A JSON object, parsed anew on each call, or <c>null</c>.</returns>
    /// <example><c>company.GetJsonAsRead()?.TryGetProperty("companyCategoryID", out var category)</c> reads a field the model lacks.</example>
    public JsonElement? GetJsonAsRead()
    {
        if (_jsonAsRead is null)
        {
            return null;
        }

        var reader = new Utf8JsonReader(_jsonAsRead);
        return JsonElement.ParseValue(ref reader);
    }

    /// <summary>
    /// Reads a record from its JSON, one object as Autotask sends it, and keeps that JSON as what the record was read
    /// from (<see cref="GetJsonAsRead"/>), as the client does with every record it reads: a replace of the record, or
    /// of a copy made with <c>with</c>, then sends every field of it back but those changed. For records that reach you
    /// as JSON some other way, such as a webhook's payload or a cache.
    /// </summary>
    /// <typeparam name="T">The entity model.</typeparam>
    /// <param name="json">The record's JSON object (UTF-8).</param>
    /// <param name="typeInfo">The serialiser metadata to read the model with.</param>
    /// <returns>The record, or <c>null</c> for a JSON <c>null</c>.</returns>
    /// <exception cref="JsonException">The JSON is not a record the model can hold.</exception>
    public static T? FromJson<T>(ReadOnlySpan<byte> json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo) where T : AutotaskEntity
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        var record = JsonSerializer.Deserialize(json, typeInfo);
        if (record is not null)
        {
            record._jsonAsRead = json.ToArray();
        }

        return record;
    }

    /// <summary>Whether two records hold the same values; what they were read from does not count.</summary>
    /// <param name="other">The record to compare with.</param>
    public virtual bool Equals(AutotaskEntity? other) =>
        ReferenceEquals(this, other) || (other is not null && EqualityContract == other.EqualityContract && Id == other.Id);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(EqualityContract, Id);

    /// <summary>Prints the record's values (not the JSON it was read from).</summary>
    /// <param name="builder">Where the values are printed.</param>
    /// <returns>Whether anything was printed.</returns>
    protected virtual bool PrintMembers(StringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Append("Id = ").Append(Id);
        return true;
    }
}

/// <summary>An entity that can be queried, counted and read by id (<c>QueryAsync</c>, <c>CountAsync</c>, <c>GetAsync</c>).</summary>
public interface IQueryableEntity
{
}

/// <summary>An entity that API users can create (<c>CreateAsync</c>); an entity kept under a parent is created through its parent's URL.</summary>
public interface ICreatableEntity
{
}

/// <summary>An entity that API users can update field by field (<c>UpdateAsync</c>, an HTTP PATCH).</summary>
public interface IUpdatableEntity
{
}

/// <summary>
/// An entity that API users can replace whole (<c>ReplaceAsync</c>, an HTTP PUT): fields left out of the body become
/// empty in Autotask.
/// </summary>
public interface IReplaceableEntity
{
}

/// <summary>An entity that API users can delete (<c>DeleteAsync</c>); an entity kept under a parent is deleted through its parent's URL.</summary>
public interface IDeletableEntity
{
}

/// <summary>A user-defined field (UDF) value on an entity that supports them.</summary>
/// <param name="Name">The name of the user-defined field as configured in the Autotask instance.</param>
/// <param name="Value">The value as Autotask sends it, or <c>null</c> when the field is empty.</param>
public sealed record UserDefinedField(string Name, string? Value);

/// <summary>Implemented by entities that can carry user-defined fields.</summary>
public interface IHasUserDefinedFields
{
    /// <summary>The user-defined fields of the entity, or <c>null</c> when Autotask sent none.</summary>
    IReadOnlyList<UserDefinedField>? UserDefinedFields { get; }
}

/// <summary>Helpers for reading user-defined fields.</summary>
public static class UserDefinedFieldExtensions
{
    /// <summary>
    /// Returns the value of the user-defined field named <paramref name="name"/> (compared ignoring case),
    /// or <c>null</c> when the entity has no such field or the field is empty.
    /// </summary>
    /// <param name="entity">The entity to read.</param>
    /// <param name="name">The user-defined field's name.</param>
    public static string? GetUserDefinedField(this IHasUserDefinedFields entity, string name)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(name);
        if (entity.UserDefinedFields is null)
        {
            return null;
        }

        foreach (var field in entity.UserDefinedFields)
        {
            if (string.Equals(field.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return field.Value;
            }
        }

        return null;
    }
}
