using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;

namespace Autotask.Integration.Tests.Catalogue;

/// <summary>
/// For every entity the simulator serves that can be read and replaced: a record, holding a field the instance has and
/// the SDK's catalogue does not, is read, one field is changed, and it is replaced (HTTP PUT); the simulator's stored
/// record then equals the original but for that field, through the typed models and through <c>EntitySet</c> alike.
/// </summary>
public sealed class RoundTripTests(CatalogueSimulator fixture) : IClassFixture<CatalogueSimulator>
{
    private const string NewerField = "aFieldFromANewerApi";
    private const string NewerValue = "kept as it was";

    // What Autotask (and the simulator) sets on a write, whatever the body says.
    // completedDate too: the simulator, as Autotask, sets and clears it with the ticket's status.
    private static readonly string[] SetByAutotask = ["completedDate", "createDate", "createDateTime", "lastActivityDate", "lastModifiedDate", "lastModifiedDateTime", "lastModifiedTime", "lastTrackedModifiedDateTime", "lastTrackedModificationDateTime"];

    private SimulatorHarness Harness => fixture.Harness;

    private SimulatorData Data => Harness.Simulator.Data;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>The entities that can be queried and replaced, whose simulator records need no other records to exist.</summary>
    public static TheoryData<string> Replaceable()
    {
        var data = new TheoryData<string>();
        foreach (var entity in CatalogueSamples.Entities.Where(e => e.TypeName is not null))
        {
            var model = CatalogueSamples.ModelOf(entity.Name);
            // The simulator keeps resources read-only, as Autotask does for most API users.
            if (typeof(IReplaceableEntity).IsAssignableFrom(model) && typeof(IQueryableEntity).IsAssignableFrom(model) && entity.Name != "Resources")
            {
                data.Add(entity.Name);
            }
        }

        return data;
    }

    [Fact]
    public void The_suite_covers_every_replaceable_entity_the_simulator_keeps_modelled_ones_included()
    {
        var covered = Replaceable().Select(row => (string)row.Data).ToHashSet();
        Assert.True(covered.Count > 50, $"only {covered.Count} entities");
        Assert.Contains("Companies", covered);
        Assert.Contains("Tickets", covered);
        Assert.Contains("ConfigurationItems", covered);
    }

    [Theory]
    [MemberData(nameof(Replaceable))]
    public async Task A_typed_record_read_and_replaced_with_one_field_changed_changes_only_that_field(string entity)
    {
        var id = Seed(entity, 8);
        var before = Stored(entity, id);

        var changed = await (Task<(string Field, JsonNode? Value)>)GetType().GetMethod(nameof(ReadChangeReplaceAsync), BindingFlags.NonPublic | BindingFlags.Instance)!
            .MakeGenericMethod(CatalogueSamples.ModelOf(entity)).Invoke(this, [entity, id])!;

        AssertOnlyChanged(entity, before, Stored(entity, id), changed.Field, changed.Value);
    }

    [Theory]
    [MemberData(nameof(Replaceable))]
    public async Task A_json_record_read_and_replaced_with_one_field_changed_changes_only_that_field(string entity)
    {
        var id = Seed(entity, 9);
        var before = Stored(entity, id);
        var set = Harness.Client.EntitySet(entity);
        var record = await FirstAsync(set.QueryAsync([Filter.Field("id", FilterOperator.Eq, id)], Token));
        var (field, value) = Change(entity, record);

        await set.ReplaceAsync(record, cancellationToken: Token);

        AssertOnlyChanged(entity, before, Stored(entity, id), field, value);
    }

