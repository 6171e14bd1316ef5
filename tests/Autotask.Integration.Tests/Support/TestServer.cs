using System.Net;
using System.Net.Sockets;
using WireMock.Server;
using WireMock.Settings;

namespace Autotask.Integration.Tests.Support;

/// <summary>A WireMock server bound to 127.0.0.1 only, on a free port.</summary>
internal static class TestServer
{
    public static WireMockServer Start()
    {
        return WireMockServer.Start(new WireMockServerSettings
        {
            Urls = [$"http://127.0.0.1:{FreePort()}"],
            StartAdminInterface = false,
        });
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
