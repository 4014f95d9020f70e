using System.Text;
using Confluent.Kafka;
using DataHub.Core.Ingest;
using DataHub.Schema.V1;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;

namespace DataHub.Kafka.Tests;

public sealed class KafkaPipelineTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Records_through_the_Kafka_stages_give_exactly_the_profiles_of_the_embedded_pipeline()
    {
        var raws = TestData.Raws(TestData.Generate(enterprises: 250, seed: 11));
        var (expected, expectedStats) = await TestData.EmbeddedAsync(raws);
        using var cluster = new TestCluster();
        await using var node = new KafkaHubNode(cluster.Options).Start();

        await new KafkaRawIngress(node.Bus).SubmitAsync(raws);
        await TestData.WaitUntilAsync(() => TestData.Difference(node.Store, expected, expectedStats) is null, Patience,
            () => TestData.Difference(node.Store, expected, expectedStats) ?? "");

        // kcat, an independent client, reads every enterprise's profile from the profiles topic, typed by header.
        var lines = await Kcat.ReadAsync(cluster.Cluster.BootstrapServers, Topics.Profiles, "%k|%h\\n");
        var keys = lines.Select(l => l.Split('|')[0]).ToHashSet();
        Assert.Subset(keys, expected.Keys.ToHashSet());
        Assert.All(lines, l => Assert.Contains("datahub.type=datahub.v1.EnterpriseProfile", l));
        Assert.Equal(0, node.ApplyStage.Counters.DeadLettered);

        // The C# subscriber example of docs/kafka.md sees each enterprise's latest profile as the store has it.
        var seen = DataHub.Examples.ProfileSubscriber.Read(cluster.Cluster.BootstrapServers, "example-subscriber", idle: TimeSpan.FromSeconds(3), timeout: TimeSpan.FromSeconds(60));
        Assert.Equal(expected.Count, seen.Count);
        Assert.All(expected, e => Assert.Equal(e.Value, seen[e.Key]));
    }

    [Fact]
    public async Task Raw_records_go_out_in_keyed_blocks_that_spread_a_submission_over_the_partitions_and_keep_neighbours_together()
    {
        using var cluster = new TestCluster(partitions: 6);
        var raws = TestData.Raws(TestData.Generate(enterprises: 200, seed: 5)).Take(KafkaRawIngress.Block * 12 + 10).ToList();
        using (var bus = new KafkaEventBus(cluster.Options, NullLogger.Instance))
            await new KafkaRawIngress(bus).SubmitAsync(raws);

        // kcat: partition and key of every message; a block shares its first record's origin as key, and so its partition.
        var messages = (await Kcat.ReadAsync(cluster.Cluster.BootstrapServers, TopicProvisioner.Raw, "%p|%k\\n")).Select(l => l.Split('|')).ToList();
        Assert.Equal(raws.Count, messages.Count);
        var blocks = messages.GroupBy(m => m[1]).ToList();
        Assert.Equal(raws.Where((_, i) => i % KafkaRawIngress.Block == 0).Select(r => r.Origin).Order(), blocks.Select(b => b.Key).Order());
        Assert.Equal([.. Enumerable.Repeat(KafkaRawIngress.Block, 12), 10], blocks.Select(b => b.Count()).OrderDescending());
        Assert.All(blocks, b => Assert.Single(b.Select(m => m[0]).Distinct()));
        Assert.True(blocks.Select(b => b.First()[0]).Distinct().Count() >= 4, "13 blocks should reach most of the 6 partitions");
    }

    [Fact]
    public async Task A_message_that_cannot_be_applied_goes_to_the_dead_letter_topic_with_its_reason_and_the_stage_moves_on()
    {
        using var cluster = new TestCluster(partitions: 1);
        await using var node = new KafkaHubNode(cluster.Options).Start();
        var good = TestData.Generate(enterprises: 1, seed: 3, dirtRate: 0).First(l => l.Json.Contains("\"registration\"", StringComparison.Ordinal));
        var (records, _) = node.Pipeline.Normalize([TestData.Raw(good.Json, 1)]);
        var record = records.Single();
        var noUscc = record.Clone();
        noUscc.Uscc = "";

        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = cluster.Cluster.BootstrapServers }).Build())
        {
            await producer.ProduceAsync(Topics.Records, new Message<byte[], byte[]> { Key = "k1"u8.ToArray(), Value = record.ToByteArray() });
            var wrong = KafkaEnvelope.Wrap("k2", record);
            wrong.Value = [0xff, 0xff, 0xff];
            await producer.ProduceAsync(Topics.Records, wrong);
            await producer.ProduceAsync(Topics.Records, KafkaEnvelope.Wrap("k3", noUscc));
            await producer.ProduceAsync(Topics.Records, KafkaEnvelope.Wrap(record.Uscc, record));
        }

        await TestData.WaitUntilAsync(() => node.Store.GetProfile(record.Uscc) is not null && node.ApplyStage.Counters.DeadLettered == 3, Patience,
            () => $"dead-lettered {node.ApplyStage.Counters.DeadLettered}, profile stored: {node.Store.GetProfile(record.Uscc) is not null}");
        var letters = await Kcat.ReadAsync(cluster.Cluster.BootstrapServers, TopicProvisioner.DeadLetter, "%k|%h|%S\\n");
        Assert.Equal(3, letters.Count);
        string Header(string line, string name) => line.Split('|')[1].Split(',').Single(h => h.StartsWith(name + "=", StringComparison.Ordinal))[(name.Length + 1)..];
        Assert.Equal(["NO_TYPE_HEADER", "BAD_PROTOBUF", "NO_USCC"], letters.Select(l => Header(l, "datahub.errors.reason")));
        Assert.Equal(["0", "1", "2"], letters.Select(l => Header(l, "datahub.errors.offset")));
        Assert.All(letters, l =>
        {
            Assert.Equal(Topics.Records, Header(l, "datahub.errors.topic"));
            Assert.Equal("apply", Header(l, "datahub.errors.stage"));
            Assert.Equal("0", Header(l, "datahub.errors.partition"));
        });
        Assert.Equal(["k1", "k2", "k3"], letters.Select(l => l.Split('|')[0]));
        // Refused by the envelope check: the value as it came; refused by the handler: the decoded record encoded again.
        Assert.Equal([record.CalculateSize(), 3, noUscc.CalculateSize()], letters.Select(l => int.Parse(l.Split('|')[2], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Produce_errors_fetch_errors_and_a_broker_going_down_lose_and_double_nothing()
    {
        var raws = TestData.Raws(TestData.Generate(enterprises: 200, seed: 5));
        var (expected, expectedStats) = await TestData.EmbeddedAsync(raws);
        using var cluster = new TestCluster();
        await using var node = new KafkaHubNode(cluster.Options).Start();
        var ingress = new KafkaRawIngress(node.Bus);

        // Retriable errors on the next produce and fetch requests, and broker 2 down for a while mid-stream.
        const int notLeader = 6, requestTimedOut = 7, transport = -195;
        cluster.Cluster.PushRequestErrors(0, notLeader, requestTimedOut, transport, notLeader);
        cluster.Cluster.PushRequestErrors(1, notLeader, transport, requestTimedOut);
        await ingress.SubmitAsync(raws.Take(raws.Count / 2).ToList());
        cluster.Cluster.SetBrokerDown(2);
        var second = ingress.SubmitAsync(raws.Skip(raws.Count / 2).ToList());
        await Task.Delay(1500);
        cluster.Cluster.SetBrokerUp(2);
        await second;

        await TestData.WaitUntilAsync(() => TestData.Difference(node.Store, expected, expectedStats) is null, Patience,
            () => TestData.Difference(node.Store, expected, expectedStats) ?? "");
        // Every raw record is on the topic, and the store above holds each once. The topic itself may hold a retried
        // batch twice: one CI run (2026-12-01) found two batches of 64 written twice under these faults, although the
        // producer is idempotent. librdkafka has an open report of such duplicates around leader changes
        // (confluentinc/librdkafka#4953); whether the client or the mock broker let these through is not known. The
        // log's dedup makes a copy a no-op, which the store comparison above checks.
        var origins = TopicReader.ReadAll<RawRecord>(cluster.Cluster.BootstrapServers, TopicProvisioner.Raw).Select(r => r.Origin).ToList();
        Assert.Equal(raws.Select(r => r.Origin).Order(), origins.Distinct().Order());
        Assert.Equal(origins.Count, (await Kcat.ReadAsync(cluster.Cluster.BootstrapServers, TopicProvisioner.Raw, "%o\\n")).Count);
        Assert.Equal(0, node.ApplyStage.Counters.DeadLettered + node.NormalizeStage.Counters.DeadLettered);
    }

    [Fact]
    public async Task Configuration_mistakes_are_named()
    {
        var options = new KafkaBusOptions { BootstrapServers = "127.0.0.1:1" };
        Assert.Contains("Partitions", Assert.Throws<ArgumentException>(() => (options with { Partitions = 0 }).Validate()).Message);
        Assert.Contains("BootstrapServers", Assert.Throws<ArgumentException>(() => (options with { BootstrapServers = " " }).Validate()).Message);
        var reserved = options with { Client = new Dictionary<string, string> { ["enable.auto.commit"] = "true" } };
        Assert.Contains("enable.auto.commit", Assert.Throws<ArgumentException>(reserved.Validate).Message);
        // Security settings pass through to the client untouched.
        var secured = options with { Client = new Dictionary<string, string> { ["security.protocol"] = "SASL_SSL", ["sasl.mechanism"] = "SCRAM-SHA-512" } };
        secured.Validate();
        Assert.Equal("SASL_SSL", secured.ProducerConfig("x").Get("security.protocol"));
        await Task.CompletedTask;
    }

    [Fact]
    public void Consumer_sessions_expire_after_10_seconds_unless_the_operator_sets_another_timeout()
    {
        var options = new KafkaBusOptions { BootstrapServers = "127.0.0.1:1" };
        var config = options.ConsumerConfig("g", "c");
        Assert.Equal(10_000, config.SessionTimeoutMs);
        Assert.True(config.HeartbeatIntervalMs < config.SessionTimeoutMs);
        var own = options with { Client = new Dictionary<string, string> { ["session.timeout.ms"] = "30000" } };
        Assert.Equal(30_000, own.ConsumerConfig("g", "c").SessionTimeoutMs);
    }

    [Fact]
    public async Task Topics_that_exist_are_left_alone_and_the_mock_broker_is_reachable_by_the_admin_client()
    {
        using var cluster = new TestCluster();
        var created = await TopicProvisioner.EnsureTopicsAsync(cluster.Options, NullLogger.Instance);
        Assert.Empty(created);
    }
}
