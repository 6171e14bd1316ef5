using System.Text.Json;
using Microsoft.AspNetCore.Mvc;

namespace Autotask.Integration.Portal.Pages.Partner;

/// <summary>Long work in progress: the page shows a progress bar that the server streams into (server-sent events).</summary>
public sealed class WorkModel(PortalWork work) : PartnerPage
{
    /// <summary>The work shown.</summary>
    public WorkItem Item { get; private set; } = null!;

    /// <summary>Shows the work's progress.</summary>
    /// <param name="id">The work's id.</param>
    public IActionResult OnGet(string id)
    {
        if (work.Find(Partner, id) is not { } item)
        {
            return NotFound();
        }

        Item = item;
        return Page();
    }

    /// <summary>Streams the work's progress as server-sent events (<c>progress</c>, then <c>done</c> with the result page).</summary>
    /// <param name="id">The work's id.</param>
    /// <param name="cancellationToken">Ends when the page is closed.</param>
    public async Task<IActionResult> OnGetEventsAsync(string id, CancellationToken cancellationToken)
    {
        if (work.Find(Partner, id) is not { } item)
        {
            return NotFound();
        }

        Response.ContentType = "text/event-stream";
        WorkProgress? sent = null;
        try
        {
            while (true)
            {
                var finished = item.Finished;
                var progress = item.Progress;
                if (progress != sent)
                {
                    await WriteAsync("progress", JsonSerializer.Serialize(new { done = progress.Done, total = progress.Total, text = progress.Text }), cancellationToken);
                    sent = progress;
                }

                if (finished)
                {
                    // The result page is the portal's own (made by the server), never one taken from the request.
                    await WriteAsync("done", JsonSerializer.Serialize(new { url = item.ResultUrl }), cancellationToken);
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(150), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The page was closed; the work goes on.
        }

        return new EmptyResult();
    }

    private async Task WriteAsync(string name, string data, CancellationToken cancellationToken)
    {
        await Response.WriteAsync($"event: {name}\ndata: {data}\n\n", cancellationToken);
        await Response.Body.FlushAsync(cancellationToken);
    }
}
