using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Autotask.Integration.Connections;
using Autotask.Integration.Diagnostics;
using Autotask.Integration.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Autotask.Integration.Limits;

/// <summary>
/// Autotask's limits, keyed as Autotask keys them: the requests of the rolling hour per database (shared with the MSP's
/// other integrations, paced by <c>ThresholdInformation</c>), and the thread slots per database, integration code and
/// endpoint. Kept in the shared store (Redis) when one is registered, so that every instance and every connection that
/// reaches a database counts together; kept in process otherwise, and in process with each instance's part of the
/// limits while the shared store cannot be reached or cannot be trusted.
/// </summary>
internal sealed class RequestLimits : IDisposable
{
    /// <summary>
    /// The operation of a <c>ThresholdInformation</c> reading: counted, and allowed up to the stop share rather than the
    /// pacing allowance, since pacing waits for it.
    /// </summary>
    public const string ThresholdOperation = "GetThresholdInformation";

    private static readonly TimeSpan SharedPoll = TimeSpan.FromMilliseconds(15);
    private static readonly TimeSpan ClockCheckInterval = TimeSpan.FromMinutes(5);

    private readonly AutotaskLimitsOptions _options;
    private readonly IAutotaskSharedLimits? _shared;
    private readonly LocalLimits _local;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AutotaskInstruments _instruments;
    private readonly IServiceProvider _services;
    private readonly ConcurrentDictionary<string, DatabasePacer> _pacers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposing = new();
    private readonly object _gate = new();
    private DateTimeOffset _sharedDownUntil = DateTimeOffset.MinValue;
    private DateTimeOffset _nextClockCheck = DateTimeOffset.MinValue;
    private bool _sharedDown;
    private bool _sharedVerified;
    private Task<bool>? _check;

    public RequestLimits(
        IOptions<AutotaskIntegrationOptions> options, TimeProvider time, ILoggerFactory loggers, AutotaskInstruments instruments, IServiceProvider services,
        IAutotaskSharedLimits? shared = null)
    {
        _options = options.Value.Limits;
        _time = time;
        _logger = loggers.CreateLogger(typeof(AutotaskClientFactory).Namespace + ".Limits");
        _instruments = instruments;
        _services = services;
        _shared = shared;
        _local = new LocalLimits(time);
        var meter = instruments.Meter;
        meter.CreateObservableGauge("autotask.limits.allowance", () => _pacers.Values.Select(p => new Measurement<int>(p.Last.Allowance,
                new KeyValuePair<string, object?>("autotask.database", p.Database),
                new KeyValuePair<string, object?>("autotask.pacing.decision", Decision(p.Last.Decision)))),
            "{request}", "The most requests this SDK may have in the database's rolling hour now, as pacing decided.");
        meter.CreateObservableGauge("autotask.limits.others_share", () => _pacers.Values.Select(p => new Measurement<double>(p.Last.OthersShare,
                new KeyValuePair<string, object?>("autotask.database", p.Database))),
            "1", "The share of the database's hourly threshold that other integrations used at the last reading of ThresholdInformation.");
        meter.CreateObservableGauge("autotask.limits.shared", () => new Measurement<int>(UsingShared ? 1 : 0,
                new KeyValuePair<string, object?>("autotask.limits.store", _shared?.Name ?? _local.Name)),
            "1", "1 while the limits are shared through the shared store, 0 while they are kept in process.");
    }

    /// <summary>Whether the shared store is in use now (false without one, and while it is down).</summary>
    public bool UsingShared
    {
        get
        {
            lock (_gate)
            {
                return _shared is not null && _sharedVerified && !_sharedDown;
            }
        }
    }

    /// <summary>The databases paced now.</summary>
    public int Databases => _pacers.Count;

    /// <summary>The limits key of a database and how it is shown: zone information's <c>ci</c> when known, else the API user (hashed).</summary>
    public static (string Key, string Label) DatabaseOf(ConnectionRuntime runtime, Metadata.ZoneInformation zone)
    {
        if ((zone.Ci ?? runtime.VerifiedDatabase?.Ci) is { } ci)
        {
            var id = ci.ToString(CultureInfo.InvariantCulture);
            return ("db:" + id, id);
        }

        return ("user:" + runtime.UserKey, "unknown");
    }

