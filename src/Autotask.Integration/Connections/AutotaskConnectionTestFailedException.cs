using Autotask.Integration.Connections;

namespace Autotask.Integration;

/// <summary>A connection failed its test ("Test and Save"), so it was not saved. <see cref="Result"/> lists the problems.</summary>
public sealed class AutotaskConnectionTestFailedException : AutotaskConnectionException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="result">The failed test.</param>
    public AutotaskConnectionTestFailedException(ConnectionTestResult result)
        : base($"Autotask connection '{result?.Connection}' was not saved because its test failed: {string.Join(" ", result?.Problems ?? [])}", result?.Connection ?? "")
    {
        ArgumentNullException.ThrowIfNull(result);
        Result = result;
    }

    /// <summary>The failed test, with each problem in an administrator's words.</summary>
    public ConnectionTestResult Result { get; }
}
