using System.Collections.Concurrent;
using DataHub.Schema.V1;
using Microsoft.Extensions.Logging.Abstractions;

namespace DataHub.Kafka.Tests;

/// <summary>The stage runtime on its own: a handler that fails on one message, and one whose store is down for a while.</summary>
public sealed class KafkaStageTests
{
    private sealed class ScriptedHandler : IStageHandler<RawRecord>
    {
        public readonly ConcurrentBag<string> Handled = [];
        public string Poison = "";
        public int OutageCalls;
        public int Calls;

        public Task<IReadOnlyList<StageFailure>> HandleAsync(IReadOnlyList<RawRecord> batch, CancellationToken cancellationToken)
        {
            Calls++;
            if (OutageCalls > 0) { OutageCalls--; throw new IOException("the store does not answer"); }
            if (batch.Any(r => r.Origin == Poison)) throw new InvalidOperationException("the projector cannot fold this record");
            foreach (var r in batch) Handled.Add(r.Origin);
            return Task.FromResult<IReadOnlyList<StageFailure>>([]);
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
}
