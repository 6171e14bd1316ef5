using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Autotask.Integration.Testing.Engine;

/// <summary>The shapes of the simulator's answers: item ids, errors, threshold refusals, JSON bodies, and the request log.</summary>
internal sealed partial class SimulatorEngine
{
    private static EngineResponse ItemId(long id) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("itemId", id);
        w.WriteEndObject();
    });

    private static EngineResponse Throttled(TimeSpan retryAfter, string message)
    {
        var response = Error((HttpStatusCode)429, message);
        var seconds = Math.Max(0, (int)Math.Ceiling(retryAfter.TotalSeconds));
        return response with { Headers = [.. response.Headers, new("Retry-After", seconds.ToString(CultureInfo.InvariantCulture))] };
    }

    private static EngineResponse Error(HttpStatusCode status, params string[] errors) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("errors");
        foreach (var error in errors)
        {
            w.WriteStringValue(error);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }, (int)status);

    private static EngineResponse Json(Action<Utf8JsonWriter> write, int status = 200)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return new EngineResponse(status, buffer.WrittenSpan.ToArray(), [new("Content-Type", "application/json; charset=utf-8")]);
    }

    private EngineResponse Record(EngineRequest request, string? entity, SimulatorFault? fault, EngineResponse response)
    {
        var body = request.Body.Length == 0 ? null : Encoding.UTF8.GetString(request.Body);
        var recorded = new RecordedRequest(
            request.Method, request.Uri.AbsolutePath, string.IsNullOrEmpty(request.Uri.Query) ? null : request.Uri.Query,
            entity, request.Headers.Keys.ToArray(), body,
            response.Fault is TransportFault.DropBeforeAnswer or TransportFault.RefuseBeforeRequest ? 0 : response.Status, fault);
        lock (_gate)
        {
            _requests.Add(recorded);
        }

        return response;
    }
}
