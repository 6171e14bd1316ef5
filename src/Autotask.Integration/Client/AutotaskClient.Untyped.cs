using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autotask.Integration.Entities;
using Autotask.Integration.Json;
using Autotask.Integration.Metadata;
using Autotask.Integration.Querying;

namespace Autotask.Integration.Client;

/// <summary>Entities reached by name with JSON records, and the metadata checks every write can have before it is sent.</summary>
internal sealed partial class AutotaskClient
{
    public IAutotaskEntitySet EntitySet(string entityName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(entityName);
        if (!entityName.All(char.IsAsciiLetterOrDigit) || !char.IsAsciiLetter(entityName[0]))
        {
            throw new ArgumentException($"'{entityName}' is not an Autotask entity name: a URL segment of letters and digits, such as ConfigurationItems.", nameof(entityName));
        }

        var known = EntityCatalog.ByName.GetValueOrDefault(entityName);
        return new UntypedEntitySet(this, known?.Name ?? entityName, known);
    }

    /// <summary>Checks a typed write against the instance's field metadata when the connection asks for it.</summary>
    private async Task ValidateWriteAsync(string entityPath, Func<JsonObject> body, WriteKind kind, CancellationToken cancellationToken)
    {
        var zone = await ZoneAsync(cancellationToken).ConfigureAwait(false);
        if (!zone.Runtime.Settings.ValidateWrites)
        {
            return;
        }

        var fields = await LoadFieldsAsync(entityPath, "fields", cancellationToken).ConfigureAwait(false);
        FieldValidator.Validate(entityPath, fields, body(), kind);
    }

    /// <summary>Paging of JSON records: their ids are read from the <c>id</c> property.</summary>
    private sealed class UntypedPaging(string path) : IPagedEntity<JsonObject>
    {
        public string Path { get; } = path;

        public ValueTask<QueryResponse<JsonObject>?> ReadPageAsync(Stream stream, CancellationToken cancellationToken) =>
            JsonSerializer.DeserializeAsync(stream, AutotaskJsonContext.Default.QueryResponseJsonObject, cancellationToken);

        public long IdOf(JsonObject item) => JsonIds.Read(item["id"]) ?? 0;
    }

    private sealed class UntypedEntitySet(AutotaskClient client, string name, CatalogEntity? catalogued) : IAutotaskEntitySet
    {
        private readonly UntypedPaging _paging = new(name);

        public string EntityName => name;

        public Task<IReadOnlyList<EntityField>> GetFieldsAsync(CancellationToken cancellationToken = default) =>
            client.LoadFieldsAsync(name, "fields", cancellationToken);

        public IAsyncEnumerable<JsonObject> QueryAsync(IEnumerable<QueryFilter> filters, CancellationToken cancellationToken = default)
        {
            var list = Checked(filters);
            Require(EntityOperations.Query);
            return Enumerate(list, cancellationToken);
        }

        private async IAsyncEnumerable<JsonObject> Enumerate(QueryFilter[] filters, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await ValidateFiltersAsync(filters, cancellationToken).ConfigureAwait(false);
            using var activity = client.StartActivity("Query", name);
            await foreach (var page in client.PagesAsync(_paging, filters, null, null, prefetch: false, activity, cancellationToken).ConfigureAwait(false))
            {
                foreach (var item in page.Items)
                {
                    yield return item;
                }
            }
        }

        public async Task<long> CountAsync(IEnumerable<QueryFilter> filters, CancellationToken cancellationToken = default)
        {
            var list = Checked(filters);
            Require(EntityOperations.Count);
            await ValidateFiltersAsync(list, cancellationToken).ConfigureAwait(false);
            return await client.CountAsync(name, list, cancellationToken).ConfigureAwait(false);
        }

