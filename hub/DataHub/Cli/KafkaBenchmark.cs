using System.Diagnostics;
using System.Text.Json;
using DataHub.Adapters.Import;
using DataHub.Kafka;

namespace DataHub.Cli;

/// <summary>
/// `datahub bench kafka`: generated records are produced to datahub.raw.v1 on a broker, then (a) the raw
/// Confluent.Kafka consumer reads them all in a fresh group (the limit: nothing done per message) and
/// (b) the hub's normalize and apply stages take them from the topic to stored profiles. Each run gets a
/// fresh librdkafka mock cluster in a child process (`datahub kafka mock-cluster`, so its in-memory
/// messages are not counted in this process's memory) and a fresh store; the raw consumer runs in a child
/// process too (<see cref="BenchChild"/>). Medians are reported. A third figure, (c), is the transport alone: the
/// raw client relaying the same messages over the two hops the stages make (<see cref="KafkaThroughput.RelayTwiceAsync"/>),
/// with nothing done per message, in a child — how fast this topology goes on this machine, whatever the stages do.
/// </summary>
internal static class KafkaBenchmark
{
    public static async Task<int> RunAsync(HubOptions options, int records, int runs, int partitions, int maxBatch, CancellationToken ct)
    {
        var work = Path.Combine(Path.GetTempPath(), "datahub-bench-kafka-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            var input = Path.Combine(work, "input.jsonl");
            Console.Error.WriteLine($"generating {records:N0} synthetic records into {input} ...");
            IngestBenchmark.Generate(input, records);
            Console.Error.WriteLine($"{partitions} partitions; batches of {maxBatch:N0}; {Environment.ProcessorCount} cores; {runs} run(s); {IngestBenchmark.GcCounters.Mode}; {BenchChild.BaselineNote}");
            var baseline = new List<double>();
            var pipeline = new List<double>();
            var produce = new List<double>();
            var transportAlone = new List<double>();
            var memory = new List<string>();
            for (int run = 1; run <= runs; run++)
            {
                using var cluster = await MockClusterProcess.StartAsync(partitions, ct);
                var kafka = new KafkaBusOptions { BootstrapServers = cluster.BootstrapServers, Partitions = partitions, GroupPrefix = $"bench{run}", MaxBatch = maxBatch };
                using var logs = KafkaCommands.JsonLogs();

                var clock = Stopwatch.StartNew();
                using (var bus = new KafkaEventBus(kafka, logs.CreateLogger("DataHub.Kafka.Producer"), clientId: "bench-producer"))
                {
                    var ingress = new KafkaRawIngress(bus);
                    foreach (var chunk in CanonicalJsonLinesFile.Read(input, TimeProvider.System).Chunk(20_000)) await ingress.SubmitAsync(chunk, ct);
                }
                produce.Add(records / clock.Elapsed.TotalSeconds);
                Console.Error.WriteLine($"run {run}: produced {records:N0} raw records   {produce[^1],12:N0} records/s ({clock.Elapsed.TotalSeconds:F2} s)");

                RequireWhole(kafka, TopicProvisioner.Raw, records, partitions);
                var b = await BenchChild.MeasureAsync(["bench", "kafka-baseline", "--bootstrap-servers", cluster.BootstrapServers, "--group-prefix", kafka.GroupPrefix,
                    "--records", records.ToString(System.Globalization.CultureInfo.InvariantCulture)], ct);
                baseline.Add(records / b.TotalSeconds);
                Console.Error.WriteLine($"run {run}: baseline raw consumer          {baseline[^1],12:N0} records/s ({b.TotalSeconds:F2} s)");

                var gc = IngestBenchmark.GcCounters.Now();
                var (elapsed, line, samples) = await PipelineAsync(options, kafka, Path.Combine(work, $"store-{run}"), records, logs, ct);
                pipeline.Add(records / elapsed.TotalSeconds);
                memory.Add(samples);
                Console.Error.WriteLine($"run {run}: hub stages, topic → profiles    {pipeline[^1],12:N0} records/s ({elapsed.TotalSeconds:F2} s; {line})");
                Console.Error.WriteLine($"run {run}: garbage collector          {(IngestBenchmark.GcCounters.Now() - gc).Describe(records)}");
                Console.Error.WriteLine($"run {run}: working set by progress (MB): {samples}");
                var t = await BenchChild.MeasureAsync(["bench", "kafka-transport", "--bootstrap-servers", cluster.BootstrapServers, "--group-prefix", kafka.GroupPrefix,
                    "--records", records.ToString(System.Globalization.CultureInfo.InvariantCulture), "--partitions", partitions.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "--max-batch", maxBatch.ToString(System.Globalization.CultureInfo.InvariantCulture)], ct);
                transportAlone.Add(records / t.TotalSeconds);
                Console.Error.WriteLine($"run {run}: the transport alone            {transportAlone[^1],12:N0} records/s ({t.TotalSeconds:F2} s; the two hops, raw client, nothing done per message)");
                Directory.Delete(Path.Combine(work, $"store-{run}"), true);
            }
            double baselineRps = IngestBenchmark.Median(baseline), pipelineRps = IngestBenchmark.Median(pipeline), transportRps = IngestBenchmark.Median(transportAlone);
            double peakMb = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
            Console.Out.WriteLine($"produce (idempotent, acks=all):      {IngestBenchmark.Median(produce):N0} records/s (median of {runs})");
            Console.Out.WriteLine($"baseline (raw Confluent.Kafka read):  {baselineRps:N0} records/s (median of {runs})");
            Console.Out.WriteLine($"pipeline (topic to stored profiles):  {pipelineRps:N0} records/s (median of {runs})");
            Console.Out.WriteLine($"transport alone (two hops, raw):      {transportRps:N0} records/s (median of {runs}; {transportRps / baselineRps:F3} of the baseline)");
            Console.Out.WriteLine($"ratio pipeline/baseline:              {pipelineRps / baselineRps:F3}");
            Console.Out.WriteLine($"peak working set:                     {peakMb:F0} MB (working set at 25/50/75/100 % of the last run: {memory[^1]})");
            Console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                benchmark = "kafka",
                records,
                runs,
                partitions,
                max_batch = maxBatch,
                cores = Environment.ProcessorCount,
                produce_rps = Math.Round(IngestBenchmark.Median(produce)),
                baseline_rps = Math.Round(baselineRps),
                pipeline_rps = Math.Round(pipelineRps),
                ratio = Math.Round(pipelineRps / baselineRps, 3),
                peak_mb = Math.Round(peakMb),
                gc = IngestBenchmark.GcCounters.ModeName,
                transport_alone_rps = Math.Round(transportRps),
                transport_alone_ratio = Math.Round(transportRps / baselineRps, 3),
            }));
            return 0;
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    /// <summary>
    /// (c), as `bench kafka-transport` measures it in its child, warmed up first on groups and topics of its own over the first
    /// raw records. One message in seven goes on to the third topic: the hub publishes about one profile per seven records of
    /// the generated data (134,000–147,000 per million).
    /// </summary>
    internal static async Task<TimeSpan> WarmedTransport(KafkaBusOptions kafka, int records, CancellationToken ct)
    {
        var log = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        await KafkaThroughput.RelayTwiceAsync(kafka with { GroupPrefix = kafka.GroupPrefix + ".warm" }, TopicProvisioner.Raw, (TransportTopics[2], TransportTopics[3]), Math.Min(20_000, records), 7, log, ct);
        return await KafkaThroughput.RelayTwiceAsync(kafka, TopicProvisioner.Raw, (TransportTopics[0], TransportTopics[1]), records, 7, log, ct);
    }

    /// <summary>The transport figure's topics, made with the mock cluster of each run: the two hops, then the two of its warm-up.</summary>
    internal static readonly string[] TransportTopics =
        ["bench.transport.records", "bench.transport.profiles", "bench.transport-warm.records", "bench.transport-warm.profiles"];

    /// <summary>
    /// The baseline as `bench kafka-baseline` measures it in its child: the raw consumer reads every raw record in a
    /// fresh group, after a group of its own has read the first ones, so the measured loop runs compiled.
    /// </summary>
    internal static TimeSpan WarmedBaseline(KafkaBusOptions kafka, int records, CancellationToken ct)
    {
        KafkaThroughput.ConsumeAll(kafka with { GroupPrefix = kafka.GroupPrefix + ".warm" }, TopicProvisioner.Raw, Math.Min(20_000, records), ct);
        return KafkaThroughput.ConsumeAll(kafka, TopicProvisioner.Raw, records, ct);
    }

    /// <summary>
    /// The mock cluster keeps at most 5 MiB (or 100,000 message sets) per partition and drops the oldest
    /// beyond that; a benchmark on a truncated topic would measure fewer messages than it claims.
    /// </summary>
    private static void RequireWhole(KafkaBusOptions kafka, string topic, long expected, int partitions)
    {
        var (messages, truncated) = KafkaThroughput.Watermarks(kafka, topic);
        if (truncated || messages < expected)
            throw new InvalidOperationException($"{topic} holds {messages:N0} of the {expected:N0} messages produced: the mock cluster keeps 5 MiB per partition and dropped the oldest. " +
                                                $"Run with more partitions than {partitions} (--partitions) or fewer records.");
    }

    /// <summary>Runs the stages in this process on a fresh store until every record is applied; samples the working set on the way.</summary>
    private static async Task<(TimeSpan Elapsed, string Summary, string Memory)> PipelineAsync(HubOptions options, KafkaBusOptions kafka, string directory, int records,
        Microsoft.Extensions.Logging.ILoggerFactory logs, CancellationToken ct)
    {
        using var hub = Hub.Open(options with { DataDirectory = directory, Bus = new BusSettings { Provider = BusSettings.KafkaProvider, Kafka = kafka } });
        var clock = Stopwatch.StartNew();
        var samples = new SortedDictionary<int, double>();
        await using var host = await KafkaPipelineHost.StartAsync(hub, logs, provisionTopics: false, ct);
        while (true)
        {
            await Task.Delay(100, ct);
            if (host.Completion.IsCompleted) throw new InvalidOperationException("A stage stopped during the benchmark; see the log.");
            var consumed = host.NormalizeStage.Counters.Handled + host.NormalizeStage.Counters.DeadLettered;
            int quarter = (int)(4 * consumed / records);
            if (quarter > 0 && !samples.ContainsKey(quarter * 25)) samples[quarter * 25] = Environment.WorkingSet / 1048576.0;
            // Done: every raw record handled, and every record it sent on applied.
            if (consumed >= records && host.ApplyStage.Counters.Handled + host.ApplyStage.Counters.DeadLettered >= host.Normalize.Forwarded) break;
        }
        var elapsed = clock.Elapsed;
        samples[100] = Environment.WorkingSet / 1048576.0;
        RequireWhole(kafka, Core.Ingest.Topics.Records, host.Normalize.Forwarded, kafka.Partitions);
        return (elapsed, host.Describe(), string.Join(" / ", samples.Where(s => s.Key <= 100).Select(s => $"{s.Value:F0}")));
    }
}

/// <summary>`datahub kafka mock-cluster` in a child process: its bootstrap servers, and stopping it by closing its standard input.</summary>
internal sealed class MockClusterProcess : IDisposable
{
    private readonly Process _process;

    private MockClusterProcess(Process process, string bootstrap)
    {
        _process = process;
        BootstrapServers = bootstrap;
    }

    public string BootstrapServers { get; }

    public static async Task<MockClusterProcess> StartAsync(int partitions, CancellationToken ct)
    {
        var process = BenchChild.Start(["kafka", "mock-cluster", "--brokers", "3", "--partitions", partitions.ToString(System.Globalization.CultureInfo.InvariantCulture),
            .. KafkaBenchmark.TransportTopics.SelectMany(t => new[] { "--topic", t })]);
        var line = await process.StandardOutput.ReadLineAsync(ct);
        if (string.IsNullOrWhiteSpace(line))
        {
            process.Kill();
            throw new InvalidOperationException("The mock cluster process printed no bootstrap servers; is librdkafka1 installed?");
        }
        return new MockClusterProcess(process, line.Trim());
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(10_000)) _process.Kill();
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
