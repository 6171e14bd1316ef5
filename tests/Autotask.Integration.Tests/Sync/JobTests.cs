using Autotask.Integration.Alerts;
using Autotask.Integration.Auditing;
using Autotask.Integration.Entities;
using Autotask.Integration.Inbound;
using Autotask.Integration.Jobs;
using Autotask.Integration.Mapping;
using Autotask.Integration.Sync;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using NodaTime;

namespace Autotask.Integration.Tests.Sync;

/// <summary>The jobs a vendor's scheduler calls, one call per connection, each recorded in the connection's history.</summary>
public sealed class JobTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task After_downtime_every_missed_invoice_date_is_billed_in_turn_and_recorded()
    {
        var zone = DateTimeZoneProviders.Tzdb["Europe/London"];
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 1, 30, 9, 0, 0, TimeSpan.Zero));
        var source = new UsageBillingTests.ScriptedUsage(clock, zone);
        var (sync, lines) = await UsageBillingTests.HarnessAsync("Europe/London", clock, s => s.AddSingleton<IUsageSource>(source));
        await using var _ = sync;
        var jobs = sync.Services.GetRequiredService<IAutotaskJobs>();
        var progress = new List<JobProgress>();
        var meters = sync.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var runsMetric = new MetricCollector<long>(meters, AutotaskTelemetry.MeterName, "autotask.jobs.runs");
        using var writesMetric = new MetricCollector<long>(meters, AutotaskTelemetry.MeterName, "autotask.jobs.writes");

        var first = await jobs.BillUsageAsync(SyncHarness.Connection, cancellationToken: Ct);
        clock.Advance(TimeSpan.FromDays(92)); // down from 30 January to 1 May: three invoice dates missed
        var caughtUp = await jobs.BillUsageAsync(SyncHarness.Connection, new SyncProgressSink(progress), Ct);
        var nothingDue = await jobs.BillUsageAsync(SyncHarness.Connection, cancellationToken: Ct);

        Assert.Equal([new LocalDate(2028, 1, 30), new LocalDate(2028, 2, 29), new LocalDate(2028, 3, 30), new LocalDate(2028, 4, 30)], source.Billed.Select(b => b.Period.InvoiceDate));
        Assert.Equal("Billed 2028-02-29, 2028-03-30, 2028-04-30.", caughtUp.Detail);
        Assert.Equal((JobOutcome.Succeeded, 6, 0), (caughtUp.Outcome, caughtUp.Items, caughtUp.Failed));
        Assert.Equal(sync.Simulator.AppliedAdjustments.Count - first.Writes, caughtUp.Writes);
        Assert.StartsWith("Nothing due", nothingDue.Detail, StringComparison.Ordinal);
        foreach (var date in source.Billed.Select(b => b.Period.InvoiceDate))
        {
            Assert.Equal(UsageBillingTests.Rule.UnitsFor(UsageBillingTests.GigabytesFor("usage-a", date)), sync.UnitsOn(lines[0], date));
        }

        // Progress: items done never go back and end at the total; the history has the three runs, newest first.
        Assert.Equal(progress.Select(p => p.Done).Order(), progress.Select(p => p.Done));
        Assert.Equal((6, 6), (progress[^1].Done, progress[^1].Total));
        var runs = await jobs.GetRunsAsync(SyncHarness.Connection, cancellationToken: Ct);
        Assert.Equal([nothingDue.RunId, caughtUp.RunId, first.RunId], runs.Select(r => r.RunId));
        Assert.All(runs, r => Assert.Equal(AutotaskJobNames.UsageBilling, r.Job));
        Assert.All(runs, r => Assert.NotNull(r.CompletedAt));
        Assert.Equal(caughtUp, runs[1]);
        Assert.Empty(await jobs.GetRunsAsync(SyncHarness.Connection, AutotaskJobNames.DailyDigest, Ct));

        // The same counts as metrics, tagged by connection, job and outcome.
        Assert.Equal(3, runsMetric.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.All(runsMetric.GetMeasurementSnapshot(), m => Assert.Equal((SyncHarness.Connection, AutotaskJobNames.UsageBilling, "Succeeded"),
            ((string)m.Tags["autotask.connection"]!, (string)m.Tags["autotask.job"]!, (string)m.Tags["autotask.job.outcome"]!)));
        Assert.Equal(first.Writes + caughtUp.Writes, writesMetric.GetMeasurementSnapshot().Sum(m => m.Value));
    }

    [Fact]
    public async Task A_last_billed_date_that_cannot_be_read_counts_as_nothing_billed_and_is_written_again()
    {
        var zone = DateTimeZoneProviders.Tzdb["Etc/UTC"];
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 3, 31, 9, 0, 0, TimeSpan.Zero));
        var source = new UsageBillingTests.ScriptedUsage(clock, zone);
        var (sync, _) = await UsageBillingTests.HarnessAsync("Etc/UTC", clock, s => s.AddSingleton<IUsageSource>(source));
        await using var __ = sync;
        await sync.Store.SetStateAsync(SyncHarness.Connection, AutotaskJobs.LastBilledKey, "not a date", 0, Ct);
        var jobs = sync.Services.GetRequiredService<IAutotaskJobs>();

        var run = await jobs.BillUsageAsync(SyncHarness.Connection, cancellationToken: Ct);
        var again = await jobs.BillUsageAsync(SyncHarness.Connection, cancellationToken: Ct);

        Assert.Equal("Billed 2028-03-30.", run.Detail);
        Assert.StartsWith("Nothing due", again.Detail, StringComparison.Ordinal);
        var status = await jobs.GetUsageBillingStatusAsync(SyncHarness.Connection, Ct);
        Assert.Equal((new LocalDate(2028, 3, 30), 0, 0), (status.SettledThrough, status.Due.Count, status.FailedAttempts));
    }

    [Fact]
    public async Task A_period_whose_writes_autotask_refused_stays_due_and_later_runs_bill_it_once_in_order()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 2, 29, 9, 0, 0, TimeSpan.Zero));
        // usage-a changes every period; usage-b bills nothing and is settled at once (Autotask already bills 0 units).
        var source = new MutableUsage { Figures = { ["usage-a"] = 5.2, ["usage-b"] = 0 } };
        var (sync, lines) = await UsageBillingTests.HarnessAsync("Etc/UTC", clock, s => s.AddSingleton<IUsageSource>(source));
        await using var _ = sync;
        var jobs = sync.Services.GetRequiredService<IAutotaskJobs>();
        var (february, march) = (new LocalDate(2028, 2, 29), new LocalDate(2028, 3, 30));

        // Every adjustment is answered HTTP 500: usage-a's write of February fails (after the engine's own attempts).
        sync.Simulator.Faults.Randomly(SimulatorFault.ServerError, 1.0, r => r.IsWrite);
        var refused = await jobs.BillUsageAsync(SyncHarness.Connection, cancellationToken: Ct);
        var retriedInThePeriod = await jobs.BillUsageAsync(SyncHarness.Connection, cancellationToken: Ct);

        Assert.Equal((JobOutcome.PartlySucceeded, 1, 0), (refused.Outcome, refused.Failed, refused.Writes));
        Assert.Equal([february], refused.PeriodsDue);
        Assert.Equal("Billed 2028-02-29 partly (1 item(s) not settled: due again). Still due: 2028-02-29.", refused.Detail);
        // The retry within the period bills what is left of it only: usage-a, not usage-b again.
        Assert.Equal((JobOutcome.PartlySucceeded, 1), (retriedInThePeriod.Outcome, retriedInThePeriod.Items));
        Assert.Equal([february], retriedInThePeriod.PeriodsDue);
        var due = await jobs.GetUsageBillingStatusAsync(SyncHarness.Connection, Ct);
        Assert.Null(due.SettledThrough);
        Assert.Equal(2, due.FailedAttempts);
        var open = Assert.Single(Assert.Single(due.Due).Unsettled);
        Assert.Equal(("usage-a", QuantitySyncStatus.Failed, false), (open.VendorSubscriptionId, open.Status, open.HeldBack));
        Assert.Equal(1, due.Due[0].SettledItems);
        Assert.Empty(sync.Simulator.AppliedAdjustments);

        // The next invoice date comes with Autotask still refusing: February is billed again, March's usage-a waits behind it.
        clock.SetUtcNow(new DateTimeOffset(2028, 3, 30, 9, 0, 0, TimeSpan.Zero));
        source.ByPeriod[march] = new() { ["usage-a"] = 7.5, ["usage-b"] = 0 };
        var stillRefused = await jobs.BillUsageAsync(SyncHarness.Connection, cancellationToken: Ct);
        var held = await jobs.GetUsageBillingStatusAsync(SyncHarness.Connection, Ct);
        Assert.Equal([february, march], stillRefused.PeriodsDue);
        Assert.Equal([february, march], held.Due.Select(d => d.InvoiceDate));
        Assert.True(Assert.Single(held.Due[1].Unsettled).HeldBack);

        // Autotask takes writes again: one run bills February's usage-a, then March's, once each, in order.
        sync.Simulator.Faults.Clear();
        var billed = await jobs.BillUsageAsync(SyncHarness.Connection, cancellationToken: Ct);
        var again = await jobs.BillUsageAsync(SyncHarness.Connection, cancellationToken: Ct);

        Assert.Equal((JobOutcome.Succeeded, 2, "Billed 2028-02-29, 2028-03-30."), (billed.Outcome, billed.Writes, billed.Detail));
        Assert.Empty(billed.PeriodsDue!);
        Assert.StartsWith("Nothing due", again.Detail, StringComparison.Ordinal);
        Assert.Equal([6, 2], sync.Simulator.Data.AdjustmentsOf(lines[0].ContractServiceId).Select(a => a.UnitChange));
        Assert.Equal([february, march], sync.Simulator.Data.AdjustmentsOf(lines[0].ContractServiceId).Select(a => a.EffectiveDate));
        Assert.Empty(sync.Simulator.Data.AdjustmentsOf(lines[1].ContractServiceId));
        Assert.Equal((6, 8), (sync.UnitsOn(lines[0], february), sync.UnitsOn(lines[0], march)));
        var settled = await jobs.GetUsageBillingStatusAsync(SyncHarness.Connection, Ct);
        Assert.Equal((march, 0, 0), (settled.SettledThrough, settled.Due.Count, settled.FailedAttempts));

        // The run history and the audit show the period partly billed, then billed.
        var runs = await jobs.GetRunsAsync(SyncHarness.Connection, AutotaskJobNames.UsageBilling, Ct);
        Assert.Equal([JobOutcome.Succeeded, JobOutcome.Succeeded, JobOutcome.PartlySucceeded, JobOutcome.PartlySucceeded, JobOutcome.PartlySucceeded], runs.Select(r => r.Outcome));
        var periods = sync.Audit.Events.Where(e => e.Operation == AuditOperations.BillUsagePeriod).ToList();
        Assert.Equal([AuditStatus.Failed, AuditStatus.Failed, AuditStatus.Failed, AuditStatus.Failed, AuditStatus.Succeeded, AuditStatus.Succeeded], periods.Select(e => e.Status));
        Assert.Contains("usage-a (Failed:", periods[0].Details, StringComparison.Ordinal);
        Assert.Contains("usage-a (held back)", periods[3].Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_person_settles_a_period_that_autotask_keeps_refusing_and_the_next_run_bills_the_periods_after_it()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 2, 29, 9, 0, 0, TimeSpan.Zero));
        var source = new MutableUsage { Figures = { ["usage-a"] = 5.2, ["usage-b"] = 3 } };
        var (sync, lines) = await UsageBillingTests.HarnessAsync("Etc/UTC", clock, s => s.AddSingleton<IUsageSource>(source));
        await using var _ = sync;
        var jobs = sync.Services.GetRequiredService<IAutotaskJobs>();
        sync.Simulator.Faults.Randomly(SimulatorFault.ServerError, 1.0, r => r.IsWrite);
        await jobs.BillUsageAsync(SyncHarness.Connection, cancellationToken: Ct);

        // Refused: a period not yet come, a day that is no invoice date, a decision without who or why.
        await Assert.ThrowsAsync<ArgumentException>(() => jobs.SettleUsagePeriodAsync(SyncHarness.Connection, new LocalDate(2028, 3, 30), "ops", "later", cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => jobs.SettleUsagePeriodAsync(SyncHarness.Connection, new LocalDate(2028, 2, 28), "ops", "no", cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => jobs.SettleUsagePeriodAsync(SyncHarness.Connection, new LocalDate(2028, 2, 29), " ", "why", cancellationToken: Ct));

        // usage-b alone first: usage-a stays due.
        var partly = await jobs.SettleUsagePeriodAsync(SyncHarness.Connection, new LocalDate(2028, 2, 29), "ops@vendor", "the partner credits usage-b by hand", ["usage-b"], Ct);
        Assert.Equal(["usage-a"], Assert.Single(partly.Due).Unsettled.Select(u => u.VendorSubscriptionId));
        var whole = await jobs.SettleUsagePeriodAsync(SyncHarness.Connection, new LocalDate(2028, 2, 29), "ops@vendor", "the contract was cancelled; February is not billed", cancellationToken: Ct);
        var twice = await jobs.SettleUsagePeriodAsync(SyncHarness.Connection, new LocalDate(2028, 2, 29), "ops@vendor", "again", cancellationToken: Ct);

        Assert.Equal((new LocalDate(2028, 2, 29), 0), (whole.SettledThrough, whole.Due.Count));
        Assert.Equal((whole.SettledThrough, whole.Due.Count), (twice.SettledThrough, twice.Due.Count));
        var decisions = sync.Audit.Events.Where(e => e.Operation == AuditOperations.SettleUsagePeriod).ToList();
        Assert.Equal([AuditStatus.Succeeded, AuditStatus.Succeeded, AuditStatus.Skipped], decisions.Select(e => e.Status));
        Assert.Contains("settled as it is by ops@vendor: the contract was cancelled; February is not billed. Not billed: usage-a (Failed:", decisions[1].Details, StringComparison.Ordinal);

        // March is billed as usual, from the units Autotask kept.
        sync.Simulator.Faults.Clear();
        clock.SetUtcNow(new DateTimeOffset(2028, 3, 30, 9, 0, 0, TimeSpan.Zero));
        var march = await jobs.BillUsageAsync(SyncHarness.Connection, cancellationToken: Ct);
        Assert.Equal(("Billed 2028-03-30.", 2), (march.Detail, march.Writes));
        Assert.Equal((0, 6, 3), (sync.UnitsOn(lines[0], new LocalDate(2028, 2, 29)), sync.UnitsOn(lines[0], new LocalDate(2028, 3, 30)), sync.UnitsOn(lines[1], new LocalDate(2028, 3, 30))));
    }

    [Fact]
    public async Task A_usage_source_that_throws_leaves_the_period_due_with_its_error_and_counts_the_attempt()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 2, 29, 9, 0, 0, TimeSpan.Zero));
        var source = new MutableUsage { Figures = { ["usage-a"] = 5.2 }, Failures = 2 };
        var (sync, lines) = await UsageBillingTests.HarnessAsync("Etc/UTC", clock, s => s.AddSingleton<IUsageSource>(source));
        await using var _ = sync;
        var jobs = sync.Services.GetRequiredService<IAutotaskJobs>();

        await Assert.ThrowsAsync<HttpRequestException>(() => jobs.BillUsageAsync(SyncHarness.Connection, cancellationToken: Ct));
        await Assert.ThrowsAsync<HttpRequestException>(() => jobs.BillUsageAsync(SyncHarness.Connection, cancellationToken: Ct));
        var due = await jobs.GetUsageBillingStatusAsync(SyncHarness.Connection, Ct);
        var run = await jobs.BillUsageAsync(SyncHarness.Connection, cancellationToken: Ct);

        var period = Assert.Single(due.Due);
        Assert.Equal((new LocalDate(2028, 2, 29), false, "HttpRequestException: usage API down", 2), (period.InvoiceDate, period.Billed, period.Error, due.FailedAttempts));
        var runs = await jobs.GetRunsAsync(SyncHarness.Connection, AutotaskJobNames.UsageBilling, Ct);
        Assert.Equal([JobOutcome.Succeeded, JobOutcome.Failed, JobOutcome.Failed], runs.Select(r => r.Outcome));
        Assert.Equal([new LocalDate(2028, 2, 29)], runs[1].PeriodsDue);
        Assert.Equal(("Billed 2028-02-29.", 6), (run.Detail, sync.UnitsOn(lines[0], new LocalDate(2028, 2, 29))));
        Assert.Equal(0, (await jobs.GetUsageBillingStatusAsync(SyncHarness.Connection, Ct)).FailedAttempts);
    }

    [Fact]
    public async Task A_failing_run_is_recorded_with_its_error_and_its_exception_reaches_the_scheduler()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 3, 30, 12, 0, 0, TimeSpan.Zero));
        var (sync, _) = await UsageBillingTests.HarnessAsync("Etc/UTC", clock, s => s.AddSingleton<IQuantitySource>(new Quantities(() => throw new InvalidOperationException("vendor API down"))));
        await using var __ = sync;
        var jobs = sync.Services.GetRequiredService<IAutotaskJobs>();

        await Assert.ThrowsAsync<InvalidOperationException>(() => jobs.SyncQuantitiesAsync(SyncHarness.Connection, cancellationToken: Ct));
        using var cancelled = new CancellationTokenSource();
        var cancelling = new Quantities(() => { cancelled.Cancel(); cancelled.Token.ThrowIfCancellationRequested(); return []; });
        await using var other = (await UsageBillingTests.HarnessAsync("Etc/UTC", clock, s => s.AddSingleton<IQuantitySource>(cancelling))).Sync;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => other.Services.GetRequiredService<IAutotaskJobs>().SyncQuantitiesAsync(SyncHarness.Connection, cancellationToken: cancelled.Token));

        var failed = Assert.Single(await jobs.GetRunsAsync(SyncHarness.Connection, AutotaskJobNames.QuantitySync, Ct));
        Assert.Equal(JobOutcome.Failed, failed.Outcome);
        Assert.Equal("InvalidOperationException: vendor API down", failed.Error);
        Assert.NotNull(failed.CompletedAt);
        var stopped = Assert.Single(await other.Services.GetRequiredService<IAutotaskJobs>().GetRunsAsync(SyncHarness.Connection, cancellationToken: Ct));
        Assert.Equal(JobOutcome.Cancelled, stopped.Outcome);
    }

    [Fact]
    public async Task The_store_lost_in_the_middle_of_a_job_fails_the_run_and_the_next_run_settles_it_without_a_second_adjustment()
    {
        var store = new LosingStore(new InMemoryMappingStore());
        Func<IReadOnlyList<SubscriptionQuantity>> wanted = () => [];
        var source = new Quantities(() => wanted()) { Lease = TimeSpan.Zero };
        await using var sync = SyncHarness.Create(configure: b => b.UseMappingStore(store).Services.AddSingleton<IQuantitySource>(source));
        var subs = await sync.MapSubscriptionsAsync(2);
        var today = SyncHarness.TodayUtc;
        var before = subs.Select(s => sync.UnitsOn(s, today)).ToArray();
        wanted = () => [new("sub-1", before[0] + 4, SyncHarness.Today), new("sub-2", before[1] + 6, SyncHarness.Today)];
        var jobs = sync.Services.GetRequiredService<IAutotaskJobs>();
        var adjustments = sync.Simulator.AppliedAdjustments.Count;

        // The database goes away after the adjustments are written and before the ledger records them.
        store.Lost = true;
        var lost = await Assert.ThrowsAsync<MappingStoreException>(() => jobs.SyncQuantitiesAsync(SyncHarness.Connection, cancellationToken: Ct));
        // The first write to settle failed the run; the other may have been written before, or stopped before it was sent.
        var writtenByTheLostRun = sync.Simulator.AppliedAdjustments.Count - adjustments;
        store.Lost = false;
        var next = await jobs.SyncQuantitiesAsync(SyncHarness.Connection, cancellationToken: Ct);

        Assert.Contains("connection to the database was lost", lost.Message, StringComparison.Ordinal);
        Assert.InRange(writtenByTheLostRun, 1, 2);
        Assert.Equal([before[0] + 4, before[1] + 6], subs.Select(s => sync.UnitsOn(s, today)));
        // Each change once in all: the next run writes only what the lost one had not.
        Assert.Equal(adjustments + 2, sync.Simulator.AppliedAdjustments.Count);
        Assert.Equal((JobOutcome.Succeeded, 2 - writtenByTheLostRun), (next.Outcome, next.Writes));
        var runs = await jobs.GetRunsAsync(SyncHarness.Connection, cancellationToken: Ct);
        Assert.Equal([JobOutcome.Succeeded, JobOutcome.Failed], runs.Select(r => r.Outcome));
        Assert.Contains("MappingStoreException", runs[1].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_without_its_source_is_a_configuration_error_and_runs_nothing()
    {
        await using var sync = SyncHarness.Create();
        var jobs = sync.Services.GetRequiredService<IAutotaskJobs>();

        var usage = await Assert.ThrowsAsync<AutotaskConfigurationException>(() => jobs.BillUsageAsync(SyncHarness.Connection, cancellationToken: Ct));
        var digest = await Assert.ThrowsAsync<AutotaskConfigurationException>(() => jobs.SendDailyDigestAsync(SyncHarness.Connection, cancellationToken: Ct));
        await Assert.ThrowsAsync<AutotaskConfigurationException>(() => jobs.SyncQuantitiesAsync(SyncHarness.Connection, cancellationToken: Ct));
        await Assert.ThrowsAsync<AutotaskConfigurationException>(() => jobs.PollInboundAsync(SyncHarness.Connection, cancellationToken: Ct));
        await Assert.ThrowsAsync<AutotaskConnectionNotFoundException>(() => jobs.GetRunsAsync("nobody", cancellationToken: Ct));

        Assert.Contains("IUsageSource", usage.Message, StringComparison.Ordinal);
        Assert.Contains("IDigestSource", digest.Message, StringComparison.Ordinal);
        Assert.Empty(await jobs.GetRunsAsync(SyncHarness.Connection, cancellationToken: Ct));
        Assert.Empty(sync.Simulator.Requests);
    }

    [Fact]
    public async Task The_quantity_job_applies_what_its_rule_approves_and_hands_the_held_plan_on()
    {
        Func<IReadOnlyList<SubscriptionQuantity>> wanted = () => [];
        var source = new Quantities(() => wanted()) { Rule = PlanApprovalRule.UnderUnits(10) };
        await using var sync = SyncHarness.Create(configure: b => b.Services.AddSingleton<IQuantitySource>(source));
        var subs = await sync.MapSubscriptionsAsync(3);
        var today = SyncHarness.TodayUtc;
        var before = subs.Select(s => sync.UnitsOn(s, today)).ToArray();
        wanted = () => [new("sub-1", before[0] + 1, SyncHarness.Today), new("sub-2", before[1] + 50, SyncHarness.Today), new("sub-3", before[2], SyncHarness.Today)];

        var run = await sync.Services.GetRequiredService<IAutotaskJobs>().SyncQuantitiesAsync(SyncHarness.Connection, cancellationToken: Ct);

        Assert.Equal(before[0] + 1, sync.UnitsOn(subs[0], today));
        Assert.Equal(before[1], sync.UnitsOn(subs[1], today));
        var held = Assert.Single(source.Held);
        Assert.Equal(["sub-2"], held.Items.Select(i => i.VendorSubscriptionId));
        Assert.Equal(PlanDecision.Held, held.Items[0].Decision);
        Assert.Equal((JobOutcome.Succeeded, 3, 1), (run.Outcome, run.Items, run.Writes));
        Assert.EndsWith($"1 approved by rule and applied; 1 held for approval in plan {held.PlanId}.", run.Detail, StringComparison.Ordinal);

        // A person approves the held item later; the plan applies once.
        var report = await sync.Sync.ApplyPlanAsync(SyncHarness.Connection, held.Approve(["sub-2"], "ops"), cancellationToken: Ct);
        Assert.Equal(QuantitySyncStatus.Applied, Assert.Single(report.Items).Status);
        Assert.Equal(before[1] + 50, sync.UnitsOn(subs[1], today));
    }

    [Fact]
    public async Task The_digest_job_sends_one_ticket_per_customer_for_yesterday_in_the_instances_zone()
    {
        var simulator = AutotaskSimulator.Create();
        var companies = simulator.Data.All<Company>().Take(2).ToArray();
        // 03:00 UTC on 2 March is still 1 March in New York: the digest is of 28 February.
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 3, 2, 3, 0, 0, TimeSpan.Zero));
        var digests = new Digests();
        await using var sync = SyncHarness.For(simulator, c => c.TimeZone = "America/New_York", configure: b =>
        {
            b.AddAlertTickets(o => o.For(SyncHarness.Connection, m => m.DailyDigest = new AlertTicketRule { Priority = "Low", Queue = "Monitoring Alert", DaysUntilDue = 1 }));
            b.Services.AddSingleton<TimeProvider>(clock).AddSingleton<IDigestSource>(digests);
        });
        foreach (var (company, i) in companies.Select((c, i) => (c, i)))
        {
            await sync.Store.AddCustomerAsync(new CustomerMapping { Connection = SyncHarness.Connection, VendorCustomerId = $"org-{i}", CompanyId = company.Id }, Ct);
        }

        var jobs = sync.Services.GetRequiredService<IAutotaskJobs>();
        var run = await jobs.SendDailyDigestAsync(SyncHarness.Connection, cancellationToken: Ct);
        var again = await jobs.SendDailyDigestAsync(SyncHarness.Connection, cancellationToken: Ct);

        Assert.Equal([new LocalDate(2028, 2, 29), new LocalDate(2028, 2, 29)], digests.Days);
        Assert.Equal(2, simulator.Data.All<Ticket>().Count);
        Assert.Equal((JobOutcome.PartlySucceeded, 3, 2, 1), (run.Outcome, run.Items, run.Writes, run.Failed));
        Assert.Equal(2, again.Writes);
        Assert.Equal(2, simulator.Data.All<Ticket>().Count);
    }

    [Fact]
    public async Task The_inbound_poll_delivers_changes_once_and_counts_them()
    {
        var handler = new Inbound();
        await using var sync = SyncHarness.Create(configure: b => b.Services.AddSingleton<IInboundHandler>(handler));
        var jobs = sync.Services.GetRequiredService<IAutotaskJobs>();

        var first = await jobs.PollInboundAsync(SyncHarness.Connection, cancellationToken: Ct);
        var second = await jobs.PollInboundAsync(SyncHarness.Connection, cancellationToken: Ct);

        Assert.True(handler.Customers > 0 && handler.Contracts > 0);
        Assert.Equal(handler.Customers + handler.Contracts, first.Items);
        Assert.Equal(0, second.Items);
        Assert.Equal(JobOutcome.Succeeded, second.Outcome);
    }

    /// <summary>A usage source whose figures a test sets (per period, or for all); the first <see cref="Failures"/> reads of usage throw, as a vendor's API down.</summary>
    internal sealed class MutableUsage : IUsageSource
    {
        private int _failures;

        public Dictionary<string, double> Figures { get; } = [];

        public Dictionary<LocalDate, Dictionary<string, double>> ByPeriod { get; } = [];

        public int Failures { get => Volatile.Read(ref _failures); set => Volatile.Write(ref _failures, value); }

        public ValueTask<UsageBillingOptions?> GetBillingOptionsAsync(string connection, CancellationToken cancellationToken) =>
            ValueTask.FromResult<UsageBillingOptions?>(new UsageBillingOptions { Calendar = UsageBillingTests.Calendar, Units = new UsageUnits() });

        public ValueTask<IReadOnlyList<SubscriptionUsage>> GetUsageAsync(string connection, BillingPeriod period, CancellationToken cancellationToken)
        {
            if (Interlocked.Decrement(ref _failures) >= 0)
            {
                throw new HttpRequestException("usage API down");
            }

            lock (Figures)
            {
                var figures = ByPeriod.TryGetValue(period.InvoiceDate, out var own) ? own : Figures;
                return ValueTask.FromResult<IReadOnlyList<SubscriptionUsage>>(figures.Select(f => new SubscriptionUsage(f.Key, f.Value)).ToArray());
            }
        }
    }

    private sealed class SyncProgressSink(List<JobProgress> seen) : IProgress<JobProgress>
    {
        public void Report(JobProgress value)
        {
            lock (seen)
            {
                seen.Add(value);
            }
        }
    }

    private sealed class Quantities(Func<IReadOnlyList<SubscriptionQuantity>> read) : IQuantitySource
    {
        public PlanApprovalRule? Rule { get; init; }

        public TimeSpan? Lease { get; init; }

        public QuantitySyncOptions GetSyncOptions(string connection) => Lease is { } lease ? new QuantitySyncOptions { PendingLease = lease } : new QuantitySyncOptions();

        public List<QuantityPlan> Held { get; } = [];

        public ValueTask<IReadOnlyList<SubscriptionQuantity>> GetQuantitiesAsync(string connection, CancellationToken cancellationToken) => ValueTask.FromResult(read());

        public PlanApprovalRule? GetApprovalRule(string connection) => Rule;

        public ValueTask OnHeldAsync(string connection, QuantityPlan plan, CancellationToken cancellationToken)
        {
            Held.Add(plan);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A store whose database can be lost: while <see cref="Lost"/>, settling a ledger entry fails as a dropped connection does.</summary>
    private sealed class LosingStore(IMappingStore inner) : DelegatingMappingStore(inner)
    {
        public volatile bool Lost;

        public override Task<long> SettleAdjustmentAsync(string connection, string operationId, AdjustmentState state, long? adjustmentId, CancellationToken cancellationToken = default) =>
            Lost ? throw new MappingStoreException("The connection to the database was lost.") : base.SettleAdjustmentAsync(connection, operationId, state, adjustmentId, cancellationToken);
    }

    private sealed class Digests : IDigestSource
    {
        public List<LocalDate> Days { get; } = [];

        public ValueTask<IReadOnlyList<CustomerDigest>> GetDigestsAsync(string connection, LocalDate day, CancellationToken cancellationToken)
        {
            Days.Add(day);
            Alert Event(string customer, string key) => new()
            {
                VendorCustomerId = customer, AlertKey = key, Severity = AlertSeverity.Warning, Title = "Backup job finished with warnings", OccurredAt = Instant.FromUtc(2028, 2, 29, 15, 0),
            };
            return ValueTask.FromResult<IReadOnlyList<CustomerDigest>>(
                [new("org-0", [Event("org-0", "a"), Event("org-0", "b")]), new("org-1", [Event("org-1", "c")]), new("org-unmapped", [Event("org-unmapped", "d")])]);
        }
    }

    private sealed class Inbound : IInboundHandler
    {
        public int Customers;
        public int Contracts;

        public ValueTask OnCustomerAsync(string connection, CustomerChange change, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Customers);
            return ValueTask.CompletedTask;
        }

        public ValueTask OnContractAsync(string connection, ContractChange change, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Contracts);
            return ValueTask.CompletedTask;
        }
    }
}
