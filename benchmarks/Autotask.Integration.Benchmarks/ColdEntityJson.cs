using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Autotask.Integration.Entities;
using Autotask.Integration.Json;

namespace Autotask.Integration.Benchmarks;

/// <summary>
/// What the generated serialiser context of every entity costs a fresh process (not a BenchmarkDotNet run, which warms
/// up on purpose): the first page read of one entity, of four more, then of every other modelled entity, and the same
/// reads again, warm. A vendor that uses five entities pays for five: the context builds an entity's metadata on its
/// first use, not for all entities at start-up.
/// </summary>
public static class ColdEntityJson
{
    public static void Run(TextWriter output)
    {
        var process = Process.GetCurrentProcess();
        var first = new[] { typeof(Company) };
        var five = new[] { typeof(Contact), typeof(Ticket), typeof(ConfigurationItem), typeof(Product) };
        var rest = EntityCatalog.All.Select(e => e.ModelType).Except(first).Except(five).ToArray();

        void Measure(string what, Type[] types)
        {
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            foreach (var type in types)
            {
                ReadPage(type);
            }

            process.Refresh();
            var used = process.TotalProcessorTime - cpu;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{what,-34} {types.Length,4} entities {wall.Elapsed.TotalMilliseconds,8:0.0} ms wall {used.TotalMilliseconds,8:0.0} ms CPU {used.TotalMilliseconds / types.Length,7:0.00} ms CPU per entity"));
        }

        Measure("first entity (Company), cold", first);
        Measure("four more entities, cold", five);
        Measure($"every other modelled entity, cold", rest);
        Measure("all of them again, warm", [.. first, .. five, .. rest]);
    }

    /// <summary>Reads a page of one record of the entity, as the client reads a query's answer.</summary>
    private static void ReadPage(Type model)
    {
        var pageType = typeof(QueryResponse<>).MakeGenericType(model);
        var typeInfo = AutotaskEntityJsonContext.Default.GetTypeInfo(pageType)!;
        var page = JsonSerializer.Deserialize(Encoding.UTF8.GetBytes("""{"items":[{"id":1,"name":"x","isActive":true,"createDate":"2026-01-01T00:00:00Z"}],"pageDetails":{"count":1}}"""), typeInfo);
        if (page is null)
        {
            throw new InvalidOperationException($"No page of {model.Name}.");
        }
    }
}
