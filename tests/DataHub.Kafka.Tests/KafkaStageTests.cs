using System.Collections.Concurrent;
using Confluent.Kafka;
using DataHub.Core.Ingest;
using DataHub.Schema.V1;
using Microsoft.Extensions.Logging.Abstractions;

namespace DataHub.Kafka.Tests;

/// <summary>
/// The stage runtime on its own: a handler that fails on one message, one whose store is down for a
/// while, and one that leaves work running after it returns (the apply stage's projection).
/// </summary>
public sealed class KafkaStageTests
{
    private sealed class ScriptedHandler : IStageHandler<RawRecord>
    {
        public readonly ConcurrentBag<string> Handled = [];
        public string Poison = "";
        public int OutageCalls;
        public int Calls;
        /// <summary>The work a call leaves running (its completion); none when null.</summary>
        public Func<IReadOnlyList<RawRecord>, Task>? Work;

        public Task<StageOutcome> HandleAsync(IReadOnlyList<RawRecord> batch, CancellationToken cancellationToken)
        {
            Calls++;
            if (OutageCalls > 0) { OutageCalls--; throw new IOException("the store does not answer"); }
            if (batch.Any(r => r.Origin == Poison)) throw new InvalidOperationException("the projector cannot fold this record");
            if (Work is null) foreach (var r in batch) Handled.Add(r.Origin);
            return Task.FromResult(Work is null ? StageOutcome.Done([]) : new StageOutcome([], Completed(batch, Work(batch))));
        }

        private async Task Completed(IReadOnlyList<RawRecord> batch, Task work)
        {
            await work;
            foreach (var r in batch) Handled.Add(r.Origin);
        }

        public bool IsHealthy() => OutageCalls == 0;

        public Task OnIdleAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static async Task<(ScriptedHandler Handler, KafkaStage<RawRecord> Stage)> RunAsync(TestCluster cluster, ScriptedHandler handler, int messages, CancellationToken stop)
    {
        using (var bus = new KafkaEventBus(cluster.Options, NullLogger.Instance, clientId: "feeder"))
        {
            for (int i = 0; i < messages; i++) await bus.PublishAsync(TopicProvisioner.Raw, "", new RawRecord { Source = "s", Origin = $"o{i}" });
            await bus.FlushAsync();
        }
        var stageBus = new KafkaEventBus(cluster.Options, NullLogger.Instance, clientId: "stage");
        var stage = new KafkaStage<RawRecord>(cluster.Options, "test", TopicProvisioner.Raw, stageBus, handler, NullLogger.Instance, "stage");
        _ = stage.RunAsync(stop);
        return (handler, stage);
    }

    [Fact]
    public async Task A_message_that_fails_on_its_own_is_set_aside_and_the_rest_of_its_batch_is_handled()
    {
        using var cluster = new TestCluster(partitions: 1);
        using var stop = new CancellationTokenSource();
        var (handler, stage) = await RunAsync(cluster, new ScriptedHandler { Poison = "o7" }, 20, stop.Token);
        await TestData.WaitUntilAsync(() => handler.Handled.Count == 19 && stage.Counters.DeadLettered == 1, TimeSpan.FromSeconds(60),
            () => $"handled {handler.Handled.Count}, dead letters {stage.Counters.DeadLettered}");
        stop.Cancel();
        var letters = await Kcat.ReadAsync(cluster.Cluster.BootstrapServers, TopicProvisioner.DeadLetter, "%h\\n");
        var letter = Assert.Single(letters);
        Assert.Contains("datahub.errors.reason=HANDLER_FAILED", letter);
        Assert.Contains("datahub.errors.exception.class.name=System.InvalidOperationException", letter);
        Assert.Contains("datahub.errors.offset=7", letter);
        Assert.DoesNotContain("o7", handler.Handled);
    }

