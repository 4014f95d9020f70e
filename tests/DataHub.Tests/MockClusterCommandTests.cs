using Confluent.Kafka;

namespace DataHub.Tests;

public sealed class MockClusterCommandTests
{
    [Fact]
    public void The_mock_cluster_creates_the_extra_topics_it_is_given_with_the_hubs_partition_count()
    {
        // The mock serves no CreateTopics request; a topic it does not know would be auto-created with its own default count.
        using var cluster = Cli.KafkaCommands.StartMockCluster(brokers: 1, partitions: 5, extraTopics: ["bench.extra.one", "bench.extra.two"]);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers }).Build();
        var topics = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.ToDictionary(t => t.Topic, t => t.Partitions.Count);
        Assert.Equal(5, topics["bench.extra.one"]);
        Assert.Equal(5, topics["bench.extra.two"]);
        Assert.Equal(5, topics[Kafka.TopicProvisioner.Raw]);
    }
}
