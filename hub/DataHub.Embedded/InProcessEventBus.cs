using System.Collections.Concurrent;
using System.Threading.Channels;
using DataHub.Core.Ingest;
using Google.Protobuf;

namespace DataHub.Embedded;

/// <summary>A message on the bus: topic, key (USCC for records and profiles) and the protobuf value.</summary>
public sealed record BusMessage(string Topic, string Key, IMessage Value);

/// <summary>
/// The embedded event bus: each subscriber gets its own bounded channel per topic. Publishing waits
/// when a subscriber is full, so a slow subscriber slows the pipeline instead of losing messages;
/// with no subscriber, publishing costs nothing.
/// </summary>
public sealed class InProcessEventBus(int capacityPerSubscriber = 10_000) : IEventBus
{
    private readonly ConcurrentDictionary<string, ImmutableSubscribers> _topics = new(StringComparer.Ordinal);

    private sealed record ImmutableSubscribers(Channel<BusMessage>[] Channels);

    public async ValueTask PublishAsync(string topic, string key, IMessage message, CancellationToken cancellationToken = default)
    {
        if (!_topics.TryGetValue(topic, out var subscribers)) return;
        var m = new BusMessage(topic, key, message);
        foreach (var channel in subscribers.Channels)
        {
            try
            {
                await channel.Writer.WriteAsync(m, cancellationToken);
            }
            catch (ChannelClosedException)
            {
                // The subscriber left while this message was on its way.
            }
        }
    }

    /// <summary>Receives every message published to <paramref name="topic"/> from now on, until disposed.</summary>
    public Subscription Subscribe(string topic)
    {
        var channel = Channel.CreateBounded<BusMessage>(new BoundedChannelOptions(capacityPerSubscriber) { SingleReader = true });
        _topics.AddOrUpdate(topic, _ => new([channel]), (_, s) => new([.. s.Channels, channel]));
        return new Subscription(channel.Reader, () =>
        {
            _topics.AddOrUpdate(topic, _ => new([]), (_, s) => new(s.Channels.Where(c => c != channel).ToArray()));
            channel.Writer.TryComplete();
        });
    }

    /// <summary>A live subscription; dispose to stop receiving.</summary>
    public sealed class Subscription(ChannelReader<BusMessage> reader, Action unsubscribe) : IDisposable
    {
        public ChannelReader<BusMessage> Reader { get; } = reader;

        public void Dispose() => unsubscribe();
    }
}
