using System.CommandLine;
using System.Globalization;
using System.Text;
using DataHub.Adapters.Import;
using DataHub.Core.Identifiers;
using DataHub.Core.Ingest;
using DataHub.Core.Profiles;
using DataHub.Core.Records;
using DataHub.Embedded;
using DataHub.Schema.V1;
using DataHub.Simulators;
using DataHub.Synthetic;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace DataHub.Cli;

/// <summary>The `datahub` command line.</summary>
internal static class DataHubCli
{
    private static readonly Option<string> DataOption = new("--data")
    {
        Description = "Folder of the embedded store (hub.db inside).",
        DefaultValueFactory = _ => "./data",
        Recursive = true,
    };

    public static RootCommand Build()
    {
        var root = new RootCommand("DataHub: the government data-exchange hub (政务数据共享枢纽). Embedded backends: one SQLite file, nothing to install.");
        root.Options.Add(DataOption);
        root.Subcommands.Add(UsccCommand());
        root.Subcommands.Add(GenerateCommand());
        root.Subcommands.Add(ImportCommand());
        root.Subcommands.Add(StatsCommand());
        root.Subcommands.Add(ProfileCommand());
        root.Subcommands.Add(SearchCommand());
        root.Subcommands.Add(QuarantineCommand());
        root.Subcommands.Add(UnresolvedCommand());
        root.Subcommands.Add(RebuildCommand());
        root.Subcommands.Add(ServeCommand());
        root.Subcommands.Add(AuditCommand());
        root.Subcommands.Add(DemoCommand());
        root.Subcommands.Add(BenchCommand());
        root.Subcommands.Add(KafkaCommands.Build(DataOption));
        return root;
    }

    private static Hub OpenHub(ParseResult p) => Hub.Open(HubOptions.Load(p.GetValue(DataOption)!));

    private static Command UsccCommand()
    {
        var codes = new Argument<string[]>("codes") { Description = "Codes to check (any case, full-width, with spaces or hyphens).", Arity = ArgumentArity.OneOrMore };
        var check = new Command("check", "Normalize, validate and decode USCCs: one JSON object per code; exit 0 only if all are valid.") { codes };
        check.SetAction(p =>
        {
            var allow = HubOptions.Load(p.GetValue(DataOption)!).UsccAllowList;
            bool allValid = true;
            foreach (var code in p.GetValue(codes)!)
            {
                var result = Uscc.Check(code, allow);
                allValid &= result.Valid;
                CliOutput.WriteJson(new
                {
                    result.Input,
                    result.Normalized,
                    result.Valid,
                    Errors = result.Errors.Select(Problem),
                    Warnings = result.Warnings.Select(Problem),
                    Decoded = result.Valid ? Uscc.Decode(result.Normalized) : null,
                }, indented: false);
            }
            return allValid ? 0 : 1;
        });
        return new Command("uscc", "Unified social credit codes (统一社会信用代码).") { check };

        static object Problem(UsccProblem e) => new { e.Code, e.Position, e.Message, e.MessageZh };
    }

