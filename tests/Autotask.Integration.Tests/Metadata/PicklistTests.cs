using Autotask.Integration.Alerts;
using Autotask.Integration.Entities;
using Autotask.Integration.Metadata;
using Autotask.Integration.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Autotask.Integration.Tests.Metadata;

public sealed class PicklistTests : IDisposable
{
    private const string Fields = """
        {"fields":[
          {"name":"priority","dataType":"integer","isRequired":true,"isReadOnly":false,"isQueryable":true,"isReference":false,"isPickList":true,
           "picklistValues":[
             {"value":"1","label":"High","isDefaultValue":false,"sortOrder":1,"parentValue":"","isActive":true,"isSystem":true},
             {"value":"2","label":"Medium","isDefaultValue":true,"sortOrder":2,"parentValue":"","isActive":true,"isSystem":true},
             {"value":"4","label":"Critical","isDefaultValue":false,"sortOrder":0,"parentValue":"","isActive":true,"isSystem":true},
             {"value":"5","label":"Legacy","isDefaultValue":false,"sortOrder":9,"parentValue":"","isActive":false,"isSystem":false}]},
          {"name":"queueID","dataType":"integer","isPickList":true,"picklistValues":[{"value":"29683481","label":"Monitoring Alert","sortOrder":1,"isActive":true}]},
          {"name":"title","dataType":"string","length":255,"isRequired":true,"isPickList":false}
        ]}
        """;

    private readonly WireMockServer _server = TestServer.Start();

    public PicklistTests()
    {
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Tickets/entityInformation/fields").UsingGet())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody(Fields));
    }

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task Labels_resolve_to_ids_and_back_from_one_cached_metadata_request()
    {
        using var harness = ClientHarness.For(_server);
        var ct = TestContext.Current.CancellationToken;

        var priority = await harness.Client.GetPicklistAsync<Ticket>("priority", ct);
        var queue = await harness.Client.GetPicklistAsync<Ticket>("QUEUEID", ct);

        Assert.Equal(1, priority.GetId("high"));
        Assert.Equal(4, priority.GetId("  Critical "));
        Assert.Equal("Medium", priority.GetLabel(2));
        Assert.Null(priority.GetLabel(3));
        Assert.Equal(["Critical", "High", "Medium"], priority.ActiveLabels);
        Assert.Equal(29683481, queue.GetId("Monitoring Alert"));
        Assert.Single(_server.LogEntries);
    }

    [Fact]
    public async Task An_unknown_or_inactive_label_lists_the_labels_that_exist()
    {
        using var harness = ClientHarness.For(_server);
        var priority = await harness.Client.GetPicklistAsync<Ticket>("priority", TestContext.Current.CancellationToken);

        var error = Assert.Throws<PicklistLabelNotFoundException>(() => priority.GetId("Urgent"));
        Assert.Contains("'Critical', 'High', 'Medium'", error.Message, StringComparison.Ordinal);
        Assert.Throws<PicklistLabelNotFoundException>(() => priority.GetId("Legacy"));
        Assert.Equal("5", priority.FindByLabel("legacy")!.Value);
    }

    [Fact]
    public async Task A_field_that_is_not_a_picklist_is_refused_with_the_picklists_that_exist()
    {
        using var harness = ClientHarness.For(_server);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => harness.Client.GetPicklistAsync<Ticket>("title", TestContext.Current.CancellationToken));
        Assert.Contains("priority, queueID", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fields_describe_types_and_requirements()
    {
        using var harness = ClientHarness.For(_server);

        var fields = await harness.Client.GetFieldsAsync<Ticket>(TestContext.Current.CancellationToken);

        var title = Assert.Single(fields, f => f.Name == "title");
        Assert.True(title.IsRequired);
        Assert.Equal(255, title.Length);
        Assert.False(title.IsPickList);
    }

    [Fact]
    public async Task Entity_information_and_user_defined_fields_are_read()
    {
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/entityInformation").UsingGet())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json")
                .WithBody("""{"info":{"name":"Company","canCreate":true,"canDelete":false,"canQuery":true,"canUpdate":true,"hasUserDefinedFields":true,"supportsWebhookCallouts":true}}"""));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Companies/entityInformation/userDefinedFields").UsingGet())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json")
                .WithBody("""{"fields":[{"name":"Customer Code","dataType":"string","length":100}]}"""));
        using var harness = ClientHarness.For(_server);
        var ct = TestContext.Current.CancellationToken;

        var info = await harness.Client.GetEntityInformationAsync<Company>(ct);
        var udfs = await harness.Client.GetUserDefinedFieldsAsync<Company>(ct);

        Assert.True(info.CanCreate);
        Assert.False(info.CanDelete);
        Assert.True(info.HasUserDefinedFields);
        Assert.Equal("Customer Code", Assert.Single(udfs).Name);
    }
}
