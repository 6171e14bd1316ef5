using System.Globalization;
using Autotask.Integration.Auditing;
using Autotask.Integration.Connections;
using Autotask.Integration.Diagnostics;
using Autotask.Integration.Entities;
using Autotask.Integration.Querying;

namespace Autotask.Integration.Mapping;

/// <summary>What to map a vendor subscription to.</summary>
public sealed record SubscriptionMappingRequest
{
    /// <summary>The vendor's id of the subscription.</summary>
    public required string VendorSubscriptionId { get; init; }

    /// <summary>The vendor customer that owns it; must be mapped to a company.</summary>
    public required string VendorCustomerId { get; init; }

    /// <summary>The subscribed offer; must be mapped to a service.</summary>
    public required string VendorOfferId { get; init; }

    /// <summary>The Recurring Service contract of the customer's company.</summary>
    public required long ContractId { get; init; }

    /// <summary>The service line to map to; when <c>null</c>, the contract's line for the offer's service is used.</summary>
    public long? ContractServiceId { get; init; }

    /// <summary>At purchase time: add the offer's service to the contract when it has no line for it yet.</summary>
    public bool AddServiceToContract { get; init; }

    /// <summary>The ISO 4217 currency of the subscription; refused when the connection is tied to another.</summary>
    public string? Currency { get; init; }
}
/// <summary>Maps vendor customers, offers and subscriptions to Autotask companies, services and contract services, once each ("map once"), with an audit event for every change.</summary>
/// <remarks>Registered by <c>AddAutotaskIntegration</c>; fake it in your own unit tests.</remarks>
public interface IMappingEngine
{
    /// <summary>
    /// Finds active companies of type Customer whose name starts with <paramref name="namePrefix"/>, sorted
    /// alphabetically: the pick list for mapping a vendor customer.
    /// </summary>
    /// <param name="connection">The connection.</param>
    /// <param name="namePrefix">The first characters of the name (at least one).</param>
    /// <param name="skip">How many sorted results to skip, for paging.</param>
    /// <param name="take">How many to return (1 to 500).</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    Task<IReadOnlyList<Company>> SearchCustomersAsync(string connection, string namePrefix, int skip = 0, int take = 50, CancellationToken cancellationToken = default);

    /// <summary>The active Recurring Service contracts of a mapped customer's company, to choose one for a subscription.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="vendorCustomerId">The mapped vendor customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<IReadOnlyList<Contract>> FindRecurringContractsAsync(string connection, string vendorCustomerId, CancellationToken cancellationToken = default);

    /// <summary>Maps a vendor customer to an existing Autotask company of type Customer. Never creates companies.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="vendorCustomerId">The vendor customer.</param>
    /// <param name="companyId">The company.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="MappingException">The company does not exist, is not a Customer, is inactive, or either side is mapped already.</exception>
    Task<CustomerMapping> MapCustomerAsync(string connection, string vendorCustomerId, long companyId, CancellationToken cancellationToken = default);

    /// <summary>Removes a customer mapping. Refused while subscriptions of the customer are mapped.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="vendorCustomerId">The vendor customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><c>false</c> when the customer was not mapped.</returns>
    Task<bool> UnmapCustomerAsync(string connection, string vendorCustomerId, CancellationToken cancellationToken = default);

    /// <summary>Maps a vendor offer to an active Autotask service whose billing period matches the offer's term.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="vendorOfferId">The offer.</param>
    /// <param name="term">The offer's billing term.</param>
    /// <param name="serviceId">The service.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="MappingException">The service does not exist, its period does not match the term, or the offer is mapped already.</exception>
    Task<OfferMapping> MapOfferAsync(string connection, string vendorOfferId, BillingTerm term, long serviceId, CancellationToken cancellationToken = default);

