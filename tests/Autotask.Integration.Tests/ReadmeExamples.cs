using System.Text.Json.Nodes;
using Autotask.Integration.Alerts;
using Autotask.Integration.Connections;
using Autotask.Integration.Entities;
using Autotask.Integration.Inbound;
using Autotask.Integration.Jobs;
using Autotask.Integration.Mapping;
using Autotask.Integration.Querying;
using Autotask.Integration.Sync;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace Autotask.Integration.Tests;

/// <summary>The README's examples, kept compiling and running against the simulator.</summary>
public sealed class ReadmeExamples
{
    [Fact]
    public async Task Quick_start_runs_as_written()
    {
        await using var simulator = AutotaskSimulator.Create(seed: 42);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Autotask:UserName"] = simulator.Options.UserName,
            ["Autotask:Secret"] = simulator.Options.Secret,
            ["Autotask:IntegrationCode"] = simulator.Options.IntegrationCode,
        }).Build();
        var services = new ServiceCollection();
        var cancellationToken = TestContext.Current.CancellationToken;
        var output = new List<string>();

        // snippet: quick-start
        services.AddAutotaskIntegration(options => options.AddConnection("contoso", c =>
        {
            c.UserName = configuration["Autotask:UserName"];          // the API user's username (key)
            c.Secret = configuration["Autotask:Secret"];              // from a secret store
            c.IntegrationCode = configuration["Autotask:IntegrationCode"];
        }));
        // end snippet
        services.AddAutotaskIntegration(_ => { }).UseSimulator(simulator); // test only: point the connection at the simulator
        services.Configure<AutotaskIntegrationOptions>(o =>
        {
            o.Zones.DiscoveryUrl = simulator.DiscoveryUrl.ToString();
            o.Zones.AllowedHostSuffixes.Add(AutotaskSimulator.InProcessHostSuffix);
        });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IAutotaskClient>();

        // snippet: quick-start

        // Later, from DI (IAutotaskClient when one connection is configured, IAutotaskClientFactory for several):
        var query = new AutotaskQuery<Company>().Where(
            Filter<Company>.Eq(c => c.IsActive, true),
            Filter<Company>.Eq(c => c.CompanyType, CompanyType.Customer),
            Filter<Company>.BeginsWith(c => c.CompanyName, "Con"));

        await foreach (var company in client.QueryAsync(query, cancellationToken))
        {
            Console.WriteLine($"{company.Id} {company.CompanyName}");
        }
        // end snippet

        await foreach (var company in client.QueryAsync(query, cancellationToken))
        {
            output.Add($"{company.Id} {company.CompanyName}");
        }

        var expected = simulator.Data.All<Company>()
            .Where(c => c.IsActive == true && c.CompanyType == CompanyType.Customer && c.CompanyName!.StartsWith("Con", StringComparison.OrdinalIgnoreCase))
            .Select(c => $"{c.Id} {c.CompanyName}");
        Assert.NotEmpty(output);
        Assert.Equal(expected, output);
    }

    [Fact]
    public async Task Linking_at_run_time_runs_as_written()
    {
        await using var simulator = AutotaskSimulator.Create(seed: 42);
        var directory = Directory.CreateTempSubdirectory("autotask-readme-");
        var configuration = new ConfigurationBuilder().Build();
        var services = new ServiceCollection();
        services.AddSingleton<IAutotaskSecretProtector>(new DataProtectionSecretProtector(new Microsoft.AspNetCore.DataProtection.EphemeralDataProtectionProvider()));
        var cancellationToken = TestContext.Current.CancellationToken;
        const string IntegrationCode = "SIMULATORINTEGRATIONCODE000";
        var partnerId = "msp-4711";
        var form = (UserName: simulator.Options.UserName, Secret: "typed-wrong", NewSecret: "rotated-in-autotask");
        IReadOnlyList<string> problems = [];
        try
        {
            var path = Path.Combine(directory.FullName, "integration.db");

            // snippet: link-at-run-time
            services.AddAutotaskIntegration(configuration.GetSection("Autotask"))   // no connection needed at start-up
                .UseSqliteStore(path);                                              // connections saved here, secrets encrypted
            // end snippet
            services.AddAutotaskIntegration(simulator.ConfigureZones).UseSimulator(simulator); // test only: the zone is the simulator's
            await using var provider = services.BuildServiceProvider();

            // snippet: link-at-run-time

            // The "PSA Integration" page of your portal, for one partner:
            var portal = provider.GetRequiredService<IAutotaskConnectionManager>();
            try
            {
                await portal.LinkAsync(partnerId, new AutotaskConnectionOptions
                {
                    UserName = form.UserName,
                    Secret = form.Secret,
                    IntegrationCode = IntegrationCode,
                }, ConnectionRequirements.SubscriptionSync, cancellationToken);   // Test and Save
            }
            catch (AutotaskConnectionTestFailedException ex)
            {
                problems = ex.Result.Problems;                                    // show them; nothing was saved
            }
            // end snippet

            Assert.Contains("credentials", Assert.Single(problems), StringComparison.Ordinal);
            await portal.LinkAsync(partnerId, new AutotaskConnectionOptions { UserName = form.UserName, Secret = simulator.Options.Secret, IntegrationCode = IntegrationCode }, cancellationToken: cancellationToken);
            simulator.Options.Secret = form.NewSecret;

            // snippet: link-at-run-time

            // Later: the partner rotates its secret, or unlinks.
            await portal.UpdateAsync(partnerId, c => c.Secret = form.NewSecret, cancellationToken: cancellationToken);
            var client = provider.GetRequiredService<IAutotaskClientFactory>().GetClient(partnerId);
            var zone = await client.GetZoneAsync(cancellationToken);
            await portal.RemoveAsync(partnerId, cancellationToken);
            // end snippet

            Assert.Equal(simulator.ZoneUrl, zone.Url);
            await Assert.ThrowsAsync<AutotaskConnectionNotFoundException>(() => client.GetZoneAsync(cancellationToken));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Simulator_example_runs_as_written()
    {
        var services = new ServiceCollection();

        // snippet: simulator
        await using var simulator = AutotaskSimulator.Create(seed: 42);        // in process, no sockets
        services.AddAutotaskIntegration(o => simulator.AddConnection(o, "test")).UseSimulator(simulator);

        simulator.Faults.Next(SimulatorFault.AmbiguousWrite);                  // the next write lands, its answer is lost
        var fixture = simulator.Data.Add(new Company { CompanyName = "Fixture Ltd", CompanyType = CompanyType.Customer, IsActive = true });
        // ... run your code, then inspect simulator.Requests, simulator.AppliedAdjustments, simulator.Data
        // end snippet

        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IAutotaskClient>();
        var error = await Assert.ThrowsAsync<AutotaskCommunicationException>(() =>
            client.CreateAsync(new Ticket { CompanyId = fixture.Id, Title = "x", Status = 1, Priority = 2 }, TestContext.Current.CancellationToken));
        Assert.True(error.RequestMayHaveBeenApplied);
        Assert.Single(simulator.Data.All<Ticket>());
    }

    [Fact]
    public async Task Every_entity_example_runs_as_written()
    {
        await using var sim = SimulatorHarness.Create(connection: c => c.WebhookSecretKey = "readme-example-webhook-key", name: "contoso");
        var client = sim.Client;
        var webhooks = sim.Services.GetRequiredService<IAutotaskWebhooks>();
        var ct = TestContext.Current.CancellationToken;
        var companyId = sim.Simulator.Data.All<Company>()[0].Id;
        var productId = sim.Simulator.Data.AddRecord("Products", new JsonObject { ["name"] = "Backup appliance", ["isActive"] = true });
        var ticket = sim.Simulator.Data.Add(new Ticket { CompanyId = companyId, Title = "Backup failed", Description = "Nightly", Status = 1, Priority = 2 });
        var contactId = sim.Simulator.Data.Add(new Contact { CompanyId = companyId, FirstName = "Pat", LastName = "Lee", IsActive = true }).Id;

        // snippet: entities
        // Every entity of the REST API has a model; what it supports is an interface the compiler checks.
        var id = await client.CreateAsync(new ConfigurationItem { CompanyId = companyId, ProductId = productId, ReferenceTitle = "NAS-01", IsActive = true }, ct);
        await client.CreateAsync(new ConfigurationItemNote { ConfigurationItemId = id, Title = "Installed", NoteType = 1 }, ct); // POST ConfigurationItems/{id}/Notes
        await foreach (var item in client.QueryAsync(new AutotaskQuery<ConfigurationItem>().Where(Filter<ConfigurationItem>.Eq(c => c.CompanyId, companyId)), ct)) { }
        await client.ReplaceAsync(ticket with { Title = "Backup fixed", Description = null }, ct);   // PUT: as read, but these two
        await client.DeleteAsync<Contact>(contactId, parentId: companyId, ct);                         // DELETE Companies/{id}/Contacts/{contactId}

        // What the models lack, by name: JSON records whose fields are checked against the instance's own metadata first.
        var items = client.EntitySet("ConfigurationItems");
        await items.UpdateAsync(id, new JsonObject { ["location"] = "Rack 4" }, cancellationToken: ct);  // AutotaskFieldException names a wrong field

        // Webhooks from code: registering again changes the one webhook; callouts are signed with the connection's key.
        await webhooks.RegisterAsync("contoso", new AutotaskWebhookDefinition { Entity = AutotaskWebhookEntity.Ticket,
            ReceiverUrl = new Uri("https://vendor.example/autotask/contoso"), SubscribedFields = ["status", "priority"] }, ct);
        // end snippet

        Assert.Equal("Rack 4", (string?)sim.Simulator.Data.Records("ConfigurationItems").Single()["location"]);
        Assert.Single(sim.Simulator.Data.Records("ConfigurationItemNotes"));
        Assert.Null(sim.Simulator.Data.Get<Ticket>(ticket.Id)!.Description);
        Assert.Null(sim.Simulator.Data.Get<Contact>(contactId));
        Assert.Equal("readme-example-webhook-key", (string?)sim.Simulator.Data.Records("TicketWebhooks").Single()["secretKey"]);
    }

    /// <summary>What a vendor's platform does with a change; stands in for the vendor's own code.</summary>
    public interface IVendorPlatform
    {
        /// <summary>Applies a change to the vendor's records.</summary>
        ValueTask ApplyAsync(CustomerChange change, CancellationToken cancellationToken);
    }

    /// <summary>The README's mapping and sync example: compiled here, run in spirit by the samples and the sync tests.</summary>
    internal static async Task MappingAndSyncExample(IServiceCollection services, IConfiguration configuration, IServiceProvider provider,
        long serviceId, long contractId, CancellationToken ct)
    {
        var tester = provider.GetRequiredService<IAutotaskConnectionTester>();
        var mapping = provider.GetRequiredService<IMappingEngine>();
        var sync = provider.GetRequiredService<IQuantitySyncEngine>();

        // snippet: mapping
        services.AddAutotaskIntegration(configuration.GetSection("Autotask"))
            .UseSqliteStore("autotask-mappings.db");           // or .UsePostgreSqlStore(connectionString)

        // "Test and Save": zone, credentials and every permission the integration needs, audited.
        var test = await tester.TestAsync("contoso", ConnectionRequirements.SubscriptionSync, ct);

        // Map once: vendor customer -> Customer company, offer -> service with a matching period, subscription -> contract service.
        var candidates = await mapping.SearchCustomersAsync("contoso", "Fab", cancellationToken: ct);
        await mapping.MapCustomerAsync("contoso", "vendor-customer-17", candidates[0].Id, ct);
        await mapping.MapOfferAsync("contoso", "m365-premium-monthly", BillingTerm.Monthly, serviceId, ct);
        await mapping.MapSubscriptionAsync("contoso", new SubscriptionMappingRequest
        {
            VendorSubscriptionId = "sub-42", VendorCustomerId = "vendor-customer-17", VendorOfferId = "m365-premium-monthly",
            ContractId = contractId, AddServiceToContract = true,
        }, ct);

        // Level-triggered: state the quantities; only differences are written. Run it twice, the second run writes nothing.
        var report = await sync.SyncAsync("contoso", [new SubscriptionQuantity("sub-42", 17, SystemClock.Instance.GetCurrentInstant())],
            new QuantitySyncOptions { DryRun = false, EffectiveDate = EffectiveDatePolicy.DayOfChange }, ct);
        // end snippet
        Assert.True(test.Succeeded && report.Items.Count == 1);
    }

    /// <summary>The README's alert and inbound example, compiled here.</summary>
    internal static async Task AlertsAndInboundExample(IServiceCollection services, IConfiguration configuration, IServiceProvider provider,
        IVendorPlatform platform, (Stream Body, IReadOnlyDictionary<string, string> Headers) request, IReadOnlyList<Alert> events, CancellationToken ct)
    {
        var alerts = provider.GetRequiredService<IAlertTicketEngine>();
        var inbound = provider.GetRequiredService<IInboundSyncEngine>();
        var webhooks = provider.GetRequiredService<IAutotaskWebhookReceiver>();
        var now = SystemClock.Instance.GetCurrentInstant();
        var today = now.InUtc().Date;

        // snippet: alerts
        services.AddAutotaskIntegration(configuration.GetSection("Autotask"))
            .AddAlertTickets(o => o.For("contoso", m =>
            {
                // By label, as the administrator sees them; checked against the instance's picklists at start-up.
                m.Severities[AlertSeverity.Error] = new AlertTicketRule { Priority = "High", Queue = "Monitoring Alert", DaysUntilDue = 1 };
                m.Severities[AlertSeverity.Warning] = new AlertTicketRule { Priority = "Medium", Queue = "Monitoring Alert", DaysUntilDue = 3 };
                m.DailyDigest = new AlertTicketRule { Priority = "Low", Queue = "Monitoring Alert" };
                m.CatchAllCompanyId = 0;   // optional: where alerts of unmapped customers go
            }));

        await alerts.PublishAlertAsync("contoso", new Alert { VendorCustomerId = "org-1", AlertKey = "job-7:failed",
            Severity = AlertSeverity.Error, Title = "Backup failed", OccurredAt = now }, ct);   // a repeat while open adds a note
        await alerts.PublishDailyDigestAsync("contoso", "org-1", today, events, ct);              // one ticket per customer per day
        await alerts.SendTestTicketAsync("contoso", "org-1", ct);

        // Inbound, incremental and at-least-once (dedupe on ChangeKey): the first run delivers everything.
        await inbound.SyncCustomersAsync("contoso", (change, ct) => platform.ApplyAsync(change, ct), ct);
        await foreach (var change in inbound.ReadContractChangesAsync("contoso", ct)) { /* ... */ }

        // Webhooks feed the same changes. The body is streamed (at most 256 KiB read) and verified with the connection's
        // own WebhookSecretKey; replays are refused through the store, across every instance, within WebhookReplayWindow.
        var result = await webhooks.ReceiveAsync("contoso", request.Body, request.Headers[IAutotaskWebhookReceiver.SignatureHeader], ct);
        // end snippet
        Assert.NotEqual(WebhookStatus.Malformed, result.Status);
    }

    /// <summary>The README's usage billing, plan and jobs example, compiled here.</summary>
    internal static async Task UsageBillingExample(IServiceProvider provider, IReadOnlyList<SubscriptionUsage> gigabytesPerSubscription, CancellationToken ct)
    {
        var usage = provider.GetRequiredService<IUsageBillingEngine>();
        var sync = provider.GetRequiredService<IQuantitySyncEngine>();
        var jobs = provider.GetRequiredService<IAutotaskJobs>();
        var now = SystemClock.Instance.GetCurrentInstant();

        // snippet: usage-billing
        // The partner invoices on the 1st (the next business day when it is a weekend), from March on the last day.
        var calendar = new InvoiceCalendar(InvoiceSchedule.OnDay(1, BusinessDayShift.NextBusinessDay))
            .ChangedOn(new LocalDate(2028, 3, 1), InvoiceSchedule.LastDayOfMonth());
        var billing = new UsageBillingOptions
        {
            Calendar = calendar,
            Units = new UsageUnits { Rounding = UsageRounding.Up, UnitSize = 10m, Floor = 1 },   // per started 10 GB, at least 1
        };

        // The usage of the period that ends on an invoice date becomes the units from that date; billing it again writes nothing.
        var billed = await usage.BillAsync("contoso", new LocalDate(2028, 2, 1), gigabytesPerSubscription, billing, ct);

        // Approve, then apply: a plan holds what would change and the units it saw; a rule or a person decides.
        var plan = await sync.PlanAsync("contoso", [new SubscriptionQuantity("sub-42", 40, now)],
            new QuantityPlanOptions { Approval = PlanApprovalRule.UnderPercent(10) }, ct);
        File.WriteAllText("plan.csv", plan.ToCsv());                            // or plan.ToJson(), read back by QuantityPlan.FromJson
        var applied = await sync.ApplyPlanAsync("contoso", plan.Approve(["sub-42"], "approved by ops@vendor"), cancellationToken: ct);
        // Items whose units moved since the plan come back Stale; a second apply throws QuantityPlanException.

        // Each job is one call per connection, for any scheduler; every run is in the connection's history.
        var run = await jobs.BillUsageAsync("contoso", new Progress<JobProgress>(p => Console.WriteLine($"{p.Done}/{p.Total}")), ct);
        var history = await jobs.GetRunsAsync("contoso", AutotaskJobNames.UsageBilling, ct);
        // end snippet
        Assert.True(billed.Items.Count >= 0 && applied.Items.Count >= 0 && run.RunId.Length > 0 && history.Count > 0);
    }

    [Fact]
    public void Every_csharp_block_of_the_readme_is_compiled_code_from_this_file()
    {
        // The README's C# blocks are copied from the snippet regions above, never typed by hand. Set
        // AUTOTASK_UPDATE_README=1 and run this test to write them into the README after changing the code here.
        var root = Repository.Root;
        var readmePath = Path.Combine(root, "README.md");
        var readme = File.ReadAllText(readmePath);
        // The scheduling example is in a file of its own, compiled only where Quartz 4 is (.NET 10).
        var snippets = ReadmeSnippets.FromCode(File.ReadAllText(Path.Combine(root, "tests", "Autotask.Integration.Tests", "ReadmeExamples.cs")) + "\n" +
            File.ReadAllText(Path.Combine(root, "tests", "Autotask.Integration.Tests", "Scheduling", "SchedulingReadmeExample.cs")));
        var expected = ReadmeSnippets.Apply(readme, snippets);

        if (Environment.GetEnvironmentVariable("AUTOTASK_UPDATE_README") == "1")
        {
            File.WriteAllText(readmePath, expected);
            readme = expected;
        }

        Assert.Equal(expected, readme);
        Assert.Equal(ReadmeSnippets.CountCSharpBlocks(readme), ReadmeSnippets.CountMarkedBlocks(readme));
        Assert.Equal(snippets.Keys.Order(), ReadmeSnippets.MarkedNames(readme).Order());
    }
}
