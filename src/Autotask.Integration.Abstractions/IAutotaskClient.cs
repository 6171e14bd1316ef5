using Autotask.Integration.Entities;
using Autotask.Integration.Metadata;
using Autotask.Integration.Querying;

namespace Autotask.Integration;

/// <summary>
/// A typed client of the Autotask REST API for one connection (one API user on one Autotask instance).
/// Thread-safe; hold one per connection, from <see cref="IAutotaskClientFactory"/> or dependency injection.
/// </summary>
/// <remarks>
/// Every method throws an <see cref="AutotaskException"/> subtype when Autotask answers with an error, does not
/// answer, or hands back a URL the client will not follow; and <see cref="OperationCanceledException"/> when the
/// token is cancelled. Reads are retried on transient failures; writes only when the failure proves nothing was applied.
/// </remarks>
public interface IAutotaskClient
{
    /// <summary>The name (alias) of the connection.</summary>
    string ConnectionName { get; }

    /// <summary>
    /// Streams every entity matching the query, page after page (up to 500 records a page), holding one page in
    /// memory. Following pages are requested only as the enumeration reaches them. A page that still fails after
    /// retries ends the enumeration with an exception: a result is never silently partial.
    /// </summary>
    /// <typeparam name="T">The entity model.</typeparam>
    /// <param name="query">The query.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <exception cref="ArgumentException">A filter or included field is not a field of <typeparamref name="T"/>.</exception>
    IAsyncEnumerable<T> QueryAsync<T>(AutotaskQuery<T> query, CancellationToken cancellationToken = default) where T : AutotaskEntity, IQueryableEntity;

    /// <summary>
    /// Streams every entity matching the query, faster than <see cref="QueryAsync{T}"/> on a large result: after the
    /// first page, the rest is split into id ranges (from the query's count and the first page's ids) read at once,
    /// each a page ahead of the caller. Each record comes exactly once, however sparse the ids: the ranges do not
    /// overlap and together cover every id after the first page. A range that fails ends the enumeration with an
    /// exception (the others are stopped): a result is never silently partial. A query with a record limit is read in
    /// one range. It costs one count request and up to one partly filled page per range more than <see cref="QueryAsync{T}"/>.
    /// </summary>
    /// <typeparam name="T">The entity model.</typeparam>
    /// <param name="query">The query.</param>
    /// <param name="options">The ranges, their order and prefetching; <c>null</c> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <exception cref="ArgumentException">A filter or included field is not a field of <typeparamref name="T"/>.</exception>
    IAsyncEnumerable<T> ReadAllAsync<T>(AutotaskQuery<T> query, AutotaskReadOptions? options = null, CancellationToken cancellationToken = default)
        where T : AutotaskEntity, IQueryableEntity;

    /// <summary>Counts the entities matching the query's filters (<c>{entity}/query/count</c>).</summary>
    /// <typeparam name="T">The entity model.</typeparam>
    /// <param name="query">The query; its included fields and record limit are ignored.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    Task<long> CountAsync<T>(AutotaskQuery<T> query, CancellationToken cancellationToken = default) where T : AutotaskEntity, IQueryableEntity;

    /// <summary>
    /// Reads one entity by id, or returns <c>null</c> when Autotask has none with that id (it answers either
    /// <c>200 {"item":null}</c> or <c>404 {"item":null}</c>, depending on the tenant).
    /// </summary>
    /// <typeparam name="T">The entity model.</typeparam>
    /// <param name="id">The id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    Task<T?> GetAsync<T>(long id, CancellationToken cancellationToken = default) where T : AutotaskEntity, IQueryableEntity;

    /// <summary>
    /// Creates an entity and returns its new id. Entities that Autotask creates under a parent (ticket notes,
    /// contract services and adjustments, contacts) are sent to the parent's URL, taking the parent id from the entity.
    /// </summary>
    /// <typeparam name="T">The entity model.</typeparam>
    /// <param name="entity">The entity; its <see cref="AutotaskEntity.Id"/> must be 0.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="AutotaskCommunicationException">No answer came; check <see cref="AutotaskCommunicationException.RequestMayHaveBeenApplied"/> before creating again.</exception>
    Task<long> CreateAsync<T>(T entity, CancellationToken cancellationToken = default) where T : AutotaskEntity, ICreatableEntity;

    /// <summary>Updates only the fields set in the patch (HTTP PATCH) and returns the entity's id.</summary>
    /// <typeparam name="T">The entity model.</typeparam>
    /// <param name="patch">The patch.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    Task<long> UpdateAsync<T>(EntityPatch<T> patch, CancellationToken cancellationToken = default) where T : AutotaskEntity, IUpdatableEntity;

