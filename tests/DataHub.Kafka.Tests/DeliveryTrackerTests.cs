using DataHub.Schema.V1;
using Microsoft.Extensions.Logging.Abstractions;

namespace DataHub.Kafka.Tests;

/// <summary>
/// Per-batch delivery tracking on the real producer against the mock brokers: a tracker counts the
/// messages published in its flow, and a message the brokers refuse fails that tracker's wait only.
/// </summary>
public sealed class DeliveryTrackerTests
{
    // Kafka's MESSAGE_TOO_LARGE on a produce request: permanent, the client does not retry it.
    private const short Produce = 0;
    private const int MessageTooLarge = 10;

    [Fact]
    public async Task A_tracker_waits_for_its_messages_and_they_are_on_the_topic()
    {
        using var cluster = new TestCluster(partitions: 2);
        using var bus = new KafkaEventBus(cluster.Options, NullLogger.Instance);
        var tracker = await PublishTrackedAsync(bus, Enumerable.Range(0, 20).Select(i => $"o{i}").ToArray());

        tracker.WaitAcknowledged(CancellationToken.None);
        Assert.Equal(0, tracker.Outstanding);
        Assert.Equal(20, bus.Produced);
        var origins = TopicReader.ReadAll<RawRecord>(cluster.Options.BootstrapServers, TopicProvisioner.Raw).Select(r => r.Origin);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"o{i}").Order(), origins.Order());
    }

    [Fact]
    public async Task A_refused_message_fails_the_wait_of_its_own_tracker_and_of_no_other()
    {
        using var cluster = new TestCluster(partitions: 1);
        using var bus = new KafkaEventBus(cluster.Options, NullLogger.Instance);
        var written = await PublishTrackedAsync(bus, "written");
        written.WaitAcknowledged(CancellationToken.None);

        // The next produce request is refused; the message goes out from a task the flow starts (as a projection does).
        cluster.Cluster.PushRequestErrors(Produce, MessageTooLarge);
        var refused = new KafkaEventBus.DeliveryTracker(bus);
        KafkaEventBus.Track(refused);
        await Task.Run(async () => await bus.PublishAsync(TopicProvisioner.Raw, "k", new RawRecord { Source = "s", Origin = "refused" }));
        KafkaEventBus.Track(null);

        var failure = Assert.Throws<KafkaDeliveryException>(() => refused.WaitAcknowledged(CancellationToken.None));
        Assert.Contains("not commit", failure.Message);
        Assert.Equal(0, refused.Outstanding);
        Assert.Equal(1, bus.Failed);
        // Neither the earlier tracker nor a flush of untracked messages answers for it.
        written.WaitAcknowledged(CancellationToken.None);
        await bus.PublishAsync(TopicProvisioner.Raw, "k", new RawRecord { Source = "s", Origin = "untracked" });
        await bus.FlushAsync();
        var origins = TopicReader.ReadAll<RawRecord>(cluster.Options.BootstrapServers, TopicProvisioner.Raw).Select(r => r.Origin);
        Assert.Equal(["untracked", "written"], origins.Order());
    }

    [Fact]
    public async Task What_a_flow_publishes_after_its_tracker_answered_is_counted_by_the_flush_instead()
    {
        using var cluster = new TestCluster(partitions: 1);
        using var bus = new KafkaEventBus(cluster.Options, NullLogger.Instance);
        var finished = new KafkaEventBus.DeliveryTracker(bus);
        KafkaEventBus.Track(finished);
        await bus.PublishAsync(TopicProvisioner.Raw, "k", new RawRecord { Source = "s", Origin = "tracked" });
        finished.WaitAcknowledged(CancellationToken.None);
        Assert.True(finished.Finished);

        // Still the flow's tracker (as for a timer that captured it), but its batch is committed: the refusal must not go unseen.
        cluster.Cluster.PushRequestErrors(Produce, MessageTooLarge);
        await bus.PublishAsync(TopicProvisioner.Raw, "k", new RawRecord { Source = "s", Origin = "late" });
        KafkaEventBus.Track(null);
        await Assert.ThrowsAsync<KafkaDeliveryException>(() => bus.FlushAsync());
        Assert.Equal(0, finished.Outstanding);
    }

    [Fact]
    public async Task A_wait_that_is_cancelled_says_so()
    {
        using var cluster = new TestCluster(partitions: 1);
        using var bus = new KafkaEventBus(cluster.Options, NullLogger.Instance);
        // Every broker down: the message cannot be acknowledged while the wait lasts.
        for (int b = 1; b <= cluster.Cluster.Brokers; b++) cluster.Cluster.SetBrokerDown(b);
        var tracker = await PublishTrackedAsync(bus, "o");
        using var window = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        Assert.ThrowsAny<OperationCanceledException>(() => tracker.WaitAcknowledged(window.Token));
        Assert.Equal(1, tracker.Outstanding);
        for (int b = 1; b <= cluster.Cluster.Brokers; b++) cluster.Cluster.SetBrokerUp(b);
        tracker.WaitAcknowledged(CancellationToken.None);
        Assert.Equal(0, tracker.Outstanding);
    }

    /// <summary>Publishes raw records with these origins, counted in a new tracker.</summary>
    private static async Task<KafkaEventBus.DeliveryTracker> PublishTrackedAsync(KafkaEventBus bus, params string[] origins)
    {
        var tracker = new KafkaEventBus.DeliveryTracker(bus);
        KafkaEventBus.Track(tracker);
        foreach (var origin in origins) await bus.PublishAsync(TopicProvisioner.Raw, origin, new RawRecord { Source = "s", Origin = origin });
        KafkaEventBus.Track(null);
        return tracker;
    }
}
