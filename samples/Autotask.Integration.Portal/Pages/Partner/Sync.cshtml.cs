using System.Text;
using Autotask.Integration.Mapping;
using Autotask.Integration.Sync;
using Microsoft.AspNetCore.Mvc;
using NodaTime;

namespace Autotask.Integration.Portal.Pages.Partner;

/// <summary>A mapped subscription with the quantity the vendor bills.</summary>
/// <param name="Vendor">The vendor's subscription.</param>
/// <param name="Mapping">Its mapping.</param>
public sealed record MappedSubscription(VendorSubscription Vendor, SubscriptionMapping Mapping);

/// <summary>Quantity sync: a dry-run plan (the diff), approval by a rule or a person, then apply with the result per item.</summary>
public sealed class SyncModel(IQuantitySyncEngine sync, IMappingStore store, VendorCatalogue catalogue, PlanDrafts drafts, PortalWork work, IClock clock) : PartnerPage
{
    /// <summary>The mapped subscriptions.</summary>
    public IReadOnlyList<MappedSubscription> Mapped { get; private set; } = [];

    /// <summary>The plan shown, if any.</summary>
    public PlanDraft? Draft { get; private set; }

    /// <summary>The quantities entered, by subscription.</summary>
    [BindProperty]
    public Dictionary<string, int> Quantities { get; set; } = [];

    /// <summary>Shows the quantities, or a plan.</summary>
    /// <param name="plan">The plan to show.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<IActionResult> OnGetAsync(string? plan, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        if (plan is not null && (Draft = drafts.Find(Partner, plan)) is null)
        {
            return NotFound();
        }

        return Page();
    }

    /// <summary>Downloads a plan as CSV.</summary>
    /// <param name="plan">The plan.</param>
    public IActionResult OnGetCsv(string plan) => drafts.Find(Partner, plan) is { } draft
        ? File(Encoding.UTF8.GetBytes(draft.Plan.ToCsv()), "text/csv", $"plan-{plan}.csv")
        : NotFound();

    /// <summary>Downloads a plan as JSON.</summary>
    /// <param name="plan">The plan.</param>
    public IActionResult OnGetJson(string plan) => drafts.Find(Partner, plan) is { } draft
        ? File(Encoding.UTF8.GetBytes(draft.Plan.ToJson()), "application/json", $"plan-{plan}.json")
        : NotFound();

    /// <summary>Keeps the quantities entered (the vendor's own data) and makes a plan from them; nothing is written to Autotask.</summary>
    /// <param name="rule">The approval rule: none, units5, percent10 or all.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<IActionResult> OnPostPlanAsync(string? rule, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        if (!IsLinked)
        {
            return Page();
        }

        foreach (var (subscription, quantity) in Quantities)
        {
            if (quantity < 0)
            {
                Problems.Add($"The quantity of {subscription} is negative; use 0 to bill nothing.");
            }
            else if (!catalogue.SetQuantity(Partner, subscription, quantity))
            {
                Problems.Add($"'{subscription}' is not one of your subscriptions.");
            }
        }

        if (!ModelState.IsValid)
        {
            Problems.Add("Every quantity must be a whole number.");
        }

        if (Problems.Count > 0)
        {
            return Page();
        }

        var now = clock.GetCurrentInstant();
        // The quantities as just saved, of the mapped subscriptions.
        var mapped = Mapped.Select(m => m.Vendor.Id).ToHashSet(StringComparer.Ordinal);
        var changes = catalogue.Subscriptions(Partner).Where(s => mapped.Contains(s.Id)).Select(s => new SubscriptionQuantity(s.Id, s.Quantity, now));
        try
        {
            var plan = await sync.PlanAsync(Partner, changes, new QuantityPlanOptions { Approval = Rule(rule) }, cancellationToken);
            drafts.Add(Partner, plan);
            return RedirectToPage(new { partner = Partner, plan = plan.PlanId });
        }
        catch (AutotaskException ex)
        {
            Show(ex);
            return Page();
        }
    }

    /// <summary>Applies a plan with the approvals ticked (unticked items are rejected), as background work whose progress streams to the page.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="approve">The subscriptions approved.</param>
    public IActionResult OnPostApply(string plan, string[]? approve)
    {
        if (drafts.Find(Partner, plan) is not { } draft)
        {
            return NotFound();
        }

        if (draft.Applied is not null)
        {
            return Done("This plan was applied already; make a new one.", new { partner = Partner, plan });
        }

        var ticked = (approve ?? []).ToHashSet(StringComparer.Ordinal);
        if (ticked.FirstOrDefault(id => draft.Plan.Items.All(i => i.VendorSubscriptionId != id)) is { } unknown)
        {
            Problems.Add($"'{unknown}' is not in this plan.");
            Draft = draft;
            return Page();
        }

        var who = $"in the portal by {Partner}";
        var unticked = draft.Plan.Items.Select(i => i.VendorSubscriptionId).Where(id => !ticked.Contains(id)).ToArray();
        var decided = draft.Plan.Approve(ticked, "Approved " + who).Reject(unticked, "Not approved " + who);
        var partner = Partner;
        var item = work.Start(partner, $"Applying plan {plan}", _ => Url.Page("/Partner/Sync", new { partner, plan })!, async (progress, cancellationToken) =>
        {
            var report = await sync.ApplyPlanAsync(partner, decided, new QuantitySyncOptions
            {
                Progress = PortalWork.Relay<SyncProgress>(p => progress.Report(new WorkProgress(p.Done, p.Total, $"{p.Done} of {p.Total} items, {p.Writes} written"))),
            }, cancellationToken);
            drafts.Applied(partner, decided, report);
            return report;
        });
        return RedirectToPage("/Partner/Work", new { partner, id = item.Id });
    }

    private static PlanApprovalRule? Rule(string? rule) => rule switch
    {
        "units5" => PlanApprovalRule.UnderUnits(5),
        "percent10" => PlanApprovalRule.UnderPercent(10),
        "all" => PlanApprovalRule.ApproveAll,
        _ => null,
    };

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        if (!IsLinked)
        {
            return;
        }

        var mappings = (await store.ListSubscriptionsAsync(Partner, cancellationToken: cancellationToken)).ToDictionary(m => m.VendorSubscriptionId, StringComparer.Ordinal);
        Mapped = [.. catalogue.Subscriptions(Partner).Where(s => mappings.ContainsKey(s.Id)).Select(s => new MappedSubscription(s, mappings[s.Id]))];
    }
}
