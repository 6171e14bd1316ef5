using Autotask.Integration.Sqlite;

namespace Autotask.Integration;

/// <summary>Registers the SQLite store.</summary>
public static class SqliteAutotaskIntegrationBuilderExtensions
{
    /// <summary>Keeps mappings, sync state and the audit trail in the SQLite file at <paramref name="path"/>.</summary>
    /// <param name="builder">The builder from <c>AddAutotaskIntegration</c>.</param>
    /// <param name="path">The database file's path; created when missing.</param>
    /// <returns>The builder.</returns>
    public static AutotaskIntegrationBuilder UseSqliteStore(this AutotaskIntegrationBuilder builder, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var store = new SqliteMappingStore(path);
        builder.UseMappingStore(store);
        builder.AddAuditSink(store);
        return builder;
    }
}
