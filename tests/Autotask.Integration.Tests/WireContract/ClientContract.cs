using Autotask.Integration.Entities;
using Autotask.Integration.Metadata;
using Autotask.Integration.Querying;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using NodaTime;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Autotask.Integration.Tests.WireContract;

/// <summary>
/// The same client calls, with the same expected results, against two back ends: WireMock answering with the wire
/// format the client was built for, and the simulator computing its answers. If either drifts, one side fails.
/// </summary>
public abstract class ClientContract : IAsyncLifetime
{
    protected static readonly Company[] Companies =
    [
        new() { Id = 1, CompanyName = "Contoso Dental Ltd", CompanyType = CompanyType.Customer, IsActive = true, City = "Springfield", CreateDate = Instant.FromUtc(2025, 1, 2, 3, 4, 5) },
        new() { Id = 2, CompanyName = "Fabrikam Legal LLC", CompanyType = CompanyType.Customer, IsActive = true, City = "Riverton" },
        new() { Id = 3, CompanyName = "Contoso Traders Inc", CompanyType = CompanyType.Customer, IsActive = true, City = "Lakeside" },
        new() { Id = 4, CompanyName = "Contoso Vendor GmbH", CompanyType = CompanyType.Vendor, IsActive = true },
        new() { Id = 5, CompanyName = "Contoso Old BV", CompanyType = CompanyType.Customer, IsActive = false },
    ];

    protected abstract IAutotaskClient Client { get; }

    protected abstract IAutotaskClient ClientWithWrongSecret { get; }

    public abstract ValueTask InitializeAsync();

    public abstract ValueTask DisposeAsync();

    private static AutotaskQuery<Company> ActiveContosoCustomers => new AutotaskQuery<Company>().Where(
        Filter<Company>.Eq(c => c.IsActive, true),
        Filter<Company>.Eq(c => c.CompanyType, CompanyType.Customer),
        Filter<Company>.BeginsWith(c => c.CompanyName, "contoso"));

    private async Task<List<Company>> All(AutotaskQuery<Company> query)
    {
        var list = new List<Company>();
        await foreach (var company in Client.QueryAsync(query, TestContext.Current.CancellationToken))
        {
            list.Add(company);
        }

        return list;
    }

    [Fact]
    public async Task Filtered_query_returns_the_matching_companies_in_id_order()
    {
        var companies = await All(ActiveContosoCustomers);

        Assert.Equal(["Contoso Dental Ltd", "Contoso Traders Inc"], companies.Select(c => c.CompanyName));
        Assert.Equal(Instant.FromUtc(2025, 1, 2, 3, 4, 5), companies[0].CreateDate);
    }

    [Fact]
    public async Task An_unfiltered_query_pages_through_every_company()
    {
        var companies = await All(new AutotaskQuery<Company>());
        Assert.Equal([1L, 2, 3, 4, 5], companies.Select(c => c.Id));
    }

    [Fact]
    public async Task Count_counts_the_matches() =>
        Assert.Equal(2, await Client.CountAsync(ActiveContosoCustomers, TestContext.Current.CancellationToken));

