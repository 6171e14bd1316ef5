using Autotask.Integration.Auditing;
using Autotask.Integration.Entities;
using Autotask.Integration.Mapping;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using NodaTime;

namespace Autotask.Integration.Tests.Sync;

public sealed class MappingEngineTests : IAsyncLifetime
{
    private SyncHarness _sync = null!;
    private Company _customer = null!;
    private Company _otherCustomer = null!;
    private Company _vendor = null!;
    private Company _inactive = null!;
    private Contract _recurring = null!;
    private Contract _hourly = null!;
    private Contract _ended = null!;
    private Contract _othersContract = null!;
    private Service _monthly = null!;
    private Service _annual = null!;
    private Service _notOnContract = null!;
    private ContractService _line = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        var start = new LocalDate(2026, 1, 1);
        var end = new LocalDate(2027, 12, 31);
        _sync = SyncHarness.Create(new AutotaskSimulatorOptions
        {
            DataSet = SimulatorDataSet.Empty,
            Fixtures = data =>
            {
                _customer = data.Add(new Company { CompanyName = "Contoso Dental", CompanyType = CompanyType.Customer, IsActive = true });
                _otherCustomer = data.Add(new Company { CompanyName = "Alpine Legal", CompanyType = CompanyType.Customer, IsActive = true });
                _vendor = data.Add(new Company { CompanyName = "Contoso Supplies", CompanyType = CompanyType.Vendor, IsActive = true });
                _inactive = data.Add(new Company { CompanyName = "Contoso Old", CompanyType = CompanyType.Customer, IsActive = false });
                data.Add(new Company { CompanyName = "contoso bakery", CompanyType = CompanyType.Customer, IsActive = true });
                _recurring = data.Add(new Contract { CompanyId = _customer.Id, ContractName = "Managed", ContractType = ContractType.RecurringService, Status = 1, StartDate = start, EndDate = end });
                _hourly = data.Add(new Contract { CompanyId = _customer.Id, ContractName = "T&M", ContractType = ContractType.TimeAndMaterials, Status = 1, StartDate = start, EndDate = end });
                _ended = data.Add(new Contract { CompanyId = _customer.Id, ContractName = "Old", ContractType = ContractType.RecurringService, Status = 0, StartDate = start, EndDate = end });
                _othersContract = data.Add(new Contract { CompanyId = _otherCustomer.Id, ContractName = "Theirs", ContractType = ContractType.RecurringService, Status = 1, StartDate = start, EndDate = end });
                _monthly = data.Add(new Service { Name = "M365 Premium (monthly)", PeriodType = 1, UnitPrice = 22m });
                _annual = data.Add(new Service { Name = "M365 Premium (annual)", PeriodType = 4, UnitPrice = 264m });
                _notOnContract = data.Add(new Service { Name = "Backup (monthly)", PeriodType = 1, UnitPrice = 5m });
                _line = data.Add(new ContractService { ContractId = _recurring.Id, ServiceId = _monthly.Id, UnitPrice = 22m });
            },
        }, c => c.Currency = "EUR");
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _sync.DisposeAsync();

    private async Task<MappingException> Refused(Func<Task> action, MappingError error)
    {
        var before = _sync.Audit.Events.Count;
        var exception = await Assert.ThrowsAnyAsync<MappingException>(action);
        Assert.Equal(error, exception.Error);
        var audit = _sync.Audit.Events[before];
        Assert.Equal(AuditStatus.Failed, audit.Status);
        Assert.Equal(exception.Message, audit.Details);
        return exception;
    }

    private Task MapCustomerAndOffer() => Task.WhenAll(
        _sync.Mapping.MapCustomerAsync(SyncHarness.Connection, "cust-1", _customer.Id, Ct),
        _sync.Mapping.MapOfferAsync(SyncHarness.Connection, "m365-monthly", BillingTerm.Monthly, _monthly.Id, Ct),
        _sync.Mapping.MapOfferAsync(SyncHarness.Connection, "backup-monthly", BillingTerm.Monthly, _notOnContract.Id, Ct));

    private static SubscriptionMappingRequest Request(string offer = "m365-monthly", long? contract = null) => new()
    {
        VendorSubscriptionId = "sub-1",
        VendorCustomerId = "cust-1",
        VendorOfferId = offer,
        ContractId = contract ?? 0,
    };

