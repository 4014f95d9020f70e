using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Threading.Channels;
using DataHub.Grpc.Standard;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DataHub.Grpc.Tests;

/// <summary>The layer on a real Kestrel (HTTP/2 cleartext on a loopback port), serving the echo, health and reflection services.</summary>
public class GrpcTestServer : IAsyncLifetime
{
    public const int MaxReceive = 64 * 1024;

    /// <summary>The layer's options; a fixture for other limits overrides this.</summary>
    protected virtual GrpcServerOptions Options() => new() { MaxReceiveMessageSize = MaxReceive };

    private WebApplication? _app;

    internal EchoService Echo { get; } = new();
    public HealthService Health { get; } = new();
    public GrpcServiceRegistry Registry { get; } = new();
    public Uri BaseAddress { get; private set; } = null!;
    public GrpcServer Server { get; private set; } = null!;
    public HttpClient Http { get; } = new(new SocketsHttpHandler { EnableMultipleHttp2Connections = true })
    {
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = TimeSpan.FromSeconds(30),
    };

    public async Task InitializeAsync()
    {
        Echo.Bind(Registry);
        Health.Bind(Registry);
        new ReflectionService(Registry).Bind();
        Health.SetStatus("", global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenGrpc(IPAddress.Loopback, 0));
        builder.Services.AddSingleton(Registry).AddSingleton(Options()).AddSingleton<GrpcServer>();
        _app = builder.Build();
        Server = _app.Services.GetRequiredService<GrpcServer>();
        _app.Run(Server.HandleAsync);
        await _app.StartAsync();
        var addresses = _app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
        BaseAddress = new Uri(addresses.Single());
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_app is not null) await _app.DisposeAsync();
    }

    /// <summary>Makes a call and reads the whole response.</summary>
    public async Task<GrpcResponse> CallAsync(string path, IEnumerable<IMessage> messages, Action<HttpRequestHeaders>? headers = null, bool gzip = false,
        string contentType = "application/grpc", CancellationToken cancellationToken = default)
    {
        var body = new MemoryStream();
        foreach (var m in messages) body.Write(Frame(m.ToByteArray(), gzip));
        return await SendAsync(path, new ByteArrayContent(body.ToArray()), headers, gzip, contentType, cancellationToken);
    }

    public async Task<GrpcResponse> SendAsync(string path, HttpContent content, Action<HttpRequestHeaders>? headers = null, bool gzip = false,
        string contentType = "application/grpc", CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseAddress, path)) { Content = content, Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        request.Headers.TryAddWithoutValidation("grpc-accept-encoding", "identity,gzip");
        if (gzip) request.Headers.TryAddWithoutValidation("grpc-encoding", "gzip");
        headers?.Invoke(request.Headers);
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return GrpcResponse.From(response, bytes);
    }

    /// <summary>Starts a call and returns as soon as the response headers are in, to read its messages one by one.</summary>
    public async Task<(HttpResponseMessage Response, Stream Body)> OpenAsync(string path, IMessage message, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseAddress, path))
        {
            Content = new ByteArrayContent(Frame(message.ToByteArray())),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/grpc");
        var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return (response, await response.Content.ReadAsStreamAsync(cancellationToken));
    }

    /// <summary>The next uncompressed message of a response body.</summary>
    public static async Task<byte[]> ReadMessageAsync(Stream body, CancellationToken cancellationToken)
    {
        var prefix = new byte[5];
        await body.ReadExactlyAsync(prefix, cancellationToken);
        var payload = new byte[BinaryPrimitives.ReadUInt32BigEndian(prefix.AsSpan(1))];
        await body.ReadExactlyAsync(payload, cancellationToken);
        return payload;
    }

    /// <summary>A length-prefixed message; gzip sets the compressed flag.</summary>
    public static byte[] Frame(byte[] message, bool gzip = false)
    {
        if (gzip)
        {
            using var ms = new MemoryStream();
            using (var z = new GZipStream(ms, CompressionLevel.Optimal, true)) z.Write(message);
            message = ms.ToArray();
        }
        var frame = new byte[5 + message.Length];
        frame[0] = gzip ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }
}

/// <summary>A request body written as the test goes: chunks from a channel, flushed one by one.</summary>
public sealed class PushContent : HttpContent
{
    private readonly Channel<byte[]> _chunks = Channel.CreateUnbounded<byte[]>();

    public void Push(byte[] chunk) => _chunks.Writer.TryWrite(chunk);

    public void Complete() => _chunks.Writer.TryComplete();

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await foreach (var chunk in _chunks.Reader.ReadAllAsync())
        {
            await stream.WriteAsync(chunk);
            await stream.FlushAsync();
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}

/// <summary>What came back: HTTP status, headers, decoded messages, trailers and the gRPC status.</summary>
public sealed record GrpcResponse(int HttpStatus, Dictionary<string, string> Headers, Dictionary<string, string> Trailers, List<(bool Compressed, byte[] Payload)> Messages, string Body)
{
    /// <summary>Trailers-Only: the status came in the headers and no trailers followed.</summary>
    public bool TrailersOnly => Headers.ContainsKey("grpc-status") && Trailers.Count == 0;

    public StatusCode Status => (StatusCode)int.Parse(TrailersOnly ? Headers["grpc-status"] : Trailers.GetValueOrDefault("grpc-status") ?? "-1");

    public string Message => GrpcWire.DecodeMessage((TrailersOnly ? Headers : Trailers).GetValueOrDefault("grpc-message") ?? "");

    public T Single<T>(MessageParser<T> parser) where T : IMessage<T>
    {
        Assert.True(Messages.Count == 1, $"expected one message, got {Messages.Count}; status {Status} '{Message}'");
        return parser.ParseFrom(Messages[0].Payload);
    }

    public List<T> All<T>(MessageParser<T> parser) where T : IMessage<T> => Messages.Select(m => parser.ParseFrom(m.Payload)).ToList();

    public static GrpcResponse From(HttpResponseMessage response, byte[] body)
    {
        static Dictionary<string, string> Flatten(IEnumerable<KeyValuePair<string, IEnumerable<string>>> headers) =>
            headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value));
        var headers = Flatten(response.Headers.Concat(response.Content.Headers));
        var messages = new List<(bool, byte[])>();
        var isGrpc = headers.GetValueOrDefault("content-type")?.StartsWith("application/grpc") == true;
        for (int at = 0; isGrpc && at + 5 <= body.Length;)
        {
            var compressed = body[at] == 1;
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(at + 1));
            var payload = body.AsSpan(at + 5, length).ToArray();
            if (compressed)
            {
                using var z = new GZipStream(new MemoryStream(payload), CompressionMode.Decompress);
                using var output = new MemoryStream();
                z.CopyTo(output);
                payload = output.ToArray();
            }
            messages.Add((compressed, payload));
            at += 5 + length;
        }
        return new GrpcResponse((int)response.StatusCode, headers, Flatten(response.TrailingHeaders), messages,
            isGrpc ? "" : System.Text.Encoding.UTF8.GetString(body));
    }
}

/// <summary>The test server with a send limit of 1 KiB.</summary>
public sealed class SendLimitedGrpcTestServer : GrpcTestServer
{
    public const int MaxSend = 1024;

    protected override GrpcServerOptions Options() => new() { MaxReceiveMessageSize = MaxReceive, MaxSendMessageSize = MaxSend };
}
