using System.Security.Cryptography;
using System.Text;
using Autotask.Integration.Entities;
using Autotask.Integration.Inbound;
using Autotask.Integration.Querying;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Autotask.Integration.Tests.Inbound;

public sealed class InboundSyncTests : IAsyncLifetime
{
    private SyncHarness _sync = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _sync = SyncHarness.Create();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _sync.DisposeAsync();

    private async Task<List<CustomerChange>> Customers()
    {
        var changes = new List<CustomerChange>();
        await _sync.Inbound.SyncCustomersAsync(SyncHarness.Connection, (c, _) =>
        {
            changes.Add(c);
            return ValueTask.CompletedTask;
        }, Ct);
        return changes;
    }

    private async Task<List<ContractChange>> Contracts()
    {
        var changes = new List<ContractChange>();
        await foreach (var change in _sync.Inbound.ReadContractChangesAsync(SyncHarness.Connection, Ct))
        {
            changes.Add(change);
        }

        return changes;
    }

    private Task<long> Patch(long companyId, Func<EntityPatch<Company>, EntityPatch<Company>> change) =>
        _sync.Client.UpdateAsync(change(new EntityPatch<Company>(companyId)), Ct);

    [Fact]
    public async Task The_first_run_delivers_every_active_customer_with_contact_details()
    {
        var changes = await Customers();

        var expected = _sync.Simulator.Data.All<Company>().Where(c => c.IsActive == true && c.CompanyType == CompanyType.Customer).Select(c => c.Id);
        Assert.Equal(expected, changes.Select(c => c.CompanyId));
        Assert.All(changes, c => Assert.Equal(ChangeKind.Upsert, c.Kind));
        var first = changes[0].Customer!;
        var company = _sync.Simulator.Data.Get<Company>(first.CompanyId)!;
        Assert.Equal(company.CompanyName, first.Name);
        Assert.Equal(company.Address1, first.Address1);
        Assert.Equal([company.Phone!], first.PhoneNumbers);
        Assert.Equal([company.WebAddress!], first.Websites);
        var contact = _sync.Simulator.Data.All<Contact>().Single(c => c.CompanyId == company.Id);
        Assert.Equal([contact.EmailAddress!], first.EmailAddresses);
    }

