using Autotask.Integration.Auditing;
using Autotask.Integration.Mapping;
using Autotask.Integration.Sync;
using Autotask.Integration.Tests.Support;
using NodaTime;

namespace Autotask.Integration.Tests.Sync;

/// <summary>Approve, then apply: a dry run kept as a plan, decided by a person or a rule, applied once and only where it still holds.</summary>
public sealed class QuantityPlanTests : IAsyncLifetime
{
    private SyncHarness _sync = null!;
    private List<SubscriptionMapping> _subs = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Instant Now => SyncHarness.Today;

    private static LocalDate Today => SyncHarness.TodayUtc;

    public async ValueTask InitializeAsync()
    {
        _sync = SyncHarness.Create();
        _subs = await _sync.MapSubscriptionsAsync(4);
    }

    public async ValueTask DisposeAsync() => await _sync.DisposeAsync();

    private int Units(int sub) => _sync.UnitsOn(_subs[sub], Today);

    /// <summary>sub-1 +2 units, sub-2 +30, sub-3 unchanged, sub-4 -1; plus one unmapped subscription.</summary>
    private SubscriptionQuantity[] Changes() =>
    [
        new("sub-1", Units(0) + 2, Now), new("sub-2", Units(1) + 30, Now), new("sub-3", Units(2), Now), new("sub-4", Units(3) - 1, Now), new("nobody", 3, Now),
    ];

    [Fact]
    public async Task A_plan_lists_the_changes_with_the_units_they_were_computed_against_and_writes_nothing()
    {
        var before = Enumerable.Range(0, 4).Select(Units).ToArray();

        var plan = await _sync.Sync.PlanAsync(SyncHarness.Connection, Changes(), cancellationToken: Ct);

        Assert.Equal(["sub-1", "sub-2", "sub-4"], plan.Items.Select(i => i.VendorSubscriptionId));
        Assert.Equal([before[0], before[1], before[3]], plan.Items.Select(i => i.UnitsBefore));
        Assert.Equal([2, 30, -1], plan.Items.Select(i => i.UnitChange));
        Assert.All(plan.Items, i => Assert.Equal(PlanDecision.Pending, i.Decision));
        Assert.All(plan.Items, i => Assert.Equal(Today, i.EffectiveDate));
        Assert.Equal(SyncHarness.Connection, plan.Connection);
        Assert.NotEqual(0, plan.DatabaseCi);
        Assert.Equal(QuantitySyncStatus.Unmapped, plan.Report!.Items[4].Status);
        Assert.Empty(_sync.Simulator.AppliedAdjustments);
        Assert.Empty(_sync.Audit.Events);
        Assert.Empty(await _sync.Store.GetLedgerAsync(SyncHarness.Connection, "sub-1", Ct));
    }

