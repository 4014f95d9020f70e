using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace DataHub.Grpc;

/// <summary>The four kinds of gRPC method.</summary>
public enum MethodKind { Unary, ClientStreaming, ServerStreaming, DuplexStreaming }

/// <summary>A bound method: its path, kind and protoc descriptor.</summary>
public sealed record GrpcMethodInfo(string Path, MethodKind Kind, MethodDescriptor Descriptor)
{
    public string ServiceName => Descriptor.Service.FullName;
    public string MethodName => Descriptor.Name;
}

/// <summary>The caller's messages on a client- or bidirectional-streaming call, read as they arrive.</summary>
public sealed class GrpcRequestStream<T>(GrpcCall call, MessageParser<T> parser) : IAsyncEnumerable<T> where T : IMessage<T>
{
    private bool _started;

    /// <summary>The next message, or null when the caller has half-closed.</summary>
    public ValueTask<T?> ReadAsync() => call.ReadMessageAsync(parser);

    public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (_started) throw new InvalidOperationException("A request stream can be enumerated once.");
        _started = true;
        while (await ReadAsync() is { } message) yield return message;
    }
}

/// <summary>The response side of a server- or bidirectional-streaming call.</summary>
public sealed class GrpcResponseStream<T>(GrpcCall call) where T : IMessage<T>
{
    /// <summary>Sends one message (the response headers first, if not yet sent) and flushes it to the caller.</summary>
    public Task WriteAsync(T message) => call.WriteMessageAsync(message);
}

/// <summary>
/// A unary answer: a message, or that message's bytes already encoded (a cache can hold the bytes of a
/// message read far more often than it changes). Both go out alike: framing, gzip, the size limit.
/// </summary>
public readonly struct GrpcReply<T> where T : IMessage<T>
{
    private GrpcReply(T? message, ReadOnlyMemory<byte> encoded) => (Message, EncodedMessage) = (message, encoded);

    internal T? Message { get; }

    internal ReadOnlyMemory<byte> EncodedMessage { get; }

    /// <summary>The bytes of a <typeparamref name="T"/> in protobuf's binary encoding; not checked, so they must come from serializing one.</summary>
    public static GrpcReply<T> Encoded(ReadOnlyMemory<byte> bytes) => new(default, bytes);

    public static implicit operator GrpcReply<T>(T message) => new(message ?? throw new ArgumentNullException(nameof(message)), default);
}

/// <summary>A handler bound to a method descriptor.</summary>
internal abstract class MethodBinding(GrpcMethodInfo info)
{
    public GrpcMethodInfo Info { get; } = info;

    public abstract Task InvokeAsync(GrpcCall call);
}

internal sealed class UnaryBinding<TRequest, TResponse>(GrpcMethodInfo info, Func<TRequest, ServerCallContext, Task<TResponse>> handler) : MethodBinding(info)
    where TRequest : IMessage<TRequest>, new() where TResponse : IMessage<TResponse>
{
    private static readonly MessageParser<TRequest> Parser = new(() => new TRequest());

    public override async Task InvokeAsync(GrpcCall call)
    {
        var request = await call.ReadSingleMessageAsync(Parser);
        var response = await handler(request, call.Context);
        await call.WriteMessageAsync(response);
    }
}

internal sealed class UnaryReplyBinding<TRequest, TResponse>(GrpcMethodInfo info, Func<TRequest, ServerCallContext, Task<GrpcReply<TResponse>>> handler) : MethodBinding(info)
    where TRequest : IMessage<TRequest>, new() where TResponse : IMessage<TResponse>
{
    private static readonly MessageParser<TRequest> Parser = new(() => new TRequest());

    public override async Task InvokeAsync(GrpcCall call)
    {
        var request = await call.ReadSingleMessageAsync(Parser);
        var reply = await handler(request, call.Context);
        if (reply.Message is { } message) await call.WriteMessageAsync(message);
        else await call.WriteEncodedMessageAsync(reply.EncodedMessage);
    }
}

internal sealed class ClientStreamingBinding<TRequest, TResponse>(GrpcMethodInfo info, Func<GrpcRequestStream<TRequest>, ServerCallContext, Task<TResponse>> handler) : MethodBinding(info)
    where TRequest : IMessage<TRequest>, new() where TResponse : IMessage<TResponse>
{
    private static readonly MessageParser<TRequest> Parser = new(() => new TRequest());

    public override async Task InvokeAsync(GrpcCall call)
    {
        var response = await handler(new GrpcRequestStream<TRequest>(call, Parser), call.Context);
        await call.WriteMessageAsync(response);
    }
}

internal sealed class ServerStreamingBinding<TRequest, TResponse>(GrpcMethodInfo info, Func<TRequest, GrpcResponseStream<TResponse>, ServerCallContext, Task> handler) : MethodBinding(info)
    where TRequest : IMessage<TRequest>, new() where TResponse : IMessage<TResponse>
{
    private static readonly MessageParser<TRequest> Parser = new(() => new TRequest());

    public override async Task InvokeAsync(GrpcCall call)
    {
        var request = await call.ReadSingleMessageAsync(Parser);
        await handler(request, new GrpcResponseStream<TResponse>(call), call.Context);
    }
}

internal sealed class DuplexStreamingBinding<TRequest, TResponse>(GrpcMethodInfo info, Func<GrpcRequestStream<TRequest>, GrpcResponseStream<TResponse>, ServerCallContext, Task> handler) : MethodBinding(info)
    where TRequest : IMessage<TRequest>, new() where TResponse : IMessage<TResponse>
{
    private static readonly MessageParser<TRequest> Parser = new(() => new TRequest());

    public override Task InvokeAsync(GrpcCall call) =>
        handler(new GrpcRequestStream<TRequest>(call, Parser), new GrpcResponseStream<TResponse>(call), call.Context);
}

