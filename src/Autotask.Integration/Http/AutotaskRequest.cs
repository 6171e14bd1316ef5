namespace Autotask.Integration.Http;

/// <summary>The credentials of one connection, carried to the credentials handler on each request.</summary>
internal sealed class ConnectionCredentials
{
    public ConnectionCredentials(string name, AutotaskConnectionOptions options)
    {
        Name = name;
        UserName = options.UserName ?? "";
        Secret = options.Secret ?? "";
        IntegrationCode = options.IntegrationCode ?? "";
        ImpersonationResourceId = options.ImpersonationResourceId;
        Echoable = new[] { Secret, IntegrationCode, UserName }.Where(v => v.Length > 0).ToArray();
    }

    /// <summary>The values an error answer may echo from the request's headers, to be redacted from anything kept.</summary>
    public IReadOnlyCollection<string> Echoable { get; }

    public string Name { get; }

    public string UserName { get; }

    public string Secret { get; }

    public string IntegrationCode { get; }

    public long? ImpersonationResourceId { get; }

    public override string ToString() => $"Connection {Name}";
}

/// <summary>What one request is: set by the client, read by the handlers and the resilience pipeline.</summary>
/// <param name="Operation">The client operation, such as <c>Query</c>.</param>
/// <param name="Entity">The entity path, or <c>null</c>.</param>
/// <param name="IsRead">Whether the request changes nothing (GETs and query POSTs), so that it may be retried freely.</param>
/// <param name="ApiRoot">The resolved zone's API root; credentials go to this origin only.</param>
internal sealed record RequestInfo(string Operation, string? Entity, bool IsRead, Uri ApiRoot)
{
    /// <summary>The connection's runtime when the operation began; <c>null</c> for zone discovery.</summary>
    public Connections.ConnectionRuntime? Connection { get; init; }

    /// <summary>The limits key of the Autotask database the request goes to, and how metrics show it.</summary>
    public (string Key, string Label)? Database { get; init; }
}

internal static class AutotaskRequestOptions
{
    public static readonly HttpRequestOptionsKey<Connections.ConnectionRuntime> Connection = new("Autotask.Integration.Connection");

    public static readonly HttpRequestOptionsKey<RequestInfo> Request = new("Autotask.Integration.Request");

    public static bool SameOrigin(Uri a, Uri b) =>
        a.IsAbsoluteUri && b.IsAbsoluteUri &&
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase) &&
        string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) &&
        a.Port == b.Port;

    /// <summary>The URL without query string or user info, safe to log and to put in exceptions.</summary>
    public static Uri? Sanitize(Uri? uri)
    {
        if (uri is null || !uri.IsAbsoluteUri)
        {
            return uri;
        }

        return new UriBuilder(uri.Scheme, uri.Host, uri.Port, uri.AbsolutePath).Uri;
    }
}
