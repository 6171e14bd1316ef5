using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Autotask.Integration.Connections;

/// <summary>
/// Keeps connections linked at run time in this process's memory: the default store, for tests, samples and
/// single-instance tools. Everything is lost when the process ends; use the SQLite or PostgreSQL store to keep them.
/// </summary>
public sealed class InMemoryConnectionStore : IAutotaskConnectionStore
{
    private readonly ConcurrentDictionary<string, AutotaskConnectionOptions> _connections = new(StringComparer.OrdinalIgnoreCase);

    /// <inheritdoc />
    public Task<AutotaskConnectionOptions?> FindAsync(string connectionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connectionId);
        return Task.FromResult(_connections.TryGetValue(connectionId, out var found) ? found.Clone() : null);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>(_connections.Keys.Order(StringComparer.OrdinalIgnoreCase).ToList());

    /// <inheritdoc />
    public Task AddAsync(string connectionId, AutotaskConnectionOptions settings, CancellationToken cancellationToken = default)
    {
        ConnectionIds.Validate(connectionId);
        ArgumentNullException.ThrowIfNull(settings);
        if (!_connections.TryAdd(connectionId, settings.Clone()))
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
            if (!_connections.TryGetValue(connectionId, out var current))
            {
                throw new AutotaskConnectionNotFoundException(connectionId);
            }

            if (_connections.TryUpdate(connectionId, settings.Clone(), current))
            {
                return Task.CompletedTask;
            }
        }
    }

    /// <inheritdoc />
    public Task<bool> RemoveAsync(string connectionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connectionId);
        return Task.FromResult(_connections.TryRemove(connectionId, out _));
    }
}

/// <summary>The connections of the <c>AddAutotaskIntegration</c> options: read at start-up, never written.</summary>
internal sealed class OptionsConnectionSource(IOptions<AutotaskIntegrationOptions> options) : IAutotaskConnectionSource
{
    public Task<AutotaskConnectionOptions?> FindAsync(string connectionId, CancellationToken cancellationToken = default) =>
        Task.FromResult(options.Value.Connections.TryGetValue(connectionId, out var found) ? found.Clone() : null);

    public Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>(options.Value.Connections.Keys.ToList());

    /// <summary>The configured spelling of an id, so that logs and metrics agree with the configuration.</summary>
    public string? Spelling(string connectionId) =>
        options.Value.Connections.Keys.FirstOrDefault(k => string.Equals(k, connectionId, StringComparison.OrdinalIgnoreCase));
}

/// <summary>The rules of a connection id: what every store accepts.</summary>
internal static class ConnectionIds
{
    public const int MaxLength = 200;

    public static void Validate(string connectionId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionId);
        if (connectionId.Length > MaxLength || connectionId.Trim().Length != connectionId.Length || connectionId.Any(char.IsControl))
        {
            throw new ArgumentException(
                $"A connection id has 1 to {MaxLength} characters, without control characters or surrounding spaces.", nameof(connectionId));
        }
    }
}