    /// <summary>A short, one-way key for a value that must not be stored or shown (an API user, an integration code).</summary>
    public static string Hash(string value) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value)), 0, 8).ToLowerInvariant();

    /// <summary>
    /// Takes a thread slot of the request's endpoint (waiting for one), then counts the request into its database's hour;
    /// when pacing holds it back, the slot is given up while it waits. Counting only what is about to be sent keeps the
    /// count of the hour close to what Autotask sees, which pacing compares with <c>ThresholdInformation</c>. The lease
    /// frees the slot.
    /// </summary>
    public async ValueTask<IDisposable> AcquireAsync(ConnectionRuntime connection, RequestInfo info, CancellationToken cancellationToken)
    {
        var database = info.Database ?? ("user:" + connection.UserKey, "unknown");
        var pacer = _pacers.GetOrAdd(database.Key, static (key, label) => new DatabasePacer(key, label), database.Label);
        pacer.Touch(_time.GetUtcNow());
        var exempt = info.Operation == ThresholdOperation;
        var endpoint = database.Key + ":" + connection.IntegrationKey + ":" + EndpointOf(info.Entity);
        var waiting = false;
        while (true)
        {
            var slot = await TakeSlotAsync(endpoint, connection.Settings.MaxConcurrentRequestsPerEntity, cancellationToken).ConfigureAwait(false);
            TimeSpan wait;
            try
            {
                var (counted, limit, decision, freeIn) = await TryCountAsync(connection, pacer, exempt, cancellationToken).ConfigureAwait(false);
                if (!exempt)
                {
                    // Readings are due by time, also while requests wait for them (only a reading can let them go).
                    if (pacer.TryBeginReading(_time.GetUtcNow(), _options))
                    {
                        _ = Task.Run(() => ReadThresholdAsync(pacer, connection), CancellationToken.None);
                    }
                }

                if (counted)
                {
                    var granted = slot;
                    slot = null;
                    return granted;
                }

                if (!waiting)
                {
                    waiting = true;
                    Log.AllowanceUsed(_logger, connection.Id, pacer.Database, limit, Decision(decision));
                    _instruments.Throttled.Add(1,
                        new KeyValuePair<string, object?>("autotask.connection", connection.Id),
                        new KeyValuePair<string, object?>("autotask.database", pacer.Database),
                        new KeyValuePair<string, object?>("autotask.pacing.decision", Decision(decision)));
                    Jobs.JobScope.LimitWaited();
                }

                wait = freeIn;
            }
            finally
            {
                slot?.Dispose();
            }

            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The endpoint of an entity path: its first segment (<c>Tickets</c> for <c>Tickets/5/Notes</c>).</summary>
    private static string EndpointOf(string? entity)
    {
        if (string.IsNullOrEmpty(entity))
        {
            return "-";
        }

        var slash = entity.IndexOf('/', StringComparison.Ordinal);
        return (slash < 0 ? entity : entity[..slash]).ToLowerInvariant();
    }

    /// <summary>Counts the request into its database's hour if pacing allows it; else says how long to wait before asking again.</summary>
    private async Task<(bool Counted, int Limit, PacingDecision Decision, TimeSpan FreeIn)> TryCountAsync(
        ConnectionRuntime connection, DatabasePacer pacer, bool exempt, CancellationToken cancellationToken)
    {
        var budget = connection.Settings.HourlyRequestBudget;
        while (true)
        {
            var (allowance, decision) = pacer.Allowance(_time.GetUtcNow(), _options);
            var limit = Math.Min(budget, exempt ? pacer.ReadingAllowance(_options) : allowance);
            var shared = await SharedAsync(cancellationToken).ConfigureAwait(false);
            if (shared is not null)
            {
                try
                {
                    if (await shared.TryCountAsync(pacer.Key, limit, cancellationToken).ConfigureAwait(false))
                    {
                        pacer.Counted();
                        return (true, limit, decision, TimeSpan.Zero);
                    }

                    // A shared hour is asked again every second (soon while the first reading is awaited); a new
                    // reading of ThresholdInformation may raise the allowance meanwhile.
                    return (false, limit, decision, decision == PacingDecision.Unknown && allowance == 0 ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(1));
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    SharedFailed(ex.GetType().Name);
                    continue;
                }
            }

            limit = _shared is null ? limit : Math.Max(1, limit / _options.AssumedInstances);
            if (await _local.TryCountAsync(pacer.Key, limit, cancellationToken).ConfigureAwait(false))
            {
                pacer.Counted();
                return (true, limit, decision, TimeSpan.Zero);
            }

            // Waiting for the first reading: asked again soon. Else the hour says when the next request fits (asked
            // again within five seconds, for new readings).
            var freeIn = decision == PacingDecision.Unknown && allowance == 0 ? TimeSpan.FromMilliseconds(100) : _local.FreeIn(pacer.Key, limit);
            return (false, limit, decision, TimeSpan.FromTicks(Math.Clamp(freeIn.Ticks, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(5).Ticks)));
        }
    }

    private async Task<IDisposable> TakeSlotAsync(string endpoint, int permits, CancellationToken cancellationToken)
    {
        var delay = SharedPoll;
        while (true)
        {
            var shared = await SharedAsync(cancellationToken).ConfigureAwait(false);
            if (shared is null)
            {
                var local = _shared is null ? permits : Math.Max(1, permits / _options.AssumedInstances);
                return await _local.TakeSlotAsync(endpoint, local, cancellationToken).ConfigureAwait(false);
            }

            try
            {
                if (await shared.TryTakeSlotAsync(endpoint, permits, cancellationToken).ConfigureAwait(false) is { } slot)
                {
                    return new SharedSlot(slot, this);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                SharedFailed(ex.GetType().Name);
                continue;
            }

            // Every slot is taken, here or by another instance: ask again soon, with jitter so that waiters spread out.
            await Task.Delay(delay * (0.5 + Random.Shared.NextDouble()), _time, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMilliseconds(250).Ticks));
        }
    }

    /// <summary>
    /// The shared store when it may be used now; <c>null</c> without one, while it is down, and while its clock is too far
    /// off this machine's. Its clock is checked before its first use and every few minutes; callers that arrive during
    /// the first check wait for it, so that no request takes an in-process slot while others take shared ones.
    /// </summary>
    private async ValueTask<IAutotaskSharedLimits?> SharedAsync(CancellationToken cancellationToken)
    {
        if (_shared is null)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        Task<bool> check;
        lock (_gate)
        {
            if (_sharedDown && now < _sharedDownUntil)
            {
                return null;
            }

            if (now < _nextClockCheck)
            {
                return _shared;
            }

            if (_check is null || _check.IsCompleted)
            {
                _check = CheckSharedAsync(now);
            }

            check = _check;
            if (_sharedVerified)
            {
                // A periodic check: the store stays in use while it runs.
                return _shared;
            }
        }

        return await check.WaitAsync(cancellationToken).ConfigureAwait(false) ? _shared : null;
    }

    /// <summary>Checks that the shared store answers and that its clock is close enough to this machine's.</summary>
    private async Task<bool> CheckSharedAsync(DateTimeOffset now)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_disposing.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var offset = await _shared!.GetClockOffsetAsync(timeout.Token).ConfigureAwait(false);
            if (offset.Duration() > _options.MaxClockSkew)
            {
                SharedFailed(string.Create(CultureInfo.InvariantCulture, $"this machine's clock is {offset.Duration().TotalSeconds:0} s off the store's, more than MaxClockSkew"));
                return false;
            }
        }
        catch (Exception ex)
        {
            SharedFailed(ex.GetType().Name);
            return false;
        }

        bool back;
        lock (_gate)
        {
            back = _sharedDown;
            _sharedDown = false;
            _sharedVerified = true;
            _nextClockCheck = now + ClockCheckInterval;
        }

        if (back)
        {
            Log.SharedLimitsBack(_logger, _shared.Name);
        }

        return true;
    }

    private void SharedFailed(string reason)
    {
        lock (_gate)
        {
            _sharedDownUntil = _time.GetUtcNow() + _options.SharedRetryInterval;
            _nextClockCheck = DateTimeOffset.MinValue;
            _sharedVerified = false;
            if (_sharedDown)
            {
                return;
            }

            _sharedDown = true;
        }

        Log.SharedLimitsDown(_logger, _shared!.Name, reason, _options.AssumedInstances, _options.SharedRetryInterval.TotalSeconds);
        _instruments.LimitFallbacks.Add(1, new KeyValuePair<string, object?>("autotask.limits.store", _shared.Name));
    }

    /// <summary>Reads <c>ThresholdInformation</c> with the credentials of the connection whose request found a reading due.</summary>
    private async Task ReadThresholdAsync(DatabasePacer pacer, ConnectionRuntime connection)
    {
        var connectionId = connection.Id;
        var before = pacer.Last.Decision;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_disposing.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            var client = _services.GetRequiredService<AutotaskClientFactory>().GetClient(connection);

            // This SDK's count before the reading is sent: what the reading's count holds of it (requests still on
            // their way when Autotask counted are at most the ones in flight).
            var shared = await SharedAsync(timeout.Token).ConfigureAwait(false);
            long ours;
            try
            {
                ours = shared is not null ? await shared.CountAsync(pacer.Key, timeout.Token).ConfigureAwait(false) : await _local.CountAsync(pacer.Key, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (shared is not null && ex is not OperationCanceledException)
            {
                SharedFailed(ex.GetType().Name);
                ours = await _local.CountAsync(pacer.Key, timeout.Token).ConfigureAwait(false);
            }

            var reading = await client.GetThresholdInformationAsync(timeout.Token).ConfigureAwait(false);
            pacer.Record(_time.GetUtcNow(), reading.ExternalRequestThreshold, reading.CurrentTimeframeRequestCount, ours);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or AutotaskConnectionException)
        {
            // The connection went away (settings tested and dropped, changed, removed): the next request reads again.
            pacer.Abandon();
            return;
        }
        catch (Exception ex)
        {
            pacer.Failed();
            Log.ThresholdReadFailed(_logger, pacer.Database, connectionId, ex.GetType().Name, _options.ThresholdStaleAfter.TotalMinutes);
            return;
        }

        var (allowance, decision) = pacer.Allowance(_time.GetUtcNow(), _options);
        if (decision != before)
        {
            Log.PacingChanged(_logger, pacer.Database, Decision(decision), allowance, pacer.Last.OthersShare);
        }
    }

    /// <summary>Forgets databases unused for an hour and in-process hours that hold no request.</summary>
    public void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var (key, pacer) in _pacers)
        {
            if (now - pacer.LastUsed > TimeSpan.FromHours(1))
            {
                _pacers.TryRemove(new KeyValuePair<string, DatabasePacer>(key, pacer));
            }
        }

        _local.Sweep();
    }

    private static string Decision(PacingDecision decision) => decision switch
    {
        PacingDecision.Unknown => "unknown",
        PacingDecision.Share => "share",
        PacingDecision.Minimum => "minimum",
        PacingDecision.Stopped => "stopped",
        PacingDecision.Off => "off",
        _ => "stale",
    };

    public void Dispose()
    {
        _disposing.Cancel();
        _disposing.Dispose();
        _local.Dispose();
    }

    /// <summary>
    /// A slot of the shared store, freed there when the request is over, off the caller's thread (the store's lease
    /// has only a blocking release); if the store is gone by then, its lease time frees it.
    /// </summary>
    private sealed class SharedSlot(IDisposable slot, RequestLimits owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }

            _ = Task.Run(() =>
            {
                try
                {
                    slot.Dispose();
                }
                catch (Exception ex)
                {
                    owner.SharedFailed(ex.GetType().Name);
                }
            });
        }
    }
}
