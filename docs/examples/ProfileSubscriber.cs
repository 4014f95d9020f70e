// A subscriber to datahub.profiles.v1 (docs/kafka.md): every enterprise profile after it changed.
// Needs the Confluent.Kafka and Google.Protobuf packages and the classes protoc generates from
// protos/datahub/v1/*.proto. The hub's test suite compiles and runs this file against a broker.
using System.Text;
using Confluent.Kafka;
using DataHub.Schema.V1;

namespace DataHub.Examples;

public static class ProfileSubscriber
{
    /// <summary>
    /// Reads profiles until none has come for <paramref name="idle"/> after the first (or <paramref name="timeout"/> is up);
    /// returns the latest profile of each enterprise.
    /// </summary>
    public static Dictionary<string, EnterpriseProfile> Read(string bootstrapServers, string group, TimeSpan idle, TimeSpan timeout)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = group,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            // Commit after handling, as the hub's own stages do, so a crash re-reads rather than skips.
            EnableAutoCommit = false,
        };
        using var consumer = new ConsumerBuilder<string, byte[]>(config).Build();
        consumer.Subscribe("datahub.profiles.v1");
        var latest = new Dictionary<string, EnterpriseProfile>();
        var until = DateTime.UtcNow + timeout;
        DateTime? lastMessage = null; // joining the group takes a few seconds: idle counts from the first message
        while (DateTime.UtcNow < until && (lastMessage is null || DateTime.UtcNow - lastMessage < idle))
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null) continue;
            lastMessage = DateTime.UtcNow;
            // The header names the message type; skip what this subscriber does not understand.
            if (!result.Message.Headers.TryGetLastBytes("datahub.type", out var type) ||
                Encoding.UTF8.GetString(type) != "datahub.v1.EnterpriseProfile") continue;
            var profile = EnterpriseProfile.Parser.ParseFrom(result.Message.Value);
            // record_count 0: the enterprise no longer has any record (the hub's tombstone).
            if (profile.RecordCount == 0) latest.Remove(result.Message.Key);
            else latest[result.Message.Key] = profile;
            consumer.Commit(result);
        }
        consumer.Close();
        return latest;
    }
}
