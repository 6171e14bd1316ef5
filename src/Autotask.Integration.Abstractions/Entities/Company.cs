using System.Text.Json.Serialization;
using NodaTime;

namespace Autotask.Integration.Entities;

/// <summary>An Autotask company (the <c>Companies</c> entity): a customer, prospect, vendor or other organisation.</summary>
public sealed partial record Company
{
    /// <summary>The company's name.</summary>
    public string? CompanyName { get; init; }

    /// <summary>The company number, free text set by the Autotask instance.</summary>
    public string? CompanyNumber { get; init; }

    /// <summary>
    /// The company type picklist value. In a default Autotask instance 1 is Customer, 2 Lead, 3 Prospect, 4 Dead,
    /// 6 Cancellation, 7 Vendor and 8 Partner; see <see cref="CompanyType"/>. Resolve labels through the
    /// picklist metadata when an instance differs.
    /// </summary>
    public CompanyType? CompanyType { get; init; }

    /// <summary>The company classification picklist value.</summary>
    public int? Classification { get; init; }

    /// <summary>Whether the company is active.</summary>
    public bool? IsActive { get; init; }

    /// <summary>The main phone number.</summary>
    public string? Phone { get; init; }

    /// <summary>An alternate phone number.</summary>
    public string? AlternatePhone1 { get; init; }

    /// <summary>A second alternate phone number.</summary>
    public string? AlternatePhone2 { get; init; }

    /// <summary>The fax number.</summary>
    public string? Fax { get; init; }

    /// <summary>The company's web site.</summary>
    public string? WebAddress { get; init; }

    /// <summary>The first address line.</summary>
    public string? Address1 { get; init; }

    /// <summary>The second address line.</summary>
    public string? Address2 { get; init; }

    /// <summary>The city.</summary>
    public string? City { get; init; }

    /// <summary>The state, province or region.</summary>
    public string? State { get; init; }

    /// <summary>The postal code.</summary>
    public string? PostalCode { get; init; }

    /// <summary>The id of the country.</summary>
    [JsonPropertyName("countryID")]
    public long? CountryId { get; init; }

    /// <summary>The id of the resource that owns the company.</summary>
    [JsonPropertyName("ownerResourceID")]
    public long? OwnerResourceId { get; init; }

    /// <summary>The id of the parent company, if any.</summary>
    [JsonPropertyName("parentCompanyID")]
    public long? ParentCompanyId { get; init; }

    /// <summary>The id of the company's currency in a multi-currency instance.</summary>
    [JsonPropertyName("currencyID")]
    public long? CurrencyId { get; init; }

    /// <summary>When the company was created.</summary>
    public Instant? CreateDate { get; init; }

    /// <summary>When there was last activity on the company.</summary>
    public Instant? LastActivityDate { get; init; }

    /// <summary>When a tracked field of the company was last changed.</summary>
    public Instant? LastTrackedModifiedDateTime { get; init; }

    /// <inheritdoc />
    public IReadOnlyList<UserDefinedField>? UserDefinedFields { get; init; }
}
