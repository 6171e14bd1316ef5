using Autotask.Integration.Entities;
using Autotask.Integration.Metadata;
using Autotask.Integration.Querying;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Autotask.Integration;

/// <summary>
/// A client of one connection for code without a dependency-injection container (a script, an Azure Function, a
/// test), made in one statement, with the same zone checks, resilience and limits as one from
/// <c>AddAutotaskIntegration</c>. Dispose it when done.
/// </summary>
/// <example>
/// <code>
/// await using var client = StandaloneAutotaskClient.Create(o =&gt; o.AddConnection("contoso", c =&gt;
/// {
///     c.UserName = "abc123@example.com";
///     c.Secret = secretFromVault;
///     c.IntegrationCode = "ABCDEFGHIJKLMNOPQRSTUVWXYZA";
/// }));
/// var zone = await client.GetZoneAsync();
/// </code>
/// </example>
public sealed class StandaloneAutotaskClient : IAutotaskClient, IDisposable, IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly IAutotaskClient _client;

    private StandaloneAutotaskClient(ServiceProvider services, IAutotaskClient client)
    {
        _services = services;
        _client = client;
    }

    /// <summary>The services behind the client (the engines among them), for code that needs more than the client.</summary>
    public IServiceProvider Services => _services;

    /// <inheritdoc />
    public string ConnectionName => _client.ConnectionName;

    /// <summary>Makes a client of the one connection <paramref name="configure"/> adds.</summary>
    /// <param name="configure">Adds exactly one connection and sets options, as in <c>AddAutotaskIntegration</c>.</param>
    /// <param name="build">Configures more, such as a store or a test's message handler.</param>
    /// <returns>The client; dispose it when done.</returns>
    /// <exception cref="OptionsValidationException">The options are not valid; the message names each problem.</exception>
    /// <exception cref="AutotaskConfigurationException">Not exactly one connection was added.</exception>
    public static StandaloneAutotaskClient Create(Action<AutotaskIntegrationOptions> configure, Action<AutotaskIntegrationBuilder>? build = null)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var services = new ServiceCollection();
        var builder = services.AddAutotaskIntegration(configure);
        build?.Invoke(builder);
        var provider = services.BuildServiceProvider();
        try
        {
            // What a host checks at start-up, checked here.
            _ = provider.GetRequiredService<IOptions<AutotaskIntegrationOptions>>().Value;
            return new StandaloneAutotaskClient(provider, provider.GetRequiredService<IAutotaskClient>());
        }
        catch
        {
            provider.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<T> QueryAsync<T>(AutotaskQuery<T> query, CancellationToken cancellationToken = default) where T : AutotaskEntity, IQueryableEntity =>
        _client.QueryAsync(query, cancellationToken);

    /// <inheritdoc />
    public Task<long> CountAsync<T>(AutotaskQuery<T> query, CancellationToken cancellationToken = default) where T : AutotaskEntity, IQueryableEntity =>
        _client.CountAsync(query, cancellationToken);

    /// <inheritdoc />
    public Task<T?> GetAsync<T>(long id, CancellationToken cancellationToken = default) where T : AutotaskEntity, IQueryableEntity =>
        _client.GetAsync<T>(id, cancellationToken);

    /// <inheritdoc />
    public Task<long> CreateAsync<T>(T entity, CancellationToken cancellationToken = default) where T : AutotaskEntity, ICreatableEntity =>
        _client.CreateAsync(entity, cancellationToken);

    /// <inheritdoc />
    public Task<long> UpdateAsync<T>(EntityPatch<T> patch, CancellationToken cancellationToken = default) where T : AutotaskEntity, IUpdatableEntity =>
        _client.UpdateAsync(patch, cancellationToken);

    /// <inheritdoc />
    public Task<long> ReplaceAsync<T>(T entity, CancellationToken cancellationToken = default) where T : AutotaskEntity, IReplaceableEntity =>
        _client.ReplaceAsync(entity, cancellationToken);

    /// <inheritdoc />
    public Task DeleteAsync<T>(long id, long? parentId = null, CancellationToken cancellationToken = default) where T : AutotaskEntity, IDeletableEntity =>
        _client.DeleteAsync<T>(id, parentId, cancellationToken);

    /// <inheritdoc />
    public IAutotaskEntitySet EntitySet(string entityName) => _client.EntitySet(entityName);

    /// <inheritdoc />
    public Task<EntityInformation> GetEntityInformationAsync<T>(CancellationToken cancellationToken = default) where T : AutotaskEntity =>
        _client.GetEntityInformationAsync<T>(cancellationToken);

    /// <inheritdoc />
    public Task<EntityFieldDrift> GetFieldDriftAsync<T>(CancellationToken cancellationToken = default) where T : AutotaskEntity =>
        _client.GetFieldDriftAsync<T>(cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<EntityField>> GetFieldsAsync<T>(CancellationToken cancellationToken = default) where T : AutotaskEntity =>
        _client.GetFieldsAsync<T>(cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<EntityField>> GetUserDefinedFieldsAsync<T>(CancellationToken cancellationToken = default) where T : AutotaskEntity =>
        _client.GetUserDefinedFieldsAsync<T>(cancellationToken);

    /// <inheritdoc />
    public Task<Picklist> GetPicklistAsync<T>(string field, CancellationToken cancellationToken = default) where T : AutotaskEntity =>
        _client.GetPicklistAsync<T>(field, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<T> ReadAllAsync<T>(AutotaskQuery<T> query, AutotaskReadOptions? options = null, CancellationToken cancellationToken = default)
        where T : AutotaskEntity, IQueryableEntity => _client.ReadAllAsync(query, options, cancellationToken);

    /// <inheritdoc />
    public Task<ThresholdInformation> GetThresholdInformationAsync(CancellationToken cancellationToken = default) =>
        _client.GetThresholdInformationAsync(cancellationToken);

    /// <inheritdoc />
    public Task<ZoneInformation> GetZoneAsync(CancellationToken cancellationToken = default) => _client.GetZoneAsync(cancellationToken);

    /// <summary>Frees the client's connections, caches and limiters.</summary>
    public void Dispose() => _services.Dispose();

    /// <summary>Frees the client's connections, caches and limiters.</summary>
    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