    [Fact]
    public async Task While_the_store_is_down_the_stage_waits_and_sets_nothing_aside()
    {
        using var cluster = new TestCluster(partitions: 1);
        using var stop = new CancellationTokenSource();
        var (handler, stage) = await RunAsync(cluster, new ScriptedHandler { OutageCalls = 5 }, 10, stop.Token);
        await TestData.WaitUntilAsync(() => handler.Handled.Count == 10, TimeSpan.FromSeconds(60), () => $"handled {handler.Handled.Count}, calls {handler.Calls}");
        stop.Cancel();
        Assert.Equal(0, stage.Counters.DeadLettered);
        Assert.True(stage.Counters.Retries >= 5);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"o{i}").Order(), handler.Handled.Order());
    }

    [Fact]
    public async Task A_batch_is_committed_only_once_the_work_it_left_running_has_completed()
    {
        using var cluster = new TestCluster(partitions: 1);
        using var stop = new CancellationTokenSource();
        var projection = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (handler, stage) = await RunAsync(cluster, new ScriptedHandler { Work = _ => projection.Task }, 10, stop.Token);
        await TestData.WaitUntilAsync(() => handler.Calls == 1, TimeSpan.FromSeconds(60), () => $"calls {handler.Calls}");
        // Handled, and quiet for many batch waits: the offsets must still not move while the work runs.
        await Task.Delay(cluster.Options.BatchWait * 5);
        Assert.Equal(0, CommittedOffset(cluster, stage));
        Assert.Equal(0, stage.Counters.Handled);
        projection.SetResult();
        await TestData.WaitUntilAsync(() => CommittedOffset(cluster, stage) == 10, TimeSpan.FromSeconds(60), () => $"committed {CommittedOffset(cluster, stage)}");
        stop.Cancel();
        Assert.Equal(10, stage.Counters.Handled);
        Assert.Equal(1, handler.Calls);
    }

    [Fact]
    public async Task A_batch_whose_work_failed_after_it_was_handled_is_handled_again_before_its_offsets_move()
    {
        using var cluster = new TestCluster(partitions: 1);
        using var stop = new CancellationTokenSource();
        int works = 0;
        var handler = new ScriptedHandler
        {
            Work = _ => Interlocked.Increment(ref works) == 1 ? Task.FromException(new IOException("the profile store failed mid-projection")) : Task.CompletedTask,
        };
        var (_, stage) = await RunAsync(cluster, handler, 10, stop.Token);
        await TestData.WaitUntilAsync(() => CommittedOffset(cluster, stage) == 10, TimeSpan.FromSeconds(60), () => $"committed {CommittedOffset(cluster, stage)}, calls {handler.Calls}");
        stop.Cancel();
        Assert.Equal(2, handler.Calls);
        Assert.Equal(0, stage.Counters.DeadLettered);
        Assert.True(stage.Counters.Retries >= 1);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"o{i}").Order(), handler.Handled.Order());
    }

    [Fact]
    public async Task A_message_whose_work_always_fails_is_set_aside_and_the_rest_is_committed()
    {
        using var cluster = new TestCluster(partitions: 1);
        using var stop = new CancellationTokenSource();
        var handler = new ScriptedHandler
        {
            Work = batch => batch.Any(r => r.Origin == "o3") ? Task.FromException(new InvalidOperationException("the projector cannot fold this record")) : Task.CompletedTask,
        };
        var (_, stage) = await RunAsync(cluster, handler, 10, stop.Token);
        await TestData.WaitUntilAsync(() => CommittedOffset(cluster, stage) == 10, TimeSpan.FromSeconds(60), () => $"committed {CommittedOffset(cluster, stage)}, calls {handler.Calls}");
        stop.Cancel();
        Assert.Equal(1, stage.Counters.DeadLettered);
        Assert.DoesNotContain("o3", handler.Handled);
        Assert.Equal(9, handler.Handled.Distinct().Count());
        var letter = Assert.Single(await Kcat.ReadAsync(cluster.Cluster.BootstrapServers, TopicProvisioner.DeadLetter, "%h\\n"));
        Assert.Contains("datahub.errors.offset=3", letter);
    }

    /// <summary>
    /// A handler that sends each record on to the records topic: before it returns, as the normalize stage
    /// does, or at the end of the work it leaves running, as the apply stage's projection sends profiles.
    /// </summary>
    private sealed class ForwardingHandler(KafkaEventBus bus, bool atTheEndOfItsWork) : IStageHandler<RawRecord>
    {
        public int Calls;

        public async Task<StageOutcome> HandleAsync(IReadOnlyList<RawRecord> batch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            if (atTheEndOfItsWork) return new StageOutcome([], Task.Run(() => ForwardAsync(batch, cancellationToken), cancellationToken));
            await ForwardAsync(batch, cancellationToken);
            return StageOutcome.Done([]);
        }

        private async Task ForwardAsync(IReadOnlyList<RawRecord> batch, CancellationToken cancellationToken)
        {
            foreach (var r in batch) await bus.PublishAsync(Topics.Records, r.Origin, r, cancellationToken);
        }

        public bool IsHealthy() => true;

        public Task OnIdleAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    [Theory]
    [InlineData(10, false)]
    // Several batches whose output goes out as their work ends: a batch's commit may wait until the next batch is handled.
    [InlineData(2000, true)]
    public async Task A_batch_whose_output_the_brokers_refused_is_handled_again_and_committed_once_its_output_is_written(int messages, bool atTheEndOfItsWork)
    {
        using var cluster = new TestCluster(partitions: 1);
        using var stop = new CancellationTokenSource();
        using (var feeder = new KafkaEventBus(cluster.Options, NullLogger.Instance, clientId: "feeder"))
        {
            for (int i = 0; i < messages; i++) await feeder.PublishAsync(TopicProvisioner.Raw, "", new RawRecord { Source = "s", Origin = $"o{i}" });
            await feeder.FlushAsync();
        }
        // The stage's first produce request is refused for good (MESSAGE_TOO_LARGE): what the batch sent is lost.
        cluster.Cluster.PushRequestErrors(0, 10);
        using var stageBus = new KafkaEventBus(cluster.Options, NullLogger.Instance, clientId: "stage");
        var handler = new ForwardingHandler(stageBus, atTheEndOfItsWork);
        var stage = new KafkaStage<RawRecord>(cluster.Options, "test", TopicProvisioner.Raw, stageBus, handler, NullLogger.Instance, "stage");
        var running = stage.RunAsync(stop.Token);

        await TestData.WaitUntilAsync(() => CommittedOffset(cluster, stage) == messages, TimeSpan.FromSeconds(60), () => $"committed {CommittedOffset(cluster, stage)}, calls {handler.Calls}");
        stop.Cancel();
        await running;
        int batches = (messages + cluster.Options.MaxBatch - 1) / cluster.Options.MaxBatch;
        Assert.True(handler.Calls > batches, $"handled {handler.Calls} times");
        Assert.True(stageBus.Failed >= 1);
        Assert.Equal(0, stage.Counters.DeadLettered);
        // Every record reached the records topic before the offsets moved (some more than once: applying twice is a no-op).
        var forwarded = TopicReader.ReadAll<RawRecord>(cluster.Options.BootstrapServers, Topics.Records).Select(r => r.Origin).ToHashSet();
        Assert.Equal(Enumerable.Range(0, messages).Select(i => $"o{i}").ToHashSet(), forwarded);
    }

    /// <summary>The offset the stage's group committed on the raw topic's one partition (0 when none), read by a consumer of the group that does not join it.</summary>
    private static long CommittedOffset(TestCluster cluster, KafkaStage<RawRecord> stage)
    {
        using var reader = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = cluster.Options.BootstrapServers, GroupId = stage.Group }).Build();
        var offset = reader.Committed([new TopicPartition(TopicProvisioner.Raw, 0)], TimeSpan.FromSeconds(10)).Single().Offset;
        return offset == Offset.Unset ? 0 : offset.Value;
    }
}
