using Autotask.Integration.Connections;
using Autotask.Integration.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Autotask.Integration.Portal.Pages.Partner;

/// <summary>"PSA Integration": the partner links its own Autotask (Test and Save), sees the link, unlinks.</summary>
public sealed class IntegrationModel(IAutotaskConnectionManager connections) : PartnerPage
{
    /// <summary>The Autotask database the connection is bound to.</summary>
    public AutotaskDatabaseIdentity? Database { get; private set; }

    /// <summary>The permissions checked by the last test.</summary>
    public IReadOnlyList<PermissionCheck> Checks { get; private set; } = [];

    /// <summary>The API user's name, as entered.</summary>
    [BindProperty]
    public string? UserName { get; set; }

    /// <summary>The secret, as entered. Bound on POST only, never rendered.</summary>
    [BindProperty]
    public string? Secret { get; set; }

    /// <summary>The integration code, as entered.</summary>
    [BindProperty]
    public string? IntegrationCode { get; set; }

    /// <summary>Shows the link.</summary>
    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        UserName = Linked?.UserName;
        IntegrationCode = Linked?.IntegrationCode;
    }

    /// <summary>Tests what was entered without saving it.</summary>
    public async Task<IActionResult> OnPostTestAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        if (Entered() is { } settings)
        {
            var result = await connections.TestAsync(Partner, settings, ConnectionRequirements.SubscriptionSync, cancellationToken);
            Checks = result.Checks;
            if (result.Succeeded)
            {
                Message = "The test passed: Autotask accepted the API user and it has every permission the integration needs. Nothing was saved yet.";
            }

            foreach (var problem in result.Problems)
            {
                Problems.Add(problem);
            }
        }

        return Page();
    }

    /// <summary>Tests what was entered and saves it when the test passes ("Test and Save").</summary>
    public async Task<IActionResult> OnPostSaveAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        if (Entered() is not { } settings)
        {
            return Page();
        }

        try
        {
            // A first link saves a new connection; a linked partner's changes (a rotated secret) replace its settings only
            // when they pass the test, and the old ones keep working until then.
            var result = Linked is null
                ? await connections.LinkAsync(Partner, settings, ConnectionRequirements.SubscriptionSync, cancellationToken)
                : await connections.UpdateAsync(Partner, c =>
                {
                    c.UserName = settings.UserName;
                    c.Secret = settings.Secret;
                    c.IntegrationCode = settings.IntegrationCode;
                }, ConnectionRequirements.SubscriptionSync, cancellationToken);
            return Done($"Saved: your Autotask is linked ({result.Checks.Count} permissions checked).");
        }
        catch (AutotaskConnectionTestFailedException ex)
        {
            Checks = ex.Result.Checks;
            foreach (var problem in ex.Result.Problems)
            {
                Problems.Add(problem);
            }
        }
        catch (AutotaskException ex)
        {
            Show(ex);
        }

        return Page();
    }

    /// <summary>Removes the link; mappings and the audit trail stay.</summary>
    public async Task<IActionResult> OnPostUnlinkAsync(CancellationToken cancellationToken)
    {
        await connections.RemoveAsync(Partner, cancellationToken);
        return Done("Unlinked. Your mappings and audit log are kept for when you link again.");
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Database = Linked is null ? null : await connections.GetDatabaseAsync(Partner, cancellationToken);
    }

    /// <summary>The settings entered: an empty secret keeps the saved one. Missing fields are problems, not exceptions.</summary>
    private AutotaskConnectionOptions? Entered()
    {
        var secret = string.IsNullOrEmpty(Secret) ? Linked?.Secret : Secret;
        if (string.IsNullOrWhiteSpace(UserName))
        {
            Problems.Add("Enter the API user's name (the user name of the API-only user in Autotask).");
        }

        if (string.IsNullOrEmpty(secret))
        {
            Problems.Add("Enter the API user's secret.");
        }

        if (string.IsNullOrWhiteSpace(IntegrationCode))
        {
            Problems.Add("Enter the integration code: the API tracking identifier of the API user in Autotask.");
        }

        if (Problems.Count > 0)
        {
            return null;
        }

        // Everything else (zone, limits) comes from the portal's configuration, not from the partner.
        return new AutotaskConnectionOptions { UserName = UserName!.Trim(), Secret = secret!, IntegrationCode = IntegrationCode!.Trim() };
    }
}
