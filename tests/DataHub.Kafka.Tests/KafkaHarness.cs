using System.Diagnostics;
using DataHub.Adapters.Import;
using DataHub.Core.Ingest;
using DataHub.Core.Records;
using DataHub.Embedded;
using DataHub.Schema.V1;
using DataHub.Synthetic;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DataHub.Kafka.Tests;

/// <summary>A mock Kafka cluster of three brokers on loopback with the hub's topics, torn down afterwards.</summary>
public sealed class TestCluster : IDisposable
{
    public TestCluster(int partitions = 6)
    {
        Cluster = new MockKafkaCluster(brokers: 3);
        Options = new KafkaBusOptions
        {
            BootstrapServers = Cluster.BootstrapServers,
            Partitions = partitions,
            MaxBatch = 400,
            BatchWait = TimeSpan.FromMilliseconds(100),
            GroupPrefix = "test-" + Guid.NewGuid().ToString("N")[..8],
        };
        // The mock does not serve CreateTopics; the topics the provisioner would create are made here.
        foreach (var spec in TopicProvisioner.Specifications(Options)) Cluster.CreateTopic(spec.Name, spec.NumPartitions, 3);
    }

    public MockKafkaCluster Cluster { get; }
    public KafkaBusOptions Options { get; }

    public void Dispose() => Cluster.Dispose();
}

/// <summary>One hub process's worth of the Kafka pipeline: its own store, producer and the two stages.</summary>
public sealed class KafkaHubNode : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "datahub-kafka-test-" + Guid.NewGuid().ToString("N"));
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _running = [];

    public KafkaHubNode(KafkaBusOptions options, string name = "node", SqliteHubStore? sharedStore = null)
    {
        Store = sharedStore ?? new SqliteHubStore(Path.Combine(_directory, "hub.db"));
        Bus = new KafkaEventBus(options, NullLogger.Instance, clientId: name);
        Pipeline = new IngestPipeline(Store, Bus, new RecordNormalizer(), [new CanonicalJsonLinesMapper()], TimeProvider.System);
        Normalize = new NormalizeStageHandler(Pipeline, Store, Bus, TimeProvider.System, NullLogger.Instance) { ResolveInterval = TimeSpan.FromMilliseconds(200) };
        Apply = new ApplyStageHandler(Pipeline, Store);
        NormalizeStage = new KafkaStage<RawRecord>(options, "normalize", TopicProvisioner.Raw, Bus, Normalize, Log, name);
        ApplyStage = new KafkaStage<CanonicalRecord>(options, "apply", Topics.Records, Bus, Apply, Log, name);
    }

    private static readonly ILogger Log = NullLogger.Instance;

    public SqliteHubStore Store { get; }
    public KafkaEventBus Bus { get; }
    public IngestPipeline Pipeline { get; }
    public NormalizeStageHandler Normalize { get; }
    public ApplyStageHandler Apply { get; }
    public KafkaStage<RawRecord> NormalizeStage { get; }
    public KafkaStage<CanonicalRecord> ApplyStage { get; }

    public KafkaHubNode Start()
    {
        _running.Add(NormalizeStage.RunAsync(_stop.Token));
        _running.Add(ApplyStage.RunAsync(_stop.Token));
        return this;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_running);
        Bus.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory)) try { Directory.Delete(_directory, true); } catch (IOException) { }
    }
}

public static class TestData
{
    public static List<GeneratedLine> Generate(int enterprises, int seed, double dirtRate = 0.05) =>
        new SyntheticDataGenerator(new GeneratorOptions { Enterprises = enterprises, Seed = seed, DirtRate = dirtRate }).Generate().ToList();

    public static RawRecord Raw(string line, int lineNo) => new()
    {
        Source = CanonicalJsonLinesFile.Source,
        Format = CanonicalJsonLinesMapper.FormatName,
        Origin = $"test.jsonl:{lineNo}",
        Payload = ByteString.CopyFromUtf8(line),
    };

    public static List<RawRecord> Raws(IEnumerable<GeneratedLine> lines) => lines.Select((l, i) => Raw(l.Json, i + 1)).ToList();

