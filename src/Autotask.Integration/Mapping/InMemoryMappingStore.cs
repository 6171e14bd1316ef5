using Autotask.Integration.Diagnostics;
using NodaTime;

namespace Autotask.Integration.Mapping;

/// <summary>
/// An <see cref="IMappingStore"/> in memory: for tests, samples and single-process tools. Everything is lost when
/// the process ends; use a durable store in production.
/// </summary>
public sealed class InMemoryMappingStore : IMappingStore
{
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly Dictionary<(string, string), CustomerMapping> _customers = [];
    private readonly Dictionary<(string, long), string> _companies = [];
    private readonly Dictionary<(string, string), OfferMapping> _offers = [];
    private readonly Dictionary<(string, string), SubscriptionMapping> _subscriptions = [];
    private readonly Dictionary<(string, long), string> _lines = [];
    private readonly List<AdjustmentLedgerEntry> _ledger = [];
    private readonly Dictionary<string, int> _ledgerByOperation = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), int> _pending = [];
    private readonly Dictionary<(string, string), List<int>> _ledgerBySubscription = [];
    private readonly Dictionary<(string, string), long> _heads = [];
    private readonly Dictionary<(string, string), SyncStateValue> _state = [];
    private readonly Dictionary<(string, string), Instant> _callouts = [];
    private readonly PriorityQueue<(string, string), Instant> _calloutsByEventTime = new();
    private long _version;

    /// <summary>Creates an empty store.</summary>
    /// <param name="time">The store's clock, which stamps ledger entries and measures how long they are pending; the system clock when <c>null</c>.</param>
    public InMemoryMappingStore(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    private Instant Now => _time.GetCurrentInstant();

    /// <inheritdoc />
    public Task<CustomerMapping?> FindCustomerAsync(string connection, string vendorCustomerId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(_customers.GetValueOrDefault((Key(connection), vendorCustomerId)));
        }
    }

    /// <inheritdoc />
    public Task<CustomerMapping?> FindCustomerByCompanyAsync(string connection, long companyId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(_companies.TryGetValue((Key(connection), companyId), out var customer)
                ? _customers.GetValueOrDefault((Key(connection), customer))
                : null);
        }
    }

    /// <inheritdoc />
    public Task<CustomerMapping> AddCustomerAsync(CustomerMapping mapping, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        lock (_gate)
        {
            var connection = Key(mapping.Connection);
            if (_customers.TryGetValue((connection, mapping.VendorCustomerId), out var existing))
            {
                throw new MappingConflictException($"Vendor customer '{mapping.VendorCustomerId}' is mapped already, to company {existing.CompanyId}.");
            }

            if (_companies.TryGetValue((connection, mapping.CompanyId), out var other))
            {
                throw new MappingConflictException($"Company {mapping.CompanyId} is mapped already, to vendor customer '{other}'.");
            }

            var stored = mapping with { Version = ++_version };
            _customers[(connection, mapping.VendorCustomerId)] = stored;
            _companies[(connection, mapping.CompanyId)] = mapping.VendorCustomerId;
            return Task.FromResult(stored);
        }
    }

    /// <inheritdoc />
    public Task<bool> RemoveCustomerAsync(string connection, string vendorCustomerId, long expectedVersion, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_customers.TryGetValue((Key(connection), vendorCustomerId), out var existing))
            {
                return Task.FromResult(false);
            }

            CheckVersion(existing.Version, expectedVersion, $"customer mapping '{vendorCustomerId}'");
            _customers.Remove((Key(connection), vendorCustomerId));
            _companies.Remove((Key(connection), existing.CompanyId));
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<CustomerMapping>> ListCustomersAsync(string connection, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<CustomerMapping>>(
                _customers.Where(p => p.Key.Item1 == Key(connection)).Select(p => p.Value).OrderBy(m => m.VendorCustomerId, StringComparer.Ordinal).ToArray());
        }
    }

    /// <inheritdoc />
    public Task<OfferMapping?> FindOfferAsync(string connection, string vendorOfferId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(_offers.GetValueOrDefault((Key(connection), vendorOfferId)));
        }
    }

    /// <inheritdoc />
    public Task<OfferMapping> AddOfferAsync(OfferMapping mapping, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        lock (_gate)
        {
            if (_offers.TryGetValue((Key(mapping.Connection), mapping.VendorOfferId), out var existing))
            {
                throw new MappingConflictException($"Vendor offer '{mapping.VendorOfferId}' is mapped already, to service {existing.ServiceId}.");
            }

            var stored = mapping with { Version = ++_version };
            _offers[(Key(mapping.Connection), mapping.VendorOfferId)] = stored;
            return Task.FromResult(stored);
        }
    }

    /// <inheritdoc />
    public Task<bool> RemoveOfferAsync(string connection, string vendorOfferId, long expectedVersion, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_offers.TryGetValue((Key(connection), vendorOfferId), out var existing))
            {
                return Task.FromResult(false);
            }

            CheckVersion(existing.Version, expectedVersion, $"offer mapping '{vendorOfferId}'");
            _offers.Remove((Key(connection), vendorOfferId));
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<SubscriptionMapping?> FindSubscriptionAsync(string connection, string vendorSubscriptionId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(_subscriptions.GetValueOrDefault((Key(connection), vendorSubscriptionId)));
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, SubscriptionMapping>> FindSubscriptionsAsync(
        string connection, IReadOnlyCollection<string> vendorSubscriptionIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(vendorSubscriptionIds);
        lock (_gate)
        {
            var found = new Dictionary<string, SubscriptionMapping>(StringComparer.Ordinal);
            foreach (var id in vendorSubscriptionIds)
            {
                if (_subscriptions.TryGetValue((Key(connection), id), out var mapping))
                {
                    found[id] = mapping;
                }
            }

            return Task.FromResult<IReadOnlyDictionary<string, SubscriptionMapping>>(found);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<SubscriptionMapping>> ListSubscriptionsAsync(string connection, string? vendorCustomerId = null, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<SubscriptionMapping>>(_subscriptions
                .Where(p => p.Key.Item1 == Key(connection) && (vendorCustomerId is null || p.Value.VendorCustomerId == vendorCustomerId))
                .Select(p => p.Value).OrderBy(m => m.VendorSubscriptionId, StringComparer.Ordinal).ToArray());
        }
    }

    /// <inheritdoc />
    public Task<SubscriptionMapping> AddSubscriptionAsync(SubscriptionMapping mapping, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        lock (_gate)
        {
            if (_subscriptions.TryGetValue((Key(mapping.Connection), mapping.VendorSubscriptionId), out var existing))
            {
                throw new MappingConflictException($"Vendor subscription '{mapping.VendorSubscriptionId}' is mapped already, to contract service {existing.ContractServiceId}.");
            }

            if (_lines.TryGetValue((Key(mapping.Connection), mapping.ContractServiceId), out var other))
            {
                throw new MappingConflictException($"Contract service {mapping.ContractServiceId} is mapped already, to vendor subscription '{other}'; give each subscription its own service line.");
            }

            var stored = mapping with { Version = ++_version };
            _subscriptions[(Key(mapping.Connection), mapping.VendorSubscriptionId)] = stored;
            _lines[(Key(mapping.Connection), mapping.ContractServiceId)] = mapping.VendorSubscriptionId;
            return Task.FromResult(stored);
        }
    }

    /// <inheritdoc />
    public Task<bool> RemoveSubscriptionAsync(string connection, string vendorSubscriptionId, long expectedVersion, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_subscriptions.TryGetValue((Key(connection), vendorSubscriptionId), out var existing))
            {
                return Task.FromResult(false);
            }

            CheckVersion(existing.Version, expectedVersion, $"subscription mapping '{vendorSubscriptionId}'");
            _subscriptions.Remove((Key(connection), vendorSubscriptionId));
            _lines.Remove((Key(connection), existing.ContractServiceId));
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, LedgerHead>> GetLedgerHeadsAsync(
        string connection, IReadOnlyCollection<string> vendorSubscriptionIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(vendorSubscriptionIds);
        lock (_gate)
        {
            var now = Now;
            var heads = new Dictionary<string, LedgerHead>(StringComparer.Ordinal);
            foreach (var id in vendorSubscriptionIds)
            {
                var subscription = (Key(connection), id);
                var pending = _pending.TryGetValue(subscription, out var index) ? _ledger[index] : null;
                heads[id] = new LedgerHead
                {
                    VendorSubscriptionId = id,
                    Version = _heads.GetValueOrDefault(subscription),
                    Pending = pending,
                    PendingFor = pending is null ? Duration.Zero : now - pending.RecordedAt,
                };
            }

            return Task.FromResult<IReadOnlyDictionary<string, LedgerHead>>(heads);
        }
    }

    /// <inheritdoc />
    public Task<AdjustmentBeginOutcome> TryBeginAdjustmentAsync(AdjustmentLedgerEntry entry, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.State != AdjustmentState.Pending)
        {
            throw new ArgumentException("A new ledger entry must be pending.", nameof(entry));
        }

        lock (_gate)
        {
            var subscription = (Key(entry.Connection), entry.VendorSubscriptionId);
            if (_heads.GetValueOrDefault(subscription) != expectedVersion)
            {
                return Task.FromResult(AdjustmentBeginOutcome.Stale);
            }

            if (_pending.ContainsKey(subscription))
            {
                return Task.FromResult(AdjustmentBeginOutcome.Busy);
            }

            if (_ledgerByOperation.ContainsKey(entry.OperationId))
            {
                throw new ArgumentException($"A ledger entry with operation id {entry.OperationId} exists already.", nameof(entry));
            }

            if (!_ledgerBySubscription.TryGetValue(subscription, out var positions))
            {
                positions = [];
                _ledgerBySubscription[subscription] = positions;
            }

            positions.Add(_ledger.Count);
            _ledgerByOperation[entry.OperationId] = _ledger.Count;
            _pending[subscription] = _ledger.Count;
            _ledger.Add(entry with { RecordedAt = Now, SettledAt = null, AdjustmentId = null });
            _heads[subscription] = expectedVersion + 1;
            return Task.FromResult(AdjustmentBeginOutcome.Begun);
        }
    }

    /// <inheritdoc />
    public Task<long> SettleAdjustmentAsync(string connection, string operationId, AdjustmentState state, long? adjustmentId, CancellationToken cancellationToken = default)
    {
        if (state == AdjustmentState.Pending || !Enum.IsDefined(state))
        {
            throw new ArgumentException("Settle to Applied, NotApplied or Indeterminate.", nameof(state));
        }

        lock (_gate)
        {
            if (!_ledgerByOperation.TryGetValue(operationId, out var index) ||
                _ledger[index].State != AdjustmentState.Pending || Key(_ledger[index].Connection) != Key(connection))
            {
                throw new StoreConcurrencyException($"No pending ledger entry has operation id {operationId}; another sync settled it.");
            }

            var entry = _ledger[index];
            var subscription = (Key(entry.Connection), entry.VendorSubscriptionId);
            _ledger[index] = entry with { State = state, AdjustmentId = adjustmentId, SettledAt = Now };
            _pending.Remove(subscription);
            var version = _heads.GetValueOrDefault(subscription) + 1;
            _heads[subscription] = version;
            return Task.FromResult(version);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AdjustmentLedgerEntry>> GetPendingAdjustmentsAsync(
        string connection, IReadOnlyCollection<string>? vendorSubscriptionIds = null, CancellationToken cancellationToken = default)
    {
        var wanted = vendorSubscriptionIds is null ? null : new HashSet<string>(vendorSubscriptionIds, StringComparer.Ordinal);
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<AdjustmentLedgerEntry>>(_pending
                .Where(p => p.Key.Item1 == Key(connection) && (wanted is null || wanted.Contains(p.Key.Item2)))
                .Select(p => _ledger[p.Value]).OrderBy(e => e.RecordedAt).ToArray());
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AdjustmentLedgerEntry>> GetLedgerAsync(string connection, string vendorSubscriptionId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            // Indexed: the quantity sync reads a subscription's ledger before every write.
            return Task.FromResult<IReadOnlyList<AdjustmentLedgerEntry>>(
                _ledgerBySubscription.TryGetValue((Key(connection), vendorSubscriptionId), out var positions)
                    ? positions.Select(i => _ledger[i]).ToArray()
                    : []);
        }
    }

    /// <inheritdoc />
    public Task<SyncStateValue?> GetStateAsync(string connection, string key, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(_state.GetValueOrDefault((Key(connection), key)));
        }
    }

    /// <inheritdoc />
    public Task<long> SetStateAsync(string connection, string key, string value, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            var current = _state.GetValueOrDefault((Key(connection), key));
            CheckVersion(current?.Version ?? 0, expectedVersion, $"sync state '{key}'");
            var version = ++_version;
            _state[(Key(connection), key)] = new SyncStateValue(value, version);
            return Task.FromResult(version);
        }
    }

    /// <inheritdoc />
    public Task<CalloutReceipt> TryRecordCalloutAsync(string connection, string calloutKey, Instant eventTime, Duration window, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(calloutKey);
        CalloutWindow(window);
        lock (_gate)
        {
            var now = Now;
            // Forget what has left the window; an entry that was forgotten or recorded again is skipped.
            while (_calloutsByEventTime.TryPeek(out var old, out var at) && at < now - window)
            {
                _calloutsByEventTime.Dequeue();
                if (_callouts.TryGetValue(old, out var recorded) && recorded == at)
                {
                    _callouts.Remove(old);
                }
            }

            if (eventTime < now - window || eventTime > now + window)
            {
                return Task.FromResult(CalloutReceipt.OutsideWindow);
            }

            if (!_callouts.TryAdd((Key(connection), calloutKey), eventTime))
            {
                return Task.FromResult(CalloutReceipt.Repeated);
            }

            _calloutsByEventTime.Enqueue((Key(connection), calloutKey), eventTime);
            return Task.FromResult(CalloutReceipt.First);
        }
    }

    /// <inheritdoc />
    public Task ForgetCalloutAsync(string connection, string calloutKey, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _callouts.Remove((Key(connection), calloutKey));
            return Task.CompletedTask;
        }
    }

    /// <summary>Refuses a window that is not positive, as every store does.</summary>
    internal static void CalloutWindow(Duration window)
    {
        if (window <= Duration.Zero || window > Duration.FromDays(365))
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "The callout window must be positive and at most a year.");
        }
    }

    // Connection names are case-insensitive everywhere in the SDK.
    // One key per connection id, whatever its spelling; an id outside the rule is refused (ArgumentException) before anything is read or written.
    private static string Key(string connection) => AutotaskConnectionIds.Normalize(connection);

    private static void CheckVersion(long actual, long expected, string what)
    {
        if (actual != expected)
        {
            throw new StoreConcurrencyException($"The {what} changed since it was read (version {expected}, now {actual}); read it again.");
        }
    }
}
