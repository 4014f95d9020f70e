using DataHub.Core.Ingest;
using DataHub.Kafka;
using DataHub.Schema.V1;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace DataHub;

/// <summary>
/// DataHub:Bus — "inprocess" (default: the embedded pipeline, channels between its stages) or "kafka"
/// (the normalize and apply stages as consumer groups on Kafka topics, in any number of processes).
/// </summary>
internal sealed record BusSettings
{
    public const string InProcess = "inprocess";
    public const string KafkaProvider = "kafka";

    public string Provider { get; init; } = InProcess;

    /// <summary>DataHub:Bus:Kafka, when the provider is kafka.</summary>
    public KafkaBusOptions? Kafka { get; init; }

    public static BusSettings Load(IConfigurationSection section)
    {
        var provider = (section["Provider"] ?? InProcess).Trim().ToLowerInvariant();
        if (provider == InProcess) return new BusSettings();
        if (provider != KafkaProvider) throw new HubConfigurationException($"DataHub:Bus:Provider is '{provider}'; use '{InProcess}' (embedded) or '{KafkaProvider}'.");
        var kafka = section.GetSection("Kafka");
        var defaults = new KafkaBusOptions { BootstrapServers = "" };
        var options = new KafkaBusOptions
        {
            BootstrapServers = kafka["BootstrapServers"] ?? "",
            Client = kafka.GetSection("Client").GetChildren().ToDictionary(c => c.Key, c => c.Value ?? "", StringComparer.Ordinal),
            Partitions = kafka.GetValue("Partitions", defaults.Partitions),
            ReplicationFactor = kafka.GetValue("ReplicationFactor", defaults.ReplicationFactor),
            CompactProfiles = kafka.GetValue("CompactProfiles", defaults.CompactProfiles),
            GroupPrefix = kafka["GroupPrefix"] ?? defaults.GroupPrefix,
            MaxBatch = kafka.GetValue("MaxBatch", defaults.MaxBatch),
            BatchWait = TimeSpan.FromMilliseconds(kafka.GetValue("BatchWaitMilliseconds", (int)defaults.BatchWait.TotalMilliseconds)),
        };
        try { options.Validate(); }
        catch (ArgumentException e) { throw new HubConfigurationException(e.Message); }
        return new BusSettings { Provider = KafkaProvider, Kafka = options };
    }

    /// <summary>The Kafka options, or a configuration error saying how to turn Kafka on.</summary>
    public KafkaBusOptions RequireKafka() => Kafka ??
        throw new HubConfigurationException("This needs Kafka: set DataHub:Bus:Provider=kafka and DataHub:Bus:Kafka:BootstrapServers (e.g. DataHub__Bus__Provider=kafka DataHub__Bus__Kafka__BootstrapServers=127.0.0.1:9092).");
}

