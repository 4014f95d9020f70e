using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DataHub.Grpc.Standard;
using Grpc.Health.V1;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DataHub.Grpc.Tests;

public sealed class TlsTests
{
    [Fact]
    public async Task With_a_certificate_grpc_is_served_over_tls_negotiated_as_h2_by_alpn()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));

        var registry = new GrpcServiceRegistry();
        var health = new HealthService();
        health.Bind(registry);
        health.SetStatus("", HealthCheckResponse.Types.ServingStatus.Serving);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenGrpc(IPAddress.Loopback, 0, certificate));
        builder.Services.AddSingleton(registry).AddSingleton(new GrpcServerOptions()).AddSingleton<GrpcServer>();
        await using var app = builder.Build();
        app.Run(app.Services.GetRequiredService<GrpcServer>().HandleAsync);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        Assert.Equal("https", address.Scheme);

        var pinned = certificate.GetCertHashString(HashAlgorithmName.SHA256);
        using var http = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && new X509Certificate2(cert).GetCertHashString(HashAlgorithmName.SHA256) == pinned },
        });
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(address, "/grpc.health.v1.Health/Check"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(GrpcTestServer.Frame(new HealthCheckRequest().ToByteArray())),
        };
        message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/grpc");
        using var response = await http.SendAsync(message);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, HealthCheckResponse.Parser.ParseFrom(body.AsSpan(5).ToArray()).Status);
    }
}
