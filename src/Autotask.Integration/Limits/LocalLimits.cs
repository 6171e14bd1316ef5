using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace Autotask.Integration.Limits;

/// <summary>
/// Limits kept in this process: thread slots per endpoint key (a concurrency limiter each, freed when idle) and the
/// requests of the rolling hour per database key (the time of each request, so that any limit can be asked of it).
/// </summary>
internal sealed class LocalLimits : IAutotaskSharedLimits, IDisposable
{
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);
    private readonly TimeProvider _time;
    private readonly PartitionedRateLimiter<(string Key, int Permits)> _slots;
    private readonly ConcurrentDictionary<string, LocalWindow> _windows = new(StringComparer.Ordinal);

    public LocalLimits(TimeProvider time)
    {
        _time = time;
        _slots = PartitionedRateLimiter.Create<(string Key, int Permits), (string Key, int Permits)>(slot =>
            RateLimitPartition.GetConcurrencyLimiter(slot, s => new ConcurrencyLimiterOptions
            {
                PermitLimit = s.Permits,
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            }));
    }

    public string Name => "in-process";

    /// <summary>The databases with requests in the rolling hour.</summary>
    public int Databases => _windows.Count;

    /// <summary>Takes a slot, waiting for one in arrival order.</summary>
    public async ValueTask<IDisposable> TakeSlotAsync(string key, int permits, CancellationToken cancellationToken)
    {
        var lease = await _slots.AcquireAsync((key, permits), 1, cancellationToken).ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw new ObjectDisposedException(nameof(LocalLimits));
        }

        return lease;
    }

    public ValueTask<IDisposable?> TryTakeSlotAsync(string key, int permits, CancellationToken cancellationToken)
    {
        var lease = _slots.AttemptAcquire((key, permits));
        if (lease.IsAcquired)
        {
            return new ValueTask<IDisposable?>(lease);
        }

        lease.Dispose();
        return new ValueTask<IDisposable?>((IDisposable?)null);
    }

    public ValueTask<bool> TryCountAsync(string key, int limit, CancellationToken cancellationToken) =>
        new(_windows.GetOrAdd(key, _ => new LocalWindow()).TryCount(_time.GetUtcNow(), limit));

    public ValueTask<long> CountAsync(string key, CancellationToken cancellationToken) =>
        new(_windows.TryGetValue(key, out var window) ? window.Count(_time.GetUtcNow()) : 0);

    /// <summary>How long until a request fits under <paramref name="limit"/> in the hour of <paramref name="key"/>.</summary>
    public TimeSpan FreeIn(string key, int limit) =>
        _windows.TryGetValue(key, out var window) ? window.FreeIn(_time.GetUtcNow(), limit) : TimeSpan.Zero;

    public ValueTask<TimeSpan> GetClockOffsetAsync(CancellationToken cancellationToken) => new(TimeSpan.Zero);

    /// <summary>Forgets the hours that hold no request any more.</summary>
    public void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var (key, window) in _windows)
        {
            if (window.Count(now) == 0)
            {
                _windows.TryRemove(new KeyValuePair<string, LocalWindow>(key, window));
            }
        }
    }

    public void Dispose() => _slots.Dispose();

    /// <summary>The times of the requests of one rolling hour, oldest first.</summary>
    private sealed class LocalWindow
    {
        private readonly Queue<DateTimeOffset> _times = new();

        public bool TryCount(DateTimeOffset now, int limit)
        {
            lock (_times)
            {
                Expire(now);
                if (_times.Count >= limit)
                {
                    return false;
                }

                _times.Enqueue(now);
                return true;
            }
        }

        public long Count(DateTimeOffset now)
        {
            lock (_times)
            {
                Expire(now);
                return _times.Count;
            }
        }

        public TimeSpan FreeIn(DateTimeOffset now, int limit)
        {
            lock (_times)
            {
                Expire(now);
                if (_times.Count < limit)
                {
                    return TimeSpan.Zero;
                }

                if (limit <= 0 || _times.Count == 0)
                {
                    return Window;
                }

                // The request that must leave the hour before one more fits.
                var leaving = _times.ElementAt(_times.Count - limit);
                return leaving + Window - now;
            }
        }

        private void Expire(DateTimeOffset now)
        {
            while (_times.Count > 0 && _times.Peek() <= now - Window)
            {
                _times.Dequeue();
            }
        }
    }
}
