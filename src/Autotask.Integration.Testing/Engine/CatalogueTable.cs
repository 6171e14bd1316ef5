using System.Text.Json.Nodes;

namespace Autotask.Integration.Testing.Engine;

/// <summary>The stored records of a catalogue entity the simulator has no model for, as JSON objects in id order. Thread-safe.</summary>
internal sealed class CatalogueTable(CatalogueEntry entry)
{
    private readonly object _gate = new();
    private readonly SortedDictionary<long, JsonObject> _rows = [];
    private long _nextId = 1;

    public CatalogueEntry Entry { get; } = entry;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _rows.Count;
            }
        }
    }

    /// <summary>Stores a new record (a copy, given the next id unless it has one) and returns it.</summary>
    public JsonObject Insert(JsonObject row)
    {
        lock (_gate)
        {
            var given = row["id"] is JsonValue value && long.TryParse(value.ToJsonString(), out var parsed) ? parsed : 0;
            var id = given > 0 ? given : _nextId;
            if (_rows.ContainsKey(id))
            {
                throw new InvalidOperationException($"{Entry.Name} already has a record with id {id}.");
            }

            // Kept as parsed JSON, as a request body is, whatever CLR values the caller built the record from.
            var stored = JsonNode.Parse(row.ToJsonString())!.AsObject();
            stored["id"] = id;
            _rows[id] = stored;
            _nextId = Math.Max(_nextId, id + 1);
            return stored;
        }
    }

    public JsonObject? Find(long id)
    {
        lock (_gate)
        {
            return _rows.GetValueOrDefault(id);
        }
    }

    /// <summary>Replaces a stored record with a new object; stored objects are never changed in place.</summary>
    public void Replace(long id, JsonObject row)
    {
        lock (_gate)
        {
            if (!_rows.ContainsKey(id))
            {
                throw new InvalidOperationException($"{Entry.Name} has no record with id {id}.");
            }

            _rows[id] = row;
        }
    }

    public bool Remove(long id)
    {
        lock (_gate)
        {
            return _rows.Remove(id);
        }
    }

    /// <summary>The records with an id greater than <paramref name="afterId"/>, in id order (a snapshot).</summary>
    public IReadOnlyList<JsonObject> After(long afterId)
    {
        lock (_gate)
        {
            return _rows.Where(r => r.Key > afterId).Select(r => r.Value).ToArray();
        }
    }
}
