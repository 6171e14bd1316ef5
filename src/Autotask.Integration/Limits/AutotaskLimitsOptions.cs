namespace Autotask.Integration.Limits;

/// <summary>
/// How the SDK shares an Autotask database's limits with everything else that uses it: the hourly request threshold
/// (per database, shared with the MSP's other integrations) and the thread limit (per integration code and endpoint).
/// Set through <see cref="AutotaskIntegrationOptions.Limits"/>; in configuration <c>Autotask:Limits:TargetShare</c> and
/// so on.
/// </summary>
public sealed class AutotaskLimitsOptions
{
    /// <summary>
    /// Whether this SDK reads <c>ThresholdInformation</c> and keeps to <see cref="TargetShare"/>. Off, only each
    /// connection's <see cref="AutotaskConnectionOptions.HourlyRequestBudget"/> limits the hour (for a vendor who paces
    /// itself, or a test against a simulator). Default: on.
    /// </summary>
    public bool PaceByThresholdInformation { get; set; } = true;

    /// <summary>
    /// The share of the database's hourly threshold that the database's total (this SDK's requests and every other
    /// integration's, as <c>ThresholdInformation</c> counts them) may reach through this SDK's requests. Default: 0.45,
    /// below the 50 % where Autotask starts adding latency to every integration of the database.
    /// </summary>
    public double TargetShare { get; set; } = 0.45;

    /// <summary>
    /// The share of the threshold this SDK keeps using when other integrations alone pass <see cref="TargetShare"/>,
    /// so that its work slows down rather than stops. Default: 0.02 (200 requests an hour of 10,000).
    /// </summary>
    public double MinimumShare { get; set; } = 0.02;

    /// <summary>
    /// The share of the threshold at which this SDK sends nothing more (it waits for the rolling hour to clear), so that
    /// it is never the integration that makes Autotask refuse the whole database. Default: 0.9.
    /// </summary>
    public double StopShare { get; set; } = 0.9;

    /// <summary>
    /// How many of this SDK's requests a database sees in the rolling hour before <c>ThresholdInformation</c> is read
    /// for it: a reading costs a request, and a few requests cannot move a database's count. Default: 50.
    /// </summary>
    public int PaceAfterRequests { get; set; } = 50;

    /// <summary>How often <c>ThresholdInformation</c> is read for a database in use. Default: 1 minute.</summary>
    public TimeSpan ThresholdCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long the last reading of <c>ThresholdInformation</c> is trusted while new readings fail. After that the
    /// database is assumed to be at <see cref="TargetShare"/> already, so that only <see cref="MinimumShare"/> is used.
    /// Default: 5 minutes.
    /// </summary>
    public TimeSpan ThresholdStaleAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The number of instances of the vendor's service assumed while the shared limits (Redis) cannot be reached: each
    /// instance then keeps to its part of the thread slots (at least one) and of the hourly allowance. Default: 3.
    /// </summary>
    public int AssumedInstances { get; set; } = 3;

    /// <summary>How long the shared limits are left alone after they could not be reached, before they are tried again. Default: 15 seconds.</summary>
    public TimeSpan SharedRetryInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The most this machine's clock may differ from the shared limits' clock (Redis's <c>TIME</c>) before the shared
    /// limits are not trusted (their leases and windows are stamped with the instances' clocks) and the in-process
    /// fallback is used instead. Default: 5 seconds.
    /// </summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromSeconds(5);
}