    [Fact]
    public async Task Later_runs_deliver_only_what_changed_including_removals_and_reactivations()
    {
        await Customers();
        Assert.Empty(await Customers());

        var customers = _sync.Simulator.Data.All<Company>().Where(c => c.IsActive == true && c.CompanyType == CompanyType.Customer).ToList();
        await Patch(customers[0].Id, p => p.Set(c => c.CompanyName, "Renamed Ltd"));
        await Patch(customers[1].Id, p => p.Set(c => c.IsActive, false));
        await Patch(customers[2].Id, p => p.Set(c => c.CompanyType, CompanyType.Vendor));
        var created = await _sync.Client.CreateAsync(new Company { CompanyName = "Brand New Customer", CompanyType = CompanyType.Customer }, Ct);

        var changes = await Customers();

        Assert.Equal(4, changes.Count);
        Assert.Equal("Renamed Ltd", changes.Single(c => c.CompanyId == customers[0].Id).Customer!.Name);
        Assert.Equal(ChangeKind.Removal, changes.Single(c => c.CompanyId == customers[1].Id).Kind);
        Assert.Equal(ChangeKind.Removal, changes.Single(c => c.CompanyId == customers[2].Id).Kind);
        Assert.Equal(ChangeKind.Upsert, changes.Single(c => c.CompanyId == created).Kind);

        await Patch(customers[1].Id, p => p.Set(c => c.IsActive, true));
        var reactivated = Assert.Single(await Customers());
        Assert.Equal((customers[1].Id, ChangeKind.Upsert), (reactivated.CompanyId, reactivated.Kind));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(24)]
    [InlineData(-24)]
    public async Task A_change_that_commits_late_is_delivered_whatever_this_processs_clock_says(int clockAheadHours)
    {
        // The watermark is kept in Autotask's time: a vendor server whose clock is a day off must not skip a change.
        var offset = TimeSpan.FromHours(clockAheadHours);
        await using var sync = SyncHarness.Create(configure: b => b.Services.AddSingleton<TimeProvider>(new ShiftedTimeProvider(offset)));
        var first = new List<CustomerChange>();
        await sync.Inbound.SyncCustomersAsync(SyncHarness.Connection, (c, _) => { first.Add(c); return ValueTask.CompletedTask; }, Ct);
        var latest = sync.Simulator.Data.All<Company>().Max(c => c.LastTrackedModifiedDateTime)!.Value;

        // A transaction that began (and was stamped) a minute before the latest change the run saw, committed after it.
        var late = sync.Simulator.Data.Get<Company>(first[5].CompanyId)!;
        sync.Simulator.Data.Update(late with { CompanyName = "Committed Late Ltd", LastTrackedModifiedDateTime = latest - NodaTime.Duration.FromMinutes(1) });
        var second = new List<CustomerChange>();
        await sync.Inbound.SyncCustomersAsync(SyncHarness.Connection, (c, _) => { second.Add(c); return ValueTask.CompletedTask; }, Ct);
        var third = new List<CustomerChange>();
        await sync.Inbound.SyncCustomersAsync(SyncHarness.Connection, (c, _) => { third.Add(c); return ValueTask.CompletedTask; }, Ct);

        var delivered = Assert.Single(second);
        Assert.Equal((late.Id, "Committed Late Ltd"), (delivered.CompanyId, delivered.Customer!.Name));
        Assert.Empty(third);
    }

    [Fact]
    public async Task A_page_that_keeps_failing_does_not_move_the_watermark_and_the_next_run_delivers_everything_again()
    {
        await using var sync = SyncHarness.Create(new AutotaskSimulatorOptions { DataSet = SimulatorDataSet.Companies(700) }, c => c.MaxRetryAttempts = 1);
        await Customers(sync);
        var watermark = await sync.Store.GetStateAsync(SyncHarness.Connection, "inbound:customers:watermark", Ct);
        Assert.NotNull(watermark);
        foreach (var company in sync.Simulator.Data.All<Company>().Take(600))
        {
            sync.Simulator.Data.Update(company with { CompanyName = company.CompanyName + " (renamed)", LastTrackedModifiedDateTime = company.LastTrackedModifiedDateTime!.Value + NodaTime.Duration.FromHours(1) });
        }

        // Every attempt at the second page fails: the run fails, having delivered the first page only.
        sync.Simulator.Faults.Randomly(SimulatorFault.ServerError, 1.0, r => r.Path.EndsWith("/Companies/query/next", StringComparison.Ordinal));
        var partial = new List<CustomerChange>();
        await Assert.ThrowsAsync<AutotaskServerException>(() => sync.Inbound.SyncCustomersAsync(SyncHarness.Connection, (c, _) => { partial.Add(c); return ValueTask.CompletedTask; }, Ct));
        Assert.Equal(500, partial.Count);
        Assert.Equal(watermark, await sync.Store.GetStateAsync(SyncHarness.Connection, "inbound:customers:watermark", Ct));

        sync.Simulator.Faults.Clear();
        var again = await Customers(sync);
        Assert.Equal(600, again.Count);
        Assert.Equal(partial.Select(c => c.ChangeKey), again.Take(500).Select(c => c.ChangeKey));
    }

    private static async Task<List<CustomerChange>> Customers(SyncHarness sync)
    {
        var changes = new List<CustomerChange>();
        await sync.Inbound.SyncCustomersAsync(SyncHarness.Connection, (c, _) => { changes.Add(c); return ValueTask.CompletedTask; }, Ct);
        return changes;
    }

