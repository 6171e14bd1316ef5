using System.Text.Json;
using Autotask.Integration.Entities;
using Autotask.Integration.Json;
using Autotask.Integration.Querying;

namespace Autotask.Integration.Client;

/// <summary>Reading one entity, creating and updating: the URL of each entity (a child under its parent) and the checks before anything is sent.</summary>
internal sealed partial class AutotaskClient
{
    public async Task<T?> GetAsync<T>(long id, CancellationToken cancellationToken = default) where T : AutotaskEntity, IQueryableEntity
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(id, 1);
        var entity = Queryable<T>();
        using var activity = StartActivity("Get", entity.Path);
        var zone = await ZoneAsync(cancellationToken).ConfigureAwait(false);
        var info = zone.Request("Get", entity.Path, isRead: true);
        var uri = new Uri(zone.ApiRoot, $"{entity.Path}/{id}");
        try
        {
            var result = await ReadJsonAsync(HttpMethod.Get, uri, null, info, entity.ItemTypeInfo, cancellationToken).ConfigureAwait(false);
            return result.Item;
        }
        catch (AutotaskNotFoundException)
        {
            // Autotask answers a missing id either 200 {"item":null} or 404 {"item":null}; the URL itself comes from the model.
            return null;
        }
    }

    public async Task<long> CreateAsync<T>(T entity, CancellationToken cancellationToken = default) where T : AutotaskEntity, ICreatableEntity
    {
        ArgumentNullException.ThrowIfNull(entity);
        var descriptor = EntityDescriptor<T>.Instance;
        if (!descriptor.CanCreate)
        {
            throw new NotSupportedException($"Autotask does not let API users create {descriptor.Path}.");
        }

        if (entity.Id != 0)
        {
            throw new ArgumentException($"A new {typeof(T).Name} must have Id 0; it has {entity.Id}. To change an existing one use UpdateAsync.", nameof(entity));
        }

        using var activity = StartActivity("Create", descriptor.Path);
        var zone = await ZoneAsync(cancellationToken).ConfigureAwait(false);
        var path = WritePath(descriptor, descriptor.ParentId?.Invoke(entity), nameof(entity));
        var info = zone.Request("Create", descriptor.Path, isRead: false);
        var body = JsonSerializer.SerializeToUtf8Bytes(entity, descriptor.TypeInfo);
        var result = await ReadJsonAsync(HttpMethod.Post, new Uri(zone.ApiRoot, path), body, info, AutotaskJsonContext.Default.ItemIdResponse, cancellationToken).ConfigureAwait(false);
        activity?.SetTag("autotask.item_id", result.ItemId);
        return result.ItemId;
    }

    public async Task<long> UpdateAsync<T>(EntityPatch<T> patch, CancellationToken cancellationToken = default) where T : AutotaskEntity, IUpdatableEntity
    {
        ArgumentNullException.ThrowIfNull(patch);
        var descriptor = EntityDescriptor<T>.Instance;
        if (!descriptor.CanUpdate)
        {
            throw new NotSupportedException($"Autotask does not let API users update {descriptor.Path}.");
        }

        if (patch.Changes.Count == 0)
        {
            throw new ArgumentException($"The patch of {typeof(T).Name} {patch.Id} changes nothing.", nameof(patch));
        }

        using var activity = StartActivity("Update", descriptor.Path);
        var zone = await ZoneAsync(cancellationToken).ConfigureAwait(false);
        var path = WritePath(descriptor, patch.ParentId, nameof(patch));
        var info = zone.Request("Update", descriptor.Path, isRead: false);
        var body = PatchWriter.Write(patch, descriptor);
        var result = await ReadJsonAsync(HttpMethod.Patch, new Uri(zone.ApiRoot, path), body, info, AutotaskJsonContext.Default.ItemIdResponse, cancellationToken).ConfigureAwait(false);
        return result.ItemId == 0 ? patch.Id : result.ItemId;
    }

    private static string WritePath<T>(EntityDescriptor<T> descriptor, long? parentId, string parameterName) where T : AutotaskEntity
    {
        if (descriptor.Parent is not { } parent)
        {
            return descriptor.Path;
        }

        if (parentId is not > 0)
        {
            throw new ArgumentException(
                $"{typeof(T).Name} is written under its parent ({parent.ParentPath}/{{id}}/{parent.ChildSegment}), so {parent.ParentIdField} must be set.",
                parameterName);
        }

        return $"{parent.ParentPath}/{parentId}/{parent.ChildSegment}";
    }

    private static EntityDescriptor<T> Queryable<T>() where T : AutotaskEntity
    {
        var entity = EntityDescriptor<T>.Instance;
        if (!entity.CanQuery)
        {
            throw new NotSupportedException(
                $"Autotask cannot query or read {entity.Path}. " +
                (typeof(T) == typeof(ContractServiceAdjustment) ? "To learn whether an adjustment was applied, read ContractServiceUnits." : ""));
        }

        return entity;
    }
}
