using System.Net;
using System.Net.Sockets;
using WireMock.Server;
using WireMock.Settings;

namespace Autotask.Integration.Tests.Support;

/// <summary>A WireMock server bound to 127.0.0.1 only, on a free port.</summary>
internal static class TestServer
{
    /// <summary>
    /// Starts the server on a port that was free a moment ago. Another test (or process) can take that port
    /// between the look-up and the bind, so a bind that finds it taken tries another port.
    /// </summary>
    /// <param name="port">Where the ports tried come from; a free one each time by default (tests of the retry give a taken one first).</param>
    public static WireMockServer Start(Func<int>? port = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return WireMockServer.Start(new WireMockServerSettings
                {
                    Urls = [$"http://127.0.0.1:{(port ?? FreePort)()}"],
                    StartAdminInterface = false,
                });
            }
            catch (Exception exception) when (attempt < 10 && IsAddressInUse(exception))
            {
            }
        }
    }

    private static bool IsAddressInUse(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                return true;
            }

            if (exception is AggregateException aggregate && aggregate.InnerExceptions.Any(IsAddressInUse))
            {
                return true;
            }
        }

        return false;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

internal static class WireMockServerExtensions
{
    /// <summary>The server's address by IP, as the client is allowed to reach it.</summary>
    public static string BaseUrl(this WireMockServer server) => $"http://127.0.0.1:{server.Port}";
}
