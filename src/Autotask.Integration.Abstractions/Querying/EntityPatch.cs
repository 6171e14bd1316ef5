using System.Linq.Expressions;
using Autotask.Integration.Entities;

namespace Autotask.Integration.Querying;

/// <summary>
/// An immutable partial update (PATCH) of one entity: only the fields set here are sent; every other field keeps
/// its value in Autotask.
/// </summary>
/// <typeparam name="T">The entity model.</typeparam>
/// <example><c>new EntityPatch&lt;Ticket&gt;(ticketId).Set(t =&gt; t.Status, 5)</c></example>
public sealed class EntityPatch<T> where T : AutotaskEntity, IUpdatableEntity
{
    private readonly Dictionary<string, object?> _changes;

    /// <summary>Creates an empty patch of the entity with the given id.</summary>
    /// <param name="id">The entity's id.</param>
    /// <param name="parentId">
    /// For entities updated under a parent (ticket notes under their ticket, contract services and contacts under
    /// their contract or company), the parent's id.
    /// </param>
    public EntityPatch(long id, long? parentId = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(id, 1);
        if (parentId is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(parentId), parentId, "The parent id must be positive.");
        }

        Id = id;
        ParentId = parentId;
        _changes = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
    }

    private EntityPatch(EntityPatch<T> source, string field, object? value)
    {
        Id = source.Id;
        ParentId = source.ParentId;
        _changes = new Dictionary<string, object?>(source._changes, StringComparer.OrdinalIgnoreCase) { [field] = value };
    }

    /// <summary>The id of the entity to update.</summary>
    public long Id { get; }

    /// <summary>The id of the parent entity, for entities updated under a parent.</summary>
    public long? ParentId { get; }

    /// <summary>The fields to change, by the name Autotask uses, and their new values.</summary>
    public IReadOnlyDictionary<string, object?> Changes => _changes;

    /// <summary>Sets a field of the model to a new value.</summary>
    /// <typeparam name="TValue">The field's type.</typeparam>
    /// <param name="field">The field, such as <c>t =&gt; t.Status</c>.</param>
    /// <param name="value">The new value; <c>null</c> clears the field.</param>
    public EntityPatch<T> Set<TValue>(Expression<Func<T, TValue>> field, TValue value)
    {
        var property = FieldNames.PropertyOf(field);
        var name = FieldNames.Of(property);
        if (string.Equals(name, "id", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException("The id cannot be changed.", nameof(field));
        }

        // Changes hold what goes on the wire (a picklist value as its id, a boolean Autotask keeps as a number as 1 or 0).
        return new EntityPatch<T>(this, name, FieldNames.ToWire(property, value));
    }

    /// <summary>Sets a user-defined field to a new value.</summary>
    /// <param name="name">The user-defined field's name.</param>
    /// <param name="value">The new value, or <c>null</c> to clear it.</param>
    public EntityPatch<T> SetUserDefinedField(string name, string? value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var fields = _changes.TryGetValue("userDefinedFields", out var existing) && existing is IReadOnlyList<UserDefinedField> list
            ? list.Where(f => !string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase)).ToList()
            : [];
        fields.Add(new UserDefinedField(name, value));
        return new EntityPatch<T>(this, "userDefinedFields", fields.AsReadOnly());
    }
}
