using Spectre.Console;
using Spectre.Console.Rendering;

namespace Autotask.Integration.Samples;

/// <summary>
/// Writes what a person wants to read, through Spectre.Console: headings, tables, and progress on long work. The
/// writer may be the terminal or, in tests, a <see cref="StringWriter"/>; plain text either way (no colours, no
/// cursor movement), so that output stays readable in logs and CI.
/// </summary>
internal static class Output
{
    private static IAnsiConsole For(TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 160; // a log or a test has no window to fit: do not wrap short tables
        return console;
    }

    public static async Task HeadingAsync(this TextWriter output, string text)
    {
        await output.WriteLineAsync();
        await output.WriteLineAsync("== " + text);
    }

    public static async Task TableAsync(this TextWriter output, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(Markup.Escape(header)) { NoWrap = false });
        }

        var count = 0;
        foreach (var row in rows)
        {
            table.AddRow(row.Select(c => (IRenderable)new Text(Shorten(c ?? ""))).ToArray());
            count++;
        }

        For(output).Write(table);
        if (count == 0)
        {
            await output.WriteLineAsync("  (none)");
        }

        await output.FlushAsync();
    }

    /// <summary>Runs long work with a progress display on a terminal; in a log or a test, one line when it is done.</summary>
    public static async Task<T> ProgressAsync<T>(this TextWriter output, string description, Func<Action<double>, Task<T>> work)
    {
        if (output != Console.Out || Console.IsOutputRedirected)
        {
            var done = await work(_ => { });
            await output.WriteLineAsync($"  {description}: done.");
            return done;
        }

        return await AnsiConsole.Console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(description), maxValue: 100);
                var result = await work(value => task.Value = Math.Clamp(value, 0, 100));
                task.Value = 100;
                return result;
            });
    }

    private static string Shorten(string text) => text.Length > 48 ? text[..47] + "…" : text;
}