    [Fact]
    public async Task Customer_search_lists_active_customers_by_name_prefix_alphabetically()
    {
        var found = await _sync.Mapping.SearchCustomersAsync(SyncHarness.Connection, "CONTOSO", cancellationToken: Ct);

        Assert.Equal(["contoso bakery", "Contoso Dental"], found.Select(c => c.CompanyName));
        Assert.Equal(["Contoso Dental"], (await _sync.Mapping.SearchCustomersAsync(SyncHarness.Connection, "contoso", skip: 1, take: 1, Ct)).Select(c => c.CompanyName));
    }

    [Fact]
    public async Task A_customer_maps_to_a_customer_company_once_and_is_audited()
    {
        var mapping = await _sync.Mapping.MapCustomerAsync(SyncHarness.Connection, "cust-1", _customer.Id, Ct);

        Assert.Equal("Contoso Dental", mapping.CompanyName);
        Assert.Equal(mapping, await _sync.Store.FindCustomerAsync(SyncHarness.Connection, "cust-1", Ct));
        var audit = Assert.Single(_sync.Audit.Events);
        Assert.Equal(AuditOperations.CreateConnectionCustomerMapping, audit.Operation);
        Assert.Equal(AuditStatus.Succeeded, audit.Status);
        Assert.Equal("cust-1", audit.VendorIds["customer"]);
        Assert.Equal(_customer.Id, audit.AutotaskIds["company"]);

        await Refused(() => _sync.Mapping.MapCustomerAsync(SyncHarness.Connection, "cust-1", _otherCustomer.Id, Ct), MappingError.AlreadyMapped);
        await Refused(() => _sync.Mapping.MapCustomerAsync(SyncHarness.Connection, "cust-2", _customer.Id, Ct), MappingError.AlreadyMapped);
    }

    [Fact]
    public async Task Companies_that_are_not_active_customers_or_do_not_exist_are_refused()
    {
        var vendor = await Refused(() => _sync.Mapping.MapCustomerAsync(SyncHarness.Connection, "cust-1", _vendor.Id, Ct), MappingError.CompanyNotCustomer);
        Assert.Contains("not of type Customer", vendor.Message, StringComparison.Ordinal);
        await Refused(() => _sync.Mapping.MapCustomerAsync(SyncHarness.Connection, "cust-1", _inactive.Id, Ct), MappingError.CompanyInactive);
        await Refused(() => _sync.Mapping.MapCustomerAsync(SyncHarness.Connection, "cust-1", 987654, Ct), MappingError.CompanyNotFound);
        await Refused(() => _sync.Mapping.MapCustomerAsync(SyncHarness.Connection, " ", _customer.Id, Ct), MappingError.InvalidInput);
        Assert.Empty(await _sync.Store.ListCustomersAsync(SyncHarness.Connection, Ct));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(long.MinValue)]
    public async Task Ids_that_cannot_be_Autotask_ids_are_refused_as_mapping_errors_and_audited(long id)
    {
        var customer = await Refused(() => _sync.Mapping.MapCustomerAsync(SyncHarness.Connection, "cust-1", id, Ct), MappingError.InvalidInput);
        Assert.Contains("company id", customer.Message, StringComparison.Ordinal);
        await MapCustomerAndOffer();
        await Refused(() => _sync.Mapping.MapOfferAsync(SyncHarness.Connection, "offer-2", BillingTerm.Monthly, id, Ct), MappingError.InvalidInput);
        await Refused(() => _sync.Mapping.MapSubscriptionAsync(SyncHarness.Connection, Request(contract: id), Ct), MappingError.InvalidInput);
        await Refused(() => _sync.Mapping.MapSubscriptionAsync(SyncHarness.Connection, Request(contract: _recurring.Id) with { ContractServiceId = id }, Ct), MappingError.InvalidInput);
        Assert.Empty(await _sync.Store.ListSubscriptionsAsync(SyncHarness.Connection, cancellationToken: Ct));
    }