/// <summary>
/// The methods the server serves, each bound to the descriptor protoc generated for it. Binding
/// checks the handler's message types and streaming kind against the descriptor, and
/// <see cref="EnsureAllBound"/> refuses to start a server that leaves a declared method unbound.
/// </summary>
public sealed class GrpcServiceRegistry
{
    private readonly Dictionary<string, MethodBinding> _methods = new(StringComparer.Ordinal);

    public void AddUnary<TRequest, TResponse>(MethodDescriptor method, Func<TRequest, ServerCallContext, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>, new() where TResponse : IMessage<TResponse>
        => Add(new UnaryBinding<TRequest, TResponse>(Info<TRequest, TResponse>(method, MethodKind.Unary), handler));

    /// <summary>A unary method whose handler may answer with a message's encoded bytes (<see cref="GrpcReply{T}.Encoded"/>).</summary>
    public void AddUnaryReply<TRequest, TResponse>(MethodDescriptor method, Func<TRequest, ServerCallContext, Task<GrpcReply<TResponse>>> handler)
        where TRequest : IMessage<TRequest>, new() where TResponse : IMessage<TResponse>
        => Add(new UnaryReplyBinding<TRequest, TResponse>(Info<TRequest, TResponse>(method, MethodKind.Unary), handler));

    public void AddClientStreaming<TRequest, TResponse>(MethodDescriptor method, Func<GrpcRequestStream<TRequest>, ServerCallContext, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>, new() where TResponse : IMessage<TResponse>
        => Add(new ClientStreamingBinding<TRequest, TResponse>(Info<TRequest, TResponse>(method, MethodKind.ClientStreaming), handler));

    public void AddServerStreaming<TRequest, TResponse>(MethodDescriptor method, Func<TRequest, GrpcResponseStream<TResponse>, ServerCallContext, Task> handler)
        where TRequest : IMessage<TRequest>, new() where TResponse : IMessage<TResponse>
        => Add(new ServerStreamingBinding<TRequest, TResponse>(Info<TRequest, TResponse>(method, MethodKind.ServerStreaming), handler));

    public void AddDuplexStreaming<TRequest, TResponse>(MethodDescriptor method, Func<GrpcRequestStream<TRequest>, GrpcResponseStream<TResponse>, ServerCallContext, Task> handler)
        where TRequest : IMessage<TRequest>, new() where TResponse : IMessage<TResponse>
        => Add(new DuplexStreamingBinding<TRequest, TResponse>(Info<TRequest, TResponse>(method, MethodKind.DuplexStreaming), handler));

    /// <summary>Every bound method.</summary>
    public IEnumerable<GrpcMethodInfo> Methods => _methods.Values.Select(m => m.Info);

    /// <summary>The services with at least one bound method, by full name.</summary>
    public IReadOnlyList<ServiceDescriptor> Services =>
        _methods.Values.Select(m => m.Info.Descriptor.Service).DistinctBy(s => s.FullName).OrderBy(s => s.FullName, StringComparer.Ordinal).ToList();

    /// <summary>Throws, naming each one, when a method of a service declared in these files has no handler.</summary>
    public void EnsureAllBound(IEnumerable<FileDescriptor> files)
    {
        var missing = files.SelectMany(f => f.Services).SelectMany(s => s.Methods)
            .Select(PathOf).Where(p => !_methods.ContainsKey(p)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"gRPC methods declared in the protos have no handler: {string.Join(", ", missing)}. Bind them before starting the server.");
    }

    /// <summary>A method of a service declared in a protoc-generated file.</summary>
    public static MethodDescriptor FindMethod(FileDescriptor file, string service, string method) =>
        file.Services.SingleOrDefault(s => s.Name == service)?.Methods.SingleOrDefault(m => m.Name == method)
        ?? throw new ArgumentException($"{file.Name} declares no method {service}.{method}.");

    internal bool TryGet(string path, out MethodBinding binding) => _methods.TryGetValue(path, out binding!);

    internal bool HasService(string serviceName) => _methods.Values.Any(m => m.Info.ServiceName == serviceName);

    internal static string PathOf(MethodDescriptor method) => $"/{method.Service.FullName}/{method.Name}";

    private void Add(MethodBinding binding)
    {
        if (!_methods.TryAdd(binding.Info.Path, binding))
            throw new InvalidOperationException($"gRPC method {binding.Info.Path} is bound twice.");
    }

    private static GrpcMethodInfo Info<TRequest, TResponse>(MethodDescriptor method, MethodKind kind)
    {
        var declared = (method.IsClientStreaming, method.IsServerStreaming) switch
        {
            (false, false) => MethodKind.Unary,
            (true, false) => MethodKind.ClientStreaming,
            (false, true) => MethodKind.ServerStreaming,
            _ => MethodKind.DuplexStreaming,
        };
        if (declared != kind)
            throw new ArgumentException($"{PathOf(method)} is declared {declared} but bound as {kind}.");
        if (method.InputType.ClrType != typeof(TRequest) || method.OutputType.ClrType != typeof(TResponse))
            throw new ArgumentException($"{PathOf(method)} takes {method.InputType.FullName} and returns {method.OutputType.FullName}; the handler is for {typeof(TRequest).Name} → {typeof(TResponse).Name}.");
        return new GrpcMethodInfo(PathOf(method), kind, method);
    }
}
