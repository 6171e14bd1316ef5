using Autotask.Integration.Entities;
using Autotask.Integration.Querying;
using Autotask.Integration.Testing;
using Autotask.Integration.Tests.Support;

namespace Autotask.Integration.Tests.Querying;

/// <summary>
/// ReadAllAsync reads a large result in id ranges at once and a page ahead: every record exactly once, however the ids
/// fall, also while records are created during the read, and a range that fails ends the read with a typed error.
/// </summary>
public sealed class ReadAllTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly AutotaskQuery<Company> Active = new AutotaskQuery<Company>().Where(Filter<Company>.Eq(c => c.IsActive, true));

    /// <summary>
    /// 300 companies packed together, then 1,200 with ids in random gaps of 1 to 2,000 (so the first page's density of ids
    /// says nothing of the rest), one in seven inactive.
    /// </summary>
    private static SimulatorHarness Sparse(int seed, Action<AutotaskConnectionOptions>? connection = null)
    {
        var harness = SimulatorHarness.Create(new AutotaskSimulatorOptions { Seed = seed, DataSet = SimulatorDataSet.Empty, PageSize = 50 }, connection);
        var random = new Random(seed);
        long id = 1_000;
        for (var i = 0; i < 1_500; i++)
        {
            id += i < 300 ? 1 : random.Next(1, 2_000);
            harness.Simulator.Data.Add(new Company { Id = id, CompanyName = $"Company {i}", IsActive = i % 7 != 3, CompanyType = CompanyType.Customer });
        }

        return harness;
    }

    private static async Task<List<long>> Ids(IAsyncEnumerable<Company> companies)
    {
        var ids = new List<long>();
        await foreach (var company in companies)
        {
            ids.Add(company.Id);
        }

        return ids;
    }

    [Theory]
    [InlineData(2, true)]
    [InlineData(3, true)]
    [InlineData(3, false)]
    [InlineData(5, false)]
    public async Task Every_record_comes_exactly_once_however_sparse_the_ids(int streams, bool ordered)
    {
        await using var sim = Sparse(seed: streams * 10 + (ordered ? 1 : 0));
        var expected = sim.Simulator.Data.All<Company>().Where(c => c.IsActive == true).Select(c => c.Id).ToList();
        var sequentialRequests = (expected.Count + 49) / 50;

        var ids = await Ids(sim.Client.ReadAllAsync(Active, new AutotaskReadOptions { Streams = streams, Ordered = ordered }, Ct));

        Assert.Equal(expected.Count, ids.Distinct().Count());
        Assert.Equal(expected.Count, ids.Count);
        if (ordered)
        {
            Assert.Equal(expected, ids);
        }
        else
        {
            Assert.Equal(expected, ids.Order());
        }

        // One count and at most one partly filled page per range more than reading page after page.
        var requests = sim.Simulator.Requests.Count(r => r.Entity == "Companies");
        Assert.InRange(requests, sequentialRequests + 1, sequentialRequests + 1 + streams);
    }

    [Fact]
    public async Task The_ordered_read_gives_what_QueryAsync_gives()
    {
        await using var sim = Sparse(seed: 5);

        var plain = await Ids(sim.Client.QueryAsync(Active, Ct));
        var fast = await Ids(sim.Client.ReadAllAsync(Active, cancellationToken: Ct));

        Assert.Equal(plain, fast);
    }

    [Fact]
    public async Task Records_created_during_the_read_come_at_most_once_and_none_that_existed_is_lost()
    {
        await using var sim = Sparse(seed: 6);
        var existing = sim.Simulator.Data.All<Company>().Where(c => c.IsActive == true).Select(c => c.Id).ToHashSet();
        var created = new List<long>();
        var ids = new List<long>();
        await foreach (var company in sim.Client.ReadAllAsync(Active, new AutotaskReadOptions { Ordered = false }, Ct))
        {
            ids.Add(company.Id);
            if (ids.Count % 100 == 0)
            {
                created.Add(sim.Simulator.Data.Add(new Company { CompanyName = $"New {ids.Count}", IsActive = true, CompanyType = CompanyType.Customer }).Id);
            }
        }

        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Subset(ids.ToHashSet(), existing);
        Assert.All(ids, id => Assert.True(existing.Contains(id) || created.Contains(id), $"id {id} was neither there nor created"));
        Assert.NotEmpty(created);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_range_that_fails_ends_the_read_with_a_typed_error_never_short(bool ordered)
    {
        await using var sim = Sparse(seed: 7, connection: c => c.MaxRetryAttempts = 0);

        // The sixth query request (a range's page) fails for good.
        var queries = 0;
        sim.Simulator.Faults.Next(SimulatorFault.ServerError, 1, r => r.Entity == "Companies" && !r.Path.EndsWith("/count", StringComparison.Ordinal) && ++queries == 6);
        var read = new List<long>();

        var error = await Assert.ThrowsAsync<AutotaskServerException>(async () =>
        {
            await foreach (var company in sim.Client.ReadAllAsync(Active, new AutotaskReadOptions { Ordered = ordered }, Ct))
            {
                read.Add(company.Id);
            }
        });

        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.True(read.Count < sim.Simulator.Data.All<Company>().Count(c => c.IsActive == true));
    }

    [Fact]
    public async Task A_prefetching_single_range_read_gives_the_same_records_and_a_caller_that_stops_leaves_nothing_running()
    {
        await using var sim = Sparse(seed: 8);
        var plain = await Ids(sim.Client.QueryAsync(Active, Ct));
        var prefetched = await Ids(sim.Client.ReadAllAsync(Active, new AutotaskReadOptions { Streams = 1, Prefetch = true }, Ct));
        Assert.Equal(plain, prefetched);

        var before = sim.Simulator.Requests.Count;
        var taken = 0;
        await foreach (var company in sim.Client.ReadAllAsync(Active, new AutotaskReadOptions { Streams = 1 }, Ct))
        {
            if (++taken == 120)
            {
                break;
            }
        }

        // Three pages were read, and the fourth asked for ahead of the caller; nothing more.
        await Task.Delay(200, Ct);
        Assert.InRange(sim.Simulator.Requests.Count - before, 3, 4);
    }

    [Theory]
    [InlineData(0, 64)]
    [InlineData(17, 64)]
    [InlineData(3, 0)]
    public async Task Read_options_out_of_range_are_refused_before_anything_is_sent(int streams, int buffered)
    {
        await using var harness = SimulatorHarness.Create();
        var options = new AutotaskReadOptions { Streams = streams, MaxBufferedPages = buffered };

        Assert.Throws<ArgumentOutOfRangeException>(() => harness.Client.ReadAllAsync(Active, options, Ct));
        Assert.Empty(harness.Simulator.Requests);
    }

    [Theory]
    [InlineData(2, int.MaxValue)]
    [InlineData(3, 1 << 30)]
    public async Task An_unordered_read_with_a_buffer_too_large_to_share_as_an_int_reads_every_record(int streams, int buffered)
    {
        // Unordered, the ranges share one buffer of MaxBufferedPages per range: these many pages do not fit an int.
        await using var sim = Sparse(seed: 7);
        var expected = sim.Simulator.Data.All<Company>().Where(c => c.IsActive == true).Select(c => c.Id).ToList();

        var ids = await Ids(sim.Client.ReadAllAsync(Active, new AutotaskReadOptions { Streams = streams, Ordered = false, MaxBufferedPages = buffered }, Ct));

        Assert.Equal(expected, ids.Order());
    }

    [Fact]
    public void Ranges_cover_every_id_after_the_first_page_without_overlap()
    {
        var ranges = Autotask.Integration.Client.AutotaskClient.Ranges(firstId: 100, lastId: 599, firstCount: 500, total: 10_500, streams: 3);

        Assert.Equal(3, ranges.Count);
        Assert.Equal(600, ranges[0].From);
        Assert.Null(ranges[^1].To);
        for (var i = 1; i < ranges.Count; i++)
        {
            Assert.Equal(ranges[i - 1].To, ranges[i].From);
        }

        // 10,000 more records at one id each, 20 pages: ranges of 7 whole pages (3,500 ids), the last one open.
        Assert.Equal(600 + 3_500, ranges[1].From);
        Assert.Equal(600 + 7_000, ranges[2].From);
    }
}
