using Confluent.Kafka;
using DataHub.Core.Ingest;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace DataHub.Kafka;

/// <summary>
/// The event bus on Kafka: one idempotent producer (acks=all) for every topic. Publishing hands the
/// message to librdkafka and returns; <see cref="FlushAsync"/> waits until every message handed over
/// is acknowledged by the brokers, and throws if any could not be written. A stage counts what each
/// batch produces in a <see cref="DeliveryTracker"/> of its own (<see cref="Track"/>) and waits for that
/// batch's messages only before it commits the batch's offsets — so nothing it produced is lost if the
/// process dies after the commit, and the batch handled meanwhile is not waited for.
/// Local watchers (gRPC Watch streams of this process) get every message too, through <paramref name="local"/>.
/// </summary>
public sealed class KafkaEventBus : IEventBus, IDisposable
{
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly IEventBus? _local;
    private readonly ILogger _log;
    private readonly object _failureLock = new();
    private Exception? _failure;
    private long _produced, _failed;
    // One delegate for every untracked message: a method group converted at each call would allocate one per message.
    private readonly Action<DeliveryReport<byte[], byte[]>> _onDelivery;
    // The tracker of the batch whose work is running in this flow (a stage's thread and the tasks its handler starts).
    private static readonly AsyncLocal<DeliveryTracker?> Ambient = new();

    public KafkaEventBus(KafkaBusOptions options, ILogger log, IEventBus? local = null, string clientId = "datahub")
    {
        options.Validate();
        _local = local;
        _log = log;
        _onDelivery = OnDelivery;
        _producer = new ProducerBuilder<byte[], byte[]>(options.ProducerConfig(clientId))
            .SetLogHandler((_, m) => KafkaLog.Write(log, m))
            .SetErrorHandler((_, e) => { if (e.IsFatal) Fail(new KafkaException(e)); else log.LogWarning("Kafka producer: {Reason} ({Code})", e.Reason, e.Code); })
            .Build();
    }

    /// <summary>Messages acknowledged by the brokers so far.</summary>
    public long Produced => Interlocked.Read(ref _produced);

    /// <summary>Messages that could not be written (each also fails the next flush).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    public async ValueTask PublishAsync(string topic, string key, IMessage message, CancellationToken cancellationToken = default)
    {
        // A tracker whose batch is finished no longer counts: a timer or task that captured the flow publishes untracked.
        var tracker = Ambient.Value is { Finished: false } current ? current : null;
        Produce(topic, KafkaEnvelope.Wrap(key, message), tracker, cancellationToken);
        if (_local is not null) await _local.PublishAsync(topic, key, message, cancellationToken);
    }

    /// <summary>Always: a topic's subscribers are other platforms, which this process does not know.</summary>
    public bool HasSubscribers(string topic) => true;

    /// <summary>Hands a message to Kafka only (the relay of the workflows' outbox: local watchers already had it).</summary>
    public void Send(string topic, string key, IMessage message, CancellationToken cancellationToken = default) =>
        Produce(topic, KafkaEnvelope.Wrap(key, message), null, cancellationToken);

    /// <summary>
    /// Counts every message published from here on in this flow — the calling thread and the tasks it
    /// starts — in <paramref name="tracker"/> (null: counted by <see cref="FlushAsync"/> alone again).
    /// </summary>
    public static void Track(DeliveryTracker? tracker) => Ambient.Value = tracker;

    /// <summary>
    /// Hands a message over as is (the dead-letter queue keeps the original key, value and headers),
    /// counted in <paramref name="tracker"/> when one is given.
    /// </summary>
    internal void Produce(string topic, Message<byte[], byte[]> message, DeliveryTracker? tracker, CancellationToken cancellationToken)
    {
        // Counted before it is handed over: its acknowledgement may come before Produce returns.
        tracker?.Handed();
        while (true)
        {
            try
            {
                _producer.Produce(topic, message, tracker?.OnDelivery ?? _onDelivery);
                return;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The client's queue is full: let the brokers acknowledge some before handing over more.
                if (cancellationToken.IsCancellationRequested)
                {
                    tracker?.Withdrawn();
                    cancellationToken.ThrowIfCancellationRequested();
                }
                _producer.Poll(TimeSpan.FromMilliseconds(50));
            }
            catch
            {
                tracker?.Withdrawn();
                throw;
            }
        }
    }

