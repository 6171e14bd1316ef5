using Autotask.Integration.Auditing;
using NodaTime;

namespace Autotask.Integration.Tests.Mapping;

/// <summary>
/// What an audit-log page reads: one connection's events, filtered by operation, status and time, newest first, a page
/// at a time. The same scenario runs on each reader (the SQL stores through <see cref="MappingStoreConformance"/>).
/// </summary>
public static class AuditReaderScenario
{
    private static readonly Instant Start = Instant.FromUtc(2026, 11, 1, 9, 0);

    public static async Task RunAsync(IAuditSink sink, IAuditReader reader, CancellationToken ct)
    {
        // 30 events of connection a, one an hour: every third a failed customer mapping, the rest quantity updates; and
        // events of connection b, which a's page never shows.
        for (var i = 0; i < 30; i++)
        {
            var failed = i % 3 == 0;
            await sink.WriteAsync(Event("a", i, failed ? AuditOperations.CreateConnectionCustomerMapping : AuditOperations.UpdateSubscriptionQuantity,
                failed ? AuditStatus.Failed : AuditStatus.Succeeded), ct);
            await sink.WriteAsync(Event("b", i, AuditOperations.UpdateSubscriptionQuantity, AuditStatus.Succeeded), ct);
        }

        var first = await reader.ReadAsync(new AuditQuery { Connection = "a", Take = 12 }, ct);
        Assert.True(first.HasMore);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"a-{29 - i:D2}"), first.Events.Select(e => e.EventId));
        var last = await reader.ReadAsync(new AuditQuery { Connection = "a", Skip = 24, Take = 12 }, ct);
        Assert.False(last.HasMore);
        Assert.Equal(Enumerable.Range(24, 6).Select(i => $"a-{29 - i:D2}"), last.Events.Select(e => e.EventId));
        var exact = await reader.ReadAsync(new AuditQuery { Connection = "a", Skip = 20, Take = 10 }, ct);
        Assert.False(exact.HasMore);
        Assert.Equal(10, exact.Events.Count);

        var failures = await reader.ReadAsync(new AuditQuery { Connection = "a", Status = AuditStatus.Failed }, ct);
        Assert.Equal(10, failures.Events.Count);
        Assert.All(failures.Events, e => Assert.Equal(AuditOperations.CreateConnectionCustomerMapping, e.Operation));
        var updates = await reader.ReadAsync(new AuditQuery { Connection = "a", Operation = AuditOperations.UpdateSubscriptionQuantity, Status = AuditStatus.Succeeded }, ct);
        Assert.Equal(20, updates.Events.Count);

        // From is inclusive, Until exclusive, on the completion time.
        var window = await reader.ReadAsync(new AuditQuery { Connection = "a", From = Completed(5), Until = Completed(8) }, ct);
        Assert.Equal(["a-07", "a-06", "a-05"], window.Events.Select(e => e.EventId));
        var read = Assert.Single((await reader.ReadAsync(new AuditQuery { Connection = "a", From = Completed(3), Until = Completed(4) }, ct)).Events);
        Assert.Equal("a-03", read.EventId);
        Assert.Equal("cust-03", read.VendorIds["customer"]);
        Assert.Equal(103, read.AutotaskIds["company"]);
        Assert.Equal("Detail 3", read.Details);
        Assert.Equal(Start + Duration.FromHours(3), read.StartedAt);

        Assert.Empty((await reader.ReadAsync(new AuditQuery { Connection = "nobody" }, ct)).Events);
        await Assert.ThrowsAsync<ArgumentException>(() => reader.ReadAsync(new AuditQuery { Connection = "a", From = Completed(4), Until = Completed(4) }, ct));
    }

    private static Instant Completed(int i) => Start + Duration.FromHours(i) + Duration.FromSeconds(2);

    private static AuditEvent Event(string connection, int i, string operation, AuditStatus status) => new()
    {
        EventId = $"{connection}-{i:D2}",
        Operation = operation,
        Connection = connection,
        Status = status,
        VendorIds = new Dictionary<string, string> { ["customer"] = $"cust-{i:D2}" },
        AutotaskIds = new Dictionary<string, long> { ["company"] = 100 + i },
        Details = $"Detail {i}",
        StartedAt = Start + Duration.FromHours(i),
        CompletedAt = Completed(i),
    };
}

public sealed class AuditReaderTests
{
    [Fact]
    public async Task The_in_memory_sink_reads_back_filtered_and_paged()
    {
        var sink = new InMemoryAuditSink();
        await AuditReaderScenario.RunAsync(sink, sink, TestContext.Current.CancellationToken);
    }

    [Fact]
    public void A_query_refuses_a_page_size_or_offset_out_of_range_and_an_empty_connection()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AuditQuery { Connection = "a", Take = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new AuditQuery { Connection = "a", Take = 501 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new AuditQuery { Connection = "a", Skip = -1 });
        Assert.Throws<ArgumentException>(() => new AuditQuery { Connection = " " });
    }

    [Fact]
    public void A_query_refuses_an_empty_time_window_whichever_bound_is_set_last()
    {
        var start = Instant.FromUtc(2026, 11, 30, 9, 0);
        Assert.Throws<ArgumentException>(() => new AuditQuery { Connection = "a", From = start, Until = start });
        Assert.Throws<ArgumentException>(() => new AuditQuery { Connection = "a", Until = start, From = start + Duration.FromSeconds(1) });
        var open = new AuditQuery { Connection = "a", From = start };
        Assert.Throws<ArgumentException>(() => open with { Until = start - Duration.FromHours(1) });
        Assert.Equal(start + Duration.FromTicks(1), (open with { Until = start + Duration.FromTicks(1) }).Until);
    }
}
