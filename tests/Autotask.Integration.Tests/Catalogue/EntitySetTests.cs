using System.Text.Json.Nodes;
using Autotask.Integration.Entities;
using Autotask.Integration.Metadata;
using Autotask.Integration.Querying;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace Autotask.Integration.Tests.Catalogue;

/// <summary>Entities by name with JSON records, and every write checked against the instance's field metadata before it is sent.</summary>
public sealed class EntitySetTests : IAsyncLifetime
{
    private SimulatorHarness _sim = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private IAutotaskEntitySet Items => _sim.Client.EntitySet("configurationitems");

    public ValueTask InitializeAsync()
    {
        _sim = SimulatorHarness.Create(new AutotaskSimulatorOptions
        {
            PageSize = 2,
            Fixtures = data =>
            {
                foreach (var (title, company) in new[] { ("NAS-01", 1L), ("NAS-02", 1L), ("FW-01", 2L), ("NAS-03", 2L), ("NAS-04", 1L) })
                {
                    data.AddRecord("ConfigurationItems", new JsonObject { ["companyID"] = company, ["referenceTitle"] = title, ["isActive"] = true, ["productID"] = 3 });
                }

                data.SetPicklistValue("ConfigurationItems", "configurationItemType", new PicklistValue { Value = "1", Label = "Server", IsActive = true });
                data.SetPicklistValue("ConfigurationItems", "configurationItemType", new PicklistValue { Value = "2", Label = "Tape drive", IsActive = false });
                data.RequireField("ConfigurationItems", "productID");
            },
        });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _sim.DisposeAsync();

    private int Writes => _sim.Simulator.Requests.Count(r => r.Method is "POST" or "PATCH" or "PUT" or "DELETE" && !r.Path.Contains("/query", StringComparison.OrdinalIgnoreCase));

    [Fact]
    public async Task Records_are_queried_across_pages_counted_and_read_by_name()
    {
        var filters = new[] { Filter.Field("referenceTitle", FilterOperator.BeginsWith, "NAS"), Filter.Field("companyID", FilterOperator.Eq, 1) };

        var found = new List<JsonObject>();
        await foreach (var record in Items.QueryAsync(filters, Token))
        {
            found.Add(record);
        }

        Assert.Equal("ConfigurationItems", Items.EntityName);
        Assert.Equal(["NAS-01", "NAS-02", "NAS-04"], found.Select(r => (string?)r["referenceTitle"]));
        Assert.True(_sim.Simulator.Requests.Count(r => r.Path.Contains("/query", StringComparison.OrdinalIgnoreCase)) >= 2, "the three records come on two pages");
        Assert.Equal(3, await Items.CountAsync(filters, Token));
        var one = await Items.GetAsync((long)found[1]["id"]!, Token);
        Assert.Equal("NAS-02", (string?)one!["referenceTitle"]);
        Assert.Null(await Items.GetAsync(999_999, Token));
    }

    [Fact]
    public async Task A_record_is_created_updated_replaced_and_deleted_and_a_child_goes_to_its_parents_url()
    {
        var id = await Items.CreateAsync(new JsonObject { ["companyID"] = 1, ["referenceTitle"] = "NAS-09", ["productID"] = 3, ["configurationItemType"] = 1 }, cancellationToken: Token);
        await Items.UpdateAsync(id, new JsonObject { ["location"] = "Rack 4" }, cancellationToken: Token);
        var stored = _sim.Simulator.Data.Records("ConfigurationItems").Single(r => (long)r["id"]! == id);
        Assert.Equal("Rack 4", (string?)stored["location"]);
        Assert.Equal("NAS-09", (string?)stored["referenceTitle"]);

        await Items.ReplaceAsync(new JsonObject { ["id"] = id, ["companyID"] = 1, ["referenceTitle"] = "NAS-09b", ["productID"] = 3 }, cancellationToken: Token);
        stored = _sim.Simulator.Data.Records("ConfigurationItems").Single(r => (long)r["id"]! == id);
        Assert.Equal("NAS-09b", (string?)stored["referenceTitle"]);
        Assert.Null(stored["location"]);

        var notes = _sim.Client.EntitySet("ConfigurationItemNotes");
        var note = await notes.CreateAsync(new JsonObject { ["title"] = "Installed", ["description"] = "Racked", ["noteType"] = 1 }, parentId: id, Token);
        Assert.EndsWith($"/ConfigurationItems/{id}/Notes", _sim.Simulator.Requests[^1].Path, StringComparison.Ordinal);
        Assert.Equal(id, (long)(await notes.GetAsync(note, Token))!["configurationItemID"]!);

        var webhook = _sim.Simulator.Data.AddRecord("CompanyWebhooks", new JsonObject { ["name"] = "w", ["webhookUrl"] = "https://hooks.example.com/a" });
        var fields = _sim.Client.EntitySet("CompanyWebhookFields");
        var field = await fields.CreateAsync(new JsonObject { ["webhookID"] = webhook, ["fieldID"] = 7, ["isSubscribedField"] = true }, cancellationToken: Token);
        await fields.DeleteAsync(field, webhook, Token);
        Assert.EndsWith($"/CompanyWebhooks/{webhook}/Fields/{field}", _sim.Simulator.Requests[^1].Path, StringComparison.Ordinal);
        Assert.Empty(_sim.Simulator.Data.Records("CompanyWebhookFields"));
    }

    public static TheoryData<string, string, AutotaskFieldProblem> BadRecords => new()
    {
        { """{"companyID":1,"productID":3,"referenceTitle":"x","noSuchField":1}""", "noSuchField", AutotaskFieldProblem.UnknownField },
        { """{"companyID":1,"referenceTitle":"x"}""", "productID", AutotaskFieldProblem.Required },
        { """{"companyID":1,"productID":"","referenceTitle":"x"}""", "productID", AutotaskFieldProblem.Required },
        { """{"companyID":1,"productID":3,"createDate":"2026-01-01T00:00:00Z"}""", "createDate", AutotaskFieldProblem.ReadOnly },
        { """{"companyID":1,"productID":3,"configurationItemType":2}""", "configurationItemType", AutotaskFieldProblem.InactivePicklistValue },
        { """{"companyID":1,"productID":3,"configurationItemType":"9"}""", "configurationItemType", AutotaskFieldProblem.NotAPicklistValue },
    };

    [Theory]
    [MemberData(nameof(BadRecords))]
    public async Task A_bad_record_is_refused_with_the_field_named_and_nothing_sent(string json, string field, AutotaskFieldProblem problem)
    {
        var before = _sim.Simulator.Data.Records("ConfigurationItems").Count;

        var error = await Assert.ThrowsAsync<AutotaskFieldException>(() => Items.CreateAsync(JsonNode.Parse(json)!.AsObject(), cancellationToken: Token));

        Assert.Equal(field, error.Field);
        Assert.Equal(problem, error.Problem);
        Assert.Equal("ConfigurationItems", error.Entity);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, Writes);
        Assert.Equal(before, _sim.Simulator.Data.Records("ConfigurationItems").Count);
    }

