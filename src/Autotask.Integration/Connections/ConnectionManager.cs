using System.Collections.Concurrent;
using Autotask.Integration.Auditing;
using Autotask.Integration.Diagnostics;
using Autotask.Integration.Metadata;

namespace Autotask.Integration.Connections;

/// <summary>
/// Links, changes and unlinks connections while the application runs, as a vendor portal's "PSA Integration" page does:
/// test the credentials a partner entered, save them, rotate the secret later, unlink. Every step is audited.
/// </summary>
/// <remarks>
/// Connections are saved in the <see cref="IAutotaskConnectionStore"/> (in memory unless a durable store is chosen,
/// such as <c>UseSqliteStore</c>). Connections configured in the <c>AddAutotaskIntegration</c> options are read-only here.
/// Registered by <c>AddAutotaskIntegration</c>; fake it in your own unit tests.
/// </remarks>
public interface IAutotaskConnectionManager
{
    /// <summary>Tests credentials that are not saved yet: zone, login and every permission the integration needs. Nothing is saved.</summary>
    /// <param name="connectionId">The id the connection would get.</param>
    /// <param name="settings">The credentials and settings to test.</param>
    /// <param name="requirements">The permissions to probe; default <see cref="ConnectionRequirements.SubscriptionSync"/>.</param>
    /// <param name="cancellationToken">Cancels the test.</param>
    /// <returns>The outcome, with problems in an administrator's words; audited as <see cref="AuditOperations.CreateConnectorConnection"/>.</returns>
    /// <exception cref="AutotaskConnectionSettingsException">The settings cannot work (nothing was sent).</exception>
    /// <exception cref="ArgumentException">A requirement is <c>null</c>; nothing was sent.</exception>
    Task<ConnectionTestResult> TestAsync(string connectionId, AutotaskConnectionOptions settings, IEnumerable<PermissionRequirement>? requirements = null, CancellationToken cancellationToken = default);

    /// <summary>"Test and Save": tests the credentials and, only when everything works, saves the connection and binds it to its Autotask database.</summary>
    /// <param name="connectionId">The new connection's id.</param>
    /// <param name="settings">Its credentials and settings.</param>
    /// <param name="requirements">The permissions to probe; default <see cref="ConnectionRequirements.SubscriptionSync"/>.</param>
    /// <param name="cancellationToken">Cancels the test and the save.</param>
    /// <returns>The successful test's outcome.</returns>
    /// <exception cref="AutotaskConnectionSettingsException">The settings cannot work; nothing was sent or saved.</exception>
    /// <exception cref="ArgumentException">The id is outside <see cref="AutotaskConnectionIds"/> (the message names the problem); nothing was sent or saved.</exception>
    /// <exception cref="AutotaskConnectionExistsException">A connection has the id already, in this spelling or another (<see cref="AutotaskConnectionIds.Comparer"/>), or it was linked meanwhile by a concurrent call; nothing was saved.</exception>
    /// <exception cref="AutotaskConnectionTestFailedException">The test found problems (listed in it); nothing was saved.</exception>
    /// <exception cref="AutotaskDatabaseMismatchException">The id was bound to another database before (its mappings remain); nothing was saved.</exception>
    /// <exception cref="ArgumentException">A requirement is <c>null</c>; nothing was sent or saved.</exception>
    Task<ConnectionTestResult> LinkAsync(string connectionId, AutotaskConnectionOptions settings, IEnumerable<PermissionRequirement>? requirements = null, CancellationToken cancellationToken = default);

    /// <summary>Saves a connection without testing it, audited as untested. It is bound to its database on its first store-backed operation.</summary>
    /// <param name="connectionId">The new connection's id.</param>
    /// <param name="settings">Its credentials and settings.</param>
    /// <param name="cancellationToken">Cancels the save.</param>
    /// <exception cref="AutotaskConnectionSettingsException">The settings cannot work; nothing was saved.</exception>
    /// <exception cref="ArgumentException">The id is outside <see cref="AutotaskConnectionIds"/>; nothing was saved.</exception>
    /// <exception cref="AutotaskConnectionExistsException">A connection has the id already, in this spelling or another; nothing was saved.</exception>
    Task SaveUntestedAsync(string connectionId, AutotaskConnectionOptions settings, CancellationToken cancellationToken = default);

