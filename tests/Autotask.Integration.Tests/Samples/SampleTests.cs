using Autotask.Integration.Auditing;
using Autotask.Integration.Entities;
using Autotask.Integration.Mapping;
using Autotask.Integration.Samples;
using Autotask.Integration.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace Autotask.Integration.Tests.Samples;

/// <summary>Runs the samples' entry points against the simulator, so that they cannot rot.</summary>
public sealed class SampleTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("autotask-samples-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<(int ExitCode, string Output)> Run(AutotaskSimulator simulator, string command, bool allowWrites = true, Action<AutotaskConnectionOptions>? connection = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var audit = new InMemoryAuditSink();
        var configuration = new ConfigurationBuilder().Build();
        SampleHost.AddAutotask(services, configuration, simulator, Path.Combine(_directory, "samples.db"), audit);
        services.Configure<AutotaskIntegrationOptions>(o =>
        {
            o.Connections["simulator"].RetryBaseDelay = TimeSpan.FromMilliseconds(1);
            connection?.Invoke(o.Connections["simulator"]);
        });
        await using var provider = services.BuildServiceProvider();
        using var output = new StringWriter();
        var exit = await SampleRunner.RunAsync(provider, command, output, allowWrites, audit, TestContext.Current.CancellationToken);
        return (exit, output.ToString());
    }

    [Fact]
    public async Task The_main_sample_runs_every_shape_end_to_end()
    {
        await using var simulator = AutotaskSimulator.Create(seed: 42);

        var (exit, output) = await Run(simulator, "all");

        Assert.Equal(0, exit);
        Assert.Contains("Active customers: 25", output, StringComparison.Ordinal);
        Assert.Contains("Ran the same quantities again: nothing to change.", output, StringComparison.Ordinal);
        Assert.Contains("NoteAdded", output, StringComparison.Ordinal);
        Assert.Contains("Pulled customers again: 0 change(s).", output, StringComparison.Ordinal);
        Assert.Contains("== Audit trail of this run", output, StringComparison.Ordinal);
        Assert.Single(simulator.AppliedAdjustments);
        Assert.Contains(simulator.Data.All<Ticket>(), t => t.Title!.StartsWith("[TEST]", StringComparison.Ordinal));
        Assert.Contains("brought up to date rather than duplicated", output, StringComparison.Ordinal);
        Assert.Equal(DevicesSample.Devices.Select(d => d.Serial), simulator.Data.Records("ConfigurationItems").Select(r => (string?)r["referenceNumber"]));
        Assert.Single(simulator.Data.Records("TicketWebhooks"));
    }

    [Fact]
    public async Task The_devices_sample_files_each_device_once_and_one_ticket_webhook()
    {
        await using var simulator = AutotaskSimulator.Create(seed: 42);

        var (exit, output) = await Run(simulator, "devices");
        var (again, secondOutput) = await Run(simulator, "devices");

        Assert.Equal((0, 0), (exit, again));
        Assert.Contains("Created the product 'Backup appliance'", output, StringComparison.Ordinal);
        Assert.Equal(3, secondOutput.Split("already there").Length - 1);
        Assert.Equal(3, simulator.Requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/ConfigurationItems", StringComparison.Ordinal)));
        var items = simulator.Data.Records("ConfigurationItems");
        Assert.Equal(3, items.Count);
        var company = Assert.Single(items.Select(i => (long)i["companyID"]!).Distinct());
        Assert.Contains(simulator.Data.All<Company>(), c => c.Id == company);
        var webhook = Assert.Single(simulator.Data.Records("TicketWebhooks"));
        Assert.Equal(DevicesSample.ReceiverFor("simulator").ToString(), (string?)webhook["webhookUrl"]);
        Assert.Equal(5, simulator.Data.Records("TicketWebhookFields").Count);
    }

    [Fact]
    public async Task A_second_run_keeps_the_first_runs_mappings()
    {
        await using (var first = AutotaskSimulator.Create(seed: 42))
        {
            Assert.Equal(0, (await Run(first, "reseller")).ExitCode);
        }

        await using var second = AutotaskSimulator.Create(seed: 42);
        var (exit, output) = await Run(second, "reseller");

        Assert.Equal(0, exit);
        Assert.Contains("kept from an earlier run", output, StringComparison.Ordinal);
        Assert.Contains("Kept from an earlier run", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tour")]
    [InlineData("reseller")]
    [InlineData("alerts")]
    [InlineData("devices")]
    [InlineData("inbound")]
    public async Task Each_command_runs_on_its_own(string command)
    {
        await using var simulator = AutotaskSimulator.Create(seed: 42);

        var (exit, output) = await Run(simulator, command);

        Assert.True(exit == 0, output);
    }

    [Fact]
    public async Task Without_allow_writes_nothing_is_written()
    {
        await using var simulator = AutotaskSimulator.Create(seed: 42);

        var (exit, output) = await Run(simulator, "all", allowWrites: false);

        Assert.Equal(0, exit);
        Assert.Contains("--allow-writes", output, StringComparison.Ordinal);
        Assert.Empty(simulator.Data.All<Ticket>());
        Assert.Empty(simulator.AppliedAdjustments);
    }

    [Fact]
    public async Task Bad_credentials_end_with_a_plain_message_and_a_failing_exit_code()
    {
        await using var simulator = AutotaskSimulator.Create(seed: 42);

        var (exit, output) = await Run(simulator, "all", connection: c => c.Secret = "wrong-secret-value");

        Assert.Equal(1, exit);
        Assert.Contains("Check the API user's username, secret and integration code", output, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-secret-value", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_permission_stops_the_reseller_sample_at_the_connection_test()
    {
        await using var simulator = AutotaskSimulator.Create(seed: 42);
        simulator.DenyAccess("ContractServiceAdjustments", SimulatorAccess.Create);

        var (exit, output) = await Run(simulator, "reseller");

        Assert.Equal(1, exit);
        Assert.Contains("create ContractServiceAdjustments", output, StringComparison.Ordinal);
        Assert.Empty(simulator.AppliedAdjustments);
    }

    [Fact]
    public async Task An_unknown_command_prints_the_usage()
    {
        await using var simulator = AutotaskSimulator.Create(seed: 42);

        var (exit, output) = await Run(simulator, "frobnicate");

        Assert.Equal(3, exit);
        Assert.Contains("usage:", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sample_uses_the_simulator_only_without_credentials()
    {
        var none = new ConfigurationBuilder().Build();
        var some = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Autotask:Connections:main:UserName"] = "u" }).Build();

        Assert.False(SampleHost.HasCredentials(none));
        Assert.True(SampleHost.HasCredentials(some));
    }

    [Fact]
    public async Task The_portal_sample_links_partners_at_run_time_syncs_rotates_and_unlinks_and_runs_again()
    {
        var store = Path.Combine(_directory, "portal.db");
        async Task<(int Exit, string Output, InMemoryAuditSink Audit)> RunPortal()
        {
            var databases = PortalSample.CreateDatabases();
            var services = new ServiceCollection();
            services.AddLogging();
            var audit = new InMemoryAuditSink();
            PortalSample.AddPortal(services, databases, store, audit);
            await using var provider = services.BuildServiceProvider();
            using var output = new StringWriter();
            var exit = await PortalSample.RunAsync(provider, databases, output, TestContext.Current.CancellationToken);
            foreach (var database in databases)
            {
                await database.DisposeAsync();
            }

            return (exit, output.ToString(), audit);
        }

        var (exit, text, audit) = await RunPortal();

        Assert.Equal(0, exit);
        Assert.Contains("None: the host started with no connection.", text, StringComparison.Ordinal);
        Assert.Contains("refused the API user's credentials", text, StringComparison.Ordinal);
        Assert.Contains("does not allow it to create ContractServiceAdjustments", text, StringComparison.Ordinal);
        Assert.Contains("Linked 'northwind'", text, StringComparison.Ordinal);
        Assert.Contains("Linked 'fabrikam'", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Linked 'contoso'", text, StringComparison.Ordinal);
        Assert.Contains("Autotask database 1001", text, StringComparison.Ordinal);
        Assert.Contains("has no active value labelled 'Monitoring Alerts'", text, StringComparison.Ordinal);
        Assert.Contains("Saved the alert mapping; the test ticket is T", text, StringComparison.Ordinal);
        Assert.Contains("Rotated: the next request works again", text, StringComparison.Ordinal);
        Assert.Contains("A sync after unlinking is refused", text, StringComparison.Ordinal);
        Assert.Contains("Linked now: fabrikam.", text, StringComparison.Ordinal);
        Assert.Contains(audit.Events, e => e.Operation == AuditOperations.UpdateConnectorConnection && e.Connection == "fabrikam");
        Assert.Contains(audit.Events, e => e.Operation == AuditOperations.DeleteConnectorConnection && e.Connection == "northwind");
        Assert.DoesNotContain("-secret-from-autotask", text + string.Join("\n", audit.Events.Select(e => e.Details)), StringComparison.Ordinal);

        // The file keeps fabrikam (its secret encrypted) for the next run, which unlinks it and plays the page again.
        var (again, secondText, _) = await RunPortal();
        Assert.Equal(0, again);
        Assert.Contains("fabrikam (unlinked now, to play the page from the start).", secondText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_backup_vendor_sample_bills_usage_on_each_partners_invoice_dates_and_tickets_failures_and_digests()
    {
        var databases = BackupVendorSample.CreateDatabases();
        var services = new ServiceCollection();
        services.AddLogging();
        var audit = new InMemoryAuditSink();
        var clock = new SimulatedClock();
        var vendor = new BackupVendor();
        BackupVendorSample.AddBackupVendor(services, databases, clock, vendor, audit);
        await using var provider = services.BuildServiceProvider();
        using var output = new StringWriter();

        var exit = await BackupVendorSample.RunAsync(provider, databases, clock, vendor, output, TestContext.Current.CancellationToken);

        var text = output.ToString();
        Assert.Equal(0, exit);
        // northwind: the 1st, or the next business day (1 January 2028 is a Saturday); contoso: the last business day
        // (31 December 2027 and 31 March 2028 are Fridays); fabrikam: the 15th. Each billed once, on its own day; the
        // first run also bills the invoice date before it (the latest one due).
        Assert.Equal([new LocalDate(2027, 12, 1), new LocalDate(2028, 1, 3), new LocalDate(2028, 2, 1), new LocalDate(2028, 3, 1)], vendor.Billed.Where(b => b.Partner == "northwind").Select(b => b.Period.InvoiceDate));
        Assert.Equal([new LocalDate(2027, 12, 31), new LocalDate(2028, 1, 31), new LocalDate(2028, 2, 29), new LocalDate(2028, 3, 31)], vendor.Billed.Where(b => b.Partner == "contoso").Select(b => b.Period.InvoiceDate));
        Assert.Equal([new LocalDate(2027, 12, 15), new LocalDate(2028, 1, 15), new LocalDate(2028, 2, 15), new LocalDate(2028, 3, 15)], vendor.Billed.Where(b => b.Partner == "fabrikam").Select(b => b.Period.InvoiceDate));
        var store = provider.GetRequiredService<IMappingStore>();
        foreach (var (id, database, _, _) in BackupVendorSample.Partners)
        {
            var line = (await store.FindSubscriptionAsync(id, BackupVendorSample.Subscription, TestContext.Current.CancellationToken))!;
            Assert.All(vendor.Billed.Where(b => b.Partner == id), b => Assert.Equal(BackupVendorSample.Units.UnitsFor(b.Gigabytes), databases[database - 1].Data.UnitsOn(line.ContractServiceId, b.Period.InvoiceDate)));
            var tickets = databases[database - 1].Data.All<Ticket>();
            // Failures on the 5th, 12th and 25th of three months; one digest a weekday.
            Assert.Equal(9, tickets.Count(t => t.Title!.StartsWith("Backup failed", StringComparison.Ordinal)));
            Assert.InRange(tickets.Count(t => t.Title!.StartsWith("Daily digest", StringComparison.Ordinal)), 60, 66);
        }

        Assert.Contains("Simulating 2028-01-01 to 2028-03-31, an hour a step: done.", text, StringComparison.Ordinal);
        Assert.Contains("2028-01-31 to 2028-02-28", text, StringComparison.Ordinal);
        Assert.Contains("4 adjustment(s), one per change of units", text, StringComparison.Ordinal);
        Assert.Contains(audit.Events, e => e.Operation == AuditOperations.UpdateSubscriptionQuantity && e.Connection == "fabrikam");
        Assert.DoesNotContain(audit.Events, e => e.Status == AuditStatus.Failed);
        foreach (var database in databases)
        {
            await database.DisposeAsync();
        }
    }

    [Fact]
    public async Task Help_works_for_every_command_and_runs_nothing()
    {
        var ran = new List<string>();
        var root = SampleCommandLine.Build((command, _, _) =>
        {
            ran.Add(command);
            return Task.FromResult(0);
        });

        foreach (var args in new[] { new[] { "--help" } }.Concat(SampleCommandLine.Commands.Select(c => new[] { c.Name, "--help" })))
        {
            using var output = new StringWriter();
            var exit = await root.Parse(args).InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output }, TestContext.Current.CancellationToken);

            Assert.Equal(0, exit);
            Assert.Contains("--allow-writes", output.ToString(), StringComparison.Ordinal);
            Assert.Contains(args.Length == 1 ? "reseller" : SampleCommandLine.Commands.Single(c => c.Name == args[0]).Description[..20], output.ToString(), StringComparison.Ordinal);
        }

        Assert.Empty(ran);
        Assert.Equal(0, await root.Parse(["alerts", "--allow-writes"]).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(0, await root.Parse([]).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(["alerts", "all"], ran);
        Assert.NotEqual(0, await root.Parse(["no-such-command"]).InvokeAsync(new System.CommandLine.InvocationConfiguration { Error = TextWriter.Null, Output = TextWriter.Null }, TestContext.Current.CancellationToken));
    }
}
