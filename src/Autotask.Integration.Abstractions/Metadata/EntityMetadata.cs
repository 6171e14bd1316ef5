namespace Autotask.Integration.Metadata;

/// <summary>What the API user may do with an entity, from <c>{entity}/entityInformation</c>.</summary>
public sealed record EntityInformation
{
    /// <summary>The entity's name.</summary>
    public string? Name { get; init; }

    /// <summary>Whether entities of this kind can be created.</summary>
    public bool CanCreate { get; init; }

    /// <summary>Whether entities of this kind can be updated.</summary>
    public bool CanUpdate { get; init; }

    /// <summary>Whether entities of this kind can be queried.</summary>
    public bool CanQuery { get; init; }

    /// <summary>Whether entities of this kind can be deleted.</summary>
    public bool CanDelete { get; init; }

    /// <summary>Whether the entity has user-defined fields.</summary>
    public bool HasUserDefinedFields { get; init; }

    /// <summary>Whether the entity supports webhook callouts.</summary>
    public bool SupportsWebhookCallouts { get; init; }
}

/// <summary>A field of an entity, from <c>{entity}/entityInformation/fields</c> or <c>.../userDefinedFields</c>.</summary>
public sealed record EntityField
{
    /// <summary>The field's name as used in queries and bodies.</summary>
    public string Name { get; init; } = "";

    /// <summary>The data type, such as <c>integer</c>, <c>string</c>, <c>datetime</c>, <c>boolean</c>, <c>decimal</c>.</summary>
    public string? DataType { get; init; }

    /// <summary>The maximum length of a string field.</summary>
    public int? Length { get; init; }

    /// <summary>Whether a value is required on create.</summary>
    public bool IsRequired { get; init; }

    /// <summary>Whether the field is read-only.</summary>
    public bool IsReadOnly { get; init; }

    /// <summary>Whether the field can be used in query filters.</summary>
    public bool IsQueryable { get; init; }

    /// <summary>Whether the field references another entity.</summary>
    public bool IsReference { get; init; }

    /// <summary>The referenced entity's name, when <see cref="IsReference"/> is set.</summary>
    public string? ReferenceEntityType { get; init; }

    /// <summary>Whether the field is a picklist.</summary>
    public bool IsPickList { get; init; }

    /// <summary>The picklist's values, when <see cref="IsPickList"/> is set.</summary>
    public IReadOnlyList<PicklistValue>? PicklistValues { get; init; }

    /// <summary>The name of the field whose value selects this picklist's values (for dependent picklists such as sub-issue type).</summary>
    public string? PicklistParentValueField { get; init; }
}

/// <summary>One value of a picklist field. Picklist values differ per Autotask instance.</summary>
public sealed record PicklistValue
{
    /// <summary>The stored value, as Autotask sends it (a number written as a string for most picklists).</summary>
    public string Value { get; init; } = "";

    /// <summary>The label an administrator sees.</summary>
    public string Label { get; init; } = "";

    /// <summary>Whether the value is the field's default.</summary>
    public bool IsDefaultValue { get; init; }

    /// <summary>The position of the value in lists.</summary>
    public int SortOrder { get; init; }

    /// <summary>The value of the parent picklist this value belongs to, for dependent picklists.</summary>
    public string? ParentValue { get; init; }

    /// <summary>Whether the value can still be chosen.</summary>
    public bool IsActive { get; init; }

    /// <summary>Whether the value is built into Autotask.</summary>
    public bool IsSystem { get; init; }
}

/// <summary>How an Autotask instance's fields of an entity differ from the SDK's model of it (<c>IAutotaskClient.GetFieldDriftAsync</c>).</summary>
public sealed record EntityFieldDrift
{
    /// <summary>The entity's name, such as <c>Companies</c>.</summary>
    public required string Entity { get; init; }

    /// <summary>The instance's fields that the model does not declare: read records keep them, replaces send them back as read.</summary>
    public required IReadOnlyList<EntityField> NotInModel { get; init; }

    /// <summary>The model's fields (wire names) that the instance does not have: sending a value in one is refused by Autotask.</summary>
    public required IReadOnlyList<string> NotInInstance { get; init; }

    /// <summary>Whether the instance and the model differ at all.</summary>
    public bool HasDrift => NotInModel.Count > 0 || NotInInstance.Count > 0;
}
