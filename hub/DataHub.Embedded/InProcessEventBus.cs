using System.Collections.Concurrent;
using System.Threading.Channels;
using DataHub.Core.Ingest;
using Google.Protobuf;

namespace DataHub.Embedded;

/// <summary>A message on the bus: topic, key (USCC for records and profiles) and the protobuf value.</summary>
public sealed record BusMessage(string Topic, string Key, IMessage Value);

/// <summary>
/// The embedded event bus: each subscriber gets its own bounded channel per topic. Publishing waits
/// when a stage's subscription is full, so a slow stage slows the pipeline instead of losing
/// messages; an outside watcher (a gRPC stream) that falls that far behind is cut off instead, so it
/// cannot stall ingest. With no subscriber, publishing costs nothing.
/// </summary>
public sealed class InProcessEventBus(int capacityPerSubscriber = 10_000) : IEventBus
{
    private readonly ConcurrentDictionary<string, ImmutableSubscribers> _topics = new(StringComparer.Ordinal);

    private sealed record Subscriber(Channel<BusMessage> Channel, bool CutOffWhenFull);

    private sealed record ImmutableSubscribers(Subscriber[] Channels);

    public async ValueTask PublishAsync(string topic, string key, IMessage message, CancellationToken cancellationToken = default)
    {
        if (!_topics.TryGetValue(topic, out var subscribers)) return;
        var m = new BusMessage(topic, key, message);
        foreach (var (channel, cutOff) in subscribers.Channels)
        {
            try
            {
                if (!cutOff) await channel.Writer.WriteAsync(m, cancellationToken);
                else if (!channel.Writer.TryWrite(m))
                    channel.Writer.TryComplete(new SubscriberOverflowException(topic, capacityPerSubscriber));
            }
            catch (ChannelClosedException)
            {
                // The subscriber left while this message was on its way.
            }
        }
    }

    public bool HasSubscribers(string topic) => _topics.TryGetValue(topic, out var subscribers) && subscribers.Channels.Length > 0;

    /// <summary>
    /// Receives every message published to <paramref name="topic"/> from now on, until disposed. With
    /// <paramref name="cutOffWhenFull"/>, a subscriber that lets its channel fill up is ended with
    /// <see cref="SubscriberOverflowException"/> instead of making publishers wait.
    /// </summary>
    public Subscription Subscribe(string topic, bool cutOffWhenFull = false)
    {
        var subscriber = new Subscriber(Channel.CreateBounded<BusMessage>(new BoundedChannelOptions(capacityPerSubscriber) { SingleReader = true }), cutOffWhenFull);
        _topics.AddOrUpdate(topic, _ => new([subscriber]), (_, s) => new([.. s.Channels, subscriber]));
        return new Subscription(subscriber.Channel.Reader, () =>
        {
            _topics.AddOrUpdate(topic, _ => new([]), (_, s) => new(s.Channels.Where(c => c != subscriber).ToArray()));
            subscriber.Channel.Writer.TryComplete();
        });
    }

    /// <summary>A live subscription; dispose to stop receiving.</summary>
    public sealed class Subscription(ChannelReader<BusMessage> reader, Action unsubscribe) : IDisposable
    {
        public ChannelReader<BusMessage> Reader { get; } = reader;

        public void Dispose() => unsubscribe();
    }
}

/// <summary>A watcher fell behind by a whole channel of messages and was cut off.</summary>
public sealed class SubscriberOverflowException(string topic, int capacity)
    : Exception($"The subscriber to {topic} fell {capacity} messages behind and was cut off; read the current state and subscribe again.");