    /// <summary>The embedded pipeline's result over the same input: every profile by USCC, and the store's counts.</summary>
    public static async Task<(Dictionary<string, EnterpriseProfile> Profiles, HubStats Stats)> EmbeddedAsync(IReadOnlyList<RawRecord> raws)
    {
        var directory = Path.Combine(Path.GetTempPath(), "datahub-kafka-embedded-" + Guid.NewGuid().ToString("N"));
        try
        {
            var store = new SqliteHubStore(Path.Combine(directory, "hub.db"));
            var pipeline = new IngestPipeline(store, new InProcessEventBus(), new RecordNormalizer(), [new CanonicalJsonLinesMapper()], TimeProvider.System);
            await pipeline.IngestAsync(raws);
            return (store.EnterprisesWithProfiles().ToDictionary(u => u, u => store.GetProfile(u)!), store.Stats());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, true);
        }
    }

    /// <summary>Waits until the condition holds, or fails with what <paramref name="state"/> says.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> state)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout) Assert.Fail($"Not reached within {timeout.TotalSeconds:0} s: {state()}");
            await Task.Delay(100);
        }
    }

    /// <summary>Whether the store holds exactly the embedded run's profiles and counts; a description of the first difference otherwise.</summary>
    public static string? Difference(SqliteHubStore store, Dictionary<string, EnterpriseProfile> expected, HubStats expectedStats)
    {
        var stats = store.Stats();
        if (stats != expectedStats) return $"store counts {stats}, embedded run {expectedStats}";
        foreach (var (uscc, profile) in expected)
            if (store.GetProfile(uscc) is not { } actual || !profile.Equals(actual)) return $"profile {uscc} differs from the embedded run's: {FirstDifference(profile, store.GetProfile(uscc))}";
        return null;
    }

    private static string FirstDifference(EnterpriseProfile expected, EnterpriseProfile? actual)
    {
        if (actual is null) return "missing";
        var e = expected.ToString().Split(',');
        var a = actual.ToString().Split(',');
        var i = Enumerable.Range(0, Math.Min(e.Length, a.Length)).FirstOrDefault(k => e[k] != a[k], -1);
        return i < 0 ? $"lengths {e.Length} / {a.Length}" : $"expected …{string.Join(",", e.Skip(Math.Max(0, i - 3)).Take(6))}… got …{string.Join(",", a.Skip(Math.Max(0, i - 3)).Take(6))}…";
    }
}

/// <summary>Runs kcat, the independent Kafka client (Debian package kcat).</summary>
public static class Kcat
{
    /// <summary>Reads a whole topic from the beginning and exits at its end; one line per message in <paramref name="format"/>.</summary>
    public static async Task<List<string>> ReadAsync(string bootstrap, string topic, string format)
    {
        var start = new ProcessStartInfo("kcat", ["-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", format])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("kcat did not start; install the Debian package kcat.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"kcat exited with {process.ExitCode}: {await error}");
        return (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }
}

/// <summary>Reads a whole topic from the beginning with a plain Confluent.Kafka consumer (no group).</summary>
public static class TopicReader
{
    public static List<T> ReadAll<T>(string bootstrap, string topic) where T : IMessage<T>, new()
    {
        using var admin = new Confluent.Kafka.AdminClientBuilder(new Confluent.Kafka.AdminClientConfig { BootstrapServers = bootstrap }).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(30)).Topics.Single().Partitions.Select(p => p.PartitionId).ToList();
        using var consumer = new Confluent.Kafka.ConsumerBuilder<byte[], byte[]>(new Confluent.Kafka.ConsumerConfig
        {
            BootstrapServers = bootstrap, GroupId = "reader", EnableAutoCommit = false, EnablePartitionEof = true,
        }).Build();
        consumer.Assign(partitions.Select(p => new Confluent.Kafka.TopicPartitionOffset(topic, p, Confluent.Kafka.Offset.Beginning)));
        var result = new List<T>();
        var ended = new HashSet<int>();
        var until = DateTime.UtcNow.AddSeconds(60);
        while (ended.Count < partitions.Count && DateTime.UtcNow < until)
        {
            Confluent.Kafka.ConsumeResult<byte[], byte[]>? m;
            // A fetch error the mock was told to inject is retried, as any client would.
            try { m = consumer.Consume(TimeSpan.FromMilliseconds(500)); }
            catch (Confluent.Kafka.ConsumeException e) when (!e.Error.IsFatal) { continue; }
            if (m is null) continue;
            if (m.IsPartitionEOF) { ended.Add(m.Partition.Value); continue; }
            result.Add(KafkaEnvelope.Unwrap<T>(m));
        }
        Assert.True(ended.Count == partitions.Count, $"{topic}: only {ended.Count} of {partitions.Count} partitions read to their end");
        return result;
    }
}