    /// <summary>
    /// Changes a saved connection, such as rotating its secret: the changed settings are tested and saved only when they
    /// work and still reach the connection's database. The next request of the connection uses them; requests in
    /// flight finish with the old ones.
    /// </summary>
    /// <param name="connectionId">The connection's id.</param>
    /// <param name="change">Changes a copy of the current settings.</param>
    /// <param name="requirements">The permissions to probe; default <see cref="ConnectionRequirements.SubscriptionSync"/>.</param>
    /// <param name="cancellationToken">Cancels the test and the save.</param>
    /// <returns>The successful test's outcome.</returns>
    /// <exception cref="AutotaskConnectionNotFoundException">No saved connection has the id.</exception>
    /// <exception cref="AutotaskConfigurationException">The connection is configured in the options, not saved at run time.</exception>
    /// <exception cref="AutotaskConnectionSettingsException">The changed settings cannot work; nothing was saved.</exception>
    /// <exception cref="AutotaskConnectionTestFailedException">The changed settings failed the test (a wrong secret); the old ones stay.</exception>
    /// <exception cref="AutotaskDatabaseMismatchException">The changed credentials reach another database; the old ones stay.</exception>
    /// <exception cref="ArgumentException">A requirement is <c>null</c>; nothing was sent, and the old settings stay.</exception>
    Task<ConnectionTestResult> UpdateAsync(string connectionId, Action<AutotaskConnectionOptions> change, IEnumerable<PermissionRequirement>? requirements = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes (unlinks) a saved connection: requests in flight finish, new ones are refused with
    /// <see cref="AutotaskConnectionNotFoundException"/>, and its caches and limiters are freed. Its mappings and ledger
    /// stay in the mapping store, bound to its database.
    /// </summary>
    /// <param name="connectionId">The connection's id.</param>
    /// <param name="cancellationToken">Cancels the removal.</param>
    /// <exception cref="AutotaskConnectionNotFoundException">No saved connection has the id.</exception>
    /// <exception cref="AutotaskConfigurationException">The connection is configured in the options, not saved at run time.</exception>
    Task RemoveAsync(string connectionId, CancellationToken cancellationToken = default);

    /// <summary>The Autotask database the connection's mappings are bound to, or <c>null</c> before its first contact.</summary>
    /// <param name="connectionId">The connection's id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    Task<AutotaskDatabaseIdentity?> GetDatabaseAsync(string connectionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Binds the connection on purpose to the database its credentials reach now, after a partner moved to another
    /// Autotask database. Its existing mappings were made against the old database: remove them and map again.
    /// Audited as <see cref="AuditOperations.RebindConnectorConnection"/>.
    /// </summary>
    /// <param name="connectionId">The connection's id.</param>
    /// <param name="cancellationToken">Cancels the re-bind.</param>
    /// <returns>The database the connection is bound to now.</returns>
    Task<AutotaskDatabaseIdentity> RebindAsync(string connectionId, CancellationToken cancellationToken = default);
}

internal sealed class AutotaskConnectionManager : IAutotaskConnectionManager
{
    private readonly IAutotaskConnectionStore _store;
    private readonly ConnectionRegistry _registry;
    private readonly AutotaskClientFactory _clients;
    private readonly AutotaskConnectionTester _tester;
    private readonly DatabaseBinding _binding;
    private readonly AuditTrail _audit;
    private readonly TimeProvider _time;

    // The changes in progress in this process, by key: a second change of one id waits for the first, then sees its outcome.
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _changing = new(StringComparer.Ordinal);

    internal AutotaskConnectionManager(
        IAutotaskConnectionStore store, ConnectionRegistry registry, AutotaskClientFactory clients, AutotaskConnectionTester tester,
        DatabaseBinding binding, AuditTrail audit, TimeProvider time)
    {
        _store = store;
        _registry = registry;
        _clients = clients;
        _tester = tester;
        _binding = binding;
        _audit = audit;
        _time = time;
    }

