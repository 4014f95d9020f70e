using System.Text;
using Confluent.Kafka;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace DataHub.Kafka;

/// <summary>A message a stage handler could not process, by its index in the batch, with a code and a reason.</summary>
public sealed record StageFailure(int Index, string Code, string Reason, string ExceptionType = "");

/// <summary>
/// What a handler did with a batch: the messages it refuses (they go to the dead-letter topic), and
/// the part of its work still running when it returned (a projection), which the stage lets run while
/// it handles the next batch.
/// </summary>
public sealed record StageOutcome(IReadOnlyList<StageFailure> Failures, Task Completion)
{
    /// <summary>A batch handled completely before the handler returned.</summary>
    public static StageOutcome Done(IReadOnlyList<StageFailure> failures) => new(failures, Task.CompletedTask);
}

/// <summary>What a pipeline stage does with a batch of decoded messages.</summary>
public interface IStageHandler<T>
{
    /// <summary>
    /// Processes the batch (each message may arrive more than once; doing it twice must change
    /// nothing). Throws when the whole batch could not be processed (the store did not answer): the
    /// stage tries again. The outcome's completion may still be running; the batch counts as processed
    /// only when it has completed, and when it fails the stage processes the batch again.
    /// </summary>
    Task<StageOutcome> HandleAsync(IReadOnlyList<T> batch, CancellationToken cancellationToken);

    /// <summary>False while what the handler writes to is down: failures then are not the messages' fault.</summary>
    bool IsHealthy();

    /// <summary>Called when no message came for a while (periodic work such as forwarding resolved records).</summary>
    Task OnIdleAsync(CancellationToken cancellationToken);
}

/// <summary>Counts of a stage since start, for metrics and logs.</summary>
public sealed class StageCounters
{
    internal long ConsumedCount, HandledCount, DeadLetteredCount, BatchCount, RetryCount, HandleTicks, FlushTicks;
    public long Consumed => Interlocked.Read(ref ConsumedCount);
    public long Handled => Interlocked.Read(ref HandledCount);
    public long DeadLettered => Interlocked.Read(ref DeadLetteredCount);
    public long Batches => Interlocked.Read(ref BatchCount);
    public long Retries => Interlocked.Read(ref RetryCount);

    /// <summary>Time spent in the handler (store work), and waiting for the brokers to acknowledge what batches produced.</summary>
    public TimeSpan HandleTime => TimeSpan.FromTicks(Interlocked.Read(ref HandleTicks));
    public TimeSpan FlushTime => TimeSpan.FromTicks(Interlocked.Read(ref FlushTicks));
}

/// <summary>
/// One pipeline stage over Kafka, in the shape of a Kafka Connect sink task: a consumer in the stage's
/// group reads batches of at most <see cref="KafkaBusOptions.MaxBatch"/> messages, the handler
/// processes them, every message the batch's work produced is acknowledged (counted per batch in a
/// <see cref="KafkaEventBus.DeliveryTracker"/>), and only then are the batch's offsets committed — so
/// a crash at any point means the batch is read again, and applying it again is a no-op. A message
/// that cannot be decoded or that the handler refuses goes to <c>datahub.deadletter.v1</c> with headers
/// saying why, and the stage moves on. When partitions are revoked in a rebalance, the batch in hand
/// is finished and committed first.
/// One batch may be in flight: the stage handles batch N+1 while the work batch N left running (its
/// projection) completes, and commits N's offsets only once that work has completed and what it
/// produced is acknowledged — when the next batch is handled, when no message comes, on revoke and on
/// stop. If that work failed, batch N is handled again, completely, before its offsets move.
/// </summary>
public sealed class KafkaStage<T> where T : IMessage<T>, new()
{
    private readonly KafkaBusOptions _options;
    private readonly string _stage;
    private readonly string _topic;
    private readonly string _group;
    private readonly KafkaEventBus _bus;
    private readonly IStageHandler<T> _handler;
    private readonly ILogger _log;
    private readonly string _clientId;
    private readonly List<Consumed> _pending = [];
    private InFlight? _inFlight;
    private IConsumer<byte[], T>? _consumer;
    private CancellationToken _stopping;

    public KafkaStage(KafkaBusOptions options, string stage, string topic, KafkaEventBus bus, IStageHandler<T> handler, ILogger log, string clientId)
    {
        _options = options;
        _stage = stage;
        _topic = topic;
        _group = $"{options.GroupPrefix}.{stage}";
        _bus = bus;
        _handler = handler;
        _log = log;
        _clientId = clientId;
    }

