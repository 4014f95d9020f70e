using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Pipelines;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace DataHub.Grpc;

/// <summary>
/// One call on the wire: reads the caller's length-prefixed messages (5-byte prefix: compressed
/// flag, big-endian length), writes the response headers, messages and the status in trailers —
/// or a Trailers-Only response when failing before anything was sent.
/// </summary>
public sealed class GrpcCall
{
    private readonly HttpContext _http;
    private readonly PipeReader _reader;
    private readonly GrpcServerOptions _options;
    private readonly bool _requestGzip;
    private readonly bool _responseGzip;
    private bool _headersSent;
    private int _writing;

    internal GrpcCall(HttpContext http, GrpcServerOptions options, bool requestGzip, bool responseGzip)
    {
        _http = http;
        _reader = http.Request.BodyReader;
        _options = options;
        _requestGzip = requestGzip;
        _responseGzip = responseGzip;
    }

    public ServerCallContext Context { get; internal set; } = null!;

    internal bool HeadersSent => _headersSent;

    /// <summary>Cancels the call's token; set by the server, which owns it.</summary>
    internal Action CancelCall { get; set; } = () => { };

    private OperationCanceledException Cancelled(Exception cause)
    {
        CancelCall();
        return cause is OperationCanceledException oce && oce.CancellationToken == Context.CancellationToken
            ? oce
            : new OperationCanceledException("The call was cancelled: " + cause.Message, cause, Context.CancellationToken);
    }

    internal async ValueTask<T> ReadSingleMessageAsync<T>(MessageParser<T> parser) where T : IMessage<T>
    {
        var message = await ReadMessageAsync(parser)
            ?? throw new RpcException(StatusCode.Internal, "The request ended without a message; this method takes exactly one.");
        if (await ReadMessageAsync(parser) is not null)
            throw new RpcException(StatusCode.Internal, "The request carried more than one message; this method takes exactly one.");
        return message;
    }

