using System.Text.Json.Nodes;
using Autotask.Integration.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace Autotask.Integration.Tests.Catalogue;

/// <summary>
/// Values of untyped writes checked against the instance's field metadata, on the wire: a value of the wrong type, a
/// string longer than its field, two keys for one field, all refused before anything is written; what Autotask takes
/// is sent exactly as given.
/// </summary>
public sealed class WriteValueTests : IDisposable
{
    private const string Fields = """
        {"fields":[
          {"name":"id","dataType":"long","isReadOnly":true},
          {"name":"name","dataType":"string","length":50,"isRequired":true},
          {"name":"notes","dataType":"string"},
          {"name":"count","dataType":"integer","length":0},
          {"name":"bigCount","dataType":"long"},
          {"name":"small","dataType":"short"},
          {"name":"ratio","dataType":"double"},
          {"name":"price","dataType":"decimal"},
          {"name":"active","dataType":"boolean"},
          {"name":"since","dataType":"datetime"},
          {"name":"createDate","dataType":"datetime","isReadOnly":true}
        ]}
        """;

    private readonly WireMock.Server.WireMockServer _server = TestServer.Start();

    public WriteValueTests()
    {
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Gadgets/entityInformation/fields").UsingGet())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody(Fields));
        _server.Given(Request.Create().WithPath("/atservicesrest/v1.0/Gadgets").UsingAnyMethod())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("""{"itemId":5}"""));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _server.Dispose();

    private IEnumerable<string> Writes => _server.LogEntries.Where(e => e.RequestMessage!.Method != "GET").Select(Wire.Body);

