using System.Text;
using System.Text.Json;
using Autotask.Integration.Entities;
using Autotask.Integration.Json;
using NodaTime;

namespace Autotask.Integration.Tests.Entities;

public sealed class DeserializationTests
{
    [Fact]
    public void Unknown_properties_are_ignored_and_dates_read_with_or_without_zone()
    {
        const string json = """
            {"item":{"id":9,"companyID":12,"ticketNumber":"T20261125.0001","title":"x","status":1,"queueID":8,
             "createDate":"2026-11-25T10:15:00.123","dueDateTime":"2026-11-26T17:00:00Z","lastActivityDate":"2026-11-25T12:00:00+01:00",
             "brandNewField":{"nested":[1,2,3]},"userDefinedFields":[{"name":"Vendor Ref","value":"A-1"},{"name":"Empty","value":null}]}}
            """;

        var ticket = EntityJson.ReadItem(Encoding.UTF8.GetBytes(json), AutotaskEntityJsonContext.Default.Ticket).Item!;

        Assert.Equal(12, ticket.CompanyId);
        Assert.Equal(8, ticket.QueueId);
        Assert.Equal(Instant.FromUtc(2026, 11, 25, 10, 15).PlusNanoseconds(123_000_000), ticket.CreateDate);
        Assert.Equal(Instant.FromUtc(2026, 11, 26, 17, 0), ticket.DueDateTime);
        Assert.Equal(Instant.FromUtc(2026, 11, 25, 11, 0), ticket.LastActivityDate);
        Assert.Equal("A-1", ticket.GetUserDefinedField("vendor ref"));
        Assert.Null(ticket.GetUserDefinedField("Empty"));
        Assert.Null(ticket.GetUserDefinedField("Missing"));
    }

    [Fact]
    public void Date_only_fields_keep_the_calendar_date()
    {
        const string json = """{"item":{"id":1,"contractID":2,"contractServiceID":3,"startDate":"2026-12-01T00:00:00","endDate":"2026-12-31","units":17}}""";

        var unit = EntityJson.ReadItem(Encoding.UTF8.GetBytes(json), AutotaskEntityJsonContext.Default.ContractServiceUnit).Item!;

        Assert.Equal(new LocalDate(2026, 12, 1), unit.StartDate);
        Assert.Equal(new LocalDate(2026, 12, 31), unit.EndDate);
        Assert.Equal(17, unit.Units);
    }

    [Fact]
    public void A_malformed_optional_date_reads_as_null_and_is_kept_as_read()
    {
        var company = EntityJson.ReadItem("""{"item":{"id":1,"createDate":"yesterday","lastActivityDate":7}}"""u8, AutotaskEntityJsonContext.Default.Company).Item!;

        Assert.Null(company.CreateDate);
        Assert.Null(company.LastActivityDate);
        Assert.Equal("yesterday", company.GetJsonAsRead()!.Value.GetProperty("createDate").GetString());
    }

    [Fact]
    public void A_malformed_required_date_is_a_conversion_error_not_a_broken_answer()
    {
        var error = Assert.Throws<JsonException>(() => EntityJson.ReadItem("""{"item":{"id":1,"effectiveDate":"n/a"}}"""u8, AutotaskEntityJsonContext.Default.ContractServiceAdjustment));

        Assert.IsType<FormatException>(error.InnerException);
    }

    [Fact]
    public void Numbers_sent_as_strings_are_read()
    {
        var company = EntityJson.ReadItem("""{"item":{"id":"5","companyType":"1"}}"""u8, AutotaskEntityJsonContext.Default.Company).Item!;
        Assert.Equal(5, company.Id);
        Assert.Equal(CompanyType.Customer, company.CompanyType);
    }
}
