using System.Net;
using System.Text;
using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using NodaTime;

namespace Autotask.Integration.Tests.Simulator;

public sealed class SimulatorWriteTests : IAsyncLifetime
{
    private static readonly LocalDate Start = new(2026, 1, 1);
    private SimulatorHarness _sim = null!;
    private Contract _recurring = null!;
    private Contract _hourly = null!;
    private ContractService _line = null!;
    private Service _backup = null!;

    public ValueTask InitializeAsync()
    {
        _sim = SimulatorHarness.Create(new AutotaskSimulatorOptions
        {
            DataSet = SimulatorDataSet.Empty,
            Fixtures = data =>
            {
                var company = data.Add(new Company { CompanyName = "Contoso", CompanyType = 1, IsActive = true });
                _recurring = data.Add(new Contract { CompanyId = company.Id, ContractName = "Managed", ContractType = ContractType.RecurringService, Status = 1, StartDate = Start, EndDate = new LocalDate(2026, 12, 31) });
                _hourly = data.Add(new Contract { CompanyId = company.Id, ContractName = "T&M", ContractType = ContractType.TimeAndMaterials, Status = 1, StartDate = Start, EndDate = new LocalDate(2026, 12, 31) });
                var m365 = data.Add(new Service { Name = "M365", PeriodType = 1, UnitPrice = 20m, UnitCost = 15m });
                _backup = data.Add(new Service { Name = "Backup", PeriodType = 1, UnitPrice = 5m });
                _line = data.Add(new ContractService { ContractId = _recurring.Id, ServiceId = m365.Id, UnitPrice = 20m });
                data.Add(new ContractServiceAdjustment { ContractId = _recurring.Id, ContractServiceId = _line.Id, EffectiveDate = Start, UnitChange = 10 });
            },
        });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _sim.DisposeAsync();

    private Task<long> Adjust(int change, LocalDate effective, long? line = null, long? service = null, long? contract = null) =>
        _sim.Client.CreateAsync(new ContractServiceAdjustment
        {
            ContractId = contract ?? _recurring.Id,
            ContractServiceId = line ?? (service is null ? _line.Id : null),
            ServiceId = service,
            EffectiveDate = effective,
            UnitChange = change,
        }, TestContext.Current.CancellationToken);

    [Fact]
    public async Task An_adjustment_changes_the_units_billed_from_its_effective_date()
    {
        await Adjust(+7, new LocalDate(2026, 3, 15));

        Assert.Equal(10, _sim.Simulator.Data.UnitsOn(_line.Id, new LocalDate(2026, 3, 14)));
        Assert.Equal(17, _sim.Simulator.Data.UnitsOn(_line.Id, new LocalDate(2026, 3, 15)));
        var units = await _sim.All(new AutotaskQuery<ContractServiceUnit>()
            .Where(Filter<ContractServiceUnit>.Eq(u => u.ContractServiceId, _line.Id), Filter<ContractServiceUnit>.Gte(u => u.StartDate, new LocalDate(2026, 3, 1)),
                Filter<ContractServiceUnit>.Lte(u => u.StartDate, new LocalDate(2026, 4, 1))));
        Assert.Equal(
            [(new LocalDate(2026, 3, 1), new LocalDate(2026, 3, 14), 10), (new LocalDate(2026, 3, 15), new LocalDate(2026, 3, 31), 17), (new LocalDate(2026, 4, 1), new LocalDate(2026, 4, 30), 17)],
            units.Select(u => (u.StartDate!.Value, u.EndDate!.Value, u.Units)));
        var applied = Assert.Single(_sim.Simulator.AppliedAdjustments);
        Assert.Equal(7, applied.UnitChange);
    }

    [Fact]
    public async Task Units_can_drop_to_zero_but_never_below()
    {
        await Adjust(-10, new LocalDate(2026, 6, 1));
        Assert.Equal(0, _sim.Simulator.Data.UnitsOn(_line.Id, new LocalDate(2026, 6, 1)));

        var error = await Assert.ThrowsAsync<AutotaskValidationException>(() => Adjust(-1, new LocalDate(2026, 7, 1)));
        Assert.Contains("fewer than zero", error.Message, StringComparison.Ordinal);
        Assert.Single(_sim.Simulator.AppliedAdjustments);
    }

    [Fact]
    public async Task Adjustments_are_refused_on_other_contract_types_outside_dates_and_for_unknown_lines()
    {
        await Assert.ThrowsAsync<AutotaskValidationException>(() => Adjust(1, new LocalDate(2026, 2, 1), contract: _hourly.Id, line: _line.Id));
        await Assert.ThrowsAsync<AutotaskValidationException>(() => Adjust(1, new LocalDate(2027, 2, 1)));
        await Assert.ThrowsAsync<AutotaskValidationException>(() => Adjust(1, new LocalDate(2026, 2, 1), line: 424242));
        await Assert.ThrowsAsync<AutotaskValidationException>(() => Adjust(0, new LocalDate(2026, 2, 1)));
        Assert.Empty(_sim.Simulator.AppliedAdjustments);
    }

    [Fact]
    public async Task Only_whole_units_are_accepted()
    {
        using var http = _sim.RawClient();
        var body = $$"""{"contractID":{{_recurring.Id}},"contractServiceID":{{_line.Id}},"effectiveDate":"2026-02-01T00:00:00","unitChange":1.5}""";

        using var response = await http.PostAsync($"Contracts/{_recurring.Id}/ServiceAdjustments", new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("whole number", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Empty(_sim.Simulator.AppliedAdjustments);
    }

    [Fact]
    public async Task Adjusting_a_service_the_contract_lacks_adds_it_to_the_contract()
    {
        await Adjust(3, new LocalDate(2026, 2, 1), service: _backup.Id);

        var line = Assert.Single(_sim.Simulator.Data.All<ContractService>(), s => s.ServiceId == _backup.Id);
        Assert.Equal(_recurring.Id, line.ContractId);
        Assert.Equal(3, _sim.Simulator.Data.UnitsOn(line.Id, new LocalDate(2026, 2, 1)));
    }

    [Fact]
    public async Task Tickets_get_numbers_notes_go_under_the_ticket_and_patches_change_only_what_they_name()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = await _sim.Client.CreateAsync(new Ticket { CompanyId = 1, Title = "Backup failed", Status = 1, Priority = 1, QueueId = 29683481 }, ct);
        var second = await _sim.Client.CreateAsync(new Ticket { CompanyId = 1, Title = "Backup failed again", Status = 1, Priority = 2 }, ct);
        await _sim.Client.CreateAsync(new TicketNote { TicketId = first, Title = "Repeat", Description = "Seen again", NoteType = 1, Publish = 1 }, ct);
        await _sim.Client.UpdateAsync(new EntityPatch<Ticket>(first).Set(t => t.Status, 5), ct);

        var ticket = (await _sim.Client.GetAsync<Ticket>(first, ct))!;
        var today = SystemClock.Instance.GetCurrentInstant().InUtc().Date;
        Assert.Equal($"T{today:yyyyMMdd}.0001", ticket.TicketNumber);
        Assert.Equal($"T{today:yyyyMMdd}.0002", (await _sim.Client.GetAsync<Ticket>(second, ct))!.TicketNumber);
        Assert.Equal(5, ticket.Status);
        Assert.Equal("Backup failed", ticket.Title);
        Assert.NotNull(ticket.CompletedDate);
        var note = Assert.Single(_sim.Simulator.Data.All<TicketNote>());
        Assert.Equal(first, note.TicketId);
    }

    [Fact]
    public async Task Bad_tickets_are_refused_with_autotask_messages()
    {
        var ct = TestContext.Current.CancellationToken;
        var unknownCompany = await Assert.ThrowsAsync<AutotaskValidationException>(() =>
            _sim.Client.CreateAsync(new Ticket { CompanyId = 999, Title = "x", Status = 1, Priority = 1 }, ct));
        Assert.Contains("companyID", unknownCompany.Message, StringComparison.Ordinal);
        var badPriority = await Assert.ThrowsAsync<AutotaskValidationException>(() =>
            _sim.Client.CreateAsync(new Ticket { CompanyId = 1, Title = "x", Status = 1, Priority = 77 }, ct));
        Assert.Contains("priority", badPriority.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<AutotaskValidationException>(() => _sim.Client.CreateAsync(new Ticket { CompanyId = 1, Status = 1, Priority = 1 }, ct));
        await Assert.ThrowsAsync<AutotaskValidationException>(() => _sim.Client.UpdateAsync(new EntityPatch<Ticket>(12345).Set(t => t.Status, 5), ct));
        Assert.Empty(_sim.Simulator.Data.All<Ticket>());
    }

    [Fact]
    public async Task Child_entities_cannot_be_created_through_the_root_url()
    {
        using var http = _sim.RawClient();

        using var response = await http.PostAsync("TicketNotes", new StringContent("""{"ticketID":1,"description":"x","noteType":1,"publish":1}""", Encoding.UTF8, "application/json"),
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Adjustments_cannot_be_queried_on_the_wire()
    {
        using var http = _sim.RawClient();

        using var response = await http.PostAsync("ContractServiceAdjustments/query",
            new StringContent("""{"filter":[{"op":"gte","field":"id","value":0}]}""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }
}
