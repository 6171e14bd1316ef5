using System.Text.Json.Serialization.Metadata;
using Autotask.Integration.Entities;

namespace Autotask.Integration.Testing.Engine;

/// <summary>The stored entities of one kind, kept in id order. Thread-safe.</summary>
internal interface IEntityTable
{
    string Path { get; }

    Type EntityType { get; }

    JsonTypeInfo TypeInfo { get; }

    IReadOnlyDictionary<string, JsonPropertyInfo> Fields { get; }

    int Count { get; }

    AutotaskEntity? Find(long id);

    /// <summary>The entities with an id greater than <paramref name="afterId"/>, in id order.</summary>
    IEnumerable<AutotaskEntity> After(long afterId);

    AutotaskEntity Insert(AutotaskEntity entity);

    void Replace(AutotaskEntity entity);

    /// <summary>Removes the entity with the id; <c>false</c> when there is none.</summary>
    bool Remove(long id);
}

internal sealed class EntityTable<T> : IEntityTable where T : AutotaskEntity
{
    private readonly object _gate = new();
    private readonly List<T> _items = [];
    private readonly Dictionary<long, int> _index = [];
    private readonly HashSet<long> _removed = [];
    private long _nextId;

    public EntityTable(string path, JsonTypeInfo<T> typeInfo, long firstId)
    {
        Path = path;
        TypeInfo = typeInfo;
        _nextId = firstId;
        Fields = typeInfo.Properties.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
    }

    public string Path { get; }

    public Type EntityType => typeof(T);

    public JsonTypeInfo TypeInfo { get; }

    public IReadOnlyDictionary<string, JsonPropertyInfo> Fields { get; }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _items.Count - _removed.Count;
            }
        }
    }

    public IReadOnlyList<T> Snapshot()
    {
        lock (_gate)
        {
            return _removed.Count == 0 ? _items.ToArray() : _items.Where(i => !_removed.Contains(i.Id)).ToArray();
        }
    }

    public AutotaskEntity? Find(long id)
    {
        lock (_gate)
        {
            return _index.TryGetValue(id, out var position) && !_removed.Contains(id) ? _items[position] : null;
        }
    }

    public IEnumerable<AutotaskEntity> After(long afterId)
    {
        int start;
        lock (_gate)
        {
            start = LowerBound(afterId + 1);
        }

        // Ids only grow and a removed entity keeps its position (marked removed), so reading by position after the lock is safe.
        for (var i = start; ; i++)
        {
            T item;
            lock (_gate)
            {
                if (i >= _items.Count)
                {
                    yield break;
                }

                item = _items[i];
                if (_removed.Contains(item.Id))
                {
                    continue;
                }
            }

            yield return item;
        }
    }

    public AutotaskEntity Insert(AutotaskEntity entity) => Insert((T)entity);

    public T Insert(T entity)
    {
        lock (_gate)
        {
            var id = entity.Id > 0 ? entity.Id : _nextId;
            if (_index.ContainsKey(id))
            {
                throw new InvalidOperationException($"{Path} already has an entity with id {id}.");
            }

            if (_items.Count > 0 && id < _items[^1].Id)
            {
                throw new InvalidOperationException($"{Path} ids must be added in increasing order; {id} is below {_items[^1].Id}.");
            }

            var stored = entity with { Id = id };
            _index[id] = _items.Count;
            _items.Add(stored);
            _nextId = Math.Max(_nextId, id + 1);
            return stored;
        }
    }

    public void Replace(AutotaskEntity entity)
    {
        lock (_gate)
        {
            if (!_index.TryGetValue(entity.Id, out var position) || _removed.Contains(entity.Id))
            {
                throw new InvalidOperationException($"{Path} has no entity with id {entity.Id}.");
            }

            _items[position] = (T)entity;
        }
    }

    public bool Remove(long id)
    {
        lock (_gate)
        {
            return _index.ContainsKey(id) && _removed.Add(id);
        }
    }

    private int LowerBound(long id)
    {
        int low = 0, high = _items.Count;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (_items[mid].Id < id)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }
}
