[assembly: AssemblyFixture(typeof(Autotask.Integration.Tests.Support.RedisServer))]

namespace Autotask.Integration.Tests.Support;

/// <summary>
/// The Redis server of the test run: the one CI started (AUTOTASK_REDIS_TEST_CONNECTION), or else a throwaway one this
/// fixture starts on 127.0.0.1 with eng/redis-test-server.sh. Never skipped: no server is a failure. Tests that stop
/// Redis on purpose start their own with <see cref="StartOwnAsync"/>.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    public const string EnvironmentVariable = "AUTOTASK_REDIS_TEST_CONNECTION";
    private const string Script = "redis-test-server.sh";
    private Instance? _own;
    private string? _configuration;
    private string? _startFailure;

    public string Configuration => _configuration ?? throw new InvalidOperationException(
        $"No Redis server for the tests: {_startFailure}. Set {EnvironmentVariable}, or install Redis (apt-get install redis-server).");

    public async ValueTask InitializeAsync()
    {
        _configuration = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(_configuration))
        {
            return;
        }

        try
        {
            _own = await StartOwnAsync();
            _configuration = _own.Configuration;
        }
        catch (InvalidOperationException ex)
        {
            _startFailure = ex.Message;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_own is not null)
        {
            await _own.DisposeAsync();
        }
    }

    /// <summary>Starts a Redis server of the caller's own, on a free port.</summary>
    public static async Task<Instance> StartOwnAsync()
    {
        var root = PostgreSqlServer.FindRoot() ?? throw new InvalidOperationException("the repository root (with eng/redis-test-server.sh) was not found");
        var directory = Path.Combine(Path.GetTempPath(), "autotask-redis-" + Guid.NewGuid().ToString("N")[..8]);
        return new Instance(root, directory, await ServerScripts.StartAsync(root, Script, directory));
    }

    /// <summary>A Redis server a test started; stopping it is how a test makes Redis unreachable.</summary>
    public sealed class Instance(string root, string directory, string configuration) : IAsyncDisposable
    {
        private int _stopped;

        public string Configuration { get; } = configuration;

        public async Task StopAsync()
        {
            if (Interlocked.Exchange(ref _stopped, 1) == 0)
            {
                await ServerScripts.RunAsync(root, Script, "stop", directory);
            }
        }

        public async ValueTask DisposeAsync() => await StopAsync();
    }
}
