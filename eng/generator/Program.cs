using Autotask.Integration.Generator;

// Re-generates the entity code from the catalogue: `dotnet run --project eng/generator [repository root]`.
var root = args.Length > 0 ? Path.GetFullPath(args[0]) : FindRoot(AppContext.BaseDirectory);
var catalogue = File.ReadAllText(Path.Combine(root, CatalogueGenerator.CataloguePath));
var handWritten = Directory.GetFiles(Path.Combine(root, CatalogueGenerator.HandWrittenDirectory), "*.cs").Order(StringComparer.Ordinal).Select(File.ReadAllText);
var files = CatalogueGenerator.Generate(catalogue, handWritten);

// Generated files the catalogue no longer names are removed, so a dropped entity does not linger.
var stale = Directory.Exists(Path.Combine(root, CatalogueGenerator.ModelsDirectory))
    ? Directory.GetFiles(Path.Combine(root, CatalogueGenerator.ModelsDirectory), "*.g.cs")
        .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
        .Where(f => !files.ContainsKey(f))
        .ToArray()
    : [];
foreach (var file in stale)
{
    File.Delete(Path.Combine(root, file));
}

var written = 0;
foreach (var (path, content) in files)
{
    var full = Path.Combine(root, path);
    Directory.CreateDirectory(Path.GetDirectoryName(full)!);
    if (!File.Exists(full) || File.ReadAllText(full) != content)
    {
        File.WriteAllText(full, content);
        written++;
    }
}

Console.WriteLine($"{files.Count} files generated: {written} changed, {stale.Length} removed.");

static string FindRoot(string from)
{
    for (var dir = new DirectoryInfo(from); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Autotask.Integration.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("Run from inside the repository, or pass its root.");
}
