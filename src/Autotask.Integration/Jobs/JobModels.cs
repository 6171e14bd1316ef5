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
    /// <summary>Still running (a run whose instance died is marked <see cref="Abandoned"/> by the next run of the job).</summary>
    Running,

    /// <summary>Every item succeeded (or there was nothing to do).</summary>
    Succeeded,

    /// <summary>The run finished, but some items failed or were refused; <see cref="JobRun.Failed"/> counts them.</summary>
    PartlySucceeded,

    /// <summary>The run stopped on an error; <see cref="JobRun.Error"/> says which.</summary>
    Failed,

    /// <summary>The run was cancelled (the host stopping); an interrupted batch is settled through the ledger by the next run.</summary>
    Cancelled,

    /// <summary>
    /// Not run: another run of the same job for the connection held its lease (in this or another instance), and did
    /// the work; <see cref="JobRun.Detail"/> names it. Such a run is returned, not recorded in the history.
    /// </summary>
    Skipped,

    /// <summary>
    /// The run's instance stopped (a crash, a kill) before the run ended: found so by another instance, which took
    /// over the job's lease at <see cref="JobRun.AbandonedAt"/>. What it wrote is in the ledger, and the next run
    /// settled the rest.
    /// </summary>
    Abandoned,
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

    /// <summary>The instance that ran it (<see cref="IJobInstances.CurrentInstance"/>: the Quartz scheduler's instance id, or the process's).</summary>
    public string? Instance { get; init; }

    /// <summary>When another instance found the run abandoned (<see cref="JobOutcome.Abandoned"/>), by that instance's clock.</summary>
    public Instant? AbandonedAt { get; init; }

    /// <summary>
    /// Usage billing only: the invoice dates still due when the run ended, oldest first (a period with an item not
    /// settled, or one the run did not reach); empty when every period due was settled. <c>null</c> for other jobs.
    /// </summary>
    public IReadOnlyList<LocalDate>? PeriodsDue { get; init; }

    /// <summary>Whether two records are of the same run in the same state (<see cref="PeriodsDue"/> compared item by item).</summary>
    /// <param name="other">The other record.</param>
#pragma warning disable RS0030 // Invoice dates are not secrets: equality of two lists, not a signature check.
    public bool Equals(JobRun? other) =>
        other is not null && RunId == other.RunId && Connection == other.Connection && Job == other.Job && StartedAt == other.StartedAt &&
        CompletedAt == other.CompletedAt && Outcome == other.Outcome && Items == other.Items && Writes == other.Writes && Failed == other.Failed &&
        LimitWaits == other.LimitWaits && Detail == other.Detail && Error == other.Error && Instance == other.Instance && AbandonedAt == other.AbandonedAt &&
        (PeriodsDue is null ? other.PeriodsDue is null : other.PeriodsDue is not null && PeriodsDue.SequenceEqual(other.PeriodsDue));
#pragma warning restore RS0030

    /// <summary>A hash of the run's id and state.</summary>
    public override int GetHashCode() => HashCode.Combine(RunId, Outcome, CompletedAt, Items, Writes, Failed, PeriodsDue?.Count);
}

/// <summary>
/// Which instance of the application runs jobs here, and whether another is known to have stopped. Each run of a job
/// holds a lease per connection and job in the mapping store, naming its run and instance, so that two runs of one
/// job for one connection never overlap, in any number of processes. A run that finds the lease held by an instance
/// known to have stopped takes it over at once, and marks that instance's run <see cref="JobOutcome.Abandoned"/> in
/// the history; a lease whose holder is not known to have stopped is taken over only once it has gone unrenewed (its
/// holder renews it every 15 seconds while it runs) for 2 minutes of the waiting instance's own clock, so no two
/// processes' clocks are ever compared. The default knows only its own process; the Quartz package's, when
/// clustered, knows which of the cluster's instances Quartz found dead.
/// </summary>
public interface IJobInstances
{
    /// <summary>This instance's id, as recorded in each lease and in <see cref="JobRun.Instance"/>.</summary>
    string CurrentInstance { get; }

    /// <summary>Whether an instance is known to have stopped; <c>false</c> when it is alive or not known.</summary>
    /// <param name="instance">An instance id from a lease.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<bool> IsStoppedAsync(string instance, CancellationToken cancellationToken);
}

/// <summary>
/// Where a connection's usage billing stands. A period is settled once every item of it is settled: written to
/// Autotask and confirmed (<see cref="QuantitySyncStatus.Applied"/>), billing the units already
/// (<see cref="QuantitySyncStatus.Unchanged"/>), refused as the vendor gave it (<see cref="QuantitySyncStatus.Invalid"/>,
/// <see cref="QuantitySyncStatus.Unmapped"/>: the vendor's to correct, reported by the run that met it), or settled by a
/// person (<see cref="IAutotaskJobs.SettleUsagePeriodAsync"/>). Until then it stays due, and each usage run bills what
/// is left of it, oldest period first.
/// </summary>
public sealed record UsageBillingStatus
{
    /// <summary>The connection.</summary>
    public required string Connection { get; init; }

    /// <summary>Every invoice date up to and including this one is settled; <c>null</c> before the first period was.</summary>
    public LocalDate? SettledThrough { get; init; }

