using System.Text.Json.Nodes;
using Autotask.Integration.Metadata;
using Autotask.Integration.Querying;

namespace Autotask.Integration;

/// <summary>
/// One entity of a connection, reached by name with JSON records: for what the typed models lack (an entity added to
/// the API since, a tenant's fields). Records carry Autotask's wire names. Queries page, count against the limits and
/// fail with the same typed exceptions as the typed client. Before anything is sent, filters and records are checked
/// against the instance's own field metadata (<c>{entity}/entityInformation/fields</c>, cached per connection), and a
/// wrong field is refused with an <see cref="AutotaskFieldException"/> naming it. For an entity of the SDK's catalogue,
/// what it supports and its child URLs are known: a child is written under its parent's URL, with the parent's id from
/// the record or the <c>parentId</c> given.
/// </summary>
/// <remarks>Get one from <see cref="IAutotaskClient.EntitySet(string)"/>.</remarks>
public interface IAutotaskEntitySet
{
    /// <summary>The entity's URL segment, such as <c>ConfigurationItems</c>.</summary>
    string EntityName { get; }

    /// <summary>Reads the entity's fields from the instance (cached for the connection).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    Task<IReadOnlyList<EntityField>> GetFieldsAsync(CancellationToken cancellationToken = default);

    /// <summary>Streams every record matching all the filters, page after page; none matches every record.</summary>
    /// <param name="filters">The filters (<see cref="Filter.Field"/>, <see cref="Filter.Udf"/>, groups), field names as Autotask spells them.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <exception cref="AutotaskFieldException">A filter names a field the entity does not have in this instance.</exception>
    /// <exception cref="ArgumentException">A filter is <c>null</c> (thrown by the call, before anything is sent).</exception>
    IAsyncEnumerable<JsonObject> QueryAsync(IEnumerable<QueryFilter> filters, CancellationToken cancellationToken = default);

    /// <summary>Counts the records matching all the filters.</summary>
    /// <param name="filters">The filters.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="AutotaskFieldException">A filter names a field the entity does not have in this instance.</exception>
    /// <exception cref="ArgumentException">A filter is <c>null</c>; nothing was sent.</exception>
    Task<long> CountAsync(IEnumerable<QueryFilter> filters, CancellationToken cancellationToken = default);

    /// <summary>Reads one record by id, or <c>null</c> when there is none.</summary>
    /// <param name="id">The id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    Task<JsonObject?> GetAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Creates a record and returns its id.</summary>
    /// <param name="record">The record, without an id.</param>
    /// <param name="parentId">For a child created under its parent, the parent's id, unless the record holds it.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="AutotaskFieldException">A field is unknown, required and missing, read-only or not an active picklist value; nothing was sent.</exception>
    Task<long> CreateAsync(JsonObject record, long? parentId = null, CancellationToken cancellationToken = default);

    /// <summary>Changes the fields given (HTTP PATCH) and returns the record's id.</summary>
    /// <param name="id">The record's id.</param>
    /// <param name="changes">The fields to change, by their wire names.</param>
    /// <param name="parentId">For a child updated under its parent, the parent's id, unless the changes hold it.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="AutotaskFieldException">A field is unknown, read-only, a required field cleared, or not an active picklist value; nothing was sent.</exception>
    Task<long> UpdateAsync(long id, JsonObject changes, long? parentId = null, CancellationToken cancellationToken = default);

    /// <summary>Replaces a record whole (HTTP PUT; fields left out become empty) and returns its id.</summary>
    /// <param name="record">The record, with its id.</param>
    /// <param name="parentId">For a child replaced under its parent, the parent's id, unless the record holds it.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="AutotaskFieldException">A field is unknown, required and missing or not an active picklist value; nothing was sent.</exception>
    Task<long> ReplaceAsync(JsonObject record, long? parentId = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes a record (HTTP DELETE).</summary>
    /// <param name="id">The record's id.</param>
    /// <param name="parentId">For a child deleted under its parent, the parent's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    Task DeleteAsync(long id, long? parentId = null, CancellationToken cancellationToken = default);
}
