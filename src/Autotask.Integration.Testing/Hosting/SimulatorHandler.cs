using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Autotask.Integration.Testing.Engine;

namespace Autotask.Integration.Testing.Hosting;

/// <summary>
/// Delivers requests to an engine in process, with no sockets, and plays transport faults as .NET would see them.
/// Several engines (several MSPs' databases in one zone) are told apart as Autotask does: by the API user, named in
/// zone discovery's <c>user</c> parameter and in the <c>UserName</c> header.
/// </summary>
internal sealed class SimulatorHandler(IReadOnlyList<SimulatorEngine> engines) : HttpMessageHandler
{
    public SimulatorHandler(SimulatorEngine engine)
        : this([engine])
    {
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in request.Headers)
        {
            headers[header.Key] = string.Join(",", header.Value);
        }

        if (request.Content is not null)
        {
            foreach (var header in request.Content.Headers)
            {
                headers[header.Key] = string.Join(",", header.Value);
            }
        }

        var engine = Route(engines, headers, request.RequestUri!);
        var answer = await engine.HandleAsync(new EngineRequest(request.Method.Method, request.RequestUri!, headers, body), cancellationToken).ConfigureAwait(false);
        switch (answer.Fault)
        {
            case TransportFault.RefuseBeforeRequest:
                throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (simulated).",
                    new SocketException((int)SocketError.ConnectionRefused));
            case TransportFault.DropBeforeAnswer:
                throw new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely (simulated).",
                    new IOException("The connection was closed by the server (simulated)."));
        }

        HttpContent content = answer.Fault == TransportFault.DropMidAnswer
            ? new StreamContent(new BreakingStream(answer.Body))
            : new ByteArrayContent(answer.Body);
        content.Headers.ContentLength = answer.Body.Length;
        var response = new HttpResponseMessage((HttpStatusCode)answer.Status) { RequestMessage = request, Content = content };
        foreach (var (name, value) in answer.Headers)
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                content.Headers.ContentType = MediaTypeHeaderValue.Parse(value);
            }
            else
            {
                response.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return response;
    }

    /// <summary>Gives the first half of the body, then fails as a reset connection does.</summary>
    private sealed class BreakingStream(byte[] body) : Stream
    {
        private readonly int _breakAt = body.Length / 2;
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => body.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= _breakAt)
            {
                throw new IOException("The connection was reset while the answer was read (simulated).");
            }

            var n = Math.Min(count, _breakAt - _position);
            Array.Copy(body, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>The database a request is for: the one whose API user it names (header, or the discovery query's <c>user</c>), else the first.</summary>
    internal static SimulatorEngine Route(IReadOnlyList<SimulatorEngine> engines, IReadOnlyDictionary<string, string> headers, Uri uri)
    {
        var user = headers.TryGetValue("UserName", out var userHeader)
            ? userHeader
            : System.Web.HttpUtility.ParseQueryString(uri.Query)["user"];
        return engines.FirstOrDefault(e => e.HasUser(user)) ?? engines[0];
    }
}
