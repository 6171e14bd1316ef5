using Autotask.Integration.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Autotask.Integration.Samples;

/// <summary>How the samples register the SDK: from configuration when there are credentials, else on the simulator.</summary>
internal static class SampleHost
{
    public static bool HasCredentials(IConfiguration configuration) =>
        configuration.GetSection("Autotask:Connections").GetChildren().Any();

    public static AutotaskIntegrationBuilder AddAutotask(IServiceCollection services, IConfiguration configuration, AutotaskSimulator? simulator)
    {
        if (simulator is null)
        {
            return services.AddAutotaskIntegration(configuration.GetSection("Autotask"));
        }

        return services.AddAutotaskIntegration(o => simulator.AddConnection(o, "simulator")).UseSimulator(simulator);
    }
}
