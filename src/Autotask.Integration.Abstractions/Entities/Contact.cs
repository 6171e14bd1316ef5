using System.Text.Json.Serialization;
using NodaTime;

namespace Autotask.Integration.Entities;

/// <summary>An Autotask contact (the <c>Contacts</c> entity): a person at a company. Created under <c>Companies/{id}/Contacts</c>.</summary>
public sealed partial record Contact
{
    /// <summary>The id of the contact's company.</summary>
    [JsonPropertyName("companyID")]
    public long? CompanyId { get; init; }

    /// <summary>The first name.</summary>
    public string? FirstName { get; init; }

    /// <summary>The last name.</summary>
    public string? LastName { get; init; }

    /// <summary>The job title.</summary>
    public string? Title { get; init; }

    /// <summary>The primary e-mail address.</summary>
    public string? EmailAddress { get; init; }

    /// <summary>The second e-mail address.</summary>
    public string? EmailAddress2 { get; init; }

    /// <summary>The third e-mail address.</summary>
    public string? EmailAddress3 { get; init; }

    /// <summary>The phone number.</summary>
    public string? Phone { get; init; }

    /// <summary>The mobile phone number.</summary>
    public string? MobilePhone { get; init; }

    /// <summary>Whether the contact is active. Autotask keeps this field as the number 1 or 0; the SDK reads and writes it, and filters on it, as that number.</summary>
    [JsonConverter(typeof(NumericBooleanConverter))]
    public bool? IsActive { get; init; }

    /// <summary>Whether this is the company's primary contact.</summary>
    public bool? PrimaryContact { get; init; }

    /// <summary>When the contact was created.</summary>
    public Instant? CreateDate { get; init; }

    /// <summary>When the contact was last modified.</summary>
    public Instant? LastModifiedDate { get; init; }

    /// <inheritdoc />
    public IReadOnlyList<UserDefinedField>? UserDefinedFields { get; init; }
}
