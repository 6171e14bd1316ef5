using System.Globalization;
using Autotask.Integration.Alerts;
using Autotask.Integration.Auditing;
using Autotask.Integration.Connections;
using Autotask.Integration.Entities;
using Autotask.Integration.Jobs;
using Autotask.Integration.Mapping;
using Autotask.Integration.Querying;
using Autotask.Integration.Sync;
using Autotask.Integration.Testing;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace Autotask.Integration.Samples;

/// <summary>
/// The backup-service shape, run by itself for three partners on an accelerated clock: each partner links its own
/// (simulated) Autotask, in its own time zone and with its own invoice date; every simulated hour the vendor's
/// scheduler (here a loop; in production <c>Autotask.Integration.Quartz</c>, a Functions timer or Hangfire) calls the
/// SDK's jobs: usage billing at 02:00 local (which bills only on invoice dates), the daily digest at 06:00 local, and
/// failed backups become tickets as they happen. Three months pass in seconds, with a live progress display.
/// </summary>
internal static class BackupVendorSample
{
    /// <summary>The partners: id, simulated database, time zone, invoice schedule.</summary>
    public static readonly IReadOnlyList<(string Id, int Database, string Zone, InvoiceSchedule Invoices)> Partners =
    [
        ("northwind", 1, "Europe/London", InvoiceSchedule.OnDay(1, BusinessDayShift.NextBusinessDay)),
        ("contoso", 2, "America/New_York", InvoiceSchedule.LastDayOfMonth(BusinessDayShift.PreviousBusinessDay)),
        ("fabrikam", 3, "Australia/Sydney", InvoiceSchedule.OnDay(15)),
    ];

    public const string Customer = "backup-org-1";
    public const string ContractName = "Backup services";
    public const string Subscription = "backup-storage-1";
    private const string Offer = "backup-storage-per-10gb";

    /// <summary>Where the simulated months start and end (UTC).</summary>
    public static readonly Instant Start = Instant.FromUtc(2028, 1, 1, 0, 0);
    public static readonly Instant End = Instant.FromUtc(2028, 4, 1, 0, 0);

    /// <summary>Storage is billed per started 10 GB, at least one unit.</summary>
    public static readonly UsageUnits Units = new() { Rounding = UsageRounding.Up, UnitSize = 10m, Floor = 1 };

    /// <summary>One simulated Autotask database per partner, where the MSP sells the backup service on a recurring contract of its own, over the simulated months.</summary>
    public static AutotaskSimulator[] CreateDatabases() => Partners.Select(p => PortalSample.PartnerDatabase(p.Id, 2000 + p.Database, "BACKUPVENDORINTEGRATION0001", data =>
    {
        var customer = data.All<Company>().First(c => c.CompanyType == CompanyType.Customer && c.IsActive == true);
        var contract = data.Add(new Contract
        {
            CompanyId = customer.Id, ContractName = ContractName, ContractType = ContractType.RecurringService, Status = ContractStatus.Active,
            StartDate = new LocalDate(2027, 12, 1), EndDate = new LocalDate(2028, 12, 31),
        });
        var storage = data.Add(new Service { Name = "Backup storage (per 10 GB)", PeriodType = 1, UnitPrice = 4m, UnitCost = 1.5m });
        data.Add(new ContractService { ContractId = contract.Id, ServiceId = storage.Id, UnitPrice = 4m });
    })).ToArray();

    /// <summary>The vendor's host: the accelerated clock, the partners' databases, the vendor's usage and digest sources; mappings in memory (simulated months mean nothing to the next run).</summary>
    public static void AddBackupVendor(IServiceCollection services, AutotaskSimulator[] databases, SimulatedClock clock, BackupVendor vendor, InMemoryAuditSink runAudit)
    {
        services.AddSingleton<TimeProvider>(clock);
        services.AddSingleton<IUsageSource>(vendor);
        services.AddSingleton<IDigestSource>(vendor);
        services.AddAutotaskIntegration(databases[0].ConfigureZones)
            .UseSimulators(databases)
            .AddAuditSink(runAudit)
            .AddAlertTickets(_ => { });
    }

