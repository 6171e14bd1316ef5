using Autotask.Integration.Alerts;
using Autotask.Integration.Mapping;
using Microsoft.AspNetCore.Mvc;

namespace Autotask.Integration.Portal.Pages.Partner;

/// <summary>"Send a test ticket": one ticket by the alert mapping, with its number shown.</summary>
public sealed class TestTicketModel(IAlertTicketEngine alerts, IMappingStore store) : PartnerPage
{
    /// <summary>The mapped customers.</summary>
    public IReadOnlyList<CustomerMapping> Customers { get; private set; } = [];

    /// <summary>The number of the ticket just created.</summary>
    public string? TicketNumber { get; private set; }

    /// <summary>Shows the form.</summary>
    public Task OnGetAsync(CancellationToken cancellationToken) => LoadAsync(cancellationToken);

    /// <summary>Creates the test ticket.</summary>
    /// <param name="customer">The mapped vendor customer whose company gets it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<IActionResult> OnPostAsync(string? customer, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        if (!IsLinked)
        {
            return Page();
        }

        if (Customers.All(c => c.VendorCustomerId != customer))
        {
            Problems.Add("Choose one of your mapped customers.");
            return Page();
        }

        try
        {
            var result = await alerts.SendTestTicketAsync(Partner, customer, cancellationToken);
            TicketNumber = result.TicketNumber;
            if (result.TicketNumber is null)
            {
                Problems.Add(result.Reason ?? "No ticket was created.");
            }
        }
        catch (AutotaskException ex)
        {
            Show(ex);
        }

        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Customers = IsLinked ? await store.ListCustomersAsync(Partner, cancellationToken) : [];
    }
}
