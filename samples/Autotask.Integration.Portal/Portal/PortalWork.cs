using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Autotask.Integration.Portal;

/// <summary>How far a piece of long work has come.</summary>
/// <param name="Done">Items done.</param>
/// <param name="Total">Items in all, when known.</param>
/// <param name="Text">What it is doing, in a partner's words.</param>
public sealed record WorkProgress(int Done, int? Total, string Text);

/// <summary>A piece of long work (a full read, a large sync) run in the background while its page shows its progress.</summary>
public sealed class WorkItem
{
    private WorkProgress _progress;

    internal WorkItem(string id, string partner, string title, string resultUrl)
    {
        Id = id;
        Partner = partner;
        Title = title;
        ResultUrl = resultUrl;
        _progress = new WorkProgress(0, null, "Starting");
    }

    /// <summary>The work's id: random, and only ever looked up together with its partner.</summary>
    public string Id { get; }

    /// <summary>The partner it runs for.</summary>
    public string Partner { get; }

    /// <summary>What it does.</summary>
    public string Title { get; }

    /// <summary>The portal page that shows the result (a local path).</summary>
    public string ResultUrl { get; }

    /// <summary>The progress now.</summary>
    public WorkProgress Progress => Volatile.Read(ref _progress);

    /// <summary>Whether it has ended, well or not.</summary>
    public bool Finished { get; private set; }

    /// <summary>Why it failed, in a partner's words; <c>null</c> when it did not.</summary>
    public string? Error { get; private set; }

    /// <summary>The result, once finished.</summary>
    public object? Result { get; private set; }

    internal void Report(WorkProgress progress) => Volatile.Write(ref _progress, progress);

    internal void Finish(object? result, string? error)
    {
        Result = result;
        Error = error;
        Finished = true;
    }
}

/// <summary>Runs long work in the background, one registry per portal, each item visible to its own partner only.</summary>
public sealed partial class PortalWork(ILogger<PortalWork> logger, IHostApplicationLifetime lifetime)
{
    private readonly ConcurrentDictionary<(string Partner, string Id), WorkItem> _items = new();

    /// <summary>Starts work for a partner.</summary>
    /// <param name="partner">The partner.</param>
    /// <param name="title">What it does.</param>
    /// <param name="resultUrl">The page to show when it ends, given the work's id.</param>
    /// <param name="work">The work: reports progress, returns its result.</param>
    public WorkItem Start(string partner, string title, Func<string, string> resultUrl, Func<IProgress<WorkProgress>, CancellationToken, Task<object?>> work)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var item = new WorkItem(id, partner, title, resultUrl(id));
        _items[(partner.ToLowerInvariant(), id)] = item;
        _ = Task.Run(async () =>
        {
            try
            {
                var result = await work(Relay<WorkProgress>(item.Report), lifetime.ApplicationStopping);
                item.Finish(result, null);
            }
            catch (OperationCanceledException)
            {
                item.Finish(null, "The portal stopped before the work ended; start it again.");
            }
            catch (AutotaskException ex)
            {
                // The SDK's messages say what went wrong in an administrator's words, and never carry a secret.
                item.Finish(null, ex.Message);
            }
            catch (Exception ex)
            {
                WorkFailed(logger, title, partner, ex);
                item.Finish(null, "Something went wrong; the portal's log has the details.");
            }
        });
        return item;
    }

    /// <summary>A partner's work item, or <c>null</c> when there is none with that id for this partner.</summary>
    /// <param name="partner">The partner asking.</param>
    /// <param name="id">The work's id.</param>
    public WorkItem? Find(string partner, string id) => _items.GetValueOrDefault((partner.ToLowerInvariant(), id));

    /// <summary>Progress reported straight through, in order, on the reporting thread (unlike <see cref="Progress{T}"/>, which posts).</summary>
    /// <typeparam name="T">The progress type.</typeparam>
    /// <param name="report">Receives each report.</param>
    public static IProgress<T> Relay<T>(Action<T> report) => new Relayed<T>(report);

    [LoggerMessage(5001, LogLevel.Error, "Work '{Title}' of partner {Partner} failed")]
    private static partial void WorkFailed(ILogger logger, string title, string partner, Exception exception);

    private sealed class Relayed<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