    public static async Task<int> RunAsync(IServiceProvider services, AutotaskSimulator[] databases, SimulatedClock clock, BackupVendor vendor, TextWriter output, CancellationToken cancellationToken)
    {
        var portal = services.GetRequiredService<IAutotaskConnectionManager>();
        var jobs = services.GetRequiredService<IAutotaskJobs>();
        var alerts = services.GetRequiredService<IAlertTicketEngine>();
        try
        {
            await output.HeadingAsync("Partners link their Autotask and map their backup customer");
            foreach (var (id, database, zone, invoices) in Partners)
            {
                await portal.LinkAsync(id, databases[database - 1].CreateConnectionSettings(c => c.TimeZone = zone), ConnectionRequirements.SubscriptionSync, cancellationToken);
                var mapping = new AlertMapping();
                AlertsSample.Configure(mapping);
                await alerts.SaveMappingAsync(id, mapping, cancellationToken);
                var line = await MapStorageAsync(services, id, cancellationToken);
                vendor.Billing[id] = new UsageBillingOptions { Calendar = new InvoiceCalendar(invoices), Units = Units };
                await output.WriteLineAsync($"  {id}: {zone}, invoices {invoices}; '{Subscription}' -> contract service {line.ContractServiceId}.");
            }

            var hours = (int)(End - Start).TotalHours;
            await output.ProgressAsync($"Simulating {Start.InUtc().Date:uuuu-MM-dd} to {End.InUtc().Date.PlusDays(-1):uuuu-MM-dd}, an hour a step", async report =>
            {
                for (var hour = 0; hour < hours; hour++)
                {
                    clock.Now = Start + Duration.FromHours(hour);
                    foreach (var (id, _, zone, _) in Partners)
                    {
                        var local = clock.Now.InZone(DateTimeZoneProviders.Tzdb[zone]);
                        if (local.Hour == 2)
                        {
                            await jobs.BillUsageAsync(id, cancellationToken: cancellationToken);
                        }

                        if (local.Hour == 6)
                        {
                            await jobs.SendDailyDigestAsync(id, cancellationToken: cancellationToken);
                        }

                        // The vendor's backups: a failure becomes a ticket at once; warnings wait for the day's digest.
                        if (local.Hour == 14 && BackupVendor.Event(id, local.Date) is { } alert)
                        {
                            await alerts.PublishAlertAsync(id, alert, cancellationToken);
                        }
                    }

                    report(100.0 * (hour + 1) / hours);
                }

                return 0;
            });

            foreach (var (id, database, _, _) in Partners)
            {
                await output.HeadingAsync($"{id}: usage billed on its invoice dates");
                var line = (await services.GetRequiredService<IMappingStore>().FindSubscriptionAsync(id, Subscription, cancellationToken))!;
                await output.TableAsync(["Invoice date", "Period", "GB", "Units (10 GB)", "Autotask bills"], vendor.Billed.Where(b => b.Partner == id).Select(b => new[]
                {
                    b.Period.InvoiceDate.ToString("uuuu-MM-dd", CultureInfo.InvariantCulture),
                    $"{b.Period.Start:uuuu-MM-dd} to {b.Period.InvoiceDate.PlusDays(-1):uuuu-MM-dd}",
                    b.Gigabytes.ToString("0.0", CultureInfo.InvariantCulture),
                    Units.UnitsFor(b.Gigabytes).ToString(CultureInfo.InvariantCulture),
                    databases[database - 1].Data.UnitsOn(line.ContractServiceId, b.Period.InvoiceDate).ToString(CultureInfo.InvariantCulture),
                }));
                var tickets = databases[database - 1].Data.All<Ticket>();
                var recent = await jobs.GetRunsAsync(id, cancellationToken: cancellationToken);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"  {databases[database - 1].Data.AdjustmentsOf(line.ContractServiceId).Count} adjustment(s), one per change of units; {tickets.Count(t => t.Title?.StartsWith("Daily digest", StringComparison.Ordinal) == true)} digest ticket(s), {tickets.Count(t => t.Title?.StartsWith("Backup failed", StringComparison.Ordinal) == true)} failure ticket(s)."));
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"  Job history (the last {recent.Count} runs kept): {string.Join(", ", recent.GroupBy(r => r.Outcome).Select(g => $"{g.Count()} {g.Key}"))}; the latest: {recent[0].Job} at {recent[0].StartedAt}, {recent[0].Detail}"));
            }

            return 0;
        }
        catch (Exception ex) when (ex is AutotaskException or SampleStoppedException)
        {
            await output.WriteLineAsync();
            await output.WriteLineAsync("Failed: " + ex.Message);
            return 1;
        }
    }

    /// <summary>Maps the backup customer to the partner's first active customer, and its storage subscription to a monthly line of its recurring contract.</summary>
    private static async Task<SubscriptionMapping> MapStorageAsync(IServiceProvider services, string connection, CancellationToken cancellationToken)
    {
        var mapping = services.GetRequiredService<IMappingEngine>();
        var client = services.GetRequiredService<IAutotaskClientFactory>().GetClient(connection);
        var store = services.GetRequiredService<IMappingStore>();
        if (await store.FindSubscriptionAsync(connection, Subscription, cancellationToken) is { } existing)
        {
            return existing;
        }

        // The MSP's backup contract (a real vendor lets the partner pick it, as the portal sample does) and its storage line.
        await foreach (var contract in client.QueryAsync(new AutotaskQuery<Contract>().Where(
            Filter<Contract>.Eq(c => c.ContractName, ContractName), Filter<Contract>.Eq(c => c.Status, ContractStatus.Active)), cancellationToken))
        {
            await foreach (var line in client.QueryAsync(new AutotaskQuery<ContractService>().Where(Filter<ContractService>.Eq(l => l.ContractId, contract.Id)), cancellationToken))
            {
                await mapping.MapCustomerAsync(connection, Customer, contract.CompanyId!.Value, cancellationToken);
                await mapping.MapOfferAsync(connection, Offer, BillingTerm.Monthly, line.ServiceId, cancellationToken);
                return await mapping.MapSubscriptionAsync(connection, new SubscriptionMappingRequest
                {
                    VendorSubscriptionId = Subscription, VendorCustomerId = Customer, VendorOfferId = Offer, ContractId = contract.Id,
                }, cancellationToken);
            }
        }

        throw new SampleStoppedException($"No customer of '{connection}' has a recurring contract with a service line.");
    }
}

