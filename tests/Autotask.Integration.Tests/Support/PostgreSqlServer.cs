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
    private const string Script = "postgres-test-server.sh";
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
        try
        {
            _connectionString = await ServerScripts.StartAsync(root, Script, _ownDirectory);
        }
        catch (InvalidOperationException ex)
        {
            _startFailure = ex.Message;
            _ownDirectory = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_ownDirectory is not null && _root is not null)
        {
            await ServerScripts.RunAsync(_root, Script, "stop", _ownDirectory);
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
}
