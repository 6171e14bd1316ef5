using Autotask.Integration.Entities;
using NodaTime;

namespace Autotask.Integration.Testing.Engine;

/// <summary>Generates a data set from a seed.</summary>
internal static class SimulatorSeeder
{
    private static readonly string[] First = ["Contoso", "Fabrikam", "Northwind", "Adatum", "Tailspin", "Litware", "Proseware", "Woodgrove", "Lucerne", "Alpine", "Coho", "Wingtip", "Fourth", "Margie's", "Humongous", "Blue Yonder", "Trey", "Wide World", "Graphic", "Relecloud"];
    private static readonly string[] Second = ["Traders", "Logistics", "Dental", "Legal", "Engineering", "Bakery", "Insurance", "Pharma", "Motors", "Design", "Accounting", "Clinic", "Foods", "Studios", "Consulting"];
    private static readonly string[] Suffix = ["Ltd", "Inc", "GmbH", "LLC", "BV", "SA"];
    private static readonly string[] Cities = ["Springfield", "Riverton", "Lakeside", "Fairview", "Georgetown", "Kingston", "Milton", "Oakridge"];

    private static readonly (string Name, int PeriodType, decimal Price, decimal Cost)[] Catalogue =
    [
        ("Microsoft 365 Business Basic (monthly)", 1, 6.00m, 4.80m),
        ("Microsoft 365 Business Premium (monthly)", 1, 22.00m, 17.60m),
        ("Microsoft 365 Business Premium (annual)", 4, 264.00m, 211.20m),
        ("Cloud Backup per GB (monthly)", 1, 0.05m, 0.02m),
        ("Endpoint Protection (monthly)", 1, 4.50m, 2.25m),
        ("Endpoint Protection (annual)", 4, 54.00m, 27.00m),
        ("Managed Firewall (monthly)", 1, 45.00m, 20.00m),
        ("Exchange Online Plan 1 (monthly)", 1, 4.00m, 3.20m),
    ];

    public static void Seed(SimulatorData data, SimulatorDataSet set, int seed, Instant now)
    {
        var random = new Random(seed);
        var apiUser = data.Add(new Resource
        {
            FirstName = "API",
            LastName = "User",
            Email = "api-user@example.com",
            UserName = "api-user",
            IsActive = true,
            ResourceType = "API",
        });
        data.Add(new Resource { FirstName = "Alex", LastName = "Tech", Email = "alex@msp.example", UserName = "alex", IsActive = true, ResourceType = "Employee" });

        var services = new List<Service>();
        for (var i = 0; i < set.Services; i++)
        {
            var (name, period, price, cost) = Catalogue[i % Catalogue.Length];
            services.Add(data.Add(new Service
            {
                Name = i < Catalogue.Length ? name : $"{name} #{i / Catalogue.Length + 1}",
                Description = name,
                InvoiceDescription = name,
                PeriodType = period,
                UnitPrice = price,
                UnitCost = cost,
                IsActive = true,
                Sku = $"SKU-{1000 + i}",
                CreateDate = now,
                LastModifiedDate = now,
            }));
        }

        var startOfYear = new LocalDate(now.InUtc().Year, 1, 1);
        var total = set.ActiveCustomers + set.InactiveCustomers + set.OtherCompanies;
        for (var i = 0; i < total; i++)
        {
            var type = i < set.ActiveCustomers + set.InactiveCustomers
                ? CompanyType.Customer
                : new[] { CompanyType.Prospect, CompanyType.Vendor, CompanyType.Lead, CompanyType.Partner }[i % 4];
            var name = $"{First[random.Next(First.Length)]} {Second[random.Next(Second.Length)]} {Suffix[random.Next(Suffix.Length)]}";
            var company = data.Add(new Company
            {
                CompanyName = total > 200 ? $"{name} {i + 1}" : name,
                CompanyNumber = $"C{i + 1:00000}",
                CompanyType = type,
                IsActive = i < set.ActiveCustomers || i >= set.ActiveCustomers + set.InactiveCustomers,
                Phone = $"+1 555 {random.Next(1000, 9999)}",
                WebAddress = $"https://www.c{i + 1}.example",
                Address1 = $"{random.Next(1, 999)} Main Street",
                City = Cities[random.Next(Cities.Length)],
                State = "IL",
                PostalCode = $"{random.Next(10000, 99999)}",
                CountryId = 237,
                OwnerResourceId = apiUser.Id,
                CreateDate = now.Minus(Duration.FromDays(random.Next(30, 900))),
                LastActivityDate = now,
                LastTrackedModifiedDateTime = now,
                UserDefinedFields = [new UserDefinedField("Customer Code", $"CUST-{i + 1:0000}")],
            });

            if (!set.ContractsForCustomers || type != CompanyType.Customer || company.IsActive != true || services.Count == 0)
            {
                continue;
            }

            data.Add(new Contact
            {
                CompanyId = company.Id,
                FirstName = "Pat",
                LastName = $"Owner{i + 1}",
                EmailAddress = $"pat.owner{i + 1}@c{i + 1}.example",
                Phone = company.Phone,
                IsActive = true,
                PrimaryContact = true,
                CreateDate = company.CreateDate,
            });
            var contract = data.Add(new Contract
            {
                CompanyId = company.Id,
                ContractName = $"{company.CompanyName} - Managed Services",
                ContractNumber = $"RS-{i + 1:00000}",
                ContractType = ContractType.RecurringService,
                Status = ContractStatus.Active,
                StartDate = startOfYear,
                EndDate = startOfYear.PlusYears(2).PlusDays(-1),
                IsDefaultContract = true,
                EstimatedRevenue = 0,
                LastModifiedDateTime = now,
            });
            var lines = set.LinesPerContract ?? 1 + random.Next(3);
            foreach (var service in services.OrderBy(_ => random.Next()).Take(lines))
            {
                var line = data.Add(new ContractService
                {
                    ContractId = contract.Id,
                    ServiceId = service.Id,
                    UnitPrice = service.UnitPrice,
                    UnitCost = service.UnitCost,
                    InvoiceDescription = service.Name,
                });
                data.Add(new ContractServiceAdjustment
                {
                    ContractId = contract.Id,
                    ContractServiceId = line.Id,
                    ServiceId = service.Id,
                    EffectiveDate = startOfYear,
                    UnitChange = random.Next(1, 50),
                    AdjustedUnitPrice = service.UnitPrice,
                    AdjustedUnitCost = service.UnitCost,
                });
            }
        }
    }
}
