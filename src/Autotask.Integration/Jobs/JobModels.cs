using System.Text.Json.Serialization;
using Autotask.Integration.Alerts;
using Autotask.Integration.Inbound;
using Autotask.Integration.Sync;
using NodaTime;

namespace Autotask.Integration.Jobs;

/// <summary>The names of the jobs <see cref="IAutotaskJobs"/> runs, as recorded in their history and used by schedulers.</summary>
public static class AutotaskJobNames
{
    /// <summary>Bills usage on the invoice schedule (<see cref="IAutotaskJobs.BillUsageAsync"/>).</summary>
    public const string UsageBilling = "usage-billing";

    /// <summary>Syncs subscription quantities (<see cref="IAutotaskJobs.SyncQuantitiesAsync"/>).</summary>
    public const string QuantitySync = "quantity-sync";

    /// <summary>Sends the daily digest tickets (<see cref="IAutotaskJobs.SendDailyDigestAsync"/>).</summary>
    public const string DailyDigest = "daily-digest";

    /// <summary>Polls Autotask for changed customers and contracts (<see cref="IAutotaskJobs.PollInboundAsync"/>).</summary>
    public const string InboundPoll = "inbound-poll";

    /// <summary>Every job, in a stable order.</summary>
    public static IReadOnlyList<string> All { get; } = [UsageBilling, QuantitySync, DailyDigest, InboundPoll];
}

/// <summary>Where usage billing gets each connection's invoice schedule and usage; the vendor implements it and registers it as a service.</summary>
public interface IUsageSource
{
    /// <summary>How a connection's usage is billed (its invoice schedule and unit rules), or <c>null</c> when it bills no usage.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<UsageBillingOptions?> GetBillingOptionsAsync(string connection, CancellationToken cancellationToken);

    /// <summary>Each subscription's usage over a billing period, measured by the vendor.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="period">The period, from its start (inclusive) to its invoice date (exclusive), in the instance's zone.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<SubscriptionUsage>> GetUsageAsync(string connection, BillingPeriod period, CancellationToken cancellationToken);
}

/// <summary>Where the quantity sync job gets the quantities subscriptions should bill; the vendor implements it and registers it as a service.</summary>
public interface IQuantitySource
{
    /// <summary>The quantity every subscription of the connection should bill now.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<SubscriptionQuantity>> GetQuantitiesAsync(string connection, CancellationToken cancellationToken);

    /// <summary>
    /// The rule that approves changes without a person, or <c>null</c> (the default) to apply every change. With a
    /// rule, the job makes a plan, applies what the rule approves and hands the plan to <see cref="OnHeldAsync"/>
    /// when it held something.
    /// </summary>
    /// <param name="connection">The connection.</param>
    PlanApprovalRule? GetApprovalRule(string connection) => null;

    /// <summary>How the job's writes are made (concurrency, pending lease); default: the defaults of <see cref="QuantitySyncOptions"/>.</summary>
    /// <param name="connection">The connection.</param>
    QuantitySyncOptions GetSyncOptions(string connection) => new();

    /// <summary>Receives a plan whose held items wait for a person (store it, show it, apply it with <see cref="IQuantitySyncEngine.ApplyPlanAsync"/> once approved).</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="plan">A plan of the held items only, with an id of its own (the approved ones were applied under the first plan's id).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask OnHeldAsync(string connection, QuantityPlan plan, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

/// <summary>One vendor customer's events of a day, for its digest ticket.</summary>
/// <param name="VendorCustomerId">The customer.</param>
/// <param name="Events">The day's events.</param>
public sealed record CustomerDigest(string VendorCustomerId, IReadOnlyList<Alert> Events);

/// <summary>Where the daily digest job gets each customer's events of a day; the vendor implements it and registers it as a service.</summary>
public interface IDigestSource
{
    /// <summary>The events of a day (in the instance's zone), per customer; customers without events are left out.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="day">The day.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<CustomerDigest>> GetDigestsAsync(string connection, LocalDate day, CancellationToken cancellationToken);
}

/// <summary>Receives what the inbound poll finds changed in Autotask; the vendor implements it and registers it as a service.</summary>
public interface IInboundHandler
{
    /// <summary>A customer company that changed.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="change">The change.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask OnCustomerAsync(string connection, CustomerChange change, CancellationToken cancellationToken);

    /// <summary>A contract that changed.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="change">The change.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask OnContractAsync(string connection, ContractChange change, CancellationToken cancellationToken);
}

/// <summary>How a job run ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobOutcome>))]
public enum JobOutcome
{
    /// <summary>Still running (or its process died; a run never completed stays so).</summary>
    Running,

    /// <summary>Every item succeeded (or there was nothing to do).</summary>
    Succeeded,

    /// <summary>The run finished, but some items failed or were refused; <see cref="JobRun.Failed"/> counts them.</summary>
    PartlySucceeded,

