using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Autotask.Integration.Portal.Pages;

/// <summary>The page of an error status (403, 404, 400), with the status code kept.</summary>
public sealed class StatusModel : PageModel
{
    /// <summary>The status code.</summary>
    public int Code { get; private set; }

    /// <summary>The heading.</summary>
    public string Title => Code switch { 403 => "Not yours", 404 => "Not found", 400 => "Request refused", _ => "Something went wrong" };

    /// <summary>What happened.</summary>
    public string Explanation => Code switch
    {
        403 => "This page belongs to another partner. You can only open your own partner's pages.",
        404 => "There is no such page.",
        400 => "The form was refused: it was not sent from this portal's own page (its anti-forgery token was missing or wrong). Open the page again and resend it.",
        _ => "The portal could not complete the request.",
    };

    /// <summary>Shows the status.</summary>
    /// <param name="code">The status code.</param>
    public void OnGet(int code) => Code = code;
}