    [Fact]
    public async Task Bad_updates_and_filters_are_refused_before_anything_is_sent()
    {
        var id = (long)_sim.Simulator.Data.Records("ConfigurationItems")[0]["id"]!;

        var cleared = await Assert.ThrowsAsync<AutotaskFieldException>(() => Items.UpdateAsync(id, new JsonObject { ["productID"] = null }, cancellationToken: Token));
        Assert.Equal(AutotaskFieldProblem.Required, cleared.Problem);
        var readOnly = await Assert.ThrowsAsync<AutotaskFieldException>(() => Items.UpdateAsync(id, new JsonObject { ["createDate"] = "2026-01-01T00:00:00Z" }, cancellationToken: Token));
        Assert.Equal(AutotaskFieldProblem.ReadOnly, readOnly.Problem);
        var unknown = await Assert.ThrowsAsync<AutotaskFieldException>(async () =>
        {
            await foreach (var _ in Items.QueryAsync([Filter.Or(Filter.Field("referenceTitle", FilterOperator.Eq, "x"), Filter.Field("serialNumberTypo", FilterOperator.Eq, "x"))], Token))
            {
            }
        });
        Assert.Equal("serialNumberTypo", unknown.Field);
        var udf = await Assert.ThrowsAsync<AutotaskFieldException>(() => Items.CountAsync([Filter.Udf("No Such UDF", FilterOperator.Eq, "x")], Token));
        Assert.Equal(AutotaskFieldProblem.UnknownField, udf.Problem);

        Assert.Equal(0, Writes);
        Assert.DoesNotContain(_sim.Simulator.Requests, r => r.Path.Contains("/query", StringComparison.OrdinalIgnoreCase));
        // The fields were read once for the connection, however many checks used them.
        Assert.Equal(1, _sim.Simulator.Requests.Count(r => r.Path.EndsWith("ConfigurationItems/entityInformation/fields", StringComparison.OrdinalIgnoreCase)));
    }

