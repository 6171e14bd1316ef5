using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;

namespace Autotask.Integration.Tests.Simulator;

/// <summary>PUT and DELETE on the entities the simulator keeps with Autotask's rules (the catalogue tests cover the rest).</summary>
public sealed class SimulatorReplaceDeleteTests : IAsyncLifetime
{
    private SimulatorHarness _sim = null!;
    private Company _company = null!;
    private Company _other = null!;
    private Ticket _ticket = null!;
    private Contact _contact = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _sim = SimulatorHarness.Create(new AutotaskSimulatorOptions
        {
            DataSet = SimulatorDataSet.Empty,
            Fixtures = data =>
            {
                _company = data.Add(new Company { CompanyName = "Contoso", CompanyType = 1, IsActive = true, City = "Springfield" });
                _other = data.Add(new Company { CompanyName = "Fabrikam", CompanyType = 1, IsActive = true });
                _contact = data.Add(new Contact { CompanyId = _company.Id, FirstName = "Pat", LastName = "Lee", IsActive = true });
                _ticket = data.Add(new Ticket { CompanyId = _company.Id, Title = "Backup failed", Description = "Nightly job", Status = 1, Priority = 2, QueueId = 8 });
            },
        });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _sim.DisposeAsync();

    [Fact]
    public async Task A_replaced_ticket_keeps_only_what_was_sent_and_what_Autotask_sets()
    {
        var stored = _sim.Simulator.Data.Get<Ticket>(_ticket.Id)!;

        await _sim.Client.ReplaceAsync(stored with { Title = "Backup fixed", Description = null }, Token);

        var after = _sim.Simulator.Data.Get<Ticket>(_ticket.Id)!;
        Assert.Equal("Backup fixed", after.Title);
        Assert.Null(after.Description);
        Assert.Equal(stored.TicketNumber, after.TicketNumber);
        Assert.Equal(stored.CreateDate, after.CreateDate);
    }

    [Fact]
    public async Task A_replaced_company_loses_the_fields_left_out()
    {
        await _sim.Client.ReplaceAsync(new Company { Id = _company.Id, CompanyName = "Contoso Ltd", CompanyType = 1, IsActive = true }, Token);

        var after = _sim.Simulator.Data.Get<Company>(_company.Id)!;
        Assert.Equal("Contoso Ltd", after.CompanyName);
        Assert.Null(after.City);
    }

    [Fact]
    public async Task A_contact_is_deleted_under_its_company_and_only_there()
    {
        var wrongParent = await Assert.ThrowsAsync<AutotaskNotFoundException>(() => _sim.Client.DeleteAsync<Contact>(_contact.Id, _other.Id, Token));
        Assert.NotNull(_sim.Simulator.Data.Get<Contact>(_contact.Id));
        Assert.Contains("Contacts", wrongParent.Message, StringComparison.Ordinal);

        await _sim.Client.DeleteAsync<Contact>(_contact.Id, _company.Id, Token);

        Assert.Null(_sim.Simulator.Data.Get<Contact>(_contact.Id));
        Assert.Null(await _sim.Client.GetAsync<Contact>(_contact.Id, Token));
        Assert.Empty(await _sim.All(new AutotaskQuery<Contact>().Where(Filter<Contact>.Eq(c => c.CompanyId, _company.Id))));
    }

    [Fact]
    public async Task Deleting_what_the_catalogue_does_not_allow_is_refused_by_the_simulator()
    {
        using var raw = _sim.RawClient();

        var response = await raw.DeleteAsync(new Uri($"Tickets/{_ticket.Id}", UriKind.Relative), Token);

        Assert.Equal(System.Net.HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.NotNull(_sim.Simulator.Data.Get<Ticket>(_ticket.Id));
    }
}
