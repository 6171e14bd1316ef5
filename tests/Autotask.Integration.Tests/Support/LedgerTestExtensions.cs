using Autotask.Integration.Mapping;

namespace Autotask.Integration.Tests.Support;

internal static class LedgerTestExtensions
{
    /// <summary>Begins an entry from the subscription's current ledger version, as a sync that has just read it would.</summary>
    public static async Task<AdjustmentBeginOutcome> BeginAsync(this IMappingStore store, AdjustmentLedgerEntry entry, CancellationToken cancellationToken = default) =>
        await store.TryBeginAdjustmentAsync(entry, await store.VersionAsync(entry.Connection, entry.VendorSubscriptionId, cancellationToken), cancellationToken);

    /// <summary>The subscription's ledger version.</summary>
    public static async Task<long> VersionAsync(this IMappingStore store, string connection, string subscription, CancellationToken cancellationToken = default) =>
        (await store.GetLedgerHeadsAsync(connection, [subscription], cancellationToken))[subscription].Version;
}
