using NodaTime;

namespace Autotask.Integration.Auditing;

/// <summary>
/// Which audit events of one connection to read, for an audit-log page: filtered by operation, status and time, newest
/// first, a page at a time.
/// </summary>
public sealed record AuditQuery
{
    private readonly string _connection = "";
    private readonly int _skip;
    private readonly int _take = 50;
    private readonly Instant? _from;
    private readonly Instant? _until;

    /// <summary>
    /// The connection whose events to read. Required. Its events are read in every spelling of the id
    /// (<see cref="AutotaskConnectionIds.Comparer"/>), whichever one each event carries.
    /// </summary>
    /// <exception cref="ArgumentException">The id is outside <see cref="AutotaskConnectionIds"/>.</exception>
    public required string Connection
    {
        get => _connection;
        init
        {
            AutotaskConnectionIds.Validate(value);
            _connection = value;
        }
    }

    /// <summary>Only events of this operation (one of <see cref="AuditOperations"/>); <c>null</c> for all.</summary>
    public string? Operation { get; init; }

    /// <summary>Only events with this status; <c>null</c> for all.</summary>
    public AuditStatus? Status { get; init; }

    /// <summary>Only events that completed at or after this instant; <c>null</c> for no lower bound.</summary>
    /// <exception cref="ArgumentException"><see cref="Until"/> is set and not after it.</exception>
    public Instant? From
    {
        get => _from;
        init
        {
            RequireWindow(value, _until);
            _from = value;
        }
    }

    /// <summary>Only events that completed before this instant; <c>null</c> for no upper bound.</summary>
    /// <exception cref="ArgumentException"><see cref="From"/> is set and this is not after it.</exception>
    public Instant? Until
    {
        get => _until;
        init
        {
            RequireWindow(_from, value);
            _until = value;
        }
    }

    /// <summary>How many matching events to skip, newest first, for paging. Default: 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The number is negative.</exception>
    public int Skip
    {
        get => _skip;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _skip = value;
        }
    }

    /// <summary>How many events to return, 1 to 500. Default: 50.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The number is outside 1 to 500.</exception>
    public int Take
    {
        get => _take;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 500);
            _take = value;
        }
    }

    // Checked whichever of the two is set last, so that a query with an empty window cannot be made.
    private static void RequireWindow(Instant? from, Instant? until)
    {
        if (from is { } start && until is { } end && end <= start)
        {
            throw new ArgumentException($"The audit query's end ({end}) must be after its start ({start}).", nameof(until));
        }
    }
}

/// <summary>A page of audit events, newest first.</summary>
public sealed record AuditPage
{
    /// <summary>The events of the page, newest first (by completion, then event id).</summary>
    public required IReadOnlyList<AuditEvent> Events { get; init; }

    /// <summary>Whether more events match after this page.</summary>
    public required bool HasMore { get; init; }
}

/// <summary>Reads the audit events an <see cref="IAuditSink"/> kept, for a vendor's audit-log page.</summary>
/// <remarks>The SQLite and PostgreSQL stores and the in-memory audit sink implement it.</remarks>
public interface IAuditReader
{
    /// <summary>Reads a page of one connection's audit events, newest first.</summary>
    /// <param name="query">The connection, filters and page.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    Task<AuditPage> ReadAsync(AuditQuery query, CancellationToken cancellationToken = default);
}