    /// <summary>Removes an offer mapping. Refused while subscriptions of the offer are mapped.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="vendorOfferId">The offer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><c>false</c> when the offer was not mapped.</returns>
    /// <exception cref="MappingException">Subscriptions of the offer are still mapped (<see cref="MappingError.InUse"/>).</exception>
    Task<bool> UnmapOfferAsync(string connection, string vendorOfferId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Maps a vendor subscription to a service line on an active Recurring Service contract of the customer's company,
    /// optionally adding the offer's service to the contract first (at purchase time).
    /// </summary>
    /// <param name="connection">The connection.</param>
    /// <param name="request">What to map.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="MappingException">A link is missing or wrong (see <see cref="MappingException.Error"/>), or the subscription is mapped already.</exception>
    Task<SubscriptionMapping> MapSubscriptionAsync(string connection, SubscriptionMappingRequest request, CancellationToken cancellationToken = default);

    /// <summary>Removes a subscription mapping.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="vendorSubscriptionId">The subscription.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><c>false</c> when it was not mapped.</returns>
    Task<bool> UnmapSubscriptionAsync(string connection, string vendorSubscriptionId, CancellationToken cancellationToken = default);
}


/// <summary>
/// Maps vendor records to Autotask: customers to companies, offers to services, subscriptions to contract services.
/// Checks every link against Autotask before it is stored, keeps "map once" through the store, and audits each
/// mapping. Every refusal is a <see cref="MappingException"/> whose <see cref="MappingException.Error"/> says which rule.
/// </summary>
internal sealed class MappingEngine : IMappingEngine
{
    private static readonly Dictionary<BillingTerm, string[]> TermLabels = new()
    {
        [BillingTerm.Monthly] = ["Monthly", "Month"],
        [BillingTerm.Quarterly] = ["Quarterly", "Quarter"],
        [BillingTerm.SemiAnnual] = ["Semi-Annual", "Semi-Annually", "Semiannual", "Half-Yearly"],
        [BillingTerm.Annual] = ["Yearly", "Annual", "Annually", "Year"],
    };

    private readonly IAutotaskClientFactory _clients;
    private readonly IMappingStore _store;
    private readonly AuditTrail _audit;
    private readonly TimeProvider _time;
    private readonly DatabaseBinding _binding;

