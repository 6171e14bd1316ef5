using System.Diagnostics;
using System.Globalization;
using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Microsoft.Extensions.DependencyInjection;

namespace Autotask.Integration.Benchmarks;

/// <summary>
/// CPU per record of a cold process next to steady state (not a BenchmarkDotNet run, which warms up on purpose): a
/// fresh process reads 100,000 companies from pre-built pages in memory (the client's own work: pipeline, JSON, checks),
/// six times over, and reports the CPU time of each read. Run it under different runtime settings to see what they do
/// to the first read, for example <c>DOTNET_TieredPGO=0</c> or <c>DOTNET_ReadyToRun=0</c>.
/// </summary>
public static class ColdRead
{
    private const int Records = 100_000;

    public static async Task RunAsync(TextWriter output)
    {
        var feed = new PagedFeedHandler(Records);
        await using var services = feed.CreateServices();
        var process = Process.GetCurrentProcess();
        var query = new AutotaskQuery<Company>().Where(Filter<Company>.Eq(c => c.IsActive, true));
        for (var read = 1; read <= 6; read++)
        {
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            long count = 0;
            await foreach (var _ in services.GetRequiredService<IAutotaskClient>().QueryAsync(query))
            {
                count++;
            }

            process.Refresh();
            var used = process.TotalProcessorTime - cpu;
            if (count != Records)
            {
                throw new InvalidOperationException($"Read {count} companies, expected {Records}.");
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"read {read}: {wall.Elapsed.TotalMilliseconds,7:0} ms wall, {used.TotalMilliseconds,7:0} ms CPU, {used.TotalMicroseconds / Records,6:0.00} us CPU per record"));
        }
    }
}