    internal async ValueTask<T?> ReadMessageAsync<T>(MessageParser<T> parser) where T : IMessage<T>
    {
        while (true)
        {
            ReadResult result;
            try
            {
                result = await _reader.ReadAsync(Context.CancellationToken);
            }
            catch (BadHttpRequestException e)
            {
                // Kestrel refused the body (a limit): the caller's error, not a cancellation.
                throw new RpcException(StatusCode.ResourceExhausted, $"The request body was refused: {e.Message}");
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                // A reset stream surfaces as an I/O error or an aborted connection, possibly before
                // RequestAborted fires: the call is cancelled now, and handlers see one kind of cancellation.
                throw Cancelled(e);
            }
            var buffer = result.Buffer;
            if (buffer.Length >= 5)
            {
                var (flag, length) = ReadPrefix(buffer);
                if (flag > 1)
                    throw new RpcException(StatusCode.Internal, $"Compressed-Flag is {flag}; the protocol allows 0 or 1.");
                if (length > _options.MaxReceiveMessageSize)
                    throw new RpcException(StatusCode.ResourceExhausted, $"Received message larger than max ({length} vs. {_options.MaxReceiveMessageSize} bytes).");
                if (buffer.Length >= 5 + length)
                {
                    var payload = buffer.Slice(5, length);
                    T message;
                    try
                    {
                        message = flag == 1 ? parser.ParseFrom(Decompress(payload)) : parser.ParseFrom(payload);
                    }
                    catch (InvalidProtocolBufferException e)
                    {
                        throw new RpcException(StatusCode.Internal, $"The request message is not a valid {typeof(T).Name}: {e.Message}");
                    }
                    finally
                    {
                        _reader.AdvanceTo(buffer.GetPosition(5 + length));
                    }
                    return message;
                }
            }
            if (result.IsCompleted)
            {
                var incomplete = buffer.Length;
                _reader.AdvanceTo(buffer.End);
                if (incomplete > 0)
                    throw new RpcException(StatusCode.Internal, $"The request ended inside a message ({incomplete} bytes of an incomplete length-prefixed message).");
                return default;
            }
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static (byte Flag, uint Length) ReadPrefix(ReadOnlySequence<byte> buffer)
    {
        Span<byte> prefix = stackalloc byte[5];
        buffer.Slice(0, 5).CopyTo(prefix);
        return (prefix[0], BinaryPrimitives.ReadUInt32BigEndian(prefix[1..]));
    }

    private byte[] Decompress(ReadOnlySequence<byte> payload)
    {
        if (!_requestGzip)
            throw new RpcException(StatusCode.Internal, "A message has its Compressed-Flag set but the request declared no grpc-encoding.");
        using var input = new GZipStream(new MemoryStream(payload.ToArray()), CompressionMode.Decompress);
        using var output = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        try
        {
            while ((read = input.Read(chunk)) > 0)
            {
                output.Write(chunk, 0, read);
                if (output.Length > _options.MaxReceiveMessageSize)
                    throw new RpcException(StatusCode.ResourceExhausted, $"Received message larger than max after decompression (over {_options.MaxReceiveMessageSize} bytes).");
            }
        }
        catch (InvalidDataException e)
        {
            throw new RpcException(StatusCode.Internal, $"A gzip-compressed message could not be decompressed: {e.Message}");
        }
        return output.ToArray();
    }

    internal Task WriteMessageAsync(IMessage message) => WriteOneAsync(message, default);

    /// <summary>Sends a message given as its protobuf encoding, exactly as <see cref="WriteMessageAsync"/> would send the message.</summary>
    internal Task WriteEncodedMessageAsync(ReadOnlyMemory<byte> encoded) => WriteOneAsync(null, encoded);

    private async Task WriteOneAsync(IMessage? message, ReadOnlyMemory<byte> encoded)
    {
        // Messages of one call go out one at a time: overlapping writes would interleave frames.
        if (Interlocked.Exchange(ref _writing, 1) == 1)
            throw new InvalidOperationException("A message of this call is still being written; await each WriteAsync before the next.");
        try
        {
            await WriteMessageCoreAsync(message, encoded);
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }
    }

    /// <summary>Writes <paramref name="message"/>, or when it is null the message already encoded in <paramref name="encoded"/>.</summary>
    private async Task WriteMessageCoreAsync(IMessage? message, ReadOnlyMemory<byte> encoded)
    {
        Context.CancellationToken.ThrowIfCancellationRequested();
        var size = message?.CalculateSize() ?? encoded.Length;
        if (_options.MaxSendMessageSize is { } max && size > max)
            throw new RpcException(StatusCode.ResourceExhausted, $"Sending message larger than max ({size} vs. {max} bytes).");
        await WriteHeadersAsync();
        var writer = _http.Response.BodyWriter;
        if (_responseGzip)
        {
            using var compressed = new MemoryStream();
            using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                if (message is not null) message.WriteTo(gzip);
                else gzip.Write(encoded.Span);
            }
            var span = writer.GetSpan(5 + (int)compressed.Length);
            span[0] = 1;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)compressed.Length);
            compressed.GetBuffer().AsSpan(0, (int)compressed.Length).CopyTo(span[5..]);
            writer.Advance(5 + (int)compressed.Length);
        }
        else
        {
            var prefix = writer.GetSpan(5);
            prefix[0] = 0;
            BinaryPrimitives.WriteUInt32BigEndian(prefix[1..], (uint)size);
            writer.Advance(5);
            // Straight into the response pipe's pooled segments: a large message needs no contiguous buffer of its own.
            if (message is not null) message.WriteTo(writer);
            else writer.Write(encoded.Span);
        }
        try
        {
            await writer.FlushAsync(Context.CancellationToken);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            throw Cancelled(e);
        }
    }

    internal async Task WriteHeadersAsync(bool finishing = false)
    {
        if (_headersSent) return;
        _headersSent = true;
        var response = _http.Response;
        SetResponseHeaders(response);
        foreach (var entry in Context.ResponseHeaders) AppendHeader(response.Headers, entry);
        // While finishing, a deadline passing must not stop the status from going out.
        await response.StartAsync(finishing ? CancellationToken.None : Context.CancellationToken);
    }

    /// <summary>Puts the response headers on the wire now (Kestrel's StartAsync alone only queues them).</summary>
    internal async Task SendHeadersNowAsync()
    {
        await WriteHeadersAsync();
        await _http.Response.BodyWriter.FlushAsync(Context.CancellationToken);
    }

    /// <summary>Sends the status: in trailers after a started response, else as Trailers-Only.</summary>
    internal async Task FinishAsync(StatusCode status, string? message, Metadata trailers)
    {
        var response = _http.Response;
        if (!_headersSent && status == StatusCode.OK)
        {
            // A successful call that sent no message still gets headers, then its status in trailers.
            await WriteHeadersAsync(finishing: true);
        }
        if (!_headersSent)
        {
            _headersSent = true;
            SetResponseHeaders(response);
            response.Headers["grpc-status"] = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!string.IsNullOrEmpty(message)) response.Headers["grpc-message"] = GrpcWire.EncodeMessage(Shorten(message));
            foreach (var entry in Context?.ResponseHeaders ?? []) AppendHeader(response.Headers, entry);
            foreach (var entry in trailers) AppendHeader(response.Headers, entry);
            return;
        }
        response.AppendTrailer("grpc-status", ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(message)) response.AppendTrailer("grpc-message", GrpcWire.EncodeMessage(Shorten(message)));
        foreach (var entry in trailers)
            response.AppendTrailer(entry.Key, entry.IsBinary ? Metadata.EncodeBinary(entry.Bytes!) : entry.Value!);
    }

    /// <summary>Clients limit metadata to 8–16 KiB; a status message is cut well below that.</summary>
    private static string Shorten(string message) => message.Length > 1000 ? message[..1000] + "…" : message;

    private void SetResponseHeaders(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcWire.ContentType;
        response.Headers["grpc-accept-encoding"] = GrpcWire.AcceptedEncodings;
        if (_responseGzip) response.Headers["grpc-encoding"] = GrpcWire.Gzip;
    }

    private static void AppendHeader(IHeaderDictionary headers, Metadata.Entry entry) =>
        headers.Append(entry.Key, entry.IsBinary ? Metadata.EncodeBinary(entry.Bytes!) : entry.Value!);
}
