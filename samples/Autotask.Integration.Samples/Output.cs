namespace Autotask.Integration.Samples;

/// <summary>Writes what a person wants to read: headings and aligned tables.</summary>
internal static class Output
{
    public static async Task HeadingAsync(this TextWriter output, string text)
    {
        await output.WriteLineAsync();
        await output.WriteLineAsync("== " + text);
    }

    public static async Task TableAsync(this TextWriter output, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var all = rows.Select(r => r.Select(c => c ?? "").ToArray()).ToList();
        var widths = headers.Select((h, i) => Math.Min(48, Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length)))).ToArray();
        string Line(IReadOnlyList<string> cells) => "  " + string.Join("  ", cells.Select((c, i) => (c.Length > widths[i] ? c[..(widths[i] - 1)] + "…" : c).PadRight(widths[i]))).TrimEnd();
        await output.WriteLineAsync(Line(headers));
        await output.WriteLineAsync(Line(widths.Select(w => new string('-', w)).ToArray()));
        foreach (var row in all)
        {
            await output.WriteLineAsync(Line(row));
        }

        if (all.Count == 0)
        {
            await output.WriteLineAsync("  (none)");
        }
    }
}
