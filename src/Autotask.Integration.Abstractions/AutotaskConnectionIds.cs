using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Autotask.Integration;

/// <summary>
/// The one rule of connection ids, followed by every place that keys by connection: the options and their validation,
/// the connection registry and manager, the connection stores, the mapping and audit stores and the scheduler.
/// </summary>
/// <remarks>
/// <para>
/// A connection id holds 1 to <see cref="MaxLength"/> ASCII letters, digits, <c>-</c>, <c>_</c> and <c>.</c>, and two ids
/// are one when they differ only in the case of ASCII letters (<c>acme</c> and <c>ACME</c>). Its key in every store is
/// <see cref="Normalize"/>: the id with its ASCII letters upper-cased.
/// </para>
/// <para>
/// Why restrict rather than accept any Unicode under one comparison: the places that key by id do not agree on
/// Unicode. .NET's ordinal case-insensitive comparison tells <c>ſ</c> (U+017F) from <c>s</c>, while
/// <c>ToUpperInvariant</c> turns it into <c>S</c>; SQLite's <c>NOCASE</c> and <c>upper()</c> fold ASCII only;
/// PostgreSQL's <c>lower()</c> depends on the database's collation; Redis keys and Quartz trigger names are byte-exact.
/// Two ids one place tells apart and another merges would let one partner read another's mappings. Within ASCII
/// letters, digits and <c>-_.</c>, every one of them agrees, and such ids are safe in URLs, log lines, metric tags
/// and keys. Ids outside the rule are refused when they are written (<see cref="ArgumentException"/> naming the
/// character) and are never found when they are looked up.
/// </para>
/// </remarks>
public static class AutotaskConnectionIds
{
    /// <summary>The longest connection id, in characters.</summary>
    public const int MaxLength = 100;

    /// <summary>
    /// Compares connection ids under the rule: ordinal, ignoring the case of ASCII letters only (so <c>ſ</c> is never
    /// <c>s</c>, nor the Kelvin sign <c>K</c>). Orders ids by their keys.
    /// </summary>
    public static StringComparer Comparer { get; } = new IdComparer();

    /// <summary>The key of a connection id in every store: the id with its ASCII letters upper-cased.</summary>
    /// <param name="connectionId">The id.</param>
    /// <returns>The key; the same for every spelling of the id.</returns>
    /// <exception cref="ArgumentException">The id does not follow the rule; the message names the problem.</exception>
    public static string Normalize(string connectionId)
    {
        Validate(connectionId);
        return Fold(connectionId);
    }

    /// <summary>Refuses an id outside the rule.</summary>
    /// <param name="connectionId">The id.</param>
    /// <exception cref="ArgumentNullException">The id is <c>null</c>.</exception>
    /// <exception cref="ArgumentException">The id does not follow the rule; the message names the problem.</exception>
    public static void Validate([NotNull] string? connectionId)
    {
        ArgumentNullException.ThrowIfNull(connectionId);
        if (FindProblem(connectionId) is { } problem)
        {
            throw new ArgumentException(problem, nameof(connectionId));
        }
    }

    /// <summary>What is wrong with an id, in one sentence that names it (control characters escaped).</summary>
    /// <param name="connectionId">The id.</param>
    /// <returns>The problem; <c>null</c> when the id follows the rule.</returns>
    public static string? FindProblem(string? connectionId)
    {
        if (string.IsNullOrEmpty(connectionId))
        {
            return "A connection id may not be empty.";
        }

        if (connectionId.Length > MaxLength)
        {
            return $"The connection id '{connectionId[..20]}...' has {connectionId.Length} characters; a connection id has at most {MaxLength}.";
        }

        foreach (var c in connectionId)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                var shown = char.IsControl(c) || char.IsWhiteSpace(c) || char.IsSurrogate(c) ? "" : $"'{c}' ";
                return $"The connection id '{Printable(connectionId)}' holds {shown}(U+{((int)c).ToString("X4", CultureInfo.InvariantCulture)}); " +
                       "a connection id holds only ASCII letters, digits, '-', '_' and '.'.";
            }
        }

        return null;
    }

    /// <summary>The id with control characters escaped, so that a message never carries a line break or an escape sequence.</summary>
    private static string Printable(string connectionId) =>
        string.Concat(connectionId.Select(c => char.IsControl(c) ? $"\\u{((int)c).ToString("X4", CultureInfo.InvariantCulture)}" : c.ToString()));

    /// <summary>Upper-cases ASCII letters only; every other character stays as it is.</summary>
    private static string Fold(string value)
    {
        if (!value.AsSpan().ContainsAnyInRange('a', 'z'))
        {
            return value;
        }

        return string.Create(value.Length, value, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsAsciiLetterLower(source[i]) ? (char)(source[i] - 32) : source[i];
            }
        });
    }

    private sealed class IdComparer : StringComparer
    {
        public override int Compare(string? x, string? y) =>
            x is null || y is null ? string.CompareOrdinal(x, y) : string.CompareOrdinal(Fold(x), Fold(y));

        public override bool Equals(string? x, string? y) =>
            x is null || y is null ? ReferenceEquals(x, y) : string.Equals(Fold(x), Fold(y), StringComparison.Ordinal);

        public override int GetHashCode(string obj)
        {
            ArgumentNullException.ThrowIfNull(obj);
            return Fold(obj).GetHashCode(StringComparison.Ordinal);
        }
    }
}
