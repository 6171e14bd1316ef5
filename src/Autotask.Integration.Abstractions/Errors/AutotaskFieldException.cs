namespace Autotask.Integration;

/// <summary>What is wrong with a field of a record, by the Autotask instance's own field metadata.</summary>
public enum AutotaskFieldProblem
{
    /// <summary>The entity has no field of that name in this Autotask instance.</summary>
    UnknownField,

    /// <summary>The field is required and has no value.</summary>
    Required,

    /// <summary>The field is read-only: Autotask sets it.</summary>
    ReadOnly,

    /// <summary>The value is not one of the field's picklist values.</summary>
    NotAPicklistValue,

    /// <summary>The value is a picklist value an administrator has made inactive.</summary>
    InactivePicklistValue,

    /// <summary>
    /// The value is not of the field's data type: a string or a boolean for a number, a number with a fraction (or
    /// beyond its range) for an integer, anything but <c>true</c>/<c>false</c> for a boolean, a text that is not an
    /// ISO 8601 date-time for a date-time, anything but a string for a string, an object or an array for any field.
    /// </summary>
    WrongType,

    /// <summary>
    /// The string is longer than the field holds: its length in the instance's metadata, or, for a field whose metadata
    /// gives none, 100,000 characters. Characters are counted as Autotask stores them (UTF-16 code units, so a
    /// character outside the Basic Multilingual Plane, such as an emoji, counts as two).
    /// </summary>
    TooLong,

    /// <summary>The record holds the field twice, under names that differ only by case; which one Autotask would keep is unknown.</summary>
    DuplicateField,
}

/// <summary>
/// A record or a query was refused before it was sent, because the Autotask instance's field metadata
/// (<c>{entity}/entityInformation/fields</c>) says a field of it is wrong: unknown, required and missing, read-only,
/// not an active picklist value, a value of the wrong type, a string too long, or one field given twice. Nothing was
/// sent; correct the field and send again.
/// </summary>
public sealed class AutotaskFieldException : AutotaskException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the entity and the field.</param>
    /// <param name="entity">The entity, such as <c>ConfigurationItems</c>.</param>
    /// <param name="field">The field as Autotask names it.</param>
    /// <param name="problem">What is wrong with the field.</param>
    public AutotaskFieldException(string message, string entity, string field, AutotaskFieldProblem problem)
        : base(message)
    {
        Entity = entity;
        Field = field;
        Problem = problem;
    }

    /// <summary>The entity, such as <c>ConfigurationItems</c>.</summary>
    public string Entity { get; }

    /// <summary>The field as Autotask names it.</summary>
    public string Field { get; }

    /// <summary>What is wrong with the field.</summary>
    public AutotaskFieldProblem Problem { get; }
}
