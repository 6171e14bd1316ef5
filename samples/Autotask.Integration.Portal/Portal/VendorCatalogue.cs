using System.Collections.Concurrent;
using Autotask.Integration.Mapping;

namespace Autotask.Integration.Portal;

/// <summary>A customer in the vendor's own product.</summary>
public sealed record VendorCustomer(string Id, string Name);

/// <summary>An offer of the vendor's product (a licence, a storage plan).</summary>
public sealed record VendorOffer(string Id, string Name, BillingTerm Term);

/// <summary>A customer's subscription to an offer, with the quantity the vendor bills.</summary>
public sealed record VendorSubscription(string Id, string CustomerId, string OfferId, int Quantity);

/// <summary>
/// The vendor's own data, per partner: what a real portal reads from its product's database. Here an in-memory
/// catalogue, the same for every partner to start with; quantities change when a partner edits them on the sync page.
/// </summary>
public sealed class VendorCatalogue
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, VendorSubscription>> _subscriptions = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The vendor's customers.</summary>
    public IReadOnlyList<VendorCustomer> Customers { get; } =
    [
        new("vc-1001", "Alpine Dental Care"),
        new("vc-1002", "Alpine Legal"),
        new("vc-1003", "Birch Street Bakery"),
        new("vc-1004", "Harbour Freight"),
    ];

    /// <summary>The vendor's offers.</summary>
    public IReadOnlyList<VendorOffer> Offers { get; } =
    [
        new("off-m365", "Microsoft 365 Business Premium", BillingTerm.Monthly),
        new("off-backup", "Cloud Backup storage (GB)", BillingTerm.Monthly),
        new("off-edr", "Endpoint protection", BillingTerm.Annual),
    ];

    /// <summary>A partner's subscriptions, by id.</summary>
    /// <param name="partner">The partner.</param>
    public IReadOnlyList<VendorSubscription> Subscriptions(string partner) => [.. Of(partner).Values.OrderBy(s => s.Id, StringComparer.Ordinal)];

    /// <summary>The customer with the id, or <c>null</c>.</summary>
    /// <param name="id">The vendor's customer id.</param>
    public VendorCustomer? FindCustomer(string id) => Customers.FirstOrDefault(c => c.Id == id);

    /// <summary>The offer with the id, or <c>null</c>.</summary>
    /// <param name="id">The vendor's offer id.</param>
    public VendorOffer? FindOffer(string id) => Offers.FirstOrDefault(o => o.Id == id);

    /// <summary>Sets the quantity of one of a partner's subscriptions.</summary>
    /// <param name="partner">The partner.</param>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="quantity">The new quantity, 0 or more.</param>
    /// <returns><c>false</c> when the partner has no such subscription.</returns>
    public bool SetQuantity(string partner, string subscriptionId, int quantity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(quantity);
        var subscriptions = Of(partner);
        if (!subscriptions.TryGetValue(subscriptionId, out var current))
        {
            return false;
        }

        subscriptions[subscriptionId] = current with { Quantity = quantity };
        return true;
    }

    private ConcurrentDictionary<string, VendorSubscription> Of(string partner) => _subscriptions.GetOrAdd(partner, _ => new(
        new VendorSubscription[]
        {
            new("sub-5001", "vc-1001", "off-m365", 12),
            new("sub-5002", "vc-1001", "off-backup", 240),
            new("sub-5003", "vc-1002", "off-m365", 8),
            new("sub-5004", "vc-1003", "off-edr", 25),
        }.ToDictionary(s => s.Id), StringComparer.Ordinal));
}
