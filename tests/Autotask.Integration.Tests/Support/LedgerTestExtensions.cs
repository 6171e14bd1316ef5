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

internal static class AuditTestExtensions
{
    /// <summary>Every event of a connection the query matches, page after page.</summary>
    public static async Task<List<Autotask.Integration.Auditing.AuditEvent>> ReadAllAsync(
        this Autotask.Integration.Auditing.IAuditReader reader, Autotask.Integration.Auditing.AuditQuery query, CancellationToken cancellationToken = default)
    {
        var events = new List<Autotask.Integration.Auditing.AuditEvent>();
        while (true)
        {
            var page = await reader.ReadAsync(query with { Skip = events.Count, Take = 500 }, cancellationToken);
            events.AddRange(page.Events);
            if (!page.HasMore)
            {
                return events;
            }
        }
    }

    /// <summary>The quantity sync's applied events.</summary>
    public static Task<List<Autotask.Integration.Auditing.AuditEvent>> AppliedAsync(this Autotask.Integration.Auditing.IAuditReader reader, string connection, CancellationToken cancellationToken = default) =>
        reader.ReadAllAsync(new Autotask.Integration.Auditing.AuditQuery
        {
            Connection = connection,
            Operation = Autotask.Integration.Auditing.AuditOperations.UpdateSubscriptionQuantity,
            Status = Autotask.Integration.Auditing.AuditStatus.Succeeded,
        }, cancellationToken);
}
