using Autotask.Integration.Jobs;
using Microsoft.Extensions.Logging;

namespace Autotask.Integration.Quartz;

/// <summary>The scheduler's log events (ids 3000-3099).</summary>
internal static partial class Log
{
    [LoggerMessage(3001, LogLevel.Information, "Job {Job} of connection {Connection} fired for {Slot:O} on instance {Instance} (recovering: {Recovering}).")]
    public static partial void JobFired(ILogger logger, string job, string connection, DateTimeOffset slot, string instance, bool recovering);

    [LoggerMessage(3002, LogLevel.Information, "Job {Job} of connection {Connection} ended {Outcome}: {Items} item(s), {Writes} write(s), {Failed} failed.")]
    public static partial void JobDone(ILogger logger, string job, string connection, JobOutcome outcome, int items, int writes, int failed);

    [LoggerMessage(3003, LogLevel.Warning, "Job {Job} of connection {Connection} failed ({Error}): {Message} It runs again at its next time.")]
    public static partial void JobFailed(ILogger logger, string job, string connection, string error, string message);

    [LoggerMessage(3004, LogLevel.Warning, "The jobs of connection {Connection} could not be scheduled: {Message}")]
    public static partial void ScheduleFailed(ILogger logger, string connection, string message);

    [LoggerMessage(3006, LogLevel.Warning, "Where usage billing of connection {Connection} stands could not be read: {Message} Its trigger is set as if nothing were due, or retried on the first delay after a run.")]
    public static partial void UsageStatusUnread(ILogger logger, string connection, string message);

    [LoggerMessage(3007, LogLevel.Warning, "The usage trigger of connection {Connection} could not be moved after its run: {Message} The next reconcile adds it back if it is gone.")]
    public static partial void UsageRescheduleFailed(ILogger logger, string connection, string message);

    [LoggerMessage(3005, LogLevel.Warning, "The connections' triggers could not be reconciled: {Message} Tried again in {Interval}.")]
    public static partial void ReconcileFailed(ILogger logger, string message, TimeSpan interval);
}