    /// <summary>Waits until every message handed over is acknowledged; throws when one could not be written.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) => Task.Run(() =>
    {
        while (_producer.Flush(TimeSpan.FromMilliseconds(200)) > 0) cancellationToken.ThrowIfCancellationRequested();
        lock (_failureLock)
        {
            if (_failure is { } failure)
            {
                _failure = null;
                throw KafkaDeliveryException.NotWritten(failure);
            }
        }
    }, cancellationToken);

    private void OnDelivery(DeliveryReport<byte[], byte[]> report)
    {
        if (report.Error.IsError) Fail(new KafkaException(report.Error));
        else Interlocked.Increment(ref _produced);
    }

    private void Fail(Exception e)
    {
        CountFailure(e);
        lock (_failureLock) _failure ??= e;
    }

    /// <summary>Counts and logs a message that could not be written.</summary>
    private void CountFailure(Exception e)
    {
        Interlocked.Increment(ref _failed);
        _log.LogError("Kafka delivery failed: {Reason}", e.Message);
    }

    public void Dispose()
    {
        try { _producer.Flush(TimeSpan.FromSeconds(10)); } catch (KafkaException) { }
        _producer.Dispose();
    }

    /// <summary>
    /// The messages one batch's work produced, counted until the brokers acknowledge them: the stage
    /// waits for these before it commits the batch's offsets, not for everything the producer holds
    /// (which includes the output of the batch handled since). A message that could not be written
    /// fails this tracker's wait only.
    /// </summary>
    public sealed class DeliveryTracker
    {
        private readonly KafkaEventBus _bus;
        private readonly object _drained = new();
        private int _outstanding;
        private Exception? _failure;
        private volatile bool _finished;

        public DeliveryTracker(KafkaEventBus bus)
        {
            _bus = bus;
            OnDelivery = Delivered;
        }

        /// <summary>This tracker's delivery handler, one delegate for all its messages.</summary>
        internal Action<DeliveryReport<byte[], byte[]>> OnDelivery { get; }

        /// <summary>Messages handed to the producer and not acknowledged yet.</summary>
        public int Outstanding => Volatile.Read(ref _outstanding);

        /// <summary>Whether a wait has answered for this tracker's messages; what is published afterwards is not counted here.</summary>
        public bool Finished => _finished;

        internal void Handed() => Interlocked.Increment(ref _outstanding);

        /// <summary>A message counted by <see cref="Handed"/> that the producer did not take after all.</summary>
        internal void Withdrawn() => Settled();

        private void Delivered(DeliveryReport<byte[], byte[]> report)
        {
            if (report.Error.IsError)
            {
                var failure = new KafkaException(report.Error);
                _bus.CountFailure(failure);
                Interlocked.CompareExchange(ref _failure, failure, null);
            }
            else
            {
                Interlocked.Increment(ref _bus._produced);
            }
            Settled();
        }

        private void Settled()
        {
            if (Interlocked.Decrement(ref _outstanding) > 0) return;
            lock (_drained) Monitor.PulseAll(_drained);
        }

        /// <summary>
        /// Waits until every message counted here is acknowledged; throws <see cref="KafkaDeliveryException"/>
        /// when one could not be written, <see cref="OperationCanceledException"/> when cancelled first.
        /// </summary>
        public void WaitAcknowledged(CancellationToken cancellationToken)
        {
            lock (_drained)
            {
                while (Volatile.Read(ref _outstanding) > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    // A bounded wait, so that cancellation is seen.
                    Monitor.Wait(_drained, TimeSpan.FromMilliseconds(200));
                }
            }
            _finished = true;
            if (Volatile.Read(ref _failure) is { } failure)
                throw KafkaDeliveryException.NotWritten(failure);
        }
    }
}

/// <summary>Some messages handed to Kafka were not acknowledged.</summary>
public sealed class KafkaDeliveryException(string message, Exception inner) : Exception(message, inner)
{
    /// <summary>What a stage's flush or batch wait throws when a message it waited for could not be written.</summary>
    internal static KafkaDeliveryException NotWritten(Exception failure) =>
        new("Messages could not be written to Kafka; the stage does not commit and will process them again.", failure);
}

internal static class KafkaLog
{
    /// <summary>librdkafka's syslog levels onto ILogger levels.</summary>
    public static void Write(ILogger log, LogMessage m)
    {
        var level = m.Level switch
        {
            SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical or SyslogLevel.Error => LogLevel.Error,
            SyslogLevel.Warning => LogLevel.Warning,
            SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
            _ => LogLevel.Debug,
        };
        log.Log(level, "librdkafka {Facility} {Name}: {Message}", m.Facility, m.Name, m.Message);
    }
}

