using System.Diagnostics;
using System.Runtime;
using System.Text;
using System.Text.Json;
using DataHub.Adapters.Import;
using DataHub.Embedded;
using DataHub.Synthetic;
using Microsoft.Data.Sqlite;

namespace DataHub.Cli;

/// <summary>
/// `datahub bench ingest`: the same generated lines (a) inserted raw into a fresh SQLite file with one
/// prepared statement in batched transactions — the limit of the storage engine — and (b) put through
/// the whole pipeline (parse, normalize, validate, dedup, append, fold, index) into a fresh store.
/// Both read the same file, so parsing the file's lines is in both. Runs alternate; medians are reported.
/// The baseline runs in a child process (<see cref="BenchChild"/>). A third figure, (c), is the store alone:
/// what the pipeline stored in (b), handed to a fresh store's two writing stages from memory, with nothing
/// parsed, normalized or folded while the clock runs — how fast this design's storage goes on this machine,
/// whatever the stages in front of it do. A fourth, (d), is the same with the work in front of the store done
/// beside it on one more thread (<see cref="PreparationBeside"/>), nothing handed between them: what the
/// pipeline's stages would reach if joining them cost nothing.
/// </summary>
internal static class IngestBenchmark
{
    public static async Task RunAsync(HubOptions options, int records, int runs, CancellationToken ct)
    {
        var work = Path.Combine(Path.GetTempPath(), "datahub-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            var input = Path.Combine(work, "input.jsonl");
            Console.Error.WriteLine($"generating {records:N0} synthetic records into {input} ...");
            long bytes = Generate(input, records);
            Console.Error.WriteLine($"input: {bytes / 1048576.0:F1} MiB; batch size {options.BatchSize}; {Environment.ProcessorCount} cores; {runs} run(s); {GcCounters.Mode}; {BenchChild.BaselineNote}");

            var baseline = new List<double>();
            var pipeline = new List<double>();
            var storeAlone = new List<double>();
            var storeAndPreparation = new List<double>();
            for (int run = 1; run <= runs; run++)
            {
                var b = await BenchChild.MeasureAsync(["bench", "ingest-baseline", "--input", input, "--database", Path.Combine(work, $"baseline-{run}.db"),
                    "--batch-size", options.BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture)], ct);
                baseline.Add(records / b.TotalSeconds);
                Console.Error.WriteLine($"run {run}: baseline raw SQLite inserts  {records / b.TotalSeconds,12:N0} records/s ({b.TotalSeconds:F2} s)");
                var gc = GcCounters.Now();
                var (elapsed, summary) = await PipelineAsync(input, Path.Combine(work, $"pipeline-{run}"), options, ct);
                pipeline.Add(records / elapsed.TotalSeconds);
                Console.Error.WriteLine($"run {run}: full pipeline              {records / elapsed.TotalSeconds,12:N0} records/s ({elapsed.TotalSeconds:F2} s; " +
                                        $"stored {summary.Stored:N0}, duplicates {summary.Duplicates:N0}, quarantined {summary.Quarantined:N0}, unresolved {summary.Unresolved:N0}, profile writes {summary.ProfilesWritten:N0})");
                Console.Error.WriteLine($"run {run}: garbage collector          {(GcCounters.Now() - gc).Describe(records)}");
                var alone = await BenchChild.MeasureAsync(["bench", "ingest-store", "--from", Path.Combine(work, $"pipeline-{run}"), "--into", Path.Combine(work, $"store-{run}"),
                    "--commit-size", options.CommitSize.ToString(System.Globalization.CultureInfo.InvariantCulture)], ct);
                storeAlone.Add(records / alone.TotalSeconds);
                Console.Error.WriteLine($"run {run}: the store alone            {records / alone.TotalSeconds,12:N0} records/s ({alone.TotalSeconds:F2} s; what (b) stored, written again from memory)");
                var both = await BenchChild.MeasureAsync(["bench", "ingest-store", "--from", Path.Combine(work, $"pipeline-{run}"), "--into", Path.Combine(work, $"beside-{run}"),
                    "--commit-size", options.CommitSize.ToString(System.Globalization.CultureInfo.InvariantCulture), "--beside", input], ct);
                storeAndPreparation.Add(records / both.TotalSeconds);
                Console.Error.WriteLine($"run {run}: store + preparation beside {records / both.TotalSeconds,12:N0} records/s ({both.TotalSeconds:F2} s; the same, while a thread parses, normalizes and folds, nothing handed over)");
                foreach (var f in Directory.GetFiles(work, $"baseline-{run}.db*")) File.Delete(f);
                Directory.Delete(Path.Combine(work, $"pipeline-{run}"), true);
                Directory.Delete(Path.Combine(work, $"store-{run}"), true);
                Directory.Delete(Path.Combine(work, $"beside-{run}"), true);
            }
            double baselineRps = Median(baseline), pipelineRps = Median(pipeline), storeRps = Median(storeAlone), bothRps = Median(storeAndPreparation);
            double peakMb = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
            Console.Out.WriteLine($"baseline (raw SQLite inserts): {baselineRps:N0} records/s (median of {runs})");
            Console.Out.WriteLine($"pipeline (full ingest):        {pipelineRps:N0} records/s (median of {runs})");
            Console.Out.WriteLine($"store alone (no parse, fold):  {storeRps:N0} records/s (median of {runs}; {storeRps / baselineRps:F3} of the baseline)");
            Console.Out.WriteLine($"store + preparation beside:    {bothRps:N0} records/s (median of {runs}; {bothRps / baselineRps:F3} of the baseline)");
            Console.Out.WriteLine($"ratio pipeline/baseline:       {pipelineRps / baselineRps:F3}");
            Console.Out.WriteLine($"peak working set:              {peakMb:F0} MB");
            Console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                benchmark = "ingest",
                records,
                runs,
                cores = Environment.ProcessorCount,
                baseline_rps = Math.Round(baselineRps),
                pipeline_rps = Math.Round(pipelineRps),
                ratio = Math.Round(pipelineRps / baselineRps, 3),
                peak_mb = Math.Round(peakMb),
                gc = GcCounters.ModeName,
                store_alone_rps = Math.Round(storeRps),
                store_alone_ratio = Math.Round(storeRps / baselineRps, 3),
                store_and_preparation_rps = Math.Round(bothRps),
                store_and_preparation_ratio = Math.Round(bothRps / baselineRps, 3),
            }));
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    internal static long Generate(string path, int records)
    {
        // Enough enterprises that the stream never runs out; it is cut at exactly `records` lines.
        var generator = new SyntheticDataGenerator(new GeneratorOptions { Enterprises = records, Seed = 42 });
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        foreach (var line in generator.Generate().Take(records))
        {
            writer.Write(line.Json);
            writer.Write('\n');
        }
        writer.Flush();
        return writer.BaseStream.Length;
    }

    /// <summary>
    /// The baseline as `bench ingest-baseline` measures it in its child: warmed up first on a copy of the file's
    /// first lines, so the measured loop runs compiled, as a long-running process's would.
    /// </summary>
    internal static TimeSpan WarmedBaseline(string input, string database, int batchSize)
    {
        string warmInput = database + ".warm.jsonl", warmDatabase = database + ".warm";
        File.WriteAllLines(warmInput, File.ReadLines(input).Take(20_000));
        Baseline(warmInput, warmDatabase, batchSize);
        foreach (var f in Directory.GetFiles(Path.GetDirectoryName(Path.GetFullPath(database))!, Path.GetFileName(database) + ".warm*")) File.Delete(f);
        return Baseline(input, database, batchSize);
    }

    /// <summary>The limit: the lines inserted raw, one prepared statement, batched transactions.</summary>
    private static TimeSpan Baseline(string input, string database, int batchSize)
    {
        var clock = Stopwatch.StartNew();
        using var connection = new SqliteConnection($"Data Source={database};Pooling=false");
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE raw(seq INTEGER PRIMARY KEY, source TEXT NOT NULL, origin TEXT NOT NULL, payload BLOB NOT NULL);";
            pragma.ExecuteNonQuery();
        }
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO raw(source, origin, payload) VALUES($s, $o, $p)";
        var source = insert.Parameters.Add("$s", SqliteType.Text);
        var origin = insert.Parameters.Add("$o", SqliteType.Text);
        var payload = insert.Parameters.Add("$p", SqliteType.Blob);
        foreach (var chunk in CanonicalJsonLinesFile.Read(input, TimeProvider.System).Chunk(batchSize))
        {
            using var tx = connection.BeginTransaction();
            insert.Transaction = tx;
            insert.Prepare();
            foreach (var raw in chunk)
            {
                source.Value = raw.Source;
                origin.Value = raw.Origin;
                payload.Value = raw.Payload.Memory.ToArray();
                insert.ExecuteNonQuery();
            }
            tx.Commit();
        }
        return clock.Elapsed;
    }

    /// <summary>
    /// (c), as `bench ingest-store` measures it in its child: every record version the pipeline stored in <paramref name="from"/>
    /// and every profile it made are read back and held in memory first; then, timed, the log stage appends the versions in
    /// their order, <paramref name="commitSize"/> to a transaction, with their projection marks, while the projection stage
    /// saves the profiles of each committed transaction's enterprises, as the pipeline's two stages do. Each profile is saved
    /// once, after the transaction holding its enterprise's last version, so this is a lower bound of the pipeline's writes
    /// (the pipeline saves an enterprise again when a later transaction brings it more records).
    /// With <paramref name="besideInput"/>, (d): the same while <see cref="PreparationBeside"/> runs over that input.
    /// </summary>
    internal static TimeSpan StoreAlone(string from, string into, int commitSize, string? besideInput = null)
    {
        var versions = new List<Schema.V1.CanonicalRecord>();
        var profiles = new Dictionary<string, Schema.V1.EnterpriseProfile>();
        Core.Ingest.HubStats stored;
        using (var source = new SqliteHubStore(Path.Combine(from, "hub.db")))
        {
            stored = source.Stats();
            var kinds = Enum.GetValues<Schema.V1.CanonicalRecord.BodyOneofCase>().Where(k => k != Schema.V1.CanonicalRecord.BodyOneofCase.None).ToList();
            for (long after = 0; ;)
            {
                var page = source.LogAfter(after, kinds, 50_000);
                versions.AddRange(page.Records);
                if (page.Records.Count == 0) break;
                after = page.Through;
            }
        }
        // Read in one pass rather than through the store's per-enterprise read, which would take minutes at a million records.
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(from, "profiles.db")};Mode=ReadOnly;Pooling=false"))
        {
            connection.Open();
            using var select = connection.CreateCommand();
            select.CommandText = "SELECT body FROM profiles";
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                var profile = Schema.V1.EnterpriseProfile.Parser.ParseFrom((byte[])reader[0]);
                profiles[profile.Uscc] = profile;
            }
        }
        var preparation = besideInput is null ? null : new PreparationBeside(besideInput, versions);
        // Warmed up as the baseline is: the same stages over the first versions into a scratch store, so the measured run is compiled.
        var warm = into + ".warm";
        WriteStores(warm, versions.Take(20_000).ToList(), profiles, commitSize, preparation?.Warm());
        Directory.Delete(warm, true);
        var elapsed = WriteStores(into, versions, profiles, commitSize, preparation);
        // The work beside the store was done, or the figure is of less than it says.
        if (preparation is not null && (preparation.Folded != stored.Profiles || preparation.Normalized < stored.Records))
            throw new InvalidOperationException($"The preparation beside the store normalized {preparation.Normalized:N0} records and folded {preparation.Folded:N0} enterprises; " +
                                                $"the pipeline stored {stored.Records:N0} records and {stored.Profiles:N0} profiles.");
        // The same store again, or the figure is of some other work.
        using (var written = new SqliteHubStore(Path.Combine(into, "hub.db")))
        {
            var again = written.Stats();
            if (again.Records != stored.Records || again.CurrentRecords != stored.CurrentRecords || again.Profiles != stored.Profiles)
                throw new InvalidOperationException($"The store written again holds {again.Records:N0} records ({again.CurrentRecords:N0} current) and {again.Profiles:N0} profiles; " +
                                                    $"the pipeline stored {stored.Records:N0} ({stored.CurrentRecords:N0}) and {stored.Profiles:N0}.");
        }
        SqliteConnection.ClearAllPools();
        return elapsed;
    }

    /// <summary>
    /// (d)'s work beside the store: what the pipeline does in front of it, on one more thread, with nothing handed
    /// over — every line of the input read, mapped, normalized (content hash included) and encoded, as the
    /// preparing stage does; and every enterprise folded once from its current versions and its profile encoded,
    /// as the projection does, one enterprise per so many lines so the folds run while the log appends. What it
    /// makes is thrown away: the store writes what the pipeline stored, read back before the clock starts.
    /// </summary>
    private sealed class PreparationBeside
    {
        private readonly string _input;
        private readonly List<(string Uscc, List<Schema.V1.CanonicalRecord> Current)> _enterprises;
        private readonly int _lines;
        private readonly int _linesPerFold;

        public PreparationBeside(string input, IReadOnlyList<Schema.V1.CanonicalRecord> versions)
        {
            _input = input;
            _lines = int.MaxValue;
            // Each source row's current version (the projector's rule), grouped by the enterprise it belongs to.
            var current = new Dictionary<(string, string), Schema.V1.CanonicalRecord>();
            foreach (var v in versions)
                if (!current.TryGetValue((v.Source, v.SourceId), out var held) || Core.Profiles.ProfileProjector.CompareVersions(v, held) > 0)
                    current[(v.Source, v.SourceId)] = v;
            _enterprises = current.Values.GroupBy(r => r.Uscc, StringComparer.Ordinal).Select(g => (g.Key, g.ToList())).ToList();
            // About one stored version per line: the folds spread over the whole read.
            _linesPerFold = Math.Max(1, versions.Count / Math.Max(1, _enterprises.Count));
        }

        private PreparationBeside(PreparationBeside of, int lines)
        {
            _input = of._input;
            _enterprises = of._enterprises.Take(2_000).ToList();
            _lines = lines;
            _linesPerFold = Math.Max(1, lines / Math.Max(1, _enterprises.Count));
        }

        /// <summary>The same work over the input's first lines and a few enterprises, for the warm-up.</summary>
        public PreparationBeside Warm() => new(this, 20_000);

        /// <summary>Records that passed normalization in the last <see cref="Run"/>, and enterprises folded.</summary>
        public long Normalized { get; private set; }

        public int Folded { get; private set; }

        public void Run()
        {
            var mapper = new CanonicalJsonLinesMapper();
            var normalizer = new Core.Records.RecordNormalizer();
            var projector = new Core.Profiles.ProfileProjector();
            var body = new BodyBuffer(16384);
            long lines = 0, normalized = 0;
            int folded = 0;
            foreach (var raw in CanonicalJsonLinesFile.Read(_input, TimeProvider.System).Take(_lines))
            {
                var mapped = mapper.Map(raw);
                if (mapped.Rejection is null)
                    foreach (var record in mapped.Records)
                        if (normalizer.Normalize(record) is null)
                        {
                            body.Encode(record);
                            normalized++;
                        }
                if (++lines % _linesPerFold == 0 && folded < _enterprises.Count) Fold(folded++);
            }
            while (folded < _enterprises.Count) Fold(folded++);
            (Normalized, Folded) = (normalized, folded);

            void Fold(int i) => body.Encode(projector.Project(_enterprises[i].Uscc, _enterprises[i].Current));
        }
    }

    private static TimeSpan WriteStores(string into, List<Schema.V1.CanonicalRecord> versions, Dictionary<string, Schema.V1.EnterpriseProfile> profiles, int commitSize,
        PreparationBeside? preparation = null)
    {
        var transactions = versions.Chunk(Math.Max(1, commitSize)).ToList();
        var lastTransaction = new Dictionary<string, int>();
        for (int t = 0; t < transactions.Count; t++)
            foreach (var record in transactions[t]) lastTransaction[record.Uscc] = t;
        var profilesAfter = transactions.Select(_ => new List<Schema.V1.EnterpriseProfile>()).ToList();
        foreach (var (uscc, t) in lastTransaction)
            if (profiles.TryGetValue(uscc, out var profile)) profilesAfter[t].Add(profile);

        using var store = new SqliteHubStore(Path.Combine(into, "hub.db"));
        var committed = new System.Collections.Concurrent.BlockingCollection<(int Transaction, long Ticket)>();
        var clock = Stopwatch.StartNew();
        var beside = preparation is null ? Task.CompletedTask : Task.Factory.StartNew(preparation.Run, TaskCreationOptions.LongRunning);
        var projection = Task.Factory.StartNew(() =>
        {
            foreach (var (t, ticket) in committed.GetConsumingEnumerable())
            {
                using var batch = store.BeginProjection();
                foreach (var profile in profilesAfter[t]) batch.SaveProfile(profile);
                batch.Commit(ticket);
            }
        }, TaskCreationOptions.LongRunning);
        try
        {
            for (int t = 0; t < transactions.Count; t++)
            {
                using var batch = store.BeginBatch();
                foreach (var record in transactions[t]) batch.Append(record);
                long ticket = batch.MarkForProjection(transactions[t].Select(r => r.Uscc).ToHashSet());
                batch.Commit();
                committed.Add((t, ticket));
            }
        }
        finally
        {
            committed.CompleteAdding();
        }
        projection.GetAwaiter().GetResult();
        beside.GetAwaiter().GetResult();
        var elapsed = clock.Elapsed;
        SqliteConnection.ClearAllPools();
        return elapsed;
    }

    private static async Task<(TimeSpan, Core.Ingest.IngestSummary)> PipelineAsync(string input, string directory, HubOptions options, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var hub = Hub.Open(options with { DataDirectory = directory });
        var summary = await hub.Pipeline.IngestAsync(CanonicalJsonLinesFile.Read(input, TimeProvider.System), null, ct);
        var elapsed = clock.Elapsed;
        SqliteConnection.ClearAllPools();
        return (elapsed, summary);
    }

    /// <summary>What the garbage collector did during a stretch of work: allocation, collections by generation, pauses.</summary>
    internal readonly record struct GcCounters(long AllocatedBytes, int Gen0, int Gen1, int Gen2, TimeSpan Paused)
    {
        /// <summary>"server" or "workstation": the figures depend on it, and an operator's environment can change it.</summary>
        public static string ModeName => GCSettings.IsServerGC ? "server" : "workstation";

        /// <summary>The collector as the runtime configured it, for a benchmark's header.</summary>
        public static string Mode
        {
            get
            {
                var settings = GC.GetConfigurationVariables();
                bool adaptive = settings.TryGetValue("GCDynamicAdaptationMode", out var mode) && Convert.ToInt64(mode) == 1;
                return GCSettings.IsServerGC
                    ? $"server GC{(adaptive ? ", adaptive (DATAS)" : "")}, up to {settings.GetValueOrDefault("HeapCount")} heaps"
                    : $"workstation GC{(GCSettings.LatencyMode == GCLatencyMode.Batch ? "" : ", background collections")}";
            }
        }

        public static GcCounters Now() =>
            new(GC.GetTotalAllocatedBytes(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());

        public static GcCounters operator -(GcCounters a, GcCounters b) =>
            new(a.AllocatedBytes - b.AllocatedBytes, a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.Paused - b.Paused);

        public string Describe(int records) =>
            $"allocated {AllocatedBytes / 1048576.0:N0} MiB ({AllocatedBytes / (double)records:N0} bytes per record); " +
            $"collections gen0 {Gen0:N0}, gen1 {Gen1:N0}, gen2 {Gen2:N0}; paused {Paused.TotalSeconds:F2} s";
    }

    internal static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        int mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
