using System.Text.Json.Serialization;
using NodaTime;

namespace Autotask.Integration.Entities;

/// <summary>An Autotask contract (the <c>Contracts</c> entity).</summary>
public sealed partial record Contract
{
    /// <summary>The id of the company the contract belongs to.</summary>
    [JsonPropertyName("companyID")]
    public long? CompanyId { get; init; }

    /// <summary>The contract's name.</summary>
    public string? ContractName { get; init; }

    /// <summary>The contract number.</summary>
    public string? ContractNumber { get; init; }

    /// <summary>The contract type picklist value; see <see cref="ContractType"/>. Recurring Service contracts are billed by units.</summary>
    public ContractType? ContractType { get; init; }

    /// <summary>The contract category picklist value.</summary>
    public int? ContractCategory { get; init; }

    /// <summary>The status: in a default instance 1 is Active and 0 Inactive; see <see cref="ContractStatus"/>.</summary>
    public ContractStatus? Status { get; init; }

    /// <summary>The first day of the contract, a calendar date in the Autotask instance's time zone.</summary>
    public LocalDate? StartDate { get; init; }

    /// <summary>The last day of the contract, a calendar date in the Autotask instance's time zone.</summary>
    public LocalDate? EndDate { get; init; }

    /// <summary>The description.</summary>
    public string? Description { get; init; }

    /// <summary>The id of the contract's contact.</summary>
    [JsonPropertyName("contactID")]
    public long? ContactId { get; init; }

    /// <summary>Whether this is the company's default contract.</summary>
    public bool? IsDefaultContract { get; init; }

    /// <summary>The estimated cost, in the instance's internal currency.</summary>
    public decimal? EstimatedCost { get; init; }

    /// <summary>The estimated revenue, in the instance's internal currency.</summary>
    public decimal? EstimatedRevenue { get; init; }

    /// <summary>The estimated hours.</summary>
    public decimal? EstimatedHours { get; init; }

    /// <summary>The purchase order number.</summary>
    public string? PurchaseOrderNumber { get; init; }

    /// <summary>The id of the service level agreement.</summary>
    [JsonPropertyName("serviceLevelAgreementID")]
    public long? ServiceLevelAgreementId { get; init; }

    /// <summary>The billing period type picklist value.</summary>
    public int? ContractPeriodType { get; init; }

    /// <summary>When the contract was last modified.</summary>
    public Instant? LastModifiedDateTime { get; init; }

    /// <inheritdoc />
    public IReadOnlyList<UserDefinedField>? UserDefinedFields { get; init; }
}

/// <summary>
/// A service line on a contract (the <c>ContractServices</c> entity). Created and updated under
/// <c>Contracts/{contractId}/Services</c>.
/// </summary>
public sealed partial record ContractService
{
    /// <summary>The id of the contract.</summary>
    [JsonPropertyName("contractID")]
    public long ContractId { get; init; }

    /// <summary>The id of the catalogue service.</summary>
    [JsonPropertyName("serviceID")]
    public long ServiceId { get; init; }

    /// <summary>The catalogue unit price at the time the service was added.</summary>
    public decimal? UnitPrice { get; init; }

    /// <summary>The unit price agreed on this contract, when it differs from the catalogue price.</summary>
    public decimal? AdjustedPrice { get; init; }

    /// <summary>The unit cost.</summary>
    public decimal? UnitCost { get; init; }

    /// <summary>The description printed on invoices.</summary>
    public string? InvoiceDescription { get; init; }

    /// <summary>An internal description.</summary>
    public string? InternalDescription { get; init; }

    /// <summary>The id of the quote item this service came from, if any.</summary>
    [JsonPropertyName("quoteItemID")]
    public long? QuoteItemId { get; init; }
}

