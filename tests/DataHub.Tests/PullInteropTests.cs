using System.Text.Json;
using DataHub.Security;
using Microsoft.Extensions.Configuration;
using static DataHub.Tests.GrpcInteropTests;

namespace DataHub.Tests;

/// <summary>
/// Data pulls end to end over gRPC: the hub served on loopback over imported synthetic data (its
/// e-licence library answers licence pulls) with the shipped catalogue, driven by Debian's
/// python3-grpcio (tests/interop/pulls_interop.py); then the audit chain holds every step.
/// </summary>
[Collection("console")]
public sealed class PullInteropTests : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "datahub-pulls-interop-" + Guid.NewGuid().ToString("N"));
    private string Data => Path.Combine(_root, "data");

    /// <summary>The agencies the shipped catalogue names, plus an operator, with fresh keys.</summary>
    internal static (AgencyDirectory Agencies, Dictionary<string, string> Keys) CatalogueAgencies()
    {
        var agencies = new (string Id, string Role)[]
        {
            ("city-approval", Roles.Approval), ("city-housing", Roles.Regulator), ("city-coordination", Roles.Coordination),
            ("city-tax", Roles.Regulator), ("city-amr", Roles.Regulator), ("admin", Roles.Admin),
        };
        var keys = agencies.ToDictionary(a => a.Id, _ => Convert.ToHexString(Guid.NewGuid().ToByteArray()));
        var settings = new Dictionary<string, string?>();
        for (int i = 0; i < agencies.Length; i++)
        {
            settings[$"A:{i}:Id"] = agencies[i].Id;
            settings[$"A:{i}:Roles:0"] = agencies[i].Role;
            settings[$"A:{i}:ApiKeySha256:0"] = AgencyDirectory.HashKey(keys[agencies[i].Id]);
            settings[$"A:{i}:RequestsPerSecond"] = "100000";
        }
        return (AgencyDirectory.Load(new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("A")), keys);
    }

    /// <summary>An enterprise whose e-licence library answers LIC-JY today (as the benchmark finds it), and one with no JY licence at all.</summary>
    internal static (string Licensed, string Other) PullTargets(Hub hub) =>
        (Cli.PullBenchmark.LicensedEnterprise(hub) ?? throw new InvalidOperationException("No synthetic enterprise holds a valid JY licence; generate more."),
         hub.Store.EnterprisesWithProfiles().First(u => hub.Store.GetProfile(u)!.Licences.All(l => l.Licence.LicenceTypeCode != "JY")));

    [Fact]
    public async Task Python_grpcio_takes_pulls_through_every_path_and_each_step_is_audited()
    {
        Assert.True(File.Exists(Python), $"{Python} is missing: run the README's test command (bash ops/test.sh), which installs python3-grpcio.");
        var input = Path.Combine(_root, "in");
        var (g, manifestJson) = await CliRunner.RunAsync(Data, "generate", "--enterprises", "200", "--seed", "11", "--out", input);
        Assert.Equal(0, g);
        var files = JsonDocument.Parse(manifestJson).RootElement.GetProperty("files").EnumerateArray().Select(f => Path.Combine(input, f.GetString()!));
        Assert.Equal(0, (await CliRunner.RunAsync(Data, ["import", .. files])).Exit);

        var (agencies, keys) = CatalogueAgencies();
        var options = HubOptions.Load(Data);
        var hub = Hub.Open(options with { Agencies = agencies, Server = options.Server with { GrpcPort = 0, HttpPort = 0 } });
        var (licensed, other) = PullTargets(hub);

        var pythonOut = await PythonMessagesAsync(_root);

        await using (var server = await HubServer.StartAsync(hub, CancellationToken.None, Microsoft.Extensions.Logging.LogLevel.Warning))
        {
            var environment = keys.ToDictionary(k => "DATAHUB_KEY_" + k.Key.ToUpperInvariant().Replace('-', '_'), k => k.Value);
            var (exit, output) = await RunProcess(Python,
                [Path.Combine(RepositoryRoot(), "tests", "interop", "pulls_interop.py"), "--target", $"127.0.0.1:{server.GrpcPort}", "--pydir", pythonOut,
                 "--licensed", licensed, "--other", other], environment);
            Assert.True(exit == 0, "pull interop checks failed:\n" + output);
            Assert.Contains("all pull interop checks passed", output);
            Assert.DoesNotMatch("(?m)^FAIL ", output);

            using var http = new HttpClient();
            var metrics = await http.GetStringAsync($"http://127.0.0.1:{server.HttpPort}/metrics");
            Assert.Contains("datahub_pulls{state=\"Fulfilled\"} 3", metrics);
            Assert.Contains("datahub_pulls{state=\"Cancelled\"} 1", metrics);
            Assert.Contains("datahub_pulls_from_library 2", metrics);
        }

        var (intact, report) = await CliRunner.RunAsync(Data, "audit", "verify");
        Assert.True(intact == 0, report);
        await using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(Data, "audit.db")};Pooling=False");
        await c.OpenAsync();
        var cmd = c.CreateCommand();
        // Library answer 2, demand + refuse + escalate + rule + fulfil + rate 6, demand + cancel 2: one entry per step.
        cmd.CommandText = "SELECT count(*) FROM audit WHERE detail LIKE 'pull=DP-%' AND result='OK'";
        Assert.Equal(10L, (long)(await cmd.ExecuteScalarAsync())!);
        cmd.CommandText = "SELECT count(*) FROM audit WHERE method='/datahub.v1.DataPullService/Rule' AND agency='city-coordination' AND result='OK'";
        Assert.Equal(1L, (long)(await cmd.ExecuteScalarAsync())!);
        cmd.CommandText = "SELECT count(*) FROM audit WHERE method LIKE '/datahub.v1.DataPullService/%' AND result IN ('PERMISSION_DENIED','FAILED_PRECONDITION','INVALID_ARGUMENT','NOT_FOUND')";
        Assert.True((long)(await cmd.ExecuteScalarAsync())! >= 12, "refused pull calls are audited too");
        cmd.CommandText = "SELECT count(*) FROM audit WHERE method='/datahub.v1.AdminService/UpdatePullCatalogue' AND result='OK'";
        Assert.Equal(1L, (long)(await cmd.ExecuteScalarAsync())!);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
