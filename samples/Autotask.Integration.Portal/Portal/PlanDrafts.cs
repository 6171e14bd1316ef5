using System.Collections.Concurrent;
using Autotask.Integration.Sync;

namespace Autotask.Integration.Portal;

/// <summary>A plan a partner made on the sync page, and what applying it did.</summary>
/// <param name="Plan">The plan as made (dry run, decided by the chosen rule).</param>
/// <param name="Applied">The result of applying it; <c>null</c> until applied.</param>
public sealed record PlanDraft(QuantityPlan Plan, QuantitySyncReport? Applied);

/// <summary>
/// The plans partners made, kept on the server: the page posts back only which items a person approved, never the
/// plan itself, so a partner cannot hand the portal a plan it did not make.
/// </summary>
public sealed class PlanDrafts
{
    private readonly ConcurrentDictionary<(string Partner, string PlanId), PlanDraft> _drafts = new();

    /// <summary>Keeps a new plan.</summary>
    /// <param name="partner">The partner.</param>
    /// <param name="plan">The plan.</param>
    public void Add(string partner, QuantityPlan plan) => _drafts[(partner.ToLowerInvariant(), plan.PlanId)] = new PlanDraft(plan, null);

    /// <summary>A partner's plan, or <c>null</c>.</summary>
    /// <param name="partner">The partner asking.</param>
    /// <param name="planId">The plan's id.</param>
    public PlanDraft? Find(string partner, string planId) => _drafts.GetValueOrDefault((partner.ToLowerInvariant(), planId));

    /// <summary>Records what applying a plan did.</summary>
    /// <param name="partner">The partner.</param>
    /// <param name="applied">The plan as applied (with the approvals given).</param>
    /// <param name="report">The result per item.</param>
    public void Applied(string partner, QuantityPlan applied, QuantitySyncReport report) =>
        _drafts[(partner.ToLowerInvariant(), applied.PlanId)] = new PlanDraft(applied, report);
}
