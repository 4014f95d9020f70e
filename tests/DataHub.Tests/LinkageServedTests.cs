using System.Text.Json;
using DataHub.Core.Ingest;
using DataHub.Core.Linkage;
using DataHub.Core.Workflows;
using DataHub.Schema.V1;

namespace DataHub.Tests;

/// <summary>The linkage wired in the served hub: imported approvals become tasks, pushed to the regulation platform's outbox, visible in metrics.</summary>
[Collection("console")]
public sealed class LinkageServedTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "datahub-linkage-" + Guid.NewGuid().ToString("N"));
    private string Data => Path.Combine(_root, "data");

    [Fact]
    public async Task Completed_approvals_imported_into_a_running_hub_become_tasks_pushed_once_each()
    {
        // The regulation platform is down at first: the tasks wait in the outbox and arrive once each when it is back.
        await using var platform = new Simulators.OutboundReceiver { Down = true };
        await platform.StartAsync();
        var input = Path.Combine(_root, "in");
        var (g, manifestJson) = await CliRunner.RunAsync(Data, "generate", "--enterprises", "150", "--seed", "21", "--out", input);
        Assert.Equal(0, g);
        var (agencies, _) = PullInteropTests.CatalogueAgencies();
        var options = HubOptions.Load(Data);
        var hub = Hub.Open(options with
        {
            Agencies = agencies,
            Server = options.Server with { GrpcPort = 0, HttpPort = 0 },
            Linkage = options.Linkage with { FollowSeconds = 0.2 },
            Outbound = new Dictionary<string, Adapters.OutboundOptions>
            {
                [LinkageWorkflow.RegulationPlatform] = new()
                {
                    Url = platform.UrlFor(LinkageWorkflow.RegulationPlatform).ToString(), MaxRetryDelaySeconds = 0.5,
                    Resilience = new Adapters.ResilienceOptions { RequestsPerSecond = 2000, BreakSeconds = 0.5 },
                },
            },
        });
        await using var server = await HubServer.StartAsync(hub, CancellationToken.None, Microsoft.Extensions.Logging.LogLevel.Warning);
        // Imported while the hub runs: the follower finds the cases in the record log, whatever brought them.
        var files = JsonDocument.Parse(manifestJson).RootElement.GetProperty("files").EnumerateArray().Select(f => Path.Combine(input, f.GetString()!)).ToList();
        await DataHub.Cli.DataHubCli.ImportAsync(hub, files, CancellationToken.None);

        var catalogue = server.Linkage.Catalogue;
        var completed = hub.Store.LogAfter(0, CanonicalRecord.BodyOneofCase.ApprovalCase, 1_000_000).Records
            .Where(TaskLifecycle.IsCompletedApproval).GroupBy(r => (r.Source, r.SourceId)).Select(g => g.First()).ToList();
        var routed = completed.Where(r => catalogue.Match(r.ApprovalCase.ItemCode) is not null).Select(r => r.ApprovalCase.CaseNo).ToHashSet(StringComparer.Ordinal);
        // 事后核查 commitments of routed cases become tasks of their own.
        int postChecks = hub.Store.LogAfter(0, CanonicalRecord.BodyOneofCase.Commitment, 1_000_000).Records
            .Where(r => CommitmentLifecycle.IsTracked(r) && r.Commitment.Type == CommitmentType.PostCheck && routed.Contains(r.Commitment.CaseNo))
            .Select(r => r.Commitment.CommitmentCode).Distinct().Count();
        int expectedTasks = routed.Count + postChecks;
        Assert.True(routed.Count > 10 && postChecks > 0, $"the synthetic data has {routed.Count} completed catalogued approvals and {postChecks} post-approval checks");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        long created = 0;
        while (DateTime.UtcNow < deadline && (created = server.Linkage.Store.Counts().ByState.Values.Sum()) < expectedTasks) await Task.Delay(100);
        await Task.Delay(500);
        Assert.Equal(expectedTasks, server.Linkage.Store.Counts().ByState.Values.Sum());
        Assert.Equal(completed.Count - routed.Count, server.Linkage.Unmatched(10_000).Total);
        Assert.All(server.Linkage.Unmatched(10_000).Cases, u => Assert.Equal("320100000000008", u.Case.ApprovalCase.ItemCode));
        var pushed = hub.Store.OutboxCounts().Single(o => o.Destination == LinkageWorkflow.RegulationPlatform);
        Assert.Equal(expectedTasks, pushed.Waiting + pushed.Delivered);
        while (platform.Refused == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(platform.Refused > 0, "the dispatcher tried the platform while it was down");
        Assert.Empty(platform.Received);
        platform.Down = false;
        deadline = DateTime.UtcNow.AddSeconds(30);
        while (platform.Received.Count < expectedTasks && DateTime.UtcNow < deadline) await Task.Delay(100);
        await Task.Delay(300);
        Assert.Equal(expectedTasks, platform.Received.Count);
        Assert.Equal(0, platform.Repeats);
        Assert.Equal(expectedTasks, platform.Received.Select(m => m.IdempotencyKey).Distinct().Count());
        Assert.All(platform.Received, m => Assert.StartsWith("regulation-platform:task:RT-", m.IdempotencyKey));

        // The regulator sees its own tasks only, and views one.
        var amr = new WorkflowActor("city-amr", new HashSet<string> { "regulator" }, "", "/test");
        var mine = server.Linkage.List(amr, TaskView.Mine, null, 500, null).Tasks;
        Assert.NotEmpty(mine);
        Assert.All(mine, t => Assert.Equal("city-amr", t.Regulator));
        var viewed = await server.Linkage.AcknowledgeAsync(amr, mine[0].Id, CancellationToken.None);
        Assert.Equal(TaskState.Viewed, viewed.State);
        var other = new WorkflowActor("city-tax", new HashSet<string> { "regulator" }, "", "/test");
        var refused = await Assert.ThrowsAsync<WorkflowRuleException>(() => server.Linkage.AcknowledgeAsync(other, mine[0].Id, CancellationToken.None));
        Assert.Equal(WorkflowErrorKind.NotFound, refused.Kind);

        using var http = new HttpClient();
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{server.HttpPort}/metrics");
        Assert.Contains("datahub_linkage_tasks{state=\"Viewed\"} 1", metrics);
        Assert.Contains($"datahub_linkage_unmatched_approvals {completed.Count - routed.Count}", metrics);
    }

    [Fact]
    public async Task Python_grpcio_lists_views_and_reports_on_tasks_and_reads_commitments_and_the_catalogue()
    {
        const string Python = "/usr/bin/python3";
        Assert.True(File.Exists(Python), $"{Python} is missing: run the README's test command (bash ops/test.sh), which installs python3-grpcio.");
        var input = Path.Combine(_root, "in");
        var (g, manifestJson) = await CliRunner.RunAsync(Data, "generate", "--enterprises", "150", "--seed", "22", "--out", input);
        Assert.Equal(0, g);
        var files = JsonDocument.Parse(manifestJson).RootElement.GetProperty("files").EnumerateArray().Select(f => Path.Combine(input, f.GetString()!)).ToList();
        Assert.Equal(0, (await CliRunner.RunAsync(Data, ["import", .. files])).Exit);
        var (agencies, keys) = PullInteropTests.CatalogueAgencies();
        var options = HubOptions.Load(Data);
        var hub = Hub.Open(options with { Agencies = agencies, Server = options.Server with { GrpcPort = 0, HttpPort = 0 }, Linkage = options.Linkage with { FollowSeconds = 0.2 } });
        var pythonOut = await GrpcInteropTests.PythonMessagesAsync(_root);
        await using var server = await HubServer.StartAsync(hub, CancellationToken.None, Microsoft.Extensions.Logging.LogLevel.Warning);
        // Until the follower has caught up: the task count holds still for a second.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        long seen = -1, now;
        while ((now = server.Linkage.Store.Counts().ByState.Values.Sum()) != seen || now == 0)
        {
            if (DateTime.UtcNow > deadline) break;
            seen = now;
            await Task.Delay(1000);
        }

        var environment = keys.ToDictionary(k => "DATAHUB_KEY_" + k.Key.ToUpperInvariant().Replace('-', '_'), k => k.Value);
        var (exit, output) = await GrpcInteropTests.RunProcess(Python,
            [Path.Combine(GrpcInteropTests.RepositoryRoot(), "tests", "interop", "linkage_interop.py"), "--target", $"127.0.0.1:{server.GrpcPort}", "--pydir", pythonOut], environment);
        Assert.True(exit == 0, "linkage interop checks failed:\n" + output);
        Assert.Contains("all linkage interop checks passed", output);
        Assert.DoesNotMatch("(?m)^FAIL ", output);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
