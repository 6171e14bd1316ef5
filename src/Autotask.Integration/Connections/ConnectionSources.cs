using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Autotask.Integration.Connections;

/// <summary>
/// Where connections live: the vendor's own database, a vault, configuration. The SDK looks a connection up by id when
/// it is first used and again after it changes, so connections may be added while the application runs.
/// </summary>
/// <remarks>
/// The SDK asks every registered source in order (the <c>AddAutotaskIntegration</c> options first, then the
/// <see cref="IAutotaskConnectionStore"/>) and takes the first that knows the id.
/// </remarks>
public interface IAutotaskConnectionSource
{
    /// <summary>Finds a connection by id.</summary>
    /// <param name="connectionId">
    /// The connection's id, compared as <see cref="AutotaskConnectionIds.Comparer"/> compares ids (ignoring the case of
    /// ASCII letters only); an id outside <see cref="AutotaskConnectionIds"/> is never found.
    /// </param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>A copy of the connection's settings (with its secret in plain text, in memory only), or <c>null</c> when the source has no such connection.</returns>
    /// <exception cref="AutotaskConnectionSecretException">The stored secret cannot be decrypted.</exception>
    Task<AutotaskConnectionOptions?> FindAsync(string connectionId, CancellationToken cancellationToken = default);

    /// <summary>Lists the ids of the connections this source holds.</summary>
    /// <param name="cancellationToken">Cancels the listing.</param>
    Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// A connection source the SDK may write to, where partners' connections are saved when they link their Autotask at
/// run time. A durable implementation never keeps a secret in plain text (see <see cref="IAutotaskSecretProtector"/>).
/// </summary>
public interface IAutotaskConnectionStore : IAutotaskConnectionSource
{
    /// <summary>Adds a connection, in one step: either all of it is saved or nothing.</summary>
    /// <param name="connectionId">The connection's id; the store keys it by <see cref="AutotaskConnectionIds.Normalize"/>.</param>
    /// <param name="settings">Its settings; the store keeps a copy.</param>
    /// <param name="cancellationToken">Cancels the save.</param>
    /// <exception cref="AutotaskConnectionExistsException">A connection has the id already, in this spelling or another.</exception>
    /// <exception cref="ArgumentException">The id is outside <see cref="AutotaskConnectionIds"/>.</exception>
    Task AddAsync(string connectionId, AutotaskConnectionOptions settings, CancellationToken cancellationToken = default);

    /// <summary>Replaces a connection's settings, in one step.</summary>
    /// <param name="connectionId">The connection's id.</param>
    /// <param name="settings">Its new settings; the store keeps a copy.</param>
    /// <param name="cancellationToken">Cancels the save.</param>
    /// <exception cref="AutotaskConnectionNotFoundException">No connection has the id.</exception>
    Task UpdateAsync(string connectionId, AutotaskConnectionOptions settings, CancellationToken cancellationToken = default);

    /// <summary>Removes a connection.</summary>
    /// <param name="connectionId">The connection's id.</param>
    /// <param name="cancellationToken">Cancels the removal.</param>
    /// <returns><c>false</c> when no connection had the id.</returns>
    Task<bool> RemoveAsync(string connectionId, CancellationToken cancellationToken = default);
}

/// <summary>Encrypts connection secrets before a durable store writes them, and decrypts them when it reads them.</summary>
/// <remarks>The default is <see cref="DataProtectionSecretProtector"/>; supply your own to use a vault's keys.</remarks>
public interface IAutotaskSecretProtector
{
    /// <summary>Encrypts a secret.</summary>
    /// <param name="secret">The secret in plain text.</param>
    /// <returns>Text safe to store.</returns>
    string Protect(string secret);

    /// <summary>Decrypts what <see cref="Protect"/> returned.</summary>
    /// <param name="protectedSecret">The stored text.</param>
    /// <returns>The secret.</returns>
    /// <exception cref="CryptographicException">The text cannot be decrypted with the keys at hand.</exception>
    string Unprotect(string protectedSecret);
}

/// <summary>
/// Protects connection secrets with ASP.NET Core Data Protection, under a purpose of their own. Instances of one
/// application must share the key ring (<c>services.AddDataProtection().PersistKeysTo...</c>) to read each other's
/// connections.
/// </summary>
public sealed class DataProtectionSecretProtector : IAutotaskSecretProtector
{
    /// <summary>The Data Protection purpose string connection secrets are protected under.</summary>
    public const string Purpose = "Autotask.Integration.ConnectionSecrets.v1";

    private readonly IDataProtector _protector;

    /// <summary>Creates the protector.</summary>
    /// <param name="provider">The application's Data Protection provider.</param>
    public DataProtectionSecretProtector(IDataProtectionProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _protector = provider.CreateProtector(Purpose);
    }

    /// <inheritdoc />
    public string Protect(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return _protector.Protect(secret);
    }

    /// <inheritdoc />
    public string Unprotect(string protectedSecret)
    {
        ArgumentNullException.ThrowIfNull(protectedSecret);
        return _protector.Unprotect(protectedSecret);
    }
}
