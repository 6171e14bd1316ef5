using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autotask.Integration.Entities;
using Autotask.Integration.Http;
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
        ItemAnswer<T> answer;
        try
        {
            answer = await ReadJsonAsync(HttpMethod.Get, uri, null, info, entity.ReadItemAsync, cancellationToken).ConfigureAwait(false);
        }
        catch (AutotaskNotFoundException missing) when (missing.NoSuchRecord)
        {
            // Autotask answers a missing id either 200 {"item":null} or 404 {"item":null}; any other 404 is a failure.
            return null;
        }

        return answer.HasItem ? answer.Item : throw NoItem(info, uri);
    }

    /// <summary>A read by id answered with success but without <c>item</c>: neither a record nor Autotask's "no such record".</summary>
    private AutotaskServerException NoItem(RequestInfo info, Uri uri) =>
        new($"Autotask {info.Operation} {info.Entity} for connection '{ConnectionName}' answered without an item: that is neither a record nor Autotask's \"no such record\" ({{\"item\":null}}), so nothing is known of the record.",
            Details(info, HttpMethod.Get, uri) with { StatusCode = System.Net.HttpStatusCode.OK });

    public async Task<long> CreateAsync<T>(T entity, CancellationToken cancellationToken = default) where T : AutotaskEntity, ICreatableEntity
    {
        ArgumentNullException.ThrowIfNull(entity);
        var descriptor = EntityDescriptor<T>.Instance;
        if (entity.Id != 0)
        {
            throw new ArgumentException($"A new {typeof(T).Name} must have Id 0; it has {entity.Id}. To change an existing one use UpdateAsync.", nameof(entity));
        }

        var path = descriptor.UrlFor(EntityOperations.Create, ParentIdOf(descriptor, entity, EntityOperations.Create), nameof(entity));
        await ValidateWriteAsync(descriptor.Path, () => JsonSerializer.SerializeToNode(entity, descriptor.TypeInfo)!.AsObject(), WriteKind.Create, cancellationToken).ConfigureAwait(false);
        using var activity = StartActivity("Create", descriptor.Path);
        var zone = await ZoneAsync(cancellationToken).ConfigureAwait(false);
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
        if (patch.Changes.Count == 0)
        {
            throw new ArgumentException($"The patch of {typeof(T).Name} {patch.Id} changes nothing.", nameof(patch));
        }

        var path = descriptor.UrlFor(EntityOperations.Update, patch.ParentId, nameof(patch));
        var body = PatchWriter.Write(patch, descriptor);
        await ValidateWriteAsync(descriptor.Path, () => JsonNode.Parse(body)!.AsObject(), WriteKind.Update, cancellationToken).ConfigureAwait(false);
        using var activity = StartActivity("Update", descriptor.Path);
        var zone = await ZoneAsync(cancellationToken).ConfigureAwait(false);
        var info = zone.Request("Update", descriptor.Path, isRead: false);
        var result = await ReadJsonAsync(HttpMethod.Patch, new Uri(zone.ApiRoot, path), body, info, AutotaskJsonContext.Default.ItemIdResponse, cancellationToken).ConfigureAwait(false);
        return result.ItemId == 0 ? patch.Id : result.ItemId;
    }

    public async Task<long> ReplaceAsync<T>(T entity, CancellationToken cancellationToken = default) where T : AutotaskEntity, IReplaceableEntity
    {
        ArgumentNullException.ThrowIfNull(entity);
        var descriptor = EntityDescriptor<T>.Instance;
        if (entity.Id < 1)
        {
            throw new ArgumentException($"The {typeof(T).Name} to replace needs its id; it has {entity.Id}. To add a new one use CreateAsync.", nameof(entity));
        }

        var path = descriptor.UrlFor(EntityOperations.Replace, ParentIdOf(descriptor, entity, EntityOperations.Replace), nameof(entity));
        // Every field the record was read with goes back as read, but those the caller changed (see EntityJson.ReplaceBody).
        var replacement = EntityJson.ReplaceBody(entity, descriptor.TypeInfo);
        await ValidateWriteAsync(descriptor.Path, () => replacement, WriteKind.Replace, cancellationToken).ConfigureAwait(false);
        using var activity = StartActivity("Replace", descriptor.Path);
        var zone = await ZoneAsync(cancellationToken).ConfigureAwait(false);
        var info = zone.Request("Replace", descriptor.Path, isRead: false);
        var body = JsonSerializer.SerializeToUtf8Bytes(replacement, AutotaskJsonContext.Default.JsonObject);
        var result = await ReadJsonAsync(HttpMethod.Put, new Uri(zone.ApiRoot, path), body, info, AutotaskJsonContext.Default.ItemIdResponse, cancellationToken).ConfigureAwait(false);
        return result.ItemId == 0 ? entity.Id : result.ItemId;
    }

    public async Task DeleteAsync<T>(long id, long? parentId = null, CancellationToken cancellationToken = default) where T : AutotaskEntity, IDeletableEntity
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(id, 1);
        if (parentId is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(parentId), parentId, "The parent id must be positive.");
        }

        var descriptor = EntityDescriptor<T>.Instance;
        var path = descriptor.UrlFor(EntityOperations.Delete, parentId, nameof(parentId)) + "/" + id.ToString(CultureInfo.InvariantCulture);
        using var activity = StartActivity("Delete", descriptor.Path);
        var zone = await ZoneAsync(cancellationToken).ConfigureAwait(false);
        var info = zone.Request("Delete", descriptor.Path, isRead: false);
        await ReadJsonAsync(HttpMethod.Delete, new Uri(zone.ApiRoot, path), null, info, AutotaskJsonContext.Default.ItemIdResponse, cancellationToken).ConfigureAwait(false);
    }

    private static long? ParentIdOf<T>(EntityDescriptor<T> descriptor, T entity, EntityOperations operation) where T : AutotaskEntity =>
        descriptor.Entity.RouteFor(operation) is { } route ? descriptor.ParentIdOf(entity, route) : null;

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
