using DataHub.Grpc.Tests.Echo;
using Google.Protobuf;

namespace DataHub.Grpc.Tests;

/// <summary>The test service: echoes, fails and sleeps on request, and records cancellations it saw.</summary>
internal sealed class EchoService
{
    public TaskCompletionSource<string> Cancelled { get; private set; } = NewSignal();

    /// <summary>Set when a client-streaming call has read its first message, or a delayed unary call has begun its wait.</summary>
    public TaskCompletionSource<string> Started { get; private set; } = NewSignal();

    public void ResetSignals()
    {
        Cancelled = NewSignal();
        Started = NewSignal();
    }

    private static TaskCompletionSource<string> NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Bind(GrpcServiceRegistry registry)
    {
        var file = EchoReflection.Descriptor;
        registry.AddUnaryReply<EchoRequest, EchoReply>(GrpcServiceRegistry.FindMethod(file, "Echo", "Unary"), UnaryAsync);
        registry.AddServerStreaming<EchoRequest, EchoReply>(GrpcServiceRegistry.FindMethod(file, "Echo", "ServerStream"), ServerStreamAsync);
        registry.AddClientStreaming<EchoRequest, EchoReply>(GrpcServiceRegistry.FindMethod(file, "Echo", "ClientStream"), ClientStreamAsync);
        registry.AddDuplexStreaming<EchoRequest, EchoReply>(GrpcServiceRegistry.FindMethod(file, "Echo", "Duplex"), DuplexAsync);
    }

    private async Task<GrpcReply<EchoReply>> UnaryAsync(EchoRequest request, ServerCallContext context)
    {
        CopyEchoMetadata(context);
        if (request.DelayMs > 0) Started.TrySetResult(context.Method);
        await Watch(context, () => Delay(request, context));
        Fail(request);
        var reply = new EchoReply { Text = request.Text, Blob = request.Blob };
        return request.Encoded ? GrpcReply<EchoReply>.Encoded(reply.ToByteArray()) : reply;
    }

    private async Task ServerStreamAsync(EchoRequest request, GrpcResponseStream<EchoReply> responses, ServerCallContext context)
    {
        CopyEchoMetadata(context);
        if (request.Text == "overlap")
        {
            // A handler bug: two writes at once. The second must be refused, not interleaved.
            var blob = Google.Protobuf.ByteString.CopyFrom(new byte[1 << 20]);
            var first = responses.WriteAsync(new EchoReply { Text = "first", Blob = blob });
            var second = responses.WriteAsync(new EchoReply { Text = "second" });
            await first;
            await second;
        }
        if (request.Text == "headers-first") await context.WriteResponseHeadersAsync();
        await Watch(context, async () =>
        {
            for (int i = 0; i < request.Count; i++)
            {
                await Delay(request, context);
                await responses.WriteAsync(new EchoReply { Text = request.Text, Index = i });
            }
        });
        Fail(request);
    }

    private async Task<EchoReply> ClientStreamAsync(GrpcRequestStream<EchoRequest> requests, ServerCallContext context)
    {
        var texts = new List<string>();
        await Watch(context, async () =>
        {
            await foreach (var request in requests)
            {
                Fail(request);
                texts.Add(request.Text);
                Started.TrySetResult(context.Method);
            }
        });
        return new EchoReply { Text = string.Join("|", texts), Index = texts.Count };
    }

    private async Task DuplexAsync(GrpcRequestStream<EchoRequest> requests, GrpcResponseStream<EchoReply> responses, ServerCallContext context)
    {
        int index = 0;
        await Watch(context, async () =>
        {
            await foreach (var request in requests)
            {
                Fail(request);
                await responses.WriteAsync(new EchoReply { Text = request.Text, Index = index++ });
            }
        });
    }

    /// <summary>Runs the work and records it when the call's token cancelled it.</summary>
    private async Task Watch(ServerCallContext context, Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            Cancelled.TrySetResult(context.Method);
            throw;
        }
    }

    private static Task Delay(EchoRequest request, ServerCallContext context) =>
        request.DelayMs > 0 ? Task.Delay(request.DelayMs, context.CancellationToken) : Task.CompletedTask;

    private static void Fail(EchoRequest request)
    {
        if (request.Crash) throw new InvalidOperationException("secret detail that must not reach the caller");
        if (request.FailWith != 0) throw new RpcException((StatusCode)request.FailWith, request.Text);
    }

    private static void CopyEchoMetadata(ServerCallContext context)
    {
        if (context.RequestHeaders.GetValue("x-echo") is { } text)
        {
            context.ResponseHeaders.Add("x-echo", text);
            context.ResponseTrailers.Add("x-echo-trailer", text);
        }
        if (context.RequestHeaders.GetBytes("x-echo-bin") is { } bytes)
        {
            context.ResponseHeaders.Add("x-echo-bin", bytes);
            context.ResponseTrailers.Add("x-echo-trailer-bin", bytes);
        }
    }

    public static EchoRequest Request(string text, int count = 0, int delayMs = 0, StatusCode failWith = StatusCode.OK, bool crash = false, byte[]? blob = null, bool encoded = false) =>
        new() { Text = text, Count = count, DelayMs = delayMs, FailWith = (int)failWith, Crash = crash, Blob = ByteString.CopyFrom(blob ?? []), Encoded = encoded };
}
