using System.Collections.Concurrent;
using Autotask.Integration.Zones;
using Microsoft.Extensions.Options;

namespace Autotask.Integration.Connections;

/// <summary>
/// The connections in use in this process: each looked up in the sources on first use, re-read from them every
/// <see cref="AutotaskIntegrationOptions.ConnectionRefreshInterval"/> (so that changes made by another instance
/// arrive), replaced when its settings change, refused once removed, and evicted after
/// <see cref="AutotaskIntegrationOptions.ConnectionIdleTimeout"/> without requests.
/// </summary>
internal sealed class ConnectionRegistry : IDisposable
{
    private readonly IAutotaskConnectionSource[] _sources;
    private readonly ZoneResolver _zones;
    private readonly TimeProvider _time;
    private readonly AutotaskIntegrationOptions _options;
    private readonly ConcurrentDictionary<string, Lazy<Task<ConnectionRuntime>>> _active = new(AutotaskConnectionIds.Comparer);
    private readonly ConcurrentDictionary<string, byte> _removed = new(AutotaskConnectionIds.Comparer);
    private readonly ITimer _sweeper;

    private readonly Limits.RequestLimits? _limits;

    public ConnectionRegistry(IEnumerable<IAutotaskConnectionSource> sources, ZoneResolver zones, TimeProvider time, IOptions<AutotaskIntegrationOptions> options, Limits.RequestLimits? limits = null)
    {
        _limits = limits;
        _sources = sources.ToArray();
        _zones = zones;
        _time = time;
        _options = options.Value;
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, Math.Min(TimeSpan.FromMinutes(1).Ticks, _options.ConnectionIdleTimeout.Ticks / 4)));
        _sweeper = time.CreateTimer(_ => Sweep(), null, period, period);
    }

    /// <summary>How many connections have a runtime now (memory follows this number, not the registered one).</summary>
    public int ActiveCount => _active.Count;

    /// <summary>The runtime of a connection that takes requests.</summary>
    /// <exception cref="AutotaskConnectionNotFoundException">No source has the connection, or it was removed, or the id is outside <see cref="AutotaskConnectionIds"/>.</exception>
    public async Task<ConnectionRuntime> GetAsync(string connectionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connectionId);
        if (AutotaskConnectionIds.FindProblem(connectionId) is not null)
        {
            // No connection can have such an id, and a source asked for it might match it by a rule of its own.
            throw new AutotaskConnectionNotFoundException(connectionId);
        }

        while (true)
        {
            var candidate = new Lazy<Task<ConnectionRuntime>>(() => LoadAsync(connectionId));
            var entry = _active.GetOrAdd(connectionId, candidate);
            ConnectionRuntime runtime;
            try
            {
                runtime = await entry.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch when (!cancellationToken.IsCancellationRequested)
            {
                // A failed lookup is not kept: the next caller looks again.
                _active.TryRemove(new KeyValuePair<string, Lazy<Task<ConnectionRuntime>>>(connectionId, entry));
                throw;
            }

            if (runtime.Retired != RetireReason.None)
            {
                _active.TryRemove(new KeyValuePair<string, Lazy<Task<ConnectionRuntime>>>(connectionId, entry));
                if (runtime.Retired == RetireReason.Removed)
                {
                    throw new AutotaskConnectionNotFoundException(runtime.Id, removed: true);
                }

                continue;
            }

            if (_time.GetElapsedTime(runtime.LoadedAt) >= _options.ConnectionRefreshInterval &&
                !await RefreshAsync(runtime, cancellationToken).ConfigureAwait(false))
            {
                // Changed or removed by another instance: the next turn makes a new runtime, or refuses.
                continue;
            }

            return runtime;
        }
    }

    /// <summary>The connection's current settings (a copy), from its runtime.</summary>
    public async Task<AutotaskConnectionOptions> GetSettingsAsync(string connectionId, CancellationToken cancellationToken) =>
        (await GetAsync(connectionId, cancellationToken).ConfigureAwait(false)).Settings.Clone();

    /// <summary>Finds a connection in the sources, without making a runtime; an id outside <see cref="AutotaskConnectionIds"/> is never found.</summary>
    public async Task<(string Id, AutotaskConnectionOptions Settings)?> FindAsync(string connectionId, CancellationToken cancellationToken)
    {
        if (AutotaskConnectionIds.FindProblem(connectionId) is not null)
        {
            return null;
        }

        foreach (var source in _sources)
        {
            if (await source.FindAsync(connectionId, cancellationToken).ConfigureAwait(false) is { } settings)
            {
                return (source is OptionsConnectionSource options ? options.Spelling(connectionId) ?? connectionId : connectionId, settings);
            }
        }

        return null;
    }

    /// <summary>Whether a source other than the writable store holds the id (such as the configuration).</summary>
    public async Task<bool> IsConfiguredAsync(string connectionId, IAutotaskConnectionStore store, CancellationToken cancellationToken)
    {
        foreach (var source in _sources)
        {
            if (!ReferenceEquals(source, store) && await source.FindAsync(connectionId, cancellationToken).ConfigureAwait(false) is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The ids of every connection the sources hold.</summary>
    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken)
    {
        var ids = new SortedSet<string>(AutotaskConnectionIds.Comparer);
        foreach (var source in _sources)
        {
            // An id outside the rule is never found (GetAsync), so it is not listed either.
            ids.UnionWith((await source.ListAsync(cancellationToken).ConfigureAwait(false)).Where(id => AutotaskConnectionIds.FindProblem(id) is null));
        }

        return ids.ToList();
    }

    /// <summary>The zone URL rules settings are checked against.</summary>
    public ZoneUrlPolicy ZonePolicy => _zones.Policy;

    /// <summary>A runtime outside the registry, for settings that are tested before they are saved.</summary>
    public ConnectionRuntime CreateDetached(string connectionId, AutotaskConnectionOptions settings) => Create(connectionId, settings.Clone());

    /// <summary>A connection was added: forget that it was removed before.</summary>
    public void Added(string connectionId) => _removed.TryRemove(connectionId, out _);

    /// <summary>A connection's settings changed: its runtime is replaced on the next request.</summary>
    public void Changed(string connectionId) => Retire(connectionId, RetireReason.Changed);

    /// <summary>A connection was removed: requests in flight finish, new ones are refused.</summary>
    public void Removed(string connectionId)
    {
        _removed[connectionId] = 0;
        Retire(connectionId, RetireReason.Removed);
    }

    /// <summary>Evicts the runtimes idle for longer than the idle timeout, and the zones no longer cached.</summary>
    public int Sweep()
    {
        _zones.RemoveExpired();
        _limits?.Sweep();
        var evicted = 0;
        foreach (var (id, entry) in _active)
        {
            if (entry.IsValueCreated && entry.Value.IsCompletedSuccessfully && entry.Value.Result.TryRetireIdle(_options.ConnectionIdleTimeout))
            {
                _active.TryRemove(new KeyValuePair<string, Lazy<Task<ConnectionRuntime>>>(id, entry));
                evicted++;
            }
        }

        return evicted;
    }

    public void Dispose()
    {
        _sweeper.Dispose();
        foreach (var entry in _active.Values)
        {
            if (entry.IsValueCreated && entry.Value.IsCompletedSuccessfully)
            {
                entry.Value.Result.Dispose();
            }
        }

        _active.Clear();
    }

    private void Retire(string connectionId, RetireReason reason)
    {
        if (_active.TryRemove(connectionId, out var entry) && entry.IsValueCreated && entry.Value.IsCompletedSuccessfully)
        {
            entry.Value.Result.Retire(reason);
        }
    }

    private async Task<ConnectionRuntime> LoadAsync(string connectionId)
    {
        var found = await FindAsync(connectionId, CancellationToken.None).ConfigureAwait(false)
            ?? throw new AutotaskConnectionNotFoundException(connectionId, _removed.ContainsKey(connectionId));
        return Create(found.Id, found.Settings);
    }

    private ConnectionRuntime Create(string id, AutotaskConnectionOptions settings)
    {
        var problems = AutotaskIntegrationOptionsValidator.ValidateConnection(id, settings, _zones.Policy);
        if (problems.Count > 0)
        {
            throw new AutotaskConnectionSettingsException(id, problems);
        }

        return new ConnectionRuntime(id, settings, _zones, _time);
    }

    /// <summary>Re-reads a connection from its source: unchanged, it is kept; changed, replaced; gone, refused.</summary>
    /// <returns>Whether the runtime is still current.</returns>
    private async Task<bool> RefreshAsync(ConnectionRuntime runtime, CancellationToken cancellationToken)
    {
        (string Id, AutotaskConnectionOptions Settings)? found;
        try
        {
            found = await FindAsync(runtime.Id, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not AutotaskConnectionException and not OperationCanceledException)
        {
            // The source cannot be read just now: keep what was read last, and look again at the next interval.
            runtime.LoadedAt = _time.GetTimestamp();
            return true;
        }

        // The runtime looked at is retired itself as well, so that the caller's next turn cannot find it again.
        if (found is null)
        {
            Removed(runtime.Id);
            runtime.Retire(RetireReason.Removed);
            return false;
        }

        if (!ConnectionSettings.Same(found.Value.Settings, runtime.Settings))
        {
            Changed(runtime.Id);
            runtime.Retire(RetireReason.Changed);
            return false;
        }

        runtime.LoadedAt = _time.GetTimestamp();
        return true;
    }
}

/// <summary>Compares connection settings, secrets included, without ever printing them.</summary>
internal static class ConnectionSettings
{
    public static bool Same(AutotaskConnectionOptions a, AutotaskConnectionOptions b) =>
        a.UserName == b.UserName && a.Secret == b.Secret && a.IntegrationCode == b.IntegrationCode && a.ZoneUrl == b.ZoneUrl &&
        a.ImpersonationResourceId == b.ImpersonationResourceId && a.Currency == b.Currency && a.TimeZone == b.TimeZone &&
        a.HourlyRequestBudget == b.HourlyRequestBudget && a.MaxConcurrentRequestsPerEntity == b.MaxConcurrentRequestsPerEntity &&
        a.MaxRetryAttempts == b.MaxRetryAttempts && a.RetryBaseDelay == b.RetryBaseDelay && a.MaxRetryAfter == b.MaxRetryAfter &&
        a.AttemptTimeout == b.AttemptTimeout && a.MetadataCacheDuration == b.MetadataCacheDuration && a.QueryMethod == b.QueryMethod && a.ValidateWrites == b.ValidateWrites &&
        a.WebhookSecretKey == b.WebhookSecretKey && a.WebhookReplayWindow == b.WebhookReplayWindow;
}