    [Fact]
    public async Task Fields_the_instance_has_and_the_model_lacks_are_told_by_the_client_and_logged_once_per_entity_and_connection()
    {
        await using var simulator = AutotaskSimulator.Create();
        simulator.Data.AddInstanceField("Companies", "companyLicenceTier", "int32");
        simulator.Data.AddInstanceField("ConfigurationItems", "warrantyProvider", "string");
        var services = new ServiceCollection();
        services.AddFakeLogging(o => o.OutputSink = null);
        services.AddAutotaskIntegration(o => simulator.AddConnection(o, "drift")).UseSimulator(simulator);
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IAutotaskClient>();

        var companies = await client.GetFieldDriftAsync<Company>(Token);
        await client.GetFieldDriftAsync<Company>(Token);
        var items = await client.GetFieldDriftAsync<ConfigurationItem>(Token);
        var tickets = await client.GetFieldDriftAsync<Ticket>(Token);

        Assert.Equal("Companies", companies.Entity);
        Assert.Equal(["companyLicenceTier"], companies.NotInModel.Select(f => f.Name));
        Assert.Equal("integer", companies.NotInModel[0].DataType);
        Assert.Empty(companies.NotInInstance);
        Assert.Equal(["warrantyProvider"], items.NotInModel.Select(f => f.Name));
        Assert.False(tickets.HasDrift);
        var logged = provider.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Id == 1201).Select(r => r.Message).ToArray();
        Assert.Equal(2, logged.Length);
        Assert.Contains("companyLicenceTier", logged[0], StringComparison.Ordinal);
        Assert.Contains("warrantyProvider", logged[1], StringComparison.Ordinal);
    }

    private async Task<(string Field, JsonNode? Value)> ReadChangeReplaceAsync<T>(string entity, long id) where T : AutotaskEntity, IQueryableEntity, IReplaceableEntity
    {
        var read = await FirstAsync(Harness.Client.QueryAsync(new AutotaskQuery<T>().Where(Filter<T>.Eq(e => e.Id, id)), Token));
        var (property, wire) = Changeable(entity);
        var value = Next(property.GetValue(read), property.PropertyType);

        // record with { Property = value }, by reflection: the clone keeps what the record was read from, as `with` does.
        var copy = (T)typeof(T).GetMethod("<Clone>$")!.Invoke(read, null)!;
        property.SetValue(copy, value);
        await Harness.Client.ReplaceAsync(copy, Token);
        return (wire, CatalogueSamples.ToJson(entity, copy)[wire]?.DeepClone());
    }

    private static void AssertOnlyChanged(string entity, JsonObject before, JsonObject after, string field, JsonNode? value)
    {
        Assert.Equal(NewerValue, (string?)after[NewerField]);
        Assert.True(CatalogueSamples.Same(value, after[field]), $"{entity}.{field}: sent {value?.ToJsonString()}, stored {after[field]?.ToJsonString()}");
        var expected = (JsonObject)before.DeepClone();
        expected[field] = value?.DeepClone();
        Assert.Empty(CatalogueSamples.Differences(expected, after, SetByAutotask));
        Assert.Empty(CatalogueSamples.Differences(after, expected, SetByAutotask));
    }

    /// <summary>Stores a full record of the entity with a value in the instance's own field, as another client left it.</summary>
    private long Seed(string entity, int variant)
    {
        Data.AddInstanceField(entity, NewerField, "string");
        var record = CatalogueSamples.Record(entity, variant);
        foreach (var field in record.Select(p => p.Key).ToList())
        {
            // A picklist field holds one of the instance's values.
            if (Data.Picklist(entity, field).FirstOrDefault(v => v.IsActive) is { } value)
            {
                record[field] = long.TryParse(value.Value, out var number) ? number : value.Value;
            }
        }

        if (Data.TableFor(entity) is null)
        {
            record[NewerField] = NewerValue;
            return Data.AddRecord(entity, record);
        }

        // The entities the engines use are kept with Autotask's rules: what a record refers to exists, a contract ends after it starts.
        var company = Data.Add(new Company { CompanyName = "Referred to", CompanyType = CompanyType.Customer });
        foreach (var (field, value) in new (string, Func<long>)[]
        {
            ("companyID", () => company.Id),
            ("contractID", () => Data.Add(new Contract { CompanyId = company.Id, ContractName = "Referred to" }).Id),
            ("ticketID", () => Data.Add(new Ticket { CompanyId = company.Id, Title = "Referred to" }).Id),
        })
        {
            if (record.ContainsKey(field))
            {
                record[field] = value();
            }
        }

        if (record.ContainsKey("endDate"))
        {
            record["endDate"] = "2030-12-31T00:00:00Z";
        }

        var add = typeof(SimulatorData).GetMethod(nameof(SimulatorData.Add))!.MakeGenericMethod(CatalogueSamples.ModelOf(entity));
        var id = ((AutotaskEntity)add.Invoke(Data, [CatalogueSamples.ToModel(entity, record)])!).Id;
        Data.SetInstanceFieldValue(entity, id, NewerField, NewerValue);
        return id;
    }

    /// <summary>The record as the simulator keeps it, as JSON by wire names.</summary>
    private JsonObject Stored(string entity, long id)
    {
        if (Data.TableFor(entity) is not { } table)
        {
            return Data.Records(entity).Single(r => (long)r["id"]! == id);
        }

        var stored = JsonSerializer.SerializeToNode(table.Find(id)!, table.TypeInfo)!.AsObject();
        foreach (var (name, value) in Data.InstanceValuesOf(table.Path, id) ?? [])
        {
            stored[name] = value?.DeepClone();
        }

        return stored;
    }

    /// <summary>The field a test changes: a text field where the model has one, else the first other value it can change.</summary>
    private (PropertyInfo Property, string Wire) Changeable(string entity)
    {
        var route = EntityCatalog.ByName[entity].RouteFor(EntityOperations.Replace);
        var fields = CatalogueSamples.Entity(entity).Fields.Where(f => f.Type is "string" or "int32" or "int64" or "boolean" or "double" or "decimal").Select(f => f.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var property = CatalogueSamples.TextProperty(entity) ?? CatalogueSamples.ModelOf(entity).GetProperties()
            .Where(p => p.Name != nameof(AutotaskEntity.Id) && (Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType) is var t && (t == typeof(long) || t == typeof(int) || t == typeof(bool) || t == typeof(decimal)))
            .Where(p => fields.Contains(CatalogueSamples.WireName(entity, p)) && !string.Equals(CatalogueSamples.WireName(entity, p), route?.ParentIdField, StringComparison.OrdinalIgnoreCase))
            .Where(p => !SetByAutotask.Contains(CatalogueSamples.WireName(entity, p), StringComparer.OrdinalIgnoreCase))
            .First(p => Data.Picklist(entity, CatalogueSamples.WireName(entity, p)).Count == 0);
        return (property, CatalogueSamples.WireName(entity, property));
    }

    private static object? Next(object? value, Type type) => value switch
    {
        string text => text + " changed",
        long number => number + 100,
        int number => number + 100,
        decimal number => number + 100,
        bool flag => !flag,
        _ => (Nullable.GetUnderlyingType(type) ?? type) == typeof(string) ? "set by the caller" : Convert.ChangeType(7, Nullable.GetUnderlyingType(type) ?? type, System.Globalization.CultureInfo.InvariantCulture),
    };

    private (string Field, JsonNode? Value) Change(string entity, JsonObject record)
    {
        var (property, wire) = Changeable(entity);
        var name = record.Select(p => p.Key).FirstOrDefault(k => k.Equals(wire, StringComparison.OrdinalIgnoreCase)) ?? wire;
        JsonNode? value = record[name] switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>() + " changed",
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<decimal>() + 100,
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => !v.GetValue<bool>(),
            _ => property.PropertyType == typeof(string) ? "set by the caller" : 7,
        };
        record[name] = value;
        return (name, value?.DeepClone());
    }

    private static async Task<T> FirstAsync<T>(IAsyncEnumerable<T> items)
    {
        await foreach (var item in items)
        {
            return item;
        }

        throw new Xunit.Sdk.XunitException("The query found nothing.");
    }
}
