using System.Text.Json;
using Autotask.Integration.Jobs;
using Autotask.Integration.Json;
using Autotask.Integration.Mapping;
using Autotask.Integration.Sync;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NodaTime;

namespace Autotask.Integration.Tests.Sync;

/// <summary>
/// One run of a job per connection at a time, across instances sharing a store: the job's lease, decided by the
/// store's compare-and-swap, renewed while the run goes on, and taken over from an instance that stopped, whose run is
/// then marked abandoned in the history. Instances are service providers over one store, on one fake clock.
/// </summary>
public sealed class JobLeaseTests
{
    private const string LeaseKey = "autotask.jobs.lease." + AutotaskJobNames.QuantitySync;
    private const string HistoryKey = "autotask.jobs.runs." + AutotaskJobNames.QuantitySync;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_run_of_a_job_running_in_another_instance_is_skipped_for_as_long_as_the_other_renews_its_lease()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 5, 1, 8, 0, 0, TimeSpan.Zero));
        var store = new InMemoryMappingStore(clock);
        await using var simulator = AutotaskSimulator.Create();
        var slow = new Quantities { Block = true };
        var other = new Quantities();
        await using var first = Instance(simulator, store, clock, slow);
        await using var second = Instance(simulator, store, clock, other);
        var jobs = first.Services.GetRequiredService<IAutotaskJobs>();

        var running = jobs.SyncQuantitiesAsync(SyncHarness.Connection, cancellationToken: Ct);
        await Wait.UntilAsync(() => slow.Calls == 1);
        var skipped = await second.Services.GetRequiredService<IAutotaskJobs>().SyncQuantitiesAsync(SyncHarness.Connection, cancellationToken: Ct);

        Assert.Equal(JobOutcome.Skipped, skipped.Outcome);
        var holder = Assert.Single(await jobs.GetRunsAsync(SyncHarness.Connection, cancellationToken: Ct));
        Assert.Equal(JobOutcome.Running, holder.Outcome);
        Assert.Contains($"run {holder.RunId} of instance {holder.Instance} holds the job's lease", skipped.Detail, StringComparison.Ordinal);
        Assert.Equal(first.Services.GetRequiredService<IJobInstances>().CurrentInstance, holder.Instance);

        // Five minutes of the shared clock: the holder renews every 15 seconds, so the other never takes it for stopped.
        for (var beat = 0; beat < 20; beat++)
        {
            var version = (await store.GetStateAsync(SyncHarness.Connection, LeaseKey, Ct))!.Version;
            clock.Advance(TimeSpan.FromSeconds(15));
            await Wait.UntilAsync(() => store.GetStateAsync(SyncHarness.Connection, LeaseKey).GetAwaiter().GetResult()!.Version > version);
            if (beat % 5 == 4)
            {
                Assert.Equal(JobOutcome.Skipped, (await second.Services.GetRequiredService<IAutotaskJobs>().SyncQuantitiesAsync(SyncHarness.Connection, cancellationToken: Ct)).Outcome);
            }
        }

        slow.Release();
        var done = await running;
        var after = await second.Services.GetRequiredService<IAutotaskJobs>().SyncQuantitiesAsync(SyncHarness.Connection, cancellationToken: Ct);

        Assert.Equal((JobOutcome.Succeeded, JobOutcome.Succeeded, 1), (done.Outcome, after.Outcome, other.Calls));
        var runs = await jobs.GetRunsAsync(SyncHarness.Connection, cancellationToken: Ct);
        Assert.Equal([after.RunId, done.RunId], runs.Select(r => r.RunId));
        Assert.NotEqual(runs[0].Instance, runs[1].Instance);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_lease_left_by_an_instance_that_stopped_is_taken_over_and_its_run_marked_abandoned(bool knownStopped)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 5, 1, 8, 0, 0, TimeSpan.Zero));
        var store = new InMemoryMappingStore(clock);
        await using var simulator = AutotaskSimulator.Create();
        var quantities = new Quantities();
        await using var instance = Instance(simulator, store, clock, quantities, knownStopped ? new Instances("host-b", "host-a/1/dead") : null);
        var jobs = instance.Services.GetRequiredService<IAutotaskJobs>();
        // What a killed host leaves: the lease it held and its run recorded as running.
        var dead = new JobRun { RunId = "dead-run", Connection = SyncHarness.Connection, Job = AutotaskJobNames.QuantitySync, StartedAt = Instant.FromUtc(2028, 5, 1, 7, 59), Outcome = JobOutcome.Running, Instance = "host-a/1/dead" };
        await store.SetStateAsync(SyncHarness.Connection, LeaseKey, JsonSerializer.Serialize(new JobLease { RunId = "dead-run", Instance = "host-a/1/dead", Beat = 7 }, AutotaskJsonContext.Default.JobLease), 0, Ct);
        await store.SetStateAsync(SyncHarness.Connection, HistoryKey, JsonSerializer.Serialize([dead], AutotaskJsonContext.Default.ListJobRun), 0, Ct);

        if (!knownStopped)
        {
            // Not known to have stopped: its lease is waited for until it has gone unrenewed for two minutes of this instance's clock.
            Assert.Equal(JobOutcome.Skipped, (await jobs.SyncQuantitiesAsync(SyncHarness.Connection, cancellationToken: Ct)).Outcome);
            clock.Advance(TimeSpan.FromSeconds(119));
            Assert.Equal(JobOutcome.Skipped, (await jobs.SyncQuantitiesAsync(SyncHarness.Connection, cancellationToken: Ct)).Outcome);
            clock.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(0, quantities.Calls);
        }

        var run = await jobs.SyncQuantitiesAsync(SyncHarness.Connection, cancellationToken: Ct);

        Assert.Equal((JobOutcome.Succeeded, 1), (run.Outcome, quantities.Calls));
        var abandoned = (await jobs.GetRunsAsync(SyncHarness.Connection, cancellationToken: Ct)).Single(r => r.RunId == "dead-run");
        Assert.Equal((JobOutcome.Abandoned, Instant.FromDateTimeOffset(clock.GetUtcNow()), "host-a/1/dead"), (abandoned.Outcome, abandoned.AbandonedAt, abandoned.Instance));
        Assert.Null(abandoned.CompletedAt);
        Assert.Contains(knownStopped ? "its instance host-a/1/dead has stopped" : "left the lease unrenewed for 2 minutes", abandoned.Detail, StringComparison.Ordinal);
        Assert.Contains($"found by instance {run.Instance}", abandoned.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_whose_end_could_not_be_recorded_is_marked_abandoned_by_the_next_run_of_its_own_instance()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2028, 5, 1, 8, 0, 0, TimeSpan.Zero));
        var store = new FlakyStateStore(new InMemoryMappingStore(clock));
        await using var simulator = AutotaskSimulator.Create();
        var quantities = new Quantities { Throw = true };
        await using var instance = Instance(simulator, store, clock, quantities);
        var jobs = instance.Services.GetRequiredService<IAutotaskJobs>();

        // The run fails, and the store is gone when it records its end and gives its lease back.
        quantities.OnCall = () =>
        {
            store.Lost = true;
            quantities.OnCall = null;
        };
        await Assert.ThrowsAsync<InvalidOperationException>(() => jobs.SyncQuantitiesAsync(SyncHarness.Connection, cancellationToken: Ct));
        store.Lost = false;
        quantities.Throw = false;
        var next = await jobs.SyncQuantitiesAsync(SyncHarness.Connection, cancellationToken: Ct);

        Assert.Equal(JobOutcome.Succeeded, next.Outcome);
        var runs = await jobs.GetRunsAsync(SyncHarness.Connection, cancellationToken: Ct);
        Assert.Equal([JobOutcome.Succeeded, JobOutcome.Abandoned], runs.Select(r => r.Outcome));
        Assert.Contains("is no longer running in instance", runs[1].Detail, StringComparison.Ordinal);
    }

    private static SyncHarness Instance(AutotaskSimulator simulator, IMappingStore store, TimeProvider clock, IQuantitySource source, IJobInstances? instances = null) =>
        SyncHarness.For(simulator, configure: b =>
        {
            b.UseMappingStore(store).Services.AddSingleton(clock).AddSingleton(source);
            if (instances is not null)
            {
                b.Services.AddSingleton(instances);
            }
        });

    private sealed class Quantities : IQuantitySource
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public bool Block { get; init; }

        public volatile bool Throw;

        public Action? OnCall { get; set; }

        public void Release() => _release.TrySetResult();

        public async ValueTask<IReadOnlyList<SubscriptionQuantity>> GetQuantitiesAsync(string connection, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            OnCall?.Invoke();
            if (Block)
            {
                await _release.Task.WaitAsync(cancellationToken);
            }

            return Throw ? throw new InvalidOperationException("vendor API down") : [];
        }
    }

    private sealed class Instances(string current, string stopped) : IJobInstances
    {
        public string CurrentInstance => current;

        public ValueTask<bool> IsStoppedAsync(string instance, CancellationToken cancellationToken) => ValueTask.FromResult(instance == stopped);
    }

    /// <summary>A store whose sync state cannot be written while <see cref="Lost"/>, as a database gone away.</summary>
    private sealed class FlakyStateStore(IMappingStore inner) : DelegatingMappingStore(inner)
    {
        public volatile bool Lost;

        public override Task<long> SetStateAsync(string connection, string key, string value, long expectedVersion, CancellationToken cancellationToken = default) =>
            Lost ? throw new MappingStoreException("The connection to the database was lost.") : base.SetStateAsync(connection, key, value, expectedVersion, cancellationToken);
    }
}
