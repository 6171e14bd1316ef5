using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json.Nodes;
using Autotask.Integration.Entities;
using Autotask.Integration.Generator;
using Autotask.Integration.Querying;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;

namespace Autotask.Integration.Tests.Catalogue;

/// <summary>One simulator and client for the catalogue tests, which each touch their own entity.</summary>
public sealed class CatalogueSimulator : IAsyncLifetime
{
    internal SimulatorHarness Harness { get; } = SimulatorHarness.Create(new AutotaskSimulatorOptions { HourlyRequestLimit = 1_000_000 });

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => Harness.DisposeAsync();
}

/// <summary>
/// Every entity of Autotask's REST catalogue, driven by the catalogue file (not a hand-kept list): its model reads and
/// writes a full record, it is queried with filters on the simulator, and it is created, updated, replaced and deleted
/// where the catalogue allows it, through its parent's URL where that is where Autotask keeps it.
/// </summary>
public sealed class CatalogueTests(CatalogueSimulator fixture) : IClassFixture<CatalogueSimulator>
{
    private SimulatorHarness Harness => fixture.Harness;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public static TheoryData<string> Modelled => CatalogueSamples.Modelled();

    [Fact]
    public void The_generated_code_is_what_the_catalogue_and_the_hand_written_models_give()
    {
        var root = Repository.Root;
        var handWritten = Directory.GetFiles(Path.Combine(root, CatalogueGenerator.HandWrittenDirectory), "*.cs").Order(StringComparer.Ordinal).Select(File.ReadAllText);
        var expected = CatalogueGenerator.Generate(File.ReadAllText(Path.Combine(root, CatalogueGenerator.CataloguePath)), handWritten);

        var stale = new List<string>();
        foreach (var (path, content) in expected)
        {
            var file = Path.Combine(root, path);
            if (!File.Exists(file) || File.ReadAllText(file) != content)
            {
                stale.Add(path);
            }
        }

        var extra = Directory.GetFiles(Path.Combine(root, CatalogueGenerator.ModelsDirectory), "*.g.cs")
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => !expected.ContainsKey(f));
        stale.AddRange(extra);
        Assert.True(stale.Count == 0, "Out of date; run `dotnet run --project eng/generator`: " + string.Join(", ", stale));
        Assert.Equal(CatalogueSamples.Entities.Count(e => e.TypeName is not null), expected.Count - 2);
    }

    [Fact]
    public void Every_child_url_that_lists_is_also_queryable_on_the_entitys_own_url()
    {
        // So the typed client lists children through QueryAsync with a filter on the parent's id, and needs no list method.
        var unlisted = CatalogueSamples.Entities
            .Where(e => e.TypeName is not null && e.Children.Any(c => c.Operations.Contains("list")) && !e.Root.Contains("query"))
            .Select(e => e.Name);
        Assert.Empty(unlisted);
    }

    [Theory]
    [MemberData(nameof(Modelled))]
    public void Every_model_reads_and_writes_a_full_record(string entity)
    {
        var record = CatalogueSamples.Record(entity);

        var written = CatalogueSamples.ToJson(entity, CatalogueSamples.ToModel(entity, record));

        Assert.Empty(CatalogueSamples.Differences(record, written));
        // Unknown properties from a newer API are tolerated.
        record["aFieldFromANewerApi"] = "x";
        Assert.NotNull(CatalogueSamples.ToModel(entity, record));
    }

    [Theory]
    [MemberData(nameof(Modelled))]
    public async Task Every_models_full_record_holds_values_of_its_fields_types_and_lengths(string entity)
    {
        var written = CatalogueSamples.ToJson(entity, CatalogueSamples.ToModel(entity, CatalogueSamples.Record(entity)));
        var fields = await Harness.Client.EntitySet(entity).GetFieldsAsync(Token);

        // Field by field, so that a rule of writes (read-only, this instance's picklists) on one field hides no value check on another.
        var refused = new List<string>();
        foreach (var (name, value) in written)
        {
            try
            {
                Autotask.Integration.Client.FieldValidator.Validate(entity, fields, new JsonObject { [name] = value?.DeepClone() }, Autotask.Integration.Client.WriteKind.Update);
            }
            catch (AutotaskFieldException error) when (error.Problem is AutotaskFieldProblem.WrongType or AutotaskFieldProblem.TooLong or AutotaskFieldProblem.DuplicateField)
            {
                refused.Add(error.Message);
            }
            catch (AutotaskFieldException)
            {
            }
        }

        Assert.True(written.Count > 1, "the record has fields");
        Assert.Empty(refused);
    }

    [Theory]
    [MemberData(nameof(Modelled))]
    public async Task Every_queryable_entity_is_queried_with_filters_on_the_simulator(string entity)
    {
        var model = CatalogueSamples.ModelOf(entity);
        if (!typeof(IQueryableEntity).IsAssignableFrom(model) || entity == "ContractServiceUnits")
        {
            // Contract service units are computed from services and adjustments: the sync tests query them.
            Assert.False(typeof(IQueryableEntity).IsAssignableFrom(model) && entity != "ContractServiceUnits");
            return;
        }

        var first = Add(entity, CatalogueSamples.Record(entity, 1));
        var second = Add(entity, CatalogueSamples.Record(entity, 2));
        await Invoke(nameof(QueryAsync), model, entity, first, second);
    }

    [Theory]
    [MemberData(nameof(Modelled))]
    public async Task Every_writable_entity_is_created_updated_replaced_and_deleted_on_the_simulator(string entity)
    {
        var catalogued = EntityCatalog.ByName[entity];
        var model = catalogued.ModelType;
        if (Harness.Simulator.Data.TableFor(entity) is not null || entity == "ContractServiceUnits")
        {
            // The entities the engines use are kept with Autotask's rules (a contact needs its company): EntityWriteTests.
            return;
        }

        var ran = 0;
        if (typeof(ICreatableEntity).IsAssignableFrom(model))
        {
            await Invoke(nameof(CreateAsync), model, entity);
            ran++;
        }

        if (typeof(IUpdatableEntity).IsAssignableFrom(model) && CatalogueSamples.TextProperty(entity) is not null)
        {
            await Invoke(nameof(UpdateAsync), model, entity);
            ran++;
        }

        if (typeof(IReplaceableEntity).IsAssignableFrom(model))
        {
            await Invoke(nameof(ReplaceAsync), model, entity);
            ran++;
        }

        if (typeof(IDeletableEntity).IsAssignableFrom(model))
        {
            await Invoke(nameof(DeleteAsync), model, entity);
            ran++;
        }

        var writable = catalogued.Allows(EntityOperations.Create) || catalogued.Allows(EntityOperations.Replace) || catalogued.Allows(EntityOperations.Delete);
        Assert.Equal(writable, ran > 0);
    }

    private long Add(string entity, JsonObject record)
    {
        var data = Harness.Simulator.Data;
        if (data.TableFor(entity) is null)
        {
            return data.AddRecord(entity, record);
        }

        var add = typeof(SimulatorData).GetMethod(nameof(SimulatorData.Add))!.MakeGenericMethod(CatalogueSamples.ModelOf(entity));
        return ((AutotaskEntity)add.Invoke(data, [CatalogueSamples.ToModel(entity, record)])!).Id;
    }

    private JsonObject Stored(string entity, long id) =>
        Harness.Simulator.Data.Records(entity).SingleOrDefault(r => (long)r["id"]! == id) ?? throw new Xunit.Sdk.XunitException($"{entity} {id} is not stored");

    private async Task Invoke(string method, Type model, params object[] arguments)
    {
        var generic = typeof(CatalogueTests).GetMethod(method, BindingFlags.NonPublic | BindingFlags.Instance)!.MakeGenericMethod(model);
        await (Task)generic.Invoke(this, arguments)!;
    }

    private async Task QueryAsync<T>(string entity, long first, long second) where T : AutotaskEntity, IQueryableEntity
    {
        var query = new AutotaskQuery<T>().Where(Filter<T>.Gte(e => e.Id, first), Filter<T>.Lte(e => e.Id, second));
        long[] expectedIds = [first, second];
        if (CatalogueSamples.TextProperty(entity) is { } text)
        {
            // A catalogue field, checked by the client against the model and by the simulator against the catalogue.
            var wire = CatalogueSamples.WireName(entity, text);
            query = query.Where(Filter.Field(wire, FilterOperator.Eq, (string)CatalogueSamples.Record(entity, 2)[wire]!));
            expectedIds = [second];
        }

        var found = new List<T>();
        await foreach (var item in Harness.Client.QueryAsync(query, Token))
        {
            found.Add(item);
        }

        Assert.Equal(expectedIds, found.Select(f => f.Id));
        Assert.Equal(expectedIds.Length, await Harness.Client.CountAsync(query, Token));
        var expected = CatalogueSamples.Record(entity, 2);
        var read = CatalogueSamples.ToJson(entity, found[^1]);
        Assert.Empty(CatalogueSamples.Differences(expected, read));
        Assert.Equal(second, (await Harness.Client.GetAsync<T>(second, Token))?.Id);
    }

    private async Task CreateAsync<T>(string entity) where T : AutotaskEntity, ICreatableEntity
    {
        var record = CatalogueSamples.Record(entity, 3);
        var id = await Harness.Client.CreateAsync((T)CatalogueSamples.ToModel(entity, record), Token);

        Assert.True(id > 0);
        var stored = Stored(entity, id);
        Assert.Empty(CatalogueSamples.Differences(record, stored, "createDate", "createDateTime", "lastActivityDate", "lastModifiedDate", "lastModifiedDateTime", "lastModifiedTime"));
        var route = EntityCatalog.ByName[entity].RouteFor(EntityOperations.Create);
        var sent = Harness.Simulator.Requests.Last(r => r.Method == "POST");
        Assert.EndsWith(route is null ? $"/v1.0/{entity}" : $"/v1.0/{route.Parent}/{(long)record[route.ParentIdField!]!}/{route.Segment}", sent.Path, StringComparison.OrdinalIgnoreCase);
    }

    private async Task UpdateAsync<T>(string entity) where T : AutotaskEntity, IUpdatableEntity
    {
        var record = CatalogueSamples.Record(entity, 4);
        var id = Add(entity, record);
        var route = EntityCatalog.ByName[entity].RouteFor(EntityOperations.Update);
        long? parentId = route is null ? null : (long)record[route.ParentIdField!]!;
        var text = CatalogueSamples.TextProperty(entity)!;
        var parameter = Expression.Parameter(typeof(T));
        var field = Expression.Lambda<Func<T, string?>>(Expression.Property(parameter, text), parameter);

        await Harness.Client.UpdateAsync(new EntityPatch<T>(id, parentId).Set(field, "patched"), Token);

        var stored = Stored(entity, id);
        var wire = CatalogueSamples.WireName(entity, text);
        Assert.Equal("patched", (string?)stored[wire]);
        record[wire] = "patched";
        Assert.Empty(CatalogueSamples.Differences(record, stored));
    }

    private async Task ReplaceAsync<T>(string entity) where T : AutotaskEntity, IReplaceableEntity
    {
        var record = CatalogueSamples.Record(entity, 5);
        var id = Add(entity, record);
        var replacement = (JsonObject)record.DeepClone();
        replacement["id"] = id;
        var text = CatalogueSamples.TextProperty(entity);
        var wire = text is null ? null : CatalogueSamples.WireName(entity, text);
        if (wire is not null)
        {
            replacement[wire] = "replaced";
        }

        // A field left out of a PUT is emptied: the last field that is not the parent's id or one Autotask sets.
        var route = EntityCatalog.ByName[entity].RouteFor(EntityOperations.Replace);
        var dropped = CatalogueSamples.Entity(entity).Fields.Select(f => f.Name)
            .LastOrDefault(f => f != "id" && f != wire && f != route?.ParentIdField && !f.StartsWith("create", StringComparison.OrdinalIgnoreCase) && !f.StartsWith("lastModified", StringComparison.OrdinalIgnoreCase) && f != "lastActivityDate");
        if (dropped is not null)
        {
            replacement.Remove(dropped);
        }

        await Harness.Client.ReplaceAsync((T)CatalogueSamples.ToModel(entity, replacement), Token);

        var stored = Stored(entity, id);
        if (wire is not null)
        {
            Assert.Equal("replaced", (string?)stored[wire]);
        }

        if (dropped is not null)
        {
            Assert.Null(stored[dropped]);
        }

        Assert.Equal("PUT", Harness.Simulator.Requests[^1].Method);
    }

    private async Task DeleteAsync<T>(string entity) where T : AutotaskEntity, IDeletableEntity
    {
        var record = CatalogueSamples.Record(entity, 6);
        var id = Add(entity, record);
        var kept = Add(entity, CatalogueSamples.Record(entity, 7));
        var route = EntityCatalog.ByName[entity].RouteFor(EntityOperations.Delete);
        long? parentId = route is null ? null : (long)record[route.ParentIdField!]!;

        await Harness.Client.DeleteAsync<T>(id, parentId, Token);

        var left = Harness.Simulator.Data.Records(entity).Select(r => (long)r["id"]!).ToArray();
        Assert.DoesNotContain(id, left);
        Assert.Contains(kept, left);
        var sent = Harness.Simulator.Requests[^1];
        Assert.Equal("DELETE", sent.Method);
        Assert.EndsWith(route is null ? $"/v1.0/{entity}/{id}" : $"/v1.0/{route.Parent}/{parentId}/{route.Segment}/{id}", sent.Path, StringComparison.OrdinalIgnoreCase);
    }
}
