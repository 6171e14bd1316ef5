namespace Autotask.Integration.Http;

/// <summary>
/// Adds the API user's headers to a request, and only to a request for the connection's resolved zone: anything
/// else is refused before it is sent. The last handler before the network, so every retry is checked too.
/// </summary>
internal sealed class CredentialsHandler : DelegatingHandler
{
    internal const string IntegrationCodeHeader = "ApiIntegrationCode";
    internal const string UserNameHeader = "UserName";
    internal const string SecretHeader = "Secret";
    internal const string ImpersonationHeader = "ImpersonationResourceId";

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Options.TryGetValue(AutotaskRequestOptions.Connection, out var connection) ||
            !request.Options.TryGetValue(AutotaskRequestOptions.Request, out var info))
        {
            throw new InvalidOperationException("This HttpClient sends Autotask requests made by the Autotask client only.");
        }

        if (request.RequestUri is null || !AutotaskRequestOptions.SameOrigin(request.RequestUri, info.ApiRoot))
        {
            throw new AutotaskUnsafeUrlException(
                $"The request for connection '{connection.Id}' goes to {request.RequestUri?.GetLeftPart(UriPartial.Authority) ?? "(no URL)"}, not to the connection's zone {info.ApiRoot.GetLeftPart(UriPartial.Authority)}; it was not sent, so the credentials did not leave the zone.",
                new AutotaskErrorDetails
                {
                    Operation = info.Operation,
                    Entity = info.Entity,
                    Connection = connection.Id,
                    Method = request.Method.Method,
                    RequestUri = AutotaskRequestOptions.Sanitize(request.RequestUri),
                });
        }

        var headers = request.Headers;
        headers.Remove(IntegrationCodeHeader);
        headers.Remove(UserNameHeader);
        headers.Remove(SecretHeader);
        headers.Remove(ImpersonationHeader);
        var credentials = connection.Credentials;
        headers.TryAddWithoutValidation(IntegrationCodeHeader, credentials.IntegrationCode);
        headers.TryAddWithoutValidation(UserNameHeader, credentials.UserName);
        headers.TryAddWithoutValidation(SecretHeader, credentials.Secret);
        if (credentials.ImpersonationResourceId is { } resourceId)
        {
            headers.TryAddWithoutValidation(ImpersonationHeader, resourceId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return base.SendAsync(request, cancellationToken);
    }
}
