using Autotask.Integration.Auditing;
using Autotask.Integration.Samples;
using Autotask.Integration.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// With credentials in configuration (environment variables such as Autotask__Connections__main__UserName, or
// `dotnet user-secrets`), the samples talk to that Autotask and write to it only with --allow-writes. Without
// credentials they start the embedded simulator. Mappings and the audit trail are kept in a SQLite file between runs.
var commandLine = SampleCommandLine.Build(async (command, allowWrites, cancellationToken) =>
{
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    if (command == "portal")
    {
        // The sample keeps its Data Protection keys in plain files next to its SQLite file; a real portal protects its
        // key ring at rest (ProtectKeysWith...), so the warning that says so is left to real hosts.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        // Partners link their own Autotask at run time; always on simulated databases, whatever is configured.
        var databases = PortalSample.CreateDatabases();
        var portalStore = SampleHost.StorePath(builder.Configuration);
        var portalAudit = new InMemoryAuditSink();
        PortalSample.AddPortal(builder.Services, databases, portalStore, portalAudit);
        using var portalHost = builder.Build();
        Console.WriteLine($"Three simulated MSP databases; connections, mappings and audit trail are kept in {portalStore}.");
        var exit = await PortalSample.RunAsync(portalHost.Services, databases, Console.Out, cancellationToken);
        await Console.Out.HeadingAsync("Audit trail of this run");
        await Console.Out.TableAsync(["Connection", "Operation", "Status", "Details"], portalAudit.Events.Select(e => new[] { e.Connection, e.Operation, e.Status.ToString(), e.Details }));
        foreach (var database in databases)
        {
            await database.DisposeAsync();
        }

        return exit;
    }

    if (command == "backup-vendor")
    {
        // Three partners on simulated databases and a clock moved by hand, whatever is configured.
        var backupDatabases = BackupVendorSample.CreateDatabases();
        var clock = new SimulatedClock();
        var vendor = new BackupVendor();
        var backupAudit = new InMemoryAuditSink();
        BackupVendorSample.AddBackupVendor(builder.Services, backupDatabases, clock, vendor, backupAudit);
        using var backupHost = builder.Build();
        Console.WriteLine("Three simulated MSP databases; mappings, ledger and job history in memory (simulated months mean nothing to the next run).");
        var exit = await BackupVendorSample.RunAsync(backupHost.Services, backupDatabases, clock, vendor, Console.Out, cancellationToken);
        await Console.Out.HeadingAsync("Audit trail of this run, by operation");
        await Console.Out.TableAsync(["Operation", "Succeeded", "Skipped", "Failed"], backupAudit.Events.GroupBy(e => e.Operation).Select(g => new[]
        {
            g.Key, g.Count(e => e.Status == AuditStatus.Succeeded).ToString(System.Globalization.CultureInfo.InvariantCulture),
            g.Count(e => e.Status == AuditStatus.Skipped).ToString(System.Globalization.CultureInfo.InvariantCulture),
            g.Count(e => e.Status == AuditStatus.Failed).ToString(System.Globalization.CultureInfo.InvariantCulture),
        }));
        foreach (var database in backupDatabases)
        {
            await database.DisposeAsync();
        }

        return exit;
    }

    await using var simulator = SampleHost.HasCredentials(builder.Configuration) ? null : AutotaskSimulator.Create(seed: 42);
    var storePath = SampleHost.StorePath(builder.Configuration);
    var runAudit = new InMemoryAuditSink();
    SampleHost.AddAutotask(builder.Services, builder.Configuration, simulator, storePath, runAudit);

    using var host = builder.Build();
    Console.WriteLine(simulator is null
        ? "Using the Autotask connection(s) from configuration."
        : "No Autotask credentials configured: using the embedded simulator (seed 42).");
    Console.WriteLine($"Mappings and audit trail are kept in {storePath}.");
    return await SampleRunner.RunAsync(host.Services, command, Console.Out, simulator is not null || allowWrites, runAudit, cancellationToken);
});

return await commandLine.Parse(args).InvokeAsync();
