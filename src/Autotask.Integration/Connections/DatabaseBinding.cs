using System.Text.Json;
using Autotask.Integration.Mapping;
using Autotask.Integration.Metadata;

namespace Autotask.Integration.Connections;

/// <summary>
/// Binds a connection to the Autotask database its mappings are made against: recorded in the mapping store on first
/// contact (zone information's <c>ci</c> and the zone), compared in every later session of the connection, and changed
/// only by an explicit re-bind. Every engine calls <see cref="EnsureAsync(string, CancellationToken)"/> before it touches the store.
/// </summary>
internal sealed class DatabaseBinding(ConnectionRegistry registry, IMappingStore store)
{
    /// <summary>The sync-state key the binding is kept under.</summary>
    internal const string StateKey = "autotask.database";

    /// <summary>Checks that the connection still reaches the database it is bound to, binding it on first contact.</summary>
    /// <exception cref="AutotaskDatabaseMismatchException">Its credentials reach another database now.</exception>
    public async Task<AutotaskDatabaseIdentity> EnsureAsync(string connection, CancellationToken cancellationToken) =>
        await EnsureAsync(await registry.GetAsync(connection, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    private async Task<AutotaskDatabaseIdentity> EnsureAsync(ConnectionRuntime runtime, CancellationToken cancellationToken)
    {
        if (runtime.VerifiedDatabase is { } verified)
        {
            return verified;
        }

        var current = await IdentityAsync(runtime, cancellationToken).ConfigureAwait(false);
        var recorded = await store.GetStateAsync(runtime.Id, StateKey, cancellationToken).ConfigureAwait(false);
        if (recorded is null)
        {
            try
            {
                await store.SetStateAsync(runtime.Id, StateKey, Write(current), 0, cancellationToken).ConfigureAwait(false);
            }
            catch (StoreConcurrencyException)
            {
                // Another process bound it first: compare with what it recorded.
                recorded = await store.GetStateAsync(runtime.Id, StateKey, cancellationToken).ConfigureAwait(false);
            }
        }

        if (recorded is not null && Read(recorded.Value) is { } bound && bound != current)
        {
            throw new AutotaskDatabaseMismatchException(runtime.Id, bound, current);
        }

        runtime.VerifiedDatabase = current;
        return current;
    }

    /// <summary>
    /// What every engine calls before it touches the store: the connection's settings, once it is checked to reach
    /// the database its mappings belong to.
    /// </summary>
    /// <exception cref="AutotaskConnectionNotFoundException">No connection has the id, or it was removed.</exception>
    /// <exception cref="AutotaskDatabaseMismatchException">Its credentials reach another database now.</exception>
    public async Task<AutotaskConnectionOptions> OpenAsync(string connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var runtime = await registry.GetAsync(connection, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(runtime, cancellationToken).ConfigureAwait(false);
        return runtime.Settings;
    }

    /// <summary>The connection's settings, without the database check (for what must be decided before the store is touched).</summary>
    public async Task<AutotaskConnectionOptions> SettingsAsync(string connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return (await registry.GetAsync(connection, cancellationToken).ConfigureAwait(false)).Settings;
    }

    /// <summary>The database the connection is bound to, or <c>null</c> before its first contact.</summary>
    public async Task<AutotaskDatabaseIdentity?> GetAsync(string connection, CancellationToken cancellationToken) =>
        await store.GetStateAsync(connection, StateKey, cancellationToken).ConfigureAwait(false) is { } recorded ? Read(recorded.Value) : null;

    /// <summary>Binds the connection to the database its credentials reach now, whatever it was bound to.</summary>
    /// <returns>The database it was bound to before (or <c>null</c>), and the one it is bound to now.</returns>
    public async Task<(AutotaskDatabaseIdentity? Before, AutotaskDatabaseIdentity After)> RebindAsync(string connection, CancellationToken cancellationToken)
    {
        var runtime = await registry.GetAsync(connection, cancellationToken).ConfigureAwait(false);
        var current = await IdentityAsync(runtime, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var recorded = await store.GetStateAsync(runtime.Id, StateKey, cancellationToken).ConfigureAwait(false);
            try
            {
                await store.SetStateAsync(runtime.Id, StateKey, Write(current), recorded?.Version ?? 0, cancellationToken).ConfigureAwait(false);
                registry.Changed(runtime.Id);
                return (recorded is null ? null : Read(recorded.Value), current);
            }
            catch (StoreConcurrencyException)
            {
                // Changed between the read and the write: read again.
            }
        }
    }

    /// <summary>The database a runtime's credentials reach, from zone discovery (no credentials are sent).</summary>
    internal static async Task<AutotaskDatabaseIdentity> IdentityAsync(ConnectionRuntime runtime, CancellationToken cancellationToken)
    {
        var zone = await runtime.DiscoveredZoneAsync(cancellationToken).ConfigureAwait(false);
        if (zone.Ci is not { } ci || zone.Url is null)
        {
            throw new AutotaskConfigurationException(
                $"Autotask zone information for connection '{runtime.Id}' names no database (no 'ci'), so the connection cannot be bound to its database; nothing was read from or written to the store.",
                runtime.Id);
        }

        return new AutotaskDatabaseIdentity(ci, zone.Url);
    }

    private static string Write(AutotaskDatabaseIdentity identity) =>
        JsonSerializer.Serialize(new BindingState(identity.Ci, identity.Zone.ToString()), Json.AutotaskJsonContext.Default.BindingState);

    private static AutotaskDatabaseIdentity? Read(string value)
    {
        try
        {
            return JsonSerializer.Deserialize(value, Json.AutotaskJsonContext.Default.BindingState) is { Zone: { } zone } state &&
                   Uri.TryCreate(zone, UriKind.Absolute, out var uri)
                ? new AutotaskDatabaseIdentity(state.Ci, uri)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>The stored form of a binding.</summary>
internal sealed record BindingState(long Ci, string? Zone);
