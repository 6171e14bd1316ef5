using Autotask.Integration.PostgreSql;

namespace Autotask.Integration;

/// <summary>Registers the PostgreSQL store.</summary>
public static class PostgreSqlAutotaskIntegrationBuilderExtensions
{
    /// <summary>Keeps mappings, sync state and the audit trail in a PostgreSQL database.</summary>
    /// <param name="builder">The builder from <c>AddAutotaskIntegration</c>.</param>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="schema">The schema for the store's tables. Default <c>autotask_integration</c>.</param>
    /// <returns>The builder.</returns>
    public static AutotaskIntegrationBuilder UsePostgreSqlStore(this AutotaskIntegrationBuilder builder, string connectionString, string schema = "autotask_integration")
    {
        ArgumentNullException.ThrowIfNull(builder);
        var store = new PostgreSqlMappingStore(connectionString, schema);
        builder.UseMappingStore(store);
        builder.AddAuditSink(store);
        return builder;
    }
}