    [Fact]
    public async Task A_subscription_with_a_write_pending_cannot_be_unmapped()
    {
        await MapCustomerAndOffer();
        var mapped = await _sync.Mapping.MapSubscriptionAsync(SyncHarness.Connection, Request(contract: _recurring.Id), Ct);
        var entry = new AdjustmentLedgerEntry
        {
            OperationId = "in-flight", Connection = SyncHarness.Connection, VendorSubscriptionId = "sub-1", ContractId = mapped.ContractId,
            ContractServiceId = mapped.ContractServiceId, EffectiveDate = new LocalDate(2026, 12, 1), UnitsBefore = 1, UnitsAfter = 2,
        };
        await _sync.Store.BeginAsync(entry, Ct);

        var error = await Refused(() => _sync.Mapping.UnmapSubscriptionAsync(SyncHarness.Connection, "sub-1", Ct), MappingError.InUse);
        Assert.Contains("pending", error.Message, StringComparison.Ordinal);
        Assert.NotNull(await _sync.Store.FindSubscriptionAsync(SyncHarness.Connection, "sub-1", Ct));

        await _sync.Store.SettleAdjustmentAsync(SyncHarness.Connection, "in-flight", AdjustmentState.Applied, null, Ct);
        Assert.True(await _sync.Mapping.UnmapSubscriptionAsync(SyncHarness.Connection, "sub-1", Ct));
    }

    [Fact]
    public async Task A_customer_with_mapped_subscriptions_cannot_be_unmapped()
    {
        await MapCustomerAndOffer();
        await _sync.Mapping.MapSubscriptionAsync(SyncHarness.Connection, Request(contract: _recurring.Id), Ct);

        await Refused(() => _sync.Mapping.UnmapCustomerAsync(SyncHarness.Connection, "cust-1", Ct), MappingError.InUse);
        Assert.True(await _sync.Mapping.UnmapSubscriptionAsync(SyncHarness.Connection, "sub-1", Ct));
        Assert.True(await _sync.Mapping.UnmapCustomerAsync(SyncHarness.Connection, "cust-1", Ct));
        Assert.False(await _sync.Mapping.UnmapCustomerAsync(SyncHarness.Connection, "cust-1", Ct));
    }

    [Fact]
    public async Task An_offer_with_mapped_subscriptions_cannot_be_unmapped_and_can_be_once_they_are()
    {
        await MapCustomerAndOffer();
        await _sync.Mapping.MapSubscriptionAsync(SyncHarness.Connection, Request(contract: _recurring.Id), Ct);

        var error = await Refused(() => _sync.Mapping.UnmapOfferAsync(SyncHarness.Connection, "m365-monthly", Ct), MappingError.InUse);
        Assert.Contains("1 mapped subscription", error.Message, StringComparison.Ordinal);
        Assert.NotNull(await _sync.Store.FindOfferAsync(SyncHarness.Connection, "m365-monthly", Ct));
        // An offer no subscription uses goes at once; the other stays mapped.
        Assert.True(await _sync.Mapping.UnmapOfferAsync(SyncHarness.Connection, "backup-monthly", Ct));
        Assert.True(await _sync.Mapping.UnmapSubscriptionAsync(SyncHarness.Connection, "sub-1", Ct));
        Assert.True(await _sync.Mapping.UnmapOfferAsync(SyncHarness.Connection, "m365-monthly", Ct));
        Assert.False(await _sync.Mapping.UnmapOfferAsync(SyncHarness.Connection, "m365-monthly", Ct));

        Assert.Null(await _sync.Store.FindOfferAsync(SyncHarness.Connection, "m365-monthly", Ct));
        var deleted = _sync.Audit.Events.Where(e => e.Operation == AuditOperations.DeleteOfferMapping).ToList();
        Assert.Equal([AuditStatus.Failed, AuditStatus.Succeeded, AuditStatus.Succeeded, AuditStatus.Succeeded], deleted.Select(e => e.Status));
        Assert.Equal("m365-monthly", deleted[^1].VendorIds["offer"]);
    }

