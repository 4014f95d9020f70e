using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using DataHub.Embedded;
using DataHub.Security;
using DataHub.Simulators;
using DataHub.Synthetic;

namespace DataHub.Tests;

/// <summary>
/// `datahub serve` as a real process pulling from the five simulated sources, killed (SIGKILL) in the
/// middle of the initial load and started again: the second process resumes from the checkpoints the
/// first one committed, and the store ends up holding every served row exactly once.
/// </summary>
[Collection("console")]
public sealed class AdapterKillTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "datahub-kill-" + Guid.NewGuid().ToString("N"));
    private const string AdminKey = "kill-test-admin-key";

    [Fact]
    public async Task A_hub_killed_mid_run_resumes_from_its_checkpoints_with_every_row_stored_once()
    {
        var simulators = SourceSystems.All.Select((s, i) => new SourceSimulator(s, 50 + i)).ToList();
        await using var sources = new SimulatedSources(simulators, new GeneratorOptions { Enterprises = 150, Seed = 50 }, 150);
        await sources.StartAsync();
        var total = sources.Simulators.Sum(s => s.RowCount);
        var data = Path.Combine(_root, "data");
        var httpPort = FreePort();
        var environment = new Dictionary<string, string>
        {
            ["DataHub__Agencies__0__Id"] = "ops",
            ["DataHub__Agencies__0__Roles__0"] = Roles.Admin,
            ["DataHub__Agencies__0__ApiKeySha256__0"] = AgencyDirectory.HashKey(AdminKey),
        };
        foreach (var s in sources.Simulators)
        {
            environment[$"DataHub__Adapters__{s.System.Source}__BaseAddress"] = s.BaseAddress.ToString();
            environment[$"DataHub__Adapters__{s.System.Source}__PageSize"] = "15";
            environment[$"DataHub__Adapters__{s.System.Source}__PollIntervalSeconds"] = "0.2";
        }

        // The first process reads slowly (small pages, 5 requests/s per source), so the kill lands mid-load.
        var slow = new Dictionary<string, string>(environment);
        foreach (var s in sources.Simulators)
        {
            slow[$"DataHub__Adapters__{s.System.Source}__PageSize"] = "5";
            slow[$"DataHub__Adapters__{s.System.Source}__Resilience__RequestsPerSecond"] = "5";
        }
        var first = StartServe(data, httpPort, slow);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Fetched(data) < total / 3 && DateTime.UtcNow < deadline && !first.HasExited) await Task.Delay(20);
        Assert.False(first.HasExited, "the first hub process stopped by itself");
        first.Kill(entireProcessTree: true);
        await first.WaitForExitAsync();
        var afterKill = Fetched(data);
        Assert.True(afterKill >= total / 3 && afterKill < total, $"the kill should land mid-load: {afterKill} of {total} rows fetched");

        var second = StartServe(data, httpPort, environment);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/") };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);
        await WaitCaughtUpAsync(http, second);
        second.Kill(entireProcessTree: true);
        await second.WaitForExitAsync();

        var store = new SqliteHubStore(Path.Combine(data, "hub.db"));
        var problems = sources.Discrepancies(store);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        // Rows count as fetched only with the transaction that stored them: each row once, across the kill.
        Assert.Equal(total, store.AdapterStates().Sum(a => a.Fetched));
    }

    private static long Fetched(string data)
    {
        var path = Path.Combine(data, "hub.db");
        if (!File.Exists(path)) return 0;
        // Read-only, beside the running hub: the test must not race the hub's own schema creation.
        try
        {
            using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT coalesce(sum(fetched), 0) FROM adapter_state";
            return (long)cmd.ExecuteScalar()!;
        }
        catch (Microsoft.Data.Sqlite.SqliteException) { return 0; }
    }

    private static async Task WaitCaughtUpAsync(HttpClient http, Process hub)
    {
        var until = DateTime.UtcNow.AddSeconds(90);
        int streak = 0;
        string last = "";
        while (DateTime.UtcNow < until && !hub.HasExited)
        {
            try
            {
                last = await http.GetStringAsync("api/admin/adapters");
                var adapters = JsonDocument.Parse(last).RootElement.EnumerateArray().ToList();
                streak = adapters.Count == SourceSystems.All.Sum(s => s.Feeds.Count) && adapters.All(a => a.GetProperty("caughtUp").GetBoolean()) ? streak + 1 : 0;
                if (streak >= 3) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(200);
        }
        Assert.Fail($"the restarted hub did not catch up (exited: {hub.HasExited}); last status: {last}");
    }

    private readonly List<Process> _processes = [];

    private Process StartServe(string data, int httpPort, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "datahub.dll"), "serve", "--data", data, "--grpc-port", "0", "--http-port", httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment) info.Environment[key] = value;
        var process = Process.Start(info)!;
        _processes.Add(process);
        // Drain the logs so the child never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // IAsyncLifetime, not IAsyncDisposable: xunit 2 awaits this one, so no child process outlives the test.
    public async Task DisposeAsync()
    {
        // A failed assertion must not leave a hub process running.
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            catch (InvalidOperationException) { }
            process.Dispose();
        }
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
