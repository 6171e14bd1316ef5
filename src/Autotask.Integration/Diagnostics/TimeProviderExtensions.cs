using NodaTime;

namespace Autotask.Integration.Diagnostics;

/// <summary>The one clock of the SDK: the injected <see cref="TimeProvider"/>, read as a NodaTime <see cref="Instant"/>.</summary>
internal static class TimeProviderExtensions
{
    public static Instant GetCurrentInstant(this TimeProvider time) => Instant.FromDateTimeOffset(time.GetUtcNow());
}
