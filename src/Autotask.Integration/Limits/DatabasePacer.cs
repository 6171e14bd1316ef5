namespace Autotask.Integration.Limits;

/// <summary>What pacing decided for a database's requests of the rolling hour.</summary>
internal enum PacingDecision
{
    /// <summary>
    /// No reading of <c>ThresholdInformation</c> yet: the target share of the default threshold for the first
    /// <see cref="AutotaskLimitsOptions.PaceAfterRequests"/> requests, then nothing until the first reading arrives.
    /// </summary>
    Unknown,

    /// <summary>The target share, less what other integrations use.</summary>
    Share,

    /// <summary>Other integrations pass the target share: the minimum share only.</summary>
    Minimum,

    /// <summary>The database is at the stop share: nothing more is sent until its hour clears.</summary>
    Stopped,

    /// <summary>Readings failed for longer than the bound: the database is assumed to be at the target share already.</summary>
    Stale,

    /// <summary>Pacing is off (<see cref="AutotaskLimitsOptions.PaceByThresholdInformation"/>): only the connection's budget limits the hour.</summary>
    Off,
}

/// <summary>
/// The pace of one Autotask database: its threshold and the count of its rolling hour as <c>ThresholdInformation</c>
/// last reported them, less this SDK's own requests at that time (the other integrations' part), turned into the most
/// requests this SDK may have in the hour.
/// </summary>
internal sealed class DatabasePacer
{
    /// <summary>Autotask's hourly threshold per database, until a reading says otherwise.</summary>
    public const int DefaultThreshold = 10_000;

    private readonly object _gate = new();
    private int _threshold = DefaultThreshold;
    private long _others;
    private DateTimeOffset? _readAt;
    private DateTimeOffset _lastAttempt = DateTimeOffset.MinValue;
    private bool _refreshing;
    private bool _failedBeforeReading;
    private long _lastUsed;
    private long _counted;

    public DatabasePacer(string key, string database)
    {
        Key = key;
        Database = database;
    }

    /// <summary>The database's limits key.</summary>
    public string Key { get; }

    /// <summary>The database as shown in metrics and logs (its id, never a credential).</summary>
    public string Database { get; }

    /// <summary>The last allowance computed, and the share of the threshold other integrations were found to use, for the metrics.</summary>
    public (int Allowance, PacingDecision Decision, double OthersShare) Last { get; private set; } = (0, PacingDecision.Unknown, 0);

    /// <summary>When the database was last used (ticks of <see cref="DateTimeOffset.UtcTicks"/>).</summary>
    public DateTimeOffset LastUsed => new(Interlocked.Read(ref _lastUsed), TimeSpan.Zero);

    /// <summary>Marks the database used now.</summary>
    public void Touch(DateTimeOffset now) => Interlocked.Exchange(ref _lastUsed, now.UtcTicks);

    /// <summary>Counts one of this instance's requests in.</summary>
    public void Counted() => Interlocked.Increment(ref _counted);

    /// <summary>
    /// Claims the next reading when one is due: once this instance has sent <see cref="AutotaskLimitsOptions.PaceAfterRequests"/>
    /// requests to the database, then every <see cref="AutotaskLimitsOptions.ThresholdCheckInterval"/>. The caller must
    /// call <see cref="Record"/> or <see cref="Failed"/>.
    /// </summary>
    public bool TryBeginReading(DateTimeOffset now, AutotaskLimitsOptions options)
    {
        if (!options.PaceByThresholdInformation || Interlocked.Read(ref _counted) < options.PaceAfterRequests || options.ThresholdCheckInterval == Timeout.InfiniteTimeSpan)
        {
            return false;
        }

        lock (_gate)
        {
            if (_refreshing || now - _lastAttempt < options.ThresholdCheckInterval)
            {
                return false;
            }

            _refreshing = true;
            _lastAttempt = now;
            return true;
        }
    }

    /// <summary>Keeps a reading: the database's threshold and count, and this SDK's own count when it was read.</summary>
    public void Record(DateTimeOffset now, int threshold, long databaseCount, long ours)
    {
        lock (_gate)
        {
            _threshold = threshold > 0 ? threshold : DefaultThreshold;
            _others = Math.Max(0, databaseCount - ours);
            _readAt = now;
            _refreshing = false;
        }
    }

    /// <summary>A reading could not be made with the connection that tried it (it went away): the next request tries again.</summary>
    public void Abandon()
    {
        lock (_gate)
        {
            _refreshing = false;
            _lastAttempt = DateTimeOffset.MinValue;
        }
    }

    /// <summary>A reading failed: the last one is kept until it is stale.</summary>
    public void Failed()
    {
        lock (_gate)
        {
            _refreshing = false;
            _failedBeforeReading |= _readAt is null;
        }
    }

    /// <summary>
    /// The most requests this SDK may have in the database's rolling hour for a reading of <c>ThresholdInformation</c>:
    /// up to the stop share, so that a reading can still see other integrations slow down after the allowance is used.
    /// </summary>
    public int ReadingAllowance(AutotaskLimitsOptions options)
    {
        if (!options.PaceByThresholdInformation)
        {
            return int.MaxValue;
        }

        lock (_gate)
        {
            return (int)Math.Clamp((long)(options.StopShare * _threshold) - _others, 0, int.MaxValue);
        }
    }

    /// <summary>The most requests this SDK may have in the database's rolling hour now, and why.</summary>
    public (int Allowance, PacingDecision Decision) Allowance(DateTimeOffset now, AutotaskLimitsOptions options)
    {
        if (!options.PaceByThresholdInformation)
        {
            Last = (int.MaxValue, PacingDecision.Off, 0);
            return (int.MaxValue, PacingDecision.Off);
        }

        int threshold;
        long others;
        PacingDecision decision;
        lock (_gate)
        {
            threshold = _threshold;
            var target = (long)(options.TargetShare * threshold);
            if (_readAt is not { } readAt)
            {
                if (_failedBeforeReading)
                {
                    // Never read, and the reading failed: as stale.
                    others = target;
                    decision = PacingDecision.Stale;
                }
                else if (Interlocked.Read(ref _counted) >= options.PaceAfterRequests && options.ThresholdCheckInterval != Timeout.InfiniteTimeSpan)
                {
                    // Enough requests to matter: the next ones wait for the first reading.
                    Last = (0, PacingDecision.Unknown, 0);
                    return (0, PacingDecision.Unknown);
                }
                else
                {
                    others = 0;
                    decision = PacingDecision.Unknown;
                }
            }
            else if (now - readAt > options.ThresholdStaleAfter)
            {
                others = Math.Max(_others, target);
                decision = PacingDecision.Stale;
            }
            else
            {
                others = _others;
                decision = PacingDecision.Share;
            }
        }

        var targetRequests = (long)(options.TargetShare * threshold);
        var minimum = (long)(options.MinimumShare * threshold);
        var stop = (long)(options.StopShare * threshold);
        var allowance = targetRequests - others;
        if (allowance < minimum)
        {
            allowance = minimum;
            decision = decision == PacingDecision.Share ? PacingDecision.Minimum : decision;
        }

        if (others + allowance > stop)
        {
            allowance = Math.Max(0, stop - others);
            decision = allowance == 0 ? PacingDecision.Stopped : PacingDecision.Minimum;
        }

        var result = (int)Math.Clamp(allowance, 0, int.MaxValue);
        Last = (result, decision, threshold == 0 ? 0 : (double)others / threshold);
        return (result, decision);
    }
}
