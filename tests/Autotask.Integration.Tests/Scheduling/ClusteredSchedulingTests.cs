using System.Globalization;
using Autotask.Integration.Entities;
using Autotask.Integration.Jobs;
using Autotask.Integration.Mapping;
using Autotask.Integration.PostgreSql;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Autotask.Integration.Tests.Scheduling;

/// <summary>
/// One runner per job across instances, where it breaks: two, then three host processes (real OS processes) run the
/// quantity sync of four connections every 1.5 seconds on Quartz, clustered on one PostgreSQL, against the simulated
/// Autotask on loopback. No slot of a connection's job runs twice; one host is killed with SIGKILL in the middle of a
/// job, another recovers that job, and no adjustment is applied twice.
/// </summary>
public sealed class ClusteredSchedulingTests(PostgreSqlServer server)
{
    private const int Connections = 4;
    private const int LinesPerConnection = 6;
    private const int IntervalMs = 1500;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_slot_runs_once_across_processes_and_a_killed_hosts_job_is_recovered_without_a_double_apply()
    {
        await using var shared = new SharedStore(StoreKind.PostgreSql, server);
        var quartzSchema = "quartz_" + Guid.NewGuid().ToString("N")[..10];
        await using var simulator = await AutotaskSimulator.StartAsync(new AutotaskSimulatorOptions { Seed = 17, DataSet = SimulatorDataSet.Subscriptions(Connections * LinesPerConnection / 3, 3) }, Ct);
        var lines = simulator.Data.All<ContractService>().Take(Connections * LinesPerConnection).ToList();
        var store = shared.Open();
        var owners = new Dictionary<long, (string Connection, string Subscription)>();
        for (var i = 0; i < lines.Count; i++)
        {
            var connection = $"tenant-{i / LinesPerConnection + 1}";
            var contract = simulator.Data.Get<Contract>(lines[i].ContractId)!;
            await store.AddSubscriptionAsync(new SubscriptionMapping
            {
                Connection = connection, VendorSubscriptionId = $"sub-{i}", VendorCustomerId = $"cust-{contract.CompanyId}", VendorOfferId = $"offer-{lines[i].ServiceId}",
                CompanyId = contract.CompanyId!.Value, ContractId = lines[i].ContractId, ContractServiceId = lines[i].Id, ServiceId = lines[i].ServiceId,
            }, Ct);
            owners[lines[i].Id] = (connection, $"sub-{i}");
        }

        var today = Support.SyncHarness.TodayUtc;
        var initial = lines.ToDictionary(l => l.Id, l => simulator.Data.AdjustmentsOf(l.Id).Count);
        var want = Path.Combine(Directory.CreateTempSubdirectory("autotask-hosts-").FullName, "want.txt");
        var first = lines.ToDictionary(l => l.Id, l => simulator.Data.UnitsOn(l.Id, today) + 3);
        await WriteWantAsync(want, first, owners);

        var settings = new Dictionary<string, string>
        {
            ["PG"] = server.ConnectionString, ["STORE_SCHEMA"] = shared.Location!, ["QUARTZ_SCHEMA"] = quartzSchema, ["ZONE"] = simulator.ZoneUrl.ToString(),
            ["USERNAME"] = simulator.Options.UserName, ["SECRET"] = simulator.Options.Secret, ["CODE"] = simulator.Options.IntegrationCode,
            ["CONNECTIONS"] = Connections.ToString(CultureInfo.InvariantCulture), ["INTERVAL_MS"] = IntervalMs.ToString(CultureInfo.InvariantCulture), ["WANT"] = want,
        };
        var hosts = new List<SyncWorkerProcess>();
        try
        {
            // Two hosts, then three.
            hosts.Add(await StartHostAsync("A", settings));
            hosts.Add(await StartHostAsync("B", settings));
            await Task.Delay(TimeSpan.FromSeconds(8), Ct);
            hosts.Add(await StartHostAsync("C", settings));
            await Task.Delay(TimeSpan.FromSeconds(6), Ct);
            await Wait.UntilAsync(() => lines.All(l => simulator.Data.UnitsOn(l.Id, today) == first[l.Id]), TimeSpan.FromSeconds(30));

            // New quantities, slow writes: the next job of a connection takes a while, and its host is killed in the middle of it.
            simulator.Faults.Latency = TimeSpan.FromMilliseconds(250);
            simulator.Faults.Randomly(SimulatorFault.Latency, 1.0, r => r.IsWrite);
            var second = first.ToDictionary(p => p.Key, p => p.Value + 2);
            var seen = hosts.ToDictionary(h => h.Name, h => h.Lines.Count);
            var firedBefore = seen.Values.Sum();
            await WriteWantAsync(want, second, owners);
            await Wait.UntilAsync(() => hosts.Any(h => h.Lines.Count > seen[h.Name]), TimeSpan.FromSeconds(30));
            var victim = hosts.First(h => h.Lines.Count > seen[h.Name]);
            // 200 ms into the job: past its reads, in its writes (six of 250 ms each, three at a time).
            await Task.Delay(200, Ct);
            victim.KillHard();

            await Wait.UntilAsync(() => lines.All(l => simulator.Data.UnitsOn(l.Id, today) == second[l.Id]), TimeSpan.FromSeconds(60));
            await Task.Delay(TimeSpan.FromSeconds(4), Ct);

            var fired = hosts.SelectMany(h => h.Lines.Select(l => (Host: h.Name, Line: l))).ToList();
            Assert.True(fired.Count > 3 * Connections, $"Jobs fired {fired.Count} times.");

            // Each slot of each connection ran once. A job a killed host had begun is fired again by another host, as a
            // recovery (Quartz gives the recovery a slot of its own).
            foreach (var slot in fired.Where(f => !f.Line.Recovering).GroupBy(f => (f.Line.Connection, f.Line.Slot)))
            {
                Assert.True(slot.Count() == 1, $"Slot {slot.Key.Slot} of {slot.Key.Connection} fired {slot.Count()} times: {string.Join(", ", slot.Select(n => n.Host))}.");
            }

            // The victim may have had several connections' jobs running: each is recovered elsewhere.
            var recovered = fired.Where(f => f.Line.Recovering).ToList();
            Assert.NotEmpty(recovered);
            Assert.All(recovered, r => Assert.NotEqual(victim.Name, r.Host));
            Assert.Contains(victim.Lines[^1].Connection, recovered.Select(r => r.Line.Connection));
            Assert.All(recovered, r => Assert.Contains(r.Line.Connection, victim.Lines.Select(l => l.Connection)));
            Assert.True(fired.Select(f => f.Line.Instance).Distinct().Count() >= 2, "The cluster's jobs ran on more than one instance.");

            // No adjustment applied twice: two real changes per line, two new adjustments.
            foreach (var line in lines)
            {
                Assert.Equal(second[line.Id], simulator.Data.UnitsOn(line.Id, today));
            }

            var perLine = simulator.Data.Adjustments.GroupBy(a => a.ContractServiceId ?? 0).ToDictionary(g => g.Key, g => g.Count());
            Assert.All(lines, l => Assert.Equal(initial[l.Id] + 2, perLine.GetValueOrDefault(l.Id)));

            // Every connection's runs are in its history, in the shared store.
            await using var services = new ServiceCollection().AddLogging().AddAutotaskIntegration(o =>
            {
                simulator.ConfigureZones(o);
                for (var i = 1; i <= Connections; i++)
                {
                    o.AddConnection($"tenant-{i}", c => { c.UserName = simulator.Options.UserName; c.Secret = simulator.Options.Secret; c.IntegrationCode = simulator.Options.IntegrationCode; });
                }
            }).UsePostgreSqlStore(server.ConnectionString, shared.Location!).Services.BuildServiceProvider();
            var history = services.GetRequiredService<IAutotaskJobs>();
            var all = new List<JobRun>();
            for (var i = 1; i <= Connections; i++)
            {
                var runs = await history.GetRunsAsync($"tenant-{i}", AutotaskJobNames.QuantitySync, Ct);
                Assert.True(runs.Count >= 3, $"tenant-{i} has {runs.Count} runs in its history.");
                all.AddRange(runs);
            }

            // The killed host's runs do not stay running: the next run of each job took over its lease and marked them abandoned.
            var victimInstance = victim.Lines[^1].Instance;
            Assert.DoesNotContain(all, r => r.Outcome == JobOutcome.Running && r.Instance == victimInstance);
            Assert.Contains(all, r => r.Outcome == JobOutcome.Abandoned && r.Instance == victimInstance && r.AbandonedAt is not null);
            // Runs of one connection never overlapped: each began after the one before it had ended.
            foreach (var connection in all.GroupBy(r => r.Connection))
            {
                var ended = connection.Where(r => r.CompletedAt is not null).OrderBy(r => r.StartedAt).ToList();
                for (var i = 1; i < ended.Count; i++)
                {
                    Assert.True(ended[i].StartedAt >= ended[i - 1].CompletedAt, $"Runs {ended[i - 1].RunId} and {ended[i].RunId} of {connection.Key} overlapped.");
                }
            }

            Assert.True(fired.Count > firedBefore);
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }

            await using var connection = new NpgsqlConnection(server.ConnectionString);
            await connection.OpenAsync(CancellationToken.None);
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{quartzSchema}\" CASCADE", connection);
            await drop.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_host_killed_in_the_middle_of_usage_billing_loses_no_trigger_and_no_run_overlaps_the_recovered_one()
    {
        const int tenants = 2;
        await using var shared = new SharedStore(StoreKind.PostgreSql, server);
        var quartzSchema = "quartz_" + Guid.NewGuid().ToString("N")[..10];
        await using var simulator = await AutotaskSimulator.StartAsync(new AutotaskSimulatorOptions { Seed = 23, DataSet = SimulatorDataSet.Subscriptions(tenants * 2 / 3 + 1, 3) }, Ct);
        var lines = simulator.Data.All<ContractService>().Take(tenants * 2).ToList();
        var store = shared.Open();
        var owners = new Dictionary<long, (string Connection, string Subscription)>();
        for (var i = 0; i < lines.Count; i++)
        {
            var connection = $"tenant-{i / 2 + 1}";
            var contract = simulator.Data.Get<Contract>(lines[i].ContractId)!;
            await store.AddSubscriptionAsync(new SubscriptionMapping
            {
                Connection = connection, VendorSubscriptionId = $"usage-{i}", VendorCustomerId = $"cust-{contract.CompanyId}", VendorOfferId = $"offer-{lines[i].ServiceId}",
                CompanyId = contract.CompanyId!.Value, ContractId = lines[i].ContractId, ContractServiceId = lines[i].Id, ServiceId = lines[i].ServiceId,
            }, Ct);
            owners[lines[i].Id] = (connection, $"usage-{i}");
        }

        // The hosts bill usage on an invoice date that is today (in UTC, the connections' zone), from 00:00: the slot has
        // come when they start, so it fires at once; each run takes its time reading the usage.
        var today = DateTimeOffset.UtcNow.UtcDateTime.Date;
        var initial = lines.ToDictionary(l => l.Id, l => simulator.Data.AdjustmentsOf(l.Id).Count);
        var usage = lines.ToDictionary(l => l.Id, l => simulator.Data.UnitsOn(l.Id, NodaTime.LocalDate.FromDateTime(today)) + 5);
        var want = Path.Combine(Directory.CreateTempSubdirectory("autotask-hosts-").FullName, "usage.txt");
        await WriteWantAsync(want, usage, owners);
        var settings = new Dictionary<string, string>
        {
            ["PG"] = server.ConnectionString, ["STORE_SCHEMA"] = shared.Location!, ["QUARTZ_SCHEMA"] = quartzSchema, ["ZONE"] = simulator.ZoneUrl.ToString(),
            ["USERNAME"] = simulator.Options.UserName, ["SECRET"] = simulator.Options.Secret, ["CODE"] = simulator.Options.IntegrationCode,
            ["CONNECTIONS"] = tenants.ToString(CultureInfo.InvariantCulture), ["INTERVAL_MS"] = "1000", ["WANT"] = want, ["MODE"] = "usage",
            ["INVOICE_DAY"] = today.Day.ToString(CultureInfo.InvariantCulture), ["USAGE_DELAY_MS"] = "4000",
            // The connections are listed once, at start: a trigger that goes missing later is not added back by a reconcile.
            ["RECONCILE_MS"] = "600000",
        };
        var hosts = new List<SyncWorkerProcess>();
        try
        {
            hosts.Add(await StartHostAsync("A", settings));
            hosts.Add(await StartHostAsync("B", settings));
            try
            {
                await Wait.UntilAsync(() => hosts.Any(h => h.Lines.Any(l => l is { Job: AutotaskJobNames.UsageBilling, Connection: "tenant-1", Recovering: false })), TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException)
            {
                throw new TimeoutException("No usage run fired: " + string.Join(" / ", hosts.Select(h => $"{h.Name}: {h.Lines.Count} fired, {h.Errors}")));
            }

            var victim = hosts.First(h => h.Lines.Any(l => l is { Job: AutotaskJobNames.UsageBilling, Connection: "tenant-1" }));
            var victimInstance = victim.Lines.First(l => l.Connection == "tenant-1").Instance;
            // A second into the job's four-second read of the usage: killed before it wrote anything.
            await Task.Delay(1000, Ct);
            victim.KillHard();
            var survivor = hosts.Single(h => h != victim);

            await Wait.UntilAsync(() => lines.All(l => simulator.Data.UnitsOn(l.Id, NodaTime.LocalDate.FromDateTime(today)) == usage[l.Id]), TimeSpan.FromSeconds(90));
            // Each connection's trigger is still there, moved to next month's invoice date (a cluster recovery removes the
            // one-shot trigger whose firing it recovers; the recovered run adds it back, with no reconcile to repair it).
            try
            {
                await Wait.UntilAsync(() => Enumerable.Range(1, tenants).All(t => NextUsageFire(quartzSchema, $"tenant-{t}") is { } next && next > DateTimeOffset.UtcNow.AddDays(27)), TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException)
            {
                throw new TimeoutException("Triggers: " + string.Join(", ", Enumerable.Range(1, tenants).Select(t => $"{NextUsageFire(quartzSchema, $"tenant-{t}")}")) + " / " +
                    string.Join(" / ", hosts.Select(h => $"{h.Name}: {string.Join(";", h.Done)} {string.Join(";", h.Lines)} {h.Errors}")));
            }

            await Wait.UntilAsync(() => survivor.Done.Count(d => d.Job == AutotaskJobNames.UsageBilling && d.Outcome != nameof(JobOutcome.Skipped)) >= tenants, TimeSpan.FromSeconds(30));
            // A few seconds more: nothing fires the billed slot again.
            await Task.Delay(TimeSpan.FromSeconds(6), Ct);

            Assert.Contains(survivor.Lines, l => l is { Job: AutotaskJobNames.UsageBilling, Connection: "tenant-1", Recovering: true });
            Assert.DoesNotContain(victim.Done, d => d.Connection == "tenant-1");
            foreach (var tenant in Enumerable.Range(1, tenants).Select(t => $"tenant-{t}"))
            {
                // One run did the work; any other that fired for the connection meanwhile (the recovery, or the trigger added
                // back) found the lease held and was skipped, never run beside it.
                var ran = hosts.SelectMany(h => h.Done).Where(d => d.Job == AutotaskJobNames.UsageBilling && d.Connection == tenant && d.Outcome != nameof(JobOutcome.Skipped)).ToList();
                Assert.True(ran is [(_, _, nameof(JobOutcome.Succeeded))], $"{tenant} ran {string.Join(", ", ran.Select(r => r.Outcome))}.");
                Assert.True(NextUsageFire(quartzSchema, tenant) > DateTimeOffset.UtcNow.AddDays(27));
            }

            // Billed once: one adjustment per line.
            Assert.All(lines, l => Assert.Equal(initial[l.Id] + 1, simulator.Data.AdjustmentsOf(l.Id).Count));

            // The history: the killed host's run is marked abandoned, with its instance and when it was found; none is left running.
            await using var services = HistoryReader(simulator, server, shared, tenants);
            var history = services.GetRequiredService<IAutotaskJobs>();
            var runs = await history.GetRunsAsync("tenant-1", AutotaskJobNames.UsageBilling, Ct);
            Assert.Equal([JobOutcome.Succeeded, JobOutcome.Abandoned], runs.Select(r => r.Outcome));
            Assert.Equal(victimInstance, runs[1].Instance);
            Assert.NotNull(runs[1].AbandonedAt);
            Assert.Contains($"its instance {victimInstance} has stopped", runs[1].Detail, StringComparison.Ordinal);
            var status = await history.GetUsageBillingStatusAsync("tenant-1", Ct);
            Assert.Equal((NodaTime.LocalDate.FromDateTime(today), 0), (status.SettledThrough, status.Due.Count));
            for (var t = 2; t <= tenants; t++)
            {
                Assert.DoesNotContain(await history.GetRunsAsync($"tenant-{t}", cancellationToken: Ct), r => r.Outcome is JobOutcome.Running or JobOutcome.Failed or JobOutcome.PartlySucceeded);
            }
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }

            await DropAsync(quartzSchema);
        }
    }

    /// <summary>When a connection's usage trigger fires next, from Quartz's own table, or <c>null</c> when it has none.</summary>
    private DateTimeOffset? NextUsageFire(string schema, string connection)
    {
        using var db = new NpgsqlConnection(server.ConnectionString);
        db.Open();
        using var command = new NpgsqlCommand($"SELECT next_fire_time FROM \"{schema}\".qrtz_triggers WHERE trigger_name = @name AND trigger_group = @group", db);
        command.Parameters.AddWithValue("name", Autotask.Integration.Quartz.AutotaskScheduler.TriggerKeyOf(connection, AutotaskJobNames.UsageBilling).Name);
        command.Parameters.AddWithValue("group", "autotask." + AutotaskJobNames.UsageBilling);
        return command.ExecuteScalar() is long ticks && ticks > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;
    }

    /// <summary>A provider on the hosts' shared store, to read the connections' job history.</summary>
    private static ServiceProvider HistoryReader(AutotaskSimulator simulator, PostgreSqlServer server, SharedStore shared, int connections) =>
        new ServiceCollection().AddLogging().AddAutotaskIntegration(o =>
        {
            simulator.ConfigureZones(o);
            for (var i = 1; i <= connections; i++)
            {
                o.AddConnection($"tenant-{i}", c => { c.UserName = simulator.Options.UserName; c.Secret = simulator.Options.Secret; c.IntegrationCode = simulator.Options.IntegrationCode; });
            }
        }).UsePostgreSqlStore(server.ConnectionString, shared.Location!).Services.AddSingleton<IUsageSource>(new HistoryOnlyUsage()).BuildServiceProvider();

    private async Task DropAsync(string quartzSchema)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync(CancellationToken.None);
        await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{quartzSchema}\" CASCADE", connection);
        await drop.ExecuteNonQueryAsync(CancellationToken.None);
    }

    /// <summary>The hosts' invoice schedule (today's day of the month), for reading the billing status; it bills nothing.</summary>
    private sealed class HistoryOnlyUsage : IUsageSource
    {
        public ValueTask<Autotask.Integration.Sync.UsageBillingOptions?> GetBillingOptionsAsync(string connection, CancellationToken cancellationToken) =>
            ValueTask.FromResult<Autotask.Integration.Sync.UsageBillingOptions?>(new Autotask.Integration.Sync.UsageBillingOptions { Calendar = new Autotask.Integration.Sync.InvoiceCalendar(Autotask.Integration.Sync.InvoiceSchedule.OnDay(DateTime.UtcNow.Day)) });

        public ValueTask<IReadOnlyList<Autotask.Integration.Sync.SubscriptionUsage>> GetUsageAsync(string connection, Autotask.Integration.Sync.BillingPeriod period, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<Autotask.Integration.Sync.SubscriptionUsage>>([]);
    }

    private static async Task<SyncWorkerProcess> StartHostAsync(string name, Dictionary<string, string> settings) =>
        await SyncWorkerProcess.StartAsync(name, settings, Ct, "Autotask.Integration.SchedulerHost", "AUTOTASK_HOST_");

    private static Task WriteWantAsync(string path, Dictionary<long, int> units, Dictionary<long, (string Connection, string Subscription)> owners)
    {
        var temporary = path + ".tmp";
        File.WriteAllLines(temporary, units.Select(p => $"{owners[p.Key].Connection} {owners[p.Key].Subscription} {p.Value.ToString(CultureInfo.InvariantCulture)}"));
        File.Move(temporary, path, overwrite: true);
        return Task.CompletedTask;
    }
}
