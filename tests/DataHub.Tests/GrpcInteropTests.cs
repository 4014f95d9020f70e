using System.Diagnostics;
using System.Text.Json;
using DataHub.Core.Ingest;
using DataHub.Security;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;

namespace DataHub.Tests;

/// <summary>
/// The hub served on loopback and driven by an independent client: Debian's python3-grpcio with
/// message classes from Debian's protoc (tests/interop/grpc_interop.py). Then the audit chain those
/// calls wrote is verified, tampered with, and found broken.
/// </summary>
[Collection("console")]
public sealed class GrpcInteropTests : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "datahub-interop-" + Guid.NewGuid().ToString("N"));
    private string Data => Path.Combine(_root, "data");

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DataHub.sln"))) return dir.FullName;
        throw new InvalidOperationException("DataHub.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Agencies as a deployment configures them (DataHub:Agencies), with fresh keys.</summary>
    internal static (AgencyDirectory Agencies, Dictionary<string, string> Keys) TestAgencies()
    {
        var keys = new[] { "reader", "regulator", "source", "admin", "limited", "licensing" }.ToDictionary(n => n, _ => Convert.ToHexString(Guid.NewGuid().ToByteArray()));
        var settings = new Dictionary<string, string?>();
        void Agency(int i, string id, string[] roles, string[] scopes, int requestsPerSecond = 10_000)
        {
            settings[$"DataHub:Agencies:{i}:Id"] = id;
            settings[$"DataHub:Agencies:{i}:Name"] = id;
            for (int r = 0; r < roles.Length; r++) settings[$"DataHub:Agencies:{i}:Roles:{r}"] = roles[r];
            for (int s = 0; s < scopes.Length; s++) settings[$"DataHub:Agencies:{i}:Scopes:{s}"] = scopes[s];
            settings[$"DataHub:Agencies:{i}:ApiKeySha256:0"] = AgencyDirectory.HashKey(keys[id]);
            settings[$"DataHub:Agencies:{i}:RequestsPerSecond"] = requestsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        Agency(0, "reader", [Roles.Reader, Roles.Approval], [Scopes.ProfileBasic, Scopes.ProfileLicences]);
        Agency(1, "regulator", [Roles.Regulator], [Scopes.ProfileAll]);
        Agency(2, "source", [Roles.Source], ["ingest:e-licence", "ingest:hotline-12345"]);
        Agency(3, "admin", [Roles.Admin], []);
        Agency(4, "limited", [Roles.Reader], [Scopes.ProfileBasic], requestsPerSecond: 2);
        Agency(5, "licensing", [Roles.Reader], [Scopes.ProfileLicences]);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return (AgencyDirectory.Load(configuration.GetSection("DataHub:Agencies")), keys);
    }

    [Fact]
    public async Task Python_grpcio_drives_every_kind_of_call_and_the_audit_chain_catches_tampering()
    {
        Assert.True(File.Exists(Python), $"{Python} is missing: run the README's test command (bash ops/test.sh), which installs python3-grpcio.");
        var input = Path.Combine(_root, "in");
        var (g, manifestJson) = await CliRunner.RunAsync(Data, "generate", "--enterprises", "60", "--seed", "5", "--out", input);
        Assert.Equal(0, g);
        var files = JsonDocument.Parse(manifestJson).RootElement.GetProperty("files").EnumerateArray().Select(f => Path.Combine(input, f.GetString()!));
        Assert.Equal(0, (await CliRunner.RunAsync(Data, ["import", .. files])).Exit);

        var (agencies, keys) = TestAgencies();
        var options = HubOptions.Load(Data);
        var hub = Hub.Open(options with { Agencies = agencies, Server = options.Server with { GrpcPort = 0, HttpPort = 0 } });
        var uscc = hub.Store.Search("有限", 100).OrderBy(h => h.Uscc, StringComparer.Ordinal).First().Uscc;

        var pythonOut = Path.Combine(_root, "py");
        Directory.CreateDirectory(pythonOut);
        var repo = RepositoryRoot();
        var protos = Path.Combine(repo, "protos");
        var protoFiles = Directory.GetFiles(protos, "*.proto", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(protos, f));
        var (protocExit, protocOut) = await RunProcess("protoc", ["-I", protos, "--python_out", pythonOut, .. protoFiles], new());
        Assert.True(protocExit == 0, "protoc (Debian protobuf-compiler) failed:\n" + protocOut);

        await using (var server = await HubServer.StartAsync(hub, CancellationToken.None))
        {
            var environment = keys.ToDictionary(k => "DATAHUB_KEY_" + k.Key.ToUpperInvariant(), k => k.Value);
            var (exit, output) = await RunProcess(Python,
                [Path.Combine(repo, "tests", "interop", "grpc_interop.py"), "--target", $"127.0.0.1:{server.GrpcPort}", "--pydir", pythonOut, "--uscc", uscc], environment);
            Assert.True(exit == 0, "interop checks failed:\n" + output);
            Assert.Contains("all interop checks passed", output);
            Assert.DoesNotContain("FAIL", output);

            using var http = new HttpClient();
            Assert.Contains("ready", await http.GetStringAsync($"http://127.0.0.1:{server.HttpPort}/readyz"));
            Assert.Contains("alive", await http.GetStringAsync($"http://127.0.0.1:{server.HttpPort}/healthz"));
            var metrics = await http.GetStringAsync($"http://127.0.0.1:{server.HttpPort}/metrics");
            Assert.Contains("grpc_server_handled_total{grpc_method=\"/datahub.v1.ProfileService/GetProfile\",grpc_code=\"OK\"}", metrics);
            Assert.Contains("grpc_code=\"Unauthenticated\"", metrics);
            Assert.Contains("datahub_serving 1", metrics);
            // The runtime's own figures: a hub that has served calls has allocated and used CPU.
            Assert.Matches(@"(?m)^dotnet_gc_allocated_bytes_total [1-9]\d*$", metrics);
            Assert.Matches(@"(?m)^process_cpu_seconds_total (0\.\d*[1-9]|[1-9])", metrics);
            Assert.Matches(@"(?m)^dotnet_gc_collections_total\{generation=""2""\} \d+$", metrics);
            Assert.Matches(@"(?m)^dotnet_threadpool_threads [1-9]", metrics);

            // The store goes away: readiness fails at once, gRPC health turns NOT_SERVING at its next probe.
            var log = Path.Combine(Data, "hub.db");
            File.Move(log, log + ".away");
            var notReady = await http.GetAsync($"http://127.0.0.1:{server.HttpPort}/readyz");
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            Assert.Contains("missing", await notReady.Content.ReadAsStringAsync());
            var deadline = DateTime.UtcNow.AddSeconds(15);
            (int Exit, string Output) health;
            do
            {
                health = await RunProcess(Python, [Path.Combine(repo, "tests", "interop", "grpc_interop.py"), "--target", $"127.0.0.1:{server.GrpcPort}",
                    "--pydir", pythonOut, "--uscc", uscc, "--expect-not-serving"], environment);
            } while (health.Exit != 0 && DateTime.UtcNow < deadline);
            Assert.True(health.Exit == 0, "health did not turn NOT_SERVING: " + health.Output);
            File.Move(log + ".away", log);
            Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{server.HttpPort}/readyz")).StatusCode);
        }

        var (intact, report) = await CliRunner.RunAsync(Data, "audit", "verify");
        Assert.True(intact == 0, report);
        var entries = JsonDocument.Parse(report).RootElement.GetProperty("entries").GetInt64();
        Assert.True(entries >= 15, $"expected an audit entry per governed call, found {entries}");
        var audit = new SqliteConnectionStringBuilder { DataSource = Path.Combine(Data, "audit.db"), Pooling = false }.ToString();
        await using (var c = new SqliteConnection(audit))
        {
            await c.OpenAsync();
            var cmd = c.CreateCommand();
            // Read the denied calls, then quietly turn one into a success.
            cmd.CommandText = "SELECT count(*) FROM audit WHERE result='PERMISSION_DENIED' AND agency='reader'";
            Assert.True((long)(await cmd.ExecuteScalarAsync())! >= 2, "denied calls are audited");
            cmd.CommandText = "SELECT count(*) FROM audit WHERE agency='regulator' AND purpose='interop test / 互操作测试' AND method='/datahub.v1.ProfileService/GetProfile'";
            Assert.True((long)(await cmd.ExecuteScalarAsync())! >= 1, "the purpose sent as x-purpose-bin (UTF-8) is what the audit keeps");
            cmd.CommandText = "SELECT count(*) FROM audit WHERE agency='(unauthenticated)' AND result='UNAUTHENTICATED'";
            Assert.True((long)(await cmd.ExecuteScalarAsync())! >= 2, "unauthenticated attempts are audited");
            cmd.CommandText = "UPDATE audit SET result='OK' WHERE seq = (SELECT min(seq) FROM audit WHERE result='PERMISSION_DENIED')";
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }
        var (broken, brokenReport) = await CliRunner.RunAsync(Data, "audit", "verify");
        Assert.Equal(1, broken);
        var firstBreak = JsonDocument.Parse(brokenReport).RootElement.GetProperty("first_break");
        Assert.Contains("altered", firstBreak.GetProperty("reason").GetString());
    }

    /// <summary>The protos' Python message classes from Debian's protoc (grpcio's own would be too new for Debian's runtime), in root/py.</summary>
    internal static async Task<string> PythonMessagesAsync(string root)
    {
        var pythonOut = Directory.CreateDirectory(Path.Combine(root, "py")).FullName;
        var protos = Path.Combine(RepositoryRoot(), "protos");
        var protoFiles = Directory.GetFiles(protos, "*.proto", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(protos, f));
        var (protocExit, protocOut) = await RunProcess("protoc", ["-I", protos, "--python_out", pythonOut, .. protoFiles], new());
        Assert.True(protocExit == 0, "protoc (Debian protobuf-compiler) failed:\n" + protocOut);
        return pythonOut;
    }

    internal static async Task<(int Exit, string Output)> RunProcess(string file, string[] arguments, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        foreach (var (k, v) in environment) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish in 3 minutes:\n{await stdout}\n{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
