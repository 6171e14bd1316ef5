using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Autotask.Integration.Portal.Pages;

/// <summary>The start: a signed-in partner's PSA integration page, else the sign-in page.</summary>
public sealed class IndexModel : PageModel
{
    /// <summary>Redirects.</summary>
    public IActionResult OnGet() => PortalApp.PartnerOf(User) is { } partner
        ? RedirectToPage("/Partner/Integration", new { partner })
        : RedirectToPage("/SignIn");
}