    [Fact]
    public async Task An_offer_maps_to_a_service_whose_period_matches_its_term()
    {
        var offer = await _sync.Mapping.MapOfferAsync(SyncHarness.Connection, "m365-annual", BillingTerm.Annual, _annual.Id, Ct);

        Assert.Equal(_annual.Id, offer.ServiceId);
        var mismatch = await Refused(() => _sync.Mapping.MapOfferAsync(SyncHarness.Connection, "m365-monthly", BillingTerm.Monthly, _annual.Id, Ct), MappingError.TermMismatch);
        Assert.Contains("Yearly", mismatch.Message, StringComparison.Ordinal);
        await Refused(() => _sync.Mapping.MapOfferAsync(SyncHarness.Connection, "nope", BillingTerm.Monthly, 99999, Ct), MappingError.ServiceNotFound);
        await Refused(() => _sync.Mapping.MapOfferAsync(SyncHarness.Connection, "m365-annual", BillingTerm.Annual, _annual.Id, Ct), MappingError.AlreadyMapped);
    }

    [Fact]
    public async Task A_subscription_maps_to_the_contracts_line_for_its_offer()
    {
        await MapCustomerAndOffer();

        var mapping = await _sync.Mapping.MapSubscriptionAsync(SyncHarness.Connection, Request(contract: _recurring.Id), Ct);

        Assert.Equal(_line.Id, mapping.ContractServiceId);
        Assert.Equal(_customer.Id, mapping.CompanyId);
        Assert.Equal("EUR", mapping.Currency);
        Assert.Equal(AuditOperations.CreateSubscriptionMapping, _sync.Audit.Events[^1].Operation);
        await Refused(() => _sync.Mapping.MapSubscriptionAsync(SyncHarness.Connection, Request(contract: _recurring.Id), Ct), MappingError.AlreadyMapped);
    }

    [Fact]
    public async Task At_purchase_time_the_service_is_added_to_the_contract()
    {
        await MapCustomerAndOffer();

        await Refused(() => _sync.Mapping.MapSubscriptionAsync(SyncHarness.Connection, Request("backup-monthly", _recurring.Id), Ct), MappingError.ContractServiceMismatch);
        var mapping = await _sync.Mapping.MapSubscriptionAsync(SyncHarness.Connection, Request("backup-monthly", _recurring.Id) with { AddServiceToContract = true }, Ct);

        var line = _sync.Simulator.Data.Get<ContractService>(mapping.ContractServiceId)!;
        Assert.Equal(_notOnContract.Id, line.ServiceId);
        Assert.Equal(_recurring.Id, line.ContractId);
        Assert.Contains(_sync.Audit.Events, e => e.Operation == AuditOperations.AddContractService && e.AutotaskIds["contractService"] == line.Id);
    }

    [Fact]
    public async Task Every_broken_link_of_a_subscription_is_refused_with_its_own_error()
    {
        await Refused(() => _sync.Mapping.MapSubscriptionAsync(SyncHarness.Connection, Request(contract: _recurring.Id), Ct), MappingError.CustomerNotMapped);
        await _sync.Mapping.MapCustomerAsync(SyncHarness.Connection, "cust-1", _customer.Id, Ct);
        await Refused(() => _sync.Mapping.MapSubscriptionAsync(SyncHarness.Connection, Request(contract: _recurring.Id), Ct), MappingError.OfferNotMapped);
        await _sync.Mapping.MapOfferAsync(SyncHarness.Connection, "m365-monthly", BillingTerm.Monthly, _monthly.Id, Ct);

        await Refused(() => _sync.Mapping.MapSubscriptionAsync(SyncHarness.Connection, Request(contract: 4242), Ct), MappingError.ContractNotFound);
        await Refused(() => _sync.Mapping.MapSubscriptionAsync(SyncHarness.Connection, Request(contract: _othersContract.Id), Ct), MappingError.ContractOfAnotherCompany);
        await Refused(() => _sync.Mapping.MapSubscriptionAsync(SyncHarness.Connection, Request(contract: _hourly.Id), Ct), MappingError.ContractNotRecurringService);
        await Refused(() => _sync.Mapping.MapSubscriptionAsync(SyncHarness.Connection, Request(contract: _ended.Id), Ct), MappingError.ContractInactive);
        await Refused(() => _sync.Mapping.MapSubscriptionAsync(SyncHarness.Connection, Request(contract: _recurring.Id) with { ContractServiceId = 5 }, Ct), MappingError.ContractServiceMismatch);
        await Refused(() => _sync.Mapping.MapSubscriptionAsync(SyncHarness.Connection, Request(contract: _recurring.Id) with { Currency = "USD" }, Ct), MappingError.CurrencyMismatch);

        Assert.Empty(await _sync.Store.ListSubscriptionsAsync(SyncHarness.Connection, cancellationToken: Ct));
    }

