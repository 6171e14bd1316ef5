using Autotask.Integration.Alerts;
using Autotask.Integration.Auditing;
using Autotask.Integration.Connections;
using Autotask.Integration.Entities;
using Autotask.Integration.Mapping;
using Autotask.Integration.Querying;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NodaTime;

namespace Autotask.Integration.Tests.Alerts;

public sealed class AlertTicketTests : IAsyncLifetime
{
    private static readonly Instant Occurred = Instant.FromUtc(2026, 11, 25, 22, 30);
    private SyncHarness _sync = null!;
    private Company _customer = null!;
    private Company _catchAll = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void Mapping(AlertMapping m, long? catchAll = null)
    {
        m.Severities[AlertSeverity.Error] = new AlertTicketRule { Priority = "High", Queue = "Monitoring Alert", DaysUntilDue = 1, Source = "Monitoring Alert", IssueType = "Backup" };
        m.Severities[AlertSeverity.Warning] = new AlertTicketRule { Priority = "Medium", Queue = "Monitoring Alert", DaysUntilDue = 3 };
        m.Severities[AlertSeverity.Success] = new AlertTicketRule { Priority = "Low", Queue = "Level I Support", DaysUntilDue = 7 };
        m.DailyDigest = new AlertTicketRule { Priority = "Low", Queue = "Monitoring Alert", DaysUntilDue = 1 };
        m.CatchAllCompanyId = catchAll;
    }

    public async ValueTask InitializeAsync()
    {
        var simulator = AutotaskSimulator.Create();
        _customer = simulator.Data.All<Company>()[0];
        _catchAll = simulator.Data.All<Company>()[1];
        _sync = SyncHarness.For(simulator, c => c.TimeZone = "America/New_York", configure: b => b.AddAlertTickets(o => o.For(SyncHarness.Connection, m => Mapping(m))));
        await _sync.Store.AddCustomerAsync(new CustomerMapping { Connection = SyncHarness.Connection, VendorCustomerId = "org-1", CompanyId = _customer.Id }, Ct);
    }

    public async ValueTask DisposeAsync() => await _sync.DisposeAsync();

    private static Alert Failed(string key = "job-7:failed", Instant? at = null, string customer = "org-1") => new()
    {
        VendorCustomerId = customer,
        AlertKey = key,
        Severity = AlertSeverity.Error,
        Title = "Backup job 'Nightly SQL' failed",
        Description = "Volume D: could not be read.",
        OccurredAt = at ?? Occurred,
    };

    private IReadOnlyList<Ticket> Tickets => _sync.Simulator.Data.All<Ticket>();

    [Fact]
    public async Task An_alert_becomes_a_ticket_with_the_mapped_priority_queue_and_due_date()
    {
        var result = await _sync.Alerts.PublishAlertAsync(SyncHarness.Connection, Failed(), Ct);

        Assert.Equal(AlertOutcome.TicketCreated, result.Outcome);
        var ticket = Assert.Single(Tickets);
        Assert.Equal(result.TicketId, ticket.Id);
        Assert.Equal(ticket.TicketNumber, result.TicketNumber);
        Assert.Equal(_customer.Id, ticket.CompanyId);
        Assert.Equal(1, ticket.Priority);
        Assert.Equal(29683481, ticket.QueueId);
        Assert.Equal(1, ticket.Status);
        Assert.Equal(8, ticket.Source);
        Assert.Equal(10, ticket.IssueType);
        // 22:30 UTC is 17:30 in New York; one day later, in New York's calendar.
        Assert.Equal(Instant.FromUtc(2026, 11, 26, 22, 30), ticket.DueDateTime);
        Assert.Contains("Volume D:", ticket.Description, StringComparison.Ordinal);
        var audit = Assert.Single(_sync.Audit.Events);
        Assert.Equal(AuditOperations.CreateAlertTicket, audit.Operation);
        Assert.Equal(ticket.Id, audit.AutotaskIds["ticket"]);
    }

