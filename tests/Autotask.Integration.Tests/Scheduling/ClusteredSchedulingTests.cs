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
            for (var i = 1; i <= Connections; i++)
            {
                var runs = await history.GetRunsAsync($"tenant-{i}", AutotaskJobNames.QuantitySync, Ct);
                Assert.True(runs.Count >= 3, $"tenant-{i} has {runs.Count} runs in its history.");
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