/// <summary>The raw Confluent.Kafka client's rates: the limits a stage's rate is measured against.</summary>
public static class KafkaThroughput
{
    /// <summary>
    /// Reads <paramref name="expected"/> messages of a topic from the beginning in a fresh consumer group,
    /// with the stages' consumer settings and nothing done per message; returns the time it took.
    /// </summary>
    public static TimeSpan ConsumeAll(KafkaBusOptions options, string topic, long expected, CancellationToken cancellationToken)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(options.ConsumerConfig($"{options.GroupPrefix}.baseline-{Guid.NewGuid():N}", "datahub-baseline")).Build();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        consumer.Subscribe(topic);
        long read = 0;
        while (read < expected)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is not null && !result.IsPartitionEOF) read++;
        }
        var elapsed = clock.Elapsed;
        consumer.Close();
        return elapsed;
    }

    /// <summary>
    /// The transport the two stages cannot do without, and nothing else: every message of <paramref name="from"/> is read in a fresh
    /// group and sent on, key and value as they came, to a topic of its own (as the normalize stage sends each record on), which a
    /// second group reads while sending one message in <paramref name="recordsPerProfile"/> on to a third (as the apply stage
    /// publishes profiles; the message sent is the record read, smaller than a profile). Each group takes batches as a stage does
    /// and commits a batch's offsets once that batch's output is acknowledged, checked after the next batch is read; the
    /// producers are the stages' (<see cref="KafkaEventBus"/>, idempotent, acks=all). Returns the time from the start until the
    /// second group has read every message and committed. The two topics <paramref name="to"/> must exist and be empty.
    /// </summary>
    public static async Task<TimeSpan> RelayTwiceAsync(KafkaBusOptions options, string from, (string Records, string Profiles) to, long expected, int recordsPerProfile, ILogger log, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var normalize = Task.Factory.StartNew(() => Relay(options, "normalize", from, to.Records, expected, 1, log, cancellationToken), TaskCreationOptions.LongRunning);
        var apply = Task.Factory.StartNew(() => Relay(options, "apply", to.Records, to.Profiles, expected, recordsPerProfile, log, cancellationToken), TaskCreationOptions.LongRunning);
        await Task.WhenAll(normalize, apply);
        return clock.Elapsed;
    }

    private static void Relay(KafkaBusOptions options, string stage, string from, string to, long expected, int sendOneIn, ILogger log, CancellationToken cancellationToken)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(options.ConsumerConfig($"{options.GroupPrefix}.transport-{stage}", "datahub-transport")).Build();
        using var bus = new KafkaEventBus(options, log, clientId: "datahub-transport");
        consumer.Subscribe(from);
        long read = 0;
        (KafkaEventBus.DeliveryTracker Output, List<TopicPartitionOffset> Offsets)? previous = null;
        while (read < expected)
        {
            var output = new KafkaEventBus.DeliveryTracker(bus);
            var offsets = new Dictionary<int, TopicPartitionOffset>();
            var batch = System.Diagnostics.Stopwatch.StartNew();
            for (int taken = 0; taken < options.MaxBatch && read < expected && batch.Elapsed < options.BatchWait;)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                cancellationToken.ThrowIfCancellationRequested();
                if (result is null || result.IsPartitionEOF) continue;
                taken++;
                offsets[result.Partition.Value] = new TopicPartitionOffset(result.TopicPartition, result.Offset + 1);
                if (++read % sendOneIn == 0)
                    bus.Produce(to, new Message<byte[], byte[]> { Key = result.Message.Key, Value = result.Message.Value }, output, cancellationToken);
            }
            if (previous is { } done)
            {
                done.Output.WaitAcknowledged(cancellationToken);
                if (done.Offsets.Count > 0) consumer.Commit(done.Offsets);
            }
            previous = (output, offsets.Values.ToList());
        }
        if (previous is { } last)
        {
            last.Output.WaitAcknowledged(cancellationToken);
            if (last.Offsets.Count > 0) consumer.Commit(last.Offsets);
        }
        consumer.Close();
    }

    /// <summary>
    /// Messages a topic holds (high minus low watermark, summed over partitions), and whether a
    /// partition's log no longer starts at offset 0 (the broker dropped its oldest messages).
    /// </summary>
    public static (long Messages, bool Truncated) Watermarks(KafkaBusOptions options, string topic)
    {
        using var admin = new AdminClientBuilder(options.AdminConfig("datahub-watermarks")).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(30)).Topics.Single().Partitions;
        using var consumer = new ConsumerBuilder<byte[], byte[]>(options.ConsumerConfig($"{options.GroupPrefix}.watermarks", "datahub-watermarks")).Build();
        long messages = 0;
        bool truncated = false;
        foreach (var p in partitions)
        {
            var w = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p.PartitionId), TimeSpan.FromSeconds(30));
            messages += w.High.Value - w.Low.Value;
            truncated |= w.Low.Value > 0;
        }
        return (messages, truncated);
    }
}