    public async Task<ConnectionTestResult> TestAsync(string connectionId, AutotaskConnectionOptions settings, IEnumerable<PermissionRequirement>? requirements = null, CancellationToken cancellationToken = default)
    {
        var candidate = Checked(connectionId, settings);
        using var runtime = _clients.CreateRuntime(connectionId, candidate);
        return await _tester.TestAsync(_clients.GetClient(runtime), requirements, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ConnectionTestResult> LinkAsync(string connectionId, AutotaskConnectionOptions settings, IEnumerable<PermissionRequirement>? requirements = null, CancellationToken cancellationToken = default)
    {
        var candidate = Checked(connectionId, settings);
        using var turn = await TurnAsync(connectionId, cancellationToken).ConfigureAwait(false);
        await RefuseExistingAsync(connectionId, cancellationToken).ConfigureAwait(false);
        var (result, database) = await TestAndIdentifyAsync(connectionId, candidate, requirements, cancellationToken).ConfigureAwait(false);
        var started = _time.GetCurrentInstant();
        await AddAsync(connectionId, candidate, started, cancellationToken).ConfigureAwait(false);
        await _binding.EnsureAsync(connectionId, cancellationToken).ConfigureAwait(false);
        await _audit.WriteAsync(AuditOperations.CreateConnectorConnection, connectionId, AuditStatus.Succeeded, started,
            $"Saved after a successful test; bound to {database}.").ConfigureAwait(false);
        return result;
    }

    public async Task SaveUntestedAsync(string connectionId, AutotaskConnectionOptions settings, CancellationToken cancellationToken = default)
    {
        var candidate = Checked(connectionId, settings);
        using var turn = await TurnAsync(connectionId, cancellationToken).ConfigureAwait(false);
        await RefuseExistingAsync(connectionId, cancellationToken).ConfigureAwait(false);
        var started = _time.GetCurrentInstant();
        await AddAsync(connectionId, candidate, started, cancellationToken).ConfigureAwait(false);
        await _audit.WriteAsync(AuditOperations.CreateConnectorConnection, connectionId, AuditStatus.Succeeded, started,
            "Saved without a test (untested): the credentials and permissions were not checked.").ConfigureAwait(false);
    }

    public async Task<ConnectionTestResult> UpdateAsync(string connectionId, Action<AutotaskConnectionOptions> change, IEnumerable<PermissionRequirement>? requirements = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        AutotaskConnectionIds.Validate(connectionId);
        using var turn = await TurnAsync(connectionId, cancellationToken).ConfigureAwait(false);
        var current = await SavedAsync(connectionId, cancellationToken).ConfigureAwait(false);
        change(current);
        var candidate = Checked(connectionId, current);
        var (result, database) = await TestAndIdentifyAsync(connectionId, candidate, requirements, cancellationToken).ConfigureAwait(false);
        var started = _time.GetCurrentInstant();
        await _store.UpdateAsync(connectionId, candidate, cancellationToken).ConfigureAwait(false);
        _registry.Changed(connectionId);
        await _audit.WriteAsync(AuditOperations.UpdateConnectorConnection, connectionId, AuditStatus.Succeeded, started,
            $"Settings changed after a successful test; still {database}.").ConfigureAwait(false);
        return result;
    }

    public async Task RemoveAsync(string connectionId, CancellationToken cancellationToken = default)
    {
        AutotaskConnectionIds.Validate(connectionId);
        using var turn = await TurnAsync(connectionId, cancellationToken).ConfigureAwait(false);
        await SavedAsync(connectionId, cancellationToken).ConfigureAwait(false);
        var started = _time.GetCurrentInstant();
        if (!await _store.RemoveAsync(connectionId, cancellationToken).ConfigureAwait(false))
        {
            throw new AutotaskConnectionNotFoundException(connectionId);
        }

        _registry.Removed(connectionId);
        await _audit.WriteAsync(AuditOperations.DeleteConnectorConnection, connectionId, AuditStatus.Succeeded, started,
            "Unlinked: new requests are refused; mappings and ledger are kept.").ConfigureAwait(false);
    }

    public Task<AutotaskDatabaseIdentity?> GetDatabaseAsync(string connectionId, CancellationToken cancellationToken = default)
    {
        AutotaskConnectionIds.Validate(connectionId);
        return _binding.GetAsync(connectionId, cancellationToken);
    }

    public async Task<AutotaskDatabaseIdentity> RebindAsync(string connectionId, CancellationToken cancellationToken = default)
    {
        AutotaskConnectionIds.Validate(connectionId);
        var started = _time.GetCurrentInstant();
        var (before, after) = await _binding.RebindAsync(connectionId, cancellationToken).ConfigureAwait(false);
        await _audit.WriteAsync(AuditOperations.RebindConnectorConnection, connectionId, AuditStatus.Succeeded, started,
            $"Bound to {after} (was {(before is null ? "unbound" : before.ToString())}). Mappings made against the old database must be made again.").ConfigureAwait(false);
        return after;
    }

    /// <summary>
    /// Waits until no other change of the id (in any spelling) is in progress in this process, and takes the turn:
    /// of two links of one id at once, the second waits and is refused as existing, before it tests anything.
    /// </summary>
    private async Task<IDisposable> TurnAsync(string connectionId, CancellationToken cancellationToken)
    {
        var key = AutotaskConnectionIds.Normalize(connectionId);
        while (true)
        {
            var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var held = _changing.GetOrAdd(key, mine);
            if (ReferenceEquals(held, mine))
            {
                return new Turn(this, key, mine);
            }

            await held.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class Turn(AutotaskConnectionManager manager, string key, TaskCompletionSource held) : IDisposable
    {
        public void Dispose()
        {
            manager._changing.TryRemove(new KeyValuePair<string, TaskCompletionSource>(key, held));
            held.TrySetResult();
        }
    }

    /// <summary>Refuses an id that a source holds already, in this spelling or another (<see cref="AutotaskConnectionIds"/>).</summary>
    private async Task RefuseExistingAsync(string connectionId, CancellationToken cancellationToken)
    {
        if (await _registry.FindAsync(connectionId, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new AutotaskConnectionExistsException(connectionId);
        }
    }

    /// <summary>
    /// Saves a new connection. Another instance may have saved the id since it was checked: the store refuses it, and
    /// the refusal is audited, so that the trail shows this attempt saved nothing.
    /// </summary>
    private async Task AddAsync(string connectionId, AutotaskConnectionOptions candidate, NodaTime.Instant started, CancellationToken cancellationToken)
    {
        try
        {
            await _store.AddAsync(connectionId, candidate, cancellationToken).ConfigureAwait(false);
        }
        catch (AutotaskConnectionExistsException)
        {
            await _audit.WriteAsync(AuditOperations.CreateConnectorConnection, connectionId, AuditStatus.Failed, started,
                "Not saved: a connection with this id was saved meanwhile (by another instance).").ConfigureAwait(false);
            throw;
        }

        _registry.Added(connectionId);
    }

    /// <summary>Tests settings, then checks that their database is the one the id is bound to (if any), before anything is saved.</summary>
    private async Task<(ConnectionTestResult Result, AutotaskDatabaseIdentity Database)> TestAndIdentifyAsync(
        string connectionId, AutotaskConnectionOptions candidate, IEnumerable<PermissionRequirement>? requirements, CancellationToken cancellationToken)
    {
        using var runtime = _clients.CreateRuntime(connectionId, candidate);
        var result = await _tester.TestAsync(_clients.GetClient(runtime), requirements, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new AutotaskConnectionTestFailedException(result);
        }

        var database = await DatabaseBinding.IdentityAsync(runtime, cancellationToken).ConfigureAwait(false);
        if (await _binding.GetAsync(connectionId, cancellationToken).ConfigureAwait(false) is { } bound && bound != database)
        {
            throw new AutotaskDatabaseMismatchException(connectionId, bound, database);
        }

        return (result, database);
    }

    /// <summary>A copy of a connection's saved settings; refused for connections of the options.</summary>
    private async Task<AutotaskConnectionOptions> SavedAsync(string connectionId, CancellationToken cancellationToken)
    {
        AutotaskConnectionIds.Validate(connectionId);
        if (await _registry.IsConfiguredAsync(connectionId, _store, cancellationToken).ConfigureAwait(false))
        {
            throw new AutotaskConfigurationException(
                $"Autotask connection '{connectionId}' is configured in the application's options, not saved at run time; change it in the configuration.", connectionId);
        }

        return await _store.FindAsync(connectionId, cancellationToken).ConfigureAwait(false) ?? throw new AutotaskConnectionNotFoundException(connectionId);
    }

    /// <summary>A private copy of the settings, refused with every problem named when they cannot work.</summary>
    private AutotaskConnectionOptions Checked(string connectionId, AutotaskConnectionOptions settings)
    {
        AutotaskConnectionIds.Validate(connectionId);
        ArgumentNullException.ThrowIfNull(settings);
        var copy = settings.Clone();
        var problems = AutotaskIntegrationOptionsValidator.ValidateConnection(connectionId, copy, _clients.ZonePolicy);
        if (problems.Count > 0)
        {
            throw new AutotaskConnectionSettingsException(connectionId, problems);
        }

        return copy;
    }
}
