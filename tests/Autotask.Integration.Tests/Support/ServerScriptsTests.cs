namespace Autotask.Integration.Tests.Support;

/// <summary>
/// The fixtures take a started server's address from the script's standard output only: on a fresh machine the first
/// run installs the server, and apt-get's lines on standard error (such as "Processing triggers for libc-bin") once
/// became the Redis address.
/// </summary>
public sealed class ServerScriptsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("autotask-scripts-").FullName;

    public ServerScriptsTests() => Directory.CreateDirectory(Path.Combine(_root, "eng"));

    [Fact]
    public async Task The_address_is_the_last_line_of_standard_output_whatever_standard_error_says_after_it()
    {
        Script("noisy.sh", """
            echo "installing redis-server from Debian's packages" >&2
            echo "127.0.0.1:$3"
            echo "Processing triggers for libc-bin (2.36-9+deb12u10) ..." >&2
            """);

        var address = await ServerScripts.StartAsync(_root, "noisy.sh", Path.Combine(_root, "data"));

        Assert.Matches(@"^127\.0\.0\.1:\d+$", address);
    }

    [Fact]
    public async Task A_start_that_fails_once_because_its_port_was_taken_is_tried_again_on_another_port()
    {
        // Fails the first time (as when another process took the free port first), then starts.
        Script("flaky.sh", """
            if [ ! -f "$2.tried" ]; then touch "$2.tried"; echo "Address already in use" >&2; exit 1; fi
            echo "127.0.0.1:$3"
            """);

        var address = await ServerScripts.StartAsync(_root, "flaky.sh", Path.Combine(_root, "data"));

        Assert.StartsWith("127.0.0.1:", address);
    }

    [Fact]
    public async Task A_script_that_never_starts_is_a_failure_that_carries_both_streams()
    {
        Script("broken.sh", """
            echo "partial" ; echo "redis-server is missing" >&2 ; exit 1
            """);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerScripts.StartAsync(_root, "broken.sh", Path.Combine(_root, "data")));

        Assert.Contains("redis-server is missing", failure.Message);
        Assert.Contains("partial", failure.Message);
    }

    [Fact]
    public void A_wiremock_server_whose_port_was_taken_before_it_bound_starts_on_another()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var takenPort = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var ports = new Queue<int>([takenPort]);

        using var server = TestServer.Start(() => ports.TryDequeue(out var next) ? next : TestServer.FreePort());

        Assert.Empty(ports);
        Assert.NotEqual(takenPort, server.Port);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Script(string name, string body) =>
        File.WriteAllText(Path.Combine(_root, "eng", name), "#!/usr/bin/env bash\nset -u\n" + body.ReplaceLineEndings("\n") + "\n");
}
