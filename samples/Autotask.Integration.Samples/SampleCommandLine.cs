using System.CommandLine;

namespace Autotask.Integration.Samples;

/// <summary>The samples' commands and options (System.CommandLine): <c>--help</c> works for each of them.</summary>
internal static class SampleCommandLine
{
    /// <summary>The commands, each an integration shape, with what it shows.</summary>
    public static readonly IReadOnlyList<(string Name, string Description)> Commands =
    [
        ("tour", "The client on its own: connection test, a paged query, picklists and metadata."),
        ("reseller", "A licence reseller: map customers, offers and subscriptions, then sync quantities as contract service adjustments."),
        ("alerts", "A backup or monitoring service: alerts become tickets, repeats become notes, a daily digest and a test ticket."),
        ("devices", "A backup service's devices: a configuration item per device of a mapped customer, once, and a webhook for ticket updates."),
        ("inbound", "A channel platform: pull active customers and their contracts, incrementally."),
        ("backup-vendor", "A backup service run by itself for three partners on an accelerated clock: usage billed on each partner's invoice date, failures as tickets, a daily digest."),
        ("portal", "A multi-tenant vendor portal on the simulator: partners link their own Autotask at run time (Test and Save), sync, rotate a secret, unlink."),
    ];

    /// <summary>Builds the command line; <paramref name="run"/> runs a command (or <c>all</c>) and returns the exit code.</summary>
    public static RootCommand Build(Func<string, bool, CancellationToken, Task<int>> run)
    {
        var allowWrites = new Option<bool>("--allow-writes")
        {
            Description = "Write to a real Autotask (the simulator is always written to). Without it, writes are planned and shown only.",
            Recursive = true,
        };
        var root = new RootCommand(
            "Autotask.Integration samples. Without credentials in configuration they run against the embedded simulator; " +
            "with Autotask__Connections__{name}__UserName, __Secret, __IntegrationCode (environment or user-secrets) against that Autotask. " +
            "Exit codes: 0 done, 1 Autotask or a mapping rule refused something, 2 cancelled.");
        root.Options.Add(allowWrites);
        root.SetAction((parse, cancellationToken) => run("all", parse.GetValue(allowWrites), cancellationToken));
        foreach (var (name, description) in Commands)
        {
            var command = new Command(name, description);
            command.SetAction((parse, cancellationToken) => run(name, parse.GetValue(allowWrites), cancellationToken));
            root.Subcommands.Add(command);
        }

        return root;
    }
}
