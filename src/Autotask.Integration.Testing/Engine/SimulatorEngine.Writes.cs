using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autotask.Integration.Entities;

namespace Autotask.Integration.Testing.Engine;

/// <summary>Creating and updating entities (children under their parent), with Autotask's rules, and writes that commit late.</summary>
internal sealed partial class SimulatorEngine
{
    private EngineResponse Create(string path, byte[] body, long? parentId)
    {
        if (path is "Resources" or "ContractServiceUnits")
        {
            throw new SimulatorException(HttpStatusCode.MethodNotAllowed, $"{path} cannot be created through the API.");
        }

        var table = _data.TableFor(path)!;
        if (path == "ContractServiceAdjustments")
        {
            EntityRules.RequireWholeUnits(body);
        }

        AutotaskEntity entity;
        try
        {
            entity = (AutotaskEntity?)JsonSerializer.Deserialize(body, table.TypeInfo)
                     ?? throw SimulatorException.Invalid("The body is empty.");
        }
        catch (JsonException ex)
        {
            throw SimulatorException.Invalid($"The body is not a valid {path} entity: {ex.Message}");
        }

        if (entity.Id != 0)
        {
            throw SimulatorException.Invalid("The id of a new entity must not be set.");
        }

        var instanceValues = InstanceValues(table, JsonNode.Parse(body) as JsonObject ?? []);
        lock (_gate)
        {
            // One writer at a time, so that validation and insertion see the same state.
            entity = EntityRules.PrepareCreate(entity, parentId, _data, Now, ref _ticketSequence);
            var stored = _data.Insert(table, entity);
            _data.KeepInstanceValues(table.Path, stored.Id, instanceValues);
            if (stored is ContractServiceAdjustment adjustment)
            {
                _applied.Add(adjustment);
            }

            return ItemId(stored.Id);
        }
    }

    /// <summary>Updates the fields in the body (PATCH) or, with <paramref name="replace"/>, replaces the entity whole (PUT: fields left out become empty).</summary>
    private EngineResponse Update(string path, byte[] body, long? parentId, bool replace = false)
    {
        if (path is "Resources" or "ContractServiceUnits" or "ContractServiceAdjustments")
        {
            throw new SimulatorException(HttpStatusCode.MethodNotAllowed, $"{path} cannot be updated through the API.");
        }

        var table = _data.TableFor(path)!;
        JsonObject patch;
        try
        {
            patch = JsonNode.Parse(body)?.AsObject() ?? throw SimulatorException.Invalid("The body is empty.");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw SimulatorException.Invalid("The body is not a JSON object.");
        }

        var idNode = patch.FirstOrDefault(p => p.Key.Equals("id", StringComparison.OrdinalIgnoreCase)).Value;
        if (idNode is null || !long.TryParse(idNode.ToJsonString(), out var id))
        {
            throw SimulatorException.Invalid("The id of the entity to update is required.");
        }

        lock (_gate)
        {
            var existing = table.Find(id) ?? throw SimulatorException.Invalid($"No {path} entity has id {id}.");
            var merged = JsonSerializer.SerializeToNode(existing, table.TypeInfo)!.AsObject();

            // The instance's own fields: a PUT keeps only those it sends, a PATCH changes those it sends.
            var instanceValues = replace ? [] : _data.InstanceValuesOf(table.Path, id) ?? [];
            foreach (var (name, value) in InstanceValues(table, patch))
            {
                instanceValues[name] = value?.DeepClone();
            }

            if (replace)
            {
                foreach (var name in merged.Select(p => p.Key).Where(k => !ReadOnlyFields.Contains(k)).ToList())
                {
                    merged.Remove(name);
                }
            }

            foreach (var (name, value) in patch)
            {
                if (name.Equals("id", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (!table.Fields.TryGetValue(name, out var field))
                {
                    if (_data.InstanceField(table.Path, name) is not null)
                    {
                        continue;
                    }

                    throw SimulatorException.Invalid($"Unable to find {name} in the {path} entity.");
                }

                if (ReadOnlyFields.Contains(field.Name))
                {
                    // A PUT sends the whole entity, read-only fields included; Autotask keeps its own values.
                    if (replace)
                    {
                        continue;
                    }

                    throw SimulatorException.Invalid($"{field.Name} of {path} is read-only.");
                }

                merged[field.Name] = value?.DeepClone();
            }

            AutotaskEntity updated;
            try
            {
                updated = (AutotaskEntity)merged.Deserialize(table.TypeInfo)!;
            }
            catch (JsonException ex)
            {
                throw SimulatorException.Invalid($"The changes are not valid for {path}: {ex.Message}");
            }

            updated = EntityRules.PrepareUpdate(updated, existing, parentId, _data, Now);
            _data.Replace(table, updated);
            _data.KeepInstanceValues(table.Path, id, instanceValues);
            return ItemId(id);
        }
    }

    /// <summary>The values a body gives the instance's own fields of a modelled entity (<c>SimulatorData.AddInstanceField</c>), checked by type.</summary>
    private JsonObject InstanceValues(IEntityTable table, JsonObject body)
    {
        var values = new JsonObject();
        foreach (var (name, value) in body)
        {
            if (!table.Fields.ContainsKey(name) && _data.InstanceField(table.Path, name) is var (field, type))
            {
                values[field] = CheckValue(table.Path, field, type, value);
            }
        }

        return values;
    }

    /// <summary>Deletes a modelled entity kept under a parent (a contact under its company).</summary>
    private EngineResponse Delete(string path, long id, long parentId)
    {
        var table = _data.TableFor(path)!;
        lock (_gate)
        {
            var existing = table.Find(id);
            var owner = existing is null ? null : EntityRules.ParentIdOf(existing);
            if (existing is null || owner != parentId)
            {
                throw new SimulatorException(HttpStatusCode.NotFound, $"No {path} entity has id {id} under {parentId}.");
            }

            _data.Remove(table, id);
            _data.KeepInstanceValues(table.Path, id, null);
            return ItemId(id);
        }
    }

    private async Task CommitLateAsync(EngineRequest request, string[] segments)
    {
        await Task.Delay(_faults.LateCommitDelay, _time).ConfigureAwait(false);
        Dispatch(request, segments);
    }
}
