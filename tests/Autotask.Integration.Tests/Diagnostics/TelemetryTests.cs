using System.Diagnostics;
using System.Diagnostics.Metrics;
using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace Autotask.Integration.Tests.Diagnostics;

public sealed class TelemetryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Requests_retries_and_durations_are_measured_without_credentials()
    {
        // The meter comes from this service provider's IMeterFactory: other tests running alongside have their own.
        var name = "telemetry-" + Guid.NewGuid().ToString("N")[..8];
        await using var sim = SimulatorHarness.Create(name: name);
        var meters = sim.Services.GetRequiredService<IMeterFactory>();
        using var requests = new MetricCollector<long>(meters, AutotaskTelemetry.MeterName, "autotask.client.requests");
        using var retries = new MetricCollector<long>(meters, AutotaskTelemetry.MeterName, "autotask.client.retries");
        using var duration = new MetricCollector<double>(meters, AutotaskTelemetry.MeterName, "autotask.client.request.duration");
        sim.Simulator.Faults.Next(SimulatorFault.ServiceUnavailable, when: r => r.Entity == "Companies");

        await sim.Client.GetAsync<Company>(1, Ct);

        var mine = requests.GetMeasurementSnapshot().Where(m => Equals(m.Tags["autotask.connection"], name)).ToList();
        var request = Assert.Single(mine);
        Assert.Equal("Companies", request.Tags["autotask.entity"]);
        Assert.Equal("Get", request.Tags["autotask.operation"]);
        Assert.Equal(200, request.Tags["http.response.status_code"]);
        Assert.False(request.Tags.ContainsKey("error.type"));
        Assert.Contains(retries.GetMeasurementSnapshot(), m => Equals(m.Tags["autotask.connection"], name) && Equals(m.Tags["autotask.reason"], "HTTP 503"));
        Assert.Contains(duration.GetMeasurementSnapshot(), m => Equals(m.Tags["autotask.connection"], name) && m.Value >= 0);
        Assert.All(mine.SelectMany(m => m.Tags.Values), v => Assert.DoesNotContain(sim.Simulator.Options.Secret, v?.ToString() ?? "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_request_is_counted_with_error_type_and_its_activity_marked_as_an_error()
    {
        await using var sim = SimulatorHarness.Create(connection: c => c.MaxRetryAttempts = 0);
        using var requests = new MetricCollector<long>(sim.Services.GetRequiredService<IMeterFactory>(), AutotaskTelemetry.MeterName, "autotask.client.requests");
        var stopped = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == AutotaskTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (stopped) { stopped.Add(a); } },
        };
        ActivitySource.AddActivityListener(listener);
        sim.Simulator.Faults.Next(SimulatorFault.ServiceUnavailable, when: r => r.Entity == "Companies");

        await Assert.ThrowsAsync<AutotaskServerException>(() => sim.Client.GetAsync<Company>(1, Ct));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sim.Client.GetAsync<Company>(1, cts.Token));

        var failed = Assert.Single(requests.GetMeasurementSnapshot(), m => m.Tags.ContainsKey("http.response.status_code"));
        Assert.Equal("503", failed.Tags["error.type"]);
        Assert.Equal(503, failed.Tags["http.response.status_code"]);
        Activity activity;
        lock (stopped)
        {
            activity = Assert.Single(stopped, a => a.GetTagItem("error.type") is "503");
        }

        Assert.Equal(ActivityStatusCode.Error, activity.Status);
        Assert.DoesNotContain(requests.GetMeasurementSnapshot(), m => m.Tags.Values.Any(v => v is "cancelled" or "refused" or "error"));
    }

    [Fact]
    public async Task A_retried_read_leaves_no_credential_in_any_log_metric_or_activity()
    {
        var seen = new List<string>();
        void See(string? value)
        {
            lock (seen)
            {
                seen.Add(value ?? "");
            }
        }

        using var activities = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                See(a.DisplayName);
                See(a.StatusDescription);
                foreach (var tag in a.TagObjects)
                {
                    See($"{tag.Key}={tag.Value}");
                }

                foreach (var activityEvent in a.Events)
                {
                    See(activityEvent.Name);
                    foreach (var tag in activityEvent.Tags)
                    {
                        See($"{tag.Key}={tag.Value}");
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(activities);
        using var metrics = new MeterListener();
        metrics.InstrumentPublished = (instrument, listener) => listener.EnableMeasurementEvents(instrument);
        metrics.SetMeasurementEventCallback<long>((_, _, tags, _) => { foreach (var t in tags) { See($"{t.Key}={t.Value}"); } });
        metrics.SetMeasurementEventCallback<double>((_, _, tags, _) => { foreach (var t in tags) { See($"{t.Key}={t.Value}"); } });
        metrics.SetMeasurementEventCallback<int>((_, _, tags, _) => { foreach (var t in tags) { See($"{t.Key}={t.Value}"); } });
        metrics.Start();
        using var server = TestServer.Start();
        server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/7").UsingGet()).InScenario("retry").WillSetStateTo("up")
            .RespondWith(Response.Create().WithStatusCode(503).WithBody($"Service unavailable for {ClientHarness.UserName}"));
        server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/7").UsingGet()).InScenario("retry").WhenStateIs("up")
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("""{"item":{"id":7,"companyName":"Contoso"}}"""));
        using var harness = ClientHarness.For(server);

        var company = await harness.Client.GetAsync<Company>(7, Ct);
        metrics.RecordObservableInstruments();

        Assert.Equal("Contoso", company!.CompanyName);
        Assert.Equal(2, server.LogEntries.Count());
        Assert.Contains(harness.Logs.GetSnapshot(), r => r.Id.Id == 1002);
        string everything;
        lock (seen)
        {
            Assert.Contains(seen, v => v.Contains("Companies", StringComparison.Ordinal));
            everything = string.Join("\n", seen) + "\n" + harness.AllLogText() + "\n" +
                string.Join("\n", harness.Logs.GetSnapshot().Select(r => r.Exception?.ToString()));
        }

        foreach (var credential in new[] { ClientHarness.Secret, ClientHarness.IntegrationCode, ClientHarness.UserName })
        {
            Assert.DoesNotContain(credential, everything, StringComparison.OrdinalIgnoreCase);
        }
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
