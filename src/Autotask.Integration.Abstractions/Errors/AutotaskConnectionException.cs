using Autotask.Integration.Metadata;

namespace Autotask.Integration;

/// <summary>
/// A connection cannot be used, found, saved or trusted: the base of the errors of connections linked at run time.
/// The message names the connection and says what an administrator can do.
/// </summary>
public abstract class AutotaskConnectionException : AutotaskException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and what to do.</param>
    /// <param name="connection">The connection's id.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    protected AutotaskConnectionException(string message, string connection, Exception? innerException = null)
        : base(message, innerException)
    {
        Connection = connection;
    }

    /// <summary>The connection's id.</summary>
    public string Connection { get; }
}

/// <summary>No connection has the id: it was never registered, or it was removed (<see cref="Removed"/>).</summary>
public sealed class AutotaskConnectionNotFoundException : AutotaskConnectionException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="connection">The connection's id.</param>
    /// <param name="removed">Whether the connection existed and was removed while this process used it.</param>
    public AutotaskConnectionNotFoundException(string connection, bool removed = false)
        : base(removed
            ? $"The Autotask connection '{connection}' was removed (unlinked); requests for it are refused. Link it again to use it."
            : $"No Autotask connection has the id '{connection}'. Link it first (Test and Save), or check the id.", connection)
    {
        Removed = removed;
    }

    /// <summary>Whether the connection existed and was removed while this process used it.</summary>
    public bool Removed { get; }
}

/// <summary>A connection with the id already exists; nothing was saved.</summary>
public sealed class AutotaskConnectionExistsException : AutotaskConnectionException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="connection">The connection's id.</param>
    public AutotaskConnectionExistsException(string connection)
        : base($"An Autotask connection with the id '{connection}' already exists; nothing was saved. Update it instead, or remove it first.", connection)
    {
    }
}

/// <summary>
/// A connection's stored secret could not be decrypted: the key ring is not the one it was saved with (rotated,
/// lost, or another application's). Nothing was sent to Autotask.
/// </summary>
public sealed class AutotaskConnectionSecretException : AutotaskConnectionException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="connection">The connection's id.</param>
    /// <param name="innerException">The decryption failure.</param>
    public AutotaskConnectionSecretException(string connection, Exception? innerException = null)
        : base($"The stored secret of Autotask connection '{connection}' cannot be decrypted with this application's data protection keys (the key ring was rotated out, lost, or is another application's). Nothing was sent to Autotask. Restore the key ring, or enter the API user's secret again.", connection, innerException)
    {
    }
}

/// <summary>
/// A connection's credentials now reach another Autotask database than the one its mappings were made against.
/// Every store-backed operation of the connection is refused until it is re-bound on purpose.
/// </summary>
public sealed class AutotaskDatabaseMismatchException : AutotaskConnectionException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="connection">The connection's id.</param>
    /// <param name="recorded">The database the connection's mappings belong to.</param>
    /// <param name="current">The database its credentials reach now.</param>
    public AutotaskDatabaseMismatchException(string connection, AutotaskDatabaseIdentity recorded, AutotaskDatabaseIdentity current)
        : base($"Autotask connection '{connection}' was bound to {recorded}, but its credentials now reach {current}. Its mappings and ledger belong to the first database, so nothing was read from or written to either. If the partner really moved to the new database, re-bind the connection (RebindAsync) and map its customers again; otherwise restore the API user of the original database.", connection)
    {
        Recorded = recorded;
        Current = current;
    }

    /// <summary>The database the connection's mappings belong to.</summary>
    public AutotaskDatabaseIdentity Recorded { get; }

    /// <summary>The database its credentials reach now.</summary>
    public AutotaskDatabaseIdentity Current { get; }
}

/// <summary>A connection's settings cannot work (a missing username, a secret with a line break, an unknown time zone); nothing was saved or sent.</summary>
public sealed class AutotaskConnectionSettingsException : AutotaskConnectionException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="connection">The connection's id.</param>
    /// <param name="problems">What is wrong, one sentence each, never repeating a secret.</param>
    public AutotaskConnectionSettingsException(string connection, IReadOnlyList<string> problems)
        : base(string.Join(" ", problems ?? []), connection)
    {
        Problems = problems ?? [];
    }

    /// <summary>What is wrong, one sentence each.</summary>
    public IReadOnlyList<string> Problems { get; }
}