    [Fact]
    public async Task Recurring_contracts_of_a_mapped_customer_are_listed()
    {
        await _sync.Mapping.MapCustomerAsync(SyncHarness.Connection, "cust-1", _customer.Id, Ct);

        var contracts = await _sync.Mapping.FindRecurringContractsAsync(SyncHarness.Connection, "cust-1", Ct);

        Assert.Equal([_recurring.Id], contracts.Select(c => c.Id));
    }

    [Fact]
    public async Task An_audit_sink_that_fails_never_loses_the_result()
    {
        await using var sync = SyncHarness.Create(extraSink: new ThrowingSink());

        var mapping = await sync.Mapping.MapCustomerAsync(SyncHarness.Connection, "c", sync.Simulator.Data.All<Company>()[0].Id, Ct);

        Assert.NotNull(await sync.Store.FindCustomerAsync(SyncHarness.Connection, "c", Ct));
        Assert.Equal(mapping.CompanyId, Assert.Single(sync.Audit.Events).AutotaskIds["company"]);
    }

    private sealed class ThrowingSink : IAuditSink
    {
        public Task WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default) => throw new IOException("The audit database is down.");
    }
}

/// <summary>Tenants answer a GET of a missing id with 200 or with 404; the mapping rules must read the same either way.</summary>
public sealed class MissingIdTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(System.Net.HttpStatusCode.OK)]
    [InlineData(System.Net.HttpStatusCode.NotFound)]
    public async Task Ids_that_do_not_exist_are_mapping_errors_whichever_way_the_tenant_answers(System.Net.HttpStatusCode missing)
    {
        Company customer = null!;
        Service monthly = null!;
        Contract contract = null!;
        await using var sync = SyncHarness.Create(new AutotaskSimulatorOptions
        {
            MissingIdStatus = missing,
            DataSet = SimulatorDataSet.Empty,
            Fixtures = data =>
            {
                customer = data.Add(new Company { CompanyName = "Contoso Dental", CompanyType = CompanyType.Customer, IsActive = true });
                monthly = data.Add(new Service { Name = "M365 (monthly)", PeriodType = 1, UnitPrice = 22m });
                contract = data.Add(new Contract { CompanyId = customer.Id, ContractName = "Managed", ContractType = ContractType.RecurringService, Status = 1, StartDate = new LocalDate(2026, 1, 1), EndDate = new LocalDate(2027, 12, 31) });
            },
        });

        Assert.Null(await sync.Client.GetAsync<Company>(987654, Ct));
        Assert.Equal(MappingError.CompanyNotFound, (await Assert.ThrowsAsync<MappingException>(() => sync.Mapping.MapCustomerAsync(SyncHarness.Connection, "cust-1", 987654, Ct))).Error);
        Assert.Equal(MappingError.ServiceNotFound, (await Assert.ThrowsAsync<MappingException>(() => sync.Mapping.MapOfferAsync(SyncHarness.Connection, "offer-1", BillingTerm.Monthly, 987654, Ct))).Error);
        await sync.Mapping.MapCustomerAsync(SyncHarness.Connection, "cust-1", customer.Id, Ct);
        await sync.Mapping.MapOfferAsync(SyncHarness.Connection, "offer-1", BillingTerm.Monthly, monthly.Id, Ct);
        var request = new SubscriptionMappingRequest { VendorSubscriptionId = "sub-1", VendorCustomerId = "cust-1", VendorOfferId = "offer-1", ContractId = 987654 };
        Assert.Equal(MappingError.ContractNotFound, (await Assert.ThrowsAsync<MappingException>(() => sync.Mapping.MapSubscriptionAsync(SyncHarness.Connection, request, Ct))).Error);
        Assert.Equal(MappingError.ContractServiceMismatch, (await Assert.ThrowsAsync<MappingException>(() =>
            sync.Mapping.MapSubscriptionAsync(SyncHarness.Connection, request with { ContractId = contract.Id, ContractServiceId = 987654 }, Ct))).Error);
        Assert.Equal(4, sync.Audit.Events.Count(e => e.Status == AuditStatus.Failed));
    }
}
