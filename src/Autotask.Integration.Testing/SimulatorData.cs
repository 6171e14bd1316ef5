using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Autotask.Integration.Entities;
using Autotask.Integration.Metadata;
using Autotask.Integration.Testing.Engine;
using NodaTime;

namespace Autotask.Integration.Testing;

/// <summary>
/// The state of a simulated Autotask instance: its entities, picklists and user-defined fields. Tests read it to
/// check what a client did, and add fixtures to it; every change is visible to the next request. Thread-safe.
/// </summary>
public sealed class SimulatorData
{
    private readonly Dictionary<Type, IEntityTable> _byType = [];
    private readonly Dictionary<string, IEntityTable> _byPath = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<PicklistValue>> _picklists = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<string>> _userDefinedFields = new(StringComparer.OrdinalIgnoreCase);
    private readonly object _picklistGate = new();
    private readonly HashSet<string> _required = new(StringComparer.OrdinalIgnoreCase);
    private readonly object _catalogueGate = new();
    private readonly Dictionary<string, CatalogueTable> _catalogue = new(StringComparer.OrdinalIgnoreCase);
    private readonly object _unitsGate = new();
    private readonly Dictionary<long, List<ContractServiceAdjustment>> _adjustmentsByLine = [];
    private readonly Dictionary<long, long> _lineVersions = [];
    private readonly Dictionary<long, (long Structure, long Line, ContractServiceUnit[] Rows)> _unitsByLine = [];
    private readonly object _instanceGate = new();
    private readonly Dictionary<string, Dictionary<string, string>> _instanceFields = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<(string Entity, long Id), JsonObject> _instanceValues = [];
    private long _version;
    private long _structureVersion;
    private (long Version, IReadOnlyList<ContractServiceUnit> Rows)? _units;

    internal SimulatorData()
    {
        Register("Companies", SimulatorJsonContext.Default.Company, 1);
        Register("Contacts", SimulatorJsonContext.Default.Contact, 30_000_001);
        Register("Contracts", SimulatorJsonContext.Default.Contract, 1_000_001);
        Register("ContractServices", SimulatorJsonContext.Default.ContractService, 2_000_001);
        Register("ContractServiceAdjustments", SimulatorJsonContext.Default.ContractServiceAdjustment, 3_000_001);
        Register("Services", SimulatorJsonContext.Default.Service, 4_001);
        Register("Tickets", SimulatorJsonContext.Default.Ticket, 5_000_001);
        Register("TicketNotes", SimulatorJsonContext.Default.TicketNote, 6_000_001);
        Register("Resources", SimulatorJsonContext.Default.Resource, 29_682_885);
        SimulatorPicklists.AddDefaults(this);
    }

    /// <summary>Every adjustment applied so far, in the order it was applied.</summary>
    public IReadOnlyList<ContractServiceAdjustment> Adjustments => Table<ContractServiceAdjustment>().Snapshot();

    /// <summary>Adds an entity, giving it the next id when its id is 0, and returns it as stored.</summary>
    /// <typeparam name="T">The entity model.</typeparam>
    /// <param name="entity">The entity; an explicit id must be higher than every id of its kind so far.</param>
    public T Add<T>(T entity) where T : AutotaskEntity
    {
        ArgumentNullException.ThrowIfNull(entity);
        if (entity is ContractServiceUnit)
        {
            throw new InvalidOperationException("Contract service units are computed from contract services and adjustments; add those instead.");
        }

        return (T)Insert(Table<T>(), entity);
    }

    /// <summary>Stores a new entity in its table, keeping the units bookkeeping up to date.</summary>
    internal AutotaskEntity Insert(IEntityTable table, AutotaskEntity entity)
    {
        var stored = table.Insert(entity);
        lock (_unitsGate)
        {
            _version++;
            if (stored is not ContractServiceAdjustment)
            {
                _structureVersion++;
            }

            if (stored is ContractServiceAdjustment { ContractServiceId: { } line } adjustment)
            {
                _lineVersions[line] = _lineVersions.GetValueOrDefault(line) + 1;
                if (!_adjustmentsByLine.TryGetValue(line, out var list))
                {
                    list = [];
                    _adjustmentsByLine[line] = list;
                }

                list.Add(adjustment);
            }
        }

        return stored;
    }

