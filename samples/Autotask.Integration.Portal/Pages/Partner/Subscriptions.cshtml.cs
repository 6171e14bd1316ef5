using Autotask.Integration.Entities;
using Autotask.Integration.Mapping;
using Autotask.Integration.Querying;
using Microsoft.AspNetCore.Mvc;

namespace Autotask.Integration.Portal.Pages.Partner;

/// <summary>Offer mapping (a service picker) and subscription mapping (a contract picker of the customer's company).</summary>
public sealed class SubscriptionsModel(IMappingEngine mapping, IMappingStore store, IAutotaskClientFactory clients, VendorCatalogue catalogue) : PartnerPage
{
    /// <summary>The vendor's offers.</summary>
    public IReadOnlyList<VendorOffer> Offers => catalogue.Offers;

    /// <summary>The partner's subscriptions.</summary>
    public IReadOnlyList<VendorSubscription> Subscriptions => catalogue.Subscriptions(Partner);

    /// <summary>The active services of the partner's Autotask, by name.</summary>
    public IReadOnlyList<Service> Services { get; private set; } = [];

    /// <summary>The offers mapped, by offer id.</summary>
    public Dictionary<string, OfferMapping> OfferMappings { get; } = new(StringComparer.Ordinal);

    /// <summary>The subscriptions mapped, by subscription id.</summary>
    public Dictionary<string, SubscriptionMapping> SubscriptionMappings { get; } = new(StringComparer.Ordinal);

    /// <summary>The Recurring Service contracts of each mapped customer's company, by vendor customer id.</summary>
    public Dictionary<string, IReadOnlyList<Contract>> Contracts { get; } = new(StringComparer.Ordinal);

    /// <summary>Shows the mappings and the pickers.</summary>
    public Task OnGetAsync(CancellationToken cancellationToken) => LoadAsync(cancellationToken);

    /// <summary>Maps an offer to a service whose billing period matches its term.</summary>
    /// <param name="offer">The offer.</param>
    /// <param name="serviceId">The service.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<IActionResult> OnPostMapOfferAsync(string offer, long serviceId, CancellationToken cancellationToken) =>
        ChangeAsync(async () =>
        {
            if (catalogue.FindOffer(offer) is not { } known)
            {
                Problems.Add($"'{offer}' is not one of your offers.");
                return null;
            }

            var mapped = await mapping.MapOfferAsync(Partner, known.Id, known.Term, serviceId, cancellationToken);
            return $"Mapped offer {offer} to {mapped.ServiceName}.";
        }, cancellationToken);

    /// <summary>Maps a subscription to the line of its offer's service on a contract of its customer's company.</summary>
    /// <param name="subscription">The subscription.</param>
    /// <param name="contractId">The contract.</param>
    /// <param name="addService">Whether to add the offer's service to the contract when it has no line for it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<IActionResult> OnPostMapSubscriptionAsync(string subscription, long contractId, bool addService, CancellationToken cancellationToken) =>
        ChangeAsync(async () =>
        {
            if (catalogue.Subscriptions(Partner).FirstOrDefault(s => s.Id == subscription) is not { } known)
            {
                Problems.Add($"'{subscription}' is not one of your subscriptions.");
                return null;
            }

            var mapped = await mapping.MapSubscriptionAsync(Partner, new SubscriptionMappingRequest
            {
                VendorSubscriptionId = known.Id,
                VendorCustomerId = known.CustomerId,
                VendorOfferId = known.OfferId,
                ContractId = contractId,
                AddServiceToContract = addService,
            }, cancellationToken);
            return $"Mapped subscription {subscription} to contract service {mapped.ContractServiceId}.";
        }, cancellationToken);

    /// <summary>Removes an offer mapping (refused while subscriptions of the offer are mapped).</summary>
    /// <param name="offer">The offer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<IActionResult> OnPostUnmapOfferAsync(string offer, CancellationToken cancellationToken) =>
        ChangeAsync(async () => await mapping.UnmapOfferAsync(Partner, offer, cancellationToken)
            ? $"Unmapped offer {offer}."
            : $"Offer {offer} was not mapped.", cancellationToken);

    /// <summary>Removes a subscription mapping.</summary>
    /// <param name="subscription">The subscription.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<IActionResult> OnPostUnmapSubscriptionAsync(string subscription, CancellationToken cancellationToken) =>
        ChangeAsync(async () => await mapping.UnmapSubscriptionAsync(Partner, subscription, cancellationToken)
            ? $"Unmapped subscription {subscription}."
            : $"Subscription {subscription} was not mapped.", cancellationToken);

    private async Task<IActionResult> ChangeAsync(Func<Task<string?>> change, CancellationToken cancellationToken)
    {
        if (IsLinked)
        {
            try
            {
                if (await change() is { } done)
                {
                    return Done(done);
                }
            }
            catch (AutotaskException ex)
            {
                Show(ex);
            }
        }

        await LoadAsync(cancellationToken);
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        if (!IsLinked)
        {
            return;
        }

        var client = clients.GetClient(Partner);
        var services = new List<Service>();
        await foreach (var service in client.QueryAsync(new AutotaskQuery<Service>().Where(Filter<Service>.Eq(s => s.IsActive, true)), cancellationToken))
        {
            services.Add(service);
        }

        Services = [.. services.OrderBy(s => s.Name, StringComparer.CurrentCultureIgnoreCase)];
        foreach (var offer in catalogue.Offers)
        {
            if (await store.FindOfferAsync(Partner, offer.Id, cancellationToken) is { } mapped)
            {
                OfferMappings[offer.Id] = mapped;
            }
        }

        foreach (var subscription in await store.ListSubscriptionsAsync(Partner, cancellationToken: cancellationToken))
        {
            SubscriptionMappings[subscription.VendorSubscriptionId] = subscription;
        }

        foreach (var customer in await store.ListCustomersAsync(Partner, cancellationToken))
        {
            Contracts[customer.VendorCustomerId] = await mapping.FindRecurringContractsAsync(Partner, customer.VendorCustomerId, cancellationToken);
        }
    }
}
