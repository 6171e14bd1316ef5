using System.Globalization;
using Autotask.Integration.Entities;
using Autotask.Integration.Inbound;
using Autotask.Integration.Querying;
using Microsoft.Extensions.DependencyInjection;

namespace Autotask.Integration.Samples;

/// <summary>The channel-platform shape: pull active customers and their contracts, incrementally.</summary>
internal static class InboundSample
{
    public static async Task RunAsync(IServiceProvider services, string connection, TextWriter output, CancellationToken cancellationToken)
    {
        var inbound = services.GetRequiredService<IInboundSyncEngine>();
        await output.HeadingAsync("Inbound: active customers");
        var customers = new List<CustomerChange>();
        var client = services.GetRequiredService<IAutotaskClientFactory>().GetClient(connection);
        var expected = await client.CountAsync(new AutotaskQuery<Company>().Where(Filter<Company>.Eq(c => c.IsActive, true)), cancellationToken);
        var result = await output.ProgressAsync("Reading active customers", report => inbound.SyncCustomersAsync(connection, (change, _) =>
        {
            customers.Add(change);
            report(expected == 0 ? 100 : 100.0 * customers.Count / expected);
            return ValueTask.CompletedTask;
        }, cancellationToken));
        await output.WriteLineAsync($"  {result.Delivered} change(s) {(result.FirstRun ? "on the first run (everything)" : "since the last run")}; first 5:");
        await output.TableAsync(["Kind", "Company", "E-mail", "Phone"], customers.Take(5).Select(c => new[]
        {
            c.Kind.ToString(), c.Customer?.Name ?? c.CompanyId.ToString(CultureInfo.InvariantCulture), c.Customer is { EmailAddresses.Count: > 0 } e ? e.EmailAddresses[0] : null, c.Customer is { PhoneNumbers.Count: > 0 } p ? p.PhoneNumbers[0] : null,
        }));

        await output.HeadingAsync("Inbound: contracts of active customers");
        var contracts = new List<ContractChange>();
        await foreach (var change in inbound.ReadContractChangesAsync(connection, cancellationToken))
        {
            contracts.Add(change);
        }

        await output.WriteLineAsync($"  {contracts.Count} change(s); first 5:");
        await output.TableAsync(["Company", "Contract", "Vendor", "Cost"], contracts.Where(c => c.Contract is not null).Take(5).Select(c => new[]
        {
            c.Contract!.CompanyName, c.Contract.ContractName, c.Contract.VendorName, c.Contract.OverallCost?.ToString("0.00", CultureInfo.InvariantCulture),
        }));

        var again = await inbound.SyncCustomersAsync(connection, (_, _) => ValueTask.CompletedTask, cancellationToken);
        await output.WriteLineAsync($"  Pulled customers again: {again.Delivered} change(s).");
    }
}
