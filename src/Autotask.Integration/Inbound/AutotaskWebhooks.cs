using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Autotask.Integration.Auditing;
using Autotask.Integration.Connections;
using Autotask.Integration.Querying;

namespace Autotask.Integration.Inbound;

/// <summary>The entities whose changes an Autotask webhook can call out.</summary>
public enum AutotaskWebhookEntity
{
    /// <summary>Companies (<c>CompanyWebhooks</c>).</summary>
    Company,

    /// <summary>Contacts (<c>ContactWebhooks</c>).</summary>
    Contact,

    /// <summary>Configuration items (<c>ConfigurationItemWebhooks</c>).</summary>
    ConfigurationItem,

    /// <summary>Tickets (<c>TicketWebhooks</c>).</summary>
    Ticket,
}

/// <summary>A webhook to register for a connection: what it calls out, and where.</summary>
public sealed record AutotaskWebhookDefinition
{
    /// <summary>The entity whose changes are called out.</summary>
    public required AutotaskWebhookEntity Entity { get; init; }

    /// <summary>The vendor's receiver (HTTPS): the webhook is found again by this URL, so registering twice changes the one webhook.</summary>
    public required Uri ReceiverUrl { get; init; }

    /// <summary>Where Autotask calls when it deactivates the webhook (HTTPS), if anywhere.</summary>
    public Uri? DeactivationUrl { get; init; }

    /// <summary>The name administrators see in Autotask; at most 50 characters. Default: <c>Autotask.Integration {Entity}</c>.</summary>
    public string? Name { get; init; }

    /// <summary>The fields whose changes trigger a callout, as Autotask names them (such as <c>status</c>); empty for any change.</summary>
    public IReadOnlyList<string> SubscribedFields { get; init; } = [];

    /// <summary>Fields sent with every callout whether or not they changed (such as <c>companyID</c>).</summary>
    public IReadOnlyList<string> AlwaysDisplayedFields { get; init; } = [];

    /// <summary>Resources whose changes do not call out (typically the integration's own API user, so its writes do not echo back).</summary>
    public IReadOnlyList<long> ExcludedResourceIds { get; init; } = [];

    /// <summary>Whether creating an entity calls out. Default: <c>true</c>.</summary>
    public bool OnCreate { get; init; } = true;

    /// <summary>Whether updating an entity calls out. Default: <c>true</c>.</summary>
    public bool OnUpdate { get; init; } = true;

    /// <summary>Whether deleting an entity calls out. Default: <c>false</c>.</summary>
    public bool OnDelete { get; init; }

    /// <summary>Who Autotask e-mails when the webhook fails or is deactivated, if anyone.</summary>
    public string? NotificationEmailAddress { get; init; }
}

/// <summary>A webhook registered in Autotask.</summary>
/// <param name="Id">The webhook's id.</param>
/// <param name="Entity">The entity it calls out for.</param>
/// <param name="Name">Its name.</param>
/// <param name="ReceiverUrl">Where it calls.</param>
/// <param name="IsActive">Whether it is active.</param>
/// <param name="SubscribedFields">The fields whose changes trigger it, by name (empty for any change).</param>
public sealed record AutotaskWebhook(long Id, AutotaskWebhookEntity Entity, string? Name, Uri? ReceiverUrl, bool IsActive, IReadOnlyList<string> SubscribedFields);

/// <summary>
/// Registers, lists and deletes the Autotask webhooks of a connection from code. Callouts are signed with the
/// connection's <see cref="AutotaskConnectionOptions.WebhookSecretKey"/>, which <see cref="IAutotaskWebhookReceiver"/>
/// verifies; a connection linked at run time without one gets a generated key, saved with it.
/// </summary>
public interface IAutotaskWebhooks
{
    /// <summary>
    /// Creates the webhook, or brings the one already at <see cref="AutotaskWebhookDefinition.ReceiverUrl"/> to the
    /// definition (events, secret, subscribed and always-displayed fields, excluded resources): registering twice
    /// leaves one webhook. Written to the audit trail.
    /// </summary>
    /// <param name="connectionId">The connection.</param>
    /// <param name="definition">The webhook.</param>
    /// <param name="cancellationToken">Cancels the registration; what was written stays, and registering again completes it.</param>
    /// <exception cref="ArgumentException">The URL is not HTTPS, the name is too long, or a field is not one of the entity's.</exception>
    /// <exception cref="AutotaskConfigurationException">The connection has no secret key and is configured rather than stored, so none can be saved.</exception>
    Task<AutotaskWebhook> RegisterAsync(string connectionId, AutotaskWebhookDefinition definition, CancellationToken cancellationToken = default);

