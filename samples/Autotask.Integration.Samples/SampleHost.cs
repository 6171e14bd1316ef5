using System.Security.Cryptography;
using Autotask.Integration.Auditing;
using Autotask.Integration.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Autotask.Integration.Samples;

/// <summary>How the samples register the SDK: from configuration when there are credentials, else on the simulator.</summary>
internal static class SampleHost
{
    public static bool HasCredentials(IConfiguration configuration) =>
        configuration.GetSection("Autotask:Connections").GetChildren().Any();

    /// <summary>The SQLite file the samples keep their mappings and audit trail in, so that a second run shows the first run's state.</summary>
    public static string StorePath(IConfiguration configuration)
    {
        var configured = configuration["Samples:StorePath"];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        var root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);
        var directory = Path.Combine(string.IsNullOrEmpty(root) ? Path.GetTempPath() : root, "Autotask.Integration.Samples");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, "samples.db");
    }

    public static AutotaskIntegrationBuilder AddAutotask(IServiceCollection services, IConfiguration configuration, AutotaskSimulator? simulator, string storePath, InMemoryAuditSink runAudit)
    {
        var builder = simulator is null
            ? services.AddAutotaskIntegration(configuration.GetSection("Autotask"))
            // On the simulator, webhooks are signed with a key made for this run; a real connection takes its WebhookSecretKey from configuration.
            : services.AddAutotaskIntegration(o => simulator.AddConnection(o, "simulator", c => c.WebhookSecretKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(32))))
                .UseSimulator(simulator);
        builder.UseSqliteStore(storePath).AddAuditSink(runAudit);
        builder.AddAlertTickets(o =>
        {
            foreach (var name in simulator is null ? configuration.GetSection("Autotask:Connections").GetChildren().Select(c => c.Key) : ["simulator"])
            {
                o.For(name, AlertsSample.Configure);
            }
        });
        return builder;
    }
}