    private static Command GenerateCommand()
    {
        var enterprises = new Option<int>("--enterprises") { Description = "Number of enterprises.", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Seed: the same seed gives the same data.", DefaultValueFactory = _ => 1 };
        var dirt = new Option<double>("--dirt-rate") { Description = "Share of records given one kind of dirt (0 to 1).", DefaultValueFactory = _ => 0.05 };
        var output = new Option<string>("--out") { Description = "Folder for the JSON-lines files.", Required = true };
        var command = new Command("generate", "Write synthetic (合成) canonical JSON-lines files, one per source system, with a manifest of expected counts.")
        {
            enterprises, seed, dirt, output,
        };
        command.SetAction(async (p, ct) =>
        {
            var options = new GeneratorOptions { Enterprises = p.GetValue(enterprises), Seed = p.GetValue(seed), DirtRate = p.GetValue(dirt) };
            if (options.Enterprises < 1) { CliOutput.Error("--enterprises must be at least 1."); return 2; }
            if (options.DirtRate is < 0 or > 1) { CliOutput.Error("--dirt-rate must be between 0 and 1."); return 2; }
            var manifest = await CliOutput.WithProgressAsync("生成合成数据", options.Enterprises, report =>
                Task.Run(() => SyntheticDataSet.Write(options, p.GetValue(output)!, (n, lines) => report(n, $"{lines:N0} 行")), ct));
            CliOutput.WriteJson(manifest);
            return 0;
        });
        return command;
    }

    private static Command ImportCommand()
    {
        var files = new Argument<string[]>("files") { Description = "Canonical JSON-lines files (docs/import-format.md).", Arity = ArgumentArity.OneOrMore };
        var command = new Command("import", "Import canonical JSON-lines files through the whole pipeline.") { files };
        command.SetAction(async (p, ct) =>
        {
            var paths = p.GetValue(files)!;
            var missing = paths.Where(f => !File.Exists(f)).ToList();
            if (missing.Count > 0) { CliOutput.Error("no such file: " + string.Join(", ", missing)); return 2; }
            var hub = OpenHub(p);
            var summary = await ImportAsync(hub, paths, ct);
            CliOutput.WriteJson(summary);
            return 0;
        });
        return command;
    }

    internal static Task<IngestSummary> ImportAsync(Hub hub, IReadOnlyList<string> paths, CancellationToken ct)
    {
        long totalBytes = paths.Sum(f => new FileInfo(f).Length);
        return CliOutput.WithProgressAsync("导入", totalBytes, async report =>
        {
            long read = 0;
            var raw = paths.SelectMany(f => CanonicalJsonLinesFile.Read(f, TimeProvider.System, n => Interlocked.Add(ref read, n)));
            var progress = new SyncProgress<IngestSummary>(s => report(Interlocked.Read(ref read),
                $"记录 {s.Received:N0} · 入库 {s.Stored:N0} · 重复 {s.Duplicates:N0} · 隔离 {s.Quarantined:N0} · 待匹配 {s.Unresolved:N0}"));
            return await hub.Pipeline.IngestAsync(raw, progress, ct);
        });
    }

    private static Command StatsCommand()
    {
        var command = new Command("stats", "Counts of the store as JSON: records, profiles, quarantined, unresolved.");
        command.SetAction(p =>
        {
            var s = OpenHub(p).Store.Stats();
            CliOutput.WriteJson(new { s.Records, s.CurrentRecords, s.Profiles, s.Quarantined, s.Unresolved });
            return 0;
        });
        return command;
    }

    private static Command ProfileCommand()
    {
        var uscc = new Argument<string>("uscc") { Description = "The enterprise's USCC." };
        var asOf = new Option<string?>("--as-of") { Description = "Show the profile as it stood at the end of this date (YYYY-MM-DD)." };
        var command = new Command("profile", "Print an enterprise profile (企业画像) as JSON.") { uscc, asOf };
        command.SetAction(async (p, ct) =>
        {
            var hub = OpenHub(p);
            var check = Uscc.Check(p.GetValue(uscc), hub.Options.UsccAllowList);
            if (!check.Valid) { CliOutput.Error(string.Join(" ", check.Errors.Select(e => e.Message))); return 2; }
            EnterpriseProfile? profile;
            if (p.GetValue(asOf) is { } text)
            {
                if (!ChinaDates.TryParse(text, out var date) || date.Year is < 1900 or > 2199)
                {
                    CliOutput.Error($"--as-of '{text}' is not a date between 1900 and 2199; use YYYY-MM-DD.");
                    return 2;
                }
                var versions = hub.Store.RecordVersions(check.Normalized);
                profile = versions.Count == 0 ? null : new ProfileProjector().ProjectAsOf(check.Normalized, versions, date);
            }
            else
            {
                var cache = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));
                using var reader = new CachedProfileReader(hub.Store, cache, hub.Bus);
                profile = await reader.GetAsync(check.Normalized, ct);
            }
            if (profile is null) { CliOutput.Error($"no profile for {check.Normalized}: no record of this enterprise has been stored."); return 3; }
            CliOutput.WriteMessage(profile);
            return 0;
        });
        return command;
    }

    private static Command SearchCommand()
    {
        var query = new Argument<string>("query") { Description = "Name fragment, former name, USCC or its prefix, legal representative or address." };
        var limit = new Option<int>("--limit") { Description = "Most results to print.", DefaultValueFactory = _ => 20 };
        var command = new Command("search", "Search enterprises (SQLite FTS5, trigram).") { query, limit };
        command.SetAction(p =>
        {
            var hits = OpenHub(p).Store.Search(p.GetValue(query)!, Math.Clamp(p.GetValue(limit), 1, 1000));
            CliOutput.WriteJson(hits);
            return 0;
        });
        return command;
    }

    private static Command QuarantineCommand()
    {
        var all = new Option<bool>("--all") { Description = "Include entries already replayed." };
        var limit = new Option<int>("--limit") { Description = "Most entries to print.", DefaultValueFactory = _ => 100 };
        var list = new Command("list", "Quarantined payloads with their reasons.") { all, limit };
        list.SetAction(p =>
        {
            var entries = OpenHub(p).Store.ListQuarantine(p.GetValue(all), Math.Max(1, p.GetValue(limit)));
            CliOutput.WriteJson(entries.Select(e => new
            {
                e.Id, e.Source, e.Format, e.Origin, e.Stage, e.ReasonCode, e.Reason, e.QuarantinedAt, e.ReplayAttempts, e.ReplayedAt,
                Payload = Encoding.UTF8.GetString(e.Payload),
            }));
            return 0;
        });
        var ids = new Option<long[]>("--id") { Description = "Replay only these entries (default: every open entry).", AllowMultipleArgumentsPerToken = true };
        var replay = new Command("replay", "Put quarantined payloads through the pipeline again (after a fix of configuration or mapper).") { ids };
        replay.SetAction(async (p, ct) =>
        {
            var hub = OpenHub(p);
            var wanted = p.GetValue(ids) ?? [];
            var entries = hub.Store.ListQuarantine(false, int.MaxValue).Where(e => wanted.Length == 0 || wanted.Contains(e.Id)).ToList();
            var unknown = wanted.Except(entries.Select(e => e.Id)).ToList();
            if (unknown.Count > 0) { CliOutput.Error("no open quarantine entry with id " + string.Join(", ", unknown)); return 2; }
            var summary = await hub.Pipeline.ReplayQuarantineAsync(entries, ct);
            CliOutput.WriteJson(new { Attempted = entries.Count, summary.Replayed, StillQuarantined = entries.Count - summary.Replayed, summary.Stored, summary.Duplicates, summary.Unresolved });
            return 0;
        });
        return new Command("quarantine", "Payloads that could not be stored (隔离区).") { list, replay };
    }

    private static Command UnresolvedCommand()
    {
        var limit = new Option<int>("--limit") { Description = "Most entries to print.", DefaultValueFactory = _ => 100 };
        var list = new Command("list", "Records naming an enterprise that matches no single registered enterprise.") { limit };
        list.SetAction(p =>
        {
            CliOutput.WriteJson(OpenHub(p).Store.ListUnresolved(Math.Max(1, p.GetValue(limit))));
            return 0;
        });
        return new Command("unresolved", "The queue of records without a USCC waiting for their enterprise (待匹配).") { list };
    }

    private static Command RebuildCommand()
    {
        var command = new Command("rebuild", "Re-fold every profile from the record log.");
        command.SetAction(async (p, ct) =>
        {
            var hub = OpenHub(p);
            int total = hub.Store.EnterprisesWithRecords().Count;
            int done = await CliOutput.WithProgressAsync("重建画像", total, report =>
                Task.Run(() => hub.Pipeline.Rebuild(new SyncProgress<int>(n => report(n, $"{n:N0}/{total:N0}")), ct), ct));
            CliOutput.WriteJson(new { ProfilesRebuilt = done });
            return 0;
        });
        return command;
    }

    private static Command ServeCommand()
    {
        var grpcPort = new Option<int?>("--grpc-port") { Description = "gRPC port (overrides DataHub:Grpc:Port, default 5081; 0 = any free port)." };
        var httpPort = new Option<int?>("--http-port") { Description = "HTTP port for /healthz and /readyz (overrides DataHub:Http:Port, default 5080)." };
        var command = new Command("serve", "Serve the hub: gRPC (Ingest, Profile, Admin, health, reflection) and HTTP health endpoints, until Ctrl+C.") { grpcPort, httpPort };
        command.SetAction(async (p, ct) =>
        {
            var hub = OpenHub(p, p.GetValue(grpcPort), p.GetValue(httpPort));
            await using var server = await HubServer.StartAsync(hub, ct);
            Console.Error.WriteLine($"DataHub serving: gRPC 127.0.0.1:{server.GrpcPort}, HTTP http://{hub.Options.Server.HttpAddress}:{server.HttpPort}/readyz — Ctrl+C stops.");
            await server.WaitForShutdownAsync(ct);
            return 0;
        });
        return command;
    }

    private static Hub OpenHub(ParseResult p, int? grpcPort, int? httpPort)
    {
        var options = HubOptions.Load(p.GetValue(DataOption)!);
        var server = options.Server with { GrpcPort = grpcPort ?? options.Server.GrpcPort, HttpPort = httpPort ?? options.Server.HttpPort };
        return Hub.Open(options with { Server = server });
    }

    private static Command AuditCommand()
    {
        var verify = new Command("verify", "Check every link of the audit hash chain; exit 1 at the first broken link.");
        verify.SetAction(async p =>
        {
            var options = HubOptions.Load(p.GetValue(DataOption)!);
            if (!File.Exists(options.AuditPath))
            {
                CliOutput.WriteJson(new { Entries = 0, Intact = true, Note = $"no audit log at {options.AuditPath} yet" });
                return 0;
            }
            // Reads without writing: works beside the running hub that writes the log.
            var broken = DataHub.Core.Audit.AuditChain.Verify(SqliteAuditLog.ReadAll(options.AuditPath), out var verified);
            CliOutput.WriteJson(new { Entries = verified, Intact = broken is null, FirstBreak = broken });
            if (broken is not null) CliOutput.Error($"audit chain broken at entry {broken.Seq}: {broken.Reason}");
            return broken is null ? 0 : 1;
        });
        return new Command("audit", "The audit chain (全程留痕) of every profile read, ingest and admin call.") { verify };
    }

    private static Command DemoCommand()
    {
        var enterprises = new Option<int>("--enterprises") { Description = "Synthetic enterprises the simulated sources hold (a fifth of them arrive while the demo runs).", DefaultValueFactory = _ => 2000 };
        var seed = new Option<int>("--seed") { Description = "Seed of the synthetic data.", DefaultValueFactory = _ => 20261123 };
        var faults = new Option<string>("--faults") { Description = "Faults the simulated sources inject, e.g. errors=0.1,slow=0.02,resets=0.05,repeats=0.05,malformed=0.01.", DefaultValueFactory = _ => "" };
        var tick = new Option<double>("--tick-seconds") { Description = "Seconds between two rounds of new data from the sources.", DefaultValueFactory = _ => 5 };
        var duration = new Option<double>("--duration") { Description = "Stop after this many seconds and print the stats (0: run until Ctrl+C).", DefaultValueFactory = _ => 0 };
        var command = new Command("demo", "The main job: simulated source systems with synthetic data, the hub pulling from them through its adapters, gRPC and HTTP served, data trickling in, until Ctrl+C.")
            { enterprises, seed, faults, tick, duration };
        command.SetAction(async (p, ct) =>
        {
            SimulatorFaults chosen;
            try { chosen = SimulatorFaults.Parse(p.GetValue(faults) ?? ""); }
            catch (FormatException e) { CliOutput.Error(e.Message); return 2; }
            if (p.GetValue(enterprises) < 1) { CliOutput.Error("--enterprises must be at least 1."); return 2; }
            if (p.GetValue(tick) is < 0.1 or > 3600) { CliOutput.Error("--tick-seconds must be between 0.1 and 3600."); return 2; }
            var seconds = p.GetValue(duration);
            return await LiveDemo.RunAsync(OpenHub(p).Options, new GeneratorOptions { Enterprises = p.GetValue(enterprises), Seed = p.GetValue(seed) }, chosen,
                TimeSpan.FromSeconds(p.GetValue(tick)), seconds > 0 ? TimeSpan.FromSeconds(seconds) : null, ct);
        });
        return command;
    }

    private static Command BenchCommand()
    {
        var records = new Option<int>("--records") { Description = "Records to generate and ingest.", DefaultValueFactory = _ => 1_000_000 };
        var runs = new Option<int>("--runs") { Description = "Alternating runs of baseline and pipeline; medians are reported.", DefaultValueFactory = _ => 3 };
        var ingest = new Command("ingest", "Ingest throughput: raw SQLite inserts (the limit) against the full pipeline, in one run.") { records, runs };
        ingest.SetAction(async (p, ct) =>
        {
            if (p.GetValue(records) < 1000) { CliOutput.Error("--records must be at least 1000."); return 2; }
            await IngestBenchmark.RunAsync(HubOptions.Load(p.GetValue(DataOption)!), p.GetValue(records), Math.Max(1, p.GetValue(runs)), ct);
            return 0;
        });
        var enterprises = new Option<int>("--enterprises") { Description = "Synthetic enterprises in the store.", DefaultValueFactory = _ => 2000 };
        var requests = new Option<int>("--requests") { Description = "Requests per h2load run.", DefaultValueFactory = _ => 200_000 };
        var clients = new Option<int>("--clients") { Description = "h2load connections.", DefaultValueFactory = _ => 8 };
        var streams = new Option<int>("--streams") { Description = "Concurrent streams per connection.", DefaultValueFactory = _ => 16 };
        var grpcRuns = new Option<int>("--runs") { Description = "Alternating runs of baseline and GetProfile; medians are reported.", DefaultValueFactory = _ => 3 };
        var grpc = new Command("grpc", "gRPC throughput with h2load: a bare unary method (Health/Check) against GetProfile of cached profiles, in one run.")
            { enterprises, requests, clients, streams, grpcRuns };
        grpc.SetAction(async (p, ct) =>
        {
            if (p.GetValue(requests) < 1000) { CliOutput.Error("--requests must be at least 1000."); return 2; }
            return await GrpcBenchmark.RunAsync(HubOptions.Load(p.GetValue(DataOption)!), Math.Max(50, p.GetValue(enterprises)), p.GetValue(requests),
                Math.Max(1, p.GetValue(clients)), Math.Max(1, p.GetValue(streams)), Math.Max(1, p.GetValue(grpcRuns)), ct);
        });
        var profiles = new Option<int>("--enterprises") { Description = "Synthetic enterprises (profiles) in the store; built once per --data folder.", DefaultValueFactory = _ => 1_000_000 };
        var queries = new Option<int>("--queries") { Description = "Queries per kind (name fragment, USCC prefix, filtered).", DefaultValueFactory = _ => 300 };
        var search = new Command("search", "Console search latency: the search API against the raw SQLite/FTS5 statements for the same queries, in one run.") { profiles, queries };
        search.SetAction(async (p, ct) =>
        {
            if (p.GetValue(profiles) < 100 || p.GetValue(queries) < 10) { CliOutput.Error("--enterprises must be at least 100 and --queries at least 10."); return 2; }
            return await SearchBenchmark.RunAsync(Path.GetFullPath(p.GetValue(DataOption)!), p.GetValue(profiles), p.GetValue(queries), ct);
        });
        var pullRequests = new Option<int>("--requests") { Description = "Requests per h2load run.", DefaultValueFactory = _ => 50_000 };
        var pullEnterprises = new Option<int>("--enterprises") { Description = "Synthetic enterprises in the store.", DefaultValueFactory = _ => 2000 };
        var pullClients = new Option<int>("--clients") { Description = "h2load connections.", DefaultValueFactory = _ => 8 };
        var pullStreams = new Option<int>("--streams") { Description = "Concurrent streams per connection.", DefaultValueFactory = _ => 16 };
        var pullRuns = new Option<int>("--runs") { Description = "Alternating runs of GetProfile and RequestPull; medians are reported.", DefaultValueFactory = _ => 3 };
        var pulls = new Command("pulls", "Data pulls with h2load: RequestPull answered from the e-licence library against GetProfile, in one run.")
            { pullEnterprises, pullRequests, pullClients, pullStreams, pullRuns };
        pulls.SetAction(async (p, ct) =>
        {
            if (p.GetValue(pullRequests) < 1000) { CliOutput.Error("--requests must be at least 1000."); return 2; }
            return await PullBenchmark.RunAsync(HubOptions.Load(p.GetValue(DataOption)!), Math.Max(200, p.GetValue(pullEnterprises)), p.GetValue(pullRequests),
                Math.Max(1, p.GetValue(pullClients)), Math.Max(1, p.GetValue(pullStreams)), Math.Max(1, p.GetValue(pullRuns)), ct);
        });
        var kafkaRecords = new Option<int>("--records") { Description = "Records produced to the broker and taken to stored profiles.", DefaultValueFactory = _ => 1_000_000 };
        var kafkaRuns = new Option<int>("--runs") { Description = "Runs of baseline and pipeline, each on a fresh mock cluster; medians are reported.", DefaultValueFactory = _ => 3 };
        // The mock cluster keeps 5 MiB per partition, and keyless raw records fill partitions unevenly
        // (sticky partitioning): at 128 partitions a million records averaged 4.8 MiB of raw lines per
        // partition and one run in several lost some; 192 leaves room (256 cost memory: librdkafka
        // prefetches per partition, and the three-run peak reached 976 MB).
        var kafkaPartitions = new Option<int>("--partitions") { Description = "Partitions of the topics (the mock cluster keeps 5 MiB per partition).", DefaultValueFactory = _ => 192 };
        var kafkaBatch = new Option<int>("--max-batch") { Description = "Messages a stage takes into one store transaction at most (DataHub:Bus:Kafka:MaxBatch).", DefaultValueFactory = _ => new Kafka.KafkaBusOptions { BootstrapServers = "" }.MaxBatch };
        var kafka = new Command("kafka", "Kafka throughput: the raw Confluent.Kafka consumer (the limit) against the hub's stages from topic to stored profiles, on librdkafka's mock cluster.")
            { kafkaRecords, kafkaRuns, kafkaPartitions, kafkaBatch };
        kafka.SetAction(async (p, ct) =>
        {
            if (p.GetValue(kafkaRecords) < 1000) { CliOutput.Error("--records must be at least 1000."); return 2; }
            try
            {
                return await KafkaBenchmark.RunAsync(HubOptions.Load(p.GetValue(DataOption)!), p.GetValue(kafkaRecords), Math.Max(1, p.GetValue(kafkaRuns)),
                    Math.Clamp(p.GetValue(kafkaPartitions), 1, 1000), Math.Clamp(p.GetValue(kafkaBatch), 1, 100_000), ct);
            }
            catch (InvalidOperationException e)
            {
                CliOutput.Error(e.Message);
                return 1;
            }
        });
        // The parts `bench ingest` and `bench kafka` measure in a child process (BenchChild): the baselines, the store alone and the transport alone; not for direct use.
        var baselineInput = new Option<string>("--input") { Required = true };
        var baselineDatabase = new Option<string>("--database") { Required = true };
        var baselineBatch = new Option<int>("--batch-size") { Required = true };
        var ingestBaseline = new Command("ingest-baseline", "The ingest benchmark's baseline (run by `bench ingest`).") { baselineInput, baselineDatabase, baselineBatch };
        ingestBaseline.Hidden = true;
        ingestBaseline.SetAction(p =>
        {
            BenchChild.Report(IngestBenchmark.WarmedBaseline(p.GetValue(baselineInput)!, p.GetValue(baselineDatabase)!, Math.Max(1, p.GetValue(baselineBatch))));
            return 0;
        });
        var storeFrom = new Option<string>("--from") { Required = true };
        var storeInto = new Option<string>("--into") { Required = true };
        var storeCommit = new Option<int>("--commit-size") { Required = true };
        var storeBeside = new Option<string?>("--beside");
        var ingestStore = new Command("ingest-store", "The ingest benchmark's store-alone figures (run by `bench ingest`).") { storeFrom, storeInto, storeCommit, storeBeside };
        ingestStore.Hidden = true;
        ingestStore.SetAction(p =>
        {
            BenchChild.Report(IngestBenchmark.StoreAlone(p.GetValue(storeFrom)!, p.GetValue(storeInto)!, p.GetValue(storeCommit), p.GetValue(storeBeside)));
            return 0;
        });
        var baselineServers = new Option<string>("--bootstrap-servers") { Required = true };
        var baselineGroup = new Option<string>("--group-prefix") { Required = true };
        var baselineRecords = new Option<int>("--records") { Required = true };
        var kafkaBaseline = new Command("kafka-baseline", "The Kafka benchmark's baseline (run by `bench kafka`).") { baselineServers, baselineGroup, baselineRecords };
        kafkaBaseline.Hidden = true;
        kafkaBaseline.SetAction((p, ct) =>
        {
            var options = new Kafka.KafkaBusOptions { BootstrapServers = p.GetValue(baselineServers)!, GroupPrefix = p.GetValue(baselineGroup)! };
            BenchChild.Report(KafkaBenchmark.WarmedBaseline(options, p.GetValue(baselineRecords), ct));
            return Task.FromResult(0);
        });
        var transportPartitions = new Option<int>("--partitions") { Required = true };
        var transportBatch = new Option<int>("--max-batch") { Required = true };
        var kafkaTransport = new Command("kafka-transport", "The Kafka benchmark's transport-alone figure (run by `bench kafka`).") { baselineServers, baselineGroup, baselineRecords, transportPartitions, transportBatch };
        kafkaTransport.Hidden = true;
        kafkaTransport.SetAction(async (p, ct) =>
        {
            var options = new Kafka.KafkaBusOptions
            {
                BootstrapServers = p.GetValue(baselineServers)!, GroupPrefix = p.GetValue(baselineGroup)!,
                Partitions = p.GetValue(transportPartitions), MaxBatch = p.GetValue(transportBatch),
            };
            BenchChild.Report(await KafkaBenchmark.WarmedTransport(options, p.GetValue(baselineRecords), ct));
            return 0;
        });
        return new Command("bench", "Benchmarks that print ratios against a baseline measured in the same run.") { ingest, grpc, search, pulls, kafka, ingestBaseline, ingestStore, kafkaBaseline, kafkaTransport };
    }

    /// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
