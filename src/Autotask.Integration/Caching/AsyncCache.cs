using System.Collections.Concurrent;

namespace Autotask.Integration.Caching;

/// <summary>
/// A small cache of values loaded asynchronously: concurrent callers for one key share one load, a failed load is
/// not kept, and a value expires a fixed time after it was loaded. Loads run without the callers' tokens, so one
/// caller cancelling does not fail the others; each caller's wait is still cancellable.
/// </summary>
internal sealed class AsyncCache<TValue>
{
    private readonly ConcurrentDictionary<string, Entry> _entries;
    private readonly TimeProvider _time;
    private readonly TimeSpan _duration;

    public AsyncCache(TimeProvider time, TimeSpan duration, IEqualityComparer<string>? comparer = null)
    {
        _time = time;
        _duration = duration;
        _entries = new ConcurrentDictionary<string, Entry>(comparer ?? StringComparer.Ordinal);
    }

    public async Task<TValue> GetOrLoadAsync(string key, Func<Task<TValue>> load, CancellationToken cancellationToken)
    {
        while (true)
        {
            var candidate = new Entry(load);
            var entry = _entries.GetOrAdd(key, candidate);
            var task = entry.Value;
            var loadedByOthers = !ReferenceEquals(entry, candidate);
            if (loadedByOthers && task.IsCompleted && (!task.IsCompletedSuccessfully || entry.ExpiresAt <= _time.GetUtcNow()))
            {
                // A failed or expired value is not served: load it again.
                _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
                continue;
            }

            try
            {
                var value = await task.WaitAsync(cancellationToken).ConfigureAwait(false);
                entry.Loaded(_time.GetUtcNow() + _duration);
                return value;
            }
            catch when (!cancellationToken.IsCancellationRequested)
            {
                _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
                throw;
            }
        }
    }

    public void Clear() => _entries.Clear();

    /// <summary>How many values (loaded or loading) the cache holds.</summary>
    public int Count => _entries.Count;

    /// <summary>Drops the values that have expired (and failed loads), so that the cache holds only what is in use.</summary>
    /// <returns>How many were dropped.</returns>
    public int RemoveExpired()
    {
        var now = _time.GetUtcNow();
        var removed = 0;
        foreach (var entry in _entries)
        {
            var task = entry.Value.Value;
            if (task.IsCompleted && (!task.IsCompletedSuccessfully || entry.Value.ExpiresAt <= now) &&
                _entries.TryRemove(entry))
            {
                removed++;
            }
        }

        return removed;
    }

    private sealed class Entry(Func<Task<TValue>> load)
    {
        private readonly Lazy<Task<TValue>> _value = new(() => Task.Run(load));
        private long _expiresAtTicks = DateTimeOffset.MaxValue.UtcTicks;

        public Task<TValue> Value => _value.Value;

        public DateTimeOffset ExpiresAt => new(Interlocked.Read(ref _expiresAtTicks), TimeSpan.Zero);

        public void Loaded(DateTimeOffset expiresAt) =>
            Interlocked.CompareExchange(ref _expiresAtTicks, expiresAt.UtcTicks, DateTimeOffset.MaxValue.UtcTicks);
    }
}
