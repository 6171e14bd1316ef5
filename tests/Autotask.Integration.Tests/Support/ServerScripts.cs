using System.Diagnostics;
using System.Globalization;

namespace Autotask.Integration.Tests.Support;

/// <summary>Runs the repository's throwaway-server scripts under eng/ (PostgreSQL, Redis, Chromium).</summary>
internal static class ServerScripts
{
    /// <summary>What a script printed: its exit code, its standard output and its standard error, kept apart.</summary>
    internal sealed record Result(int Code, string Output, string Error)
    {
        /// <summary>Both streams, for a failure message.</summary>
        public string Everything => (Output.Trim() + Environment.NewLine + Error.Trim()).Trim();

        /// <summary>
        /// The last non-empty line of standard output: where a start script prints its address. Standard error
        /// (progress, apt-get's output on a first run) never counts.
        /// </summary>
        public string? LastOutputLine => Output.Split('\n').Select(line => line.Trim()).LastOrDefault(line => line.Length > 0);
    }

    /// <summary>Runs a script and waits for it.</summary>
    public static async Task<Result> RunAsync(string root, string script, params string[] arguments)
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
        return new Result(process.ExitCode, await output, await error);
    }

    /// <summary>
    /// Starts a server with <c>eng/{script} start DIR PORT</c> on a port that was free a moment ago and returns what
    /// the script printed last on standard output. Another process can take the port between the look-up and the
    /// server's bind, so a start that fails is tried again on another port, a few times.
    /// </summary>
    /// <exception cref="InvalidOperationException">The script failed every time; the message holds its output.</exception>
    public static async Task<string> StartAsync(string root, string script, string directory)
    {
        Result? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            last = await RunAsync(root, script, "start", directory, TestServer.FreePort().ToString(CultureInfo.InvariantCulture));
            if (last.Code == 0 && last.LastOutputLine is { } address)
            {
                return address;
            }
        }

        throw new InvalidOperationException($"eng/{script} failed: {last!.Everything}");
    }
}
