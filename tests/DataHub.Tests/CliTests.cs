using System.Text;
using System.Text.Json;

namespace DataHub.Tests;

/// <summary>The `datahub` commands, run in-process against a temporary data folder. Console output is global, so these run one at a time.</summary>
[Collection("console")]
public sealed class CliTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "datahub-cli-" + Guid.NewGuid().ToString("N"));

    private Task<(int Exit, string Out)> Run(params string[] args) => CliRunner.RunAsync(Path.Combine(_root, "data"), args);

    [Fact]
    public async Task Uscc_check_prints_one_json_object_per_code_and_fails_if_any_is_invalid()
    {
        var (ok, output) = await Run("uscc", "check", "9144030071526726XG", "９１３３０１００７９９６５５０５８ｂ");
        Assert.Equal(0, ok);
        var lines = output.Trim().Split('\n').Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal("91330100799655058B", lines[1].GetProperty("normalized").GetString());
        Assert.True(lines[1].GetProperty("valid").GetBoolean());
        Assert.Equal(0, lines[1].GetProperty("errors").GetArrayLength());
        Assert.Equal(0, lines[1].GetProperty("warnings").GetArrayLength());

        var (bad, badOutput) = await Run("uscc", "check", "9144030071526726XG", "9144030071526726XH");
        Assert.Equal(1, bad);
        var error = JsonDocument.Parse(badOutput.Trim().Split('\n')[1]).RootElement.GetProperty("errors")[0];
        Assert.Equal(18, error.GetProperty("position").GetInt32());
    }

    [Fact]
    public async Task Generate_import_stats_profile_search_quarantine_and_rebuild_work_together()
    {
        var input = Path.Combine(_root, "in");
        var (g, manifestJson) = await Run("generate", "--enterprises", "120", "--seed", "9", "--dirt-rate", "0.1", "--out", input);
        Assert.Equal(0, g);
        var manifest = JsonDocument.Parse(manifestJson).RootElement;
        Assert.True(manifest.GetProperty("synthetic").GetBoolean());
        Assert.True(File.Exists(Path.Combine(input, "manifest.json")));
        Assert.Contains("合成数据", await File.ReadAllTextAsync(Path.Combine(input, "README.txt")));
        var files = manifest.GetProperty("files").EnumerateArray().Select(f => Path.Combine(input, f.GetString()!)).ToArray();
        Assert.Equal(5, files.Length);

        var (i, _) = await Run(["import", .. files]);
        Assert.Equal(0, i);
        var (_, statsJson) = await Run("stats");
        var stats = JsonDocument.Parse(statsJson).RootElement;
        var expected = manifest.GetProperty("expected");
        foreach (var key in new[] { "records", "quarantined", "unresolved", "profiles" })
            Assert.Equal(expected.GetProperty(key).GetInt64(), stats.GetProperty(key).GetInt64());

        var (s, searchJson) = await Run("search", "有限公司", "--limit", "3");
        Assert.Equal(0, s);
        var hit = JsonDocument.Parse(searchJson).RootElement[0];
        var uscc = hit.GetProperty("uscc").GetString()!;
        var (p, profileJson) = await Run("profile", uscc.ToLowerInvariant());
        Assert.Equal(0, p);
        var profile = JsonDocument.Parse(profileJson).RootElement;
        Assert.Equal(uscc, profile.GetProperty("uscc").GetString());
        Assert.True(profile.GetProperty("synthetic").GetBoolean());
        var (a, asOfJson) = await Run("profile", uscc, "--as-of", "2000-01-01");
        Assert.True(a is 0 or 3);
        if (a == 0) Assert.Equal("2000-01-01", JsonDocument.Parse(asOfJson).RootElement.GetProperty("as_of").GetString());

        var (q, quarantineJson) = await Run("quarantine", "list");
        Assert.Equal(0, q);
        Assert.Equal(expected.GetProperty("quarantined").GetInt64(), JsonDocument.Parse(quarantineJson).RootElement.GetArrayLength());
        var (r, replayJson) = await Run("quarantine", "replay");
        Assert.Equal(0, r);
        Assert.Equal(0, JsonDocument.Parse(replayJson).RootElement.GetProperty("replayed").GetInt32());

        var (b, rebuildJson) = await Run("rebuild");
        Assert.Equal(0, b);
        Assert.Equal(expected.GetProperty("profiles").GetInt64(), JsonDocument.Parse(rebuildJson).RootElement.GetProperty("profiles_rebuilt").GetInt64());
    }

    [Fact]
    public async Task Bad_arguments_give_a_clear_error_and_a_nonzero_exit()
    {
        var previous = Console.Error;
        var errors = new StringWriter();
        Console.SetError(errors);
        try
        {
            Assert.Equal(2, (await Run("profile", "not-a-code")).Exit);
            Assert.Equal(3, (await Run("profile", "9144030071526726XG")).Exit);
            Assert.Equal(2, (await Run("import", Path.Combine(_root, "missing.jsonl"))).Exit);
        }
        finally
        {
            Console.SetError(previous);
        }
        var text = errors.ToString();
        Assert.Contains("no profile for 9144030071526726XG", text);
        Assert.Contains("no such file", text);
    }

    [Fact]
    public async Task The_demo_pulls_from_the_simulated_sources_while_data_trickles_in_and_prints_the_stats()
    {
        // Any free ports: other tests may hold the defaults. (The console collection runs these tests one at a time.)
        Environment.SetEnvironmentVariable("DataHub__Grpc__Port", "0");
        Environment.SetEnvironmentVariable("DataHub__Http__Port", "0");
        try
        {
            var (exit, output) = await Run("demo", "--enterprises", "40", "--seed", "3", "--tick-seconds", "0.5", "--duration", "3");
            Assert.Equal(0, exit);
            // The stats are the last, indented JSON document (log lines before it are single-line JSON).
            var stats = JsonDocument.Parse(output[(output.LastIndexOf("\n{\n", StringComparison.Ordinal) + 1)..]).RootElement;
            Assert.True(stats.GetProperty("profiles").GetInt64() >= 32, "the initial four fifths of the enterprises have profiles");
            var sources = stats.GetProperty("sources");
            foreach (var source in new[] { "provincial-platform", "hotline-12345", "market-supervision", "credit-platform", "e-licence" })
            {
                var counts = sources.GetProperty(source);
                Assert.True(counts.GetProperty("fetched").GetInt64() > 0, $"{source} fetched nothing");
                Assert.True(counts.GetProperty("stored").GetInt64() > 0, $"{source} stored nothing");
                Assert.True(counts.GetProperty("fetched").GetInt64() >= counts.GetProperty("stored").GetInt64() + counts.GetProperty("quarantined").GetInt64() - 1,
                    $"{source}: every stored or quarantined row was fetched");
            }
            Assert.True(stats.GetProperty("outbox").GetProperty("credit-platform").GetProperty("delivered").GetInt64() > 0, "双公示 messages reach the simulated credit platform");
        }
        finally
        {
            Environment.SetEnvironmentVariable("DataHub__Grpc__Port", null);
            Environment.SetEnvironmentVariable("DataHub__Http__Port", null);
        }
    }

    [Fact]
    public async Task The_demo_stops_on_SIGTERM_and_prints_the_stats()
    {
        // A process of its own: SIGTERM goes to the host, which the demo's loop once ignored and ran on.
        var data = Path.Combine(Path.GetTempPath(), "datahub-demo-term-" + Guid.NewGuid().ToString("N"));
        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "datahub.dll"), "demo", "--data", data, "--enterprises", "40", "--seed", "5", "--tick-seconds", "0.5" },
            RedirectStandardOutput = true, RedirectStandardError = true, Environment = { ["DataHub__Grpc__Port"] = "0", ["DataHub__Http__Port"] = "0" },
        };
        using var demo = System.Diagnostics.Process.Start(start)!;
        var stdout = demo.StandardOutput.ReadToEndAsync();
        var trickling = new TaskCompletionSource();
        var stderr = Task.Run(async () =>
        {
            while (await demo.StandardError.ReadLineAsync() is { } line)
                if (line.StartsWith("New enterprises and changes now trickle in", StringComparison.Ordinal)) trickling.TrySetResult();
        });
        try
        {
            await trickling.Task.WaitAsync(TimeSpan.FromSeconds(90));
            using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", demo.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!) await kill.WaitForExitAsync();
            await demo.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(0, demo.ExitCode);
            var output = await stdout;
            Assert.True(JsonDocument.Parse(output[output.LastIndexOf("\n{\n", StringComparison.Ordinal)..]).RootElement.GetProperty("profiles").GetInt64() > 0);
        }
        finally
        {
            if (!demo.HasExited) demo.Kill(entireProcessTree: true);
            await stderr;
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task The_ingest_benchmark_prints_both_rates_and_a_json_summary()
    {
        var (exit, output) = await Run("bench", "ingest", "--records", "3000", "--runs", "1");
        Assert.Equal(0, exit);
        var last = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        Assert.True(last.GetProperty("baseline_rps").GetDouble() > 0);
        Assert.True(last.GetProperty("pipeline_rps").GetDouble() > 0);
        // The rates are printed rounded to whole records/s; the ratio comes from the unrounded rates.
        var ratio = last.GetProperty("pipeline_rps").GetDouble() / last.GetProperty("baseline_rps").GetDouble();
        Assert.InRange(last.GetProperty("ratio").GetDouble(), ratio - 0.005, ratio + 0.005);
        Assert.True(last.GetProperty("peak_mb").GetDouble() > 0);
        Assert.Equal(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation", last.GetProperty("gc").GetString());
        Assert.Contains("baseline (raw SQLite inserts)", output);
        // The store alone, measured in a child from what the pipeline stored: a rate of its own and its share of the baseline.
        var storeAlone = last.GetProperty("store_alone_rps").GetDouble();
        Assert.True(storeAlone > 0);
        Assert.InRange(last.GetProperty("store_alone_ratio").GetDouble(), storeAlone / last.GetProperty("baseline_rps").GetDouble() - 0.005, storeAlone / last.GetProperty("baseline_rps").GetDouble() + 0.005);
        Assert.Contains("store alone (no parse, fold)", output);
        // The same with the preparation and the folds on a thread beside it, in a child too (which checks that the thread did all of that work).
        var both = last.GetProperty("store_and_preparation_rps").GetDouble();
        Assert.True(both > 0);
        Assert.InRange(last.GetProperty("store_and_preparation_ratio").GetDouble(), both / last.GetProperty("baseline_rps").GetDouble() - 0.005, both / last.GetProperty("baseline_rps").GetDouble() + 0.005);
        Assert.Contains("store + preparation beside", output);
    }

    [Fact]
    public async Task The_kafka_benchmark_measures_its_baseline_in_a_child_and_prints_a_json_summary()
    {
        // A mock cluster, the raw consumer and the transport relay each in a child process of this program, the stages in this one.
        var (exit, output) = await Run("bench", "kafka", "--records", "3000", "--runs", "1", "--partitions", "6");
        Assert.Equal(0, exit);
        var last = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        Assert.Equal(3000, last.GetProperty("records").GetInt32());
        Assert.True(last.GetProperty("baseline_rps").GetDouble() > 0);
        Assert.True(last.GetProperty("pipeline_rps").GetDouble() > 0);
        var ratio = last.GetProperty("pipeline_rps").GetDouble() / last.GetProperty("baseline_rps").GetDouble();
        Assert.InRange(last.GetProperty("ratio").GetDouble(), ratio - 0.005, ratio + 0.005);
        Assert.Contains("baseline (raw Confluent.Kafka read)", output);
        // The transport alone, relayed over the two hops in a child: a rate of its own and its share of the baseline.
        var transport = last.GetProperty("transport_alone_rps").GetDouble();
        Assert.True(transport > 0);
        Assert.InRange(last.GetProperty("transport_alone_ratio").GetDouble(), transport / last.GetProperty("baseline_rps").GetDouble() - 0.005, transport / last.GetProperty("baseline_rps").GetDouble() + 0.005);
        Assert.Contains("transport alone (two hops, raw)", output);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, true); } catch (IOException) { }
    }
}
