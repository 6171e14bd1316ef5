using Autotask.Integration;
using Autotask.Integration.Samples;
using Autotask.Integration.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// With credentials in configuration (environment variables such as Autotask__Connections__main__UserName, or
// `dotnet user-secrets`), the sample talks to that Autotask. Without, it starts the embedded simulator.
var builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);

await using var simulator = SampleHost.HasCredentials(builder.Configuration) ? null : AutotaskSimulator.Create(seed: 42);
SampleHost.AddAutotask(builder.Services, builder.Configuration, simulator);

using var host = builder.Build();
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

return await Tour.RunAsync(host.Services, Console.Out, allowWrites: simulator is not null || args.Contains("--allow-writes"), cancellation.Token);