    /// <summary>The run stopped on an error; <see cref="JobRun.Error"/> says which.</summary>
    Failed,

    /// <summary>The run was cancelled (the host stopping); an interrupted batch is settled through the ledger by the next run.</summary>
    Cancelled,
}

/// <summary>One run of a job for a connection, as recorded in its history.</summary>
public sealed record JobRun
{
    /// <summary>The run's id.</summary>
    public required string RunId { get; init; }

    /// <summary>The connection.</summary>
    public required string Connection { get; init; }

    /// <summary>The job (<see cref="AutotaskJobNames"/>).</summary>
    public required string Job { get; init; }

    /// <summary>When it started, by the application's clock.</summary>
    public required Instant StartedAt { get; init; }

    /// <summary>When it ended, or <c>null</c> while running.</summary>
    public Instant? CompletedAt { get; init; }

    /// <summary>How it ended.</summary>
    public JobOutcome Outcome { get; init; }

    /// <summary>Items handled (subscriptions, digests, changes delivered).</summary>
    public int Items { get; init; }

    /// <summary>Writes made to Autotask (adjustments, tickets, notes).</summary>
    public int Writes { get; init; }

    /// <summary>Items that failed or were refused.</summary>
    public int Failed { get; init; }

    /// <summary>Times a request waited because Autotask's hourly allowance was used up.</summary>
    public int LimitWaits { get; init; }

    /// <summary>What the run did, in a few words (such as the periods billed).</summary>
    public string? Detail { get; init; }

    /// <summary>The error that stopped the run: its type and message (the SDK's messages carry no secret).</summary>
    public string? Error { get; init; }
}

/// <summary>How far a job run has come.</summary>
/// <param name="Connection">The connection.</param>
/// <param name="Job">The job.</param>
/// <param name="Done">Items finished.</param>
/// <param name="Total">Items known so far.</param>
/// <param name="Writes">Writes made to Autotask.</param>
/// <param name="LimitWaits">Waits on Autotask's hourly allowance.</param>
public readonly record struct JobProgress(string Connection, string Job, int Done, int Total, int Writes, int LimitWaits);

/// <summary>
/// The jobs a vendor runs per connection, each one call, so that any scheduler can run them (a Functions timer,
/// Hangfire, the <c>Autotask.Integration.Quartz</c> package): usage billing on the invoice schedule, the quantity
/// sync, the daily digest and the inbound poll. Each run is recorded in the connection's job history. A run that
/// fails is recorded, then its exception is thrown, so the scheduler can retry; every job is safe to run again.
/// </summary>
/// <remarks>Registered by <c>AddAutotaskIntegration</c>; the sources (<see cref="IUsageSource"/>,
/// <see cref="IQuantitySource"/>, <see cref="IDigestSource"/>, <see cref="IInboundHandler"/>) are the vendor's services.</remarks>
public interface IAutotaskJobs
{
    /// <summary>
    /// Bills every invoice date that has come (by the application's clock, in the instance's zone) since the last one
    /// billed: the usage of each period, from <see cref="IUsageSource"/>, set as the contract services' units. The
    /// first run bills the latest invoice date only; after downtime, every date missed (up to 24) is billed in turn,
    /// so none is lost and, the units being level-triggered through the ledger, none is applied twice.
    /// </summary>
    /// <param name="connection">The connection.</param>
    /// <param name="progress">Receives progress.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <exception cref="AutotaskConfigurationException">No <see cref="IUsageSource"/> is registered.</exception>
    Task<JobRun> BillUsageAsync(string connection, IProgress<JobProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Syncs the quantities of <see cref="IQuantitySource"/>, through a plan when it gives an approval rule.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="progress">Receives progress.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <exception cref="AutotaskConfigurationException">No <see cref="IQuantitySource"/> is registered.</exception>
    Task<JobRun> SyncQuantitiesAsync(string connection, IProgress<JobProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Sends one digest ticket per customer for a day's events from <see cref="IDigestSource"/>; running it again for the day adds notes, not tickets.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="day">The day; default: yesterday in the instance's zone.</param>
    /// <param name="progress">Receives progress.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <exception cref="AutotaskConfigurationException">No <see cref="IDigestSource"/> is registered.</exception>
    Task<JobRun> SendDailyDigestAsync(string connection, LocalDate? day = null, IProgress<JobProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Delivers the customers, then the contracts, changed since the last poll to <see cref="IInboundHandler"/>.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="progress">Receives progress.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <exception cref="AutotaskConfigurationException">No <see cref="IInboundHandler"/> is registered.</exception>
    Task<JobRun> PollInboundAsync(string connection, IProgress<JobProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>The connection's recorded runs, newest first (the last 50 of each job).</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="job">One job's runs only, or <c>null</c> for all.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<IReadOnlyList<JobRun>> GetRunsAsync(string connection, string? job = null, CancellationToken cancellationToken = default);
}