        public async Task<JsonObject?> GetAsync(long id, CancellationToken cancellationToken = default)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(id, 1);
            Require(EntityOperations.Get);
            using var activity = client.StartActivity("Get", name);
            var zone = await client.ZoneAsync(cancellationToken).ConfigureAwait(false);
            var info = zone.Request("Get", name, isRead: true);
            var uri = new Uri(zone.ApiRoot, $"{name}/{id.ToString(CultureInfo.InvariantCulture)}");
            JsonObject answer;
            try
            {
                answer = await client.ReadJsonAsync(HttpMethod.Get, uri, null, info, AutotaskJsonContext.Default.JsonObject, cancellationToken).ConfigureAwait(false);
            }
            catch (AutotaskNotFoundException missing) when (missing.NoSuchRecord)
            {
                return null;
            }

            // Only Autotask's own {"item":null} means missing; an answer without item says nothing of the record.
            var item = answer.FirstOrDefault(p => p.Key.Equals("item", StringComparison.OrdinalIgnoreCase));
            return item.Key is null ? throw client.NoItem(info, uri)
                : item.Value is JsonObject record && answer.Remove(item.Key) ? record
                : item.Value is null ? null
                : throw new AutotaskServerException($"Autotask Get {name} for connection '{client.ConnectionName}' answered an item that is not a record.",
                    client.Details(info, HttpMethod.Get, uri) with { StatusCode = System.Net.HttpStatusCode.OK });
        }

        public Task<long> CreateAsync(JsonObject record, long? parentId = null, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(record);
            if (record["id"] is JsonValue id && id.ToJsonString() is not ("0" or "null"))
            {
                throw new ArgumentException($"A new {name} record must have no id; it has {id.ToJsonString()}. To change an existing one use UpdateAsync.", nameof(record));
            }

            return WriteAsync("Create", HttpMethod.Post, EntityOperations.Create, WriteKind.Create, record, parentId, nameof(record), cancellationToken);
        }

        public Task<long> UpdateAsync(long id, JsonObject changes, long? parentId = null, CancellationToken cancellationToken = default)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(id, 1);
            ArgumentNullException.ThrowIfNull(changes);
            if (!changes.Any(p => !p.Key.Equals("id", StringComparison.OrdinalIgnoreCase)))
            {
                throw new ArgumentException($"The changes of {name} {id} change nothing.", nameof(changes));
            }

            var body = new JsonObject { ["id"] = id };
            foreach (var (field, value) in changes.Where(p => !p.Key.Equals("id", StringComparison.OrdinalIgnoreCase)))
            {
                body[field] = value?.DeepClone();
            }

