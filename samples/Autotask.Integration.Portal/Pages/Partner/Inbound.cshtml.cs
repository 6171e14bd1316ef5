using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Microsoft.AspNetCore.Mvc;

namespace Autotask.Integration.Portal.Pages.Partner;

/// <summary>An active customer company and its active contracts.</summary>
/// <param name="Company">The company.</param>
/// <param name="Contracts">Its active contracts.</param>
public sealed record InboundCustomer(Company Company, IReadOnlyList<Contract> Contracts);

/// <summary>What a full read found.</summary>
/// <param name="Customers">The customers, by name.</param>
public sealed record InboundPreview(IReadOnlyList<InboundCustomer> Customers);

/// <summary>Inbound preview: a full read of the partner's customers and contracts, run in the background with its progress streamed.</summary>
public sealed class InboundModel(IAutotaskClientFactory clients, PortalWork background) : PartnerPage
{
    /// <summary>The preview read, when shown.</summary>
    public InboundPreview? Result { get; private set; }

    /// <summary>Shows the page, with a finished read's result.</summary>
    /// <param name="work">The read's work id.</param>
    public IActionResult OnGet(string? work)
    {
        if (work is null)
        {
            return Page();
        }

        if (background.Find(Partner, work) is not { Finished: true } item)
        {
            return NotFound();
        }

        if (item.Error is not null)
        {
            Problems.Add(item.Error);
        }

        Result = item.Result as InboundPreview;
        return Page();
    }

    /// <summary>Starts the full read.</summary>
    public IActionResult OnPost()
    {
        if (!IsLinked)
        {
            return Page();
        }

        var partner = Partner;
        var item = background.Start(partner, "Reading customers and contracts", id => Url.Page("/Partner/Inbound", new { partner, work = id })!, async (progress, ct) =>
        {
            var client = clients.GetClient(partner);
            var customers = new AutotaskQuery<Company>().Where(Filter<Company>.Eq(c => c.IsActive, true), Filter<Company>.Eq(c => c.CompanyType, CompanyType.Customer));
            var total = (int)await client.CountAsync(customers, ct);
            var companies = new List<Company>();
            await foreach (var company in client.QueryAsync(customers, ct))
            {
                companies.Add(company);
                if (companies.Count % 10 == 0 || companies.Count == total)
                {
                    progress.Report(new WorkProgress(companies.Count, total, $"Read {companies.Count} of {total} customers"));
                }
            }

            progress.Report(new WorkProgress(total, total, "Reading their active contracts"));
            var contracts = new List<Contract>();
            await foreach (var contract in client.QueryAsync(new AutotaskQuery<Contract>().Where(Filter<Contract>.Eq(c => c.Status, ContractStatus.Active)), ct))
            {
                contracts.Add(contract);
            }

            var byCompany = contracts.ToLookup(c => c.CompanyId);
            return new InboundPreview([.. companies.OrderBy(c => c.CompanyName, StringComparer.CurrentCultureIgnoreCase).Select(c => new InboundCustomer(c, [.. byCompany[c.Id]]))]);
        });
        return RedirectToPage("/Partner/Work", new { partner, id = item.Id });
    }
}
