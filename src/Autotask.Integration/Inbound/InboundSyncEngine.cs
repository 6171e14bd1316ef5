using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Autotask.Integration.Connections;
using Autotask.Integration.Entities;
using Autotask.Integration.Json;
using Autotask.Integration.Mapping;
using Autotask.Integration.Querying;
using NodaTime;

namespace Autotask.Integration.Inbound;
/// <summary>Pulls active customers and contracts out of Autotask, delivering only what changed since the last run.</summary>
/// <remarks>Registered by <c>AddAutotaskIntegration</c>; fake it in your own unit tests.</remarks>
public interface IInboundSyncEngine
{
    /// <summary>Delivers every customer change since the last run to <paramref name="deliver"/>, then moves the watermark.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="deliver">Receives each change; an exception stops the run without moving the watermark.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    Task<InboundSyncResult> SyncCustomersAsync(string connection, Func<CustomerChange, CancellationToken, ValueTask> deliver, CancellationToken cancellationToken = default);

    /// <summary>Delivers every contract change since the last run to <paramref name="deliver"/>, then moves the watermark.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="deliver">Receives each change; an exception stops the run without moving the watermark.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    Task<InboundSyncResult> SyncContractsAsync(string connection, Func<ContractChange, CancellationToken, ValueTask> deliver, CancellationToken cancellationToken = default);

    /// <summary>
    /// Streams the customer changes since the last run; the watermark moves when the enumeration has been read to its end.
    /// </summary>
    /// <param name="connection">The connection.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<CustomerChange> ReadCustomerChangesAsync(string connection, CancellationToken cancellationToken = default);

    /// <summary>
    /// Streams the contract changes since the last run; the watermark moves when the enumeration has been read to its end.
    /// </summary>
    /// <param name="connection">The connection.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<ContractChange> ReadContractChangesAsync(string connection, CancellationToken cancellationToken = default);
}


/// <summary>
/// Pulls active customers and their contracts out of Autotask for a channel platform, incrementally: the first run
/// delivers everything; later runs deliver only what changed since a watermark kept in the store (created, edited,
/// reactivated, and going inactive or leaving the Customer type as a removal). The watermark moves only after the
/// whole run was delivered, so a crash mid-run delivers again rather than skipping: at-least-once, with a stable
/// <c>ChangeKey</c> to deduplicate on.
/// </summary>
internal sealed class InboundSyncEngine : IInboundSyncEngine
{
    /// <summary>The vendor name of contracts whose services record no vendor.</summary>
    public const string DefaultVendorName = "MSP Managed Services";

    private const string CustomerWatermark = "inbound:customers:watermark";
    private const string ContractWatermark = "inbound:contracts:watermark";

    /// <summary>
    /// How far behind the latest change a run delivered the saved watermark stays. Pages are not a snapshot: a record
    /// changed while a run reads may be on a page already read, or commit after the run read past its time, so each
    /// run reads this window again and skips the exact versions it delivered. Both ends are Autotask's own change
    /// times: the watermark never compares this process's clock with Autotask's.
    /// </summary>
    public static readonly TimeSpan Overlap = TimeSpan.FromMinutes(5);

    private readonly IAutotaskClientFactory _clients;
    private readonly IMappingStore _store;
    private readonly DatabaseBinding _binding;

    internal InboundSyncEngine(IAutotaskClientFactory clients, IMappingStore store, DatabaseBinding binding)
    {
        _clients = clients;
        _store = store;
        _binding = binding;
    }

    /// <inheritdoc />
    public Task<InboundSyncResult> SyncCustomersAsync(string connection, Func<CustomerChange, CancellationToken, ValueTask> deliver, CancellationToken cancellationToken = default) =>
        RunAsync(connection, CustomerWatermark, deliver, ReadCustomersAsync, cancellationToken);

