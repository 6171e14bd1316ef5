using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Autotask.Integration.Tests.Support;
using NodaTime;
using Snapshooter.Xunit3;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Autotask.Integration.Tests.Entities;

public sealed class WriteTests : IDisposable
{
    private readonly WireMockServer _server = TestServer.Start();

    public WriteTests()
    {
        _server.Given(Request.Create().UsingAnyMethod())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("""{"itemId":4242}"""));
    }

    public void Dispose() => _server.Dispose();

    private (string Method, string Path, Newtonsoft.Json.Linq.JToken Body) Sent()
    {
        var request = Assert.Single(_server.LogEntries).RequestMessage!;
        return (request.Method, request.Path, JsonText.Parse(request.Body!));
    }

    [Fact]
    public async Task Creating_a_ticket_posts_the_model_without_nulls()
    {
        using var harness = ClientHarness.For(_server);

        var id = await harness.Client.CreateAsync(new Ticket
        {
            CompanyId = 12,
            Title = "Backup failed on SRV01",
            Description = "Job 'Nightly' ended with errors.",
            Status = 1,
            Priority = 2,
            QueueId = 8,
            DueDateTime = Instant.FromUtc(2026, 11, 26, 17, 0),
        }, TestContext.Current.CancellationToken);

        Assert.Equal(4242, id);
        var (method, path, body) = Sent();
        Assert.Equal("POST", method);
        Assert.Equal("/atservicesrest/v1.0/Tickets", path);
        Snapshot.Match(body);
    }

    [Fact]
    public async Task A_ticket_note_is_created_under_its_ticket()
    {
        using var harness = ClientHarness.For(_server);

        await harness.Client.CreateAsync(new TicketNote { TicketId = 77, Title = "Repeat", Description = "Seen again", NoteType = 1, Publish = 1 },
            TestContext.Current.CancellationToken);

        Assert.Equal("/atservicesrest/v1.0/Tickets/77/Notes", Sent().Path);
    }

    [Fact]
    public async Task An_adjustment_is_created_under_its_contract_with_a_date_only_effective_date()
    {
        using var harness = ClientHarness.For(_server);

        await harness.Client.CreateAsync(new ContractServiceAdjustment
        {
            ContractId = 31,
            ContractServiceId = 310,
            EffectiveDate = new LocalDate(2026, 12, 1),
            UnitChange = -3,
            AdjustedUnitPrice = 9.5m,
        }, TestContext.Current.CancellationToken);

        var (_, path, body) = Sent();
        Assert.Equal("/atservicesrest/v1.0/Contracts/31/ServiceAdjustments", path);
        Assert.Equal("2026-12-01T00:00:00", (string?)body["effectiveDate"]);
        Assert.Equal(-3, (int?)body["unitChange"]);
        Assert.Equal(310, (long?)body["contractServiceID"]);
    }

    [Fact]
    public async Task A_contract_service_is_created_under_its_contract() 
    {
        using var harness = ClientHarness.For(_server);

        await harness.Client.CreateAsync(new ContractService { ContractId = 31, ServiceId = 5, UnitPrice = 10m }, TestContext.Current.CancellationToken);

        Assert.Equal("/atservicesrest/v1.0/Contracts/31/Services", Sent().Path);
    }

    [Fact]
    public async Task A_patch_sends_only_the_id_and_the_changed_fields()
    {
        using var harness = ClientHarness.For(_server);

        var patch = new EntityPatch<Ticket>(55).Set(t => t.Status, 5).Set(t => t.Title, "Resolved").Set(t => t.AssignedResourceId, null)
            .SetUserDefinedField("Vendor Ref", "A-1");
        await harness.Client.UpdateAsync(patch, TestContext.Current.CancellationToken);

        var (method, path, body) = Sent();
        Assert.Equal("PATCH", method);
        Assert.Equal("/atservicesrest/v1.0/Tickets", path);
        Snapshot.Match(body);
    }

    [Fact]
    public async Task A_child_patch_goes_to_the_parent_url_and_needs_the_parent_id()
    {
        using var harness = ClientHarness.For(_server);

        await Assert.ThrowsAsync<ArgumentException>(() =>
            harness.Client.UpdateAsync(new EntityPatch<TicketNote>(9).Set(n => n.Description, "x"), TestContext.Current.CancellationToken));
        await harness.Client.UpdateAsync(new EntityPatch<TicketNote>(9, parentId: 77).Set(n => n.Description, "x"), TestContext.Current.CancellationToken);

        Assert.Equal("/atservicesrest/v1.0/Tickets/77/Notes", Sent().Path);
    }

    [Fact]
    public async Task Bad_writes_are_refused_before_anything_is_sent()
    {
        using var harness = ClientHarness.For(_server);
        var ct = TestContext.Current.CancellationToken;

        await Assert.ThrowsAsync<ArgumentException>(() => harness.Client.CreateAsync(new Ticket { Id = 5, CompanyId = 1 }, ct));
        await Assert.ThrowsAsync<ArgumentException>(() => harness.Client.CreateAsync(new TicketNote { Title = "no ticket" }, ct));
        await Assert.ThrowsAsync<ArgumentException>(() => harness.Client.UpdateAsync(new EntityPatch<Ticket>(1), ct));
        Assert.Throws<ArgumentException>(() => new EntityPatch<Ticket>(1).Set(t => t.Id, 2L));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EntityPatch<Ticket>(0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => harness.Client.GetAsync<Ticket>(0, ct));
        Assert.Empty(_server.LogEntries);
    }

    [Fact]
    public async Task Replacing_a_ticket_puts_the_whole_model_to_the_entity_url()
    {
        using var harness = ClientHarness.For(_server);

        var id = await harness.Client.ReplaceAsync(new Ticket { Id = 31, CompanyId = 12, Title = "Replaced", Status = 5, Priority = 1, QueueId = 8 },
            TestContext.Current.CancellationToken);

        Assert.Equal(4242, id);
        var (method, path, body) = Sent();
        Assert.Equal("PUT", method);
        Assert.Equal("/atservicesrest/v1.0/Tickets", path);
        Snapshot.Match(body);
    }

    [Fact]
    public async Task A_child_is_replaced_under_its_parent()
    {
        using var harness = ClientHarness.For(_server);

        await harness.Client.ReplaceAsync(new ConfigurationItemNote { Id = 9, ConfigurationItemId = 70, Title = "Disk swapped", Description = "Bay 2", NoteType = 1 },
            TestContext.Current.CancellationToken);

        var (method, path, body) = Sent();
        Assert.Equal("PUT", method);
        Assert.Equal("/atservicesrest/v1.0/ConfigurationItems/70/Notes", path);
        Assert.Equal(9, (long)body["id"]!);
        Assert.Equal(70, (long)body["configurationItemID"]!);
    }

    [Fact]
    public async Task Deleting_sends_a_delete_to_the_entity_url_with_the_id()
    {
        using var harness = ClientHarness.For(_server);

        await harness.Client.DeleteAsync<CompanyWebhook>(55, cancellationToken: TestContext.Current.CancellationToken);

        var request = Assert.Single(_server.LogEntries).RequestMessage!;
        Assert.Equal("DELETE", request.Method);
        Assert.Equal("/atservicesrest/v1.0/CompanyWebhooks/55", request.Path);
        Assert.True(string.IsNullOrEmpty(request.Body));
    }

    [Fact]
    public async Task A_child_is_deleted_under_its_parent()
    {
        using var harness = ClientHarness.For(_server);

        await harness.Client.DeleteAsync<CompanyWebhookField>(8, parentId: 55, TestContext.Current.CancellationToken);
        await harness.Client.DeleteAsync<Contact>(30_000_004, parentId: 12, TestContext.Current.CancellationToken);

        Assert.Equal(
            ["DELETE /atservicesrest/v1.0/CompanyWebhooks/55/Fields/8", "DELETE /atservicesrest/v1.0/Companies/12/Contacts/30000004"],
            _server.LogEntries.Select(e => e.RequestMessage!.Method + " " + e.RequestMessage.Path));
    }

    [Fact]
    public async Task Children_the_models_did_not_have_before_are_created_under_their_parent()
    {
        using var harness = ClientHarness.For(_server);
        var ct = TestContext.Current.CancellationToken;

        await harness.Client.CreateAsync(new ConfigurationItemNote { ConfigurationItemId = 70, Title = "Installed", Description = "Racked in DC1", NoteType = 1 }, ct);
        await harness.Client.CreateAsync(new CompanyWebhookField { WebhookId = 55, FieldId = 12, IsSubscribedField = true }, ct);
        await harness.Client.CreateAsync(new TicketAttachment { ParentId = 31, Title = "log.txt", Data = [1, 2, 3], AttachmentType = "FILE_ATTACHMENT", Publish = 1 }, ct);
        await harness.Client.CreateAsync(new ConfigurationItem { CompanyId = 12, ProductId = 3, ReferenceTitle = "NAS-01", IsActive = true }, ct);

        Assert.Equal(
            [
                "POST /atservicesrest/v1.0/ConfigurationItems/70/Notes",
                "POST /atservicesrest/v1.0/CompanyWebhooks/55/Fields",
                "POST /atservicesrest/v1.0/Tickets/31/Attachments",
                "POST /atservicesrest/v1.0/ConfigurationItems",
            ],
            _server.LogEntries.Select(e => e.RequestMessage!.Method + " " + e.RequestMessage.Path));
        var attachment = JsonText.Parse(_server.LogEntries.ElementAt(2).RequestMessage!.Body!);
        Assert.Equal("AQID", (string)attachment["data"]!);
    }

    [Fact]
    public async Task Bad_replaces_and_deletes_are_refused_before_anything_is_sent()
    {
        using var harness = ClientHarness.For(_server);
        var ct = TestContext.Current.CancellationToken;

        await Assert.ThrowsAsync<ArgumentNullException>(() => harness.Client.ReplaceAsync<Ticket>(null!, ct));
        var noId = await Assert.ThrowsAsync<ArgumentException>(() => harness.Client.ReplaceAsync(new Ticket { CompanyId = 1, Title = "new" }, ct));
        Assert.Contains("CreateAsync", noId.Message, StringComparison.Ordinal);
        var noParent = await Assert.ThrowsAsync<ArgumentException>(() => harness.Client.ReplaceAsync(new TicketNote { Id = 4, Title = "no ticket" }, ct));
        Assert.Contains("ticketID", noParent.Message, StringComparison.Ordinal);
        var noParentToDelete = await Assert.ThrowsAsync<ArgumentException>(() => harness.Client.DeleteAsync<CompanyWebhookField>(8, cancellationToken: ct));
        Assert.Contains("CompanyWebhooks/{id}/Fields", noParentToDelete.Message, StringComparison.Ordinal);
        Assert.Contains("webhookID", noParentToDelete.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => harness.Client.DeleteAsync<CompanyWebhook>(0, cancellationToken: ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => harness.Client.DeleteAsync<CompanyWebhookField>(8, parentId: 0, ct));
        Assert.Empty(_server.LogEntries);
    }
}
