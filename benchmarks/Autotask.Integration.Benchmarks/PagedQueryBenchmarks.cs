using System.Text;
using System.Text.Json;
using Autotask.Integration.Entities;
using Autotask.Integration.Json;
using Autotask.Integration.Querying;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;

namespace Autotask.Integration.Benchmarks;

/// <summary>
/// Streams every company of a paged query through the SDK, against a baseline that reads the same bytes with a bare
/// HttpClient and the same source-generated System.Text.Json metadata, record by record, following nextPageUrl by hand.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 2, iterationCount: 8)]
public class PagedQueryBenchmarks
{
    private static readonly byte[] SearchBody = Encoding.UTF8.GetBytes("""{"filter":[{"op":"eq","field":"isActive","value":true}]}""");

    private PagedFeedHandler _handler = null!;
    private HttpClient _bare = null!;
    private ServiceProvider _services = null!;
    private IAutotaskClient _client = null!;
    private AutotaskQuery<Company> _query = null!;

    [Params(10_000, 100_000)]
    public int Records { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _handler = new PagedFeedHandler(Records);
        _bare = new HttpClient(_handler, disposeHandler: false);
        _services = _handler.CreateServices();
        _client = _services.GetRequiredService<IAutotaskClient>();
        _query = new AutotaskQuery<Company>().Where(Filter<Company>.Eq(c => c.IsActive, true));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        _bare.Dispose();
        _handler.Dispose();
    }

    [Benchmark(Baseline = true, Description = "bare HttpClient + source-generated STJ")]
    public async Task<long> Baseline()
    {
        long sum = 0;
        string? url = PagedFeedHandler.ZoneRoot + "Companies/query";
        while (url is not null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(SearchBody) };
            using var response = await _bare.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadAsByteArrayAsync();
            (sum, url) = ReadPage(body, sum);
        }

        return sum;
    }

    /// <summary>
    /// A page read with the same metadata, record by record, as the SDK reads it, but without keeping each record's JSON:
    /// what the SDK allocates beyond this per record is the JSON it keeps so that a replace changes only what was changed.
    /// </summary>
    private static (long Sum, string? Next) ReadPage(byte[] body, long sum)
    {
        var reader = new Utf8JsonReader(body);
        string? next = null;
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("items"u8))
            {
                reader.Read();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    sum += JsonSerializer.Deserialize(ref reader, AutotaskEntityJsonContext.Default.Company)!.Id;
                }
            }
            else if (reader.ValueTextEquals("pageDetails"u8))
            {
                reader.Read();
                next = JsonSerializer.Deserialize(ref reader, AutotaskJsonContext.Default.PageDetails)?.NextPageUrl;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return (sum, next);
    }

    [Benchmark(Description = "IAutotaskClient.QueryAsync")]
    public async Task<long> Sdk()
    {
        long sum = 0;
        await foreach (var company in _client.QueryAsync(_query))
        {
            sum += company.Id;
        }

        return sum;
    }
}
