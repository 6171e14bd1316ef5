// One instance of a vendor's quantity sync, for the multi-process tests: it shares its store (a SQLite file or a
// PostgreSQL schema) and the simulated Autotask on loopback with the other workers. The test sends it rounds on stdin:
//   round <n> <file> <as-of unix ticks>     the file holds "<subscription> <quantity>" lines
// and it syncs them, with random jitter, again and again until a sync changes nothing, then answers on stdout:
//   done <n> <passes> <items applied>       or   error <n> <message>
// or webhook callouts:
//   webhooks <n> <file>                     the file holds "<base64 body> <signature>" lines
// which it receives in a random order, answering:
//   done <n> <accepted> <replayed>
// or reads, to test limits shared across instances (AUTOTASK_WORKER_REDIS names the Redis, STORE may be "none"):
//   reads <n> <seconds> <concurrency>       reads companies by id with that many callers for that long, answering:
//   done <n> <reads>
// Settings come from AUTOTASK_WORKER_* environment variables (never arguments, which other users can read);
// AUTOTASK_WORKER_CLOCK_OFFSET_MS sets this process's clock off by that much (a server whose clock is wrong).
using System.Globalization;
using Autotask.Integration;
using Autotask.Integration.Entities;
using Autotask.Integration.Inbound;
using Autotask.Integration.Sync;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NodaTime;

static string Setting(string name) =>
    Environment.GetEnvironmentVariable("AUTOTASK_WORKER_" + name) is { Length: > 0 } value ? value : throw new InvalidOperationException($"AUTOTASK_WORKER_{name} is not set.");
static string? Optional(string name) => Environment.GetEnvironmentVariable("AUTOTASK_WORKER_" + name) is { Length: > 0 } value ? value : null;

var zone = new Uri(Setting("ZONE"));
var services = new ServiceCollection();
if (Optional("CLOCK_OFFSET_MS") is { } offset)
{
    services.AddSingleton<TimeProvider>(new OffsetClock(TimeSpan.FromMilliseconds(double.Parse(offset, CultureInfo.InvariantCulture))));
}

// Warnings and above go to stderr (stdout carries the protocol), where the tests show them when a round fails.
services.AddLogging(b => b.AddProvider(new StandardErrorLogger()).SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Information));
var builder = services.AddAutotaskIntegration(o =>
{
    o.Zones.AllowedHostSuffixes.Add(zone.Host);
    o.Zones.AllowInsecureHttp = true;

    // The zone is configured, but the database identity (zone information's ci) that binds the store's mappings to
    // one Autotask database comes from zone discovery, here the loopback simulator's.
    o.Zones.DiscoveryUrl = zone.ToString();
    if (Optional("TARGET_SHARE") is { } share)
    {
        o.Limits.TargetShare = double.Parse(share, CultureInfo.InvariantCulture);
        o.Limits.PaceAfterRequests = 10;
        o.Limits.ThresholdCheckInterval = TimeSpan.FromSeconds(1);
    }

    o.AddConnection("worker", c =>
    {
        c.UserName = Setting("USERNAME");
        c.Secret = Setting("SECRET");
        c.IntegrationCode = Setting("CODE");
        c.ZoneUrl = zone.ToString();
        c.RetryBaseDelay = TimeSpan.FromMilliseconds(20);
        c.WebhookSecretKey = Environment.GetEnvironmentVariable("AUTOTASK_WORKER_WEBHOOK_KEY") is { Length: > 0 } key ? key : null;
    });
});
_ = Setting("STORE") switch
{
    "sqlite" => builder.UseSqliteStore(Setting("LOCATION")),
    "postgres" => builder.UsePostgreSqlStore(Setting("PG"), Setting("LOCATION")),
    "none" => builder,
    var other => throw new InvalidOperationException($"Unknown store '{other}'."),
};
if (Optional("REDIS") is { } redis)
{
    builder.UseRedisLimits(redis);
}

await using var provider = services.BuildServiceProvider();
var sync = provider.GetRequiredService<IQuantitySyncEngine>();
var random = new Random(int.Parse(Setting("SEED"), CultureInfo.InvariantCulture));
var options = new QuantitySyncOptions { PendingLease = TimeSpan.FromMilliseconds(int.Parse(Optional("LEASE_MS") ?? "10000", CultureInfo.InvariantCulture)) };
var deadline = TimeSpan.FromSeconds(120);

