namespace Autotask.Integration.Testing.Engine;

/// <summary>Autotask's request limits: the rolling hourly threshold and the concurrent requests per entity.</summary>
internal sealed partial class SimulatorEngine
{
    private TimeSpan? CountAgainstHour()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            Expire(now);
            if (_hour.Count >= _options.HourlyRequestLimit)
            {
                var wait = _hour.Peek().AddHours(1) - now;
                return wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait;
            }

            _hour.Enqueue(now);
            return null;
        }
    }

    private void Expire(DateTimeOffset now)
    {
        while (_hour.Count > 0 && _hour.Peek() <= now.AddHours(-1))
        {
            _hour.Dequeue();
        }
    }

    private bool EnterEntity(string entity)
    {
        lock (_gate)
        {
            var now = _inFlight.GetValueOrDefault(entity);
            if (now >= _options.MaxConcurrentRequestsPerEntity)
            {
                _threadRefusals++;
                return false;
            }

            _inFlight[entity] = now + 1;
            _peakInFlight[entity] = Math.Max(_peakInFlight.GetValueOrDefault(entity), now + 1);
            return true;
        }
    }

    /// <summary>Counts requests of other integrations of the database into the rolling hour, now.</summary>
    public void AddOtherIntegrationRequests(int count)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _hour.Enqueue(now);
            }
        }
    }

    /// <summary>The requests in flight now, per entity.</summary>
    public IReadOnlyDictionary<string, int> InFlightByEntity
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, int>(_inFlight, StringComparer.OrdinalIgnoreCase);
            }
        }
    }

    /// <summary>The most requests that were in flight at once, per entity.</summary>
    public IReadOnlyDictionary<string, int> PeakInFlightByEntity
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, int>(_peakInFlight, StringComparer.OrdinalIgnoreCase);
            }
        }
    }

    /// <summary>The requests refused because the entity had as many in flight as the thread limit allows.</summary>
    public long ThreadLimitRefusals
    {
        get
        {
            lock (_gate)
            {
                return _threadRefusals;
            }
        }
    }

    private void LeaveEntity(string entity)
    {
        lock (_gate)
        {
            _inFlight[entity] = Math.Max(0, _inFlight.GetValueOrDefault(entity) - 1);
        }
    }
}
