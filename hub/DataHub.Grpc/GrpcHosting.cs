using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DataHub.Grpc;

/// <summary>Kestrel listening for gRPC: h2c on a plain port, or TLS with ALPN "h2" when a certificate is given.</summary>
public static class GrpcHosting
{
    private const string GrpcConnectionItem = "datahub.grpc-endpoint";

    /// <summary>Listens for gRPC only (HTTP/2); connections on this endpoint are marked for <see cref="IsGrpcEndpoint"/>.</summary>
    public static void ListenGrpc(this KestrelServerOptions kestrel, System.Net.IPAddress address, int port, X509Certificate2? certificate = null)
    {
        kestrel.Listen(address, port, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            if (certificate is not null) listen.UseHttps(certificate);
            listen.Use(next => connection =>
            {
                connection.Items[GrpcConnectionItem] = true;
                return next(connection);
            });
        });
    }

    /// <summary>Whether the request came in on an endpoint opened by <see cref="ListenGrpc"/>.</summary>
    public static bool IsGrpcEndpoint(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(GrpcConnectionItem) == true;
}