/// <summary>
/// The units billed for a contract service in one period (the <c>ContractServiceUnits</c> entity). Read-only:
/// the place to read what Autotask currently bills.
/// </summary>
public sealed partial record ContractServiceUnit
{
    /// <summary>The id of the contract.</summary>
    [JsonPropertyName("contractID")]
    public long ContractId { get; init; }

    /// <summary>The id of the contract service.</summary>
    [JsonPropertyName("contractServiceID")]
    public long ContractServiceId { get; init; }

    /// <summary>The id of the catalogue service.</summary>
    [JsonPropertyName("serviceID")]
    public long? ServiceId { get; init; }

    /// <summary>The first day of the period.</summary>
    public LocalDate? StartDate { get; init; }

    /// <summary>The last day of the period.</summary>
    public LocalDate? EndDate { get; init; }

    /// <summary>The number of units billed in the period (whole units).</summary>
    public int Units { get; init; }

    /// <summary>The price per unit in the period.</summary>
    public decimal? Price { get; init; }

    /// <summary>The cost per unit in the period.</summary>
    public decimal? Cost { get; init; }

    /// <summary>When the period was approved and posted, if it was.</summary>
    public Instant? ApproveAndPostDate { get; init; }
}

/// <summary>
/// A change of the units of a contract service from an effective date (the <c>ContractServiceAdjustments</c>
/// entity). Create-only: Autotask cannot query, update or delete adjustments, so whether one was applied can
/// only be learned by reading <see cref="ContractServiceUnit"/> back. Created under
/// <c>Contracts/{contractId}/ServiceAdjustments</c>.
/// </summary>
public sealed partial record ContractServiceAdjustment
{
    /// <summary>The id of the contract.</summary>
    [JsonPropertyName("contractID")]
    public long ContractId { get; init; }

    /// <summary>The id of the contract service to adjust.</summary>
    [JsonPropertyName("contractServiceID")]
    public long? ContractServiceId { get; init; }

    /// <summary>The id of the catalogue service; when the contract has no service line for it, Autotask creates one.</summary>
    [JsonPropertyName("serviceID")]
    public long? ServiceId { get; init; }

    /// <summary>The first day the change applies, a calendar date in the Autotask instance's time zone.</summary>
    public LocalDate EffectiveDate { get; init; }

    /// <summary>The signed change in whole units.</summary>
    public int UnitChange { get; init; }

    /// <summary>The unit price for the adjusted units.</summary>
    public decimal? AdjustedUnitPrice { get; init; }

    /// <summary>The unit cost for the adjusted units.</summary>
    public decimal? AdjustedUnitCost { get; init; }
}

/// <summary>A catalogue service (the <c>Services</c> entity), billed per unit and period on recurring service contracts.</summary>
public sealed partial record Service
{
    /// <summary>The service's name.</summary>
    public string? Name { get; init; }

    /// <summary>The description.</summary>
    public string? Description { get; init; }

    /// <summary>The description printed on invoices.</summary>
    public string? InvoiceDescription { get; init; }

    /// <summary>The unit price.</summary>
    public decimal? UnitPrice { get; init; }

    /// <summary>The unit cost.</summary>
    public decimal? UnitCost { get; init; }

    /// <summary>The billing period type picklist value (monthly, quarterly, yearly...): resolve labels through the picklist metadata.</summary>
    public int? PeriodType { get; init; }

    /// <summary>Whether the service is active.</summary>
    public bool? IsActive { get; init; }

    /// <summary>The stock keeping unit.</summary>
    public string? Sku { get; init; }

    /// <summary>The id of the vendor company.</summary>
    [JsonPropertyName("vendorCompanyID")]
    public long? VendorCompanyId { get; init; }

    /// <summary>The id of the billing code (material code).</summary>
    [JsonPropertyName("billingCodeID")]
    public long? BillingCodeId { get; init; }

    /// <summary>When the service was created.</summary>
    public Instant? CreateDate { get; init; }

    /// <summary>When the service was last modified.</summary>
    public Instant? LastModifiedDate { get; init; }
}
