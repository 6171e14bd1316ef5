using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Autotask.Integration.Entities;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;

namespace Autotask.Integration.Tests.Inbound;

/// <summary>
/// Replay protection where it breaks: three receivers in separate OS processes, sharing one store, each receive the
/// same callouts at once (as when Autotask's retries reach different instances behind a load balancer). Every callout
/// is accepted by exactly one of them.
/// </summary>
public sealed class MultiProcessWebhookTests(PostgreSqlServer server)
{
    private const string WebhookKey = "multi-process-webhook-key";
    private const int Workers = 3;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [InlineData(StoreKind.PostgreSql)]
    public async Task Receivers_in_separate_processes_sharing_one_store_accept_each_callout_exactly_once(StoreKind kind)
    {
        await using var shared = new SharedStore(kind, server);
        await using var simulator = await AutotaskSimulator.StartAsync(new AutotaskSimulatorOptions { Seed = 7 }, Ct);
        var now = DateTimeOffset.UtcNow.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff", CultureInfo.InvariantCulture);
        var companies = simulator.Data.All<Company>().Take(30).Select(c => ("Company", "Update", c.Id));
        var contracts = simulator.Data.All<Contract>().Take(20).Select(c => ("Contract", "Update", c.Id));
        var deletions = Enumerable.Range(0, 10).Select(i => ("Company", "Delete", 900_000_000L + i));
        var callouts = companies.Concat(contracts).Concat(deletions).Select(c =>
        {
            var body = Encoding.UTF8.GetBytes($$"""{"Action":"{{c.Item2}}","Guid":"{{Guid.NewGuid()}}","EntityType":"{{c.Item1}}","Id":{{c.Item3}},"EventTime":"{{now}}"}""");
#pragma warning disable CA5350 // Autotask's signature scheme.
            var signature = "sha1=" + Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(WebhookKey), body));
#pragma warning restore CA5350
            return $"{Convert.ToBase64String(body)} {signature}";
        }).ToList();
        var file = Path.Combine(Directory.CreateTempSubdirectory("autotask-webhooks-").FullName, "callouts.txt");
        await File.WriteAllLinesAsync(file, callouts, Ct);

        var workers = await Task.WhenAll(Enumerable.Range(1, Workers).Select(n =>
        {
            var settings = SyncWorkerProcess.Settings(shared, simulator, n, TimeSpan.FromSeconds(10));
            settings["WEBHOOK_KEY"] = WebhookKey;
            return SyncWorkerProcess.StartAsync($"w{n}", settings, Ct);
        }));
        try
        {
            foreach (var worker in workers)
            {
                await worker.SendAsync($"webhooks 1 {file}");
            }

            var accepted = 0;
            foreach (var worker in workers)
            {
                var answer = (await worker.ReadLineAsync(TimeSpan.FromSeconds(120), Ct)).Split(' ');
                Assert.True(answer[0] == "done", $"worker {worker.Name}: {string.Join(' ', answer)}");
                Assert.Equal(callouts.Count, int.Parse(answer[2], CultureInfo.InvariantCulture) + int.Parse(answer[3], CultureInfo.InvariantCulture));
                accepted += int.Parse(answer[2], CultureInfo.InvariantCulture);
            }

            Assert.Equal(callouts.Count, accepted);
        }
        finally
        {
            foreach (var worker in workers)
            {
                await worker.DisposeAsync();
            }

            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }
}