    [Fact]
    public async Task Due_dates_and_digest_times_follow_the_instances_calendar_across_a_daylight_saving_change()
    {
        // New York leaves daylight saving time on 2026-11-01 at 02:00: that day has 25 hours.
        var noonBefore = Instant.FromUtc(2026, 10, 31, 16, 0); // 12:00 EDT

        var alert = await _sync.Alerts.PublishAlertAsync(SyncHarness.Connection, Failed(at: noonBefore), Ct);
        var digest = await _sync.Alerts.PublishDailyDigestAsync(SyncHarness.Connection, "org-1", new LocalDate(2026, 11, 1),
            [Failed("job-9:failed", Instant.FromUtc(2026, 11, 1, 4, 30))], Ct);

        // One day later in New York's calendar is 12:00 EST, 25 hours on (24 hours would be 11:00 EST).
        Assert.Equal(Instant.FromUtc(2026, 11, 1, 17, 0), _sync.Simulator.Data.Get<Ticket>(alert.TicketId!.Value)!.DueDateTime);
        // The digest of 1 November is due at midnight starting 2 November in New York (05:00 UTC), not at midnight UTC.
        var digestTicket = _sync.Simulator.Data.Get<Ticket>(digest.TicketId!.Value)!;
        Assert.Equal(Instant.FromUtc(2026, 11, 2, 5, 0), digestTicket.DueDateTime);
        // Event times are written in the instance's time zone: 04:30 UTC is 00:30 EDT.
        Assert.Contains("2026-11-01 00:30 (America/New_York)", digestTicket.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_repeated_alert_adds_a_note_while_its_ticket_is_open_and_a_new_ticket_once_it_is_closed()
    {
        var first = await _sync.Alerts.PublishAlertAsync(SyncHarness.Connection, Failed(), Ct);
        var repeat = await _sync.Alerts.PublishAlertAsync(SyncHarness.Connection, Failed(at: Occurred.Plus(Duration.FromHours(1))), Ct);
        var other = await _sync.Alerts.PublishAlertAsync(SyncHarness.Connection, Failed("job-8:failed"), Ct);

        Assert.Equal(AlertOutcome.NoteAdded, repeat.Outcome);
        Assert.Equal(first.TicketId, repeat.TicketId);
        Assert.Equal(AlertOutcome.TicketCreated, other.Outcome);
        var note = Assert.Single(_sync.Simulator.Data.All<TicketNote>());
        Assert.Equal(first.TicketId, note.TicketId);
        Assert.StartsWith("Repeated:", note.Title, StringComparison.Ordinal);

        await _sync.Client.UpdateAsync(new EntityPatch<Ticket>(first.TicketId!.Value).Set(t => t.Status, 5), Ct);
        var afterClose = await _sync.Alerts.PublishAlertAsync(SyncHarness.Connection, Failed(), Ct);

        Assert.Equal(AlertOutcome.TicketCreated, afterClose.Outcome);
        Assert.NotEqual(first.TicketId, afterClose.TicketId);
        Assert.Equal(3, Tickets.Count);
    }

    [Fact]
    public async Task An_unmapped_customer_is_reported_never_dropped_silently()
    {
        var result = await _sync.Alerts.PublishAlertAsync(SyncHarness.Connection, Failed(customer: "org-unknown"), Ct);

        Assert.Equal(AlertOutcome.Unmapped, result.Outcome);
        Assert.Contains("org-unknown", result.Reason, StringComparison.Ordinal);
        Assert.Empty(Tickets);
        Assert.Equal(AuditStatus.Failed, Assert.Single(_sync.Audit.Events).Status);
    }

    [Fact]
    public async Task An_unmapped_customer_goes_to_the_catch_all_company_when_one_is_set()
    {
        await using var sync = SyncHarness.Create(configure: b => b.AddAlertTickets(o => o.For(SyncHarness.Connection, m => Mapping(m, catchAll: 2))));

        var result = await sync.Alerts.PublishAlertAsync(SyncHarness.Connection, Failed(customer: "org-unknown"), Ct);

        Assert.True(result.CatchAll);
        var ticket = Assert.Single(sync.Simulator.Data.All<Ticket>());
        Assert.Equal(2, ticket.CompanyId);
        Assert.Contains("'org-unknown' is not mapped", ticket.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_daily_digest_makes_one_ticket_per_customer_per_day_however_often_it_runs()
    {
        var day = new LocalDate(2026, 11, 25);
        Alert[] events =
        [
            Failed(),
            Failed("job-9:warning") with { Severity = AlertSeverity.Warning, Title = "Job slow" },
            Failed("job-10:ok") with { Severity = AlertSeverity.Success, Title = "Job done" },
        ];

        var first = await _sync.Alerts.PublishDailyDigestAsync(SyncHarness.Connection, "org-1", day, events, Ct);
        var again = await _sync.Alerts.PublishDailyDigestAsync(SyncHarness.Connection, "org-1", day, events[..1], Ct);
        var nextDay = await _sync.Alerts.PublishDailyDigestAsync(SyncHarness.Connection, "org-1", day.PlusDays(1), events, Ct);

        Assert.Equal(AlertOutcome.TicketCreated, first.Outcome);
        Assert.Equal(AlertOutcome.NoteAdded, again.Outcome);
        Assert.Equal(first.TicketId, again.TicketId);
        Assert.NotEqual(first.TicketId, nextDay.TicketId);
        Assert.Equal(2, Tickets.Count);
        Assert.Equal("Daily digest 2026-11-25: 1 error, 1 warning, 1 success", _sync.Simulator.Data.Get<Ticket>(first.TicketId!.Value)!.Title);
    }

    [Fact]
    public async Task A_test_ticket_is_clearly_marked_and_reports_its_number()
    {
        var result = await _sync.Alerts.SendTestTicketAsync(SyncHarness.Connection, "org-1", Ct);

        var ticket = Assert.Single(Tickets);
        Assert.StartsWith("[TEST]", ticket.Title, StringComparison.Ordinal);
        Assert.Matches(@"^T\d{8}\.\d{4}$", result.TicketNumber!);
        await Assert.ThrowsAsync<MappingException>(() => _sync.Alerts.SendTestTicketAsync(SyncHarness.Connection, "org-unknown", Ct));
    }

    [Fact]
    public async Task A_label_that_does_not_exist_fails_validation_and_the_connection_test_listing_the_labels_that_do()
    {
        await using var sync = SyncHarness.Create(configure: b => b.AddAlertTickets(o => o.For(SyncHarness.Connection, m =>
        {
            Mapping(m);
            m.Severities[AlertSeverity.Error].Priority = "P1 - Urgent";
        })));

        var error = await Assert.ThrowsAsync<AlertMappingException>(() => sync.Alerts.ValidateAsync(SyncHarness.Connection, Ct));
        var test = await sync.Tester.TestAsync(SyncHarness.Connection, ConnectionRequirements.AlertTickets, Ct);

        Assert.Contains("'P1 - Urgent'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'Critical', 'High', 'Medium', 'Low'", error.Message, StringComparison.Ordinal);
        Assert.False(test.Succeeded);
        Assert.Contains(test.Problems, p => p.Contains("P1 - Urgent", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_note_label_that_does_not_exist_creates_no_ticket_and_the_failure_is_audited()
    {
        await using var sync = SyncHarness.Create(configure: b => b.AddAlertTickets(o => o.For(SyncHarness.Connection, m =>
        {
            Mapping(m);
            m.NotePublish = "Everyone";
        })));
        var customer = sync.Simulator.Data.All<Company>()[0];
        await sync.Store.AddCustomerAsync(new CustomerMapping { Connection = SyncHarness.Connection, VendorCustomerId = "org-1", CompanyId = customer.Id }, Ct);
        var tickets = sync.Simulator.Data.All<Ticket>().Count;

        var error = await Assert.ThrowsAsync<AlertMappingException>(() => sync.Alerts.PublishAlertAsync(SyncHarness.Connection, Failed(), Ct));
        var digest = await Assert.ThrowsAsync<AlertMappingException>(() => sync.Alerts.PublishDailyDigestAsync(SyncHarness.Connection, "org-1", new LocalDate(2026, 11, 25), [Failed()], Ct));

        Assert.Contains("'Everyone'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'Internal Users Only'", error.Message, StringComparison.Ordinal);
        Assert.Equal(tickets, sync.Simulator.Data.All<Ticket>().Count);
        Assert.Equal([(AuditOperations.CreateAlertTicket, AuditStatus.Failed), (AuditOperations.CreateDigestTicket, AuditStatus.Failed)],
            sync.Audit.Events.Select(e => (e.Operation, e.Status)));
        Assert.Equal(error.Message, sync.Audit.Events[0].Details);
        Assert.Equal(digest.Message, sync.Audit.Events[1].Details);
    }

    [Fact]
    public async Task A_test_ticket_that_cannot_be_sent_is_audited_as_failed()
    {
        await Assert.ThrowsAsync<MappingException>(() => _sync.Alerts.SendTestTicketAsync(SyncHarness.Connection, "org-unknown", Ct));

        var audit = Assert.Single(_sync.Audit.Events);
        Assert.Equal((AuditOperations.SendTestTicket, AuditStatus.Failed, "org-unknown"), (audit.Operation, audit.Status, audit.VendorIds["customer"]));
    }

    [Fact]
    public async Task A_label_that_does_not_exist_stops_the_host_at_start_up()
    {
        await using var simulator = AutotaskSimulator.Create();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAutotaskIntegration(o => simulator.AddConnection(o, "backup")).UseSimulator(simulator)
            .AddAlertTickets(o => o.For("backup", m =>
            {
                Mapping(m);
                m.Severities[AlertSeverity.Warning].Queue = "No Such Queue";
            }));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<AlertMappingException>(() => host.StartAsync(Ct));
        Assert.Contains("No Such Queue", error.Message, StringComparison.Ordinal);
        Assert.Contains("'Monitoring Alert'", error.Message, StringComparison.Ordinal);
    }
}
