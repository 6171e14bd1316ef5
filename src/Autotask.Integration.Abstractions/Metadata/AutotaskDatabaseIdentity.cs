using System.Globalization;

namespace Autotask.Integration.Metadata;

/// <summary>
/// Which Autotask database (tenant) an API user belongs to: zone information's <c>ci</c> and the zone's address.
/// Two API users of one MSP share it; mappings made against one database are never applied to another.
/// </summary>
/// <param name="Ci">The database identifier (zone information's <c>ci</c>).</param>
/// <param name="Zone">The zone's REST base address.</param>
public sealed record AutotaskDatabaseIdentity(long Ci, Uri Zone)
{
    /// <summary>Describes the database, such as <c>Autotask database 1234 (webservices3.autotask.net)</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Autotask database {Ci} ({Zone.Host})");
}
