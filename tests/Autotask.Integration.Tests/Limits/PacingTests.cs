using Autotask.Integration.Entities;
using Autotask.Integration.Limits;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Autotask.Integration.Tests.Limits;

/// <summary>
/// The database's hour is shared with the MSP's other integrations: the SDK reads ThresholdInformation and keeps the
/// database's total under the target share, uses the minimum share when others pass it, and stops before the stop share.
/// </summary>
public sealed class PacingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly AutotaskLimitsOptions Defaults = new();

    [Fact]
    public void The_allowance_follows_what_other_integrations_use()
    {
        var pacer = new DatabasePacer("db:1", "1");
        var now = DateTimeOffset.UnixEpoch;

        // No reading yet: the target share of Autotask's default threshold.
        Assert.Equal((4_500, PacingDecision.Unknown), pacer.Allowance(now, Defaults));

        // 3,000 of 10,000 used, 500 of them ours: others use 2,500, leaving 2,000 of the 4,500 target.
        pacer.Record(now, 10_000, 3_000, 500);
        Assert.Equal((2_000, PacingDecision.Share), pacer.Allowance(now, Defaults));

        // Others at 60 %: the minimum share (200) keeps the work going.
        pacer.Record(now, 10_000, 6_000, 0);
        Assert.Equal((200, PacingDecision.Minimum), pacer.Allowance(now, Defaults));

        // Others at 89 %: only what is left below the stop share (90 %).
        pacer.Record(now, 10_000, 8_900, 0);
        Assert.Equal((100, PacingDecision.Minimum), pacer.Allowance(now, Defaults));

        // Others at the stop share: nothing.
        pacer.Record(now, 10_000, 9_000, 0);
        Assert.Equal((0, PacingDecision.Stopped), pacer.Allowance(now, Defaults));
        Assert.Equal(0, pacer.ReadingAllowance(Defaults));

        // A smaller threshold scales every share.
        pacer.Record(now, 1_000, 100, 50);
        Assert.Equal((400, PacingDecision.Share), pacer.Allowance(now, Defaults));
    }

    [Fact]
    public void A_reading_older_than_the_bound_is_not_trusted_and_the_database_is_assumed_busy()
    {
        var pacer = new DatabasePacer("db:1", "1");
        var now = DateTimeOffset.UnixEpoch;
        pacer.Record(now, 10_000, 1_000, 1_000);
        Assert.Equal((4_500, PacingDecision.Share), pacer.Allowance(now + Defaults.ThresholdStaleAfter, Defaults));

        // Readings failed since: after ThresholdStaleAfter the others are assumed at the target share already.
        Assert.True(pacer.TryBeginReading(now + TimeSpan.FromMinutes(1), new AutotaskLimitsOptions { PaceAfterRequests = 0 }));
        pacer.Failed();
        Assert.Equal((200, PacingDecision.Stale), pacer.Allowance(now + Defaults.ThresholdStaleAfter + TimeSpan.FromSeconds(1), Defaults));
    }

    [Fact]
    public void Readings_start_after_PaceAfterRequests_and_come_at_most_once_per_interval()
    {
        var pacer = new DatabasePacer("db:1", "1");
        var options = new AutotaskLimitsOptions { PaceAfterRequests = 2, ThresholdCheckInterval = TimeSpan.FromSeconds(10) };
        var now = DateTimeOffset.UnixEpoch;
        pacer.Counted();
        Assert.False(pacer.TryBeginReading(now, options));
        pacer.Counted();
        Assert.True(pacer.TryBeginReading(now, options));
        Assert.False(pacer.TryBeginReading(now + TimeSpan.FromSeconds(11), options)); // one reading at a time
        pacer.Record(now, 10_000, 0, 0);
        Assert.False(pacer.TryBeginReading(now + TimeSpan.FromSeconds(9), options));
        Assert.True(pacer.TryBeginReading(now + TimeSpan.FromSeconds(10), options));
    }

    [Fact]
    public async Task A_database_already_at_45_percent_from_other_integrations_stays_under_the_configured_share()
    {
        // A database of 1,000 requests an hour, 450 of them used by other integrations; this vendor may bring the total
        // to 50 %. Readings come after five requests and then every second.
        await using var simulator = AutotaskSimulator.Create(new AutotaskSimulatorOptions { HourlyRequestLimit = 1_000, DataSet = SimulatorDataSet.Companies(30) });
        simulator.AddOtherIntegrationRequests(450);
        await using var instance = LimitsInstance.Create(simulator, limits: l =>
        {
            l.TargetShare = 0.5;
            l.PaceAfterRequests = 5;
            l.ThresholdCheckInterval = TimeSpan.FromSeconds(1);
        });
        using var allowance = new MetricCollector<int>(instance.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), AutotaskTelemetry.MeterName, "autotask.limits.allowance");

        // Three callers read for 2.5 seconds: far more than 50 reads are asked for.
        var reads = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        stop.CancelAfter(TimeSpan.FromSeconds(2.5));
        await Task.WhenAll(Enumerable.Range(0, 3).Select(async caller =>
        {
            try
            {
                while (true)
                {
                    await instance.Client().GetAsync<Company>(1 + caller, stop.Token);
                    Interlocked.Increment(ref reads);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }));

        var readings = (int)simulator.RequestsByEntity.GetValueOrDefault("ThresholdInformation");
        var total = simulator.RequestsInCurrentHour;
        Assert.True(readings >= 1, "ThresholdInformation was never read");
        Assert.True(total - readings <= 500, $"the database reached {total} requests ({readings} of them readings): more than 50 % without the readings");
        Assert.True(total <= 500 + readings, $"the database reached {total} requests");
        Assert.True(total >= 490, $"the database reached only {total}: the vendor did not use its share");
        Assert.Equal(total - 450 - readings, reads);
        Assert.Contains("pacing is now share", instance.LogText(), StringComparison.Ordinal);
        allowance.RecordObservableInstruments();
        // 500 less the 450 of others, estimated on the safe side: the reading itself counts as another integration's.
        var last = allowance.LastMeasurement!;
        Assert.InRange(last.Value, 48, 50);
        Assert.Equal("share", last.Tags["autotask.pacing.decision"]);
        Assert.Equal(simulator.Options.DatabaseId.ToString(System.Globalization.CultureInfo.InvariantCulture), last.Tags["autotask.database"]);
    }

    [Fact]
    public async Task A_database_at_the_stop_share_gets_no_more_requests_until_its_hour_clears()
    {
        await using var simulator = AutotaskSimulator.Create(new AutotaskSimulatorOptions { HourlyRequestLimit = 1_000, DataSet = SimulatorDataSet.Companies(30) });
        simulator.AddOtherIntegrationRequests(900);
        await using var instance = LimitsInstance.Create(simulator, limits: l =>
        {
            l.PaceAfterRequests = 1;
            l.ThresholdCheckInterval = TimeSpan.FromSeconds(1);
        });

        // The first request goes before anything is known, and brings the first reading.
        await instance.Client().GetAsync<Company>(1, Ct);
        await Wait.UntilAsync(() => simulator.RequestsByEntity.GetValueOrDefault("ThresholdInformation") >= 1);
        await Task.Delay(200, Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        stop.CancelAfter(TimeSpan.FromSeconds(1.5));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => instance.Client().GetAsync<Company>(2, stop.Token));

        Assert.Equal(1, simulator.RequestsByEntity["Companies"]);
        Assert.Contains("pacing is now stopped", instance.LogText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_ThresholdInformation_cannot_be_read_the_database_is_assumed_busy_and_work_goes_on_at_the_minimum_share()
    {
        await using var simulator = AutotaskSimulator.Create(new AutotaskSimulatorOptions { DataSet = SimulatorDataSet.Companies(30) });
        simulator.Faults.Randomly(SimulatorFault.ServerError, 1.0, r => r.Entity == "ThresholdInformation");
        await using var instance = LimitsInstance.Create(simulator, limits: l =>
        {
            l.PaceAfterRequests = 5;
            l.ThresholdCheckInterval = TimeSpan.FromSeconds(1);
        }, connection: c => c.MaxRetryAttempts = 0);
        using var allowance = new MetricCollector<int>(instance.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), AutotaskTelemetry.MeterName, "autotask.limits.allowance");

        // Twenty reads: the first reading fails after five, and the rest go on at the minimum share (200 of 10,000).
        for (var i = 0; i < 20; i++)
        {
            await instance.Client().GetAsync<Company>(1 + (i % 30), Ct);
        }

        Assert.Equal(20, simulator.RequestsByEntity["Companies"]);
        Assert.Contains("ThresholdInformation could not be read", instance.LogText(), StringComparison.Ordinal);
        allowance.RecordObservableInstruments();
        Assert.Equal(200, allowance.LastMeasurement!.Value);
        Assert.Equal("stale", allowance.LastMeasurement.Tags["autotask.pacing.decision"]);
    }
}
