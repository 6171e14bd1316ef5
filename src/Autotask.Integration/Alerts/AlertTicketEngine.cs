using System.Globalization;
using System.Text;
using Autotask.Integration.Auditing;
using Autotask.Integration.Connections;
using Autotask.Integration.Diagnostics;
using Autotask.Integration.Entities;
using Autotask.Integration.Mapping;
using Autotask.Integration.Metadata;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Autotask.Integration.Alerts;
/// <summary>Turns vendor alerts into Autotask tickets: one ticket per open alert, notes for repeats, a daily digest and a test ticket.</summary>
/// <remarks>Registered by <c>AddAutotaskIntegration</c>; fake it in your own unit tests.</remarks>
public interface IAlertTicketEngine
{
    /// <summary>
    /// Resolves every label of the connection's alert mapping against the instance's picklists.
    /// </summary>
    /// <param name="connection">The connection.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <exception cref="AlertMappingException">A label does not exist; the message lists, per field, the labels that do.</exception>
    Task ValidateAsync(string connection, CancellationToken cancellationToken = default);

    /// <summary>The connection's alert mapping: the one configured in <c>AddAlertTickets</c>, else the one saved at run time.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The mapping, or <c>null</c> when the connection has none.</returns>
    Task<AlertMapping?> GetMappingAsync(string connection, CancellationToken cancellationToken = default);

    /// <summary>
    /// Saves the alert mapping of a connection linked at run time (a portal's alert-mapping page), after resolving every
    /// label against that Autotask's picklists; audited as <see cref="AuditOperations.UpdateAlertMapping"/>.
    /// </summary>
    /// <param name="connection">The connection.</param>
    /// <param name="mapping">The mapping; the store keeps a copy.</param>
    /// <param name="cancellationToken">Cancels the check and the save.</param>
    /// <exception cref="AlertMappingException">A label does not exist; the message lists the labels that do. Nothing was saved.</exception>
    /// <exception cref="AutotaskConfigurationException">The connection's mapping is configured in <c>AddAlertTickets</c>; change it there.</exception>
    Task SaveMappingAsync(string connection, AlertMapping mapping, CancellationToken cancellationToken = default);

    /// <summary>
    /// Publishes an alert: a ticket on the customer's company, or a note on the open ticket of the same alert. An
    /// unmapped customer's alert goes to the catch-all company when one is set, else it is reported (never dropped).
    /// </summary>
    /// <param name="connection">The connection.</param>
    /// <param name="alert">The alert.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<AlertResult> PublishAlertAsync(string connection, Alert alert, CancellationToken cancellationToken = default);

    /// <summary>
    /// Publishes the daily digest of one customer: one ticket per customer and day, however often it runs; later runs
    /// of the same day add a note with their events.
    /// </summary>
    /// <param name="connection">The connection.</param>
    /// <param name="vendorCustomerId">The customer.</param>
    /// <param name="day">The day, in the Autotask instance's calendar.</param>
    /// <param name="events">The day's alerts.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<AlertResult> PublishDailyDigestAsync(string connection, string vendorCustomerId, LocalDate day, IReadOnlyList<Alert> events, CancellationToken cancellationToken = default);

    /// <summary>Creates a clearly marked test ticket to prove the set-up works, and reports its ticket number.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="vendorCustomerId">A mapped customer whose company gets the ticket; when <c>null</c>, the catch-all company.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="MappingException">Neither a mapped customer nor a catch-all company is available.</exception>
    Task<AlertResult> SendTestTicketAsync(string connection, string? vendorCustomerId = null, CancellationToken cancellationToken = default);
}


/// <summary>
/// Turns vendor alerts into Autotask service tickets on the mapped company (the backup-service shape): one ticket per
/// alert, a note instead of a new ticket while the alert's ticket is open, one digest ticket per customer per day,
/// and a test ticket. Priorities, queues and statuses are configured by label and resolved from the instance's own
/// picklists. Every ticket created or noted is audited.
/// </summary>
internal sealed class AlertTicketEngine : IAlertTicketEngine
{
    private readonly IAutotaskClientFactory _clients;
    private readonly IMappingStore _store;
    private readonly AuditTrail _audit;
    private readonly TimeProvider _time;
    private readonly DatabaseBinding _binding;
    private readonly AlertTicketOptions _options;