    /// <inheritdoc />
    public Task<InboundSyncResult> SyncContractsAsync(string connection, Func<ContractChange, CancellationToken, ValueTask> deliver, CancellationToken cancellationToken = default) =>
        RunAsync(connection, ContractWatermark, deliver, ReadContractsAsync, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<CustomerChange> ReadCustomerChangesAsync(string connection, CancellationToken cancellationToken = default) =>
        StreamAsync(connection, CustomerWatermark, ReadCustomersAsync, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<ContractChange> ReadContractChangesAsync(string connection, CancellationToken cancellationToken = default) =>
        StreamAsync(connection, ContractWatermark, ReadContractsAsync, cancellationToken);

    /// <summary>The change one company's current state makes: an upsert for an active customer, otherwise a removal.</summary>
    internal static async Task<CustomerChange> CustomerChangeAsync(IAutotaskClient client, long companyId, CancellationToken cancellationToken)
    {
        var company = await client.GetAsync<Company>(companyId, cancellationToken).ConfigureAwait(false);
        if (company is null)
        {
            return new CustomerChange { Kind = ChangeKind.Removal, CompanyId = companyId, ChangeKey = $"company:{companyId}:deleted" };
        }

        var emails = await EmailsAsync(client, [company.Id], cancellationToken).ConfigureAwait(false);
        return CustomerChangeOf(company, emails);
    }

    /// <summary>The change one contract's current state makes.</summary>
    internal static async Task<ContractChange> ContractChangeAsync(IAutotaskClient client, long contractId, CancellationToken cancellationToken)
    {
        var contract = await client.GetAsync<Contract>(contractId, cancellationToken).ConfigureAwait(false);
        if (contract is null)
        {
            return new ContractChange { Kind = ChangeKind.Removal, ContractId = contractId, ChangeKey = $"contract:{contractId}:deleted" };
        }

        var changes = await ContractChangesAsync(client, [contract], incremental: true, cancellationToken).ConfigureAwait(false);
        return changes.Single()!;
    }

    /// <summary>The callback form of <see cref="StreamAsync{T}"/>: one mechanism moves the watermark.</summary>
    private async Task<InboundSyncResult> RunAsync<T>(
        string connection, string key, Func<T, CancellationToken, ValueTask> deliver, Reader<T> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deliver);
        var name = _clients.GetClient(connection).ConnectionName;
        await _binding.OpenAsync(name, cancellationToken).ConfigureAwait(false);
        var firstRun = await _store.GetStateAsync(name, key, cancellationToken).ConfigureAwait(false) is null;
        var delivered = 0;
        await foreach (var change in StreamAsync(connection, key, read, cancellationToken).ConfigureAwait(false))
        {
            await deliver(change, cancellationToken).ConfigureAwait(false);
            delivered++;
        }

        var saved = await _store.GetStateAsync(name, key, cancellationToken).ConfigureAwait(false);
        return new InboundSyncResult(delivered, Watermark.Parse(saved?.Value).At, firstRun);
    }

    private async IAsyncEnumerable<T> StreamAsync<T>(string connection, string key, Reader<T> read, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var client = _clients.GetClient(connection);
        await _binding.OpenAsync(client.ConnectionName, cancellationToken).ConfigureAwait(false);
        var state = await _store.GetStateAsync(client.ConnectionName, key, cancellationToken).ConfigureAwait(false);
        var watermark = Watermark.Parse(state?.Value);
        var next = watermark.Copy();
        Instant? latest = null;
        await foreach (var (change, id, changedAt) in read(client, watermark.At, cancellationToken).ConfigureAwait(false))
        {
            if (watermark.Covers(id, changedAt))
            {
                continue;
            }

            if (change is not null)
            {
                yield return change;
            }

            next.Add(id, changedAt);
            if (changedAt is { } at && (latest is null || at > latest))
            {
                latest = at;
            }
        }

        // Stay an overlap behind the latest change seen, by Autotask's clock, and never move back.
        if (latest is { } seen)
        {
            var limit = seen - Duration.FromTimeSpan(Overlap);
            next.Cap(watermark.At is { } previous && previous > limit ? previous : limit);
        }
        await SaveAsync(client.ConnectionName, key, state, watermark, next, cancellationToken).ConfigureAwait(false);
    }

    private async Task SaveAsync(string connection, string key, SyncStateValue? state, Watermark before, Watermark after, CancellationToken cancellationToken)
    {
        if (after.At is not null && !after.SameAs(before))
        {
            await _store.SetStateAsync(connection, key, after.ToString(), state?.Version ?? 0, cancellationToken).ConfigureAwait(false);
        }
    }

    private delegate IAsyncEnumerable<(T? Change, long Id, Instant? ChangedAt)> Reader<T>(IAutotaskClient client, Instant? since, CancellationToken cancellationToken);

    /// <summary>
    /// Where the last run stopped: a time from which the next run queries (inclusive), and the exact versions (id and
    /// change time) delivered at or after it, which the next run skips. So a change is delivered once per version, even
    /// when several records share a millisecond or change while a run reads.
    /// </summary>
    private sealed class Watermark
    {
        private readonly Dictionary<long, Instant> _recent;

        private Watermark(Instant? at, Dictionary<long, Instant> recent)
        {
            At = at;
            _recent = recent;
        }

        public Instant? At { get; private set; }

        /// <summary>
        /// Reads a saved watermark. One that cannot be read (from an older release, or damaged) starts over: the next
        /// run delivers everything again, which at-least-once delivery allows, rather than failing every run.
        /// </summary>
        public static Watermark Parse(string? text)
        {
            WatermarkState? state = null;
            if (!string.IsNullOrEmpty(text))
            {
                try
                {
                    state = JsonSerializer.Deserialize(text, AutotaskJsonContext.Default.WatermarkState);
                }
                catch (JsonException)
                {
                    state = null;
                }
            }

            return state is { At: { } at }
                ? new Watermark(Instant.FromUnixTimeTicks(at), (state.Recent ?? []).ToDictionary(p => p.Key, p => Instant.FromUnixTimeTicks(p.Value)))
                : new Watermark(null, []);
        }

        public Watermark Copy() => new(At, new Dictionary<long, Instant>(_recent));

        public bool Covers(long id, Instant? changedAt) =>
            changedAt is { } at && ((At is { } mark && at < mark) || (_recent.TryGetValue(id, out var delivered) && delivered == at));

        public void Add(long id, Instant? changedAt)
        {
            if (changedAt is not { } at)
            {
                return;
            }

            _recent[id] = at;
            if (At is null || at > At)
            {
                At = at;
            }
        }

        /// <summary>Keeps the watermark at or before <paramref name="limit"/>, remembering the versions delivered since.</summary>
        public void Cap(Instant limit)
        {
            if (At is { } at && at > limit)
            {
                At = limit;
            }

            if (At is { } mark)
            {
                foreach (var id in _recent.Where(p => p.Value < mark).Select(p => p.Key).ToList())
                {
                    _recent.Remove(id);
                }
            }
        }

        public bool SameAs(Watermark other) =>
            At == other.At && _recent.Count == other._recent.Count && _recent.All(p => other._recent.TryGetValue(p.Key, out var v) && v == p.Value);

        /// <summary>The saved form: JSON through the SDK's serialiser context, instants as exact Unix ticks.</summary>
        public override string ToString() => JsonSerializer.Serialize(
            new WatermarkState(At!.Value.ToUnixTimeTicks(), _recent.OrderBy(p => p.Key).ToDictionary(p => p.Key, p => p.Value.ToUnixTimeTicks())),
            AutotaskJsonContext.Default.WatermarkState);
    }

    private static async IAsyncEnumerable<(CustomerChange? Change, long Id, Instant? ChangedAt)> ReadCustomersAsync(IAutotaskClient client, Instant? watermark, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Every company changed since the watermark (all of them the first time); on the first run only the active
        // customers are delivered, the others are merely counted into the watermark.
        var query = watermark is { } since
            ? new AutotaskQuery<Company>().Where(Filter<Company>.Gte(c => c.LastTrackedModifiedDateTime, since))
            : new AutotaskQuery<Company>();
        var batch = new List<Company>(QueryFilter.MaxListValues);
        await foreach (var company in client.QueryAsync(query, cancellationToken).ConfigureAwait(false))
        {
            batch.Add(company);
            if (batch.Count == QueryFilter.MaxListValues)
            {
                foreach (var item in await CustomerChangesAsync(client, batch, cancellationToken).ConfigureAwait(false))
                {
                    yield return watermark is null && item.Change.Kind == ChangeKind.Removal ? (null, item.Id, item.ChangedAt) : item;
                }

                batch.Clear();
            }
        }

        foreach (var item in await CustomerChangesAsync(client, batch, cancellationToken).ConfigureAwait(false))
        {
            yield return watermark is null && item.Change.Kind == ChangeKind.Removal ? (null, item.Id, item.ChangedAt) : item;
        }
    }

    private static async Task<IReadOnlyList<(CustomerChange Change, long Id, Instant? ChangedAt)>> CustomerChangesAsync(IAutotaskClient client, List<Company> companies, CancellationToken cancellationToken)
    {
        if (companies.Count == 0)
        {
            return [];
        }

        var active = companies.Where(IsActiveCustomer).Select(c => c.Id).ToArray();
        var emails = await EmailsAsync(client, active, cancellationToken).ConfigureAwait(false);
        return companies.Select(c => (CustomerChangeOf(c, emails), c.Id, c.LastTrackedModifiedDateTime ?? c.CreateDate)).ToArray();
    }

    private static CustomerChange CustomerChangeOf(Company company, IReadOnlyDictionary<long, List<string>> emails)
    {
        var version = (company.LastTrackedModifiedDateTime ?? company.CreateDate)?.ToUnixTimeTicks().ToString(CultureInfo.InvariantCulture) ?? "0";
        if (!IsActiveCustomer(company))
        {
            return new CustomerChange { Kind = ChangeKind.Removal, CompanyId = company.Id, ChangeKey = $"company:{company.Id}:{version}:removal" };
        }

        return new CustomerChange
        {
            Kind = ChangeKind.Upsert,
            CompanyId = company.Id,
            ChangeKey = $"company:{company.Id}:{version}",
            Customer = new CustomerRecord
            {
                CompanyId = company.Id,
                Name = company.CompanyName ?? "",
                Address1 = Blank(company.Address1),
                Address2 = Blank(company.Address2),
                City = Blank(company.City),
                State = Blank(company.State),
                PostalCode = Blank(company.PostalCode),
                EmailAddresses = emails.GetValueOrDefault(company.Id) ?? [],
                PhoneNumbers = new[] { company.Phone, company.AlternatePhone1, company.AlternatePhone2 }.Select(Blank).OfType<string>().Distinct().ToArray(),
                Websites = new[] { company.WebAddress }.Select(Blank).OfType<string>().ToArray(),
            },
        };
    }

    private static async Task<IReadOnlyDictionary<long, List<string>>> EmailsAsync(IAutotaskClient client, IReadOnlyList<long> companyIds, CancellationToken cancellationToken)
    {
        var emails = new Dictionary<long, List<string>>();
        foreach (var chunk in companyIds.Chunk(QueryFilter.MaxListValues))
        {
            await foreach (var contact in client.QueryAsync(new AutotaskQuery<Contact>().Where(
                Filter<Contact>.In(c => c.CompanyId, chunk.Select(id => (long?)id)),
                Filter<Contact>.Eq(c => c.IsActive, true)), cancellationToken).ConfigureAwait(false))
            {
                var list = emails.TryGetValue(contact.CompanyId ?? 0, out var existing) ? existing : emails[contact.CompanyId ?? 0] = [];
                foreach (var email in new[] { contact.EmailAddress, contact.EmailAddress2, contact.EmailAddress3 }.Select(Blank).OfType<string>())
                {
                    if (!list.Contains(email, StringComparer.OrdinalIgnoreCase))
                    {
                        list.Add(email);
                    }
                }
            }
        }

        return emails;
    }

    private static async IAsyncEnumerable<(ContractChange? Change, long Id, Instant? ChangedAt)> ReadContractsAsync(IAutotaskClient client, Instant? watermark, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var query = watermark is { } since
            ? new AutotaskQuery<Contract>().Where(Filter<Contract>.Gte(c => c.LastModifiedDateTime, since))
            : new AutotaskQuery<Contract>();
        var batch = new List<Contract>(QueryFilter.MaxListValues);
        await foreach (var contract in client.QueryAsync(query, cancellationToken).ConfigureAwait(false))
        {
            batch.Add(contract);
            if (batch.Count == QueryFilter.MaxListValues)
            {
                var changes = await ContractChangesAsync(client, batch, watermark is not null, cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                {
                    yield return (changes[i], batch[i].Id, batch[i].LastModifiedDateTime);
                }

                batch.Clear();
            }
        }

        var rest = await ContractChangesAsync(client, batch, watermark is not null, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < batch.Count; i++)
        {
            yield return (rest[i], batch[i].Id, batch[i].LastModifiedDateTime);
        }
    }

    private static async Task<IReadOnlyList<ContractChange?>> ContractChangesAsync(IAutotaskClient client, List<Contract> contracts, bool incremental, CancellationToken cancellationToken)
    {
        if (contracts.Count == 0)
        {
            return [];
        }

        var companies = await ByIdAsync<Company>(client, contracts.Select(c => c.CompanyId ?? 0).Distinct(), cancellationToken).ConfigureAwait(false);
        var lines = new List<ContractService>();
        foreach (var chunk in contracts.Select(c => c.Id).Chunk(QueryFilter.MaxListValues))
        {
            await foreach (var line in client.QueryAsync(new AutotaskQuery<ContractService>().Where(Filter<ContractService>.In(s => s.ContractId, chunk)), cancellationToken).ConfigureAwait(false))
            {
                lines.Add(line);
            }
        }

        var services = await ByIdAsync<Service>(client, lines.Select(l => l.ServiceId).Distinct(), cancellationToken).ConfigureAwait(false);
        var vendors = await ByIdAsync<Company>(client, services.Values.Select(s => s.VendorCompanyId ?? 0).Where(id => id > 0).Distinct(), cancellationToken).ConfigureAwait(false);

        // One entry per contract, in order; null for a contract that is not delivered (first run, not an active customer's).
        var changes = new List<ContractChange?>();
        foreach (var contract in contracts)
        {
            var version = contract.LastModifiedDateTime?.ToUnixTimeTicks().ToString(CultureInfo.InvariantCulture) ?? "0";
            if (!companies.TryGetValue(contract.CompanyId ?? 0, out var company) || !IsActiveCustomer(company))
            {
                // A contract of a company that is not (or no longer) an active customer leaves the synced set.
                changes.Add(incremental ? new ContractChange { Kind = ChangeKind.Removal, ContractId = contract.Id, ChangeKey = $"contract:{contract.Id}:{version}:removal" } : null);
                continue;
            }

            var vendor = lines.Where(l => l.ContractId == contract.Id)
                .Select(l => services.GetValueOrDefault(l.ServiceId)?.VendorCompanyId)
                .Select(id => id is { } v ? vendors.GetValueOrDefault(v)?.CompanyName : null)
                .FirstOrDefault(name => !string.IsNullOrWhiteSpace(name));
            changes.Add(new ContractChange
            {
                Kind = ChangeKind.Upsert,
                ContractId = contract.Id,
                ChangeKey = $"contract:{contract.Id}:{version}",
                Contract = new ContractRecord
                {
                    ContractId = contract.Id,
                    CompanyId = company.Id,
                    CompanyName = company.CompanyName ?? "",
                    ContractName = contract.ContractName ?? "",
                    VendorName = vendor ?? DefaultVendorName,
                    OverallCost = contract.EstimatedCost,
                },
            });
        }

        return changes;
    }

    private static async Task<Dictionary<long, T>> ByIdAsync<T>(IAutotaskClient client, IEnumerable<long> ids, CancellationToken cancellationToken) where T : AutotaskEntity, IQueryableEntity
    {
        var found = new Dictionary<long, T>();
        foreach (var chunk in ids.Where(id => id > 0).Chunk(QueryFilter.MaxListValues))
        {
            await foreach (var entity in client.QueryAsync(new AutotaskQuery<T>().Where(Filter.Field("id", FilterOperator.In, FilterValue.List(chunk))), cancellationToken).ConfigureAwait(false))
            {
                found[entity.Id] = entity;
            }
        }

        return found;
    }

    private static bool IsActiveCustomer(Company company) => company.IsActive == true && company.CompanyType == CompanyType.Customer;

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

}
