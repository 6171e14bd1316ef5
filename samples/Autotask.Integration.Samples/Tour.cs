using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Microsoft.Extensions.DependencyInjection;

namespace Autotask.Integration.Samples;

/// <summary>
/// The main sample: connect (zone discovery), check the request budget, find customers, read a contract's billed
/// units, resolve ticket picklists by label, and raise a test ticket.
/// </summary>
internal static class Tour
{
    public static async Task<int> RunAsync(IServiceProvider services, TextWriter output, bool allowWrites, CancellationToken cancellationToken)
    {
        var factory = services.GetRequiredService<IAutotaskClientFactory>();
        try
        {
            foreach (var name in await factory.ListConnectionsAsync(cancellationToken))
            {
                await TourConnectionAsync(factory.GetClient(name), output, allowWrites, cancellationToken);
            }

            return 0;
        }
        catch (AutotaskException ex)
        {
            await output.WriteLineAsync();
            await output.WriteLineAsync($"Autotask said no: {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            await output.WriteLineAsync("Cancelled.");
            return 2;
        }
    }

    private static async Task TourConnectionAsync(IAutotaskClient client, TextWriter output, bool allowWrites, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync($"== Connection '{client.ConnectionName}'");
        var zone = await client.GetZoneAsync(cancellationToken);
        var threshold = await client.GetThresholdInformationAsync(cancellationToken);
        await output.WriteLineAsync($"Zone: {zone.ZoneName ?? "(configured)"} at {zone.Url}");
        await output.WriteLineAsync($"Requests this hour: {threshold.CurrentTimeframeRequestCount} of {threshold.ExternalRequestThreshold}");

        // Active customers, streamed page by page.
        var customers = new AutotaskQuery<Company>().Where(
            Filter<Company>.Eq(c => c.IsActive, true),
            Filter<Company>.Eq(c => c.CompanyType, CompanyType.Customer));
        var count = await client.CountAsync(customers, cancellationToken);
        await output.WriteLineAsync();
        await output.WriteLineAsync($"Active customers: {count} (first 10)");
        await output.WriteLineAsync($"  {"Id",-10} {"Name",-36} City");
        Company? first = null;
        await foreach (var company in client.QueryAsync(customers.Take(10), cancellationToken))
        {
            first ??= company;
            await output.WriteLineAsync($"  {company.Id,-10} {company.CompanyName,-36} {company.City}");
        }

        if (first is null)
        {
            await output.WriteLineAsync("No active customer: nothing more to show.");
            return;
        }

        // What Autotask currently bills on the customer's recurring service contract.
        await foreach (var contract in client.QueryAsync(new AutotaskQuery<Contract>().Where(
            Filter<Contract>.Eq(c => c.CompanyId, first.Id),
            Filter<Contract>.Eq(c => c.ContractType, ContractType.RecurringService),
            Filter<Contract>.Eq(c => c.Status, ContractStatus.Active)).Take(1), cancellationToken))
        {
            await output.WriteLineAsync();
            await output.WriteLineAsync($"Contract '{contract.ContractName}' ({contract.StartDate:uuuu-MM-dd} to {contract.EndDate:uuuu-MM-dd}), billed units this month:");
            var today = NodaTime.SystemClock.Instance.GetCurrentInstant().InUtc().Date;
            await foreach (var unit in client.QueryAsync(new AutotaskQuery<ContractServiceUnit>().Where(
                Filter<ContractServiceUnit>.Eq(u => u.ContractId, contract.Id),
                Filter<ContractServiceUnit>.Lte(u => u.StartDate, today),
                Filter<ContractServiceUnit>.Gte(u => u.EndDate, today)), cancellationToken))
            {
                var service = await client.GetAsync<Service>(unit.ServiceId ?? 0, cancellationToken);
                await output.WriteLineAsync($"  {service?.Name,-44} {unit.Units,5} units x {unit.Price:0.00}");
            }
        }

        // Picklists differ per instance: resolve labels to ids.
        var priorities = await client.GetPicklistAsync<Ticket>("priority", cancellationToken);
        var statuses = await client.GetPicklistAsync<Ticket>("status", cancellationToken);
        await output.WriteLineAsync();
        await output.WriteLineAsync($"Ticket priorities: {string.Join(", ", priorities.ActiveLabels)}");

        if (!allowWrites)
        {
            await output.WriteLineAsync("Skipping the test ticket: pass --allow-writes to create one in this Autotask.");
            return;
        }

        var ticketId = await client.CreateAsync(new Ticket
        {
            CompanyId = first.Id,
            Title = "[TEST] Autotask.Integration sample ticket",
            Description = "Created by the Autotask.Integration main sample to prove the connection works. Safe to close.",
            Priority = priorities.GetId("Medium"),
            Status = statuses.GetId("New"),
        }, cancellationToken);
        var ticket = await client.GetAsync<Ticket>(ticketId, cancellationToken);
        await output.WriteLineAsync($"Created test ticket {ticket?.TicketNumber} (id {ticketId}) for {first.CompanyName}.");
    }
}
