using Autotask.Integration.Diagnostics;
using Autotask.Integration.Entities;
using Autotask.Integration.Json;
using Autotask.Integration.Metadata;

namespace Autotask.Integration.Client;

/// <summary>Field, user-defined field and picklist metadata (cached per connection), and the request threshold.</summary>
internal sealed partial class AutotaskClient
{
    public async Task<EntityInformation> GetEntityInformationAsync<T>(CancellationToken cancellationToken = default) where T : AutotaskEntity
    {
        var entity = EntityDescriptor<T>.Instance;
        using var activity = StartActivity("GetEntityInformation", entity.Path);
        var zone = await ZoneAsync(cancellationToken).ConfigureAwait(false);
        var info = zone.Request("GetEntityInformation", entity.Path, isRead: true);
        var result = await ReadJsonAsync(HttpMethod.Get, new Uri(zone.ApiRoot, entity.Path + "/entityInformation"), null, info,
            AutotaskJsonContext.Default.EntityInformationResponse, cancellationToken).ConfigureAwait(false);
        return result.Info ?? throw new AutotaskRequestException(
            $"Autotask answered the entity information of {entity.Path} without an 'info' object.", Details(info, HttpMethod.Get, null));
    }

    public async Task<EntityFieldDrift> GetFieldDriftAsync<T>(CancellationToken cancellationToken = default) where T : AutotaskEntity
    {
        var entity = EntityDescriptor<T>.Instance;
        return Drift(entity.Path, entity.FieldNames, await GetFieldsAsync<T>(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>How the instance's fields differ from a model's wire names (the id and user-defined fields are every model's).</summary>
    private static EntityFieldDrift Drift(string entity, IReadOnlySet<string> model, IReadOnlyList<EntityField> instance) => new()
    {
        Entity = entity,
        NotInModel = [.. instance.Where(f => !model.Contains(f.Name))],
        NotInInstance = [.. model.Where(m => m is not ("id" or "userDefinedFields") && !instance.Any(f => f.Name.Equals(m, StringComparison.OrdinalIgnoreCase))).Order(StringComparer.Ordinal)],
    };

    public Task<IReadOnlyList<EntityField>> GetFieldsAsync<T>(CancellationToken cancellationToken = default) where T : AutotaskEntity =>
        LoadFieldsAsync(EntityDescriptor<T>.Instance.Path, "fields", cancellationToken);

    public Task<IReadOnlyList<EntityField>> GetUserDefinedFieldsAsync<T>(CancellationToken cancellationToken = default) where T : AutotaskEntity =>
        LoadFieldsAsync(EntityDescriptor<T>.Instance.Path, "userDefinedFields", cancellationToken);

    public async Task<Picklist> GetPicklistAsync<T>(string field, CancellationToken cancellationToken = default) where T : AutotaskEntity
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(field);
        var path = EntityDescriptor<T>.Instance.Path;
        var fields = await GetFieldsAsync<T>(cancellationToken).ConfigureAwait(false);
        var found = fields.FirstOrDefault(f => f.IsPickList && string.Equals(f.Name, field, StringComparison.OrdinalIgnoreCase));
        if (found is null)
        {
            var picklists = fields.Where(f => f.IsPickList).Select(f => f.Name).ToArray();
            throw new ArgumentException(
                $"{path} has no picklist field '{field}'. Its picklist fields are: {(picklists.Length == 0 ? "(none)" : string.Join(", ", picklists))}.",
                nameof(field));
        }

        return new Picklist(path, found.Name, found.PicklistValues ?? []);
    }

    public async Task<ThresholdInformation> GetThresholdInformationAsync(CancellationToken cancellationToken = default)
    {
        using var activity = StartActivity("GetThresholdInformation", "ThresholdInformation");
        var zone = await ZoneAsync(cancellationToken).ConfigureAwait(false);
        var info = zone.Request("GetThresholdInformation", "ThresholdInformation", isRead: true);
        return await ReadJsonAsync(HttpMethod.Get, new Uri(zone.ApiRoot, "ThresholdInformation"), null, info,
            AutotaskJsonContext.Default.ThresholdInformation, cancellationToken).ConfigureAwait(false);
    }

    private static HashSet<string> ModelFields(Type model) =>
        new(AutotaskEntityJsonContext.Default.GetTypeInfo(model)!.Properties.Select(p => p.Name), StringComparer.OrdinalIgnoreCase);

    private async Task<IReadOnlyList<EntityField>> LoadFieldsAsync(string entityPath, string kind, CancellationToken cancellationToken)
    {
        var zone = await ZoneAsync(cancellationToken).ConfigureAwait(false);
        return await zone.Runtime.Metadata.GetOrLoadAsync(entityPath + "/" + kind, async () =>
        {
            using var activity = StartActivity("GetFields", entityPath);
            var info = zone.Request("GetFields", entityPath, isRead: true);
            var result = await ReadJsonAsync(HttpMethod.Get, new Uri(zone.ApiRoot, $"{entityPath}/entityInformation/{kind}"), null, info,
                AutotaskJsonContext.Default.FieldsResponse, CancellationToken.None).ConfigureAwait(false);
            var fields = result.Fields?.ToArray() ?? [];
            Log.FieldsLoaded(_logger, fields.Length, entityPath, ConnectionName);
            if (kind == "fields" && EntityCatalog.ByName.GetValueOrDefault(entityPath) is { } modelled &&
                Drift(entityPath, ModelFields(modelled.ModelType), fields) is { HasDrift: true } drift)
            {
                // Once per entity per connection (the fields are cached): a newer instance is normal, and nothing is lost.
                Log.FieldDrift(_logger, entityPath, ConnectionName, string.Join(", ", drift.NotInModel.Select(f => f.Name)), string.Join(", ", drift.NotInInstance));
            }

            return (IReadOnlyList<EntityField>)fields;
        }, cancellationToken).ConfigureAwait(false);
    }
}
