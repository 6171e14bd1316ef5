using Autotask.Integration.Entities;
using Autotask.Integration.Limits;
using Autotask.Integration.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Autotask.Integration.Tests.Limits;

/// <summary>
/// One instance of a vendor's service in this process: its own service provider (HTTP client, limits, logs), with
/// connections "a" and "b" to the same simulated Autotask database, and Redis limits when given.
/// </summary>
internal sealed class LimitsInstance : IAsyncDisposable
{
    private LimitsInstance(ServiceProvider services)
    {
        Services = services;
        Logs = services.GetFakeLogCollector();
    }

    public ServiceProvider Services { get; }

    public FakeLogCollector Logs { get; }

    public IAutotaskClient Client(string connection = "a") => Services.GetRequiredService<IAutotaskClientFactory>().GetClient(connection);

    public static LimitsInstance Create(
        AutotaskSimulator simulator, string? redis = null, Action<AutotaskLimitsOptions>? limits = null, Func<IServiceProvider, IAutotaskSharedLimits>? shared = null,
        Action<AutotaskConnectionOptions>? connection = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Information)).AddFakeLogging();
        var builder = services.AddAutotaskIntegration(o =>
        {
            foreach (var name in new[] { "a", "b" })
            {
                simulator.AddConnection(o, name, c =>
                {
                    c.RetryBaseDelay = TimeSpan.FromMilliseconds(5);
                    connection?.Invoke(c);
                });
            }

            limits?.Invoke(o.Limits);
        }).UseSimulator(simulator);
        if (redis is not null)
        {
            builder.UseRedisLimits(redis);
        }

        if (shared is not null)
        {
            services.AddSingleton(shared);
        }

        return new LimitsInstance(services.BuildServiceProvider());
    }

    /// <summary>Reads companies with <paramref name="callers"/> callers at once until each has made <paramref name="reads"/> reads.</summary>
    public Task ReadAsync(string connection, int callers, int reads, CancellationToken cancellationToken) =>
        Task.WhenAll(Enumerable.Range(0, callers).Select(async caller =>
        {
            for (var i = 0; i < reads; i++)
            {
                await Client(connection).GetAsync<Company>(1 + ((caller * reads) + i) % 30, cancellationToken);
            }
        }));

    public string LogText() => string.Join("\n", Logs.GetSnapshot().Select(r => r.Message));

    public async ValueTask DisposeAsync() => await Services.DisposeAsync();
}