    [Fact]
    public async Task Arguments_are_checked_before_anything_is_sent()
    {
        foreach (var name in new[] { "", " ", "Tickets/1", "../Companies", "Tickets?x=1", "1Tickets", "Tick ets" })
        {
            Assert.ThrowsAny<ArgumentException>(() => _sim.Client.EntitySet(name));
        }

        await Assert.ThrowsAsync<ArgumentException>(() => Items.CreateAsync(new JsonObject { ["id"] = 4 }, cancellationToken: Token));
        await Assert.ThrowsAsync<ArgumentException>(() => Items.ReplaceAsync(new JsonObject { ["referenceTitle"] = "no id" }, cancellationToken: Token));
        await Assert.ThrowsAsync<ArgumentException>(() => Items.UpdateAsync(1, [], cancellationToken: Token));
        await Assert.ThrowsAsync<ArgumentException>(() => _sim.Client.EntitySet("ConfigurationItemNotes").CreateAsync(new JsonObject { ["title"] = "no parent" }, cancellationToken: Token));
        await Assert.ThrowsAsync<NotSupportedException>(() => _sim.Client.EntitySet("ContractServiceAdjustments").GetAsync(1, Token));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Items.DeleteAsync(0, cancellationToken: Token));
        Assert.Empty(_sim.Simulator.Requests);
    }

    [Fact]
    public async Task Typed_writes_are_checked_too_when_the_connection_asks_for_it()
    {
        await using var checking = SimulatorHarness.Create(connection: c => c.ValidateWrites = true);
        checking.Simulator.Data.SetPicklistValue("Tickets", "priority", new PicklistValue { Value = "9", Label = "Retired", IsActive = false });
        var ticket = new Ticket { CompanyId = 1, Title = "Backup failed", Status = 1, Priority = 9, QueueId = 5 };

        var error = await Assert.ThrowsAsync<AutotaskFieldException>(() => checking.Client.CreateAsync(ticket, Token));

        Assert.Equal(("Tickets", "priority", AutotaskFieldProblem.InactivePicklistValue), (error.Entity, error.Field, error.Problem));
        Assert.DoesNotContain(checking.Simulator.Data.All<Ticket>(), t => t.Title == "Backup failed");
        Assert.DoesNotContain(checking.Simulator.Requests, r => r.Method == "POST" && r.Path.EndsWith("/Tickets", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Typed_writes_are_checked_for_lengths_too_when_the_connection_asks_for_it()
    {
        await using var checking = SimulatorHarness.Create(connection: c => c.ValidateWrites = true);
        var ticket = new Ticket { CompanyId = 1, Title = new string('x', 256), Status = 1, Priority = 1 };

        var error = await Assert.ThrowsAsync<AutotaskFieldException>(() => checking.Client.CreateAsync(ticket, Token));

        Assert.Equal(("Tickets", "title", AutotaskFieldProblem.TooLong), (error.Entity, error.Field, error.Problem));
        Assert.DoesNotContain(checking.Simulator.Requests, r => r.Method == "POST" && r.Path.EndsWith("/Tickets", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Typed_writes_the_sdk_produces_pass_the_value_checks()
    {
        // Ids as numbers, instants and dates at midnight as strings, decimals, a picklist value's id, and a boolean Autotask keeps as 1 or 0.
        await using var checking = SimulatorHarness.Create(connection: c => c.ValidateWrites = true);
        var client = checking.Client;
        var company = await client.CreateAsync(new Company { CompanyName = "Contoso", CompanyType = CompanyType.Customer }, Token);
        var contact = await client.CreateAsync(new Contact { CompanyId = company, FirstName = "Ada", LastName = "Lovelace", IsActive = true }, Token);
        await client.UpdateAsync(new EntityPatch<Contact>(contact, company).Set(c => c.IsActive, false), Token);
        var contract = await client.CreateAsync(new Contract
        {
            CompanyId = company, ContractName = "Backup", ContractType = ContractType.RecurringService, Status = 1,
            StartDate = new NodaTime.LocalDate(2027, 1, 1), EndDate = new NodaTime.LocalDate(2027, 12, 31), EstimatedRevenue = 1234.56m,
        }, Token);
        var read = (await client.GetAsync<Contract>(contract, Token))!;
        await client.ReplaceAsync(read with { ContractName = "Backup and restore" }, Token);
        var ticket = await client.CreateAsync(new Ticket
        {
            CompanyId = company, Title = "Backup failed", Status = 1, Priority = 1, DueDateTime = NodaTime.Instant.FromUtc(2027, 1, 2, 17, 30),
        }, Token);
        await client.UpdateAsync(new EntityPatch<Ticket>(ticket).Set(t => t.DueDateTime, NodaTime.Instant.FromUtc(2027, 1, 3, 9, 0)), Token);
        var item = await client.CreateAsync(new ConfigurationItem
        {
            CompanyId = company, ProductId = 3, ReferenceTitle = "NAS-10", IsActive = true, DailyCost = 1.25m, InstallDate = NodaTime.Instant.FromUtc(2026, 6, 1, 0, 0),
        }, Token);

        Assert.False((await client.GetAsync<Contact>(contact, Token))!.IsActive);
        Assert.Equal("Backup and restore", (await client.GetAsync<Contract>(contract, Token))!.ContractName);
        Assert.Equal(NodaTime.Instant.FromUtc(2027, 1, 3, 9, 0), (await client.GetAsync<Ticket>(ticket, Token))!.DueDateTime);
        Assert.Equal("NAS-10", (await client.GetAsync<ConfigurationItem>(item, Token))!.ReferenceTitle);
    }

    [Fact]
    public void No_model_has_two_fields_whose_names_differ_only_by_case()
    {
        // A typed record is written with its model's field names: two of one name in different case would send one field twice.
        var context = Autotask.Integration.Entities.AutotaskEntityJsonContext.Default;
        var clashes = Autotask.Integration.Entities.EntityCatalog.All
            .Select(e => context.GetTypeInfo(e.ModelType)!)
            .SelectMany(info => info.Properties.GroupBy(p => p.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1)
                .Select(g => info.Type.Name + ": " + string.Join(", ", g.Select(p => p.Name))))
            .ToList();

        Assert.True(Autotask.Integration.Entities.EntityCatalog.All.Count > 100, "every model is looked at");
        Assert.Empty(clashes);
    }

    [Fact]
    public async Task An_entity_the_catalogue_does_not_know_is_written_on_its_own_url_after_its_fields_are_read()
    {
        using var server = TestServer.Start();
        server.Given(Request.Create().WithPath("/atservicesrest/v1.0/FutureEntities/entityInformation/fields").UsingGet())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json")
                .WithBody("""{"fields":[{"name":"id","dataType":"long","isReadOnly":true},{"name":"name","dataType":"string","isRequired":true}]}"""));
        server.Given(Request.Create().WithPath("/atservicesrest/v1.0/FutureEntities").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("""{"itemId":77}"""));
        using var harness = ClientHarness.For(server);
        var future = harness.Client.EntitySet("FutureEntities");

        Assert.Equal(77, await future.CreateAsync(new JsonObject { ["name"] = "first" }, cancellationToken: Token));
        await Assert.ThrowsAsync<AutotaskFieldException>(() => future.CreateAsync(new JsonObject { ["name"] = " " }, cancellationToken: Token));
        await Assert.ThrowsAsync<ArgumentException>(() => future.CreateAsync(new JsonObject { ["name"] = "child" }, parentId: 4, Token));

        Assert.Equal(
            ["GET /atservicesrest/v1.0/FutureEntities/entityInformation/fields", "POST /atservicesrest/v1.0/FutureEntities"],
            server.LogEntries.Select(e => e.RequestMessage!.Method + " " + e.RequestMessage.Path));
        Assert.Equal("""{"name":"first"}""", server.LogEntries.Last().RequestMessage!.Body);
    }
}
