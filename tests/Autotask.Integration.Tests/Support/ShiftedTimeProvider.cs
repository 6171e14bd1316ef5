namespace Autotask.Integration.Tests.Support;

/// <summary>The system clock, off by a fixed offset: a server whose clock is wrong. Timers run as usual.</summary>
internal sealed class ShiftedTimeProvider(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;
}
