using System.Diagnostics;
using Npgsql;

[assembly: AssemblyFixture(typeof(Autotask.Integration.Tests.Support.PostgreSqlServer))]

namespace Autotask.Integration.Tests.Support;

/// <summary>
/// The PostgreSQL server of the test run: the one CI started (AUTOTASK_POSTGRES_TEST_CONNECTION), or else a throwaway
/// one this fixture starts on 127.0.0.1 with eng/postgres-test-server.sh. Never skipped: no server is a failure.
/// </summary>
public sealed class PostgreSqlServer : IAsyncLifetime
{
    public const string EnvironmentVariable = "AUTOTASK_POSTGRES_TEST_CONNECTION";
    private readonly string? _root = FindRoot();
    private string? _ownDirectory;
    private string? _connectionString;
    private string? _startFailure;

    public string ConnectionString => _connectionString ?? throw new InvalidOperationException(
        $"No PostgreSQL server for the tests: {_startFailure}. Set {EnvironmentVariable}, or install PostgreSQL's server (apt-get install postgresql).");

    public async ValueTask InitializeAsync()
    {
        _connectionString = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(_connectionString))
        {
            return;
        }

        if (_root is not { } root)
        {
            _startFailure = "the repository root (with eng/postgres-test-server.sh) was not found";
            return;
        }

        _ownDirectory = Path.Combine(Path.GetTempPath(), "autotask-pg-" + Guid.NewGuid().ToString("N")[..8]);
        var (code, output) = await RunAsync(root, "start", _ownDirectory, TestServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (code != 0)
        {
            _startFailure = "eng/postgres-test-server.sh failed: " + output.Trim();
            _ownDirectory = null;
            return;
        }

        _connectionString = output.Trim().Split('\n')[^1].Trim();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_ownDirectory is not null && _root is not null)
        {
            await RunAsync(_root, "stop", _ownDirectory);
        }
    }

    /// <summary>The repository root (the folder with the solution file), or <c>null</c> when the tests run from elsewhere.</summary>
    internal static string? FindRoot()
    {
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "Autotask.Integration.sln")))
        {
            root = Path.GetDirectoryName(root);
        }

        return root;
    }

    /// <summary>A schema of its own for one test, so that tests never see each other's rows.</summary>
    public static string NewSchema() => "test_" + Guid.NewGuid().ToString("N")[..12];

    private static Task<(int Code, string Output)> RunAsync(string root, params string[] arguments) => RunScriptAsync(root, "postgres-test-server.sh", arguments);

    /// <summary>Runs one of the repository's throwaway-server scripts under eng/, returning its exit code and output.</summary>
    internal static async Task<(int Code, string Output)> RunScriptAsync(string root, string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        start.ArgumentList.Add(Path.Combine(root, "eng", script));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
