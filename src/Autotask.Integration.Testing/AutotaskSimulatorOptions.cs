namespace Autotask.Integration.Testing;

/// <summary>How a simulated Autotask instance is set up.</summary>
public sealed class AutotaskSimulatorOptions
{
    /// <summary>The seed of the generated data and of random faults. Same seed, same data, same fault sequence.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>The data the instance starts with. Default: <see cref="SimulatorDataSet.Default"/>.</summary>
    public SimulatorDataSet DataSet { get; set; } = SimulatorDataSet.Default;

    /// <summary>Adds fixtures after the data set is generated.</summary>
    public Action<SimulatorData>? Fixtures { get; set; }

    /// <summary>
    /// The identifier of the simulated Autotask database, answered as zone information's <c>ci</c>. Give each simulator
    /// of a test its own to play several MSPs' databases. Default: 1.
    /// </summary>
    public long DatabaseId { get; set; } = 1;

    /// <summary>The API user's username the instance accepts.</summary>
    public string UserName { get; set; } = "simulator-api-user@example.com";

    /// <summary>The API user's secret the instance accepts.</summary>
    public string Secret { get; set; } = "simulator-secret";

    /// <summary>The integration code the instance accepts.</summary>
    public string IntegrationCode { get; set; } = "SIMULATORINTEGRATIONCODE000";

    /// <summary>Requests allowed per rolling hour before answers are 429. Default: 10,000, as Autotask.</summary>
    public int HourlyRequestLimit { get; set; } = 10_000;

    /// <summary>Requests allowed in flight at once per entity before answers are 429. Default: 3, as Autotask.</summary>
    public int MaxConcurrentRequestsPerEntity { get; set; } = 3;

    /// <summary>
    /// How a GET of an id that does not exist is answered, both times with <c>{"item":null}</c>: tenants differ between
    /// <see cref="System.Net.HttpStatusCode.OK"/> (the default) and <see cref="System.Net.HttpStatusCode.NotFound"/>.
    /// </summary>
    public System.Net.HttpStatusCode MissingIdStatus { get; set; } = System.Net.HttpStatusCode.OK;

    /// <summary>
    /// The only HTTP method next-page URLs accept, as on some tenants (the other is answered <c>405</c>); <c>null</c>
    /// (the default) accepts both: <c>GET</c> on the self-contained URL, or <c>POST</c> with the original body.
    /// </summary>
    public HttpMethod? NextPageMethod { get; set; }

    /// <summary>
    /// The longest query string accepted; a longer one is refused with IIS's HTML <c>404.15</c> page, as Autotask's web
    /// servers do. Default: 2,048 characters.
    /// </summary>
    public int MaxQueryStringLength { get; set; } = 2048;

    /// <summary>The page size of queries without MaxRecords. Default: 500, as Autotask.</summary>
    public int PageSize { get; set; } = 500;

    /// <summary>The clock of the instance (ticket numbers, created dates, the hourly window). Default: the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}

/// <summary>What a generated data set holds. Every record is derived from the seed.</summary>
public sealed record SimulatorDataSet
{
    /// <summary>25 active customers, each with a recurring service contract of one to three services, plus inactive customers and other company types.</summary>
    public static SimulatorDataSet Default { get; } = new();

    /// <summary>Nothing but the picklists and the API user's resource.</summary>
    public static SimulatorDataSet Empty { get; } = new()
    {
        ActiveCustomers = 0,
        InactiveCustomers = 0,
        OtherCompanies = 0,
        Services = 0,
    };

    /// <summary>A data set of many active customer companies without contracts, for paging and load tests.</summary>
    /// <param name="count">The number of companies.</param>
    public static SimulatorDataSet Companies(int count) => Empty with { ActiveCustomers = count, ContractsForCustomers = false };

    /// <summary>Active companies of type Customer.</summary>
    public int ActiveCustomers { get; init; } = 25;

    /// <summary>Inactive companies of type Customer.</summary>
    public int InactiveCustomers { get; init; } = 3;

    /// <summary>Active companies of other types (prospects, vendors, leads).</summary>
    public int OtherCompanies { get; init; } = 4;

    /// <summary>Catalogue services (monthly and yearly).</summary>
    public int Services { get; init; } = 8;

    /// <summary>How many service lines each customer's contract gets; <c>null</c> for one to three, by the seed.</summary>
    public int? LinesPerContract { get; init; }

    /// <summary>A data set of active customers whose contracts have a fixed number of lines, for subscription sync tests and benchmarks.</summary>
    /// <param name="customers">The number of active customers, each with one Recurring Service contract.</param>
    /// <param name="linesPerContract">The service lines per contract (at most <see cref="Services"/>, 8).</param>
    public static SimulatorDataSet Subscriptions(int customers, int linesPerContract) =>
        Default with { ActiveCustomers = customers, InactiveCustomers = 0, OtherCompanies = 0, LinesPerContract = linesPerContract };

    /// <summary>Whether each active customer gets a recurring service contract with services, units and a contact.</summary>
    public bool ContractsForCustomers { get; init; } = true;
}