/// <summary>
/// The pipeline's stages on Kafka in this process: the normalize stage (datahub.raw.v1 →
/// datahub.records.v1) and the apply stage (datahub.records.v1 → record log, profiles,
/// datahub.profiles.v1), each a member of its consumer group. Local gRPC watchers still get every
/// profile this process writes through the in-process bus.
/// </summary>
internal sealed class KafkaPipelineHost : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _running = [];

    private KafkaPipelineHost(Hub hub, KafkaBusOptions options, ILoggerFactory logs, string clientId)
    {
        Bus = new KafkaEventBus(options, logs.CreateLogger("DataHub.Kafka.Producer"), local: hub.Bus, clientId: clientId);
        Pipeline = Hub.CreatePipeline(hub.Store, Bus, hub.Options);
        Normalize = new NormalizeStageHandler(Pipeline, hub.Store, Bus, TimeProvider.System, logs.CreateLogger("DataHub.Kafka.Normalize"));
        Apply = new ApplyStageHandler(Pipeline, hub.Store);
        NormalizeStage = new KafkaStage<RawRecord>(options, "normalize", TopicProvisioner.Raw, Bus, Normalize, logs.CreateLogger("DataHub.Kafka.Normalize"), clientId);
        ApplyStage = new KafkaStage<CanonicalRecord>(options, "apply", Topics.Records, Bus, Apply, logs.CreateLogger("DataHub.Kafka.Apply"), clientId);
    }

    public KafkaEventBus Bus { get; }
    public IngestPipeline Pipeline { get; }
    public NormalizeStageHandler Normalize { get; }
    public ApplyStageHandler Apply { get; }
    public KafkaStage<RawRecord> NormalizeStage { get; }
    public KafkaStage<CanonicalRecord> ApplyStage { get; }

    /// <summary>The relay of the workflows' bus outbox, when this process serves the workflows.</summary>
    public BusOutboxRelay? Relay { get; private set; }

    /// <summary>Starts relaying the workflows' stored events to their topics.</summary>
    public void StartRelay(IBusOutbox outbox, ILoggerFactory logs)
    {
        Relay = new BusOutboxRelay(outbox, Bus, logs.CreateLogger("DataHub.Kafka.Relay"));
        _running.Add(Relay.RunAsync(_stop.Token));
    }

    /// <summary>Creates the missing topics, then starts the stages.</summary>
    public static async Task<KafkaPipelineHost> StartAsync(Hub hub, ILoggerFactory logs, bool provisionTopics = true, CancellationToken cancellationToken = default)
    {
        var options = hub.Options.Bus.RequireKafka();
        if (provisionTopics) await TopicProvisioner.EnsureTopicsAsync(options, logs.CreateLogger("DataHub.Kafka.Topics"), cancellationToken);
        var host = new KafkaPipelineHost(hub, options, logs, $"datahub-{Environment.MachineName}-{Environment.ProcessId}");
        host._running.Add(host.NormalizeStage.RunAsync(host._stop.Token));
        host._running.Add(host.ApplyStage.RunAsync(host._stop.Token));
        return host;
    }

    /// <summary>One line of counts for logs and progress.</summary>
    public string Describe() =>
        $"normalize: consumed {NormalizeStage.Counters.Consumed:N0}, quarantined {Normalize.Total.Quarantined:N0}, waiting for a name {Normalize.Total.Unresolved:N0}, dead letters {NormalizeStage.Counters.DeadLettered:N0}, " +
        $"busy {NormalizeStage.Counters.HandleTime.TotalSeconds:F1} s + flush {NormalizeStage.Counters.FlushTime.TotalSeconds:F1} s, partitions [{Partitions(NormalizeStage.Assigned)}]; " +
        $"apply: consumed {ApplyStage.Counters.Consumed:N0}, stored {Apply.Total.Stored:N0}, duplicates {Apply.Total.Duplicates:N0}, profile writes {Apply.Total.ProfilesWritten:N0}, dead letters {ApplyStage.Counters.DeadLettered:N0}, " +
        $"busy {ApplyStage.Counters.HandleTime.TotalSeconds:F1} s + flush {ApplyStage.Counters.FlushTime.TotalSeconds:F1} s, partitions [{Partitions(ApplyStage.Assigned)}]";

    /// <summary>Partition numbers, runs shortened (0-63).</summary>
    private static string Partitions(IReadOnlyList<int> owned) =>
        string.Join(",", owned.Select((p, i) => (p, i)).GroupBy(x => x.p - x.i).Select(g => g.Count() == 1 ? $"{g.First().p}" : $"{g.First().p}-{g.Last().p}"));

    /// <summary>Prometheus counters of the stages.</summary>
    public void WritePrometheus(System.Text.StringBuilder text)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        text.Append("# HELP datahub_kafka_stage_messages_total Messages of a Kafka stage: consumed, handled, dead-lettered.\n# TYPE datahub_kafka_stage_messages_total counter\n");
        foreach (var (stage, c) in new[] { ("normalize", NormalizeStage.Counters), ("apply", ApplyStage.Counters) })
        {
            text.Append(inv, $"datahub_kafka_stage_messages_total{{stage=\"{stage}\",state=\"consumed\"}} {c.Consumed}\n");
            text.Append(inv, $"datahub_kafka_stage_messages_total{{stage=\"{stage}\",state=\"handled\"}} {c.Handled}\n");
            text.Append(inv, $"datahub_kafka_stage_messages_total{{stage=\"{stage}\",state=\"dead_lettered\"}} {c.DeadLettered}\n");
        }
        text.Append("# HELP datahub_kafka_stage_retries_total Batches a Kafka stage had to process again.\n# TYPE datahub_kafka_stage_retries_total counter\n");
        text.Append(inv, $"datahub_kafka_stage_retries_total{{stage=\"normalize\"}} {NormalizeStage.Counters.Retries}\n");
        text.Append(inv, $"datahub_kafka_stage_retries_total{{stage=\"apply\"}} {ApplyStage.Counters.Retries}\n");
        text.Append("# HELP datahub_kafka_produced_total Messages the brokers acknowledged.\n# TYPE datahub_kafka_produced_total counter\n");
        text.Append(inv, $"datahub_kafka_produced_total {Bus.Produced}\n");
        text.Append("# HELP datahub_kafka_relayed_events_total Workflow events relayed from the outbox to their topics.\n# TYPE datahub_kafka_relayed_events_total counter\n");
        text.Append(inv, $"datahub_kafka_relayed_events_total {Relay?.Relayed ?? 0}\n");
        text.Append("# HELP datahub_kafka_produce_failures_total Messages that could not be written (the batch is read and produced again).\n# TYPE datahub_kafka_produce_failures_total counter\n");
        text.Append(inv, $"datahub_kafka_produce_failures_total {Bus.Failed}\n");
    }

    /// <summary>Waits until a stage stops (it only stops on a fault) or the token is cancelled.</summary>
    public Task<Task> Completion => Task.WhenAny(_running);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await Task.WhenAll(_running); } catch (OperationCanceledException) { }
        Bus.Dispose();
    }
}
