using Autotask.Integration.Auditing;
using Autotask.Integration.Connections;
using Autotask.Integration.Mapping;
using Autotask.Integration.Sqlite;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Autotask.Integration;

/// <summary>Registers the SQLite store.</summary>
public static class SqliteAutotaskIntegrationBuilderExtensions
{
    /// <summary>Keeps mappings, sync state, the audit trail and the connections linked at run time (secrets encrypted) in the SQLite file at <paramref name="path"/>.</summary>
    /// <remarks>
    /// For processes on one machine: SQLite has no clock of its own, so the leases of pending adjustments are measured by
    /// each process's clock (the registered <see cref="TimeProvider"/>), which processes on one machine share. Use
    /// <c>UsePostgreSqlStore</c> for instances on several machines.
    /// </remarks>
    /// <param name="builder">The builder from <c>AddAutotaskIntegration</c>.</param>
    /// <param name="path">The database file's path; created when missing.</param>
    /// <returns>The builder.</returns>
    public static AutotaskIntegrationBuilder UseSqliteStore(this AutotaskIntegrationBuilder builder, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);

        // Connection secrets are encrypted with ASP.NET Core Data Protection unless the application registers its own
        // protector; instances sharing the store must share the key ring (AddDataProtection().PersistKeysTo...).
        builder.Services.AddDataProtection();
        builder.Services.TryAddSingleton<IAutotaskSecretProtector>(sp => new DataProtectionSecretProtector(sp.GetRequiredService<IDataProtectionProvider>()));
        builder.Services.AddSingleton(sp => new SqliteMappingStore(path, secrets: sp.GetRequiredService<IAutotaskSecretProtector>(), time: sp.GetService<TimeProvider>()));
        builder.Services.RemoveAll<IMappingStore>();
        builder.Services.AddSingleton<IMappingStore>(sp => sp.GetRequiredService<SqliteMappingStore>());
        builder.Services.AddSingleton<IAuditSink>(sp => sp.GetRequiredService<SqliteMappingStore>());
        builder.Services.RemoveAll<IAuditReader>();
        builder.Services.AddSingleton<IAuditReader>(sp => sp.GetRequiredService<SqliteMappingStore>());
        builder.UseConnectionStore(sp => sp.GetRequiredService<SqliteMappingStore>());
        return builder;
    }
}
