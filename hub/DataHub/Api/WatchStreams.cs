using System.Collections.Concurrent;
using DataHub.Embedded;
using DataHub.Grpc;
using Google.Protobuf;

namespace DataHub.Api;

/// <summary>
/// The Watch* server streams: how many one agency may hold open (each costs a buffer and fan-out work
/// on every change), and relaying a bus topic to the caller until it hangs up or falls a whole buffer
/// behind (RESOURCE_EXHAUSTED: read the current state and watch again).
/// </summary>
internal sealed class WatchStreams(InProcessEventBus bus, string method)
{
    /// <summary>Open streams of one method per agency.</summary>
    internal const int MaxPerAgency = 16;

    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="watch"/> as one of the agency's open streams, or refuses when it holds too many.</summary>
    public async Task HoldAsync(string agency, Func<Task> watch)
    {
        if (_open.AddOrUpdate(agency, 1, (_, n) => n + 1) > MaxPerAgency)
        {
            _open.AddOrUpdate(agency, 0, (_, n) => n - 1);
            throw new RpcException(StatusCode.ResourceExhausted, $"Agency '{agency}' already holds {MaxPerAgency} {method} streams; close one first.");
        }
        try
        {
            await watch();
        }
        finally
        {
            _open.AddOrUpdate(agency, 0, (_, n) => n - 1);
        }
    }

    /// <summary>
    /// Subscribes to the topic, then (after <paramref name="opened"/>, e.g. the audit entry) sends the
    /// response headers and every message <paramref name="relay"/> turns into a response (null: not for this caller).
    /// </summary>
    public async Task RelayAsync<TResponse>(string topic, Func<BusMessage, TResponse?> relay, GrpcResponseStream<TResponse> responses, ServerCallContext context, Func<Task> opened)
        where TResponse : class, IMessage<TResponse>
    {
        using var subscription = bus.Subscribe(topic, cutOffWhenFull: true);
        await opened();
        await context.WriteResponseHeadersAsync();
        try
        {
            await foreach (var message in subscription.Reader.ReadAllAsync(context.CancellationToken))
                if (relay(message) is { } response) await responses.WriteAsync(response);
        }
        catch (SubscriberOverflowException e)
        {
            throw new RpcException(StatusCode.ResourceExhausted, e.Message);
        }
    }
}
