using System.CommandLine;
using DataHub.Adapters.Import;
using DataHub.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DataHub.Cli;

/// <summary>`datahub kafka …`: the pipeline's stages on Kafka, topics, feeding raw records, and a local test broker.</summary>
internal static class KafkaCommands
{
    public static Command Build(Option<string> dataOption)
    {
        var stages = new Command("stages",
            "Run the normalize and apply stages as members of their Kafka consumer groups until Ctrl+C (DataHub:Bus:Provider=kafka). Start as many processes as there are partitions to share the work.");
        var noProvision = new Option<bool>("--no-create-topics") { Description = "Do not create missing topics (when the hub's principal may not)." };
        stages.Options.Add(noProvision);
        stages.SetAction(async (p, ct) =>
        {
            var hub = Hub.Open(HubOptions.Load(p.GetValue(dataOption)!));
            using var logs = JsonLogs();
            var log = logs.CreateLogger("DataHub.Kafka");
            await using var host = await KafkaPipelineHost.StartAsync(hub, logs, !p.GetValue(noProvision), ct);
            log.LogInformation("Kafka stages running against {Bootstrap}; groups {Normalize} and {Apply}", hub.Options.Bus.Kafka!.BootstrapServers, host.NormalizeStage.Group, host.ApplyStage.Group);
            string last = "";
            while (!ct.IsCancellationRequested && !host.Completion.IsCompleted)
            {
                try { await Task.Delay(TimeSpan.FromSeconds(5), ct); } catch (OperationCanceledException) { break; }
                var now = host.Describe();
                if (now != last) log.LogInformation("{Counts}", now);
                last = now;
            }
            if (!ct.IsCancellationRequested && host.Completion.IsCompleted)
            {
                // A stage only stops on a fault it cannot retry (a fatal Kafka error): exit so a supervisor restarts the process.
                var failed = await host.Completion;
                log.LogCritical(failed.Exception, "A Kafka stage stopped; exiting so the process can be restarted");
                return 1;
            }
            return 0;
        });

        var topics = new Command("topics", "Create the hub's topics that are missing (partitions, replication, compaction from DataHub:Bus:Kafka) and list what was created.");
        topics.SetAction(async (p, ct) =>
        {
            var options = HubOptions.Load(p.GetValue(dataOption)!).Bus.RequireKafka();
            using var logs = JsonLogs();
            var created = await TopicProvisioner.EnsureTopicsAsync(options, logs.CreateLogger("DataHub.Kafka.Topics"), ct);
            CliOutput.WriteJson(new { Created = created, Topics = TopicProvisioner.Specifications(options).Select(s => new { s.Name, s.NumPartitions, s.ReplicationFactor, s.Configs }) });
            return 0;
        });

        var files = new Argument<string[]>("files") { Description = "Canonical JSON-lines files (docs/import-format.md).", Arity = ArgumentArity.OneOrMore };
        var ingest = new Command("ingest", "Send canonical JSON-lines files to datahub.raw.v1 as raw records; the stages, wherever they run, do the rest.") { files };
        ingest.SetAction(async (p, ct) =>
        {
            var paths = p.GetValue(files)!;
            var missing = paths.Where(f => !File.Exists(f)).ToList();
            if (missing.Count > 0) { CliOutput.Error("no such file: " + string.Join(", ", missing)); return 2; }
            var options = HubOptions.Load(p.GetValue(dataOption)!).Bus.RequireKafka();
            using var logs = JsonLogs();
            using var bus = new KafkaEventBus(options, logs.CreateLogger("DataHub.Kafka.Producer"), clientId: "datahub-ingest");
            var ingress = new KafkaRawIngress(bus);
            long sent = 0;
            await CliOutput.WithProgressAsync("发送到 Kafka", paths.Sum(f => new FileInfo(f).Length), async report =>
            {
                long read = 0;
                foreach (var chunk in paths.SelectMany(f => CanonicalJsonLinesFile.Read(f, TimeProvider.System, n => read += n)).Chunk(10_000))
                {
                    await ingress.SubmitAsync(chunk, ct);
                    sent += chunk.Length;
                    report(read, $"已确认 {sent:N0} 条");
                }
                return sent;
            });
            CliOutput.WriteJson(new { Sent = sent, Topic = TopicProvisioner.Raw });
            return 0;
        });

        var brokers = new Option<int>("--brokers") { Description = "Brokers in the mock cluster.", DefaultValueFactory = _ => 3 };
        var partitions = new Option<int>("--partitions") { Description = "Partitions of the hub's topics.", DefaultValueFactory = _ => 12 };
        var extraTopics = new Option<string[]>("--topic") { Description = "Another topic to create beside the hub's, with as many partitions (repeatable; the mock serves no CreateTopics request)." };
        var mock = new Command("mock-cluster",
            "Run librdkafka's mock Kafka cluster on loopback (for tests, benchmarks and trying the Kafka mode without a broker; messages live in memory). Prints the bootstrap servers, then runs until Ctrl+C or standard input closes.")
            { brokers, partitions, extraTopics };
        mock.SetAction(async (p, ct) =>
        {
            if (p.GetValue(brokers) is < 1 or > 9 || p.GetValue(partitions) is < 1 or > 1000) { CliOutput.Error("--brokers must be 1 to 9 and --partitions 1 to 1000."); return 2; }
            using var cluster = StartMockCluster(p.GetValue(brokers), p.GetValue(partitions), p.GetValue(extraTopics) ?? []);
            Console.Out.WriteLine(cluster.BootstrapServers);
            Console.Out.Flush();
            // Ends when the parent closes our standard input (a benchmark or test that started us) or on Ctrl+C.
            var stdinClosed = Task.Run(() => { while (Console.In.Read() >= 0) { } });
            await Task.WhenAny(stdinClosed, Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }, TaskScheduler.Default));
            return 0;
        });
        return new Command("kafka", "The Kafka backbone: stages, topics, feeding raw records, a local test broker (docs/kafka.md).") { stages, topics, ingest, mock };
    }

    /// <summary>A mock cluster with the hub's topics and <paramref name="extraTopics"/> created (the mock does not serve CreateTopics).</summary>
    public static MockKafkaCluster StartMockCluster(int brokers, int partitions, IEnumerable<string>? extraTopics = null)
    {
        var cluster = new MockKafkaCluster(brokers);
        var options = new KafkaBusOptions { BootstrapServers = cluster.BootstrapServers, Partitions = partitions };
        foreach (var spec in TopicProvisioner.Specifications(options)) cluster.CreateTopic(spec.Name, spec.NumPartitions, Math.Min(brokers, 3));
        foreach (var topic in extraTopics ?? []) cluster.CreateTopic(topic, partitions, Math.Min(brokers, 3));
        return cluster;
    }

    /// <summary>Structured (JSON) logs, as `serve` writes them, on standard error (standard output carries results).</summary>
    public static ILoggerFactory JsonLogs() => LoggerFactory.Create(b =>
    {
        b.AddJsonConsole(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ");
        b.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        b.SetMinimumLevel(LogLevel.Information);
    });
}