    /// <summary>Lists the connection's webhooks for an entity.</summary>
    /// <param name="connectionId">The connection.</param>
    /// <param name="entity">The entity.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    Task<IReadOnlyList<AutotaskWebhook>> ListAsync(string connectionId, AutotaskWebhookEntity entity, CancellationToken cancellationToken = default);

    /// <summary>Deletes a webhook; <c>false</c> when there was none with that id. Written to the audit trail.</summary>
    /// <param name="connectionId">The connection.</param>
    /// <param name="entity">The entity it calls out for.</param>
    /// <param name="webhookId">The webhook's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    Task<bool> DeleteAsync(string connectionId, AutotaskWebhookEntity entity, long webhookId, CancellationToken cancellationToken = default);
}

/// <summary>Webhooks through the entity sets of <c>{Kind}Webhooks</c>, their <c>Fields</c> and <c>ExcludedResources</c>.</summary>
internal sealed class AutotaskWebhooks(
    IAutotaskClientFactory clients, DatabaseBinding binding, IAutotaskConnectionStore store, ConnectionRegistry registry, AuditTrail audit)
    : IAutotaskWebhooks
{
    private const string SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public async Task<AutotaskWebhook> RegisterAsync(string connectionId, AutotaskWebhookDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionId);
        ArgumentNullException.ThrowIfNull(definition);
        RequireHttps(definition.ReceiverUrl, nameof(definition));
        if (definition.DeactivationUrl is { } deactivation)
        {
            RequireHttps(deactivation, nameof(definition));
        }

        var name = definition.Name ?? $"Autotask.Integration {definition.Entity}";
        if (name.Length is 0 or > 50)
        {
            throw new ArgumentException($"A webhook's name has 1 to 50 characters; '{name}' has {name.Length}.", nameof(definition));
        }

        var started = audit.Now;
        var client = clients.GetClient(connectionId);
        var kind = definition.Entity.ToString();
        var fieldIds = await FieldIdsAsync(client, kind, definition.SubscribedFields.Concat(definition.AlwaysDisplayedFields), cancellationToken).ConfigureAwait(false);
        var secret = await SecretAsync(connectionId, cancellationToken).ConfigureAwait(false);

        var webhooks = client.EntitySet(kind + "Webhooks");
        var record = new JsonObject
        {
            ["name"] = name,
            ["webhookUrl"] = definition.ReceiverUrl.ToString(),
            ["deactivationUrl"] = definition.DeactivationUrl?.ToString(),
            ["secretKey"] = secret,
            ["isActive"] = true,
            ["isSubscribedToCreateEvents"] = definition.OnCreate,
            ["isSubscribedToUpdateEvents"] = definition.OnUpdate,
            ["isSubscribedToDeleteEvents"] = definition.OnDelete,
            ["sendThresholdExceededNotification"] = true,
            ["notificationEmailAddress"] = definition.NotificationEmailAddress,
        };
        var existing = await FindAsync(webhooks, definition.ReceiverUrl, cancellationToken).ConfigureAwait(false);
        long id;
        if (existing is null)
        {
            id = await webhooks.CreateAsync(record, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else
        {
            id = IdOf(existing);
            await webhooks.UpdateAsync(id, record, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        // Fields and excluded resources are brought to the definition: missing ones added, others removed.
        var fields = client.EntitySet(kind + "WebhookFields");
        var wanted = definition.SubscribedFields.Select(f => (Id: fieldIds[f], Subscribed: true))
            .Concat(definition.AlwaysDisplayedFields.Where(f => !definition.SubscribedFields.Contains(f, StringComparer.OrdinalIgnoreCase)).Select(f => (Id: fieldIds[f], Subscribed: false)))
            .ToDictionary(f => f.Id, f => f.Subscribed);
        foreach (var field in await ChildrenAsync(fields, id, cancellationToken).ConfigureAwait(false))
        {
            var fieldId = Number(field["fieldID"]);
            if (!wanted.Remove(fieldId))
            {
                await fields.DeleteAsync(IdOf(field), id, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var (fieldId, subscribed) in wanted)
        {
            await fields.CreateAsync(new JsonObject
            {
                ["webhookID"] = id,
                ["fieldID"] = fieldId,
                ["isSubscribedField"] = subscribed,
                ["isDisplayAlwaysField"] = definition.AlwaysDisplayedFields.Any(f => fieldIds[f] == fieldId),
            }, id, cancellationToken).ConfigureAwait(false);
        }

        var excluded = client.EntitySet(kind + "WebhookExcludedResources");
        var resources = definition.ExcludedResourceIds.ToHashSet();
        foreach (var resource in await ChildrenAsync(excluded, id, cancellationToken).ConfigureAwait(false))
        {
            if (!resources.Remove(Number(resource["resourceID"])))
            {
                await excluded.DeleteAsync(IdOf(resource), id, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var resource in resources)
        {
            await excluded.CreateAsync(new JsonObject { ["webhookID"] = id, ["resourceID"] = resource }, id, cancellationToken).ConfigureAwait(false);
        }

        await audit.WriteAsync(AuditOperations.RegisterWebhook, connectionId, AuditStatus.Succeeded, started,
            $"{kind} webhook {id} {(existing is null ? "created" : "brought up to date")}: {definition.SubscribedFields.Count} subscribed fields, {definition.ExcludedResourceIds.Count} excluded resources.").ConfigureAwait(false);
        return new AutotaskWebhook(id, definition.Entity, name, definition.ReceiverUrl, true, definition.SubscribedFields.ToArray());
    }

    public async Task<IReadOnlyList<AutotaskWebhook>> ListAsync(string connectionId, AutotaskWebhookEntity entity, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionId);
        var client = clients.GetClient(connectionId);
        var kind = entity.ToString();
        var names = (await client.EntitySet(kind + "WebhookFields").GetFieldsAsync(cancellationToken).ConfigureAwait(false))
            .FirstOrDefault(f => f.Name.Equals("fieldID", StringComparison.OrdinalIgnoreCase))?.PicklistValues?
            .ToDictionary(v => v.Value, v => v.Label) ?? [];
        var fields = client.EntitySet(kind + "WebhookFields");
        var list = new List<AutotaskWebhook>();
        await foreach (var webhook in client.EntitySet(kind + "Webhooks").QueryAsync([], cancellationToken).ConfigureAwait(false))
        {
            var id = IdOf(webhook);
            var subscribed = (await ChildrenAsync(fields, id, cancellationToken).ConfigureAwait(false))
                .Where(f => f["isSubscribedField"] is JsonValue s && s.GetValueKind() == System.Text.Json.JsonValueKind.True)
                .Select(f => names.GetValueOrDefault(Number(f["fieldID"]).ToString(CultureInfo.InvariantCulture), Number(f["fieldID"]).ToString(CultureInfo.InvariantCulture)))
                .ToArray();
            list.Add(new AutotaskWebhook(id, entity, (string?)webhook["name"],
                Uri.TryCreate((string?)webhook["webhookUrl"], UriKind.Absolute, out var url) ? url : null,
                webhook["isActive"] is JsonValue active && active.GetValueKind() == System.Text.Json.JsonValueKind.True, subscribed));
        }

        return list;
    }

    public async Task<bool> DeleteAsync(string connectionId, AutotaskWebhookEntity entity, long webhookId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionId);
        ArgumentOutOfRangeException.ThrowIfLessThan(webhookId, 1);
        var started = audit.Now;
        var webhooks = clients.GetClient(connectionId).EntitySet(entity + "Webhooks");
        if (await webhooks.GetAsync(webhookId, cancellationToken).ConfigureAwait(false) is null)
        {
            return false;
        }

        await webhooks.DeleteAsync(webhookId, cancellationToken: cancellationToken).ConfigureAwait(false);
        await audit.WriteAsync(AuditOperations.DeleteWebhook, connectionId, AuditStatus.Succeeded, started,
            $"{entity} webhook {webhookId} deleted.").ConfigureAwait(false);
        return true;
    }

    /// <summary>The connection's secret key; a stored connection without one gets a generated key, saved with it.</summary>
    private async Task<string> SecretAsync(string connectionId, CancellationToken cancellationToken)
    {
        var settings = await binding.SettingsAsync(connectionId, cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(settings.WebhookSecretKey))
        {
            return settings.WebhookSecretKey;
        }

        var saved = await store.FindAsync(connectionId, cancellationToken).ConfigureAwait(false)
            ?? throw new AutotaskConfigurationException(
                $"The Autotask connection '{connectionId}' has no webhook secret key, and it is configured rather than linked at run time, so none can be saved: set its WebhookSecretKey.", connectionId);
        saved.WebhookSecretKey = RandomNumberGenerator.GetString(SecretAlphabet, 64);
        await store.UpdateAsync(connectionId, saved, cancellationToken).ConfigureAwait(false);
        registry.Changed(connectionId);
        return saved.WebhookSecretKey;
    }

    /// <summary>The ids of fields by name, from the fieldID picklist of the webhook's fields entity.</summary>
    private static async Task<Dictionary<string, long>> FieldIdsAsync(IAutotaskClient client, string kind, IEnumerable<string> wanted, CancellationToken cancellationToken)
    {
        var names = wanted.Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        var ids = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        if (names.Length == 0)
        {
            return ids;
        }

        var picklist = (await client.EntitySet(kind + "WebhookFields").GetFieldsAsync(cancellationToken).ConfigureAwait(false))
            .FirstOrDefault(f => f.Name.Equals("fieldID", StringComparison.OrdinalIgnoreCase))?.PicklistValues ?? [];
        foreach (var name in names)
        {
            var value = picklist.FirstOrDefault(v => v.IsActive && v.Label.Equals(name, StringComparison.OrdinalIgnoreCase))
                ?? throw new ArgumentException($"{kind} webhooks cannot subscribe to '{name}': it is not one of the fields Autotask offers them.", nameof(wanted));
            ids[name] = long.Parse(value.Value, CultureInfo.InvariantCulture);
        }

        return ids;
    }

    private static async Task<JsonObject?> FindAsync(IAutotaskEntitySet webhooks, Uri url, CancellationToken cancellationToken)
    {
        await foreach (var webhook in webhooks.QueryAsync([Filter.Field("webhookUrl", FilterOperator.Eq, url.ToString())], cancellationToken).ConfigureAwait(false))
        {
            return webhook;
        }

        return null;
    }

    private static async Task<List<JsonObject>> ChildrenAsync(IAutotaskEntitySet children, long webhookId, CancellationToken cancellationToken)
    {
        var list = new List<JsonObject>();
        await foreach (var child in children.QueryAsync([Filter.Field("webhookID", FilterOperator.Eq, webhookId)], cancellationToken).ConfigureAwait(false))
        {
            list.Add(child);
        }

        return list;
    }

    private static void RequireHttps(Uri url, string parameterName)
    {
        if (!url.IsAbsoluteUri || url.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"A webhook calls HTTPS URLs only; '{url}' is not one.", parameterName);
        }
    }

    private static long IdOf(JsonObject record) => Number(record["id"]);

    private static long Number(JsonNode? node) => Json.JsonIds.Read(node) ?? 0;
}
