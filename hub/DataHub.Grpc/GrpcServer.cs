using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DataHub.Grpc;

/// <summary>
/// Serves the registry's methods: a request delegate for Kestrel's HTTP/2 endpoint. Checks the
/// call definition (method, content type, encoding, timeout, metadata), runs the interceptors and the
/// handler under the call's deadline and cancellation, and maps the outcome to a gRPC status.
/// </summary>
public sealed partial class GrpcServer(GrpcServiceRegistry registry, GrpcServerOptions options, ILogger<GrpcServer> logger, IHostApplicationLifetime lifetime)
{
    public GrpcServiceRegistry Registry { get; } = registry;

    /// <summary>Calls by method and status, with latencies.</summary>
    public GrpcServerMetrics Metrics { get; } = new();

    public async Task HandleAsync(HttpContext http)
    {
        var request = http.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            http.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            http.Response.Headers.Allow = "POST";
            return;
        }
        if (!IsGrpcContentType(request.ContentType))
        {
            // Not gRPC at all: an HTTP answer, as the protocol asks (415), so proxies and browsers understand it.
            http.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.WriteAsync($"Content-Type '{request.ContentType}' is not gRPC; this port serves application/grpc only.");
            return;
        }

        var requestEncoding = request.Headers["grpc-encoding"].ToString();
        var requestGzip = requestEncoding == GrpcWire.Gzip;
        var acceptEncoding = request.Headers["grpc-accept-encoding"].ToString();
        var responseGzip = (requestGzip || options.ResponseCompression == GrpcWire.Gzip) && GrpcWire.Accepts(acceptEncoding, GrpcWire.Gzip);
        var call = new GrpcCall(http, options, requestGzip, responseGzip);
        var path = request.Path.Value ?? "";
        var started = System.Diagnostics.Stopwatch.GetTimestamp();

        using var deadline = new CancellationTokenSource();
        // Shutdown ends long-lived streams too, with UNAVAILABLE, instead of holding the host until it kills them.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, deadline.Token, lifetime.ApplicationStopping);
        call.CancelCall = () => { try { linked.Cancel(); } catch (ObjectDisposedException) { } };
        call.Context = new ServerCallContext(http, path, new Metadata(), null, linked.Token, call.SendHeadersNowAsync);

        StatusCode status;
        string? message;
        var trailers = call.Context.ResponseTrailers;
        try
        {
            if (requestEncoding.Length > 0 && requestEncoding != GrpcWire.Identity && !requestGzip)
                throw new RpcException(StatusCode.Unimplemented, $"grpc-encoding '{requestEncoding}' is not supported; this server accepts {GrpcWire.AcceptedEncodings}.");
            if (!request.ContentType!.StartsWith(GrpcWire.ContentType, StringComparison.OrdinalIgnoreCase) || !IsProtoCodec(request.ContentType))
                throw new RpcException(StatusCode.Unimplemented, $"Content-Type '{request.ContentType}': this server speaks application/grpc with protobuf messages only.");
            if (!Registry.TryGet(path, out var binding))
                throw new RpcException(StatusCode.Unimplemented, DescribeUnknown(path));

            DateTimeOffset? due = null;
            var timeoutHeader = request.Headers["grpc-timeout"].ToString();
            if (timeoutHeader.Length > 0)
            {
                if (!GrpcWire.TryParseTimeout(timeoutHeader, out var timeout))
                    throw new RpcException(StatusCode.InvalidArgument, $"grpc-timeout '{timeoutHeader}' is malformed; expected 1 to 8 digits and a unit H, M, S, m, u or n.");
                if (timeout is { } t)
                {
                    due = DateTimeOffset.UtcNow + t;
                    deadline.CancelAfter(t);
                }
            }
            call.Context = new ServerCallContext(http, path, ReadMetadata(request.Headers), due, linked.Token, call.SendHeadersNowAsync);
            LiftBodyLimits(http, binding.Info.Kind);
            trailers = call.Context.ResponseTrailers;

            await RunAsync(call, binding, 0);
            (status, message) = deadline.IsCancellationRequested
                ? (StatusCode.DeadlineExceeded, "Deadline exceeded: the call ran past its grpc-timeout.")
                : (StatusCode.OK, null);
        }
        catch (RpcException e) when (!deadline.IsCancellationRequested)
        {
            (status, message) = (e.Status, e.Message);
            foreach (var entry in e.Trailers)
            {
                if (entry.IsBinary) trailers.Add(entry.Key, entry.Bytes!);
                else trailers.Add(entry.Key, entry.Value!);
            }
        }
        catch (Exception) when (deadline.IsCancellationRequested)
        {
            (status, message) = (StatusCode.DeadlineExceeded, "Deadline exceeded: the call ran past its grpc-timeout.");
        }
        catch (Exception) when (lifetime.ApplicationStopping.IsCancellationRequested && !http.RequestAborted.IsCancellationRequested)
        {
            (status, message) = (StatusCode.Unavailable, "The server is shutting down; call again (another instance, or after the restart).");
        }
        catch (Exception) when (http.RequestAborted.IsCancellationRequested || linked.IsCancellationRequested)
        {
            // The caller cancelled (RST_STREAM) or went away: nothing more can reach it.
            LogCancelled(logger, path);
            Metrics.Record(MetricName(path), StatusCode.Cancelled, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            return;
        }
        catch (Exception e)
        {
            var reference = Guid.NewGuid().ToString("N")[..12];
            LogHandlerFailed(logger, e, path, reference);
            (status, message) = (StatusCode.Internal, $"Internal error while handling {path}; reference {reference} in the server log.");
        }
        var aborted = http.RequestAborted.IsCancellationRequested ||
                      (linked.IsCancellationRequested && !deadline.IsCancellationRequested && !lifetime.ApplicationStopping.IsCancellationRequested);
        Metrics.Record(MetricName(path), aborted ? StatusCode.Cancelled : status, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        if (aborted) return;
        try
        {
            await call.FinishAsync(status, message, trailers);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            LogCancelled(logger, path);
        }
    }

    private async Task RunAsync(GrpcCall call, MethodBinding binding, int interceptor)
    {
        if (interceptor == options.Interceptors.Count)
        {
            await binding.InvokeAsync(call);
            return;
        }
        await options.Interceptors[interceptor].InterceptAsync(call.Context, binding.Info, () => RunAsync(call, binding, interceptor + 1));
    }

    /// <summary>
    /// Kestrel's request-body limits are for HTTP uploads: a gRPC body is bounded message by message
    /// (MaxReceiveMessageSize, checked from each prefix before the message is buffered), and a
    /// streaming call may carry any number of messages and sit idle between them.
    /// </summary>
    private static void LiftBodyLimits(HttpContext http, MethodKind kind)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = null;
        if (kind is MethodKind.ClientStreaming or MethodKind.DuplexStreaming && http.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
            rate.MinDataRate = null;
    }

    /// <summary>Served methods by path; anything else under one label, so unknown paths cannot grow the metrics.</summary>
    private string MetricName(string path) => Registry.TryGet(path, out _) ? path : "unknown";

    private string DescribeUnknown(string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2) return $"'{path}' is not a gRPC method path (/package.Service/Method).";
        return Registry.HasService(parts[0])
            ? $"Method '{parts[1]}' is not implemented by service '{parts[0]}'."
            : $"Service '{parts[0]}' is not served here; server reflection lists the services.";
    }

