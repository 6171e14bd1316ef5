using System.Diagnostics;
using System.Threading.Channels;

namespace Autotask.Integration.Tests.Support;

/// <summary>
/// A separate OS process running tests/Autotask.Integration.SyncWorker: one instance of a vendor's sync service,
/// with its own store connections, HTTP client and timing. Driven line by line over stdin and stdout.
/// </summary>
internal sealed class SyncWorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringWriter _errors = new();

    private SyncWorkerProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    private readonly List<FiredLine> _fired = [];

    /// <summary>The "fired" lines a scheduler host wrote so far (they do not go to <see cref="ReadLineAsync"/>).</summary>
    public IReadOnlyList<FiredLine> Lines
    {
        get
        {
            lock (_fired)
            {
                return [.. _fired];
            }
        }
    }

    private readonly List<(string Job, string Connection, string Outcome)> _done = [];

    /// <summary>The "ended" lines a scheduler host wrote so far: each job that ended, with its outcome.</summary>
    public IReadOnlyList<(string Job, string Connection, string Outcome)> Done
    {
        get
        {
            lock (_fired)
            {
                return [.. _done];
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts a worker (by default the sync worker; <paramref name="project"/> names another test host, whose settings take <paramref name="prefix"/>) and waits until it says it is ready.</summary>
    public static async Task<SyncWorkerProcess> StartAsync(string name, IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken,
        string project = "Autotask.Integration.SyncWorker", string prefix = "AUTOTASK_WORKER_")
    {
        var (program, assembly) = Worker(project);
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (assembly is not null)
        {
            start.ArgumentList.Add(assembly);
        }
        foreach (var (key, value) in settings)
        {
            start.Environment[prefix + key] = value;
        }

        var worker = new SyncWorkerProcess(Process.Start(start)!, name);
        worker._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                worker._lines.Writer.TryComplete();
            }
            else if (FiredLine.TryParse(e.Data) is { } fired)
            {
                lock (worker._fired)
                {
                    worker._fired.Add(fired);
                }
            }
            else if (e.Data.Split(' ') is ["ended", var job, var connection, var outcome])
            {
                lock (worker._fired)
                {
                    worker._done.Add((job, connection, outcome));
                }
            }
            else
            {
                worker._lines.Writer.TryWrite(e.Data);
            }
        };
        worker._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (worker._errors)
                {
                    worker._errors.WriteLine(e.Data);
                }
            }
        };
        worker._process.BeginOutputReadLine();
        worker._process.BeginErrorReadLine();
        var first = await worker.ReadLineAsync(TimeSpan.FromSeconds(60), cancellationToken);
        return first == "ready" ? worker : throw new InvalidOperationException($"Worker {name} did not start: {first} {worker.Errors}");
    }

    /// <summary>The settings of a worker on a shared store and a simulator on loopback.</summary>
    public static Dictionary<string, string> Settings(SharedStore shared, Autotask.Integration.Testing.AutotaskSimulator simulator, int seed, TimeSpan lease) => new()
    {
        ["STORE"] = shared.Kind == StoreKind.Sqlite ? "sqlite" : "postgres",
        ["LOCATION"] = shared.Location!,
        ["PG"] = shared.PostgreSqlConnection ?? "-",
        ["ZONE"] = simulator.ZoneUrl.ToString(),
        ["USERNAME"] = simulator.Options.UserName,
        ["SECRET"] = simulator.Options.Secret,
        ["CODE"] = simulator.Options.IntegrationCode,
        ["LEASE_MS"] = ((long)lease.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["SEED"] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    public async Task SendAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>The next line the worker writes, within <paramref name="timeout"/>.</summary>
    public async Task<string> ReadLineAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            return await _lines.Reader.ReadAsync(limit.Token);
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"Worker {Name} exited ({(_process.HasExited ? _process.ExitCode : -1)}): {Errors}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Worker {Name} said nothing for {timeout}: {Errors}");
        }
    }

    /// <summary>Kills the process at once, as <c>kill -9</c> does: no cleanup, no settling of what it had pending.</summary>
    public void KillHard() => _process.Kill(entireProcessTree: true);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(exit.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }

    /// <summary>
    /// The worker built beside this test assembly, in the same configuration, target framework and runtime: its
    /// output directory mirrors this one's. A self-contained build (the net8.0 run of .ci/run) starts the worker's own
    /// executable, with the runtime beside it; otherwise the dotnet host that runs the tests runs the worker's assembly.
    /// </summary>
    private static (string Program, string? Assembly) Worker(string project)
    {
        var root = PostgreSqlServer.FindRoot() ?? throw new InvalidOperationException("The repository root was not found.");
        var output = Path.GetRelativePath(Path.Combine(root, "tests", "Autotask.Integration.Tests", "bin"), AppContext.BaseDirectory);
        var directory = Path.Combine(root, "tests", project, "bin", output);
        var assembly = Path.Combine(directory, project + ".dll");
        if (!File.Exists(assembly))
        {
            throw new FileNotFoundException($"The sync worker is not built at {assembly}; build the solution first.", assembly);
        }

        var executable = Path.Combine(directory, OperatingSystem.IsWindows() ? project + ".exe" : project);
        if (File.Exists(Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "coreclr.dll" : "libcoreclr.so")) && File.Exists(executable))
        {
            return (executable, null);
        }

        return (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet", assembly);
    }
}

/// <summary>A scheduler host's line <c>fired job connection slot instance recovering</c>, with the time the test read it.</summary>
internal sealed record FiredLine(string Job, string Connection, long Slot, string Instance, bool Recovering, DateTime At)
{
    public static FiredLine? TryParse(string line)
    {
        var parts = line.Split(' ');
        return parts is ["fired", var job, var connection, var slot, var instance, var recovering]
            ? new FiredLine(job, connection, long.Parse(slot, System.Globalization.CultureInfo.InvariantCulture), instance, bool.Parse(recovering), DateTime.UtcNow)
            : null;
    }
}
