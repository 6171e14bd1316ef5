using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;

namespace Autotask.Integration.Benchmarks;

/// <summary>
/// Serves a fixed set of companies in pages of 500 from memory, as Autotask's query endpoint shapes them, each page
/// pointing at the next. The bytes are built once, so both the SDK and the baseline read exactly the same answers.
/// </summary>
internal sealed class PagedFeedHandler : HttpMessageHandler
{
    public const string ZoneRoot = "https://webservices1.autotask.net/atservicesrest/v1.0/";
    private readonly byte[][] _pages;

    public PagedFeedHandler(int records, int pageSize = 500)
    {
        var pageCount = (records + pageSize - 1) / pageSize;
        _pages = new byte[pageCount][];
        for (var page = 0; page < pageCount; page++)
        {
            var builder = new StringBuilder(pageSize * 420);
            builder.Append("{\"items\":[");
            var first = page * pageSize + 1;
            var last = Math.Min(records, first + pageSize - 1);
            for (var id = first; id <= last; id++)
            {
                if (id > first)
                {
                    builder.Append(',');
                }

                builder.Append(CultureInfo.InvariantCulture,
                    $"{{\"id\":{id},\"companyName\":\"Company {id} Ltd\",\"companyNumber\":\"C{id:000000}\",\"companyType\":1,\"isActive\":true," +
                    $"\"phone\":\"+1 555 {id % 10000:0000}\",\"webAddress\":\"https://c{id}.example\",\"address1\":\"{id} Main Street\",\"city\":\"Springfield\"," +
                    $"\"state\":\"IL\",\"postalCode\":\"62701\",\"countryID\":237,\"ownerResourceID\":29682885,\"createDate\":\"2024-03-0{id % 9 + 1}T10:15:00.000\"," +
                    $"\"lastActivityDate\":\"2026-11-2{id % 9}T08:00:00.000\",\"lastTrackedModifiedDateTime\":\"2026-11-2{id % 9}T08:00:00.000\",\"userDefinedFields\":[]}}");
            }

            var next = page + 1 < pageCount ? $"\"{ZoneRoot}Companies/query/next?page={page + 1}\"" : "null";
            builder.Append(CultureInfo.InvariantCulture, $"],\"pageDetails\":{{\"count\":{last - first + 1},\"requestCount\":{pageSize},\"prevPageUrl\":null,\"nextPageUrl\":{next}}}}}");
            _pages[page] = Encoding.UTF8.GetBytes(builder.ToString());
        }
    }

    public long TotalBytes => _pages.Sum(p => (long)p.Length);

    /// <summary>The SDK, registered as an application would, with this handler in place of the network and no hourly budget.</summary>
    /// <param name="configure">Adds to the registration, such as shared limits.</param>
    public ServiceProvider CreateServices(Action<AutotaskIntegrationBuilder>? configure = null)
    {
        var services = new ServiceCollection();
        var builder = services.AddAutotaskIntegration(o =>
        {
            o.Limits.PaceByThresholdInformation = false;
            o.AddConnection("bench", c =>
            {
                c.UserName = "bench@example.com";
                c.Secret = "secret";
                c.IntegrationCode = "INTEGRATIONCODE";
                c.ZoneUrl = "https://webservices1.autotask.net/atservicesrest/";
                c.HourlyRequestBudget = int.MaxValue;
            });
        }).ConfigurePrimaryHttpMessageHandler(_ => this);
        configure?.Invoke(builder);
        return services.BuildServiceProvider();
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var query = request.RequestUri!.Query;
        var page = query.StartsWith("?page=", StringComparison.Ordinal) ? int.Parse(query.AsSpan(6), CultureInfo.InvariantCulture) : 0;
        var content = new ByteArrayContent(_pages[page]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request });
    }
}
