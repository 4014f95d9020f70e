using System.Diagnostics;
using DataHub.Schema.V1;
using DataHub.Core.Workflows;
using DataHub.Kafka;

namespace DataHub.Tests;

/// <summary>`serve` in Kafka mode: adapters feed datahub.raw.v1, the stages in the same process store it, workflow events reach their topics.</summary>
[Collection("console")]
public sealed class KafkaServedTests
{
    [Fact]
    public async Task Served_in_Kafka_mode_the_adapters_rows_reach_the_store_through_the_topics_and_pull_events_reach_datahub_pulls_v1()
    {
        using var cluster = Cli.KafkaCommands.StartMockCluster(brokers: 3, partitions: 4);
        var kafka = new KafkaBusOptions
        {
            BootstrapServers = cluster.BootstrapServers, Partitions = 4, GroupPrefix = "served-" + Guid.NewGuid().ToString("N")[..6],
            BatchWait = TimeSpan.FromMilliseconds(100),
        };
        var (agencies, _) = PullInteropTests.CatalogueAgencies();
        await using var served = await ServedHub.StartAsync(enterprises: 40, seed: 8,
            o => o with { Agencies = agencies, Bus = new BusSettings { Provider = BusSettings.KafkaProvider, Kafka = kafka } });

        // Every row the simulators served is stored (or waits for its name), though it went through Kafka.
        // Done when the normalize stage has handled every row the adapters fetched (each went through Kafka).
        var stages = served.Server.Kafka!;
        long Fetched() => served.Server.Adapters!.Statuses().Sum(s => s.Fetched);
        var clock = Stopwatch.StartNew();
        IReadOnlyList<string> problems = ["not checked yet"];
        while (clock.Elapsed < TimeSpan.FromSeconds(90) &&
               (Fetched() == 0 || stages.NormalizeStage.Counters.Handled < Fetched() || (problems = served.Sources.Discrepancies(served.Hub.Store)).Count > 0))
            await Task.Delay(250);
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n" + stages.Describe());
        Assert.True(served.Hub.Store.Stats().Records > 0);
        Assert.Equal(0, stages.ApplyStage.Counters.DeadLettered);

        // A data pull's steps are published to datahub.pulls.v1, keyed by the pull id, for subscribers.
        var requester = new WorkflowActor("city-approval", new HashSet<string> { "approval" }, "施工许可联审（测试）", "/test");
        var uscc = served.Hub.Store.EnterprisesWithProfiles()[0];
        var pull = await served.Server.Pulls.RequestAsync(requester, uscc, "MAT-FIRE-ACCEPT", "施工许可联审（测试）", "", CancellationToken.None);
        List<string> events = [];
        clock.Restart();
        while (clock.Elapsed < TimeSpan.FromSeconds(30) && !events.Any(e => e.StartsWith(pull.Id + "|", StringComparison.Ordinal)))
            events = await KcatLines(cluster.BootstrapServers, Core.Ingest.Topics.Pulls, "%k|%h\\n");
        Assert.Contains(events, e => e.StartsWith(pull.Id + "|", StringComparison.Ordinal) && e.Contains("datahub.type=datahub.v1.PullEvent", StringComparison.Ordinal));
        // They went through the bus outbox of workflow.db, which the relay empties once the brokers have them.
        clock.Restart();
        while (clock.Elapsed < TimeSpan.FromSeconds(10) && new Embedded.SqliteBusOutbox(served.Hub.Options.WorkflowPath).Next(1).Count > 0) await Task.Delay(100);
        Assert.Empty(new Embedded.SqliteBusOutbox(served.Hub.Options.WorkflowPath).Next(1));
        Assert.True(stages.Relay!.Relayed >= 1);

        // The stages' counters are on /metrics.
        using var http = new HttpClient { BaseAddress = served.HttpAddress };
        var metrics = await http.GetStringAsync("metrics");
        Assert.Contains("datahub_kafka_stage_messages_total{stage=\"apply\",state=\"handled\"}", metrics);
        Assert.Equal(PullState.AwaitingOwner, pull.State);
    }

    private static async Task<List<string>> KcatLines(string bootstrap, string topic, string format)
    {
        var info = new ProcessStartInfo("kcat", ["-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", format])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }
}
