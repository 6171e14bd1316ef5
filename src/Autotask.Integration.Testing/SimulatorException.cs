using System.Net;

namespace Autotask.Integration.Testing;

/// <summary>An error the simulator answers with Autotask's shape: a status and an <c>errors</c> array.</summary>
internal sealed class SimulatorException(HttpStatusCode status, params string[] errors) : Exception(string.Join(" ", errors))
{
    public HttpStatusCode Status { get; } = status;

    public IReadOnlyList<string> Errors { get; } = errors;

    /// <summary>Autotask answers most validation and business-rule failures with HTTP 500 and a message.</summary>
    public static SimulatorException Invalid(string message) => new(HttpStatusCode.InternalServerError, message);
}