    [Fact]
    public async Task A_crash_mid_run_delivers_again_with_the_same_change_keys()
    {
        var delivered = new List<string>();
        await Assert.ThrowsAsync<IOException>(() => _sync.Inbound.SyncCustomersAsync(SyncHarness.Connection, (c, _) =>
        {
            delivered.Add(c.ChangeKey);
            return delivered.Count == 3 ? throw new IOException("The consumer crashed.") : ValueTask.CompletedTask;
        }, Ct));

        var again = await Customers();

        Assert.Equal(delivered, again.Take(3).Select(c => c.ChangeKey));
        Assert.Equal(25, again.Count);
        Assert.Empty(await Customers());
    }

    [Fact]
    public async Task Contracts_of_active_customers_are_delivered_with_vendor_name_and_cost_then_incrementally()
    {
        var data = _sync.Simulator.Data;
        var vendor = data.All<Company>().First(c => c.CompanyType == CompanyType.Vendor);
        var firstContract = data.All<Contract>()[0];
        var line = data.All<ContractService>().First(l => l.ContractId == firstContract.Id);
        data.Update(data.Get<Service>(line.ServiceId)! with { VendorCompanyId = vendor.Id });
        data.Update(firstContract with { EstimatedCost = 1234.50m });

        var changes = await Contracts();

        Assert.Equal(data.All<Contract>().Count, changes.Count);
        var record = changes.Single(c => c.ContractId == firstContract.Id).Contract!;
        Assert.Equal(vendor.CompanyName, record.VendorName);
        Assert.Equal(1234.50m, record.OverallCost);
        Assert.Equal(data.Get<Company>(firstContract.CompanyId!.Value)!.CompanyName, record.CompanyName);
        Assert.Contains(changes, c => c.Contract!.VendorName == InboundSyncEngine.DefaultVendorName);

        Assert.Empty(await Contracts());
        await _sync.Client.UpdateAsync(new EntityPatch<Contract>(firstContract.Id).Set(c => c.ContractName, "Renamed contract"), Ct);
        Assert.Equal("Renamed contract", Assert.Single(await Contracts()).Contract!.ContractName);
    }

    [Fact]
    public async Task The_watermark_is_kept_as_json_with_exact_instants_and_an_unreadable_one_starts_over()
    {
        var first = await _sync.Inbound.SyncCustomersAsync(SyncHarness.Connection, (_, _) => ValueTask.CompletedTask, Ct);
        var saved = await _sync.Store.GetStateAsync(SyncHarness.Connection, "inbound:customers:watermark", Ct);

        using (var json = System.Text.Json.JsonDocument.Parse(saved!.Value))
        {
            Assert.Equal(first.Watermark!.Value.ToUnixTimeTicks(), json.RootElement.GetProperty("at").GetInt64());
            Assert.Equal(System.Text.Json.JsonValueKind.Object, json.RootElement.GetProperty("recent").ValueKind);
        }

        Assert.Equal(0, (await _sync.Inbound.SyncCustomersAsync(SyncHarness.Connection, (_, _) => ValueTask.CompletedTask, Ct)).Delivered);

        // A watermark in a form this release cannot read (such as an older release's) is not a reason to fail every run:
        // everything is delivered again, which at-least-once delivery allows, and the watermark is written anew.
        var current = await _sync.Store.GetStateAsync(SyncHarness.Connection, "inbound:customers:watermark", Ct);
        await _sync.Store.SetStateAsync(SyncHarness.Connection, "inbound:customers:watermark", "2026-11-01T00:00:00Z|12:638000000000000000", current!.Version, Ct);
        var again = await _sync.Inbound.SyncCustomersAsync(SyncHarness.Connection, (_, _) => ValueTask.CompletedTask, Ct);

        Assert.Equal(first.Delivered, again.Delivered);
        Assert.StartsWith("{", (await _sync.Store.GetStateAsync(SyncHarness.Connection, "inbound:customers:watermark", Ct))!.Value, StringComparison.Ordinal);
    }
}