    /// <summary>application/grpc, application/grpc+codec, with parameters; not grpc-web or look-alikes.</summary>
    private static bool IsGrpcContentType(string? contentType)
    {
        if (contentType is null) return false;
        var mediaType = contentType.Split(';')[0].Trim();
        return mediaType.Equals(GrpcWire.ContentType, StringComparison.OrdinalIgnoreCase) ||
               mediaType.StartsWith(GrpcWire.ContentType + "+", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>application/grpc and application/grpc+proto carry protobuf; +json and others are codecs this server lacks.</summary>
    private static bool IsProtoCodec(string contentType)
    {
        var mediaType = contentType.Split(';')[0].Trim();
        return mediaType.Equals(GrpcWire.ContentType, StringComparison.OrdinalIgnoreCase) ||
               mediaType.Equals(GrpcWire.ContentType + "+proto", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Custom metadata: everything but the call definition and reserved grpc- headers; "-bin" values decoded.</summary>
    private static Metadata ReadMetadata(IHeaderDictionary headers)
    {
        var metadata = new Metadata();
        foreach (var (name, values) in headers)
        {
            var key = name.ToLowerInvariant();
            if (key.StartsWith(':') || key.StartsWith("grpc-", StringComparison.Ordinal) || key is "content-type" or "te" or "host" or "content-length") continue;
            foreach (var value in values)
            {
                if (value is null) continue;
                // Headers that are not valid metadata (odd names or characters added on the way, say) are
                // left out rather than failing the call; a -bin value that is not base64 is the caller's error.
                if (Metadata.IsBinaryKey(key))
                {
                    try
                    {
                        foreach (var bytes in Metadata.DecodeBinary(value)) metadata.Add(key, bytes);
                    }
                    catch (FormatException)
                    {
                        throw new RpcException(StatusCode.InvalidArgument, $"Metadata '{key}' is not valid base64.");
                    }
                    catch (ArgumentException)
                    {
                    }
                }
                else
                {
                    try { metadata.Add(key, value); }
                    catch (ArgumentException) { }
                }
            }
        }
        return metadata;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "gRPC handler for {Method} failed (reference {Reference})")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string method, string reference);

    [LoggerMessage(Level = LogLevel.Debug, Message = "gRPC call {Method} cancelled by the caller")]
    private static partial void LogCancelled(ILogger logger, string method);
}
