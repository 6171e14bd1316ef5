using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Autotask.Integration.Tests.Support;
using NodaTime;
using Snapshooter.Xunit3;

namespace Autotask.Integration.Tests.Querying;

public sealed class FilterSerializationTests
{
    private static string Write<T>(AutotaskQuery<T> query) where T : AutotaskEntity, IQueryableEntity =>
        System.Text.Encoding.UTF8.GetString(QueryWriter.Write(query.Filters, query.IncludeFields, query.MaxRecords));

    [Fact]
    public void Every_operator_group_udf_and_option_has_its_exact_wire_shape()
    {
        var query = new AutotaskQuery<Company>()
            .Where(
                Filter<Company>.Eq(c => c.CompanyType, CompanyType.Customer),
                Filter<Company>.NotEq(c => c.CompanyName, "Internal"),
                Filter<Company>.Gt(c => c.Id, 10L),
                Filter<Company>.Gte(c => c.CreateDate, Instant.FromUtc(2026, 1, 2, 3, 4, 5)),
                Filter<Company>.Lt(c => c.OwnerResourceId, 99L),
                Filter<Company>.Lte(c => c.ParentCompanyId, 100L),
                Filter<Company>.BeginsWith(c => c.CompanyName, "Con"),
                Filter<Company>.EndsWith(c => c.WebAddress, ".example"),
                Filter<Company>.Contains(c => c.City, "burg"),
                Filter<Company>.Exist(c => c.Phone),
                Filter<Company>.NotExist(c => c.Fax),
                Filter<Company>.In(c => c.Id, new long[] { 1, 2, 3 }),
                Filter<Company>.NotIn(c => c.CompanyType, new CompanyType?[] { CompanyType.Vendor, CompanyType.Dead }),
                Filter.Or(
                    Filter<Company>.Eq(c => c.IsActive, true),
                    Filter.And(Filter<Company>.Eq(c => c.IsActive, false), Filter.Udf("Customer Code", FilterOperator.BeginsWith, "VIP"))))
            .Include(c => c.CompanyName, c => c.IsActive)
            .Take(250);

        Snapshot.Match(JsonText.Parse(Write(query)));
    }

    [Fact]
    public void Dates_and_decimals_are_written_in_autotask_formats()
    {
        var query = new AutotaskQuery<Contract>().Where(
            Filter<Contract>.Gte(c => c.StartDate, new LocalDate(2026, 11, 25)),
            Filter<Contract>.Gt(c => c.EstimatedRevenue, 12.50m),
            Filter<Contract>.Lt(c => c.LastModifiedDateTime, Instant.FromUtc(2026, 1, 2, 3, 4, 5).PlusNanoseconds(6_000_000)));

        Assert.Equal(
            """{"filter":[{"op":"gte","field":"startDate","value":"2026-11-25T00:00:00"},{"op":"gt","field":"estimatedRevenue","value":12.50},{"op":"lt","field":"lastModifiedDateTime","value":"2026-01-02T03:04:05.006Z"}]}""",
            Write(query));
    }

    [Fact]
    public void Include_always_adds_id_once()
    {
        var query = new AutotaskQuery<Company>().Include("id", "companyName", "companyName");

        Assert.Equal("""{"filter":[{"op":"gte","field":"id","value":0}],"IncludeFields":["id","companyName"]}""", Write(query));
    }

    [Fact]
    public void Take_above_a_page_asks_for_full_pages_of_500()
    {
        var query = new AutotaskQuery<Company>().Take(1200);
        Assert.Equal(1200, query.MaxRecords);
    }

    [Theory]
    [InlineData(FilterOperator.Exist)]
    [InlineData(FilterOperator.NotExist)]
    public void Exist_operators_refuse_a_value(FilterOperator op) =>
        Assert.Throws<ArgumentException>(() => Filter.Field("phone", op, "x"));

    [Theory]
    [InlineData(FilterOperator.In)]
    [InlineData(FilterOperator.NotIn)]
    public void List_operators_need_a_non_empty_list_of_at_most_500(FilterOperator op)
    {
        Assert.Throws<ArgumentException>(() => Filter.Field("id", op, 5));
        Assert.Throws<ArgumentException>(() => Filter.Field("id", op, FilterValue.List(Array.Empty<long>())));
        var tooMany = Assert.Throws<ArgumentException>(() => Filter.Field("id", op, FilterValue.List(Enumerable.Range(1, 501))));
        Assert.Contains("at most 500", tooMany.Message, StringComparison.Ordinal);
        Assert.Equal(500, Filter.Field("id", op, FilterValue.List(Enumerable.Range(1, 500))).Value.Items.Count);
    }