    [Fact]
    public async Task Get_reads_one_company_and_null_for_a_missing_id()
    {
        var company = await Client.GetAsync<Company>(2, TestContext.Current.CancellationToken);
        Assert.Equal("Riverton", company!.City);
        Assert.Null(await Client.GetAsync<Company>(999, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Creating_a_ticket_returns_its_id()
    {
        var id = await Client.CreateAsync(new Ticket { CompanyId = 1, Title = "Backup failed", Status = 1, Priority = 1, QueueId = 29683481 },
            TestContext.Current.CancellationToken);
        Assert.Equal(5_000_001, id);
    }

    [Fact]
    public async Task Ticket_priority_labels_resolve_to_ids()
    {
        var priority = await Client.GetPicklistAsync<Ticket>("priority", TestContext.Current.CancellationToken);
        Assert.Equal(1, priority.GetId("High"));
        Assert.Equal(4, priority.GetId("Critical"));
        Assert.Equal("Low", priority.GetLabel(3));
    }

    [Fact]
    public async Task A_wrong_secret_is_an_authentication_error() =>
        await Assert.ThrowsAsync<AutotaskAuthenticationException>(() => ClientWithWrongSecret.GetAsync<Company>(1, TestContext.Current.CancellationToken));

    [Fact]
    public async Task Threshold_information_is_read()
    {
        var threshold = await Client.GetThresholdInformationAsync(TestContext.Current.CancellationToken);
        Assert.Equal(10_000, threshold.ExternalRequestThreshold);
        Assert.Equal(60, threshold.RequestThresholdTimeframe);
    }
}

/// <summary>The contract against the simulator.</summary>
public sealed class SimulatorClientContract : ClientContract
{
    private SimulatorHarness _harness = null!;
    private SimulatorHarness _wrong = null!;

    protected override IAutotaskClient Client => _harness.Client;

    protected override IAutotaskClient ClientWithWrongSecret => _wrong.Client;

    public override ValueTask InitializeAsync()
    {
        var simulator = AutotaskSimulator.Create(new AutotaskSimulatorOptions
        {
            DataSet = SimulatorDataSet.Empty,
            PageSize = 2,
            Fixtures = data =>
            {
                foreach (var company in Companies)
                {
                    data.Add(company);
                }
            },
        });
        _harness = SimulatorHarness.For(simulator);
        _wrong = SimulatorHarness.For(simulator, c => c.Secret = "wrong");
        return ValueTask.CompletedTask;
    }

    public override async ValueTask DisposeAsync()
    {
        await _wrong.Services.DisposeAsync();
        await _harness.DisposeAsync();
    }
}

/// <summary>The contract against WireMock, answering as Autotask's documentation and field reports show.</summary>
public sealed class WireMockClientContract : ClientContract
{
    private WireMockServer _server = null!;
    private ClientHarness _harness = null!;
    private ClientHarness _wrong = null!;

    protected override IAutotaskClient Client => _harness.Client;

    protected override IAutotaskClient ClientWithWrongSecret => _wrong.Client;

    private static string CompanyJson(Company c) =>
        $$"""{"id":{{c.Id}},"companyName":"{{c.CompanyName}}","companyType":{{c.CompanyType}},"isActive":{{(c.IsActive == true ? "true" : "false")}},"city":{{(c.City is null ? "null" : "\"" + c.City + "\"")}},"createDate":{{(c.CreateDate is null ? "null" : "\"2025-01-02T03:04:05.000\"")}},"userDefinedFields":[]}""";

    public override ValueTask InitializeAsync()
    {
        _server = TestServer.Start();
        var api = _server.BaseUrl() + "/atservicesrest/v1.0/";
        var json = "application/json";
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query").UsingPost().WithBody(b => b!.Contains("beginsWith", StringComparison.Ordinal)))
            .RespondWith(Response.Create().WithHeader("Content-Type", json).WithBody(Wire.Page(CompanyJson(Companies[0]) + "," + CompanyJson(Companies[2]), null)));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query").UsingPost().WithBody(b => !b!.Contains("beginsWith", StringComparison.Ordinal)))
            .RespondWith(Response.Create().WithHeader("Content-Type", json).WithBody(Wire.Page(CompanyJson(Companies[0]) + "," + CompanyJson(Companies[1]), api + "Companies/query/next?after=2")));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query/next").WithParam("after", "2").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", json).WithBody(Wire.Page(CompanyJson(Companies[2]) + "," + CompanyJson(Companies[3]), api + "Companies/query/next?after=4")));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query/next").WithParam("after", "4").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", json).WithBody(Wire.Page(CompanyJson(Companies[4]), null)));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/query/count").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", json).WithBody("""{"queryCount":2}"""));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/2").UsingGet())
            .RespondWith(Response.Create().WithHeader("Content-Type", json).WithBody("""{"item":""" + CompanyJson(Companies[1]) + "}"));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/999").UsingGet())
            .RespondWith(Response.Create().WithHeader("Content-Type", json).WithBody("""{"item":null}"""));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/1").UsingGet().WithHeader("Secret", "wrong"))
            .RespondWith(Response.Create().WithStatusCode(401).WithHeader("Content-Type", json).WithBody(Wire.Errors("User is not authenticated.")));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Tickets").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", json).WithBody("""{"itemId":5000001}"""));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Tickets/entityInformation/fields").UsingGet())
            .RespondWith(Response.Create().WithHeader("Content-Type", json).WithBody("""
                {"fields":[{"name":"priority","dataType":"integer","isPickList":true,"picklistValues":[
                  {"value":"4","label":"Critical","sortOrder":0,"isActive":true},{"value":"1","label":"High","sortOrder":1,"isActive":true},
                  {"value":"2","label":"Medium","sortOrder":2,"isActive":true},{"value":"3","label":"Low","sortOrder":3,"isActive":true}]}]}
                """));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/ThresholdInformation").UsingGet())
            .RespondWith(Response.Create().WithHeader("Content-Type", json)
                .WithBody("""{"externalRequestThreshold":10000,"requestThresholdTimeframe":60,"currentTimeframeRequestCount":5}"""));

        _harness = ClientHarness.For(_server);
        _wrong = ClientHarness.For(_server, c => c.Secret = "wrong");
        return ValueTask.CompletedTask;
    }

    public override ValueTask DisposeAsync()
    {
        _wrong.Dispose();
        _harness.Dispose();
        _server.Dispose();
        return ValueTask.CompletedTask;
    }
}