/// <summary>A clock the sample moves by hand, an hour a step (timers still run on real time).</summary>
internal sealed class SimulatedClock : TimeProvider
{
    public Instant Now { get; set; } = BackupVendorSample.Start;

    public override DateTimeOffset GetUtcNow() => Now.ToDateTimeOffset();
}

/// <summary>The vendor's side: storage that grows a little every day, a failed backup now and then, warnings for the digest.</summary>
internal sealed class BackupVendor : IUsageSource, IDigestSource
{
    public Dictionary<string, UsageBillingOptions> Billing { get; } = [];

    public List<(string Partner, BillingPeriod Period, double Gigabytes)> Billed { get; } = [];

    public ValueTask<UsageBillingOptions?> GetBillingOptionsAsync(string connection, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Billing.GetValueOrDefault(connection));

    /// <summary>The GB stored at the end of the period: 140 GB on 1 January 2028, growing by 1.7 GB a day, a clean-up halving it in March.</summary>
    public ValueTask<IReadOnlyList<SubscriptionUsage>> GetUsageAsync(string connection, BillingPeriod period, CancellationToken cancellationToken)
    {
        var days = Period.DaysBetween(new LocalDate(2028, 1, 1), period.InvoiceDate);
        var gigabytes = Math.Round(140 + 1.7 * days, 1);
        if (period.InvoiceDate > new LocalDate(2028, 3, 10))
        {
            gigabytes = Math.Round(gigabytes / 2, 1);
        }

        Billed.Add((connection, period, gigabytes));
        return ValueTask.FromResult<IReadOnlyList<SubscriptionUsage>>([new SubscriptionUsage(BackupVendorSample.Subscription, gigabytes)]);
    }

    public ValueTask<IReadOnlyList<CustomerDigest>> GetDigestsAsync(string connection, LocalDate day, CancellationToken cancellationToken)
    {
        // A warning on every weekday: the digest gathers them into one ticket a day.
        if (day.DayOfWeek is IsoDayOfWeek.Saturday or IsoDayOfWeek.Sunday)
        {
            return ValueTask.FromResult<IReadOnlyList<CustomerDigest>>([]);
        }

        var warning = new Alert
        {
            VendorCustomerId = BackupVendorSample.Customer,
            AlertKey = $"verify-{day:uuuu-MM-dd}",
            Severity = AlertSeverity.Warning,
            Title = "Backup verification skipped 2 files",
            OccurredAt = day.At(new LocalTime(3, 0)).InUtc().ToInstant(),
        };
        return ValueTask.FromResult<IReadOnlyList<CustomerDigest>>([new CustomerDigest(BackupVendorSample.Customer, [warning])]);
    }

    /// <summary>A failed backup on the 5th, 12th and 25th of each month.</summary>
    public static Alert? Event(string connection, LocalDate day) => day.Day is 5 or 12 or 25
        ? new Alert
        {
            VendorCustomerId = BackupVendorSample.Customer,
            AlertKey = $"{connection}-nightly-{day:uuuu-MM-dd}",
            Severity = AlertSeverity.Error,
            Title = "Backup failed: Nightly SQL",
            Description = "The volume could not be read.",
            OccurredAt = day.At(new LocalTime(1, 30)).InUtc().ToInstant(),
        }
        : null;
}
