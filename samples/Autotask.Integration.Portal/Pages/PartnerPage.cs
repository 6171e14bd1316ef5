using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Autotask.Integration.Portal.Pages;

/// <summary>
/// A page of one partner. The route's <c>{partner}</c> has been checked against the signed-in partner before any
/// handler runs; a page uses <see cref="Partner"/> (the signed-in partner's id) as its connection id, never the URL.
/// </summary>
public abstract class PartnerPage : PageModel
{
    /// <summary>The signed-in partner, which is also the id of its Autotask connection.</summary>
    public string Partner => PortalApp.PartnerOf(User) ?? throw new InvalidOperationException("Partner pages need a signed-in partner.");

    /// <summary>A confirmation shown once after a redirect.</summary>
    [TempData]
    public string? Message { get; set; }

    /// <summary>What went wrong, in an administrator's words, one line each.</summary>
    public IList<string> Problems { get; } = [];

    /// <summary>Whether the partner has linked its Autotask (a connection is saved for it).</summary>
    /// <param name="clients">The SDK's client factory.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    protected async Task<bool> IsLinkedAsync(IAutotaskClientFactory clients, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clients);
        return (await clients.ListConnectionsAsync(cancellationToken)).Contains(Partner, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Shows the SDK's refusal on the page: its messages say what to do and never carry a secret.</summary>
    /// <param name="exception">The refusal.</param>
    protected void Show(AutotaskException exception) => Problems.Add(exception.Message);

    /// <summary>Redirects to this page (a GET after a POST), with a confirmation.</summary>
    /// <param name="message">The confirmation.</param>
    /// <param name="values">More route values.</param>
    protected RedirectToPageResult Done(string message, object? values = null)
    {
        Message = message;
        return values is null ? RedirectToPage(new { partner = Partner }) : RedirectToPage(values);
    }
}
