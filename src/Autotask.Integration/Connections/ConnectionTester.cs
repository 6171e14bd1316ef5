using Autotask.Integration.Auditing;
using Autotask.Integration.Diagnostics;
using Autotask.Integration.Entities;
using Autotask.Integration.Metadata;
using Autotask.Integration.Querying;

namespace Autotask.Integration.Connections;

/// <summary>What an integration needs to do with an entity.</summary>
public enum EntityAccess
{
    /// <summary>Query and read.</summary>
    Read,

    /// <summary>Create.</summary>
    Create,

    /// <summary>Update.</summary>
    Update,
}

/// <summary>One permission an integration needs, with the reason an administrator is shown when it is missing.</summary>
public sealed class PermissionRequirement
{
    private readonly Func<IAutotaskClient, CancellationToken, Task<bool>> _probe;

    private PermissionRequirement(string entity, EntityAccess access, string purpose, Func<IAutotaskClient, CancellationToken, Task<bool>> probe)
    {
        Entity = entity;
        Access = access;
        Purpose = purpose;
        _probe = probe;
    }

    /// <summary>The entity, such as <c>Contracts</c>.</summary>
    public string Entity { get; }

    /// <summary>The access needed.</summary>
    public EntityAccess Access { get; }

    /// <summary>What the integration needs it for, in an administrator's words.</summary>
    public string Purpose { get; }

    /// <summary>A requirement to read entities of type <typeparamref name="T"/>, probed with a one-record query.</summary>
    /// <typeparam name="T">The entity model.</typeparam>
    /// <param name="purpose">What it is needed for.</param>
    public static PermissionRequirement Read<T>(string purpose) where T : AutotaskEntity, IQueryableEntity =>
        new(Path<T>(), EntityAccess.Read, purpose, async (client, ct) =>
        {
            await foreach (var _ in client.QueryAsync(new AutotaskQuery<T>().Take(1), ct).ConfigureAwait(false))
            {
                break;
            }

            return true;
        });

    /// <summary>A requirement to create entities of type <typeparamref name="T"/>, probed through the entity's metadata (nothing is created).</summary>
    /// <typeparam name="T">The entity model.</typeparam>
    /// <param name="purpose">What it is needed for.</param>
    public static PermissionRequirement Create<T>(string purpose) where T : AutotaskEntity, ICreatableEntity =>
        new(Path<T>(), EntityAccess.Create, purpose, async (client, ct) => (await client.GetEntityInformationAsync<T>(ct).ConfigureAwait(false)).CanCreate);

    /// <summary>A requirement to update entities of type <typeparamref name="T"/>, probed through the entity's metadata.</summary>
    /// <typeparam name="T">The entity model.</typeparam>
    /// <param name="purpose">What it is needed for.</param>
    public static PermissionRequirement Update<T>(string purpose) where T : AutotaskEntity, IUpdatableEntity =>
        new(Path<T>(), EntityAccess.Update, purpose, async (client, ct) => (await client.GetEntityInformationAsync<T>(ct).ConfigureAwait(false)).CanUpdate);

    internal Task<bool> ProbeAsync(IAutotaskClient client, CancellationToken cancellationToken) => _probe(client, cancellationToken);

    private static string Path<T>() where T : AutotaskEntity => Entities.EntityDescriptor<T>.Instance.Path;
}

/// <summary>The permissions each integration shape needs.</summary>
public static class ConnectionRequirements
{
    /// <summary>Licence reseller and billing automation: map customers and subscriptions, and adjust units.</summary>
    public static IReadOnlyList<PermissionRequirement> SubscriptionSync { get; } =
    [
        PermissionRequirement.Read<Company>("find the customer companies to map"),
        PermissionRequirement.Read<Contract>("find the customers' recurring service contracts"),
        PermissionRequirement.Read<Service>("map offers to services"),
        PermissionRequirement.Read<ContractService>("map subscriptions to contract services"),
        PermissionRequirement.Read<ContractServiceUnit>("read the units a contract bills"),
        PermissionRequirement.Create<ContractService>("add a service to a contract when a subscription is bought"),
        PermissionRequirement.Create<ContractServiceAdjustment>("change the units a contract bills"),
    ];

    /// <summary>Backup service: usage billing plus alert tickets.</summary>
    public static IReadOnlyList<PermissionRequirement> AlertTickets { get; } =
    [
        PermissionRequirement.Read<Company>("find the customer companies to map"),
        PermissionRequirement.Read<Ticket>("find the open ticket of a repeated alert"),
        PermissionRequirement.Create<Ticket>("create alert tickets"),
        PermissionRequirement.Create<TicketNote>("add notes to the ticket of a repeated alert"),
    ];

    /// <summary>Channel platform: read customers and contracts.</summary>
    public static IReadOnlyList<PermissionRequirement> InboundSync { get; } =
    [
        PermissionRequirement.Read<Company>("read active customers"),
        PermissionRequirement.Read<Contact>("read customers' e-mail addresses"),
        PermissionRequirement.Read<Contract>("read customers' contracts"),
    ];
}

/// <summary>The outcome of one permission probe.</summary>
/// <param name="Entity">The entity.</param>
/// <param name="Access">The access.</param>
/// <param name="Purpose">What it is needed for.</param>
/// <param name="Granted">Whether the API user has it.</param>
/// <param name="Problem">What to do when it is missing, in an administrator's words.</param>
public sealed record PermissionCheck(string Entity, EntityAccess Access, string Purpose, bool Granted, string? Problem);

/// <summary>The outcome of a connection test.</summary>
public sealed record ConnectionTestResult
{
    /// <summary>The connection.</summary>
    public required string Connection { get; init; }

    /// <summary>Whether everything needed works.</summary>
    public bool Succeeded => Problems.Count == 0;