    public StageCounters Counters { get; } = new();

    /// <summary>The consumer group this stage's processes share.</summary>
    public string Group => _group;

    /// <summary>Partitions this process owns right now.</summary>
    public IReadOnlyList<int> Assigned => _consumer?.Assignment.Select(p => p.Partition.Value).Order().ToList() ?? [];

    /// <summary>Runs until cancelled, on a thread of its own (the Kafka consumer blocks).</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Run(cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken cancellationToken)
    {
        _stopping = cancellationToken;
        using var consumer = new ConsumerBuilder<byte[], T>(_options.ConsumerConfig(_group, _clientId))
            .SetValueDeserializer(new KafkaEnvelope.Deserializer<T>())
            .SetLogHandler((_, m) => KafkaLog.Write(_log, m))
            .SetErrorHandler((_, e) => _log.Log(e.IsFatal ? LogLevel.Critical : LogLevel.Warning, "Kafka consumer of stage {Stage}: {Reason} ({Code})", _stage, e.Reason, e.Code))
            .SetPartitionsAssignedHandler((_, assigned) => _log.LogInformation("Stage {Stage} got partitions {Partitions} of {Topic}", _stage, string.Join(",", assigned.Select(p => p.Partition.Value)), _topic))
            // Commit on revoke: the batch in hand is finished before another process takes its partitions.
            .SetPartitionsRevokedHandler((c, revoked) =>
            {
                _log.LogInformation("Stage {Stage} hands back partitions {Partitions} of {Topic}", _stage, string.Join(",", revoked.Select(p => p.Partition.Value)), _topic);
                if (_stopping.IsCancellationRequested) return;
                ProcessPending(c);
                FinishInFlight(c);
            })
            // Lost (the group moved on without us): the new owner reads them again; their offsets are not committed.
            .SetPartitionsLostHandler((c, lost) =>
            {
                var partitions = lost.Select(p => p.TopicPartition).ToHashSet();
                _pending.RemoveAll(r => partitions.Contains(r.Result.TopicPartition));
                FinishInFlight(c, except: partitions);
                _log.LogWarning("Stage {Stage} lost partitions {Partitions}; their uncommitted messages will be read again by the new owner", _stage, string.Join(",", lost.Select(p => p.Partition.Value)));
            })
            .Build();
        _consumer = consumer;
        consumer.Subscribe(_topic);
        var deadline = DateTime.UtcNow + _options.BatchWait;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var wait = deadline - DateTime.UtcNow;
                Consumed? consumed;
                try
                {
                    var result = consumer.Consume(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
                    consumed = result is null || result.IsPartitionEOF ? null : Keep(result);
                }
                catch (ConsumeException e) when (e.Error.Code == ErrorCode.Local_ValueDeserialization && e.ConsumerRecord is { } refused)
                {
                    // The envelope check refused the value; the client has moved past it, and it is set aside with the batch.
                    consumed = Consumed.Refused(refused, e.InnerException);
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    // A fetch that failed (leader moved, broker down, timed out): the client fetches again from the same offset.
                    _log.LogWarning("Stage {Stage}: {Reason}; the client retries", _stage, e.Error.Reason);
                    consumed = null;
                }
                if (consumed is { } message)
                {
                    if (_pending.Count == 0) deadline = DateTime.UtcNow + _options.BatchWait;
                    _pending.Add(message);
                    Interlocked.Increment(ref Counters.ConsumedCount);
                }
                if (_pending.Count >= _options.MaxBatch || (_pending.Count > 0 && DateTime.UtcNow >= deadline))
                {
                    ProcessPending(consumer);
                    // The batch in flight is finished by the next batch, or after a quiet wait.
                    deadline = DateTime.UtcNow + _options.BatchWait;
                }
                else if (_pending.Count == 0 && DateTime.UtcNow >= deadline)
                {
                    FinishInFlight(consumer);
                    _handler.OnIdleAsync(cancellationToken).GetAwaiter().GetResult();
                    deadline = DateTime.UtcNow + _options.BatchWait;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            // A batch whose work is still running is let finish; committed only if it completed (a later owner repeats it otherwise).
            if (_inFlight is { } last)
            {
                _inFlight = null;
                if (Settle(last.Outcome.Completion) is null && CommitOnStop(consumer, last)) Count(last, 0);
            }
            _consumer = null;
            // Leave the group at once so the others take over without waiting for the session to time out.
            // Unprocessed messages are not committed; the next owner reads them.
            try { consumer.Close(); } catch (KafkaException e) { _log.LogWarning("Stage {Stage} could not leave its group cleanly: {Reason}", _stage, e.Message); }
        }
    }

    /// <summary>
    /// A consumed message as its batch keeps it until the offsets are committed. The client gives every message
    /// a topic string and header objects of its own; the topic is the stage's, and the envelope's usual two
    /// headers are one shared instance, so each message in hand holds — and the collector copies — about
    /// 400 bytes less. Other headers are kept as they came (a dead letter carries them on).
    /// </summary>
    private Consumed Keep(ConsumeResult<byte[], T> result)
    {
        result.Topic = _topic;
        if (KafkaEnvelope.HasOnlyEnvelopeHeaders<T>(result.Message.Headers)) result.Message.Headers = KafkaEnvelope.EnvelopeHeaders<T>();
        return new Consumed(result);
    }

    /// <summary>
    /// A consumed message, decoded; or one the envelope check refused (<see cref="Refusal"/> set), with its
    /// value's bytes as they came, for the dead-letter topic.
    /// </summary>
    private readonly record struct Consumed(ConsumeResult<byte[], T> Result, StageFailure? Refusal = null, byte[]? RefusedValue = null)
    {
        public static Consumed Refused(ConsumeResult<byte[], byte[]> raw, Exception? why)
        {
            var refusal = why is EnvelopeException e
                ? new StageFailure(0, e.Code, e.Message, nameof(EnvelopeException))
                : new StageFailure(0, "UNDECODABLE", why?.Message ?? "The value could not be decoded.", why?.GetType().FullName ?? "");
            var result = new ConsumeResult<byte[], T>
            {
                TopicPartitionOffset = raw.TopicPartitionOffset,
                Message = new Message<byte[], T> { Key = raw.Message.Key, Headers = raw.Message.Headers, Timestamp = raw.Message.Timestamp },
            };
            return new Consumed(result, refusal, raw.Message.Value);
        }
    }

    /// <summary>A handled batch whose offsets are not committed yet: its handler's work may still be running.</summary>
    private sealed record InFlight(List<Consumed> Batch, List<T> Decoded, List<int> DecodedFrom, List<(int Index, StageFailure Failure)> Undecodable, StageOutcome Outcome, KafkaEventBus.DeliveryTracker Deliveries);

    private void ProcessPending(IConsumer<byte[], T> consumer)
    {
        if (_pending.Count == 0) return;
        var batch = _pending.ToList();
        _pending.Clear();
        var decoded = new List<T>(batch.Count);
        var decodedFrom = new List<int>(batch.Count);
        var undecodable = new List<(int Index, StageFailure Failure)>();
        for (int i = 0; i < batch.Count; i++)
        {
            if (batch[i].Refusal is { } refusal)
            {
                undecodable.Add((i, refusal with { Index = i }));
                continue;
            }
            decoded.Add(batch[i].Result.Message.Value);
            decodedFrom.Add(i);
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var deliveries = new KafkaEventBus.DeliveryTracker(_bus);
        var outcome = HandleWithRetry(decoded, settle: false, deliveries);
        Interlocked.Add(ref Counters.HandleTicks, clock.Elapsed.Ticks);
        // The previous batch's work ran meanwhile; it is finished and committed before this one is in flight.
        var next = new InFlight(batch, decoded, decodedFrom, undecodable, outcome, deliveries);
        if (FinishInFlight(consumer, following: next)) _inFlight = next;
    }

    /// <summary>
    /// Waits for the batch in flight; when its work failed, handles it again to the end. Then sets its
    /// refused messages aside, waits until the brokers acknowledged everything its work produced (not
    /// what the batch handled since produced), and commits its offsets (except those of
    /// <paramref name="except"/>, partitions this process no longer owns).
    /// Returns false when the batch is to be read again, and then <paramref name="following"/>, the batch
    /// handled after it, with it.
    /// </summary>
    private bool FinishInFlight(IConsumer<byte[], T> consumer, IReadOnlySet<TopicPartition>? except = null, InFlight? following = null)
    {
        if (_inFlight is not { } done) return true;
        _inFlight = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var failures = done.Outcome.Failures;
        if (Settle(done.Outcome.Completion) is { } failed)
        {
            _stopping.ThrowIfCancellationRequested();
            if (except is not null)
            {
                // Partitions were lost: the batch is not repeated here (their enterprises have a new owner); what is still ours is read again.
                _log.LogWarning(failed, "Stage {Stage}: the work of a batch failed while partitions were lost; reading the rest of it again", _stage);
                ReadAgain(consumer, done, following, except);
                return false;
            }
            Interlocked.Increment(ref Counters.RetryCount);
            _log.LogWarning(failed, "Stage {Stage}: the work of a batch of {Count} failed after it was handled; handling the batch again", _stage, done.Decoded.Count);
            failures = HandleWithRetry(done.Decoded, settle: true, done.Deliveries).Failures;
        }
        Interlocked.Add(ref Counters.HandleTicks, clock.Elapsed.Ticks);
        clock.Restart();
        var deadLetters = done.Undecodable.Concat(failures.Select(f => (Index: done.DecodedFrom[f.Index], Failure: f)))
            .Where(d => except?.Contains(done.Batch[d.Index].Result.TopicPartition) != true).ToList();
        foreach (var (index, failure) in deadLetters) DeadLetter(done.Batch[index], failure, done.Deliveries);
        // Everything this batch produced (records, profiles, dead letters) is acknowledged before the offsets move.
        try
        {
            done.Deliveries.WaitAcknowledged(_stopping);
        }
        catch (KafkaDeliveryException e)
        {
            // Not everything reached the brokers: read the batch again and produce it again (applying twice is a no-op).
            _log.LogWarning(e, "Stage {Stage}: what a batch produced was not all acknowledged; reading the batch again", _stage);
            ReadAgain(consumer, done, following, except);
            Backoff(1);
            return false;
        }
        Interlocked.Add(ref Counters.FlushTicks, clock.Elapsed.Ticks);
        Commit(consumer, done.Batch.Where(r => except?.Contains(r.Result.TopicPartition) != true));
        Count(done, deadLetters.Count);
        return true;
    }

    /// <summary>
    /// Makes the consumer read a batch again, with the batch handled after it (whose work is let finish
    /// first), except partitions no longer owned.
    /// </summary>
    private static void ReadAgain(IConsumer<byte[], T> consumer, InFlight done, InFlight? following, IReadOnlySet<TopicPartition>? except)
    {
        var messages = done.Batch.AsEnumerable();
        if (following is not null)
        {
            Settle(following.Outcome.Completion);
            messages = messages.Concat(following.Batch);
        }
        foreach (var g in messages.GroupBy(r => r.Result.TopicPartition).Where(g => except?.Contains(g.Key) != true))
            consumer.Seek(new TopicPartitionOffset(g.Key, g.Min(r => r.Result.Offset.Value)));
    }

    /// <summary>On stop: commits a batch whose work completed, if the brokers acknowledge its output within a few seconds.</summary>
    private bool CommitOnStop(IConsumer<byte[], T> consumer, InFlight done)
    {
        if (done.Outcome.Failures.Count > 0 || done.Undecodable.Count > 0) return false;
        using var flushWindow = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            done.Deliveries.WaitAcknowledged(flushWindow.Token);
        }
        catch (Exception e) when (e is KafkaDeliveryException or OperationCanceledException)
        {
            return false;
        }
        Commit(consumer, done.Batch);
        return true;
    }

    private void Commit(IConsumer<byte[], T> consumer, IEnumerable<Consumed> batch)
    {
        // By partition number: the result's TopicPartition is made anew at each read (the stage reads one topic).
        var next = new Dictionary<int, long>();
        foreach (var r in batch)
        {
            long offset = r.Result.Offset.Value + 1;
            if (!next.TryGetValue(r.Result.Partition.Value, out var known) || offset > known) next[r.Result.Partition.Value] = offset;
        }
        if (next.Count == 0) return;
        var offsets = next.Select(p => new TopicPartitionOffset(_topic, p.Key, p.Value)).ToList();
        try
        {
            consumer.Commit(offsets);
        }
        catch (KafkaException e)
        {
            // The group moved these partitions on; their next owner reads the batch again, which changes nothing.
            _log.LogWarning("Stage {Stage} could not commit offsets ({Reason}); the batch may be read again", _stage, e.Error.Reason);
        }
    }

    private void Count(InFlight done, int deadLettered)
    {
        Interlocked.Add(ref Counters.HandledCount, done.Decoded.Count);
        Interlocked.Add(ref Counters.DeadLetteredCount, deadLettered);
        Interlocked.Increment(ref Counters.BatchCount);
    }

    /// <summary>Waits for a handler's remaining work; returns its failure, or null when it completed.</summary>
    private static Exception? Settle(Task completion)
    {
        try
        {
            completion.GetAwaiter().GetResult();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>
    /// Handles a batch; while the handler's store is down, waits and tries again (for as long as it
    /// takes: an outage is not the messages' fault). When a batch fails three times with the store up,
    /// each message is tried once on its own and the ones that fail alone are refused. With
    /// <paramref name="settle"/>, the handler's remaining work is waited for and its failure counts as
    /// the batch's. What the handler's work publishes — also the part still running when it returns —
    /// is counted in <paramref name="deliveries"/>.
    /// </summary>
    private StageOutcome HandleWithRetry(List<T> decoded, bool settle, KafkaEventBus.DeliveryTracker deliveries, bool alone = false)
    {
        if (decoded.Count == 0) return StageOutcome.Done([]);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                // Flows into the tasks the handler starts (its projection), so their profiles are counted too.
                KafkaEventBus.Track(deliveries);
                var outcome = _handler.HandleAsync(decoded, _stopping).GetAwaiter().GetResult();
                if (!settle) return outcome;
                outcome.Completion.GetAwaiter().GetResult();
                return StageOutcome.Done(outcome.Failures);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Interlocked.Increment(ref Counters.RetryCount);
                bool outage = !_handler.IsHealthy();
                if (outage || (!alone && attempt < 3))
                {
                    _log.LogWarning(e, "Stage {Stage} could not process a batch of {Count} (attempt {Attempt}{Outage}); trying again", _stage, decoded.Count, attempt, outage ? ", the store does not answer" : "");
                    Backoff(attempt);
                    continue;
                }
                if (alone) return StageOutcome.Done([new StageFailure(0, "HANDLER_FAILED", e.Message, e.GetType().FullName ?? e.GetType().Name)]);
                _log.LogWarning(e, "Stage {Stage}: a batch of {Count} fails with the store up; processing its messages one by one to set the failing ones aside", _stage, decoded.Count);
                var failures = new List<StageFailure>();
                for (int i = 0; i < decoded.Count; i++)
                    foreach (var f in HandleWithRetry([decoded[i]], settle: true, deliveries, alone: true).Failures) failures.Add(f with { Index = i });
                return StageOutcome.Done(failures);
            }
            finally
            {
                KafkaEventBus.Track(null);
            }
        }
    }

    /// <summary>
    /// Sets a message aside with headers saying why. A value the envelope check refused goes out as it came; a
    /// decoded one the handler refused goes out encoded again from what was decoded (equal field by field,
    /// unknown fields included; the stage does not keep every value's bytes for the rare refusal).
    /// </summary>
    private void DeadLetter(Consumed consumed, StageFailure failure, KafkaEventBus.DeliveryTracker deliveries)
    {
        var original = consumed.Result;
        _log.LogWarning("Stage {Stage} sets aside {Topic}[{Partition}]@{Offset}: {Code}: {Reason}", _stage, original.Topic, original.Partition.Value, original.Offset.Value, failure.Code, failure.Reason);
        var headers = new Headers();
        foreach (var h in original.Message.Headers ?? []) headers.Add(h.Key, h.GetValueBytes());
        void Add(string name, string value) => headers.Add("datahub.errors." + name, Encoding.UTF8.GetBytes(value));
        Add("topic", original.Topic);
        Add("partition", original.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("offset", original.Offset.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("stage", _stage);
        Add("group", _group);
        Add("reason", failure.Code);
        Add("exception.class.name", failure.ExceptionType);
        Add("exception.message", failure.Reason);
        var value = consumed.Refusal is null ? original.Message.Value.ToByteArray() : consumed.RefusedValue;
        _bus.Produce(TopicProvisioner.DeadLetter, new Message<byte[], byte[]> { Key = original.Message.Key, Value = value!, Headers = headers }, deliveries, _stopping);
    }

    private void Backoff(int attempt) =>
        _stopping.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(Math.Min(30_000, 100 * (1 << Math.Min(attempt, 9)))));
}
