using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Running;

// Reports go to benchmarks/results (GitHub markdown, committed as generated files): a run of a benchmark replaces its
// report, and the diff shows what changed. Run from the repository root, as benchmarks/README.md shows.
if (args is ["retained"])
{
    // Heap retained per idle and per active connection (not a BenchmarkDotNet run): see RetainedConnectionMemory.
    await Autotask.Integration.Benchmarks.RetainedConnectionMemory.RunAsync(Console.Out);
    return;
}

if (args is ["cold"])
{
    // CPU per record of a fresh process's first reads against later ones (not a BenchmarkDotNet run): see ColdRead.
    await Autotask.Integration.Benchmarks.ColdRead.RunAsync(Console.Out);
    return;
}

if (args is ["cold-json"])
{
    // What the generated serialiser context of every entity costs a fresh process (not a BenchmarkDotNet run): see ColdEntityJson.
    Autotask.Integration.Benchmarks.ColdEntityJson.Run(Console.Out);
    return;
}

if (args is ["scheduler"])
{
    // What the Quartz scheduler itself costs one instance with 5,000 connections (not a BenchmarkDotNet run): see SchedulerAtScale.
    await Autotask.Integration.Benchmarks.SchedulerAtScale.RunAsync(Console.Out);
    return;
}

var config = DefaultConfig.Instance
    .WithArtifactsPath(Path.Combine("benchmarks", "results"))
    .AddExporter(MarkdownExporter.GitHub);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