    /// <summary>
    /// Replaces an entity whole (HTTP PUT) and returns its id: fields the entity leaves <c>null</c> become empty in
    /// Autotask. Entities replaced under a parent are sent to the parent's URL, taking the parent id from the entity.
    /// To change a few fields, use <see cref="UpdateAsync{T}"/>.
    /// </summary>
    /// <typeparam name="T">The entity model.</typeparam>
    /// <param name="entity">The entity, with its <see cref="AutotaskEntity.Id"/>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ArgumentException">The entity has no id, or a parent id it needs is not set.</exception>
    Task<long> ReplaceAsync<T>(T entity, CancellationToken cancellationToken = default) where T : AutotaskEntity, IReplaceableEntity;

    /// <summary>Deletes an entity (HTTP DELETE). Entities deleted under a parent are sent to the parent's URL.</summary>
    /// <typeparam name="T">The entity model.</typeparam>
    /// <param name="id">The entity's id.</param>
    /// <param name="parentId">For entities Autotask deletes under a parent (such as a webhook's fields), the parent's id; ignored otherwise.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ArgumentException">The entity is deleted under a parent and <paramref name="parentId"/> is not given.</exception>
    Task DeleteAsync<T>(long id, long? parentId = null, CancellationToken cancellationToken = default) where T : AutotaskEntity, IDeletableEntity;

    /// <summary>
    /// An entity reached by name with JSON records, for what the typed models lack: the same paging, limits and errors,
    /// with fields checked against the instance's own metadata before anything is sent.
    /// </summary>
    /// <param name="entityName">The entity's URL segment, such as <c>ConfigurationItems</c> (compared ignoring case for the SDK's catalogue).</param>
    /// <exception cref="ArgumentException">The name is empty or not a URL segment (letters and digits).</exception>
    IAutotaskEntitySet EntitySet(string entityName);

    /// <summary>Reads what the API user may do with entities of type <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The entity model.</typeparam>
    /// <param name="cancellationToken">Cancels the request.</param>
    Task<EntityInformation> GetEntityInformationAsync<T>(CancellationToken cancellationToken = default) where T : AutotaskEntity;

    /// <summary>
    /// Compares the fields this Autotask instance has for <typeparamref name="T"/> (its <c>entityInformation/fields</c>,
    /// cached for the connection) with the model's: an instance is often newer than the SDK's models. Records read keep the
    /// fields the model lacks (<see cref="AutotaskEntity.GetJsonAsRead"/>) and replaces send them back unchanged; this says
    /// which they are. The first time a connection reads an entity's fields, any drift is also logged, once.
    /// </summary>
    /// <typeparam name="T">The entity model.</typeparam>
    /// <param name="cancellationToken">Cancels the request.</param>
    Task<EntityFieldDrift> GetFieldDriftAsync<T>(CancellationToken cancellationToken = default) where T : AutotaskEntity;

    /// <summary>Reads the fields of <typeparamref name="T"/> with their picklists; cached for the connection.</summary>
    /// <typeparam name="T">The entity model.</typeparam>
    /// <param name="cancellationToken">Cancels the request.</param>
    Task<IReadOnlyList<EntityField>> GetFieldsAsync<T>(CancellationToken cancellationToken = default) where T : AutotaskEntity;

    /// <summary>Reads the user-defined fields of <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The entity model.</typeparam>
    /// <param name="cancellationToken">Cancels the request.</param>
    Task<IReadOnlyList<EntityField>> GetUserDefinedFieldsAsync<T>(CancellationToken cancellationToken = default) where T : AutotaskEntity;

    /// <summary>Reads the picklist of a field of <typeparamref name="T"/> (such as <c>priority</c> of tickets); cached for the connection.</summary>
    /// <typeparam name="T">The entity model.</typeparam>
    /// <param name="field">The field's name as Autotask spells it, compared ignoring case.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ArgumentException">The entity has no picklist field of that name.</exception>
    Task<Picklist> GetPicklistAsync<T>(string field, CancellationToken cancellationToken = default) where T : AutotaskEntity;

    /// <summary>Reads the request threshold of the Autotask database and how much of it is used.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    Task<ThresholdInformation> GetThresholdInformationAsync(CancellationToken cancellationToken = default);

    /// <summary>Returns the zone the connection uses, discovering it from the username unless a zone URL is configured.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    Task<ZoneInformation> GetZoneAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// Hands out the <see cref="IAutotaskClient"/> of a connection by id: one configured at start-up or one linked at run
/// time. Clients are light handles; the connection is looked up when the client first sends a request.
/// </summary>
public interface IAutotaskClientFactory
{
    /// <summary>Returns a client of the connection.</summary>
    /// <param name="connectionName">The connection's id, compared ignoring case.</param>
    /// <exception cref="ArgumentException">The id is empty or malformed.</exception>
    /// <remarks>
    /// An id that no source knows is not refused here but on the client's first request, with an
    /// <see cref="AutotaskConnectionNotFoundException"/>; so is a connection removed since.
    /// </remarks>
    IAutotaskClient GetClient(string connectionName);

    /// <summary>Lists the ids of every connection: configured and linked at run time.</summary>
    /// <param name="cancellationToken">Cancels the listing.</param>
    Task<IReadOnlyList<string>> ListConnectionsAsync(CancellationToken cancellationToken = default);
}