    internal AlertTicketEngine(IAutotaskClientFactory clients, IMappingStore store, AuditTrail audit, TimeProvider time, DatabaseBinding binding, IOptions<AlertTicketOptions> options)
    {
        _clients = clients;
        _store = store;
        _audit = audit;
        _time = time;
        _binding = binding;
        _options = options.Value;
    }

    /// <inheritdoc />
    public async Task ValidateAsync(string connection, CancellationToken cancellationToken = default)
    {
        var problems = await FindProblemsAsync(connection, cancellationToken).ConfigureAwait(false);
        if (problems.Count > 0)
        {
            throw new AlertMappingException(string.Join(" ", problems));
        }
    }

    internal async Task<IReadOnlyList<string>> FindProblemsAsync(string connection, CancellationToken cancellationToken)
    {
        var client = _clients.GetClient(connection);
        return await FindProblemsAsync(client, await MappingAsync(client.ConnectionName, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<AlertMapping?> GetMappingAsync(string connection, CancellationToken cancellationToken = default)
    {
        var name = _clients.GetClient(connection).ConnectionName;
        if (_options.Connections.GetValueOrDefault(name) is { } configured)
        {
            return configured;
        }

        await _binding.OpenAsync(name, cancellationToken).ConfigureAwait(false);
        return await _store.GetStateAsync(name, MappingStateKey, cancellationToken).ConfigureAwait(false) is { } stored
            ? StoredAlertMapping.Read(stored.Value)
            : null;
    }

    /// <inheritdoc />
    public async Task SaveMappingAsync(string connection, AlertMapping mapping, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        var client = _clients.GetClient(connection);
        var name = client.ConnectionName;
        if (_options.Connections.ContainsKey(name))
        {
            throw new AutotaskConfigurationException($"The alert mapping of connection '{name}' is configured in AddAlertTickets; change it there.", name);
        }

        var started = _time.GetCurrentInstant();
        var copy = StoredAlertMapping.Write(mapping);
        try
        {
            await _binding.OpenAsync(name, cancellationToken).ConfigureAwait(false);
            var problems = await FindProblemsAsync(client, StoredAlertMapping.Read(copy), cancellationToken).ConfigureAwait(false);
            if (problems.Count > 0)
            {
                throw new AlertMappingException(string.Join(" ", problems));
            }

            while (true)
            {
                var current = await _store.GetStateAsync(name, MappingStateKey, cancellationToken).ConfigureAwait(false);
                try
                {
                    await _store.SetStateAsync(name, MappingStateKey, copy, current?.Version ?? 0, cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (StoreConcurrencyException)
                {
                    // Saved by another request meanwhile: the last save wins, as on a settings page.
                }
            }
        }
        catch (AutotaskException ex)
        {
            await _audit.WriteAsync(AuditOperations.UpdateAlertMapping, name, AuditStatus.Failed, started, ex.Message).ConfigureAwait(false);
            throw;
        }

        await _audit.WriteAsync(AuditOperations.UpdateAlertMapping, name, AuditStatus.Succeeded, started,
            $"Saved an alert mapping of {mapping.Severities.Count} severity rule(s){(mapping.DailyDigest is null ? "" : " and a daily digest")}.").ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<string>> FindProblemsAsync(IAutotaskClient client, AlertMapping mapping, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var rules = mapping.Severities.Select(p => (Name: p.Key.ToString(), Rule: p.Value)).ToList();
        if (mapping.DailyDigest is { } digest)
        {
            rules.Add(("DailyDigest", digest));
        }

        foreach (var (name, rule) in rules)
        {
            try
            {
                await ResolveAsync(client, rule, cancellationToken).ConfigureAwait(false);
            }
            catch (PicklistLabelNotFoundException ex)
            {
                problems.Add($"Alert mapping '{name}' of connection '{client.ConnectionName}': {ex.Message}");
            }
        }

        try
        {
            await NoteSettingsAsync(client, mapping, cancellationToken).ConfigureAwait(false);
        }
        catch (PicklistLabelNotFoundException ex)
        {
            problems.Add($"Alert notes of connection '{client.ConnectionName}': {ex.Message}");
        }

        return problems;
    }

    /// <inheritdoc />
    public Task<AlertResult> PublishAlertAsync(string connection, Alert alert, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentException.ThrowIfNullOrWhiteSpace(alert.VendorCustomerId, nameof(alert));
        ArgumentException.ThrowIfNullOrWhiteSpace(alert.AlertKey, nameof(alert));
        ArgumentException.ThrowIfNullOrWhiteSpace(alert.Title, nameof(alert));
        return AuditFailuresAsync(AuditOperations.CreateAlertTicket, connection, new Dictionary<string, string> { ["customer"] = alert.VendorCustomerId, ["alert"] = alert.AlertKey },
            () => PublishAlertCoreAsync(connection, alert, cancellationToken), cancellationToken);
    }

    private async Task<AlertResult> PublishAlertCoreAsync(string connection, Alert alert, CancellationToken cancellationToken)
    {
        var client = _clients.GetClient(connection);
        var mapping = await MappingAsync(client.ConnectionName, cancellationToken).ConfigureAwait(false);
        var rule = mapping.Severities.GetValueOrDefault(alert.Severity)
            ?? throw new AlertMappingException($"The alert mapping of connection '{client.ConnectionName}' has no rule for {alert.Severity} alerts.");
        var started = _time.GetCurrentInstant();
        var vendorIds = new Dictionary<string, string> { ["customer"] = alert.VendorCustomerId, ["alert"] = alert.AlertKey };

        var target = await CompanyAsync(client.ConnectionName, mapping, alert.VendorCustomerId, cancellationToken).ConfigureAwait(false);
        if (target is null)
        {
            var reason = $"Vendor customer '{alert.VendorCustomerId}' is not mapped to an Autotask company and no catch-all company is set; the alert '{alert.Title}' was not ticketed.";
            await _audit.WriteAsync(AuditOperations.CreateAlertTicket, client.ConnectionName, AuditStatus.Failed, started, reason, vendorIds).ConfigureAwait(false);
            return new AlertResult { Outcome = AlertOutcome.Unmapped, Reason = reason };
        }

        var (companyId, catchAll) = target.Value;
        var key = $"alert:{alert.VendorCustomerId}:{alert.AlertKey}";
        var state = await _store.GetStateAsync(client.ConnectionName, key, cancellationToken).ConfigureAwait(false);
        if (state is not null && long.TryParse(state.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var openTicketId))
        {
            var ticket = await client.GetAsync<Ticket>(openTicketId, cancellationToken).ConfigureAwait(false);
            if (ticket is not null && !await IsClosedAsync(client, mapping, ticket, cancellationToken).ConfigureAwait(false))
            {
                var (noteType, publish) = await NoteSettingsAsync(client, mapping, cancellationToken).ConfigureAwait(false);
                await client.CreateAsync(new TicketNote
                {
                    TicketId = ticket.Id,
                    Title = Truncate("Repeated: " + alert.Title, 250),
                    Description = $"The alert happened again at {Format(alert.OccurredAt, await ZoneAsync(client.ConnectionName, cancellationToken).ConfigureAwait(false))}.\n\n{alert.Description}".Trim(),
                    NoteType = noteType,
                    Publish = publish,
                }, cancellationToken).ConfigureAwait(false);
                await _audit.WriteAsync(AuditOperations.AddAlertTicketNote, client.ConnectionName, AuditStatus.Succeeded, started,
                    $"Alert '{alert.Title}' repeated; noted on ticket {ticket.TicketNumber}.", vendorIds,
                    new Dictionary<string, long> { ["company"] = companyId, ["ticket"] = ticket.Id }).ConfigureAwait(false);
                return new AlertResult { Outcome = AlertOutcome.NoteAdded, TicketId = ticket.Id, TicketNumber = ticket.TicketNumber, CompanyId = companyId, CatchAll = catchAll };
            }
        }

        var description = new StringBuilder();
        if (catchAll)
        {
            description.Append("[Vendor customer '").Append(alert.VendorCustomerId).Append("' is not mapped to an Autotask company.]\n\n");
        }

        description.Append(alert.Description).Append("\n\nAlert: ").Append(alert.AlertKey).Append(", ").Append(alert.Severity)
            .Append(", at ").Append(Format(alert.OccurredAt, await ZoneAsync(client.ConnectionName, cancellationToken).ConfigureAwait(false))).Append('.');
        var created = await CreateTicketAsync(client, rule, companyId, alert.Title, description.ToString(), alert.OccurredAt,
            id => RememberAsync(client.ConnectionName, key, state, id, cancellationToken), cancellationToken).ConfigureAwait(false);
        await _audit.WriteAsync(AuditOperations.CreateAlertTicket, client.ConnectionName, AuditStatus.Succeeded, started,
            $"Created ticket {created.TicketNumber} for {alert.Severity} alert '{alert.Title}'{(catchAll ? " on the catch-all company" : "")}.", vendorIds,
            new Dictionary<string, long> { ["company"] = companyId, ["ticket"] = created.Id }).ConfigureAwait(false);
        return new AlertResult { Outcome = AlertOutcome.TicketCreated, TicketId = created.Id, TicketNumber = created.TicketNumber, CompanyId = companyId, CatchAll = catchAll };
    }

    /// <inheritdoc />
    public Task<AlertResult> PublishDailyDigestAsync(string connection, string vendorCustomerId, LocalDate day, IReadOnlyList<Alert> events, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(vendorCustomerId);
        ArgumentNullException.ThrowIfNull(events);
        return AuditFailuresAsync(AuditOperations.CreateDigestTicket, connection,
            new Dictionary<string, string> { ["customer"] = vendorCustomerId, ["day"] = day.ToString("uuuu-MM-dd", CultureInfo.InvariantCulture) },
            () => PublishDailyDigestCoreAsync(connection, vendorCustomerId, day, events, cancellationToken), cancellationToken);
    }

    private async Task<AlertResult> PublishDailyDigestCoreAsync(string connection, string vendorCustomerId, LocalDate day, IReadOnlyList<Alert> events, CancellationToken cancellationToken)
    {
        var client = _clients.GetClient(connection);
        var mapping = await MappingAsync(client.ConnectionName, cancellationToken).ConfigureAwait(false);
        var rule = mapping.DailyDigest ?? throw new AlertMappingException($"The alert mapping of connection '{client.ConnectionName}' has no DailyDigest rule.");
        var started = _time.GetCurrentInstant();
        var vendorIds = new Dictionary<string, string> { ["customer"] = vendorCustomerId, ["day"] = day.ToString("uuuu-MM-dd", CultureInfo.InvariantCulture) };
        var target = await CompanyAsync(client.ConnectionName, mapping, vendorCustomerId, cancellationToken).ConfigureAwait(false);
        if (target is null)
        {
            var reason = $"Vendor customer '{vendorCustomerId}' is not mapped to an Autotask company and no catch-all company is set; the digest of {day:uuuu-MM-dd} was not ticketed.";
            await _audit.WriteAsync(AuditOperations.CreateDigestTicket, client.ConnectionName, AuditStatus.Failed, started, reason, vendorIds).ConfigureAwait(false);
            return new AlertResult { Outcome = AlertOutcome.Unmapped, Reason = reason };
        }

        var (companyId, catchAll) = target.Value;
        var zone = await ZoneAsync(client.ConnectionName, cancellationToken).ConfigureAwait(false);
        var summary = string.Join("\n", events.OrderBy(e => e.OccurredAt).Select(e => $"- {Format(e.OccurredAt, zone)} {e.Severity}: {e.Title}"));
        var key = $"digest:{vendorCustomerId}:{day:uuuu-MM-dd}";
        var state = await _store.GetStateAsync(client.ConnectionName, key, cancellationToken).ConfigureAwait(false);
        if (state is not null && long.TryParse(state.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var digestId) &&
            await client.GetAsync<Ticket>(digestId, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            var (noteType, publish) = await NoteSettingsAsync(client, mapping, cancellationToken).ConfigureAwait(false);
            await client.CreateAsync(new TicketNote
            {
                TicketId = existing.Id,
                Title = $"Digest update: {events.Count} event(s)",
                Description = events.Count == 0 ? "No new events." : summary,
                NoteType = noteType,
                Publish = publish,
            }, cancellationToken).ConfigureAwait(false);
            await _audit.WriteAsync(AuditOperations.AddAlertTicketNote, client.ConnectionName, AuditStatus.Succeeded, started,
                $"Digest of {day:uuuu-MM-dd} ran again; noted {events.Count} event(s) on ticket {existing.TicketNumber}.", vendorIds,
                new Dictionary<string, long> { ["company"] = companyId, ["ticket"] = existing.Id }).ConfigureAwait(false);
            return new AlertResult { Outcome = AlertOutcome.NoteAdded, TicketId = existing.Id, TicketNumber = existing.TicketNumber, CompanyId = companyId, CatchAll = catchAll };
        }

        var counts = string.Join(", ", new[] { AlertSeverity.Error, AlertSeverity.Warning, AlertSeverity.Success }.Select(s => $"{events.Count(e => e.Severity == s)} {s.ToString().ToLowerInvariant()}"));
        var title = $"Daily digest {day:uuuu-MM-dd}: {counts}";
        var dueFrom = day.AtMidnight().InZoneLeniently(zone).ToInstant();
        var created = await CreateTicketAsync(client, rule, companyId, title, (catchAll ? $"[Vendor customer '{vendorCustomerId}' is not mapped.]\n\n" : "") + summary, dueFrom,
            id => RememberAsync(client.ConnectionName, key, state, id, cancellationToken), cancellationToken).ConfigureAwait(false);
        await _audit.WriteAsync(AuditOperations.CreateDigestTicket, client.ConnectionName, AuditStatus.Succeeded, started,
            $"Created digest ticket {created.TicketNumber} with {events.Count} event(s).", vendorIds,
            new Dictionary<string, long> { ["company"] = companyId, ["ticket"] = created.Id }).ConfigureAwait(false);
        return new AlertResult { Outcome = AlertOutcome.TicketCreated, TicketId = created.Id, TicketNumber = created.TicketNumber, CompanyId = companyId, CatchAll = catchAll };
    }

    /// <inheritdoc />
    public Task<AlertResult> SendTestTicketAsync(string connection, string? vendorCustomerId = null, CancellationToken cancellationToken = default) =>
        AuditFailuresAsync(AuditOperations.SendTestTicket, connection, vendorCustomerId is null ? null : new Dictionary<string, string> { ["customer"] = vendorCustomerId },
            () => SendTestTicketCoreAsync(connection, vendorCustomerId, cancellationToken), cancellationToken);

    private async Task<AlertResult> SendTestTicketCoreAsync(string connection, string? vendorCustomerId, CancellationToken cancellationToken)
    {
        var client = _clients.GetClient(connection);
        var mapping = await MappingAsync(client.ConnectionName, cancellationToken).ConfigureAwait(false);
        var rule = mapping.Severities.GetValueOrDefault(AlertSeverity.Success) ?? mapping.DailyDigest ?? mapping.Severities.Values.FirstOrDefault()
            ?? throw new AlertMappingException($"The alert mapping of connection '{client.ConnectionName}' has no rules.");
        var started = _time.GetCurrentInstant();
        (long Id, bool CatchAll)? target = vendorCustomerId is null
            ? mapping.CatchAllCompanyId is { } catchAllId ? (catchAllId, true) : null
            : await CompanyAsync(client.ConnectionName, mapping, vendorCustomerId, cancellationToken).ConfigureAwait(false);
        if (target is null)
        {
            throw new MappingException(vendorCustomerId is null ? MappingError.InvalidInput : MappingError.CustomerNotMapped,
                vendorCustomerId is null
                    ? "Name a mapped vendor customer for the test ticket, or set a catch-all company in the alert mapping."
                    : $"Vendor customer '{vendorCustomerId}' is not mapped to an Autotask company; map it before sending a test ticket.");
        }

        var created = await CreateTicketAsync(client, rule, target.Value.Id, "[TEST] Autotask.Integration test ticket",
            "This is a test ticket sent from the integration's settings to prove that alerts reach Autotask. It is safe to close.", _time.GetCurrentInstant(), null, cancellationToken).ConfigureAwait(false);
        await _audit.WriteAsync(AuditOperations.SendTestTicket, client.ConnectionName, AuditStatus.Succeeded, started, $"Created test ticket {created.TicketNumber}.",
            vendorCustomerId is null ? null : new Dictionary<string, string> { ["customer"] = vendorCustomerId },
            new Dictionary<string, long> { ["company"] = target.Value.Id, ["ticket"] = created.Id }).ConfigureAwait(false);
        return new AlertResult { Outcome = AlertOutcome.TicketCreated, TicketId = created.Id, TicketNumber = created.TicketNumber, CompanyId = target.Value.Id, CatchAll = target.Value.CatchAll };
    }

    /// <summary>Runs an operation and audits its failure (it audits its own outcomes otherwise), then lets the failure through.</summary>
    private async Task<AlertResult> AuditFailuresAsync(
        string operation, string connection, IReadOnlyDictionary<string, string>? vendorIds, Func<Task<AlertResult>> action, CancellationToken cancellationToken)
    {
        var name = _clients.GetClient(connection).ConnectionName;
        var started = _time.GetCurrentInstant();
        try
        {
            await _binding.OpenAsync(name, cancellationToken).ConfigureAwait(false);
            return await action().ConfigureAwait(false);
        }
        catch (AutotaskException ex)
        {
            await _audit.WriteAsync(operation, name, AuditStatus.Failed, started, ex.Message, vendorIds).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The sync-state key a mapping saved at run time is kept under.</summary>
    internal const string MappingStateKey = "alerts.mapping";

    private async Task<AlertMapping> MappingAsync(string connection, CancellationToken cancellationToken) =>
        await GetMappingAsync(connection, cancellationToken).ConfigureAwait(false)
        ?? throw new AlertMappingException($"Connection '{connection}' has no alert mapping: save one with SaveMappingAsync, or configure one with AddAlertTickets(o => o.For(\"{connection}\", ...)).");

    private async Task<DateTimeZone> ZoneAsync(string connection, CancellationToken cancellationToken) =>
        DateTimeZoneProviders.Tzdb[(await _binding.SettingsAsync(connection, cancellationToken).ConfigureAwait(false)).TimeZone];

    private async Task<(long Id, bool CatchAll)?> CompanyAsync(string connection, AlertMapping mapping, string vendorCustomerId, CancellationToken cancellationToken)
    {
        var customer = await _store.FindCustomerAsync(connection, vendorCustomerId, cancellationToken).ConfigureAwait(false);
        return customer is not null ? (customer.CompanyId, false) : mapping.CatchAllCompanyId is { } catchAll ? (catchAll, true) : null;
    }

    private async Task<Ticket> CreateTicketAsync(
        IAutotaskClient client, AlertTicketRule rule, long companyId, string title, string description, Instant from, Func<long, Task>? remember, CancellationToken cancellationToken)
    {
        // Every label the ticket and its later notes need, before the ticket exists: a label that went missing must not
        // leave a ticket whose first repeat then fails.
        ResolvedRule resolved;
        try
        {
            resolved = await ResolveAsync(client, rule, cancellationToken).ConfigureAwait(false);
            await NoteSettingsAsync(client, await MappingAsync(client.ConnectionName, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        catch (PicklistLabelNotFoundException ex)
        {
            throw new AlertMappingException($"The alert mapping of connection '{client.ConnectionName}' names a label this Autotask instance does not have, so no ticket was created: {ex.Message}", ex);
        }

        var zone = await ZoneAsync(client.ConnectionName, cancellationToken).ConfigureAwait(false);
        var due = from.InZone(zone).LocalDateTime.PlusDays(rule.DaysUntilDue).InZoneLeniently(zone).ToInstant();
        var id = await client.CreateAsync(new Ticket
        {
            CompanyId = companyId,
            Title = Truncate(title, 255),
            Description = Truncate(description, 8000),
            Priority = resolved.Priority,
            QueueId = resolved.Queue,
            Status = resolved.Status,
            Source = resolved.Source,
            IssueType = resolved.IssueType,
            DueDateTime = due,
        }, cancellationToken).ConfigureAwait(false);

        // Remembered before anything else can fail, so that the alert's next occurrence finds this ticket.
        if (remember is not null)
        {
            await remember(id).ConfigureAwait(false);
        }

        return await client.GetAsync<Ticket>(id, cancellationToken).ConfigureAwait(false) ?? new Ticket { Id = id, CompanyId = companyId };
    }

    private async Task RememberAsync(string connection, string key, SyncStateValue? previous, long ticketId, CancellationToken cancellationToken)
    {
        try
        {
            await _store.SetStateAsync(connection, key, ticketId.ToString(CultureInfo.InvariantCulture), previous?.Version ?? 0, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreConcurrencyException)
        {
            // Another process ticketed the same alert at the same moment; its ticket is remembered, this one stands on its own.
        }
    }

    private static async Task<bool> IsClosedAsync(IAutotaskClient client, AlertMapping mapping, Ticket ticket, CancellationToken cancellationToken)
    {
        if (ticket.Status is not { } status)
        {
            return false;
        }

        var statuses = await client.GetPicklistAsync<Ticket>("status", cancellationToken).ConfigureAwait(false);
        var label = statuses.GetLabel(status.Value);
        return label is not null && mapping.ClosedStatuses.Any(c => string.Equals(c.Trim(), label.Trim(), StringComparison.OrdinalIgnoreCase));
    }

    private static async Task<(int NoteType, int Publish)> NoteSettingsAsync(IAutotaskClient client, AlertMapping mapping, CancellationToken cancellationToken)
    {
        var types = await client.GetPicklistAsync<TicketNote>("noteType", cancellationToken).ConfigureAwait(false);
        var publish = await client.GetPicklistAsync<TicketNote>("publish", cancellationToken).ConfigureAwait(false);
        return (types.GetId(mapping.NoteType), publish.GetId(mapping.NotePublish));
    }

    private static async Task<ResolvedRule> ResolveAsync(IAutotaskClient client, AlertTicketRule rule, CancellationToken cancellationToken)
    {
        var priority = await client.GetPicklistAsync<Ticket>("priority", cancellationToken).ConfigureAwait(false);
        var queue = await client.GetPicklistAsync<Ticket>("queueID", cancellationToken).ConfigureAwait(false);
        var status = await client.GetPicklistAsync<Ticket>("status", cancellationToken).ConfigureAwait(false);
        int? source = null;
        int? issueType = null;
        if (rule.Source is { } sourceLabel)
        {
            source = (await client.GetPicklistAsync<Ticket>("source", cancellationToken).ConfigureAwait(false)).GetId(sourceLabel);
        }

        if (rule.IssueType is { } issueLabel)
        {
            issueType = (await client.GetPicklistAsync<Ticket>("issueType", cancellationToken).ConfigureAwait(false)).GetId(issueLabel);
        }

        return new ResolvedRule(priority.GetId(rule.Priority), queue.GetId(rule.Queue), status.GetId(rule.Status), source, issueType);
    }

    private static string Format(Instant instant, DateTimeZone zone) =>
        instant.InZone(zone).ToString("uuuu-MM-dd HH:mm", CultureInfo.InvariantCulture) + " (" + zone.Id + ")";

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    private sealed record ResolvedRule(int Priority, int Queue, int Status, int? Source, int? IssueType);
}
