using Autotask.Integration.Limits;
using Autotask.Integration.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace Autotask.Integration;

/// <summary>Registers Autotask's limits shared through Redis.</summary>
public static class RedisAutotaskIntegrationBuilderExtensions
{
    /// <summary>
    /// Shares Autotask's limits (thread slots per database, integration code and endpoint; the database's requests of
    /// the rolling hour) with every instance that uses the same Redis. While Redis cannot be reached, each instance keeps
    /// to its part of the limits in process (<see cref="AutotaskLimitsOptions.AssumedInstances"/>), logs it, counts it in
    /// the <c>autotask.limits.fallbacks</c> metric, and tries Redis again.
    /// </summary>
    /// <param name="builder">The builder from <c>AddAutotaskIntegration</c>.</param>
    /// <param name="configuration">
    /// A StackExchange.Redis configuration string, such as <c>127.0.0.1:6379</c>. Environments that share one Redis keep
    /// apart with <c>defaultDatabase=N</c>; the keys start with <c>autotask:</c>.
    /// </param>
    /// <returns>The builder.</returns>
    public static AutotaskIntegrationBuilder UseRedisLimits(this AutotaskIntegrationBuilder builder, string configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        var options = ConfigurationOptions.Parse(configuration);

        // Start without Redis rather than fail: limits fall back to in-process ones until Redis answers.
        options.AbortOnConnectFail = false;
        return builder.UseRedisLimits(_ => ConnectionMultiplexer.Connect(options));
    }

    /// <summary>Shares Autotask's limits through a Redis connection the application makes (see <see cref="UseRedisLimits(AutotaskIntegrationBuilder, string)"/>).</summary>
    /// <param name="builder">The builder from <c>AddAutotaskIntegration</c>.</param>
    /// <param name="connect">Makes or returns the Redis connection, once.</param>
    /// <returns>The builder.</returns>
    public static AutotaskIntegrationBuilder UseRedisLimits(this AutotaskIntegrationBuilder builder, Func<IServiceProvider, IConnectionMultiplexer> connect)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(connect);
        builder.Services.RemoveAll<IAutotaskSharedLimits>();
        builder.Services.AddSingleton<IAutotaskSharedLimits>(sp => new RedisSharedLimits(connect(sp)));
        return builder;
    }
}
