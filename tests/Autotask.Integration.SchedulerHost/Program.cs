// One instance of a vendor's service for the clustered-scheduling tests: it runs the SDK's quantity sync job (or, with
// MODE=usage, usage billing on an invoice date that is today) for connections tenant-1..N on Quartz, clustered with
// the other hosts on one PostgreSQL (the SDK's store and Quartz's tables), against the simulated Autotask on loopback.
// It writes one line to stdout per job fired and one per job ended:
//   fired <job> <connection> <slot unix ms> <instance> <recovering>
//   ended <job> <connection> <outcome>
// and "ready" once started. The desired quantities (or the period's usage) are read from a file on every run
// ("<connection> <subscription> <quantity>" lines). Settings come from AUTOTASK_HOST_* environment variables.
using System.Globalization;
using Autotask.Integration;
using Autotask.Integration.Jobs;
using Autotask.Integration.Sync;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NodaTime;

static string Setting(string name) =>
    Environment.GetEnvironmentVariable("AUTOTASK_HOST_" + name) is { Length: > 0 } value ? value : throw new InvalidOperationException($"AUTOTASK_HOST_{name} is not set.");

var zone = new Uri(Setting("ZONE"));
var usage = Environment.GetEnvironmentVariable("AUTOTASK_HOST_MODE") == "usage";
var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddProvider(new ProtocolLogger());
builder.Logging.SetMinimumLevel(LogLevel.Information);
if (usage)
{
    builder.Services.AddSingleton<IUsageSource>(new FileUsage(Setting("WANT"), int.Parse(Setting("INVOICE_DAY"), CultureInfo.InvariantCulture),
        TimeSpan.FromMilliseconds(int.Parse(Setting("USAGE_DELAY_MS"), CultureInfo.InvariantCulture))));
}
else
{
    builder.Services.AddSingleton<IQuantitySource>(new FileQuantities(Setting("WANT")));
}

builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
builder.Services.AddAutotaskIntegration(o =>
{
    o.Zones.AllowedHostSuffixes.Add(zone.Host);
    o.Zones.AllowInsecureHttp = true;
    o.Zones.DiscoveryUrl = zone.ToString();
    for (var i = 1; i <= int.Parse(Setting("CONNECTIONS"), CultureInfo.InvariantCulture); i++)
    {
        o.AddConnection($"tenant-{i}", c =>
        {
            c.UserName = Setting("USERNAME");
            c.Secret = Setting("SECRET");
            c.IntegrationCode = Setting("CODE");
            c.ZoneUrl = zone.ToString();
            c.RetryBaseDelay = TimeSpan.FromMilliseconds(20);
        });
    }
})
    .UsePostgreSqlStore(Setting("PG"), Setting("STORE_SCHEMA"))
    .AddAutotaskScheduling(s =>
    {
        s.PostgreSqlConnectionString = Setting("PG");
        s.PostgreSqlSchema = Setting("QUARTZ_SCHEMA");
        s.QuantitySyncInterval = usage ? null : TimeSpan.FromMilliseconds(int.Parse(Setting("INTERVAL_MS"), CultureInfo.InvariantCulture));
        s.UsageBillingTime = new LocalTime(0, 0);
        s.UsageRetryDelay = TimeSpan.FromSeconds(2);
        s.DailyDigestTime = null;
        s.InboundPollInterval = null;
        s.Jitter = TimeSpan.Zero;
        s.ReconcileInterval = TimeSpan.FromMilliseconds(Environment.GetEnvironmentVariable("AUTOTASK_HOST_RECONCILE_MS") is { Length: > 0 } reconcile ? int.Parse(reconcile, CultureInfo.InvariantCulture) : 2000);
        s.ClusterCheckinInterval = TimeSpan.FromSeconds(1);
        s.ClusterFailoverAfter = TimeSpan.FromSeconds(2);
    });

using var host = builder.Build();
await host.StartAsync();
Console.WriteLine("ready");

// Stops when the test closes stdin (a graceful stop), or never if it kills the process.
while (Console.ReadLine() is not null)
{
}

await host.StopAsync();

/// <summary>The desired quantities, read from the test's file on every run.</summary>
internal sealed class FileQuantities(string path) : IQuantitySource
{
    public ValueTask<IReadOnlyList<SubscriptionQuantity>> GetQuantitiesAsync(string connection, CancellationToken cancellationToken)
    {
        var now = SystemClock.Instance.GetCurrentInstant();
        return ValueTask.FromResult<IReadOnlyList<SubscriptionQuantity>>(File.ReadAllLines(path).Select(l => l.Split(' ')).Where(p => p[0] == connection)
            .Select(p => new SubscriptionQuantity(p[1], int.Parse(p[2], CultureInfo.InvariantCulture), now)).ToArray());
    }

    // A short lease, so that a write left pending by a killed host is settled within the test.
    public QuantitySyncOptions GetSyncOptions(string connection) => new() { PendingLease = TimeSpan.FromSeconds(4) };
}

/// <summary>
/// Usage of the period that ends today (the invoice day given is today's), read from the test's file, after a delay
/// that keeps the job running long enough to be killed in the middle of it.
/// </summary>
internal sealed class FileUsage(string path, int invoiceDay, TimeSpan delay) : IUsageSource
{
    public ValueTask<UsageBillingOptions?> GetBillingOptionsAsync(string connection, CancellationToken cancellationToken) =>
        ValueTask.FromResult<UsageBillingOptions?>(new UsageBillingOptions
        {
            Calendar = new InvoiceCalendar(InvoiceSchedule.OnDay(invoiceDay)),
            Sync = new QuantitySyncOptions { PendingLease = TimeSpan.FromSeconds(4) },
        });

    public async ValueTask<IReadOnlyList<SubscriptionUsage>> GetUsageAsync(string connection, BillingPeriod period, CancellationToken cancellationToken)
    {
        await Task.Delay(delay, cancellationToken);
        return File.ReadAllLines(path).Select(l => l.Split(' ')).Where(p => p[0] == connection)
            .Select(p => new SubscriptionUsage(p[1], double.Parse(p[2], CultureInfo.InvariantCulture))).ToArray();
    }
}

/// <summary>Writes the scheduler's "fired" and "ended" events to stdout as protocol lines, and warnings to stderr.</summary>
internal sealed class ProtocolLogger : ILoggerProvider, ILogger
{
    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (eventId.Id == 3001 && state is IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            var v = values.ToDictionary(p => p.Key, p => p.Value);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"fired {v["Job"]} {v["Connection"]} {((DateTimeOffset)v["Slot"]!).ToUnixTimeMilliseconds()} {v["Instance"]} {v["Recovering"]}"));
        }
        else if (eventId.Id == 3002 && state is IReadOnlyList<KeyValuePair<string, object?>> ended)
        {
            var v = ended.ToDictionary(p => p.Key, p => p.Value);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ended {v["Job"]} {v["Connection"]} {v["Outcome"]}"));
        }
        else if (logLevel >= LogLevel.Warning)
        {
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {eventId.Id} {formatter(state, exception)} {exception?.GetType().Name}");
        }
    }

    public void Dispose()
    {
    }
}
