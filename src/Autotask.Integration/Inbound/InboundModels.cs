using NodaTime;

namespace Autotask.Integration.Inbound;

/// <summary>Whether a record is new or changed, or left the synced set.</summary>
public enum ChangeKind
{
    /// <summary>New or changed: store it.</summary>
    Upsert,

    /// <summary>No longer in the synced set (went inactive, or is no longer a Customer): remove it.</summary>
    Removal,
}

/// <summary>An active customer as the channel platform receives it.</summary>
public sealed record CustomerRecord
{
    /// <summary>The Autotask company id.</summary>
    public required long CompanyId { get; init; }

    /// <summary>The company's name.</summary>
    public required string Name { get; init; }

    /// <summary>The first address line, where present.</summary>
    public string? Address1 { get; init; }

    /// <summary>The second address line, where present.</summary>
    public string? Address2 { get; init; }

    /// <summary>The city, where present.</summary>
    public string? City { get; init; }

    /// <summary>The state or region, where present.</summary>
    public string? State { get; init; }

    /// <summary>The postal code, where present.</summary>
    public string? PostalCode { get; init; }

    /// <summary>The e-mail addresses of the company's active contacts.</summary>
    public IReadOnlyList<string> EmailAddresses { get; init; } = [];

    /// <summary>The company's phone numbers.</summary>
    public IReadOnlyList<string> PhoneNumbers { get; init; } = [];

    /// <summary>The company's web sites.</summary>
    public IReadOnlyList<string> Websites { get; init; } = [];
}

/// <summary>A change of an active customer.</summary>
public sealed record CustomerChange
{
    /// <summary>Upsert or removal.</summary>
    public required ChangeKind Kind { get; init; }

    /// <summary>The Autotask company id.</summary>
    public required long CompanyId { get; init; }

    /// <summary>
    /// A key that is the same each time the same version of the record is delivered: delivery is at-least-once, so
    /// deduplicate on it.
    /// </summary>
    public required string ChangeKey { get; init; }

    /// <summary>The customer, for an upsert.</summary>
    public CustomerRecord? Customer { get; init; }
}

/// <summary>A contract of an active customer as the channel platform receives it.</summary>
public sealed record ContractRecord
{
    /// <summary>The Autotask contract id.</summary>
    public required long ContractId { get; init; }

    /// <summary>The Autotask company id.</summary>
    public required long CompanyId { get; init; }

    /// <summary>The company's name.</summary>
    public required string CompanyName { get; init; }

    /// <summary>The contract's name.</summary>
    public required string ContractName { get; init; }

    /// <summary>The vendor of the contract's services, or "MSP Managed Services" when none is recorded.</summary>
    public required string VendorName { get; init; }

    /// <summary>The contract's overall (estimated) cost, in the instance's internal currency.</summary>
    public decimal? OverallCost { get; init; }
}

/// <summary>A change of an active customer's contract.</summary>
public sealed record ContractChange
{
    /// <summary>Upsert or removal.</summary>
    public required ChangeKind Kind { get; init; }

    /// <summary>The Autotask contract id.</summary>
    public required long ContractId { get; init; }

    /// <summary>A key that is the same each time the same version of the record is delivered.</summary>
    public required string ChangeKey { get; init; }

    /// <summary>The contract, for an upsert.</summary>
    public ContractRecord? Contract { get; init; }
}

/// <summary>The outcome of an inbound sync run.</summary>
/// <param name="Delivered">How many changes the callback received.</param>
/// <param name="Watermark">The watermark stored for the next run.</param>
/// <param name="FirstRun">Whether this run delivered everything (no watermark before).</param>
public sealed record InboundSyncResult(int Delivered, Instant? Watermark, bool FirstRun);
