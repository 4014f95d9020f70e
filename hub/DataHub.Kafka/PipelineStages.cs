using DataHub.Core.Ingest;
using DataHub.Schema.V1;
using Microsoft.Extensions.Logging;

namespace DataHub.Kafka;

/// <summary>
/// The normalize stage: raw records from <c>datahub.raw.v1</c> are mapped and normalized; records
/// with a USCC go to <c>datahub.records.v1</c> keyed by it (so one partition, and one process, owns
/// each enterprise); rejects go to quarantine and records without a USCC wait in the unresolved queue
/// of the store, as in the embedded pipeline. Parked records whose name has become known are sent on
/// when the stage is idle and after batches.
/// </summary>
public sealed class NormalizeStageHandler(IngestPipeline pipeline, IHubStore store, KafkaEventBus bus, TimeProvider time, ILogger log) : IStageHandler<RawRecord>
{
    private DateTimeOffset _lastResolve = DateTimeOffset.MinValue;

    /// <summary>How often parked records are checked against the names now known.</summary>
    public TimeSpan ResolveInterval { get; init; } = TimeSpan.FromSeconds(5);

    private long _forwarded;

    public IngestSummary Total { get; private set; } = new();

    /// <summary>Records sent on to the apply stage (counted when handed to the producer; acknowledged before the batch commits).</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    public async Task<StageOutcome> HandleAsync(IReadOnlyList<RawRecord> batch, CancellationToken cancellationToken)
    {
        var (records, summary) = pipeline.Normalize(batch);
        foreach (var record in records) await bus.PublishAsync(Topics.Records, record.Uscc, record, cancellationToken);
        Total += summary;
        Interlocked.Add(ref _forwarded, records.Count);
        await ResolveWhenDueAsync(cancellationToken);
        return StageOutcome.Done([]);
    }

    public bool IsHealthy() => StoreHealth.Answers(store);

    public Task OnIdleAsync(CancellationToken cancellationToken) => ResolveWhenDueAsync(cancellationToken);

    private async Task ResolveWhenDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (now - _lastResolve < ResolveInterval) return;
        _lastResolve = now;
        var forwarded = await pipeline.ForwardResolvedAsync(async resolved =>
        {
            foreach (var record in resolved) await bus.PublishAsync(Topics.Records, record.Uscc, record, cancellationToken);
            // They leave the queue only once the brokers have them.
            await bus.FlushAsync(cancellationToken);
        }, cancellationToken);
        if (forwarded > 0)
        {
            log.LogInformation("Normalize stage attached {Count} parked records by name and sent them on", forwarded);
            Interlocked.Add(ref _forwarded, forwarded);
            Total += new IngestSummary { ResolvedByName = forwarded, Unresolved = -forwarded };
        }
    }
}

/// <summary>
/// The apply stage: normalized records from <c>datahub.records.v1</c> are appended to the record log
/// (a record already there is a no-op) and the enterprises they touched are projected; the new
/// profiles go to <c>datahub.profiles.v1</c>. A record that is not normalized is refused (dead letter).
/// The handler returns once the batch is appended; its projection runs while the stage appends the next.
/// </summary>
public sealed class ApplyStageHandler(IngestPipeline pipeline, IHubStore store) : IStageHandler<CanonicalRecord>
{
    private readonly object _totalLock = new();
    private IngestSummary _total = new();

    /// <summary>What the batches applied so far did (counted when their projection completed).</summary>
    public IngestSummary Total { get { lock (_totalLock) return _total; } }

    public async Task<StageOutcome> HandleAsync(IReadOnlyList<CanonicalRecord> batch, CancellationToken cancellationToken)
    {
        var applied = await pipeline.BeginApplyAsync(batch, cancellationToken);
        var failures = applied.Rejected.Select(r => new StageFailure(r.Index, r.Reason.Code, r.Reason.Message)).ToList();
        return new StageOutcome(failures, CountWhenProjectedAsync(applied));
    }

    private async Task CountWhenProjectedAsync(AppliedBatch applied)
    {
        var projected = await applied.Projection;
        lock (_totalLock) _total += applied.Appended + projected;
    }

    public bool IsHealthy() => StoreHealth.Answers(store);

