using System.Runtime.InteropServices;
using System.Text;

namespace DataHub.Kafka;

/// <summary>
/// librdkafka's mock cluster: brokers that speak the Kafka protocol over TCP on loopback, inside this
/// process, through P/Invoke into the system librdkafka (Debian librdkafka1). For tests and for
/// `datahub bench kafka` where no Kafka runs; any Kafka client (kcat, another process) can connect to
/// <see cref="BootstrapServers"/>. It keeps messages in memory and does not serve the CreateTopics
/// admin request, so topics are created here (<see cref="CreateTopic"/>) or auto-created on first use.
/// librdkafka marks this API experimental; the functions used exist in librdkafka 2.0.2.
/// </summary>
public sealed class MockKafkaCluster : IDisposable
{
    private const string Library = "librdkafka.so.1";
    private IntPtr _handle;
    private IntPtr _cluster;

    public MockKafkaCluster(int brokers = 3)
    {
        if (brokers < 1) throw new ArgumentOutOfRangeException(nameof(brokers), brokers, "A cluster needs at least one broker.");
        var conf = rd_kafka_conf_new();
        var error = new StringBuilder(512);
        // The handle only hosts the cluster; it never produces. Quiet its logs (they go to stderr otherwise).
        rd_kafka_conf_set(conf, "log_level", "3", error, (UIntPtr)error.Capacity);
        _handle = rd_kafka_new(0, conf, error, (UIntPtr)error.Capacity);
        if (_handle == IntPtr.Zero) throw new InvalidOperationException($"librdkafka could not create a client to host the mock cluster: {error}");
        _cluster = rd_kafka_mock_cluster_new(_handle, brokers);
        if (_cluster == IntPtr.Zero)
        {
            rd_kafka_destroy(_handle);
            throw new InvalidOperationException("librdkafka could not start a mock cluster.");
        }
        BootstrapServers = Marshal.PtrToStringAnsi(rd_kafka_mock_cluster_bootstraps(_cluster)) ?? throw new InvalidOperationException("The mock cluster has no listeners.");
        Brokers = brokers;
    }

    /// <summary>"127.0.0.1:port,…", one listener per broker.</summary>
    public string BootstrapServers { get; }

    public int Brokers { get; }

    public void CreateTopic(string topic, int partitions, int replicationFactor) =>
        Check(rd_kafka_mock_topic_create(_cluster, topic, partitions, replicationFactor), $"create topic {topic}");

    /// <summary>The next <paramref name="errors"/>.Length requests of this API (e.g. 0 = Produce, 1 = Fetch) fail with these Kafka error codes.</summary>
    public void PushRequestErrors(short apiKey, params int[] errors) =>
        rd_kafka_mock_push_request_errors_array(_cluster, apiKey, (UIntPtr)errors.Length, errors);

    /// <summary>Disconnects the broker's clients and refuses new connections; leadership does not move.</summary>
    public void SetBrokerDown(int brokerId) => Check(rd_kafka_mock_broker_set_down(_cluster, brokerId), $"take broker {brokerId} down");

    public void SetBrokerUp(int brokerId) => Check(rd_kafka_mock_broker_set_up(_cluster, brokerId), $"bring broker {brokerId} up");

    /// <summary>Makes a broker the leader of a partition (-1: no leader).</summary>
    public void SetPartitionLeader(string topic, int partition, int brokerId) =>
        Check(rd_kafka_mock_partition_set_leader(_cluster, topic, partition, brokerId), $"move the leader of {topic}[{partition}] to {brokerId}");

    public void Dispose()
    {
        if (_cluster != IntPtr.Zero) rd_kafka_mock_cluster_destroy(_cluster);
        if (_handle != IntPtr.Zero) rd_kafka_destroy(_handle);
        _cluster = _handle = IntPtr.Zero;
    }

    private static void Check(int error, string what)
    {
        if (error != 0) throw new InvalidOperationException($"The mock cluster could not {what}: librdkafka error {error}.");
    }

    [DllImport(Library)] private static extern IntPtr rd_kafka_conf_new();
    [DllImport(Library)] private static extern int rd_kafka_conf_set(IntPtr conf, string name, string value, StringBuilder errstr, UIntPtr errstrSize);
    [DllImport(Library)] private static extern IntPtr rd_kafka_new(int type, IntPtr conf, StringBuilder errstr, UIntPtr errstrSize);
    [DllImport(Library)] private static extern void rd_kafka_destroy(IntPtr rk);
    [DllImport(Library)] private static extern IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokerCount);
    [DllImport(Library)] private static extern void rd_kafka_mock_cluster_destroy(IntPtr cluster);
    [DllImport(Library)] private static extern IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr cluster);
    [DllImport(Library)] private static extern int rd_kafka_mock_topic_create(IntPtr cluster, string topic, int partitions, int replicationFactor);
    [DllImport(Library)] private static extern void rd_kafka_mock_push_request_errors_array(IntPtr cluster, short apiKey, UIntPtr count, int[] errors);
    [DllImport(Library)] private static extern int rd_kafka_mock_broker_set_down(IntPtr cluster, int brokerId);
    [DllImport(Library)] private static extern int rd_kafka_mock_broker_set_up(IntPtr cluster, int brokerId);
    [DllImport(Library)] private static extern int rd_kafka_mock_partition_set_leader(IntPtr cluster, string topic, int partition, int brokerId);
}
