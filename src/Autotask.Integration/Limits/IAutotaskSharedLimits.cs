namespace Autotask.Integration.Limits;

/// <summary>
/// Limits shared by every instance of the vendor's service: thread slots and hourly request counts kept in a store all
/// instances reach, such as Redis (<c>UseRedisLimits</c> in the Autotask.Integration.Redis package). Without one the
/// limits are kept in process. Keys name an Autotask database or an endpoint of it; they carry no credential.
/// Implementations throw when the store cannot be reached: the SDK then falls back to conservative in-process limits.
/// </summary>
public interface IAutotaskSharedLimits
{
    /// <summary>A name for logs and metrics, such as <c>redis</c>.</summary>
    string Name { get; }

    /// <summary>Takes one of <paramref name="permits"/> slots under <paramref name="key"/>, without waiting.</summary>
    /// <param name="key">The endpoint's key.</param>
    /// <param name="permits">How many slots the key has.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The slot, freed when disposed (and by the store after a lease time if its holder dies), or <c>null</c> when every slot is taken.</returns>
    ValueTask<IDisposable?> TryTakeSlotAsync(string key, int permits, CancellationToken cancellationToken);

    /// <summary>Counts one request in the rolling hour of <paramref name="key"/> if fewer than <paramref name="limit"/> are counted there.</summary>
    /// <param name="key">The database's key.</param>
    /// <param name="limit">The most requests the hour may hold, this one included.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether the request was counted (and may be sent).</returns>
    ValueTask<bool> TryCountAsync(string key, int limit, CancellationToken cancellationToken);

    /// <summary>The requests counted in the rolling hour of <paramref name="key"/>.</summary>
    /// <param name="key">The database's key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The count.</returns>
    ValueTask<long> CountAsync(string key, CancellationToken cancellationToken);

    /// <summary>How far the store's clock is ahead of this machine's (negative when behind).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The offset.</returns>
    ValueTask<TimeSpan> GetClockOffsetAsync(CancellationToken cancellationToken);
}
