using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Autotask.Integration.Portal.Pages;

/// <summary>Signs a partner in (a stand-in for the vendor's identity provider) and out.</summary>
public sealed class SignInModel(PortalOptions options) : PageModel
{
    /// <summary>The partners, by id.</summary>
    public IEnumerable<(string Id, PortalPartner Partner)> Partners => options.Partners.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value));

    /// <summary>Why the sign-in failed.</summary>
    public IList<string> Problems { get; } = [];

    /// <summary>Shows the form.</summary>
    public void OnGet()
    {
    }

    /// <summary>Signs the partner in when the password is right.</summary>
    /// <param name="partner">The partner's id.</param>
    /// <param name="password">The password.</param>
    public async Task<IActionResult> OnPostAsync(string? partner, string? password)
    {
        if (partner is null || !options.Partners.TryGetValue(partner, out var known) || !Same(known.Password, password ?? ""))
        {
            Problems.Add("The partner or the password is wrong.");
            return Page();
        }

        var id = options.Partners.Keys.First(k => string.Equals(k, partner, StringComparison.OrdinalIgnoreCase));
        var identity = new ClaimsIdentity([new Claim(PortalApp.PartnerClaim, id), new Claim(ClaimTypes.Name, known.Name)], CookieAuthenticationDefaults.AuthenticationScheme);
        await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
        return RedirectToPage("/Partner/Integration", new { partner = id });
    }

    /// <summary>Signs out.</summary>
    public async Task<IActionResult> OnPostSignOutAsync()
    {
        await HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return RedirectToPage("/SignIn");
    }

    private static bool Same(string expected, string given) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(expected)), SHA256.HashData(Encoding.UTF8.GetBytes(given)));
}
