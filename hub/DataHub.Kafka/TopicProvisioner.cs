using Confluent.Kafka;
using Confluent.Kafka.Admin;
using DataHub.Core.Ingest;
using Microsoft.Extensions.Logging;

namespace DataHub.Kafka;

/// <summary>The hub's topics, and creating the missing ones at start-up.</summary>
public static class TopicProvisioner
{
    /// <summary>Raw records from adapters and the ingest API; no key; value RawRecord.</summary>
    public const string Raw = "datahub.raw.v1";

    /// <summary>Messages a stage could not process, with headers saying why and where they came from.</summary>
    public const string DeadLetter = "datahub.deadletter.v1";

    /// <summary>Every topic the hub writes, with how the hub creates it.</summary>
    public static IReadOnlyList<TopicSpecification> Specifications(KafkaBusOptions options) =>
    [
        Spec(Raw, options.Partitions, options.ReplicationFactor, DeletePolicy(days: 7)),
        Spec(Topics.Records, options.Partitions, options.ReplicationFactor, DeletePolicy(days: 30)),
        Spec(Topics.Profiles, options.Partitions, options.ReplicationFactor,
            options.CompactProfiles ? new() { ["cleanup.policy"] = "compact" } : DeletePolicy(days: 30)),
        Spec(Topics.Pulls, options.Partitions, options.ReplicationFactor, DeletePolicy(days: 365)),
        Spec(Topics.Linkage, options.Partitions, options.ReplicationFactor, DeletePolicy(days: 365)),
        // One partition, as Kafka Connect creates its dead-letter topics: operators read it in order.
        Spec(DeadLetter, 1, options.ReplicationFactor, DeletePolicy(days: 30)),
    ];

    /// <summary>
    /// Creates the topics that do not exist; leaves existing ones as they are and warns when their
    /// partition count differs from the configured one. Returns the names created.
    /// </summary>
    public static async Task<IReadOnlyList<string>> EnsureTopicsAsync(KafkaBusOptions options, ILogger log, CancellationToken cancellationToken = default)
    {
        using var admin = new AdminClientBuilder(options.AdminConfig("datahub-admin")).SetLogHandler((_, m) => KafkaLog.Write(log, m)).Build();
        var wanted = Specifications(options);
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(30));
        var existing = metadata.Topics.Where(t => t.Error.Code == ErrorCode.NoError).ToDictionary(t => t.Topic, t => t.Partitions.Count, StringComparer.Ordinal);
        foreach (var spec in wanted.Where(s => existing.TryGetValue(s.Name, out var n) && n != s.NumPartitions))
            log.LogWarning("Kafka topic {Topic} has {Actual} partitions; the configuration asks for {Wanted}. The hub uses it as it is.", spec.Name, existing[spec.Name], spec.NumPartitions);
        var missing = wanted.Where(s => !existing.ContainsKey(s.Name)).ToList();
        if (missing.Count == 0) return [];
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await admin.CreateTopicsAsync(missing);
        }
        catch (CreateTopicsException e)
        {
            var failed = e.Results.Where(r => r.Error.Code is not ErrorCode.NoError and not ErrorCode.TopicAlreadyExists).ToList();
            if (failed.Count > 0)
                throw new InvalidOperationException("Kafka topics could not be created: " +
                    string.Join("; ", failed.Select(r => $"{r.Topic}: {r.Error.Reason}")) + ". Create them by hand (docs/kafka.md lists them) or give the hub's principal the CREATE permission.", e);
        }
        foreach (var spec in missing) log.LogInformation("Created Kafka topic {Topic} ({Partitions} partitions, replication {Replication})", spec.Name, spec.NumPartitions, spec.ReplicationFactor);
        return missing.Select(s => s.Name).ToList();
    }

    private static TopicSpecification Spec(string name, int partitions, short replication, Dictionary<string, string> configs) =>
        new() { Name = name, NumPartitions = partitions, ReplicationFactor = replication, Configs = configs };

    private static Dictionary<string, string> DeletePolicy(int days) => new()
    {
        ["cleanup.policy"] = "delete",
        ["retention.ms"] = ((long)days * 24 * 3600 * 1000).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
