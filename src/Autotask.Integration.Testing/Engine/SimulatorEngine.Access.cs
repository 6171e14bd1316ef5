using System.Net;
using Autotask.Integration.Entities;

namespace Autotask.Integration.Testing.Engine;

/// <summary>Credentials, zone discovery and the permissions denied by a test: the simulator's answers before any entity is touched.</summary>
internal sealed partial class SimulatorEngine
{
    public void Deny(string entity, SimulatorAccess access)
    {
        lock (_gate)
        {
            _denied.Add((entity.ToUpperInvariant(), access));
        }
    }

    private bool IsDenied(string entity, SimulatorAccess access)
    {
        lock (_gate)
        {
            return _denied.Contains((entity.ToUpperInvariant(), access));
        }
    }

    private void Require(string entity, SimulatorAccess access)
    {
        if (IsDenied(entity, access))
        {
            var verb = access switch { SimulatorAccess.Read => "query", SimulatorAccess.Create => "create", _ => "update" };
            throw new SimulatorException(HttpStatusCode.InternalServerError, $"User does not have permission to {verb} {entity}.");
        }
    }

    private EngineResponse ZoneInformation(EngineRequest request)
    {
        var query = System.Web.HttpUtility.ParseQueryString(request.Uri.Query);
        if (!string.Equals(query["user"], _options.UserName, StringComparison.OrdinalIgnoreCase))
        {
            return Error(HttpStatusCode.InternalServerError, "Zone information could not be determined");
        }

        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("zoneName", "Simulator Zone 1");
            w.WriteString("url", ZoneBase.ToString());
            w.WriteString("webUrl", new Uri(ZoneBase, "/").ToString());
            w.WriteNumber("ci", _options.DatabaseId);
            w.WriteEndObject();
        });
    }

    private EngineResponse? Authenticate(EngineRequest request)
    {
        request.Headers.TryGetValue("UserName", out var user);
        request.Headers.TryGetValue("Secret", out var secret);
        request.Headers.TryGetValue("ApiIntegrationCode", out var code);
        if (string.IsNullOrEmpty(user) || string.IsNullOrEmpty(secret) || string.IsNullOrEmpty(code))
        {
            return Error(HttpStatusCode.Unauthorized, "Missing credentials: UserName, Secret and ApiIntegrationCode headers are required.");
        }

        if (!string.Equals(user, _options.UserName, StringComparison.OrdinalIgnoreCase))
        {
            return Error(HttpStatusCode.InternalServerError, "Zone information could not be determined");
        }

        if (!string.Equals(secret, _options.Secret, StringComparison.Ordinal))
        {
            return Error(HttpStatusCode.Unauthorized, "User is not authenticated.");
        }

        if (!string.Equals(code, _options.IntegrationCode, StringComparison.Ordinal))
        {
            return Error(HttpStatusCode.InternalServerError, "IntegrationCode is invalid.");
        }

        if (request.Headers.TryGetValue("ImpersonationResourceId", out var impersonated) &&
            (!long.TryParse(impersonated, out var resourceId) || _data.Get<Resource>(resourceId) is not { IsActive: true }))
        {
            return Error(HttpStatusCode.InternalServerError, $"The impersonated resource {impersonated} does not exist or is inactive.");
        }

        return null;
    }
}
