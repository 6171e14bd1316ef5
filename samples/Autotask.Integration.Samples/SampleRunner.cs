using System.Globalization;
using Autotask.Integration.Alerts;
using Autotask.Integration.Auditing;
using Autotask.Integration.Mapping;
using Microsoft.Extensions.DependencyInjection;

namespace Autotask.Integration.Samples;

/// <summary>Runs the sample commands and turns failures into plain words and an exit code.</summary>
internal static class SampleRunner
{
    public const string Usage = "usage: dotnet run --project samples/Autotask.Integration.Samples [all|tour|reseller|alerts|devices|inbound] [--allow-writes]";

    /// <summary>Runs a command for every connection; 0 on success, 1 on an Autotask or mapping failure, 2 when cancelled, 3 on bad usage.</summary>
    public static async Task<int> RunAsync(IServiceProvider services, string command, TextWriter output, bool allowWrites, InMemoryAuditSink? runAudit, CancellationToken cancellationToken)
    {
        if (command is not ("all" or "tour" or "reseller" or "alerts" or "devices" or "inbound"))
        {
            await output.WriteLineAsync($"Unknown command '{command}'. {Usage}");
            return 3;
        }

        var exit = 0;
        try
        {
            foreach (var connection in await services.GetRequiredService<IAutotaskClientFactory>().ListConnectionsAsync(cancellationToken))
            {
                if (command is "all" or "tour")
                {
                    exit = await Tour.RunAsync(services, output, allowWrites, cancellationToken);
                    if (exit != 0)
                    {
                        return exit;
                    }
                }

                if (command is "all" or "reseller")
                {
                    await ResellerSample.RunAsync(services, connection, output, allowWrites, cancellationToken);
                }

                if (command is "all" or "alerts")
                {
                    await AlertsSample.RunAsync(services, connection, output, allowWrites, cancellationToken);
                }

                if (command is "all" or "devices")
                {
                    await DevicesSample.RunAsync(services, connection, output, allowWrites, cancellationToken);
                }

                if (command is "all" or "inbound")
                {
                    await InboundSample.RunAsync(services, connection, output, cancellationToken);
                }
            }
        }
        catch (Exception ex) when (ex is AutotaskException or SampleStoppedException)
        {
            await output.WriteLineAsync();
            await output.WriteLineAsync("Failed: " + ex.Message);
            exit = 1;
        }
        catch (OperationCanceledException)
        {
            await output.WriteLineAsync("Cancelled.");
            return 2;
        }

        if (runAudit is not null)
        {
            await output.HeadingAsync("Audit trail of this run");
            await output.TableAsync(["Operation", "Status", "Details"], runAudit.Events.Select(e => new[]
            {
                e.Operation, e.Status.ToString(), e.Details,
            }));
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {runAudit.Events.Count} event(s)."));
        }

        return exit;
    }
}

/// <summary>A sample cannot go on with the data it found (the message says what to fix); the run ends with exit code 1.</summary>
internal sealed class SampleStoppedException(string message) : Exception(message);