    [Fact]
    public async Task An_approval_rule_approves_small_changes_and_holds_large_ones()
    {
        var byUnits = await _sync.Sync.PlanAsync(SyncHarness.Connection, Changes(), new QuantityPlanOptions { Approval = PlanApprovalRule.UnderUnits(5) }, Ct);
        Assert.Equal([PlanDecision.Approved, PlanDecision.Held, PlanDecision.Approved], byUnits.Items.Select(i => i.Decision));
        Assert.Contains("+30 units is more than 5", byUnits.Items[1].DecisionReason, StringComparison.Ordinal);

        var item = new QuantityPlanItem { VendorSubscriptionId = "s", ContractServiceId = 1, EffectiveDate = Today, UnitsBefore = 40, DesiredUnits = 44 };
        Assert.Equal(PlanDecision.Approved, PlanApprovalRule.UnderPercent(10).Decide(item).Decision);
        Assert.Equal(PlanDecision.Held, PlanApprovalRule.UnderPercent(10).Decide(item with { DesiredUnits = 45 }).Decision);
        Assert.Equal(PlanDecision.Held, PlanApprovalRule.UnderPercent(10).Decide(item with { UnitsBefore = 0, DesiredUnits = 1 }).Decision);
        Assert.Equal(PlanDecision.Held, new PlanApprovalRule { MaxUnitChange = 10, MaxPercentChange = 5 }.Decide(item).Decision);
        Assert.Equal(PlanDecision.Approved, PlanApprovalRule.ApproveAll.Decide(item with { DesiredUnits = 4000 }).Decision);
        Assert.Throws<ArgumentOutOfRangeException>(() => PlanApprovalRule.UnderUnits(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PlanApprovalRule.UnderPercent(-0.5m));
    }

    [Fact]
    public async Task Applying_writes_only_the_approved_items_and_reports_the_others()
    {
        var before = Enumerable.Range(0, 4).Select(Units).ToArray();
        var plan = await _sync.Sync.PlanAsync(SyncHarness.Connection, Changes(), new QuantityPlanOptions { Approval = PlanApprovalRule.UnderUnits(5) }, Ct);
        plan = plan.Reject(["sub-4"], "Customer disputes the cancellation.");

        var report = await _sync.Sync.ApplyPlanAsync(SyncHarness.Connection, plan, cancellationToken: Ct);

        Assert.Equal([QuantitySyncStatus.Applied, QuantitySyncStatus.NotApproved, QuantitySyncStatus.NotApproved], report.Items.Select(i => i.Status));
        Assert.Equal([0, 1, 2], report.Items.Select(i => i.Index));
        Assert.Contains("Rejected: Customer disputes", report.Items[2].Reason, StringComparison.Ordinal);
        Assert.Contains("Held", report.Items[1].Reason, StringComparison.Ordinal);
        Assert.Equal([before[0] + 2, before[1], before[2], before[3]], Enumerable.Range(0, 4).Select(Units));
        Assert.Single(_sync.Simulator.AppliedAdjustments);
        var audit = Assert.Single(_sync.Audit.Events);
        Assert.Equal(AuditOperations.UpdateSubscriptionQuantity, audit.Operation);
        Assert.Equal(AuditStatus.Succeeded, audit.Status);
    }

    [Fact]
    public async Task An_item_whose_units_changed_since_the_plan_is_stale_and_not_written()
    {
        var before1 = Units(1);
        var plan = (await _sync.Sync.PlanAsync(SyncHarness.Connection, Changes(), cancellationToken: Ct)).Approve(reason: "ops@vendor");
        // Someone changes sub-2 after the plan was made; sub-4 reaches the plan's target by another way.
        await _sync.Sync.SyncAsync(SyncHarness.Connection, [new SubscriptionQuantity("sub-2", before1 + 7, Now), new SubscriptionQuantity("sub-4", plan.Items[2].DesiredUnits, Now)], cancellationToken: Ct);
        var adjustments = _sync.Simulator.AppliedAdjustments.Count;

        var report = await _sync.Sync.ApplyPlanAsync(SyncHarness.Connection, plan, cancellationToken: Ct);

        Assert.Equal([QuantitySyncStatus.Applied, QuantitySyncStatus.Stale, QuantitySyncStatus.Unchanged], report.Items.Select(i => i.Status));
        Assert.Contains($"The plan saw {before1} units, but Autotask bills {before1 + 7} now", report.Items[1].Reason, StringComparison.Ordinal);
        Assert.Equal(before1 + 7, Units(1));
        Assert.Equal(adjustments + 1, _sync.Simulator.AppliedAdjustments.Count);
    }

    [Fact]
    public async Task A_plan_is_applied_once_even_by_two_callers_at_the_same_time()
    {
        var plan = (await _sync.Sync.PlanAsync(SyncHarness.Connection, Changes(), cancellationToken: Ct)).Approve();

        var both = await Task.WhenAll(Attempt(), Attempt());
        var again = await Assert.ThrowsAsync<QuantityPlanException>(() => _sync.Sync.ApplyPlanAsync(SyncHarness.Connection, plan, cancellationToken: Ct));

        Assert.Single(both, e => e is null);
        Assert.Equal(QuantityPlanProblem.AlreadyApplied, Assert.Single(both, e => e is not null)!.Problem);
        Assert.Equal(QuantityPlanProblem.AlreadyApplied, again.Problem);
        Assert.Contains(plan.PlanId, again.Message, StringComparison.Ordinal);
        Assert.Equal(3, _sync.Simulator.AppliedAdjustments.Count);

        async Task<QuantityPlanException?> Attempt()
        {
            try
            {
                await _sync.Sync.ApplyPlanAsync(SyncHarness.Connection, plan, cancellationToken: Ct);
                return null;
            }
            catch (QuantityPlanException ex)
            {
                return ex;
            }
        }
    }

    [Fact]
    public async Task A_plan_of_another_connection_or_database_is_refused_and_nothing_is_written()
    {
        var plan = (await _sync.Sync.PlanAsync(SyncHarness.Connection, Changes(), cancellationToken: Ct)).Approve();

        var otherConnection = await Assert.ThrowsAsync<QuantityPlanException>(() => _sync.Sync.ApplyPlanAsync(SyncHarness.Connection, plan with { Connection = "partner-b" }, cancellationToken: Ct));
        var otherDatabase = await Assert.ThrowsAsync<QuantityPlanException>(() => _sync.Sync.ApplyPlanAsync(SyncHarness.Connection, plan with { DatabaseCi = plan.DatabaseCi + 1 }, cancellationToken: Ct));

        Assert.Equal(QuantityPlanProblem.OtherConnection, otherConnection.Problem);
        Assert.Contains("'partner-b', not 'reseller'", otherConnection.Message, StringComparison.Ordinal);
        Assert.Equal(QuantityPlanProblem.OtherDatabase, otherDatabase.Problem);
        Assert.Empty(_sync.Simulator.AppliedAdjustments);
        // Neither claimed the plan: the right one still applies.
        var report = await _sync.Sync.ApplyPlanAsync(SyncHarness.Connection, plan, cancellationToken: Ct);
        Assert.Equal(3, report.Count(QuantitySyncStatus.Applied));
    }

    [Fact]
    public async Task A_plan_survives_json_and_exports_as_csv()
    {
        var plan = await _sync.Sync.PlanAsync(SyncHarness.Connection, Changes(), new QuantityPlanOptions { Approval = PlanApprovalRule.UnderUnits(5) }, Ct);
        plan = plan.Reject(["sub-4"], "=HYPERLINK(\"x\"), said \"ops\"");

        var read = QuantityPlan.FromJson(plan.ToJson());

        Assert.Equal(plan.Items, read.Items);
        Assert.Equal((plan.PlanId, plan.Connection, plan.DatabaseCi, plan.CreatedAt), (read.PlanId, read.Connection, read.DatabaseCi, read.CreatedAt));
        Assert.Contains("\"decision\":\"Held\"", plan.ToJson(), StringComparison.Ordinal);
        var lines = plan.ToCsv().Split("\r\n");
        Assert.Equal("subscription,contractServiceId,effectiveDate,unitsBefore,desiredUnits,unitChange,decision,reason", lines[0]);
        Assert.Equal($"sub-1,{_subs[0].ContractServiceId},{Today:uuuu-MM-dd},{plan.Items[0].UnitsBefore},{plan.Items[0].DesiredUnits},2,Approved,Approved by rule.", lines[1]);
        // A formula is defused and quotes are doubled.
        Assert.EndsWith(",-1,Rejected,\"'=HYPERLINK(\"\"x\"\"), said \"\"ops\"\"\"", lines[3], StringComparison.Ordinal);
        Assert.Equal(5, lines.Length);

        // The plan read back applies like the original.
        var report = await _sync.Sync.ApplyPlanAsync(SyncHarness.Connection, read, cancellationToken: Ct);
        Assert.Equal([QuantitySyncStatus.Applied, QuantitySyncStatus.NotApproved, QuantitySyncStatus.NotApproved], report.Items.Select(i => i.Status));
    }

    [Fact]
    public async Task Fields_starting_with_a_tab_or_a_carriage_return_are_defused_in_the_csv()
    {
        var plan = await _sync.Sync.PlanAsync(SyncHarness.Connection, Changes(), cancellationToken: Ct);
        plan = plan.Reject(["sub-1"], "\t=1+1").Reject(["sub-2"], "\r=1+1");

        var lines = plan.ToCsv().Split("\r\n");

        // A spreadsheet skips a leading tab or carriage return and runs the formula after it: the field gets an apostrophe, and quotes.
        Assert.EndsWith(",Rejected,\"'\t=1+1\"", lines[1], StringComparison.Ordinal);
        Assert.EndsWith(",Rejected,\"'\r=1+1\"", lines[2], StringComparison.Ordinal);
        Assert.Equal(5, lines.Length);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("{\"planId\":\"p\",\"connection\":\"reseller\",\"databaseCi\":1,\"createdAt\":\"2026-01-01T00:00:00Z\",\"items\":[{\"contractServiceId\":1}]}")]
    [InlineData("null")]
    public void Text_that_is_not_a_plan_is_refused_typed(string json)
    {
        var error = Assert.Throws<QuantityPlanException>(() => QuantityPlan.FromJson(json));

        Assert.Equal(QuantityPlanProblem.Unreadable, error.Problem);
    }

    [Fact]
    public async Task Approving_a_subscription_the_plan_does_not_have_is_refused()
    {
        var plan = await _sync.Sync.PlanAsync(SyncHarness.Connection, Changes(), cancellationToken: Ct);

        var error = Assert.Throws<ArgumentException>(() => plan.Approve(["sub-3"]));

        Assert.Contains("'sub-3' is not in plan", error.Message, StringComparison.Ordinal);
    }
}
