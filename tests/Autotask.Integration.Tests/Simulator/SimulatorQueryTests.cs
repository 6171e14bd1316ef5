using System.Net;
using System.Text;
using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using NodaTime;

namespace Autotask.Integration.Tests.Simulator;

public sealed class SimulatorQueryTests : IAsyncLifetime
{
    private SimulatorHarness _sim = null!;

    public ValueTask InitializeAsync()
    {
        _sim = SimulatorHarness.Create(new AutotaskSimulatorOptions
        {
            DataSet = SimulatorDataSet.Empty,
            Fixtures = data =>
            {
                data.Add(new Company { CompanyName = "Alpha Dental", CompanyType = 1, IsActive = true, City = "Springfield", Phone = "555", CreateDate = Instant.FromUtc(2025, 1, 1, 0, 0), UserDefinedFields = [new("Customer Code", "VIP-1")] });
                data.Add(new Company { CompanyName = "Beta Legal", CompanyType = 1, IsActive = false, City = "Riverton", CreateDate = Instant.FromUtc(2025, 6, 1, 0, 0), UserDefinedFields = [new("Customer Code", "STD-2")] });
                data.Add(new Company { CompanyName = "Gamma Dental", CompanyType = 7, IsActive = true, City = "Lakeside", Phone = "", CreateDate = Instant.FromUtc(2026, 1, 1, 0, 0) });
                data.Add(new Company { CompanyName = "delta traders", CompanyType = 3, IsActive = true, CreateDate = Instant.FromUtc(2026, 6, 1, 0, 0) });
            },
        });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _sim.DisposeAsync();

    private async Task<long[]> Ids(params QueryFilter[] filters) =>
        (await _sim.All(new AutotaskQuery<Company>().Where(filters))).Select(c => c.Id).ToArray();

    [Fact]
    public async Task Every_operator_is_evaluated()
    {
        Assert.Equal(new long[] { 1L, 3 }, await Ids(Filter<Company>.Eq(c => c.IsActive, true), Filter<Company>.NotEq(c => c.CompanyType, 3)));
        Assert.Equal(new long[] { 3L, 4 }, await Ids(Filter<Company>.Gt(c => c.Id, 2L)));
        Assert.Equal(new long[] { 2L, 3, 4 }, await Ids(Filter<Company>.Gte(c => c.CreateDate, Instant.FromUtc(2025, 6, 1, 0, 0))));
        Assert.Equal(new long[] { 1L }, await Ids(Filter<Company>.Lt(c => c.CreateDate, Instant.FromUtc(2025, 6, 1, 0, 0))));
        Assert.Equal(new long[] { 1L, 2 }, await Ids(Filter<Company>.Lte(c => c.Id, 2L)));
        Assert.Equal(new long[] { 4L }, await Ids(Filter<Company>.BeginsWith(c => c.CompanyName, "DELTA")));
        Assert.Equal(new long[] { 1L, 3 }, await Ids(Filter<Company>.EndsWith(c => c.CompanyName, "dental")));
        Assert.Equal(new long[] { 2L }, await Ids(Filter<Company>.Contains(c => c.CompanyName, "eta l")));
        Assert.Equal(new long[] { 1L }, await Ids(Filter<Company>.Exist(c => c.Phone)));
        Assert.Equal(new long[] { 2L, 3, 4 }, await Ids(Filter<Company>.NotExist(c => c.Phone)));
        Assert.Equal(new long[] { 1L, 4 }, await Ids(Filter<Company>.In(c => c.Id, new[] { 1L, 4, 99 })));
        Assert.Equal(new long[] { 2L, 3 }, await Ids(Filter<Company>.NotIn(c => c.Id, new[] { 1L, 4 })));
    }

    [Fact]
    public async Task Groups_nest_and_udf_filters_read_user_defined_fields()
    {
        Assert.Equal(new long[] { 1L, 4 }, await Ids(Filter.Or(
            Filter<Company>.Eq(c => c.City, "springfield"),
            Filter.And(Filter<Company>.Eq(c => c.IsActive, true), Filter<Company>.Eq(c => c.CompanyType, 3)))));
        Assert.Equal(new long[] { 1L }, await Ids(Filter.Udf("Customer Code", FilterOperator.BeginsWith, "VIP")));
    }

    [Fact]
    public async Task Include_fields_return_only_those_fields_and_id()
    {
        var companies = await _sim.All(new AutotaskQuery<Company>().Include(c => c.CompanyName));

        Assert.All(companies, c => Assert.NotNull(c.CompanyName));
        Assert.All(companies, c => Assert.Null(c.City));
        Assert.Equal([1L, 2, 3, 4], companies.Select(c => c.Id));
    }

    [Fact]
    public async Task Max_records_sets_the_page_size()
    {
        var companies = await _sim.All(new AutotaskQuery<Company>().Take(3));

        Assert.Equal(3, companies.Count);
        Assert.Contains("\"MaxRecords\":3", _sim.Simulator.Requests.Single(r => r.Path.EndsWith("/query", StringComparison.Ordinal)).Body!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_queries_and_their_next_pages_work_too()
    {
        await using var sim = SimulatorHarness.Create(new AutotaskSimulatorOptions { PageSize = 7 }, c => c.QueryMethod = AutotaskQueryMethod.Get);

        var companies = await sim.All(new AutotaskQuery<Company>());

        Assert.Equal(32, companies.Count);
        Assert.Equal(5, sim.Simulator.Requests.Count(r => r.Entity == "Companies" && r.Method == "GET"));
    }

    [Theory]
    [InlineData("""{"filter":[{"op":"eq","field":"isActive","value":"true"}]}""", "true or false")]
    [InlineData("""{"filter":[{"op":"eq","field":"isActive","value":null}]}""", "needs a value")]
    [InlineData("""{"filter":[{"op":"eq","field":"nope","value":1}]}""", "Unable to find nope")]
    [InlineData("""{"filter":[{"op":"sortof","field":"id","value":1}]}""", "not a filter operator")]
    [InlineData("""{"filter":[]}""", "at least one condition")]
    [InlineData("""{"filter":[{"op":"gte","field":"id","value":0}],"MaxRecords":501}""", "MaxRecords")]
    [InlineData("""{"filter":[{"op":"in","field":"id","value":5}]}""", "array value")]
    [InlineData("""not json""", "not valid JSON")]
    public async Task Bad_searches_are_answered_with_autotask_errors(string search, string expected)
    {
        using var http = _sim.RawClient();

        using var response = await http.PostAsync("Companies/query", new StringContent(search, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.StartsWith("{\"errors\":[", body, StringComparison.Ordinal);
        Assert.Contains(expected, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_string_compared_with_a_boolean_field_is_a_validation_error_for_the_client()
    {
        var error = await Assert.ThrowsAsync<AutotaskValidationException>(() =>
            _sim.All(new AutotaskQuery<Company>().Where(Filter.Field("isActive", FilterOperator.Eq, "yes"))));
        Assert.Contains("true or false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Count_and_get_by_id_agree_with_the_query()
    {
        var query = new AutotaskQuery<Company>().Where(Filter<Company>.EndsWith(c => c.CompanyName, "Dental"));

        Assert.Equal(2, await _sim.Client.CountAsync(query, TestContext.Current.CancellationToken));
        Assert.Equal("Gamma Dental", (await _sim.Client.GetAsync<Company>(3, TestContext.Current.CancellationToken))!.CompanyName);
        Assert.Null(await _sim.Client.GetAsync<Company>(42, TestContext.Current.CancellationToken));
    }
}