    public static TheoryData<string, string, AutotaskFieldProblem> BadValues => new()
    {
        { "count", "\"abc\"", AutotaskFieldProblem.WrongType },
        { "count", "1.5", AutotaskFieldProblem.WrongType },
        { "count", "7.0", AutotaskFieldProblem.WrongType },
        { "count", "2147483648", AutotaskFieldProblem.WrongType },
        { "count", "true", AutotaskFieldProblem.WrongType },
        { "count", "[1]", AutotaskFieldProblem.WrongType },
        { "small", "40000", AutotaskFieldProblem.WrongType },
        { "bigCount", "9223372036854775808", AutotaskFieldProblem.WrongType },
        { "ratio", "\"cheap\"", AutotaskFieldProblem.WrongType },
        { "ratio", "false", AutotaskFieldProblem.WrongType },
        { "ratio", "1e400", AutotaskFieldProblem.WrongType },
        { "ratio", "\"NaN\"", AutotaskFieldProblem.WrongType },
        { "price", "\"12,50\"", AutotaskFieldProblem.WrongType },
        { "active", "\"yes\"", AutotaskFieldProblem.WrongType },
        { "active", "1", AutotaskFieldProblem.WrongType },
        { "active", "\"true\"", AutotaskFieldProblem.WrongType },
        { "since", "\"next tuesday\"", AutotaskFieldProblem.WrongType },
        { "since", "\"2026-13-01T00:00:00\"", AutotaskFieldProblem.WrongType },
        { "since", "20260101", AutotaskFieldProblem.WrongType },
        { "name", "42", AutotaskFieldProblem.WrongType },
        { "name", """{"first":"a"}""", AutotaskFieldProblem.WrongType },
        { "name", "\"" + new string('x', 51) + "\"", AutotaskFieldProblem.TooLong },
        { "name", "\"" + string.Concat(Enumerable.Repeat("\U0001F600", 26)) + "\"", AutotaskFieldProblem.TooLong },
        { "notes", "\"" + new string('x', 100_001) + "\"", AutotaskFieldProblem.TooLong },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task A_value_its_field_cannot_hold_is_refused_naming_the_field_and_nothing_is_written(string field, string json, AutotaskFieldProblem problem)
    {
        var record = new JsonObject { ["name"] = "Gadget" };
        record[field] = JsonNode.Parse(json);
        using var harness = ClientHarness.For(_server);
        var gadgets = harness.Client.EntitySet("Gadgets");

        var created = await Assert.ThrowsAsync<AutotaskFieldException>(() => gadgets.CreateAsync(record, cancellationToken: Ct));
        var updated = await Assert.ThrowsAsync<AutotaskFieldException>(() => gadgets.UpdateAsync(5, new JsonObject { [field] = JsonNode.Parse(json) }, cancellationToken: Ct));
        record["id"] = 5;
        var replaced = await Assert.ThrowsAsync<AutotaskFieldException>(() => gadgets.ReplaceAsync(record, cancellationToken: Ct));

        Assert.All(new[] { created, updated, replaced }, error =>
        {
            Assert.Equal(("Gadgets", field, problem), (error.Entity, error.Field, error.Problem));
            Assert.Contains(field, error.Message, StringComparison.Ordinal);
            Assert.Contains("Gadgets", error.Message, StringComparison.Ordinal);
        });
        Assert.Empty(Writes);
    }

    [Fact]
    public async Task A_ten_megabyte_name_is_refused_before_anything_is_written()
    {
        using var harness = ClientHarness.For(_server);
        var gadgets = harness.Client.EntitySet("Gadgets");

        var error = await Assert.ThrowsAsync<AutotaskFieldException>(() => gadgets.CreateAsync(new JsonObject { ["name"] = new string('x', 10_000_000) }, cancellationToken: Ct));

        Assert.Equal(("name", AutotaskFieldProblem.TooLong), (error.Field, error.Problem));
        Assert.Contains("50", error.Message, StringComparison.Ordinal);
        Assert.Empty(Writes);
    }

    public static TheoryData<string, string> GoodValues => new()
    {
        { "count", "7" },
        { "count", "-2147483648" },
        { "count", "\"7\"" },
        { "count", "null" },
        { "bigCount", "9007199254740993" },
        { "small", "-32768" },
        { "ratio", "1.5" },
        { "ratio", "2" },
        { "price", "12.50" },
        { "price", "\"12.50\"" },
        { "active", "true" },
        { "active", "false" },
        { "since", "\"2026-11-25T10:15:00.123\"" },
        { "since", "\"2026-11-25T10:15:00.123Z\"" },
        { "since", "\"2026-11-25T00:00:00\"" },
        { "since", "\"2026-11-25T10:15:00+01:00\"" },
        { "since", "\"2026-11-25\"" },
        { "name", "\"" + new string('x', 50) + "\"" },
        { "name", "\"" + new string('\u00e9', 50) + "\"" },
        { "name", "\"" + string.Concat(Enumerable.Repeat("\U0001F600", 25)) + "\"" },
        { "notes", "\"" + new string('x', 100_000) + "\"" },
    };

    [Theory]
    [MemberData(nameof(GoodValues))]
    public async Task A_value_autotask_takes_is_sent_as_given(string field, string json)
    {
        var record = new JsonObject { ["name"] = "Gadget" };
        record[field] = JsonNode.Parse(json);
        using var harness = ClientHarness.For(_server);
        var gadgets = harness.Client.EntitySet("Gadgets");

        Assert.Equal(5, await gadgets.CreateAsync(record, cancellationToken: Ct));

        var sent = JsonNode.Parse(Assert.Single(Writes))!.AsObject();
        Assert.True(JsonNode.DeepEquals(record, sent), $"sent {sent.ToJsonString()}");
    }

    [Fact]
    public async Task A_replace_carries_read_only_values_as_read_without_checking_them()
    {
        using var harness = ClientHarness.For(_server);
        var gadgets = harness.Client.EntitySet("Gadgets");

        // Autotask keeps its own value of a read-only field on a PUT, whatever the body holds.
        await gadgets.ReplaceAsync(new JsonObject { ["id"] = 5, ["name"] = "Gadget", ["createDate"] = "2026-11-25 10:15" }, cancellationToken: Ct);

        Assert.Single(Writes);
    }

    [Fact]
    public async Task Two_keys_for_one_field_are_refused_naming_both_and_nothing_is_written()
    {
        using var harness = ClientHarness.For(_server);
        var gadgets = harness.Client.EntitySet("Gadgets");

        var created = await Assert.ThrowsAsync<AutotaskFieldException>(() =>
            gadgets.CreateAsync(new JsonObject { ["name"] = "Gadget", ["Name"] = "Other gadget" }, cancellationToken: Ct));
        var updated = await Assert.ThrowsAsync<AutotaskFieldException>(() =>
            gadgets.UpdateAsync(5, new JsonObject { ["count"] = 1, ["COUNT"] = 2 }, cancellationToken: Ct));
        var replaced = await Assert.ThrowsAsync<AutotaskFieldException>(() =>
            gadgets.ReplaceAsync(new JsonObject { ["id"] = 5, ["ID"] = 6, ["name"] = "Gadget" }, cancellationToken: Ct));

        Assert.Equal(("Gadgets", "name", AutotaskFieldProblem.DuplicateField), (created.Entity, created.Field, created.Problem));
        Assert.Contains("'name' and 'Name'", created.Message, StringComparison.Ordinal);
        Assert.Equal(("count", AutotaskFieldProblem.DuplicateField), (updated.Field, updated.Problem));
        Assert.Contains("'count' and 'COUNT'", updated.Message, StringComparison.Ordinal);
        Assert.Equal(("id", AutotaskFieldProblem.DuplicateField), (replaced.Field, replaced.Problem));
        Assert.Empty(Writes);
    }
}