Console.WriteLine("ready");
while (Console.ReadLine() is { } line)
{
    var parts = line.Split(' ');
    var round = parts[1];
    if (parts[0] == "reads")
    {
        try
        {
            var client = provider.GetRequiredService<IAutotaskClientFactory>().GetClient("worker");
            var until = DateTime.UtcNow.AddSeconds(double.Parse(parts[2], CultureInfo.InvariantCulture));
            var reads = 0;
            await Task.WhenAll(Enumerable.Range(0, int.Parse(parts[3], CultureInfo.InvariantCulture)).Select(async _ =>
            {
                using var stop = new CancellationTokenSource(until - DateTime.UtcNow);
                try
                {
                    while (true)
                    {
                        await client.GetAsync<Company>(Random.Shared.Next(1, 200), stop.Token);
                        Interlocked.Increment(ref reads);
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    // The time is up; a read that was waiting for its turn is not counted.
                }
            }));
            Console.WriteLine($"done {round} {reads}");
        }
        catch (Exception ex)
        {
            Console.WriteLine($"error {round} {Describe(ex)}");
        }

        continue;
    }

    if (parts[0] == "webhooks")
    {
        try
        {
            var receiver = provider.GetRequiredService<IAutotaskWebhookReceiver>();
            var results = await Task.WhenAll(File.ReadAllLines(parts[2]).OrderBy(_ => random.Next()).Select(async callout =>
            {
                var fields = callout.Split(' ');
                await Task.Delay(random.Next(0, 20));
                return await receiver.ReceiveAsync("worker", Convert.FromBase64String(fields[0]), fields[1]);
            }));
            var unexpected = results.FirstOrDefault(r => r.Status is not (WebhookStatus.Accepted or WebhookStatus.Replayed));
            Console.WriteLine(unexpected is null
                ? $"done {round} {results.Count(r => r.Status == WebhookStatus.Accepted)} {results.Count(r => r.Status == WebhookStatus.Replayed)}"
                : $"error {round} {unexpected.Status}: {unexpected.Reason}");
        }
        catch (Exception ex)
        {
            Console.WriteLine($"error {round} {Describe(ex)}");
        }

        continue;
    }

    try
    {
        var asOf = Instant.FromUnixTimeTicks(long.Parse(parts[3], CultureInfo.InvariantCulture));
        var changes = File.ReadAllLines(parts[2]).Select(l => l.Split(' '))
            .Select(p => new SubscriptionQuantity(p[0], int.Parse(p[1], CultureInfo.InvariantCulture), asOf)).ToList();
        var started = DateTime.UtcNow;
        var passes = 0;
        var applied = 0;
        while (true)
        {
            passes++;
            await Task.Delay(random.Next(0, 40));
            var report = await sync.SyncAsync("worker", changes.OrderBy(_ => random.Next()).ToList(), options);
            applied += report.Count(QuantitySyncStatus.Applied);
            if (report.Items.FirstOrDefault(i => i.Status is QuantitySyncStatus.Invalid or QuantitySyncStatus.Unmapped) is { } bad)
            {
                throw new InvalidOperationException($"{bad.VendorSubscriptionId}: {bad.Status} {bad.Reason}");
            }

            if (report.Items.All(i => i.Status == QuantitySyncStatus.Unchanged))
            {
                break;
            }

            if (DateTime.UtcNow - started > deadline)
            {
                var stuck = report.Items.First(i => i.Status != QuantitySyncStatus.Unchanged);
                throw new TimeoutException($"Still not converged after {passes} passes: {stuck.VendorSubscriptionId} {stuck.Status} {stuck.Reason}");
            }

            await Task.Delay(random.Next(20, 120));
        }

        Console.WriteLine($"done {round} {passes} {applied}");
    }
    catch (Exception ex)
    {
        Console.WriteLine($"error {round} {Describe(ex)}");
    }
}

/// <summary>A failure on one line for the test's message: type, message, database error codes and the whole stack, so that a rare failure can be read from a CI log.</summary>
internal partial class Program
{
    internal static string Describe(Exception exception) =>
        (exception is System.Data.Common.DbException db
            ? $"{exception.GetType().Name} (error code {db.ErrorCode}{(exception is Microsoft.Data.Sqlite.SqliteException sqlite ? $", SQLite {sqlite.SqliteErrorCode}/{sqlite.SqliteExtendedErrorCode}" : "")}): {exception}"
            : $"{exception.GetType().Name}: {exception}").ReplaceLineEndings(" ");
}

/// <summary>The system clock, off by a fixed offset. Timers run as usual.</summary>
internal sealed class OffsetClock(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;
}

/// <summary>Writes the SDK's warnings and the limits' decisions to stderr.</summary>
internal sealed class StandardErrorLogger : Microsoft.Extensions.Logging.ILoggerProvider, Microsoft.Extensions.Logging.ILogger
{
    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Information;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (logLevel >= Microsoft.Extensions.Logging.LogLevel.Warning || eventId.Id is 1003 or 1006 or 1007 or 1008 or 1009)
        {
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {eventId.Id} {formatter(state, exception)}");
        }
    }

    public void Dispose()
    {
    }
}