    internal MappingEngine(IAutotaskClientFactory clients, IMappingStore store, AuditTrail audit, TimeProvider time, DatabaseBinding binding)
    {
        _clients = clients;
        _store = store;
        _audit = audit;
        _time = time;
        _binding = binding;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Company>> SearchCustomersAsync(string connection, string namePrefix, int skip = 0, int take = 50, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(namePrefix);
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        ArgumentOutOfRangeException.ThrowIfLessThan(take, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(take, 500);
        var client = _clients.GetClient(connection);
        var query = new AutotaskQuery<Company>().Where(
            Filter<Company>.Eq(c => c.IsActive, true),
            Filter<Company>.Eq(c => c.CompanyType, CompanyType.Customer),
            Filter<Company>.BeginsWith(c => c.CompanyName, namePrefix.Trim()));
        var matches = new List<Company>();
        await foreach (var company in client.QueryAsync(query, cancellationToken).ConfigureAwait(false))
        {
            matches.Add(company);
        }

        return matches.OrderBy(c => c.CompanyName, StringComparer.CurrentCultureIgnoreCase).ThenBy(c => c.Id).Skip(skip).Take(take).ToArray();
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Contract>> FindRecurringContractsAsync(string connection, string vendorCustomerId, CancellationToken cancellationToken = default)
    {
        var client = _clients.GetClient(connection);
        await _binding.OpenAsync(client.ConnectionName, cancellationToken).ConfigureAwait(false);
        var customer = await _store.FindCustomerAsync(client.ConnectionName, vendorCustomerId, cancellationToken).ConfigureAwait(false)
            ?? throw new MappingException(MappingError.CustomerNotMapped, $"Vendor customer '{vendorCustomerId}' is not mapped to an Autotask company yet; map it first.");
        var contracts = new List<Contract>();
        await foreach (var contract in client.QueryAsync(new AutotaskQuery<Contract>().Where(
            Filter<Contract>.Eq(c => c.CompanyId, customer.CompanyId),
            Filter<Contract>.Eq(c => c.ContractType, ContractType.RecurringService),
            Filter<Contract>.Eq(c => c.Status, ContractStatus.Active)), cancellationToken).ConfigureAwait(false))
        {
            contracts.Add(contract);
        }

        return contracts;
    }

    /// <inheritdoc />
    public Task<CustomerMapping> MapCustomerAsync(string connection, string vendorCustomerId, long companyId, CancellationToken cancellationToken = default) =>
        AuditedAsync(AuditOperations.CreateConnectionCustomerMapping, connection, Ids(("customer", vendorCustomerId)), Ids(("company", companyId)), async (client, ct) =>
        {
            RequireId(vendorCustomerId, "vendor customer id");
            RequireId(companyId, "company id");
            var company = await client.GetAsync<Company>(companyId, ct).ConfigureAwait(false)
                ?? throw new MappingException(MappingError.CompanyNotFound, $"Autotask has no company with id {companyId}.");
            if (company.CompanyType != CompanyType.Customer)
            {
                throw new MappingException(MappingError.CompanyNotCustomer,
                    $"Company '{company.CompanyName}' ({companyId}) is not of type Customer; only customers can be mapped. Change its type in Autotask or pick another company.");
            }

            if (company.IsActive != true)
            {
                throw new MappingException(MappingError.CompanyInactive, $"Company '{company.CompanyName}' ({companyId}) is inactive; activate it in Autotask or pick another company.");
            }

            var mapping = await _store.AddCustomerAsync(new CustomerMapping
            {
                Connection = client.ConnectionName,
                VendorCustomerId = vendorCustomerId,
                CompanyId = companyId,
                CompanyName = company.CompanyName,
                MappedAt = _time.GetCurrentInstant(),
            }, ct).ConfigureAwait(false);
            return (mapping, $"Mapped vendor customer '{vendorCustomerId}' to company '{company.CompanyName}' ({companyId}).");
        }, cancellationToken);

    /// <inheritdoc />
    public Task<bool> UnmapCustomerAsync(string connection, string vendorCustomerId, CancellationToken cancellationToken = default) =>
        AuditedAsync(AuditOperations.DeleteConnectionCustomerMapping, connection, Ids(("customer", vendorCustomerId)), null, async (client, ct) =>
        {
            var existing = await _store.FindCustomerAsync(client.ConnectionName, vendorCustomerId, ct).ConfigureAwait(false);
            if (existing is null)
            {
                return (false, $"Vendor customer '{vendorCustomerId}' was not mapped.");
            }

            var subscriptions = await _store.ListSubscriptionsAsync(client.ConnectionName, vendorCustomerId, ct).ConfigureAwait(false);
            if (subscriptions.Count > 0)
            {
                throw new MappingException(MappingError.InUse,
                    $"Vendor customer '{vendorCustomerId}' still has {subscriptions.Count} mapped subscription(s); unmap them first.");
            }

            var removed = await _store.RemoveCustomerAsync(client.ConnectionName, vendorCustomerId, existing.Version, ct).ConfigureAwait(false);
            return (removed, $"Removed the mapping of vendor customer '{vendorCustomerId}' to company {existing.CompanyId}.");
        }, cancellationToken);

    /// <inheritdoc />
    public Task<bool> UnmapOfferAsync(string connection, string vendorOfferId, CancellationToken cancellationToken = default) =>
        AuditedAsync(AuditOperations.DeleteOfferMapping, connection, Ids(("offer", vendorOfferId)), null, async (client, ct) =>
        {
            var existing = await _store.FindOfferAsync(client.ConnectionName, vendorOfferId, ct).ConfigureAwait(false);
            if (existing is null)
            {
                return (false, $"Vendor offer '{vendorOfferId}' was not mapped.");
            }

            var subscriptions = (await _store.ListSubscriptionsAsync(client.ConnectionName, cancellationToken: ct).ConfigureAwait(false)).Count(s => s.VendorOfferId == vendorOfferId);
            if (subscriptions > 0)
            {
                throw new MappingException(MappingError.InUse,
                    $"Vendor offer '{vendorOfferId}' still has {subscriptions} mapped subscription(s); unmap them first.");
            }

            var removed = await _store.RemoveOfferAsync(client.ConnectionName, vendorOfferId, existing.Version, ct).ConfigureAwait(false);
            return (removed, $"Removed the mapping of vendor offer '{vendorOfferId}' to service {existing.ServiceId}.");
        }, cancellationToken);

    /// <inheritdoc />
    public Task<OfferMapping> MapOfferAsync(string connection, string vendorOfferId, BillingTerm term, long serviceId, CancellationToken cancellationToken = default) =>
        AuditedAsync(AuditOperations.CreateOfferMapping, connection, Ids(("offer", vendorOfferId)), Ids(("service", serviceId)), async (client, ct) =>
        {
            RequireId(vendorOfferId, "vendor offer id");
            RequireId(serviceId, "service id");
            var service = await client.GetAsync<Service>(serviceId, ct).ConfigureAwait(false);
            if (service is null || service.IsActive == false)
            {
                throw new MappingException(MappingError.ServiceNotFound, $"Autotask has no active service with id {serviceId}.");
            }

            var periods = await client.GetPicklistAsync<Service>("periodType", ct).ConfigureAwait(false);
            var period = service.PeriodType is { } value ? periods.GetLabel(value) : null;
            if (period is null || !TermLabels[term].Any(l => string.Equals(l, period.Trim(), StringComparison.OrdinalIgnoreCase)))
            {
                throw new MappingException(MappingError.TermMismatch,
                    $"Service '{service.Name}' ({serviceId}) is billed {period ?? "with no period"}, but offer '{vendorOfferId}' is billed {term}. Pick a service whose period is {TermLabels[term][0]}.");
            }

            var mapping = await _store.AddOfferAsync(new OfferMapping
            {
                Connection = client.ConnectionName,
                VendorOfferId = vendorOfferId,
                Term = term,
                ServiceId = serviceId,
                ServiceName = service.Name,
                MappedAt = _time.GetCurrentInstant(),
            }, ct).ConfigureAwait(false);
            return (mapping, $"Mapped vendor offer '{vendorOfferId}' ({term}) to service '{service.Name}' ({serviceId}).");
        }, cancellationToken);

    /// <inheritdoc />
    public Task<SubscriptionMapping> MapSubscriptionAsync(string connection, SubscriptionMappingRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return AuditedAsync(AuditOperations.CreateSubscriptionMapping, connection,
            Ids(("subscription", request.VendorSubscriptionId), ("customer", request.VendorCustomerId), ("offer", request.VendorOfferId)),
            Ids(("contract", request.ContractId)), async (client, ct) =>
            {
                RequireId(request.VendorSubscriptionId, "vendor subscription id");
                RequireId(request.ContractId, "contract id");
                if (request.ContractServiceId is { } chosenLine)
                {
                    RequireId(chosenLine, "contract service id");
                }
                var connectionCurrency = (await _binding.OpenAsync(client.ConnectionName, ct).ConfigureAwait(false)).Currency;
                if (request.Currency is not null && connectionCurrency is not null && !string.Equals(request.Currency, connectionCurrency, StringComparison.OrdinalIgnoreCase))
                {
                    throw new MappingException(MappingError.CurrencyMismatch,
                        $"Subscription '{request.VendorSubscriptionId}' is in {request.Currency}, but connection '{client.ConnectionName}' transacts in {connectionCurrency}; map it through a connection for {request.Currency}.");
                }

                if (await _store.FindSubscriptionAsync(client.ConnectionName, request.VendorSubscriptionId, ct).ConfigureAwait(false) is { } existing)
                {
                    throw new MappingConflictException($"Vendor subscription '{request.VendorSubscriptionId}' is mapped already, to contract service {existing.ContractServiceId}.");
                }

                var customer = await _store.FindCustomerAsync(client.ConnectionName, request.VendorCustomerId, ct).ConfigureAwait(false)
                    ?? throw new MappingException(MappingError.CustomerNotMapped, $"Vendor customer '{request.VendorCustomerId}' is not mapped to an Autotask company yet; map it first.");
                var offer = await _store.FindOfferAsync(client.ConnectionName, request.VendorOfferId, ct).ConfigureAwait(false)
                    ?? throw new MappingException(MappingError.OfferNotMapped, $"Vendor offer '{request.VendorOfferId}' is not mapped to an Autotask service yet; map it first.");

                var contract = await client.GetAsync<Contract>(request.ContractId, ct).ConfigureAwait(false)
                    ?? throw new MappingException(MappingError.ContractNotFound, $"Autotask has no contract with id {request.ContractId}.");
                if (contract.CompanyId != customer.CompanyId)
                {
                    throw new MappingException(MappingError.ContractOfAnotherCompany,
                        $"Contract '{contract.ContractName}' ({contract.Id}) belongs to company {contract.CompanyId}, not to the customer's company {customer.CompanyId}.");
                }

                if (contract.ContractType != ContractType.RecurringService)
                {
                    throw new MappingException(MappingError.ContractNotRecurringService,
                        $"Contract '{contract.ContractName}' ({contract.Id}) is not a Recurring Service contract; subscriptions bill units on Recurring Service contracts only.");
                }

                if (contract.Status != ContractStatus.Active)
                {
                    throw new MappingException(MappingError.ContractInactive, $"Contract '{contract.ContractName}' ({contract.Id}) is not active.");
                }

                var line = await FindLineAsync(client, request, contract, offer, ct).ConfigureAwait(false);
                var mapping = await _store.AddSubscriptionAsync(new SubscriptionMapping
                {
                    Connection = client.ConnectionName,
                    VendorSubscriptionId = request.VendorSubscriptionId,
                    VendorCustomerId = request.VendorCustomerId,
                    VendorOfferId = request.VendorOfferId,
                    CompanyId = customer.CompanyId,
                    ContractId = contract.Id,
                    ContractServiceId = line.Id,
                    ServiceId = line.ServiceId,
                    Currency = request.Currency ?? connectionCurrency,
                    MappedAt = _time.GetCurrentInstant(),
                }, ct).ConfigureAwait(false);
                return (mapping, $"Mapped vendor subscription '{request.VendorSubscriptionId}' to contract service {line.Id} on contract '{contract.ContractName}'.");
            }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> UnmapSubscriptionAsync(string connection, string vendorSubscriptionId, CancellationToken cancellationToken = default) =>
        AuditedAsync(AuditOperations.DeleteSubscriptionMapping, connection, Ids(("subscription", vendorSubscriptionId)), null, async (client, ct) =>
        {
            var existing = await _store.FindSubscriptionAsync(client.ConnectionName, vendorSubscriptionId, ct).ConfigureAwait(false);
            if (existing is null)
            {
                return (false, $"Vendor subscription '{vendorSubscriptionId}' was not mapped.");
            }

            // The ledger orders writes per subscription: while one is pending, its contract service must not be handed
            // to another subscription, whose ledger would not see that write.
            if ((await _store.GetLedgerHeadsAsync(client.ConnectionName, [vendorSubscriptionId], ct).ConfigureAwait(false))[vendorSubscriptionId].Pending is { } pending)
            {
                throw new MappingException(MappingError.InUse,
                    $"Vendor subscription '{vendorSubscriptionId}' has a write pending since {pending.RecordedAt}; unmap it once that write is settled (by its sync, or by the next sync after the pending lease).");
            }

            var removed = await _store.RemoveSubscriptionAsync(client.ConnectionName, vendorSubscriptionId, existing.Version, ct).ConfigureAwait(false);
            return (removed, $"Removed the mapping of vendor subscription '{vendorSubscriptionId}' to contract service {existing.ContractServiceId}.");
        }, cancellationToken);

    private async Task<ContractService> FindLineAsync(IAutotaskClient client, SubscriptionMappingRequest request, Contract contract, OfferMapping offer, CancellationToken ct)
    {
        if (request.ContractServiceId is { } lineId)
        {
            var chosen = await client.GetAsync<ContractService>(lineId, ct).ConfigureAwait(false);
            if (chosen is null || chosen.ContractId != contract.Id)
            {
                throw new MappingException(MappingError.ContractServiceMismatch, $"Contract service {lineId} is not on contract '{contract.ContractName}' ({contract.Id}).");
            }

            if (chosen.ServiceId != offer.ServiceId)
            {
                throw new MappingException(MappingError.ContractServiceMismatch,
                    $"Contract service {lineId} bills service {chosen.ServiceId}, but offer '{offer.VendorOfferId}' is mapped to service {offer.ServiceId}.");
            }

            return chosen;
        }

        await foreach (var existing in client.QueryAsync(new AutotaskQuery<ContractService>().Where(
            Filter<ContractService>.Eq(s => s.ContractId, contract.Id),
            Filter<ContractService>.Eq(s => s.ServiceId, offer.ServiceId)).Take(1), ct).ConfigureAwait(false))
        {
            return existing;
        }

        if (!request.AddServiceToContract)
        {
            throw new MappingException(MappingError.ContractServiceMismatch,
                $"Contract '{contract.ContractName}' ({contract.Id}) has no line for service {offer.ServiceId} ('{offer.ServiceName}'). Add it in Autotask, or map with AddServiceToContract.");
        }

        var started = _time.GetCurrentInstant();
        var id = await client.CreateAsync(new ContractService { ContractId = contract.Id, ServiceId = offer.ServiceId }, ct).ConfigureAwait(false);
        await _audit.WriteAsync(AuditOperations.AddContractService, client.ConnectionName, AuditStatus.Succeeded, started,
            $"Added service '{offer.ServiceName}' ({offer.ServiceId}) to contract '{contract.ContractName}' for subscription '{request.VendorSubscriptionId}'.",
            Ids(("subscription", request.VendorSubscriptionId)), Ids(("contract", contract.Id), ("contractService", id), ("service", offer.ServiceId))).ConfigureAwait(false);
        return await client.GetAsync<ContractService>(id, ct).ConfigureAwait(false)
            ?? new ContractService { Id = id, ContractId = contract.Id, ServiceId = offer.ServiceId };
    }

    private async Task<T> AuditedAsync<T>(
        string operation, string connection, IReadOnlyDictionary<string, string> vendorIds, IReadOnlyDictionary<string, long>? autotaskIds,
        Func<IAutotaskClient, CancellationToken, Task<(T Result, string Details)>> action, CancellationToken cancellationToken)
    {
        var client = _clients.GetClient(connection);
        var started = _time.GetCurrentInstant();
        try
        {
            await _binding.OpenAsync(client.ConnectionName, cancellationToken).ConfigureAwait(false);
            var (result, details) = await action(client, cancellationToken).ConfigureAwait(false);
            await _audit.WriteAsync(operation, client.ConnectionName, AuditStatus.Succeeded, started, details, vendorIds, autotaskIds).ConfigureAwait(false);
            return result;
        }
        catch (AutotaskException ex)
        {
            await _audit.WriteAsync(operation, client.ConnectionName, AuditStatus.Failed, started, ex.Message, vendorIds, autotaskIds).ConfigureAwait(false);
            throw;
        }
    }

    private static void RequireId(string value, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new MappingException(MappingError.InvalidInput, $"The {what} is empty.");
        }
    }

    private static void RequireId(long value, string what)
    {
        if (value < 1)
        {
            throw new MappingException(MappingError.InvalidInput, string.Create(CultureInfo.InvariantCulture, $"The {what} {value} is not an Autotask id; ids are positive."));
        }
    }

    private static Dictionary<string, string> Ids(params (string Kind, string? Id)[] ids) =>
        ids.Where(i => !string.IsNullOrEmpty(i.Id)).ToDictionary(i => i.Kind, i => i.Id!);

    private static Dictionary<string, long> Ids(params (string Kind, long Id)[] ids) => ids.ToDictionary(i => i.Kind, i => i.Id);
}
