using System.Text;
using System.Text.Json;
using Autotask.Integration.Entities;
using Autotask.Integration.Json;
using Autotask.Integration.Querying;

namespace Autotask.Integration.Tests.Entities;

/// <summary>Picklist value types and the boolean Autotask keeps as a number: what is read, written and filtered.</summary>
public sealed class PicklistValueTests
{
    private static string Filters<T>(AutotaskQuery<T> query) where T : AutotaskEntity, IQueryableEntity =>
        Encoding.UTF8.GetString(QueryWriter.Write(query.Filters, query.IncludeFields, query.MaxRecords));

    [Fact]
    public void Well_known_values_and_tenant_values_read_and_write_as_their_ids()
    {
        var ticket = JsonSerializer.Deserialize("""{"id":5,"status":"5","priority":99,"queueID":8}""", AutotaskEntityJsonContext.Default.Ticket)!;

        Assert.Equal(TicketStatus.Complete, ticket.Status);
        Assert.Equal(99, ticket.Priority!.Value.Value);
        Assert.NotEqual(TicketPriority.Critical, ticket.Priority);
        var written = JsonSerializer.Serialize(ticket, AutotaskEntityJsonContext.Default.Ticket);
        Assert.Contains("\"status\":5,", written, StringComparison.Ordinal);
        Assert.Contains("\"priority\":99,", written, StringComparison.Ordinal);

        var unreadable = JsonSerializer.Deserialize("""{"id":6,"status":"closed","priority":1.5}""", AutotaskEntityJsonContext.Default.Ticket)!;
        Assert.Null(unreadable.Status);
        Assert.Null(unreadable.Priority);
    }

    [Fact]
    public void An_id_converts_to_the_value_and_back_and_equality_is_by_id()
    {
        CompanyType fromId = 1;
        Assert.Equal(CompanyType.Customer, fromId);
        Assert.True(fromId == CompanyType.Customer);
        Assert.Equal(1, (int)CompanyType.Customer);
        Assert.Equal(7, ContractType.RecurringService.ToInt32());
        Assert.Equal("42", ContractStatus.FromValue(42).ToString());
        Assert.Equal(ContractStatus.Active.GetHashCode(), ContractStatus.FromValue(1).GetHashCode());
        Assert.False(ContractStatus.Active.Equals((object)1));
    }

    [Fact]
    public void Filters_and_patches_send_the_picklist_id()
    {
        var query = new AutotaskQuery<Ticket>().Where(
            Filter<Ticket>.Eq(t => t.Priority, TicketPriority.High),
            Filter<Ticket>.In(t => t.Status, [TicketStatus.New, 12]));
        Assert.Equal(
            """{"filter":[{"op":"eq","field":"priority","value":1},{"op":"in","field":"status","value":[1,12]}]}""",
            Filters(query));

        var patch = new EntityPatch<Ticket>(3).Set(t => t.Status, TicketStatus.Complete);
        Assert.Equal(5, patch.Changes["status"]);
    }

    [Fact]
    public void A_contacts_active_flag_is_a_boolean_in_the_model_and_1_or_0_on_the_wire()
    {
        var active = JsonSerializer.Deserialize("""{"id":1,"isActive":1}""", AutotaskEntityJsonContext.Default.Contact)!;
        var inactive = JsonSerializer.Deserialize("""{"id":2,"isActive":0}""", AutotaskEntityJsonContext.Default.Contact)!;
        var odd = JsonSerializer.Deserialize("""{"id":3,"isActive":7}""", AutotaskEntityJsonContext.Default.Contact)!;

        Assert.True(active.IsActive);
        Assert.False(inactive.IsActive);
        Assert.Null(odd.IsActive);
        Assert.Contains("\"isActive\":1", JsonSerializer.Serialize(active, AutotaskEntityJsonContext.Default.Contact), StringComparison.Ordinal);
        Assert.Contains("\"isActive\":0", JsonSerializer.Serialize(inactive, AutotaskEntityJsonContext.Default.Contact), StringComparison.Ordinal);

        Assert.Equal(
            """{"filter":[{"op":"eq","field":"isActive","value":1}]}""",
            Filters(new AutotaskQuery<Contact>().Where(Filter<Contact>.Eq(c => c.IsActive, true))));
        Assert.Equal(0, new EntityPatch<Contact>(1).Set(c => c.IsActive, false).Changes["isActive"]);

        // A boolean Autotask keeps as a boolean stays one.
        Assert.Equal(
            """{"filter":[{"op":"eq","field":"isActive","value":true}]}""",
            Filters(new AutotaskQuery<Company>().Where(Filter<Company>.Eq(c => c.IsActive, true))));
    }
}
