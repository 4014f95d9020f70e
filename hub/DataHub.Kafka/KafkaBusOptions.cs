using Confluent.Kafka;

namespace DataHub.Kafka;

/// <summary>
/// How the hub reaches Kafka (DataHub:Bus:Kafka). <see cref="Client"/> passes any librdkafka property
/// through unchanged — security.protocol, ssl.*, sasl.* — to every producer, consumer and admin client.
/// </summary>
public sealed record KafkaBusOptions
{
    public required string BootstrapServers { get; init; }

    /// <summary>librdkafka properties for every client (e.g. "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512").</summary>
    public IReadOnlyDictionary<string, string> Client { get; init; } = new Dictionary<string, string>();

    /// <summary>Partitions of the topics the hub creates. More partitions, more hub processes that can share the work.</summary>
    public int Partitions { get; init; } = 12;

    /// <summary>Replication factor of the topics the hub creates; -1 takes the broker's default.</summary>
    public short ReplicationFactor { get; init; } = 3;

    /// <summary>Whether <c>datahub.profiles.v1</c> is created compacted (only each enterprise's latest profile is kept).</summary>
    public bool CompactProfiles { get; init; } = true;

    /// <summary>Prefix of the consumer groups: "&lt;prefix&gt;.normalize", "&lt;prefix&gt;.apply".</summary>
    public string GroupPrefix { get; init; } = "datahub";

    /// <summary>
    /// Messages a stage takes into one store transaction at most; bounds the memory in flight. As the
    /// embedded pipeline's batch: a larger transaction shares the index pages it rewrites among more
    /// records (bench kafka at 1,000,000: 8,645 records/s with 16,384, 7,146 with 5,000; working set
    /// about 650 MB against 530).
    /// </summary>
    public int MaxBatch { get; init; } = 16384;

    /// <summary>How long a stage waits to fill a batch before it handles what it has.</summary>
    public TimeSpan BatchWait { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Checks the values an operator can get wrong, naming the setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(BootstrapServers)) throw new ArgumentException("DataHub:Bus:Kafka:BootstrapServers is empty; give host:port of at least one broker.");
        if (Partitions is < 1 or > 10_000) throw new ArgumentException($"DataHub:Bus:Kafka:Partitions is {Partitions}; use 1 to 10000.");
        if (ReplicationFactor is 0 or < -1) throw new ArgumentException($"DataHub:Bus:Kafka:ReplicationFactor is {ReplicationFactor}; use -1 (broker default) or at least 1.");
        if (MaxBatch is < 1 or > 100_000) throw new ArgumentException($"DataHub:Bus:Kafka:MaxBatch is {MaxBatch}; use 1 to 100000.");
        foreach (var key in Client.Keys.Where(k => Reserved.Contains(k)))
            throw new ArgumentException($"DataHub:Bus:Kafka:Client:{key} cannot be set: the hub sets it for its delivery guarantees.");
    }

    /// <summary>Properties the hub owns because its guarantees depend on them.</summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "bootstrap.servers", "enable.idempotence", "acks", "enable.auto.commit", "enable.auto.offset.store", "group.id", "isolation.level",
    };

    internal ProducerConfig ProducerConfig(string clientId) => new(Base(clientId))
    {
        // Idempotent with acks=all: a retried send is written once, in order, on every in-sync replica.
        EnableIdempotence = true,
        Acks = Acks.All,
        LingerMs = 5,
        CompressionType = CompressionType.Lz4,
        // A delivery report needs only whether the message was written: the client then does not copy each message's key, value and headers back.
        DeliveryReportFields = "status",
        // Bounds what waits in the client: Produce blocks (backs off) when this is full.
        QueueBufferingMaxKbytes = 65536,
    };

    internal ConsumerConfig ConsumerConfig(string group, string clientId)
    {
        var config = new ConsumerConfig(Base(clientId))
        {
            GroupId = group,
            // Offsets are committed by the stage, after the store write, never by a timer.
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            IsolationLevel = IsolationLevel.ReadCommitted,
            // Bounded prefetch: memory stays flat however long the backlog.
            QueuedMaxMessagesKbytes = 16384,
            FetchMaxBytes = 16 * 1024 * 1024,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
        };
        // A member that vanished without leaving — a killed process, or a join whose answer was lost when the
        // group coordinator went down — holds up every rebalance of its group until its session expires:
        // 10 s here rather than librdkafka's 45 s. Heartbeats come from librdkafka's own thread, so a long
        // batch or a GC pause does not end a session. Client["session.timeout.ms"] overrides it.
        if (!Client.ContainsKey("session.timeout.ms"))
        {
            config.SessionTimeoutMs = (int)SessionTimeout.TotalMilliseconds;
            config.HeartbeatIntervalMs = (int)SessionTimeout.TotalMilliseconds / 3;
        }
        return config;
    }

    /// <summary>The consumer groups' session timeout unless <see cref="Client"/> sets one.</summary>
    internal static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(10);

    internal AdminClientConfig AdminConfig(string clientId) => new(Base(clientId));

    private Dictionary<string, string> Base(string clientId)
    {
        var config = new Dictionary<string, string>(Client, StringComparer.Ordinal)
        {
            ["bootstrap.servers"] = BootstrapServers,
            ["client.id"] = Client.TryGetValue("client.id", out var id) ? id : clientId,
        };
        return config;
    }
}