    /// <summary>Returns the entity with the given id, or <c>null</c>.</summary>
    /// <typeparam name="T">The entity model.</typeparam>
    /// <param name="id">The id.</param>
    public T? Get<T>(long id) where T : AutotaskEntity =>
        typeof(T) == typeof(ContractServiceUnit)
            ? ContractServiceUnits().FirstOrDefault(u => u.Id == id) as T
            : Table<T>().Find(id) as T;

    /// <summary>Returns every entity of a kind, in id order.</summary>
    /// <typeparam name="T">The entity model.</typeparam>
    public IReadOnlyList<T> All<T>() where T : AutotaskEntity =>
        typeof(T) == typeof(ContractServiceUnit)
            ? (IReadOnlyList<T>)ContractServiceUnits()
            : Table<T>().Snapshot();

    /// <summary>Replaces a stored entity (same id) with a changed copy.</summary>
    /// <typeparam name="T">The entity model.</typeparam>
    /// <param name="entity">The changed entity.</param>
    public void Update<T>(T entity) where T : AutotaskEntity
    {
        ArgumentNullException.ThrowIfNull(entity);
        Replace(Table<T>(), entity);
    }

    /// <summary>Replaces an entity in its table, keeping the units bookkeeping up to date.</summary>
    internal void Replace(IEntityTable table, AutotaskEntity entity)
    {
        table.Replace(entity);
        lock (_unitsGate)
        {
            _version++;
            _structureVersion++;
        }
    }

    /// <summary>The units billed for a contract service on a day: the sum of its adjustments effective on or before it.</summary>
    /// <param name="contractServiceId">The contract service.</param>
    /// <param name="date">The day.</param>
    public int UnitsOn(long contractServiceId, LocalDate date) =>
        AdjustmentsOf(contractServiceId).Where(a => a.EffectiveDate <= date).Sum(a => a.UnitChange);

    /// <summary>The adjustments of one contract service, in the order they were applied.</summary>
    /// <param name="contractServiceId">The contract service.</param>
    public IReadOnlyList<ContractServiceAdjustment> AdjustmentsOf(long contractServiceId)
    {
        lock (_unitsGate)
        {
            return _adjustmentsByLine.TryGetValue(contractServiceId, out var list) ? list.ToArray() : [];
        }
    }

    /// <summary>The values of a picklist field, such as <c>("Tickets", "priority")</c>.</summary>
    /// <param name="entity">The entity path, such as <c>Tickets</c>.</param>
    /// <param name="field">The field.</param>
    public IReadOnlyList<PicklistValue> Picklist(string entity, string field)
    {
        lock (_picklistGate)
        {
            return _picklists.TryGetValue(entity + "." + field, out var values) ? values.ToArray() : [];
        }
    }

