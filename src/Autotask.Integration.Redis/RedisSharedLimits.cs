using System.Collections.Concurrent;
using System.Diagnostics;
using Autotask.Integration.Limits;
using RedisRateLimiting;
using StackExchange.Redis;

namespace Autotask.Integration.Redis;

/// <summary>
/// Autotask's limits in Redis, on the RedisRateLimiting package: a concurrency limiter per endpoint key for the thread
/// slots (each slot a lease that Redis forgets after 60 seconds if its holder dies) and a sliding window of an hour per
/// database key. Every instance that uses the same Redis and key prefix shares them.
/// </summary>
public sealed class RedisSharedLimits : IAutotaskSharedLimits, IDisposable
{
    private static readonly TimeSpan OneHour = TimeSpan.FromHours(1);
    private readonly IConnectionMultiplexer _redis;
    private readonly string _prefix;
    private readonly ConcurrentDictionary<(string Key, int Permits), RedisConcurrencyRateLimiter<string>> _slots = new();
    private readonly ConcurrentDictionary<(string Key, int Limit), RedisSlidingWindowRateLimiter<string>> _hours = new();

    /// <summary>Creates the limits on a Redis connection.</summary>
    /// <param name="redis">The connection; it is not disposed with the limits.</param>
    /// <param name="keyPrefix">The prefix of every key, so that several environments can share one Redis. Default <c>autotask</c>.</param>
    public RedisSharedLimits(IConnectionMultiplexer redis, string keyPrefix = "autotask")
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyPrefix);
        _redis = redis;
        _prefix = keyPrefix;
    }

    /// <inheritdoc />
    public string Name => "redis";

    /// <inheritdoc />
    public async ValueTask<IDisposable?> TryTakeSlotAsync(string key, int permits, CancellationToken cancellationToken)
    {
        var limiter = _slots.GetOrAdd((key, permits), static (k, self) => new RedisConcurrencyRateLimiter<string>(self._prefix + ":slots:" + k.Key,
            new RedisConcurrencyRateLimiterOptions { PermitLimit = k.Permits, QueueLimit = 0, ConnectionMultiplexerFactory = () => self._redis }), this);
        var lease = await limiter.AcquireAsync(1, cancellationToken).ConfigureAwait(false);

        // A refused lease holds nothing in Redis; disposing it would only send a removal of nothing.
        return lease.IsAcquired ? lease : null;
    }

    /// <inheritdoc />
    public async ValueTask<bool> TryCountAsync(string key, int limit, CancellationToken cancellationToken)
    {
        if (limit <= 0)
        {
            return false;
        }

        using var lease = await HourOf(key, limit).AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        return lease.IsAcquired;
    }

    /// <inheritdoc />
    public ValueTask<long> CountAsync(string key, CancellationToken cancellationToken)
    {
        // The statistics of any limiter of the key: its permit limit less what is available is the hour's count.
        var limiter = HourOf(key, int.MaxValue);
        var statistics = limiter.GetStatistics() ?? throw new RedisException("Redis answered no statistics for the hourly window.");
        return new ValueTask<long>(int.MaxValue - statistics.CurrentAvailablePermits);
    }

    /// <inheritdoc />
    public async ValueTask<TimeSpan> GetClockOffsetAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var before = DateTimeOffset.UtcNow;
        var answer = await _redis.GetDatabase().ExecuteAsync("TIME").ConfigureAwait(false);
        var roundTrip = Stopwatch.GetElapsedTime(started);
        var parts = (RedisValue[])answer!;
        var store = DateTimeOffset.FromUnixTimeSeconds((long)parts[0]).AddTicks((long)parts[1] * 10);
        return store - (before + (roundTrip / 2));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var limiter in _slots.Values)
        {
            limiter.Dispose();
        }

        foreach (var limiter in _hours.Values)
        {
            limiter.Dispose();
        }
    }

    private RedisSlidingWindowRateLimiter<string> HourOf(string key, int limit) =>
        _hours.GetOrAdd((key, limit), static (k, self) => new RedisSlidingWindowRateLimiter<string>(self._prefix + ":hour:" + k.Key,
            new RedisSlidingWindowRateLimiterOptions { PermitLimit = k.Limit, Window = OneHour, ConnectionMultiplexerFactory = () => self._redis }), this);
}