    /// <summary>The periods due now (by the application's clock, in the instance's zone), oldest first.</summary>
    public IReadOnlyList<UsagePeriodDue> Due { get; init; } = [];

    /// <summary>
    /// Runs in a row that ended with a period still due, or failed, since the latest invoice date came (0 after a
    /// run that left nothing due): what a scheduler's backoff counts.
    /// </summary>
    public int FailedAttempts { get; init; }
}

/// <summary>An invoice date whose period is due: billed with items not settled yet, or not billed yet.</summary>
public sealed record UsagePeriodDue
{
    /// <summary>The invoice date.</summary>
    public required LocalDate InvoiceDate { get; init; }

    /// <summary>Whether a run billed the period already (its <see cref="Unsettled"/> items are what is left).</summary>
    public bool Billed { get; init; }

    /// <summary>How many subscriptions of the period are settled.</summary>
    public int SettledItems { get; init; }

    /// <summary>The subscriptions not settled, each with why.</summary>
    public IReadOnlyList<UsageItemDue> Unsettled { get; init; } = [];

    /// <summary>The error of the last run that could not bill the period at all (the usage source threw, Autotask could not be read).</summary>
    public string? Error { get; init; }
}

/// <summary>A subscription whose usage of a period is not settled.</summary>
public sealed record UsageItemDue
{
    /// <summary>The subscription.</summary>
    public required string VendorSubscriptionId { get; init; }

    /// <summary>What became of it last (such as <see cref="QuantitySyncStatus.Failed"/>).</summary>
    public QuantitySyncStatus Status { get; init; }

    /// <summary>
    /// Held back, not tried: an earlier period of the subscription is not settled, and periods are billed in order
    /// (an adjustment counts from its date on, so an earlier one written later would change this period's units).
    /// </summary>
    public bool HeldBack { get; init; }

    /// <summary>Why, in plain words.</summary>
    public string? Reason { get; init; }
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
/// fails is recorded, then its exception is thrown, so the scheduler can retry; every job is safe to run again. Two
/// runs of one job for one connection never overlap, in any number of processes: each holds a lease in the store
/// (see <see cref="IJobInstances"/>), and a run that finds it held returns <see cref="JobOutcome.Skipped"/>.
/// </summary>
/// <remarks>Registered by <c>AddAutotaskIntegration</c>; the sources (<see cref="IUsageSource"/>,
/// <see cref="IQuantitySource"/>, <see cref="IDigestSource"/>, <see cref="IInboundHandler"/>) are the vendor's services.</remarks>
public interface IAutotaskJobs
{
    /// <summary>
    /// Bills every period due (by the application's clock, in the instance's zone): those whose invoice date has come
    /// since the last one settled, and those billed before with items not settled. The usage of each, from
    /// <see cref="IUsageSource"/>, is set as the contract services' units, oldest period first. The first run bills
    /// the latest invoice date only; after downtime, every date missed (up to 24) is billed in turn, so none is lost
    /// and, the units being level-triggered through the ledger, none is applied twice. A period stays due until each of
    /// its items is settled (see <see cref="UsageBillingStatus"/>): a write Autotask refused, or whose outcome is not
    /// known yet, is billed again by the next run, which writes only what is still missing; the later periods of that
    /// subscription are held back until then. The run's <see cref="JobRun.PeriodsDue"/> lists what is still due; a
    /// scheduler retries it (the Quartz package on its usage retry backoff).
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

    /// <summary>Where the connection's usage billing stands: what is settled, and each period still due with why.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="AutotaskConfigurationException">No <see cref="IUsageSource"/> is registered.</exception>
    Task<UsageBillingStatus> GetUsageBillingStatusAsync(string connection, CancellationToken cancellationToken = default);

    /// <summary>
    /// A person's decision that a due period is settled as it is: its items not settled (or only those named) are no
    /// longer billed, and Autotask keeps the units they have; the later periods of those subscriptions are billed by
    /// the next run. Recorded in the audit (<see cref="Auditing.AuditOperations.SettleUsagePeriod"/>) with who decided and why.
    /// A period settled already is left as it is (audited as skipped).
    /// </summary>
    /// <param name="connection">The connection.</param>
    /// <param name="invoiceDate">The period's invoice date; one that has come.</param>
    /// <param name="decidedBy">Who decided (a person or a role), for the audit.</param>
    /// <param name="reason">Why, for the audit.</param>
    /// <param name="vendorSubscriptionIds">Only these subscriptions of the period; <c>null</c> for the whole period.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The status after the decision.</returns>
    /// <exception cref="ArgumentException">The date is not an invoice date of the connection's calendar, or has not come yet; or <paramref name="decidedBy"/> or <paramref name="reason"/> is empty.</exception>
    /// <exception cref="AutotaskConfigurationException">No <see cref="IUsageSource"/> is registered, or it bills no usage for the connection.</exception>
    Task<UsageBillingStatus> SettleUsagePeriodAsync(
        string connection, LocalDate invoiceDate, string decidedBy, string reason, IReadOnlyCollection<string>? vendorSubscriptionIds = null, CancellationToken cancellationToken = default);

    /// <summary>The connection's recorded runs, newest first (the last 50 of each job).</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="job">One job's runs only, or <c>null</c> for all.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<IReadOnlyList<JobRun>> GetRunsAsync(string connection, string? job = null, CancellationToken cancellationToken = default);
}
