using Autotask.Integration.Jobs;
using Microsoft.Extensions.Logging;
using NodaTime;
using global::Quartz;

namespace Autotask.Integration.Quartz;

/// <summary>
/// The Quartz job behind every trigger: runs the SDK job its key names for the connection its trigger names. A failed
/// run is recorded in the connection's job history and logged; the next slot runs it again (every job is safe to run
/// again), and usage billing retries on its backoff while a period is due. Marked for recovery, so that a run cut
/// short by a crashed instance is run again by another; the job's lease in the store keeps that recovery and the
/// connection's next regular run from overlapping, whichever fires first.
/// </summary>
internal sealed class AutotaskQuartzJob(IAutotaskJobs jobs, AutotaskScheduler scheduler, ILogger<AutotaskQuartzJob> logger) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var job = context.JobDetail.Key.Name;
        var connection = context.MergedJobDataMap.GetString(AutotaskScheduler.ConnectionKey);
        if (string.IsNullOrEmpty(connection))
        {
            return;
        }

        var slot = context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(context.MergedJobDataMap.GetString(AutotaskScheduler.ZoneKey) ?? "") ?? DateTimeZone.Utc;
        Log.JobFired(logger, job, connection, slot, context.Scheduler.SchedulerInstanceId, context.Recovering);
        try
        {
            var run = job switch
            {
                AutotaskJobNames.UsageBilling => await jobs.BillUsageAsync(connection, cancellationToken: cancellationToken).ConfigureAwait(false),
                AutotaskJobNames.QuantitySync => await jobs.SyncQuantitiesAsync(connection, cancellationToken: cancellationToken).ConfigureAwait(false),
                // The digest of the day before the slot, in the instance's zone: one that fires late after downtime still sends the day it was due for.
                AutotaskJobNames.DailyDigest => await jobs.SendDailyDigestAsync(connection, Instant.FromDateTimeOffset(slot).InZone(zone).Date.PlusDays(-1), cancellationToken: cancellationToken).ConfigureAwait(false),
                AutotaskJobNames.InboundPoll => await jobs.PollInboundAsync(connection, cancellationToken: cancellationToken).ConfigureAwait(false),
                _ => null,
            };
            if (run is not null)
            {
                Log.JobDone(logger, job, connection, run.Outcome, run.Items, run.Writes, run.Failed);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host is stopping: the run is recorded as cancelled, and what it wrote is in the ledger.
            throw;
        }
        catch (Exception ex) when (ex is AutotaskException or InvalidOperationException or TimeoutException or HttpRequestException)
        {
            Log.JobFailed(logger, job, connection, ex.GetType().Name, ex.Message);
        }
        finally
        {
            if (job == AutotaskJobNames.UsageBilling && !cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await scheduler.RescheduleUsageAsync(context.Scheduler, connection, zone, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is SchedulerException or AutotaskException or InvalidOperationException or TimeoutException)
                {
                    Log.UsageRescheduleFailed(logger, connection, ex.Message);
                }
            }
        }
    }
}
