using System.Collections.Concurrent;
using System.Diagnostics;
using DataHub.Adapters.Import;
using DataHub.Embedded;
using DataHub.Kafka;
using DataHub.Schema.V1;
using DataHub.Synthetic;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;

namespace DataHub.Tests;

/// <summary>
/// Three `datahub kafka stages` processes in one consumer group per stage, against a mock Kafka cluster
/// of three brokers; one is killed mid-stream and started again. Every record must be applied and every
/// profile must equal the embedded run's over the same input.
/// </summary>
[Collection("console")]
public sealed class KafkaScaleOutTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "datahub-scaleout-" + Guid.NewGuid().ToString("N"));
    private readonly List<(Process Process, ConcurrentQueue<string> Log)> _nodes = [];

    [Fact]
    public async Task Three_processes_share_the_partitions_and_a_killed_one_loses_and_doubles_nothing()
    {
        var lines = new SyntheticDataGenerator(new GeneratorOptions { Enterprises = 400, Seed = 21 }).Generate().ToList();
        var raws = lines.Select((l, i) => new RawRecord
        {
            Source = CanonicalJsonLinesFile.Source,
            Format = CanonicalJsonLinesMapper.FormatName,
            Origin = $"scaleout.jsonl:{i + 1}",
            Payload = ByteString.CopyFromUtf8(l.Json),
        }).ToList();
        var (expected, expectedStats) = await EmbeddedAsync(raws);

        using var cluster = Cli.KafkaCommands.StartMockCluster(brokers: 3, partitions: 6);
        var data = Path.Combine(_root, "shared");
        var environment = new Dictionary<string, string>
        {
            ["DataHub__Bus__Provider"] = "kafka",
            ["DataHub__Bus__Kafka__BootstrapServers"] = cluster.BootstrapServers,
            ["DataHub__Bus__Kafka__Partitions"] = "6",
            ["DataHub__Bus__Kafka__MaxBatch"] = "200",
            ["DataHub__Bus__Kafka__BatchWaitMilliseconds"] = "100",
            ["DataHub__Bus__Kafka__GroupPrefix"] = "scaleout",
            // The killed process's partitions move after its session times out: 6 s instead of the default 45 s.
            ["DataHub__Bus__Kafka__Client__session.timeout.ms"] = "6000",
            ["DataHub__Bus__Kafka__Client__heartbeat.interval.ms"] = "1000",
        };
        for (int i = 0; i < 3; i++) StartNode(data, environment);
        var kafka = new KafkaBusOptions { BootstrapServers = cluster.BootstrapServers, Partitions = 6 };
        using var producer = new KafkaEventBus(kafka, NullLogger.Instance, clientId: "scaleout-test");
        var ingress = new KafkaRawIngress(producer);

        // The group has settled on three members when each process holds apply partitions.
        await WaitUntilAsync(() => _nodes.All(n => n.Log.Any(l => l.Contains("DataHub.Kafka.Apply", StringComparison.Ordinal) && l.Contains("got partitions", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(60), "every process to get apply partitions");
        var store = new SqliteHubStore(Path.Combine(data, "hub.db"));
        await ingress.SubmitAsync(raws.Take(raws.Count / 2).ToList());
        await WaitUntilAsync(() => store.Stats().Records > 200, TimeSpan.FromSeconds(60), "the first records to be applied");

        // Kill one mid-stream (no clean leave: the group waits out its session), send the rest, start it again.
        _nodes[1].Process.Kill(entireProcessTree: true);
        await ingress.SubmitAsync(raws.Skip(raws.Count / 2).ToList());
        await Task.Delay(2000);
        StartNode(data, environment);

        string? difference = null;
        await WaitUntilAsync(() => (difference = Difference(store, expected, expectedStats)) is null, TimeSpan.FromSeconds(180), "the shared store to equal the embedded run", () => difference ?? "");
        Assert.All(_nodes.Where(n => !n.Process.HasExited), n => Assert.DoesNotContain(n.Log, l => l.Contains("\"LogLevel\":\"Critical\"", StringComparison.Ordinal)));
    }

    private void StartNode(string data, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "datahub.dll"), "kafka", "stages", "--data", data, "--no-create-topics" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment) info.Environment[key] = value;
        var process = Process.Start(info)!;
        var log = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _nodes.Add((process, log));
    }

    private async Task<(Dictionary<string, EnterpriseProfile>, Core.Ingest.HubStats)> EmbeddedAsync(IReadOnlyList<RawRecord> raws)
    {
        var directory = Path.Combine(_root, "embedded");
        var options = HubOptions.Load(directory);
        var store = new SqliteHubStore(Path.Combine(directory, "hub.db"));
        await Hub.CreatePipeline(store, new InProcessEventBus(), options).IngestAsync(raws);
        return (store.EnterprisesWithProfiles().ToDictionary(u => u, u => store.GetProfile(u)!), store.Stats());
    }

    private static string? Difference(SqliteHubStore store, Dictionary<string, EnterpriseProfile> expected, Core.Ingest.HubStats expectedStats)
    {
        var stats = store.Stats();
        if (stats != expectedStats) return $"store counts {stats}, embedded run {expectedStats}";
        var differing = expected.Where(e => !e.Value.Equals(store.GetProfile(e.Key))).Select(e => e.Key).ToList();
        return differing.Count == 0 ? null : $"{differing.Count} profiles differ from the embedded run's, e.g. {differing[0]}";
    }

    private async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what, Func<string>? state = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
                Assert.Fail($"Timed out waiting for {what}. {state?.Invoke()}\nLast log lines:\n" +
                            string.Join("\n", _nodes.SelectMany((n, i) => n.Log.TakeLast(8).Select(l => $"[{i}] {l}"))));
            await Task.Delay(200);
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // IAsyncLifetime, not IAsyncDisposable: xunit 2 awaits this one, so no child process outlives the test.
    public async Task DisposeAsync()
    {
        foreach (var (process, _) in _nodes)
        {
            try
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            catch (InvalidOperationException) { }
            process.Dispose();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
