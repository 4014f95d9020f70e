using System.Globalization;
using System.Net;
using System.Text.Json;
using DataHub.Security;
using static DataHub.Tests.ConsoleHttp;

namespace DataHub.Tests;

/// <summary>
/// The console's regulatory-task API (/api/console/tasks, /api/console/profiles/{uscc}/tasks) over HTTP
/// against a served hub whose agencies carry the ids of the shipped linkage catalogue: the regulator's
/// list, another regulator kept out, 认领, the result report and its checks, the profile's 监管任务
/// section, paging, and the audit chain's entries for each step and disclosure.
/// </summary>
[Collection("console")]
public sealed class TaskConsoleTests(TaskConsoleTests.TaskHub served) : IClassFixture<TaskConsoleTests.TaskHub>
{
    /// <summary>A hub with imported synthetic data, served, its linkage caught up with the record log.</summary>
    public sealed class TaskHub : IAsyncLifetime
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "datahub-tasks-" + Guid.NewGuid().ToString("N"));

        internal DataHub.Hub Served { get; private set; } = null!;
        internal HubServer Server { get; private set; } = null!;
        internal Dictionary<string, string> Keys { get; } = new(StringComparer.Ordinal);
        internal Uri HttpAddress => new($"http://127.0.0.1:{Server.HttpPort}/");

        public async Task InitializeAsync()
        {
            var data = Path.Combine(_root, "data");
            var input = Path.Combine(_root, "in");
            var (g, manifestJson) = await CliRunner.RunAsync(data, "generate", "--enterprises", "150", "--seed", "21", "--out", input);
            Assert.Equal(0, g);
            var options = HubOptions.Load(data);
            Served = DataHub.Hub.Open(options with
            {
                Agencies = Agencies(),
                Server = options.Server with { GrpcPort = 0, HttpPort = 0 },
                Linkage = options.Linkage with { FollowSeconds = 0.2 },
            });
            Server = await HubServer.StartAsync(Served, CancellationToken.None, Microsoft.Extensions.Logging.LogLevel.Warning);
            var files = JsonDocument.Parse(manifestJson).RootElement.GetProperty("files").EnumerateArray().Select(f => Path.Combine(input, f.GetString()!)).ToList();
            await DataHub.Cli.DataHubCli.ImportAsync(Served, files, CancellationToken.None);
            // The follower runs every 0.2 s; one more pass here returns once the whole log is followed.
            await Server.Linkage.FollowLogAsync(CancellationToken.None);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Server.Linkage.Store.Counts().ByState.Values.Sum() == 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        }

        /// <summary>The agencies of PullInteropTests.CatalogueAgencies (the catalogue's ids), with names and profile scopes for the profile's section.</summary>
        private AgencyDirectory Agencies() => ConsoleHttp.Agencies(Keys, 100000,
            new("city-approval", "行政审批局", [Roles.Approval, Roles.Reader], [Scopes.ProfileBasic, Scopes.ProfileLicences, Scopes.ProfileApprovals]),
            new("city-amr", "市场监督管理局", [Roles.Regulator], [Scopes.ProfileAll]),
            new("city-tax", "税务局", [Roles.Regulator], [Scopes.ProfileBasic, Scopes.ProfileRegulation]),
            new("city-coordination", "市协调办", [Roles.Coordination], [Scopes.ProfileAll]),
            new("admin", "系统管理员", [Roles.Admin], []));

        public async Task DisposeAsync()
        {
            await Server.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
        }
    }

    private HttpClient Bearer(string agency) => ConsoleHttp.Bearer(served.HttpAddress, served.Keys[agency]);

    private static string Today() => DateTime.UtcNow.AddHours(8).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Ids(JsonElement list) => string.Join(",", list.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("id").GetString()));

    /// <summary>A task of city-amr waiting to be viewed, skipping <paramref name="skip"/>.</summary>
    private async Task<JsonElement> PendingTaskAsync(HttpClient amr, int skip)
    {
        var pending = (await GetAsync(amr, "api/console/tasks?view=mine&state=PENDING_VIEW&pageSize=100")).GetProperty("tasks").EnumerateArray().ToList();
        Assert.True(pending.Count > skip, $"city-amr should have more than {skip} tasks waiting to be viewed; it has {pending.Count}");
        return pending[skip];
    }

    [Fact]
    public async Task A_task_is_listed_viewed_and_answered_by_its_regulator_only_and_every_step_is_audited()
    {
        using var amr = Bearer("city-amr");
        using var tax = Bearer("city-tax");
        using var approval = Bearer("city-approval");
        using var coordination = Bearer("city-coordination");

        // city-amr lists its own tasks only, each with its labels.
        var mine = (await GetAsync(amr, "api/console/tasks?view=mine")).GetProperty("tasks").EnumerateArray().ToList();
        Assert.NotEmpty(mine);
        Assert.All(mine, t =>
        {
            Assert.Equal("city-amr", t.GetProperty("regulator").GetString());
            Assert.Equal("市场监督管理局", t.GetProperty("regulatorName").GetString());
            Assert.StartsWith("RT-", t.GetProperty("id").GetString());
            Assert.False(string.IsNullOrEmpty(t.GetProperty("division").GetString()));
            Assert.False(string.IsNullOrEmpty(t.GetProperty("stateText").GetString()));
        });
        var task = await PendingTaskAsync(amr, 0);
        var id = task.GetProperty("id").GetString()!;
        var uscc = task.GetProperty("uscc").GetString()!;
        Assert.Equal("PENDING_VIEW", task.GetProperty("state").GetString());
        Assert.Equal("待认领", task.GetProperty("stateText").GetString());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", task.GetProperty("viewDueOn").GetString());
        Assert.Equal(JsonValueKind.Null, task.GetProperty("result").ValueKind);

        // Another regulator: not in its list, and the task does not exist for it.
        Assert.DoesNotContain(id, Ids(await GetAsync(tax, "api/console/tasks?view=mine&pageSize=100")).Split(','));
        var hidden = await GetAsync(tax, $"api/console/tasks/{id}", HttpStatusCode.NotFound);
        Assert.Contains(id, hidden.GetProperty("detail").GetString());
        await PostAsync(tax, $"api/console/tasks/{id}/acknowledge", null, HttpStatusCode.NotFound);
        // Roles: an approval agency sees no tasks; the coordination office sees them but takes no step.
        await GetAsync(approval, "api/console/tasks", HttpStatusCode.Forbidden);
        await GetAsync(approval, $"api/console/tasks/{id}", HttpStatusCode.Forbidden);
        var overseen = await GetAsync(coordination, $"api/console/tasks/{id}");
        Assert.Empty(overseen.GetProperty("actions").EnumerateArray());
        await PostAsync(coordination, $"api/console/tasks/{id}/acknowledge", null, HttpStatusCode.Forbidden);
        await GetAsync(coordination, "api/console/tasks?view=overdue");

        // The regulator's view: history with labels, and the step it may take now.
        var detail = await GetAsync(amr, $"api/console/tasks/{id}");
        Assert.Equal(["acknowledge"], detail.GetProperty("actions").EnumerateArray().Select(a => a.GetString()!));
        var created = detail.GetProperty("history")[0];
        Assert.Equal("TASK_CREATED", created.GetProperty("type").GetString());
        Assert.Equal("生成并推送监管任务", created.GetProperty("typeText").GetString());
        Assert.Equal("数据交换枢纽（系统）", created.GetProperty("actorName").GetString());
        Assert.Equal("PENDING_VIEW", created.GetProperty("state").GetString());
        var t0 = detail.GetProperty("task");
        Assert.False(string.IsNullOrEmpty(t0.GetProperty("caseSource").GetString()));
        Assert.False(string.IsNullOrEmpty(t0.GetProperty("caseSourceId").GetString()));

        // 认领: PENDING_VIEW → VIEWED; a second one is a conflict naming the state.
        var viewed = await PostAsync(amr, $"api/console/tasks/{id}/acknowledge", null);
        Assert.Equal("VIEWED", viewed.GetProperty("state").GetString());
        Assert.Equal("监管中", viewed.GetProperty("stateText").GetString());
        Assert.Equal(JsonValueKind.String, viewed.GetProperty("viewedAt").ValueKind);
        var again = await PostAsync(amr, $"api/console/tasks/{id}/acknowledge", null, HttpStatusCode.Conflict);
        Assert.Contains("VIEWED", again.GetProperty("detail").GetString());
        Assert.Equal(["result"], (await GetAsync(amr, $"api/console/tasks/{id}")).GetProperty("actions").EnumerateArray().Select(a => a.GetString()!));

        // The result's checks: each names its field.
        var noDetails = await PostAsync(amr, $"api/console/tasks/{id}/result", new { outcome = "compliant", finishedOn = Today() }, HttpStatusCode.BadRequest);
        Assert.Contains("details", noDetails.GetProperty("detail").GetString());
        var noOutcome = await PostAsync(amr, $"api/console/tasks/{id}/result", new { details = "现场检查", finishedOn = Today() }, HttpStatusCode.BadRequest);
        Assert.Contains("outcome", noOutcome.GetProperty("detail").GetString());
        Assert.Contains("outcome", (await PostAsync(amr, $"api/console/tasks/{id}/result", new { outcome = "fine", details = "x", finishedOn = Today() }, HttpStatusCode.BadRequest)).GetProperty("detail").GetString());
        var noDeadline = await PostAsync(amr, $"api/console/tasks/{id}/result", new { outcome = "rectification", details = "现场检查发现问题", finishedOn = Today() }, HttpStatusCode.BadRequest);
        Assert.Contains("rectification_deadline", noDeadline.GetProperty("detail").GetString());
        Assert.Contains("finished_on", (await PostAsync(amr, $"api/console/tasks/{id}/result", new { outcome = "compliant", details = "x", finishedOn = "明天" }, HttpStatusCode.BadRequest)).GetProperty("detail").GetString());
        await PostAsync(amr, $"api/console/tasks/{id}/result", new[] { "compliant" }, HttpStatusCode.BadRequest);
        await PostAsync(tax, $"api/console/tasks/{id}/result", new { outcome = "compliant", details = "x", finishedOn = Today() }, HttpStatusCode.NotFound);

        var deadline = DateTime.UtcNow.AddHours(8).AddDays(30).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var answered = await PostAsync(amr, $"api/console/tasks/{id}/result",
            new { outcome = "rectification", details = "现场检查发现从业人员健康证明过期，责令限期整改", finishedOn = Today(), rectificationDeadline = deadline });
        Assert.Equal("RESULT_SUBMITTED", answered.GetProperty("state").GetString());
        Assert.Equal("已反馈", answered.GetProperty("stateText").GetString());
        var result = answered.GetProperty("result");
        Assert.Equal("rectification", result.GetProperty("outcome").GetString());
        Assert.Equal("责令整改", result.GetProperty("outcomeText").GetString());
        Assert.Equal(deadline, result.GetProperty("rectificationDeadline").GetString());
        Assert.Equal(Today(), result.GetProperty("finishedOn").GetString());
        Assert.True(string.CompareOrdinal(answered.GetProperty("resultDueOn").GetString(), Today()) > 0);
        Assert.False(answered.GetProperty("resultOverdue").GetBoolean());
        await PostAsync(amr, $"api/console/tasks/{id}/result", new { outcome = "compliant", details = "再报一次", finishedOn = Today() }, HttpStatusCode.Conflict);

        var history = (await GetAsync(amr, $"api/console/tasks/{id}")).GetProperty("history").EnumerateArray().ToList();
        Assert.Equal(["TASK_CREATED", "ACKNOWLEDGED", "RESULT_SUBMITTED"], history.Select(h => h.GetProperty("type").GetString()!));
        Assert.Equal(["datahub", "city-amr", "city-amr"], history.Select(h => h.GetProperty("actor").GetString()!));
        Assert.Empty((await GetAsync(amr, $"api/console/tasks/{id}")).GetProperty("actions").EnumerateArray());

        // The profile's 监管任务 section: the enterprise's tasks for readers with the regulation scope.
        var profileTasks = await GetAsync(amr, $"api/console/profiles/{uscc.ToLowerInvariant()}/tasks");
        Assert.Equal(uscc, profileTasks.GetProperty("uscc").GetString());
        var listed = Assert.Single(profileTasks.GetProperty("tasks").EnumerateArray(), t => t.GetProperty("id").GetString() == id);
        Assert.Equal("RESULT_SUBMITTED", listed.GetProperty("state").GetString());
        Assert.Equal("责令整改", listed.GetProperty("result").GetProperty("outcomeText").GetString());
        Assert.All(profileTasks.GetProperty("tasks").EnumerateArray(), t => Assert.Equal(uscc, t.GetProperty("uscc").GetString()));
        Assert.Contains(id, Ids(await GetAsync(tax, $"api/console/profiles/{uscc}/tasks")));
        var noScope = await GetAsync(approval, $"api/console/profiles/{uscc}/tasks", HttpStatusCode.Forbidden);
        Assert.Contains("profile:regulation", noScope.GetProperty("detail").GetString());
        await GetAsync(amr, "api/console/profiles/91320000ABCDEFGHIJ/tasks", HttpStatusCode.BadRequest);

        // The audit chain: the workflow's entry per step (no second one for the console call), the
        // disclosures naming the enterprise, the refused calls with their status.
        var entries = AuditEntries(served.Served.Options.AuditPath);
        var steps = entries.Where(e => e.Detail.Contains($"task={id} event=", StringComparison.Ordinal)).ToList();
        Assert.Equal(["TaskCreated", "Acknowledged", "ResultSubmitted"],
            steps.Select(e => e.Detail.Split(' ').Single(w => w.StartsWith("event=", StringComparison.Ordinal))["event=".Length..]));
        Assert.All(steps, e => Assert.Equal(uscc, e.Uscc));
        Assert.Equal("datahub", steps[0].Agency);
        Assert.Equal(("city-amr", $"POST /api/console/tasks/{id}/acknowledge"), (steps[1].Agency, steps[1].Method));
        Assert.Equal(("city-amr", $"POST /api/console/tasks/{id}/result"), (steps[2].Agency, steps[2].Method));
        Assert.Single(entries, e => e.Method == $"POST /api/console/tasks/{id}/acknowledge" && e.Result == "OK");
        Assert.Single(entries, e => e.Method == $"POST /api/console/tasks/{id}/result" && e.Result == "OK");
        Assert.Contains(entries, e => e.Agency == "city-amr" && e.Uscc == uscc && e.Method == $"GET /api/console/tasks/{id}" && e.Detail.Contains($"task={id}"));
        Assert.Contains(entries, e => e.Agency == "city-coordination" && e.Uscc == uscc && e.Method == $"GET /api/console/tasks/{id}");
        Assert.Contains(entries, e => e.Agency == "city-amr" && e.Uscc == uscc && e.Method.StartsWith("GET /api/console/profiles/", StringComparison.Ordinal) && e.Method.EndsWith("/tasks", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Agency == "city-tax" && e.Method == $"GET /api/console/tasks/{id}" && e.Result == "HTTP 404");
        Assert.Contains(entries, e => e.Agency == "city-amr" && e.Method == $"POST /api/console/tasks/{id}/acknowledge" && e.Result == "HTTP 409");
        Assert.Contains(entries, e => e.Agency == "city-amr" && e.Method == $"POST /api/console/tasks/{id}/result" && e.Result == "HTTP 400");
        Assert.Contains(entries, e => e.Agency == "city-coordination" && e.Method == $"POST /api/console/tasks/{id}/acknowledge" && e.Result == "PERMISSION_DENIED");
        Assert.Contains(entries, e => e.Agency == "city-approval" && e.Method == $"GET /api/console/profiles/{uscc}/tasks" && e.Result == "HTTP 403");
    }

    [Fact]
    public async Task Lists_page_newest_first_bad_parameters_are_refused_and_the_api_is_described()
    {
        using var amr = Bearer("city-amr");
        var seen = new List<string>();
        string? next = null;
        int pages = 0;
        do
        {
            var page = await GetAsync(amr, "api/console/tasks?view=mine&pageSize=7" + (next is null ? "" : "&before=" + next));
            Assert.True(page.GetProperty("tasks").GetArrayLength() <= 7);
            seen.AddRange(page.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("id").GetString()!));
            next = page.GetProperty("next").ValueKind == JsonValueKind.String ? page.GetProperty("next").GetString() : null;
            pages++;
        } while (next is not null && pages < 100);
        Assert.True(pages > 1, "city-amr should have more than one page of 7 tasks");
        Assert.Equal(seen.Distinct().Count(), seen.Count);
        // Every task of city-amr, in the store's order (newest first), once.
        var all = served.Server.Linkage.List(new DataHub.Core.Workflows.WorkflowActor("city-amr", new HashSet<string> { Roles.Regulator }),
            DataHub.Schema.V1.TaskView.Mine, null, 500, null).Tasks.Select(t => t.Id).ToList();
        Assert.Equal(all, seen);

        await GetAsync(amr, "api/console/tasks?view=everything", HttpStatusCode.BadRequest);
        await GetAsync(amr, "api/console/tasks?state=DONE", HttpStatusCode.BadRequest);
        await GetAsync(amr, "api/console/tasks?pageSize=0", HttpStatusCode.BadRequest);
        await GetAsync(amr, "api/console/tasks?before=x", HttpStatusCode.BadRequest);
        await GetAsync(amr, "api/console/tasks/RT-NO-SUCH-CASE", HttpStatusCode.NotFound);
        Assert.All((await GetAsync(amr, "api/console/tasks?state=VIEWED&pageSize=100")).GetProperty("tasks").EnumerateArray(),
            t => Assert.Equal("VIEWED", t.GetProperty("state").GetString()));

        // A cookie session's write needs the console header; the task stays as it was.
        var id = (await PendingTaskAsync(amr, 1)).GetProperty("id").GetString()!;
        using (var cookie = await ConsoleHttp.SignedInAsync(served.HttpAddress, served.Keys["city-amr"], csrfHeader: false))
        {
            var refused = await PostAsync(cookie, $"api/console/tasks/{id}/acknowledge", null, HttpStatusCode.Forbidden);
            Assert.Contains("X-DataHub-Console", refused.GetProperty("detail").GetString());
            Assert.Equal("PENDING_VIEW", (await GetAsync(cookie, $"api/console/tasks/{id}")).GetProperty("task").GetProperty("state").GetString());
        }

        var paths = (await GetAsync(amr, "openapi/v1.json")).GetProperty("paths");
        foreach (var path in new[] { "/api/console/tasks", "/api/console/tasks/{id}", "/api/console/tasks/{id}/acknowledge", "/api/console/tasks/{id}/result", "/api/console/profiles/{uscc}/tasks" })
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is not in the OpenAPI document");
            Assert.Contains("summary", item.GetRawText());
        }
    }
}
