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
                return false;
            }

            _inFlight[entity] = now + 1;
            return true;
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