    /// <summary>Adds a value to a picklist (or replaces the value with the same stored value).</summary>
    /// <param name="entity">The entity path, such as <c>Tickets</c>.</param>
    /// <param name="field">The field, such as <c>queueID</c>.</param>
    /// <param name="value">The value.</param>
    public void SetPicklistValue(string entity, string field, PicklistValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_picklistGate)
        {
            var key = entity + "." + field;
            if (!_picklists.TryGetValue(key, out var values))
            {
                values = [];
                _picklists[key] = values;
            }

            values.RemoveAll(v => v.Value == value.Value);
            values.Add(value);
        }
    }

    /// <summary>Declares a user-defined field on an entity, such as <c>("Companies", "Customer Code")</c>.</summary>
    /// <param name="entity">The entity path.</param>
    /// <param name="name">The field's name.</param>
    public void AddUserDefinedField(string entity, string name)
    {
        lock (_picklistGate)
        {
            if (!_userDefinedFields.TryGetValue(entity, out var names))
            {
                names = [];
                _userDefinedFields[entity] = names;
            }

            if (!names.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                names.Add(name);
            }
        }
    }

    internal IReadOnlyList<string> UserDefinedFields(string entity)
    {
        lock (_picklistGate)
        {
            return _userDefinedFields.TryGetValue(entity, out var names) ? names.ToArray() : [];
        }
    }

    internal IReadOnlyList<string> PicklistFields(string entity)
    {
        lock (_picklistGate)
        {
            return _picklists.Keys.Where(k => k.StartsWith(entity + ".", StringComparison.OrdinalIgnoreCase))
                .Select(k => k[(entity.Length + 1)..]).ToArray();
        }
    }

    internal bool IsPicklistValue(string entity, string field, long value)
    {
        var values = Picklist(entity, field);
        return values.Count == 0 || values.Any(v => v.Value == value.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    internal IEntityTable? TableFor(string path) => _byPath.GetValueOrDefault(path);

    /// <summary>Removes an entity from its table, keeping the units bookkeeping up to date.</summary>
    internal void Remove(IEntityTable table, long id)
    {
        table.Remove(id);
        lock (_unitsGate)
        {
            _version++;
            _structureVersion++;
        }
    }

    /// <summary>The table of a catalogue entity the simulator has no model for, made on first use.</summary>
    internal CatalogueTable CatalogueTable(CatalogueEntry entry)
    {
        lock (_catalogueGate)
        {
            if (!_catalogue.TryGetValue(entry.Name, out var table))
            {
                table = new CatalogueTable(entry);
                _catalogue[entry.Name] = table;
            }

            return table;
        }
    }

    /// <summary>
    /// Every stored record of an entity of Autotask's REST catalogue that the simulator keeps as JSON (any entity but
    /// the modelled ones, such as <c>ConfigurationItems</c> or <c>CompanyWebhooks</c>), in id order.
    /// </summary>
    /// <param name="entity">The entity's name, such as <c>ConfigurationItems</c>.</param>
    /// <exception cref="ArgumentException">The catalogue has no such entity, or the simulator keeps it as a model (use <see cref="All{T}"/>).</exception>
    public IReadOnlyList<JsonObject> Records(string entity) =>
        [.. CatalogueTable(CatalogueEntryOf(entity)).After(0).Select(r => (JsonObject)r.DeepClone())];

    /// <summary>Adds a record of a catalogue entity kept as JSON and returns its id (the next one, unless the record has one).</summary>
    /// <param name="entity">The entity's name, such as <c>ConfigurationItems</c>.</param>
    /// <param name="record">The record's fields by their wire names.</param>
    /// <exception cref="ArgumentException">The catalogue has no such entity, or the simulator keeps it as a model (use <see cref="Add{T}"/>).</exception>
    public long AddRecord(string entity, JsonObject record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return CatalogueTable(CatalogueEntryOf(entity)).Insert(record)["id"]!.GetValue<long>();
    }

    /// <summary>
    /// Gives an entity a field that this instance has and the SDK's catalogue does not, as real instances, newer than any
    /// published description, do: writes accept it, reads return it (for every entity, the modelled ones too) and its
    /// <c>entityInformation/fields</c> lists it.
    /// </summary>
    /// <param name="entity">The entity's name, such as <c>Companies</c>.</param>
    /// <param name="field">The field's wire name, such as <c>companyCategoryID</c>.</param>
    /// <param name="type">Its type as the catalogue names types: <c>int32</c>, <c>int64</c>, <c>double</c>, <c>decimal</c>, <c>boolean</c>, <c>string</c> or <c>datetime</c>.</param>
    /// <exception cref="ArgumentException">The catalogue has no such entity, the entity has the field already, or the type is not one of those.</exception>
    public void AddInstanceField(string entity, string field, string type)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(entity);
        ArgumentException.ThrowIfNullOrWhiteSpace(field);
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        var entry = SimulatorCatalog.ByName.GetValueOrDefault(entity)
            ?? throw new ArgumentException($"Autotask's REST catalogue has no entity '{entity}'.", nameof(entity));
        if (type is not ("int32" or "int64" or "double" or "decimal" or "boolean" or "string" or "datetime"))
        {
            throw new ArgumentException($"'{type}' is not a catalogue type: int32, int64, double, decimal, boolean, string or datetime.", nameof(type));
        }

        if (entry.Fields.ContainsKey(field) || _byPath.GetValueOrDefault(entry.Name)?.Fields.ContainsKey(field) == true)
        {
            throw new ArgumentException($"{entry.Name} has a field '{field}' in the catalogue already.", nameof(field));
        }

        lock (_instanceGate)
        {
            if (!_instanceFields.TryGetValue(entry.Name, out var fields))
            {
                fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                _instanceFields[entry.Name] = fields;
            }

            fields[field] = type;
        }
    }

    /// <summary>The fields of an entity added by <see cref="AddInstanceField"/>, by wire name, with their catalogue types.</summary>
    internal IReadOnlyList<KeyValuePair<string, string>> InstanceFields(string entity)
    {
        lock (_instanceGate)
        {
            return _instanceFields.TryGetValue(entity, out var fields) ? fields.ToArray() : [];
        }
    }

    /// <summary>The catalogue type of an instance field of the entity (its wire name, as declared), or <c>null</c>.</summary>
    internal KeyValuePair<string, string>? InstanceField(string entity, string field)
    {
        lock (_instanceGate)
        {
            return _instanceFields.TryGetValue(entity, out var fields) && fields.TryGetValue(field, out var type)
                ? new KeyValuePair<string, string>(fields.Keys.First(k => k.Equals(field, StringComparison.OrdinalIgnoreCase)), type)
                : null;
        }
    }

    /// <summary>
    /// Sets the value of an instance field (<see cref="AddInstanceField"/>) on a stored entity the simulator keeps as a
    /// model, as if Autotask had it from another client; catalogue records kept as JSON take it in <see cref="AddRecord"/>.
    /// </summary>
    /// <param name="entity">The entity's name, such as <c>Companies</c>.</param>
    /// <param name="id">The entity's id.</param>
    /// <param name="field">The instance field.</param>
    /// <param name="value">The value as JSON, or <c>null</c> to empty it.</param>
    /// <exception cref="ArgumentException">The entity has no such instance field, or is not kept as a model.</exception>
    public void SetInstanceFieldValue(string entity, long id, string field, JsonNode? value)
    {
        var table = TableFor(entity) ?? throw new ArgumentException($"The simulator keeps {entity} as JSON: give the field in AddRecord.", nameof(entity));
        var declared = InstanceField(table.Path, field) ?? throw new ArgumentException($"{table.Path} has no instance field '{field}': add it with AddInstanceField.", nameof(field));
        if (table.Find(id) is null)
        {
            throw new ArgumentException($"{table.Path} has no entity with id {id}.", nameof(id));
        }

        lock (_instanceGate)
        {
            var values = InstanceValuesOf(table.Path, id) ?? [];
            values[declared.Key] = value?.DeepClone();
            _instanceValues[(table.Path, id)] = values;
        }
    }

    /// <summary>A copy of the instance-field values of a modelled entity, or <c>null</c> when it has none.</summary>
    internal JsonObject? InstanceValuesOf(string entity, long id)
    {
        lock (_instanceGate)
        {
            return _instanceValues.TryGetValue((entity, id), out var values) ? (JsonObject)values.DeepClone() : null;
        }
    }

    /// <summary>Keeps the instance-field values of a modelled entity (a replace or a patch has merged them already).</summary>
    internal void KeepInstanceValues(string entity, long id, JsonObject? values)
    {
        lock (_instanceGate)
        {
            if (values is null || values.Count == 0)
            {
                _instanceValues.Remove((entity, id));
            }
            else
            {
                _instanceValues[(entity, id)] = (JsonObject)values.DeepClone();
            }
        }
    }

    /// <summary>Makes a field of an entity required on create, as an administrator can in Autotask; its metadata then says so.</summary>
    /// <param name="entity">The entity's name, such as <c>ConfigurationItems</c>.</param>
    /// <param name="field">The field's wire name.</param>
    public void RequireField(string entity, string field)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(entity);
        ArgumentException.ThrowIfNullOrWhiteSpace(field);
        lock (_picklistGate)
        {
            _required.Add(entity + "." + field);
        }
    }

    internal bool IsRequired(string entity, string field)
    {
        lock (_picklistGate)
        {
            return _required.Contains(entity + "." + field);
        }
    }

    private CatalogueEntry CatalogueEntryOf(string entity)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(entity);
        var entry = SimulatorCatalog.ByName.GetValueOrDefault(entity)
            ?? throw new ArgumentException($"Autotask's REST catalogue has no entity '{entity}'.", nameof(entity));
        return _byPath.ContainsKey(entry.Name) || entry.Name == "ContractServiceUnits"
            ? throw new ArgumentException($"The simulator keeps {entry.Name} as a model: use Add<T> and All<T>.", nameof(entity))
            : entry;
    }

    internal EntityTable<T> Table<T>() where T : AutotaskEntity =>
        _byType.TryGetValue(typeof(T), out var table)
            ? (EntityTable<T>)table
            : throw new NotSupportedException($"The simulator does not store {typeof(T).Name}.");

    /// <summary>
    /// The billed units of every contract service, as Autotask shows them: one row per month of the contract, split
    /// at each adjustment's effective date, each row with the units in force from its first day.
    /// </summary>
    internal IReadOnlyList<ContractServiceUnit> ContractServiceUnits()
    {
        long version;
        long structure;
        lock (_unitsGate)
        {
            if (_units is { } cached && cached.Version == _version)
            {
                return cached.Rows;
            }

            version = _version;
            structure = _structureVersion;
        }

        var contracts = Table<Contract>();
        var rows = new List<ContractServiceUnit>();
        foreach (var service in Table<ContractService>().Snapshot())
        {
            ContractServiceAdjustment[] changes;
            long lineVersion;
            lock (_unitsGate)
            {
                lineVersion = _lineVersions.GetValueOrDefault(service.Id);
                if (_unitsByLine.TryGetValue(service.Id, out var line) && line.Structure == structure && line.Line == lineVersion)
                {
                    rows.AddRange(line.Rows);
                    continue;
                }

                changes = _adjustmentsByLine.TryGetValue(service.Id, out var list)
                    ? list.OrderBy(a => a.EffectiveDate).ThenBy(a => a.Id).ToArray()
                    : [];
            }

            var computed = contracts.Find(service.ContractId) is Contract contract ? UnitsOf(service, contract, changes) : [];
            lock (_unitsGate)
            {
                _unitsByLine[service.Id] = (structure, lineVersion, computed);
            }

            rows.AddRange(computed);
        }

        rows.Sort((a, b) => a.Id.CompareTo(b.Id));
        lock (_unitsGate)
        {
            if (_version == version)
            {
                _units = (version, rows);
            }
        }

        return rows;
    }

    /// <summary>One row per month of the contract, split at each effective date, with the units in force from its first day.</summary>
    private static ContractServiceUnit[] UnitsOf(ContractService service, Contract contract, ContractServiceAdjustment[] changes)
    {
        if (contract.StartDate is not { } start)
        {
            return [];
        }

        var end = contract.EndDate ?? start.PlusMonths(12).PlusDays(-1);
        var rows = new List<ContractServiceUnit>();
        var index = 0;
        for (var month = start; month <= end; month = month.PlusMonths(1))
        {
            var monthEnd = LocalDate.Min(month.PlusMonths(1).PlusDays(-1), end);
            var from = month;
            var cuts = changes.Select(a => a.EffectiveDate).Where(d => d > month && d <= monthEnd).Distinct().Order();
            foreach (var to in cuts.Select(c => c.PlusDays(-1)).Append(monthEnd))
            {
                var units = 0;
                foreach (var change in changes)
                {
                    if (change.EffectiveDate > from)
                    {
                        break;
                    }

                    units += change.UnitChange;
                }

                rows.Add(new ContractServiceUnit
                {
                    Id = service.Id * 1000 + index++,
                    ContractId = service.ContractId,
                    ContractServiceId = service.Id,
                    ServiceId = service.ServiceId,
                    StartDate = from,
                    EndDate = to,
                    Units = units,
                    Price = service.AdjustedPrice ?? service.UnitPrice,
                    Cost = service.UnitCost,
                });
                from = to.PlusDays(1);
            }
        }

        return [.. rows];
    }

    /// <summary>Adds the table of an entity at the URL Autotask serves it on (the simulator's own knowledge, not the client's).</summary>
    private void Register<T>(string path, JsonTypeInfo<T> typeInfo, long firstId) where T : AutotaskEntity
    {
        var table = new EntityTable<T>(path, typeInfo, firstId);
        _byType[typeof(T)] = table;
        _byPath[path] = table;
    }
}
