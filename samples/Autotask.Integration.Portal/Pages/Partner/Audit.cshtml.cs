using System.Globalization;
using System.Reflection;
using Autotask.Integration.Auditing;
using NodaTime;
using NodaTime.Text;

namespace Autotask.Integration.Portal.Pages.Partner;

/// <summary>The audit log of the partner's connection: filtered by operation, status and dates, newest first, paged.</summary>
public sealed class AuditModel(IAuditReader audit) : PartnerPage
{
    /// <summary>Events per page.</summary>
    public const int PageSize = 25;

    /// <summary>Every audited operation's name.</summary>
    public static IReadOnlyList<string> Operations { get; } = [.. typeof(AuditOperations).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).Order(StringComparer.Ordinal)];

    /// <summary>The operation filtered on.</summary>
    public string? Operation { get; private set; }

    /// <summary>The status filtered on.</summary>
    public AuditStatus? Status { get; private set; }

    /// <summary>The first day shown (ISO date), if any.</summary>
    public string? From { get; private set; }

    /// <summary>The last day shown (ISO date), if any.</summary>
    public string? To { get; private set; }

    /// <summary>The page, from 1.</summary>
    public int PageNumber { get; private set; } = 1;

    /// <summary>The events of the page.</summary>
    public IReadOnlyList<AuditEvent> Events { get; private set; } = [];

    /// <summary>Whether older events match.</summary>
    public bool HasMore { get; private set; }

    /// <summary>Shows a page of events.</summary>
    /// <param name="operation">Only this operation.</param>
    /// <param name="status">Only this status.</param>
    /// <param name="from">From this day (UTC).</param>
    /// <param name="to">To this day (UTC), inclusive.</param>
    /// <param name="pageNumber">The page.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task OnGetAsync(string? operation, string? status, string? from, string? to, int pageNumber = 1, CancellationToken cancellationToken = default)
    {
        Operation = Operations.Contains(operation) ? operation : null;
        if (!string.IsNullOrEmpty(operation) && Operation is null)
        {
            Problems.Add($"'{operation}' is not an audited operation.");
        }

        if (!string.IsNullOrEmpty(status))
        {
            Status = Enum.TryParse<AuditStatus>(status, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) ? parsed : null;
            if (Status is null)
            {
                Problems.Add($"'{status}' is not a status.");
            }
        }

        var start = Day(from, "From");
        var end = Day(to, "To");
        From = start?.ToString("R", CultureInfo.InvariantCulture);
        To = end?.ToString("R", CultureInfo.InvariantCulture);
        if (start is not null && end is not null && end < start)
        {
            Problems.Add("The last day is before the first day.");
        }

        PageNumber = Math.Max(1, pageNumber);
        if (Problems.Count > 0)
        {
            return;
        }

        var page = await audit.ReadAsync(new AuditQuery
        {
            Connection = Partner,
            Operation = Operation,
            Status = Status,
            From = start?.AtStartOfDayInZone(DateTimeZone.Utc).ToInstant(),
            Until = end?.PlusDays(1).AtStartOfDayInZone(DateTimeZone.Utc).ToInstant(),
            Skip = (PageNumber - 1) * PageSize,
            Take = PageSize,
        }, cancellationToken);
        Events = page.Events;
        HasMore = page.HasMore;
    }

    private LocalDate? Day(string? text, string what)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var parsed = LocalDatePattern.Iso.Parse(text);
        if (!parsed.Success)
        {
            Problems.Add($"{what} is not a date (yyyy-mm-dd).");
            return null;
        }

        return parsed.Value;
    }
}