            return WriteAsync("Update", HttpMethod.Patch, EntityOperations.Update, WriteKind.Update, body, parentId, nameof(changes), cancellationToken);
        }

        public Task<long> ReplaceAsync(JsonObject record, long? parentId = null, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(record);
            if (JsonIds.Read(record["id"]) is not > 0)
            {
                throw new ArgumentException($"The {name} record to replace needs its id. To add a new one use CreateAsync.", nameof(record));
            }

            return WriteAsync("Replace", HttpMethod.Put, EntityOperations.Replace, WriteKind.Replace, record, parentId, nameof(record), cancellationToken);
        }

        public async Task DeleteAsync(long id, long? parentId = null, CancellationToken cancellationToken = default)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(id, 1);
            var path = PathFor(EntityOperations.Delete, parentId, null, nameof(parentId)) + "/" + id.ToString(CultureInfo.InvariantCulture);
            using var activity = client.StartActivity("Delete", name);
            var zone = await client.ZoneAsync(cancellationToken).ConfigureAwait(false);
            var info = zone.Request("Delete", name, isRead: false);
            await client.ReadJsonAsync(HttpMethod.Delete, new Uri(zone.ApiRoot, path), null, info, AutotaskJsonContext.Default.ItemIdResponse, cancellationToken).ConfigureAwait(false);
        }

        private async Task<long> WriteAsync(
            string operation, HttpMethod method, EntityOperations kind, WriteKind write, JsonObject record, long? parentId, string parameterName, CancellationToken cancellationToken)
        {
            var path = PathFor(kind, parentId, record, parameterName);
            if (catalogued?.RouteFor(kind) is { ParentIdField: { } parentField } && parentId is { } parent &&
                !record.Any(p => p.Key.Equals(parentField, StringComparison.OrdinalIgnoreCase)))
            {
                // The parent's id is in the URL; the record carries it too, as a typed child does.
                record = (JsonObject)record.DeepClone();
                record[parentField] = parent;
            }

            var fields = await client.LoadFieldsAsync(name, "fields", cancellationToken).ConfigureAwait(false);
            FieldValidator.Validate(name, fields, record, write);
            using var activity = client.StartActivity(operation, name);
            var zone = await client.ZoneAsync(cancellationToken).ConfigureAwait(false);
            var info = zone.Request(operation, name, isRead: false);
            var body = JsonSerializer.SerializeToUtf8Bytes(record, AutotaskJsonContext.Default.JsonObject);
            var result = await client.ReadJsonAsync(method, new Uri(zone.ApiRoot, path), body, info, AutotaskJsonContext.Default.ItemIdResponse, cancellationToken).ConfigureAwait(false);
            return result.ItemId;
        }

        /// <summary>The URL of a write: the entity's own, or its parent's child URL for a catalogue entity kept there.</summary>
        private string PathFor(EntityOperations operation, long? parentId, JsonObject? record, string parameterName)
        {
            if (parentId is < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(parentId), parentId, "The parent id must be positive.");
            }

            if (catalogued is null)
            {
                return parentId is null
                    ? name
                    : throw new ArgumentException($"{name} is not in the SDK's catalogue, so its parent URL is not known: write it on its own URL, without a parent id.", nameof(parentId));
            }

            if (catalogued.RouteFor(operation) is not { } route)
            {
                return name;
            }

            var id = parentId;
            if (id is null && JsonIds.Read(record?.FirstOrDefault(p => p.Key.Equals(route.ParentIdField, StringComparison.OrdinalIgnoreCase)).Value) is > 0 and var held)
            {
                id = held;
            }

            return id is > 0
                ? $"{route.Parent}/{id.Value.ToString(CultureInfo.InvariantCulture)}/{route.Segment}"
                : throw new ArgumentException($"{name} is written under its parent ({route.Parent}/{{id}}/{route.Segment}): give the parent id or set {route.ParentIdField}.", parameterName);
        }

        private void Require(EntityOperations operation)
        {
            if (catalogued is not null && !catalogued.Operations.HasFlag(operation))
            {
                throw new NotSupportedException($"Autotask does not let API users {operation.ToString().ToLowerInvariant()} {name}.");
            }
        }

        /// <summary>The filters as an array, refused as given when the list or one of them is <c>null</c>.</summary>
        private static QueryFilter[] Checked(IEnumerable<QueryFilter> filters)
        {
            ArgumentNullException.ThrowIfNull(filters);
            var list = filters.ToArray();
            var hole = Array.FindIndex(list, f => f is null);
            return hole < 0 ? list : throw new ArgumentException($"The filter at index {hole} is null.", nameof(filters));
        }

        private async Task ValidateFiltersAsync(QueryFilter[] filters, CancellationToken cancellationToken)
        {
            var fields = await client.LoadFieldsAsync(name, "fields", cancellationToken).ConfigureAwait(false);
            var userDefined = HasUserDefinedFilter(filters)
                ? await client.LoadFieldsAsync(name, "userDefinedFields", cancellationToken).ConfigureAwait(false)
                : [];
            FieldValidator.ValidateFilters(name, fields, userDefined, filters);
        }

        private static bool HasUserDefinedFilter(IEnumerable<QueryFilter> filters) =>
            filters.Any(f => f is FieldFilter { IsUserDefinedField: true } || (f is FilterGroup g && HasUserDefinedFilter(g.Filters)));
    }
}