    public Task OnIdleAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Raw records into the pipeline over Kafka: the adapters', webhooks' and ingest API's side of
/// <c>datahub.raw.v1</c>, keyed in blocks of consecutive rows (see <see cref="SubmitAsync(IReadOnlyList{RawRecord}, CancellationToken)"/>).
/// An adapter's position is saved only after the brokers acknowledged its rows: a crash in between
/// fetches them again, and the stages find them already stored.
/// </summary>
public sealed class KafkaRawIngress(KafkaEventBus bus, IHubStore? store = null, TimeProvider? time = null) : IRawIntake
{
    public async Task<(IReadOnlyList<RecordOutcome> Outcomes, IngestSummary Summary)> SubmitAsync(IReadOnlyList<RawRecord> input, AdapterPosition? position, CancellationToken cancellationToken = default)
    {
        await SubmitAsync(input, cancellationToken);
        if (position is not null)
        {
            if (store is null) throw new InvalidOperationException("Adapter positions need the store; construct KafkaRawIngress with one.");
            using var batch = store.BeginBatch();
            batch.SaveAdapterPosition(position, (time ?? TimeProvider.System).GetUtcNow());
            batch.Commit();
        }
        var queued = new RecordOutcome(RecordOutcomeKind.Queued, null, []);
        return (input.Select(_ => queued).ToList(), new IngestSummary { Received = input.Count, Queued = input.Count });
    }

    /// <summary>Consecutive raw records that go to one partition under one key.</summary>
    public const int Block = 64;

    /// <summary>
    /// Hands the records to Kafka and waits until the brokers have them all. Each block of <see cref="Block"/>
    /// consecutive records is keyed by the origin of its first record: a large submission spreads evenly over
    /// the partitions, while neighbouring rows (often one enterprise's) stay together and in order, so they
    /// are normalized and applied in the same batches. Without a key the producer's sticky partitioner sends
    /// everything of about 10 ms to one partition, which fills a few partitions long before the others.
    /// </summary>
    public async Task SubmitAsync(IReadOnlyList<RawRecord> records, CancellationToken cancellationToken = default)
    {
        string key = "";
        for (int i = 0; i < records.Count; i++)
        {
            if (i % Block == 0) key = records[i].Origin;
            await bus.PublishAsync(TopicProvisioner.Raw, key, records[i], cancellationToken);
        }
        await bus.FlushAsync(cancellationToken);
    }
}

internal static class StoreHealth
{
    /// <summary>Whether the store answers (a failing batch is then the messages' fault, not an outage).</summary>
    public static bool Answers(IHubStore store)
    {
        try
        {
            store.Probe();
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }
}

/// <summary>
/// Relays the workflows' stored events (data-pull and linkage steps) from the bus outbox to their
/// topics: sends a page, waits for the brokers' acknowledgement, then removes it from the outbox. A
/// crash in between sends the page again (subscribers see an event at least once, never zero times).
/// </summary>
public sealed class BusOutboxRelay(IBusOutbox outbox, KafkaEventBus bus, ILogger log)
{
    /// <summary>How long to wait when the outbox is empty.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(200);

    private long _relayed;

    /// <summary>Events relayed since start.</summary>
    public long Relayed => Interlocked.Read(ref _relayed);

    /// <summary>Relays one page; returns how many events it sent.</summary>
    public async Task<int> RelayOnceAsync(CancellationToken cancellationToken)
    {
        var page = outbox.Next(500);
        if (page.Count == 0) return 0;
        foreach (var entry in page) bus.Send(entry.Topic, entry.Key, KafkaEnvelope.Parse(entry.Type, entry.Payload), cancellationToken);
        await bus.FlushAsync(cancellationToken);
        outbox.Remove(page[^1].Id);
        Interlocked.Add(ref _relayed, page.Count);
        return page.Count;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (await RelayOnceAsync(cancellationToken) > 0) continue;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The events stay in the outbox; the next round sends them again.
                log.LogWarning(e, "Workflow events could not be relayed to Kafka; trying again");
            }
            try { await Task.Delay(Interval, cancellationToken); } catch (OperationCanceledException) { return; }
        }
    }
}
