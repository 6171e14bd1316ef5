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
}

/// <summary>
/// A record or a query was refused before it was sent, because the Autotask instance's field metadata
/// (<c>{entity}/entityInformation/fields</c>) says a field of it is wrong: unknown, required and missing, read-only,
/// or not an active picklist value. Nothing was sent; correct the field and send again.
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
