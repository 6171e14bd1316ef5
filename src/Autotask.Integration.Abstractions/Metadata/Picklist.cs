using System.Globalization;

namespace Autotask.Integration.Metadata;

/// <summary>
/// The values of one picklist field of one Autotask instance, with lookups from label to value and back.
/// Labels are compared ignoring case and surrounding white space.
/// </summary>
public sealed class Picklist
{
    private readonly Dictionary<string, PicklistValue> _byLabel;
    private readonly Dictionary<string, PicklistValue> _byValue;

    /// <summary>Creates a picklist from its values.</summary>
    /// <param name="entity">The entity the field belongs to, such as <c>Tickets</c>.</param>
    /// <param name="field">The field's name, such as <c>priority</c>.</param>
    /// <param name="values">The picklist's values.</param>
    public Picklist(string entity, string field, IEnumerable<PicklistValue> values)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(values);
        Entity = entity;
        Field = field;
        Values = values.OrderBy(v => v.SortOrder).ToArray();
        _byLabel = new Dictionary<string, PicklistValue>(StringComparer.OrdinalIgnoreCase);
        _byValue = new Dictionary<string, PicklistValue>(StringComparer.Ordinal);
        foreach (var value in Values)
        {
            // Active values win over inactive ones that share a label.
            var label = value.Label.Trim();
            if (!_byLabel.TryGetValue(label, out var existing) || (!existing.IsActive && value.IsActive))
            {
                _byLabel[label] = value;
            }

            _byValue.TryAdd(value.Value, value);
        }
    }

    /// <summary>The entity the field belongs to.</summary>
    public string Entity { get; }

    /// <summary>The field's name.</summary>
    public string Field { get; }

    /// <summary>Every value, active or not, in sort order.</summary>
    public IReadOnlyList<PicklistValue> Values { get; }

    /// <summary>The labels of the active values, in sort order.</summary>
    public IReadOnlyList<string> ActiveLabels => Values.Where(v => v.IsActive).Select(v => v.Label).ToArray();

    /// <summary>Finds the value with the given label, or returns <c>null</c>.</summary>
    /// <param name="label">The label, compared ignoring case and surrounding white space.</param>
    public PicklistValue? FindByLabel(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        return _byLabel.TryGetValue(label.Trim(), out var value) ? value : null;
    }

    /// <summary>Finds the value with the given stored value, or returns <c>null</c>.</summary>
    /// <param name="value">The stored value, such as <c>"4"</c>.</param>
    public PicklistValue? FindByValue(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return _byValue.TryGetValue(value, out var found) ? found : null;
    }

    /// <summary>Returns the active value with the given label.</summary>
    /// <param name="label">The label, compared ignoring case and surrounding white space.</param>
    /// <exception cref="PicklistLabelNotFoundException">No active value has that label; the exception lists the labels that exist.</exception>
    public PicklistValue GetByLabel(string label)
    {
        var value = FindByLabel(label);
        if (value is null || !value.IsActive)
        {
            throw new PicklistLabelNotFoundException(Entity, Field, label, ActiveLabels);
        }

        return value;
    }

    /// <summary>Returns the numeric id of the active value with the given label.</summary>
    /// <param name="label">The label, compared ignoring case and surrounding white space.</param>
    /// <exception cref="PicklistLabelNotFoundException">No active value has that label.</exception>
    /// <exception cref="FormatException">The picklist's values are not numbers.</exception>
    public int GetId(string label)
    {
        var value = GetByLabel(label);
        if (!int.TryParse(value.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id))
        {
            throw new FormatException($"The value '{value.Value}' of picklist {Entity}.{Field} is not a number; use GetByLabel to read it as text.");
        }

        return id;
    }

    /// <summary>Returns the label of the value with the given numeric id, or <c>null</c> when the picklist has no such value.</summary>
    /// <param name="id">The numeric value.</param>
    public string? GetLabel(int id) => FindByValue(id.ToString(CultureInfo.InvariantCulture))?.Label;
}

/// <summary>Thrown when a picklist label does not exist (or is inactive) in the Autotask instance.</summary>
public sealed class PicklistLabelNotFoundException : AutotaskException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="entity">The entity the field belongs to.</param>
    /// <param name="field">The picklist field.</param>
    /// <param name="label">The label that was not found.</param>
    /// <param name="availableLabels">The active labels the picklist has.</param>
    public PicklistLabelNotFoundException(string entity, string field, string label, IReadOnlyList<string> availableLabels)
        : base($"The Autotask picklist {entity}.{field} has no active value labelled '{label}'. " +
               $"Use one of: {(availableLabels.Count == 0 ? "(none)" : string.Join(", ", availableLabels.Select(l => $"'{l}'")))}.")
    {
        Entity = entity;
        Field = field;
        Label = label;
        AvailableLabels = availableLabels;
    }

    /// <summary>The entity the field belongs to.</summary>
    public string Entity { get; }

    /// <summary>The picklist field.</summary>
    public string Field { get; }

    /// <summary>The label that was not found.</summary>
    public string Label { get; }

    /// <summary>The active labels the picklist has.</summary>
    public IReadOnlyList<string> AvailableLabels { get; }
}
