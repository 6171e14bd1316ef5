using Autotask.Integration.Entities;
using Autotask.Integration.Mapping;
using Microsoft.AspNetCore.Mvc;

namespace Autotask.Integration.Portal.Pages.Partner;

/// <summary>Customer mapping: search Autotask companies by their first letters (sorted, paged, Customers only), map once, unmap.</summary>
public sealed class CustomersModel(IMappingEngine mapping, IMappingStore store, VendorCatalogue catalogue) : PartnerPage
{
    /// <summary>Search results per page.</summary>
    public const int PageSize = 10;

    /// <summary>The vendor's customers.</summary>
    public IReadOnlyList<VendorCustomer> Customers => catalogue.Customers;

    /// <summary>The customers mapped, by vendor customer id.</summary>
    public IReadOnlyDictionary<string, CustomerMapping> Mapped { get; private set; } = new Dictionary<string, CustomerMapping>();

    /// <summary>The customer whose company is being searched for.</summary>
    public VendorCustomer? Searching { get; private set; }

    /// <summary>The name prefix searched for.</summary>
    public string? Query { get; private set; }

    /// <summary>The page of results, from 1.</summary>
    public int PageNumber { get; private set; } = 1;

    /// <summary>The results of the page, or <c>null</c> when nothing was searched.</summary>
    public IReadOnlyList<Company>? Results { get; private set; }

    /// <summary>Whether there is a next page.</summary>
    public bool HasMore { get; private set; }

    /// <summary>Shows the mappings, and the search when a customer is chosen.</summary>
    /// <param name="customer">The vendor customer to find a company for.</param>
    /// <param name="q">The first letters of the company's name.</param>
    /// <param name="pageNumber">The page of results.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    public async Task OnGetAsync(string? customer, string? q, int pageNumber = 1, CancellationToken cancellationToken = default)
    {
        if (!await LoadAsync(cancellationToken))
        {
            return;
        }

        Searching = customer is null ? null : catalogue.FindCustomer(customer);
        Query = q?.Trim();
        PageNumber = Math.Max(1, pageNumber);
        if (Searching is not null && !string.IsNullOrEmpty(Query))
        {
            // One more than a page tells whether there is a next one.
            var found = await mapping.SearchCustomersAsync(Partner, Query, (PageNumber - 1) * PageSize, PageSize + 1, cancellationToken);
            HasMore = found.Count > PageSize;
            Results = [.. found.Take(PageSize)];
        }
    }

    /// <summary>Maps a customer to a company (map once: refused when either is mapped already).</summary>
    /// <param name="customer">The vendor customer.</param>
    /// <param name="companyId">The Autotask company.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<IActionResult> OnPostMapAsync(string customer, long companyId, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(cancellationToken))
        {
            return Page();
        }

        if (catalogue.FindCustomer(customer) is null)
        {
            Problems.Add($"'{customer}' is not one of your customers.");
            return Page();
        }

        try
        {
            var mapped = await mapping.MapCustomerAsync(Partner, customer, companyId, cancellationToken);
            return Done($"Mapped {customer} to {mapped.CompanyName} ({mapped.CompanyId}).");
        }
        catch (AutotaskException ex)
        {
            Show(ex);
            await LoadAsync(cancellationToken);
            return Page();
        }
    }

    /// <summary>Removes a customer mapping (refused while its subscriptions are mapped).</summary>
    /// <param name="customer">The vendor customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<IActionResult> OnPostUnmapAsync(string customer, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(cancellationToken))
        {
            return Page();
        }

        try
        {
            return await mapping.UnmapCustomerAsync(Partner, customer, cancellationToken)
                ? Done($"Unmapped {customer}.")
                : Done($"{customer} was not mapped.");
        }
        catch (AutotaskException ex)
        {
            Show(ex);
            return Page();
        }
    }

    private async Task<bool> LoadAsync(CancellationToken cancellationToken)
    {
        Mapped = (await store.ListCustomersAsync(Partner, cancellationToken)).ToDictionary(m => m.VendorCustomerId, StringComparer.Ordinal);
        return IsLinked;
    }
}