    [Fact]
    public void Comparisons_refuse_null_and_text_operators_refuse_numbers()
    {
        Assert.Throws<ArgumentException>(() => Filter<Company>.Eq(c => c.CompanyName, null));
        Assert.Throws<ArgumentException>(() => Filter.Field("companyName", FilterOperator.Contains, 5));
        Assert.Throws<ArgumentException>(() => Filter.Field("companyName", FilterOperator.Eq));
        Assert.Throws<ArgumentException>(() => Filter.Field(" ", FilterOperator.Eq, 1));
        Assert.Throws<ArgumentException>(() => FilterValue.From(new object()));
        Assert.Throws<ArgumentException>(() => FilterValue.List(new string?[] { "a", null }));
    }

    [Fact]
    public void Field_names_come_from_the_model_including_autotask_id_spelling()
    {
        Assert.Equal("companyID", Filter<Ticket>.Eq(t => t.CompanyId, 5L).Field);
        Assert.Equal("queueID", Filter<Ticket>.Eq(t => t.QueueId, 5).Field);
        Assert.Equal("ticketNumber", Filter<Ticket>.Eq(t => t.TicketNumber, "T1").Field);
        Assert.Throws<ArgumentException>(() => Filter<Ticket>.Eq(t => t.Title!.Length, 5));
    }

    [Fact]
    public void Empty_groups_are_refused() =>
        Assert.Throws<ArgumentException>(() => Filter.Or());
}

public sealed class FilterBadInputTests
{
    [Theory]
    [InlineData(double.NaN, "finite")]
    [InlineData(double.PositiveInfinity, "finite")]
    [InlineData(double.NegativeInfinity, "finite")]
    [InlineData(1e300, "exactly")]
    [InlineData(-1e300, "exactly")]
    [InlineData(1e-30, "exactly")]
    [InlineData(1.2345678901234567e-13, "exactly")]
    public void A_number_that_cannot_be_sent_exactly_is_refused_never_changed(double value, string problem)
    {
        var error = Assert.Throws<ArgumentException>(() => FilterValue.From(value));
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.1, "0.1")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(1e-20, "0.00000000000000000001")]
    [InlineData(123456789012345.0, "123456789012345")]
    public void A_number_that_can_be_sent_exactly_is_sent_as_it_reads(double value, string expected) =>
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), (decimal)FilterValue.From(value).Value!);

    [Fact]
    public void A_float_is_sent_as_it_reads_not_as_its_binary_expansion() =>
        Assert.Equal(0.1m, (decimal)FilterValue.From(0.1f).Value!);

    [Fact]
    public void Groups_nest_up_to_the_limit_and_no_deeper_without_recursion()
    {
        QueryFilter filter = Filter<Company>.Eq(c => c.Id, 1L);
        for (var depth = 1; depth <= QueryFilter.MaxGroupDepth; depth++)
        {
            filter = Filter.Or(filter, Filter<Company>.Eq(c => c.Id, depth));
        }

        // The deepest allowed query is checked and written.
        var query = new AutotaskQuery<Company>().Where(filter);
        QueryWriter.Validate("Companies", new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "id" }, query.Filters, null);
        Assert.Contains("\"op\":\"or\"", System.Text.Encoding.UTF8.GetString(QueryWriter.Write(query.Filters, null, null)), StringComparison.Ordinal);

        var error = Assert.Throws<ArgumentException>(() => Filter.And(filter));
        Assert.Contains($"at most {QueryFilter.MaxGroupDepth}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hundred_thousand_nested_groups_are_refused_at_the_first_too_deep_one_without_overflowing_the_stack()
    {
        QueryFilter filter = Filter<Company>.Eq(c => c.Id, 1L);
        var refusedAt = 0;
        for (var depth = 1; depth <= 100_000; depth++)
        {
            try
            {
                filter = Filter.And(filter);
            }
            catch (ArgumentException)
            {
                refusedAt = depth;
                break;
            }
        }

        Assert.Equal(QueryFilter.MaxGroupDepth + 1, refusedAt);
    }
}
