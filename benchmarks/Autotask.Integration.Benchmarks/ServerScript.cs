using System.Diagnostics;

namespace Autotask.Integration.Benchmarks;

/// <summary>Runs one of the repository's throwaway-server scripts (eng/postgres-test-server.sh, eng/redis-test-server.sh).</summary>
internal static class ServerScript
{
    public static string Run(string script, params string[] arguments)
    {
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "Autotask.Integration.sln")))
        {
            root = Path.GetDirectoryName(root);
        }

        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(root!, "eng", script));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"eng/{script} failed: " + output + error.Result);
    }
}
