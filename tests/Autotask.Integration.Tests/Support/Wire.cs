using System.Globalization;
using System.Text;
using Autotask.Integration.Entities;

namespace Autotask.Integration.Tests.Support;

internal static class Wire
{
    public static string Companies(int from, int count) =>
        string.Join(",", Enumerable.Range(from, count).Select(i => string.Create(CultureInfo.InvariantCulture,
            $$$"""{"id":{{{i}}},"companyName":"Company {{{i}}}","companyType":1,"isActive":true,"createDate":"2026-01-0{{{1 + i % 9}}}T10:00:00.000","someFutureField":{"x":[1,2]}}""")));

    public static string Page(string items, string? nextPageUrl) =>
        $$$"""{"items":[{{{items}}}],"pageDetails":{"count":1,"requestCount":500,"prevPageUrl":null,"nextPageUrl":{{{(nextPageUrl is null ? "null" : "\"" + nextPageUrl + "\"")}}}}}""";

    public static string Errors(params string[] errors) =>
        "{\"errors\":[" + string.Join(",", errors.Select(e => "\"" + e + "\"")) + "]}";

    public static string Body(WireMock.Logging.ILogEntry entry) => entry.RequestMessage!.Body ?? Encoding.UTF8.GetString(entry.RequestMessage!.BodyAsBytes ?? []);
}

internal static class JsonText
{
    /// <summary>Parses JSON for assertions and snapshots, keeping date strings as they were sent.</summary>
    public static Newtonsoft.Json.Linq.JToken Parse(string json) =>
        Newtonsoft.Json.JsonConvert.DeserializeObject<Newtonsoft.Json.Linq.JToken>(json, new Newtonsoft.Json.JsonSerializerSettings
        {
            DateParseHandling = Newtonsoft.Json.DateParseHandling.None,
            FloatParseHandling = Newtonsoft.Json.FloatParseHandling.Decimal,
        })!;
}
