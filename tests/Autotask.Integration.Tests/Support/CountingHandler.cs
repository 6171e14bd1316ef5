using System.Net;
using System.Text;

namespace Autotask.Integration.Tests.Support;

/// <summary>A primary handler that answers every request after a gate opens and counts requests in flight.</summary>
internal sealed class CountingHandler : HttpMessageHandler
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private int _maxInFlight;
    private int _sent;

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public int Sent => Volatile.Read(ref _sent);

    public int InFlight => Volatile.Read(ref _inFlight);

    public void Open() => _gate.TrySetResult();

    public bool HoldRequests { get; init; } = true;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _sent);
        var now = Interlocked.Increment(ref _inFlight);
        int max;
        while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
        {
        }

        try
        {
            if (HoldRequests)
            {
                await _gate.Task.WaitAsync(cancellationToken);
            }

            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent("""{"item":{"id":1}}""", Encoding.UTF8, "application/json"),
            };
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}
