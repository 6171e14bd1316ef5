using Autotask.Integration.Entities;
using Autotask.Integration.Testing;
using NodaTime;

namespace Autotask.Integration.Portal;

/// <summary>
/// The partners' Autotask databases when the portal runs on the simulator: one database per partner in one loopback
/// zone, each with its own API user (<c>api-user@{partner}.example</c>, secret <c>{partner}-secret-from-autotask</c>,
/// integration code <see cref="IntegrationCode"/>), and the same companies, services and contracts to start with.
/// </summary>
public sealed class SimulatedMsps : IAsyncDisposable
{
    /// <summary>The integration code (API tracking identifier) of every simulated API user.</summary>
    public const string IntegrationCode = "VENDORPORTALINTEGRATION0001";

    private static readonly string[] First = ["Apex", "Beacon", "Cobalt", "Delta", "Evergreen", "Falcon", "Granite", "Horizon", "Ivory", "Jasper", "Keystone", "Lakeside", "Meridian", "Northgate", "Oakridge", "Pinnacle", "Quarry", "Redwood", "Summit", "Trident"];
    private static readonly string[] Second = ["Accounting", "Builders", "Consulting", "Dental", "Engineering", "Foods", "Group", "Health", "Insurance", "Legal", "Logistics", "Media", "Partners", "Realty", "Systems"];
    private static readonly string[] Alpine = ["Accounting", "Architects", "Bakery", "Clinic", "Dental Care", "Dental Group", "Engineering", "Foods", "Legal LLP", "Logistics", "Media", "Outdoor", "Pharmacy", "Veterinary"];

    private readonly Dictionary<string, AutotaskSimulator> _databases;

    private SimulatedMsps(Dictionary<string, AutotaskSimulator> databases) => _databases = databases;

    /// <summary>Each partner's database, by partner id.</summary>
    public IReadOnlyDictionary<string, AutotaskSimulator> Databases => _databases;

    /// <summary>Starts one database per partner in one loopback zone.</summary>
    /// <param name="partners">The partners and their database ids.</param>
    /// <param name="today">Today, in the instances' zone: contracts run from a year before to two years after.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<SimulatedMsps> StartAsync(IReadOnlyDictionary<string, PortalPartner> partners, LocalDate today, CancellationToken cancellationToken)
    {
        var ids = partners.Keys.Order(StringComparer.Ordinal).ToArray();
        var zone = await AutotaskSimulator.StartZoneAsync(ids.Select(id => new AutotaskSimulatorOptions
        {
            Seed = 42,
            DatabaseId = partners[id].DatabaseId,
            UserName = $"api-user@{id}.example",
            Secret = $"{id}-secret-from-autotask",
            IntegrationCode = IntegrationCode,
            DataSet = SimulatorDataSet.Empty,
            // Small pages, so that a full read takes several requests and its progress shows.
            PageSize = 50,
            Fixtures = data => Seed(data, today),
        }), cancellationToken).ConfigureAwait(false);
        return new SimulatedMsps(ids.Zip(zone).ToDictionary(p => p.First, p => p.Second, StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>Sets the SDK's zone options for the simulated zone.</summary>
    /// <param name="options">The SDK's options.</param>
    public void ConfigureZones(AutotaskIntegrationOptions options) => _databases.Values.First().ConfigureZones(options);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var database in _databases.Values)
        {
            await database.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static void Seed(SimulatorData data, LocalDate today)
    {
        foreach (var name in Alpine)
        {
            data.Add(new Company { CompanyName = "Alpine " + name, CompanyType = CompanyType.Customer, IsActive = true });
        }

        data.Add(new Company { CompanyName = "Alpine Prospects Ltd", CompanyType = CompanyType.Prospect, IsActive = true });
        data.Add(new Company { CompanyName = "Alpine Closed Inc", CompanyType = CompanyType.Customer, IsActive = false });
        foreach (var name in new[] { "Birch Street Bakery", "Harbour Freight Co", "Harbour Legal" })
        {
            data.Add(new Company { CompanyName = name, CompanyType = CompanyType.Customer, IsActive = true });
        }

        foreach (var first in First)
        {
            foreach (var second in Second)
            {
                data.Add(new Company { CompanyName = $"{first} {second}", CompanyType = CompanyType.Customer, IsActive = true });
            }
        }

        var m365 = data.Add(new Service { Name = "Microsoft 365 Business Premium", PeriodType = 1, UnitPrice = 22m, UnitCost = 18m, IsActive = true });
        var backup = data.Add(new Service { Name = "Cloud Backup storage (GB)", PeriodType = 1, UnitPrice = 0.1m, UnitCost = 0.04m, IsActive = true });
        var edr = data.Add(new Service { Name = "Endpoint protection", PeriodType = 4, UnitPrice = 60m, UnitCost = 35m, IsActive = true });
        data.Add(new Service { Name = "Managed firewall", PeriodType = 1, UnitPrice = 45m, UnitCost = 20m, IsActive = true });

        var companies = data.All<Company>();
        Contract(data, companies, "Alpine Dental Care", today, (m365, 10), (backup, 200));
        Contract(data, companies, "Alpine Legal LLP", today, (m365, 8));
        Contract(data, companies, "Birch Street Bakery", today, (edr, 20));
    }

    private static void Contract(SimulatorData data, IReadOnlyList<Company> companies, string companyName, LocalDate today, params (Service Service, int Units)[] lines)
    {
        var company = companies.Single(c => c.CompanyName == companyName);
        var contract = data.Add(new Contract
        {
            CompanyId = company.Id,
            ContractName = "Managed services",
            ContractType = ContractType.RecurringService,
            Status = 1,
            StartDate = today.PlusYears(-1),
            EndDate = today.PlusYears(2),
        });
        foreach (var (service, units) in lines)
        {
            var line = data.Add(new ContractService { ContractId = contract.Id, ServiceId = service.Id, UnitPrice = service.UnitPrice, UnitCost = service.UnitCost, InvoiceDescription = service.Name });
            data.Add(new ContractServiceAdjustment
            {
                ContractId = contract.Id,
                ContractServiceId = line.Id,
                ServiceId = service.Id,
                EffectiveDate = contract.StartDate!.Value,
                UnitChange = units,
                AdjustedUnitPrice = service.UnitPrice,
                AdjustedUnitCost = service.UnitCost,
            });
        }
    }
}