    /// <summary>The zone, when it resolved.</summary>
    public ZoneInformation? Zone { get; init; }

    /// <summary>Each permission probed.</summary>
    public IReadOnlyList<PermissionCheck> Checks { get; init; } = [];

    /// <summary>What is wrong, one sentence each, for an Autotask administrator.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];
}
/// <summary>Tests a connection ("Test and Save"): zone, login and every permission an integration needs, with problems in an administrator's words.</summary>
/// <remarks>Registered by <c>AddAutotaskIntegration</c>; fake it in your own unit tests.</remarks>
public interface IAutotaskConnectionTester
{
    /// <summary>Tests a connection.</summary>
    /// <param name="connection">The connection's name.</param>
    /// <param name="requirements">The permissions to probe; default <see cref="ConnectionRequirements.SubscriptionSync"/>.</param>
    /// <param name="cancellationToken">Cancels the test.</param>
    /// <exception cref="ArgumentException">A requirement is <c>null</c>; nothing was sent.</exception>
    Task<ConnectionTestResult> TestAsync(string connection, IEnumerable<PermissionRequirement>? requirements = null, CancellationToken cancellationToken = default);
}


/// <summary>
/// "Test and Save": checks that a connection works before it is saved: the zone resolves, an authenticated call
/// succeeds, and the API user has every permission the integration needs. The outcome is audited as
/// <see cref="AuditOperations.CreateConnectorConnection"/>.
/// </summary>
internal sealed class AutotaskConnectionTester : IAutotaskConnectionTester
{
    private readonly IAutotaskClientFactory _clients;
    private readonly AuditTrail _audit;
    private readonly TimeProvider _time;
    private readonly IEnumerable<IConnectionCheck> _checks;

    internal AutotaskConnectionTester(IAutotaskClientFactory clients, AuditTrail audit, TimeProvider time, IEnumerable<IConnectionCheck> checks)
    {
        _clients = clients;
        _audit = audit;
        _time = time;
        _checks = checks;
    }

    /// <inheritdoc />
    public Task<ConnectionTestResult> TestAsync(string connection, IEnumerable<PermissionRequirement>? requirements = null, CancellationToken cancellationToken = default) =>
        TestAsync(_clients.GetClient(connection), requirements, cancellationToken);

    /// <summary>Tests the connection of a client, registered or not.</summary>
    /// <exception cref="ArgumentException">A requirement is <c>null</c>; nothing was sent or audited.</exception>
    internal async Task<ConnectionTestResult> TestAsync(IAutotaskClient client, IEnumerable<PermissionRequirement>? requirements, CancellationToken cancellationToken)
    {
        var probes = requirements?.ToArray() ?? [.. ConnectionRequirements.SubscriptionSync];
        var hole = Array.FindIndex(probes, r => r is null);
        if (hole >= 0)
        {
            throw new ArgumentException($"The requirement at index {hole} is null; each requirement must be a permission to probe.", nameof(requirements));
        }

        var started = _time.GetCurrentInstant();
        var problems = new List<string>();
        var checks = new List<PermissionCheck>();
        ZoneInformation? zone = null;
        try
        {
            zone = await client.GetZoneAsync(cancellationToken).ConfigureAwait(false);
            await client.GetThresholdInformationAsync(cancellationToken).ConfigureAwait(false);
            foreach (var requirement in probes)
            {
                checks.Add(await ProbeAsync(client, requirement, cancellationToken).ConfigureAwait(false));
            }

            problems.AddRange(checks.Where(c => !c.Granted).Select(c => c.Problem!));
            foreach (var check in _checks)
            {
                problems.AddRange(await check.CheckAsync(client.ConnectionName, cancellationToken).ConfigureAwait(false));
            }
        }
        catch (AutotaskAuthenticationException ex)
        {
            problems.Add("Autotask refused the API user's credentials. Check the username, the secret and the integration code of the API " +
                         "tracking identifier, and that the security level may log in to the web services API. (" + ex.Message + ")");
        }
        catch (AutotaskUnsafeUrlException ex)
        {
            problems.Add("The zone of the API user could not be used: " + ex.Message);
        }
        catch (AutotaskRequestException ex)
        {
            problems.Add("Autotask could not be reached or answered with an error: " + ex.Message);
        }

        var result = new ConnectionTestResult { Connection = client.ConnectionName, Zone = zone, Checks = checks, Problems = problems };
        await _audit.WriteAsync(AuditOperations.CreateConnectorConnection, client.ConnectionName,
            result.Succeeded ? AuditStatus.Succeeded : AuditStatus.Failed, started,
            result.Succeeded ? $"Connection works in zone {zone?.ZoneName ?? zone?.Url?.Host}." : string.Join(" ", problems)).ConfigureAwait(false);
        return result;
    }

    private static async Task<PermissionCheck> ProbeAsync(IAutotaskClient client, PermissionRequirement requirement, CancellationToken cancellationToken)
    {
        var verb = requirement.Access switch
        {
            EntityAccess.Read => "read",
            EntityAccess.Create => "create",
            _ => "update",
        };
        var problem = $"The API user's security level does not allow it to {verb} {requirement.Entity}, which the integration needs to " +
                      $"{requirement.Purpose}. Grant it in Admin > Account Settings & Users > Security Levels.";
        try
        {
            var granted = await requirement.ProbeAsync(client, cancellationToken).ConfigureAwait(false);
            return new PermissionCheck(requirement.Entity, requirement.Access, requirement.Purpose, granted, granted ? null : problem);
        }
        catch (AutotaskPermissionException)
        {
            return new PermissionCheck(requirement.Entity, requirement.Access, requirement.Purpose, false, problem);
        }
    }
}
