using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DataHub.Grpc;

/// <summary>Kestrel listening for gRPC: h2c on a plain port, or TLS with ALPN "h2" when a certificate is given.</summary>
public static class GrpcHosting
{
    public static void ListenGrpc(this KestrelServerOptions kestrel, System.Net.IPAddress address, int port, X509Certificate2? certificate = null)
    {
        kestrel.Listen(address, port, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            if (certificate is not null) listen.UseHttps(certificate);
        });
    }
}
