using System.Diagnostics;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Autotask.Integration.Tests.Diagnostics;

public sealed class TelemetryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Requests_retries_and_durations_are_measured_without_credentials()
    {
        // Metrics are process-wide and other tests run alongside: this test's connection name is its own.
        var name = "telemetry-" + Guid.NewGuid().ToString("N")[..8];
        await using var sim = SimulatorHarness.Create(name: name);
        using var requests = new MetricCollector<long>(null, AutotaskTelemetry.MeterName, "autotask.client.requests");
        using var retries = new MetricCollector<long>(null, AutotaskTelemetry.MeterName, "autotask.client.retries");
        using var duration = new MetricCollector<double>(null, AutotaskTelemetry.MeterName, "autotask.client.request.duration");
        sim.Simulator.Faults.Next(SimulatorFault.ServiceUnavailable, when: r => r.Entity == "Companies");

        await sim.Client.GetAsync<Company>(1, Ct);

        var mine = requests.GetMeasurementSnapshot().Where(m => Equals(m.Tags["autotask.connection"], name)).ToList();
        var request = Assert.Single(mine);
        Assert.Equal("Companies", request.Tags["autotask.entity"]);
        Assert.Equal("Get", request.Tags["autotask.operation"]);
        Assert.Equal(200, request.Tags["http.response.status_code"]);
        Assert.Contains(retries.GetMeasurementSnapshot(), m => Equals(m.Tags["autotask.connection"], name) && Equals(m.Tags["autotask.reason"], "HTTP 503"));
        Assert.Contains(duration.GetMeasurementSnapshot(), m => Equals(m.Tags["autotask.connection"], name) && m.Value >= 0);
        Assert.All(mine.SelectMany(m => m.Tags.Values), v => Assert.DoesNotContain(sim.Simulator.Options.Secret, v?.ToString() ?? "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_operation_is_an_activity_tagged_with_connection_entity_and_operation()
    {
        var activities = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == AutotaskTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                lock (activities)
                {
                    activities.Add(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var name = "telemetry-" + Guid.NewGuid().ToString("N")[..8];
        await using var sim = SimulatorHarness.Create(new AutotaskSimulatorOptions { PageSize = 10 }, name: name);

        var companies = await sim.All(new AutotaskQuery<Company>());

        Activity query;
        lock (activities)
        {
            query = Assert.Single(activities, a => a.DisplayName == "Autotask Query Companies" && Equals(a.GetTagItem("autotask.connection"), name));
        }

        Assert.Equal(32, companies.Count);
        Assert.Equal("Query", query.GetTagItem("autotask.operation"));
        Assert.Equal(4, query.GetTagItem("autotask.pages"));
        Assert.Equal(ActivityKind.Client, query.Kind);
    }
}
