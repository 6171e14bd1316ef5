using Autotask.Integration.Auditing;
using Autotask.Integration.Connections;
using Autotask.Integration.Mapping;
using Autotask.Integration.PostgreSql;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Autotask.Integration;

/// <summary>Registers the PostgreSQL store.</summary>
public static class PostgreSqlAutotaskIntegrationBuilderExtensions
{
    /// <summary>Keeps mappings, sync state, the audit trail and the connections linked at run time (secrets encrypted) in a PostgreSQL database.</summary>
    /// <param name="builder">The builder from <c>AddAutotaskIntegration</c>.</param>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="schema">The schema for the store's tables. Default <c>autotask_integration</c>.</param>
    /// <returns>The builder.</returns>
    public static AutotaskIntegrationBuilder UsePostgreSqlStore(this AutotaskIntegrationBuilder builder, string connectionString, string schema = "autotask_integration")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        // Connection secrets are encrypted with ASP.NET Core Data Protection unless the application registers its own
        // protector; instances sharing the store must share the key ring (AddDataProtection().PersistKeysTo...).
        builder.Services.AddDataProtection();
        builder.Services.TryAddSingleton<IAutotaskSecretProtector>(sp => new DataProtectionSecretProtector(sp.GetRequiredService<IDataProtectionProvider>()));
        builder.Services.AddSingleton(sp => new PostgreSqlMappingStore(connectionString, schema, secrets: sp.GetRequiredService<IAutotaskSecretProtector>()));
        builder.Services.RemoveAll<IMappingStore>();
        builder.Services.AddSingleton<IMappingStore>(sp => sp.GetRequiredService<PostgreSqlMappingStore>());
        builder.Services.AddSingleton<IAuditSink>(sp => sp.GetRequiredService<PostgreSqlMappingStore>());
        builder.Services.RemoveAll<IAuditReader>();
        builder.Services.AddSingleton<IAuditReader>(sp => sp.GetRequiredService<PostgreSqlMappingStore>());
        builder.UseConnectionStore(sp => sp.GetRequiredService<PostgreSqlMappingStore>());
        return builder;
    }
}
