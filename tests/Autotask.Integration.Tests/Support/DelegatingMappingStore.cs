using Autotask.Integration.Mapping;

namespace Autotask.Integration.Tests.Support;

/// <summary>A store that passes every call to another; tests override the calls they need to hold up or observe.</summary>
internal class DelegatingMappingStore(IMappingStore inner) : IMappingStore
{
    protected IMappingStore Inner { get; } = inner;

    public virtual Task<AdjustmentBeginOutcome> TryBeginAdjustmentAsync(AdjustmentLedgerEntry entry, long expectedVersion, CancellationToken cancellationToken = default) =>
        Inner.TryBeginAdjustmentAsync(entry, expectedVersion, cancellationToken);

    public virtual Task<long> SettleAdjustmentAsync(string connection, string operationId, AdjustmentState state, long? adjustmentId, CancellationToken cancellationToken = default) =>
        Inner.SettleAdjustmentAsync(connection, operationId, state, adjustmentId, cancellationToken);

    public virtual Task<IReadOnlyDictionary<string, LedgerHead>> GetLedgerHeadsAsync(string connection, IReadOnlyCollection<string> vendorSubscriptionIds, CancellationToken cancellationToken = default) =>
        Inner.GetLedgerHeadsAsync(connection, vendorSubscriptionIds, cancellationToken);

    public Task<CustomerMapping?> FindCustomerAsync(string connection, string vendorCustomerId, CancellationToken cancellationToken = default) => Inner.FindCustomerAsync(connection, vendorCustomerId, cancellationToken);
    public Task<CustomerMapping?> FindCustomerByCompanyAsync(string connection, long companyId, CancellationToken cancellationToken = default) => Inner.FindCustomerByCompanyAsync(connection, companyId, cancellationToken);
    public Task<CustomerMapping> AddCustomerAsync(CustomerMapping mapping, CancellationToken cancellationToken = default) => Inner.AddCustomerAsync(mapping, cancellationToken);
    public Task<bool> RemoveCustomerAsync(string connection, string vendorCustomerId, long expectedVersion, CancellationToken cancellationToken = default) => Inner.RemoveCustomerAsync(connection, vendorCustomerId, expectedVersion, cancellationToken);
    public Task<IReadOnlyList<CustomerMapping>> ListCustomersAsync(string connection, CancellationToken cancellationToken = default) => Inner.ListCustomersAsync(connection, cancellationToken);
    public Task<OfferMapping?> FindOfferAsync(string connection, string vendorOfferId, CancellationToken cancellationToken = default) => Inner.FindOfferAsync(connection, vendorOfferId, cancellationToken);
    public Task<OfferMapping> AddOfferAsync(OfferMapping mapping, CancellationToken cancellationToken = default) => Inner.AddOfferAsync(mapping, cancellationToken);
    public Task<bool> RemoveOfferAsync(string connection, string vendorOfferId, long expectedVersion, CancellationToken cancellationToken = default) => Inner.RemoveOfferAsync(connection, vendorOfferId, expectedVersion, cancellationToken);
    public Task<SubscriptionMapping?> FindSubscriptionAsync(string connection, string vendorSubscriptionId, CancellationToken cancellationToken = default) => Inner.FindSubscriptionAsync(connection, vendorSubscriptionId, cancellationToken);
    public Task<IReadOnlyDictionary<string, SubscriptionMapping>> FindSubscriptionsAsync(string connection, IReadOnlyCollection<string> vendorSubscriptionIds, CancellationToken cancellationToken = default) => Inner.FindSubscriptionsAsync(connection, vendorSubscriptionIds, cancellationToken);
    public Task<IReadOnlyList<SubscriptionMapping>> ListSubscriptionsAsync(string connection, string? vendorCustomerId = null, CancellationToken cancellationToken = default) => Inner.ListSubscriptionsAsync(connection, vendorCustomerId, cancellationToken);
    public Task<SubscriptionMapping> AddSubscriptionAsync(SubscriptionMapping mapping, CancellationToken cancellationToken = default) => Inner.AddSubscriptionAsync(mapping, cancellationToken);
    public Task<bool> RemoveSubscriptionAsync(string connection, string vendorSubscriptionId, long expectedVersion, CancellationToken cancellationToken = default) => Inner.RemoveSubscriptionAsync(connection, vendorSubscriptionId, expectedVersion, cancellationToken);
    public Task<IReadOnlyList<AdjustmentLedgerEntry>> GetPendingAdjustmentsAsync(string connection, IReadOnlyCollection<string>? vendorSubscriptionIds = null, CancellationToken cancellationToken = default) => Inner.GetPendingAdjustmentsAsync(connection, vendorSubscriptionIds, cancellationToken);
    public Task<IReadOnlyList<AdjustmentLedgerEntry>> GetLedgerAsync(string connection, string vendorSubscriptionId, CancellationToken cancellationToken = default) => Inner.GetLedgerAsync(connection, vendorSubscriptionId, cancellationToken);
    public Task<SyncStateValue?> GetStateAsync(string connection, string key, CancellationToken cancellationToken = default) => Inner.GetStateAsync(connection, key, cancellationToken);
    public virtual Task<long> SetStateAsync(string connection, string key, string value, long expectedVersion, CancellationToken cancellationToken = default) => Inner.SetStateAsync(connection, key, value, expectedVersion, cancellationToken);
    public Task<CalloutReceipt> TryRecordCalloutAsync(string connection, string calloutKey, NodaTime.Instant eventTime, NodaTime.Duration window, CancellationToken cancellationToken = default) => Inner.TryRecordCalloutAsync(connection, calloutKey, eventTime, window, cancellationToken);
    public virtual Task ForgetCalloutAsync(string connection, string calloutKey, CancellationToken cancellationToken = default) => Inner.ForgetCalloutAsync(connection, calloutKey, cancellationToken);
}
