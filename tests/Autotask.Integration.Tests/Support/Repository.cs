namespace Autotask.Integration.Tests.Support;

/// <summary>The repository the tests run from: its root, found from the test binary upwards.</summary>
internal static class Repository
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Autotask.Integration.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException("The repository root (with Autotask.Integration.sln) was not found.");
    });

    public static string Root => RootPath.Value;
}
