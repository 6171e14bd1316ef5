using Autotask.Integration.Connections;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
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

    /// <summary>The partner's saved connection (its secret is never rendered), or <c>null</c> before it links its Autotask.</summary>
    public AutotaskConnectionOptions? Linked { get; private set; }

    /// <summary>Whether the partner has linked its Autotask.</summary>
    public bool IsLinked => Linked is not null;

    /// <summary>
    /// Reads the partner's connection once, before any handler of any partner page runs: one look-up by id, whatever
    /// the number of partners.
    /// </summary>
    /// <param name="context">The handler's context.</param>
    /// <param name="next">The handler.</param>
    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(next);
        await ReloadConnectionAsync(HttpContext.RequestAborted);
        await next();
    }

    /// <summary>Reads the partner's connection again (after linking or unlinking in the same request).</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    protected async Task ReloadConnectionAsync(CancellationToken cancellationToken) =>
        Linked = await HttpContext.RequestServices.GetRequiredService<IAutotaskConnectionStore>().FindAsync(Partner, cancellationToken);

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
