using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Autotask.Integration.Connections;

/// <summary>
/// Keeps connections linked at run time in this process's memory: the default store, for tests, samples and
/// single-instance tools. Everything is lost when the process ends; use the SQLite or PostgreSQL store to keep them.
/// </summary>
public sealed class InMemoryConnectionStore : IAutotaskConnectionStore
{
    // Keyed by the id's key (AutotaskConnectionIds.Normalize), holding the spelling it was added with.
    private readonly ConcurrentDictionary<string, (string Id, AutotaskConnectionOptions Settings)> _connections = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public Task<AutotaskConnectionOptions?> FindAsync(string connectionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connectionId);
        return Task.FromResult(AutotaskConnectionIds.FindProblem(connectionId) is null && _connections.TryGetValue(AutotaskConnectionIds.Normalize(connectionId), out var found)
            ? found.Settings.Clone()
            : null);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>(_connections.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value.Id).ToList());

    /// <inheritdoc />
    public Task AddAsync(string connectionId, AutotaskConnectionOptions settings, CancellationToken cancellationToken = default)
    {
        var key = AutotaskConnectionIds.Normalize(connectionId);
        ArgumentNullException.ThrowIfNull(settings);
        if (!_connections.TryAdd(key, (connectionId, settings.Clone())))
        {
            throw new AutotaskConnectionExistsException(connectionId);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task UpdateAsync(string connectionId, AutotaskConnectionOptions settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connectionId);
        ArgumentNullException.ThrowIfNull(settings);
        while (true)
        {
            if (AutotaskConnectionIds.FindProblem(connectionId) is not null || !_connections.TryGetValue(AutotaskConnectionIds.Normalize(connectionId), out var current))
            {
                throw new AutotaskConnectionNotFoundException(connectionId);
            }

            if (_connections.TryUpdate(AutotaskConnectionIds.Normalize(connectionId), (current.Id, settings.Clone()), current))
            {
                return Task.CompletedTask;
            }
        }
    }

    /// <inheritdoc />
    public Task<bool> RemoveAsync(string connectionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connectionId);
        return Task.FromResult(AutotaskConnectionIds.FindProblem(connectionId) is null && _connections.TryRemove(AutotaskConnectionIds.Normalize(connectionId), out _));
    }
}

/// <summary>
/// The connections of the <c>AddAutotaskIntegration</c> options: read at start-up, never written. The options are
/// validated at start-up, so their ids follow <see cref="AutotaskConnectionIds"/> and no two are one.
/// </summary>
internal sealed class OptionsConnectionSource(IOptions<AutotaskIntegrationOptions> options) : IAutotaskConnectionSource
{
    public Task<AutotaskConnectionOptions?> FindAsync(string connectionId, CancellationToken cancellationToken = default) =>
        Task.FromResult(Spelling(connectionId) is { } id ? options.Value.Connections[id].Clone() : null);

    public Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>(options.Value.Connections.Keys.ToList());

    /// <summary>The configured spelling of an id, so that logs and metrics agree with the configuration; <c>null</c> when it is not configured.</summary>
    public string? Spelling(string connectionId) =>
        AutotaskConnectionIds.FindProblem(connectionId) is null
            ? options.Value.Connections.Keys.FirstOrDefault(k => AutotaskConnectionIds.Comparer.Equals(k, connectionId))
            : null;
}
