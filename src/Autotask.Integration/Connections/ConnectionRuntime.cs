using Autotask.Integration.Caching;
using Autotask.Integration.Http;
using Autotask.Integration.Metadata;
using Autotask.Integration.Zones;

namespace Autotask.Integration.Connections;

/// <summary>
/// What one connection holds while it is in use: a snapshot of its settings, its credentials, its zone, its metadata
/// cache. Its request limits belong to its Autotask database and are kept by <see cref="Limits.RequestLimits"/>. Created on first use, retired when the connection changes or is removed, and evicted
/// when idle, so that memory follows active connections. Its settings never change: a change makes a new runtime.
/// </summary>
internal sealed class ConnectionRuntime : IDisposable
{
    private readonly ZoneResolver _zones;
    private readonly ResolvedZone? _configuredZone;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private int _inFlight;
    private long _lastUsed;
    private RetireReason _retired;

    public ConnectionRuntime(string id, AutotaskConnectionOptions settings, ZoneResolver zones, TimeProvider time)
    {
        Id = id;
        Settings = settings;
        Credentials = new ConnectionCredentials(id, settings);
        UserKey = Limits.RequestLimits.Hash(Credentials.UserName);
        IntegrationKey = Limits.RequestLimits.Hash(Credentials.IntegrationCode);
        _zones = zones;
        _time = time;
        _lastUsed = time.GetTimestamp();
        LoadedAt = time.GetTimestamp();
        Metadata = new AsyncCache<IReadOnlyList<EntityField>>(time, settings.MetadataCacheDuration, StringComparer.OrdinalIgnoreCase);
        if (!string.IsNullOrWhiteSpace(settings.ZoneUrl))
        {
            var zoneUrl = new Uri(settings.ZoneUrl, UriKind.Absolute);
            if (!zones.Policy.IsAllowed(zoneUrl, out var reason))
            {
                throw new AutotaskConfigurationException($"Autotask connection '{id}': ZoneUrl is refused because {reason}.", id);
            }

            _configuredZone = new ResolvedZone(new ZoneInformation { Url = zoneUrl }, ZoneUrlPolicy.ApiRoot(zoneUrl));
        }
    }

    /// <summary>The connection's id, spelt as its source spells it.</summary>
    public string Id { get; }

    /// <summary>The settings this runtime was made with; a private copy.</summary>
    public AutotaskConnectionOptions Settings { get; }

    public ConnectionCredentials Credentials { get; }

    /// <summary>The API user, hashed: the limits key of its database until the database is known.</summary>
    public string UserKey { get; }

    /// <summary>The integration code, hashed: part of the key of the thread slots.</summary>
    public string IntegrationKey { get; }

    /// <summary>Field and picklist metadata, per entity.</summary>
    public AsyncCache<IReadOnlyList<EntityField>> Metadata { get; }

    /// <summary>The method this connection's tenant was found to accept on next-page URLs, once one was refused with 405.</summary>
    public HttpMethod? NextPageMethod { get; set; }

    /// <summary>When the settings were read from the source (a <see cref="TimeProvider"/> timestamp).</summary>
    public long LoadedAt { get; set; }

    /// <summary>The database this runtime's credentials were found to reach and checked against the store's binding.</summary>
    public AutotaskDatabaseIdentity? VerifiedDatabase { get; set; }

    public RetireReason Retired
    {
        get
        {
            lock (_gate)
            {
                return _retired;
            }
        }
    }

    public int InFlight => Volatile.Read(ref _inFlight);

    public TimeSpan IdleFor => _time.GetElapsedTime(Interlocked.Read(ref _lastUsed));

    /// <summary>The zone: the configured one, or discovered (and cached) for the username.</summary>
    public Task<ResolvedZone> ZoneAsync(CancellationToken cancellationToken) =>
        _configuredZone is { } zone ? Task.FromResult(zone) : _zones.ResolveAsync(Credentials.UserName, Id, cancellationToken);

    /// <summary>The zone as discovery reports it, with the database identifier, even where a zone URL is configured.</summary>
    public async Task<ZoneInformation> DiscoveredZoneAsync(CancellationToken cancellationToken) =>
        (await _zones.ResolveAsync(Credentials.UserName, Id, cancellationToken).ConfigureAwait(false)).Information;

    /// <summary>Counts a request in; refused once the runtime is retired.</summary>
    /// <returns>Why it was refused, or <see cref="RetireReason.None"/> when the request may go.</returns>
    public RetireReason TryEnter()
    {
        lock (_gate)
        {
            if (_retired != RetireReason.None)
            {
                return _retired;
            }

            _inFlight++;
            Interlocked.Exchange(ref _lastUsed, _time.GetTimestamp());
            return RetireReason.None;
        }
    }

    /// <summary>Counts a request out; the last one out of a retired runtime frees its caches.</summary>
    public void Exit()
    {
        lock (_gate)
        {
            _inFlight--;
            Interlocked.Exchange(ref _lastUsed, _time.GetTimestamp());
            if (_inFlight == 0 && _retired != RetireReason.None)
            {
                FreeCaches();
            }
        }
    }

    /// <summary>Refuses new requests; requests in flight finish, and the last frees the caches.</summary>
    public void Retire(RetireReason reason)
    {
        lock (_gate)
        {
            if (_retired == RetireReason.None || reason == RetireReason.Removed)
            {
                _retired = reason;
            }

            if (_inFlight == 0)
            {
                FreeCaches();
            }
        }
    }

    /// <summary>Retires the runtime if it has been idle at least <paramref name="idleTimeout"/>.</summary>
    public bool TryRetireIdle(TimeSpan idleTimeout)
    {
        lock (_gate)
        {
            if (_inFlight > 0 || _retired != RetireReason.None || IdleFor < idleTimeout)
            {
                return false;
            }

            _retired = RetireReason.Idle;
            FreeCaches();
            return true;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _retired = _retired == RetireReason.None ? RetireReason.Idle : _retired;
            FreeCaches();
        }
    }

    private void FreeCaches() => Metadata.Clear();

    public override string ToString() => $"Connection {Id}";
}

/// <summary>Why a runtime no longer takes requests.</summary>
internal enum RetireReason
{
    /// <summary>It takes requests.</summary>
    None,

    /// <summary>It was idle and evicted; the next request makes a new one.</summary>
    Idle,

    /// <summary>The connection's settings changed; the next request makes a new one with the new settings.</summary>
    Changed,

    /// <summary>The connection was removed; requests are refused.</summary>
    Removed,
}
