using System.Text;
using System.Text.RegularExpressions;

namespace Autotask.Integration.Tests.Support;

/// <summary>
/// Copies code regions (<c>// snippet: name</c> ... <c>// end snippet</c>, several regions of one name joined) into
/// the README's C# blocks marked <c>&lt;!-- snippet: name --&gt;</c>, so that every block there is code the build compiles.
/// </summary>
internal static partial class ReadmeSnippets
{
    [GeneratedRegex(@"<!-- snippet: (?<name>[\w-]+) -->\n```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex MarkedBlock();

    [GeneratedRegex(@"^```csharp$", RegexOptions.Multiline)]
    private static partial Regex CSharpFence();

    public static Dictionary<string, string> FromCode(string code)
    {
        var lines = code.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var regions = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        List<string>? current = null;
        foreach (var line in lines)
        {
            var trimmed = line.Trim();
            if (trimmed.StartsWith("// snippet: ", StringComparison.Ordinal))
            {
                var name = trimmed["// snippet: ".Length..].Trim();
                if (regions.TryGetValue(name, out var existing))
                {
                    current = existing;
                }
                else
                {
                    current = [];
                    regions[name] = current;
                }
            }
            else if (trimmed == "// end snippet")
            {
                current = null;
            }
            else
            {
                current?.Add(line);
            }
        }

        return regions.ToDictionary(r => r.Key, r => Dedent(r.Value), StringComparer.Ordinal);
    }

    public static string Apply(string readme, IReadOnlyDictionary<string, string> snippets) =>
        MarkedBlock().Replace(readme.Replace("\r\n", "\n", StringComparison.Ordinal), m =>
            snippets.TryGetValue(m.Groups["name"].Value, out var code)
                ? $"<!-- snippet: {m.Groups["name"].Value} -->\n```csharp\n{code}```"
                : throw new InvalidOperationException($"The README names snippet '{m.Groups["name"].Value}', which no code region defines."));

    public static int CountCSharpBlocks(string readme) => CSharpFence().Count(readme);

    public static int CountMarkedBlocks(string readme) => MarkedBlock().Count(readme);

    public static IEnumerable<string> MarkedNames(string readme) => MarkedBlock().Matches(readme).Select(m => m.Groups["name"].Value);

    private static string Dedent(List<string> lines)
    {
        var indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append(line.Length >= indent ? line[indent..].TrimEnd() : line.Trim()).Append('\n');
        }

        return text.ToString();
    }
}
