using DataHub.Core.Workflows;
using System.Text;
using Microsoft.Playwright;

namespace DataHub.Tests;

/// <summary>
/// The console in headless Chromium (Debian's, at 1366×768) against the served hub: sign in, search by
/// name fragment and by USCC, open a profile, look at an earlier date, export CSV, replay a quarantined
/// record, ask for a data pull and refuse it as its owner; labels and keyboard use checked;
/// screenshots kept in artifacts/screenshots.
/// </summary>
[Collection("console")]
public sealed class ConsoleBrowserTests : IAsyncLifetime
{
    private ServedHub _served = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private readonly string _shots = ScreenshotDirectory();

    /// <summary>Where browser tests keep their screenshots (test artifacts), created when missing.</summary>
    internal static string ScreenshotDirectory() =>
        Directory.CreateDirectory(Path.Combine(GrpcInteropTests.RepositoryRoot(), "artifacts", "screenshots")).FullName;

    public async Task InitializeAsync()
    {
        _served = await ServedHub.StartAsync(enterprises: 60, seed: 71);
        _playwright = await Playwright.CreateAsync();
        _browser = await ConsoleBrowser.LaunchAsync(_playwright);
        Directory.CreateDirectory(_shots);
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _served.DisposeAsync();
    }

    private Task<IPage> SignInAsync(string agency) =>
        ConsoleBrowser.SignInAsync(_browser, _served.HttpAddress, _served.Keys[agency], _shots, agency);

    private async Task ShotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(_shots, name + ".png"), FullPage = true });

    /// <summary>Every form control has a label (or an aria-label): what a screen reader announces.</summary>
    private static async Task AssertLabelledAsync(IPage page)
    {
        var unlabelled = await page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('input:not([type=hidden]),select,textarea')].filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby')).map(e => e.id || e.name || e.outerHTML.slice(0, 60))");
        Assert.True(unlabelled.Length == 0, $"{page.Url}: controls without a label: {string.Join(", ", unlabelled)}");
    }

    [Fact]
    public async Task A_regulator_signs_in_searches_by_name_and_by_code_opens_a_profile_and_looks_at_an_earlier_date()
    {
        var store = _served.Hub.Store;
        var profile = store.GetProfile(store.EnterprisesWithProfiles()[5])!;
        var page = await SignInAsync("regulator");
        await AssertLabelledAsync(page);

        // Name fragment, submitted with the keyboard.
        var fragment = profile.Name.Substring(2, 3);
        await page.FocusAsync("#q");
        await page.Keyboard.TypeAsync(fragment);
        await page.Keyboard.PressAsync("Enter");
        var row = page.Locator($"#results tr.hit[data-uscc='{profile.Uscc}']");
        await row.WaitForAsync();
        Assert.Equal(fragment, await row.Locator("mark").First.InnerTextAsync());
        Assert.Contains("共", await page.InnerTextAsync("#resultCount"));
        await ShotAsync(page, "search-by-name");

        // USCC prefix in lower case.
        await page.FillAsync("#q", profile.Uscc[..12].ToLowerInvariant());
        await page.ClickAsync("#searchButton");
        // The row of the first search is still there until this search answers: wait for the answer.
        await page.Locator("#resultArea:not([aria-busy])").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await page.Locator($"#results tr.hit[data-uscc='{profile.Uscc}']").WaitForAsync();

        // Keyboard: the result row takes focus and Enter opens the profile. The locator focuses the row
        // and presses in one step, so a results table re-rendered in between (a late search answer on a
        // loaded machine) cannot swallow the key.
        await page.Locator($"#results tr.hit[data-uscc='{profile.Uscc}']").PressAsync("Enter");
        await ConsoleBrowser.WaitForUrlAsync(page, "/profile.html?");
        await page.Locator("#profileName").WaitForAsync();
        Assert.Equal(profile.Name, (await page.InnerTextAsync("#profileName")).Trim());
        Assert.Contains(profile.Uscc, await page.InnerTextAsync("#profileUscc"));
        Assert.Equal(1, await page.Locator("svg#complaintTrend").CountAsync());
        await AssertLabelledAsync(page);
        await ShotAsync(page, "profile");

        // An earlier date: the profile as it stood then.
        await page.FillAsync("#asOf", profile.Identity.EstablishedOn);
        await page.Locator("#asOf").PressAsync("Enter");
        await ConsoleBrowser.WaitForUrlAsync(page, $"asOf={profile.Identity.EstablishedOn}");
        await page.Locator("#profileName").WaitForAsync();
        Assert.Equal(profile.Identity.EstablishedOn, await page.InputValueAsync("#asOf"));
        await ShotAsync(page, "profile-as-of");

        // A lineage link opens the source record's versions.
        await page.Locator("a.lineage").First.ClickAsync();
        await ConsoleBrowser.WaitForUrlAsync(page, "/record.html?");
        await page.Locator("#versions section").First.WaitForAsync();
    }

    [Fact]
    public async Task Search_results_export_as_csv_with_a_bom()
    {
        var page = await SignInAsync("reader");
        await page.FillAsync("#q", "有限公司");
        await page.ClickAsync("#searchButton");
        await page.Locator("#results tr.hit").First.WaitForAsync();
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#exportCsv"));
        var path = Path.Combine(_shots, "export.csv");
        await download.SaveAsAsync(path);
        var bytes = await File.ReadAllBytesAsync(path);
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var shown = long.Parse(new string((await page.InnerTextAsync("#resultCount")).Where(char.IsAsciiDigit).ToArray()), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(shown > 1, "the search should find several enterprises");
        Assert.Equal(shown, lines.Length - 1);
    }

    [Fact]
    public async Task An_admin_replays_a_quarantined_record_and_sees_the_adapters()
    {
        var page = await SignInAsync("admin");
        await page.GotoAsync("/console/adapters.html");
        // The table refreshes every 5 s; wait for a rendering that lists the adapters.
        await page.Locator("#adapters", new PageLocatorOptions { HasText = "market-supervision/penalties" }).WaitForAsync();
        await AssertLabelledAsync(page);
        await ShotAsync(page, "adapters");

        var waiting = _served.Hub.Store.Stats().Quarantined;
        Assert.True(waiting > 0, "the synthetic data quarantines some rows");
        await page.GotoAsync("/console/quarantine.html");
        var firstRow = page.Locator("#quarantine tbody input[type=checkbox]").First;
        await firstRow.WaitForAsync();
        await AssertLabelledAsync(page);
        await firstRow.CheckAsync();
        await page.ClickAsync("#replaySelected");
        await page.Locator("#replayResult").Filter(new LocatorFilterOptions { HasTextRegex = new System.Text.RegularExpressions.Regex("重新处理 1 条") }).WaitForAsync();
        await ShotAsync(page, "quarantine-replayed");
        Assert.Contains(_served.Hub.Store.ListQuarantine(true, 1000), e => e.ReplayAttempts > 0 || e.ReplayedAt is not null);
    }

    [Fact]
    public async Task Pull_requested_on_the_console_is_refused_by_its_owner_with_a_reason_and_a_legal_basis()
    {
        // The fixture's agencies are not the shipped catalogue's: add an item that "reader" (role approval)
        // may request from "regulator", as an administrator would through the catalogue API.
        var pulls = _served.Server.Pulls;
        var document = System.Text.Json.Nodes.JsonNode.Parse(pulls.Catalogue.ToJson())!;
        document["itemTypes"]!.AsArray().Add(new System.Text.Json.Nodes.JsonObject
        {
            ["code"] = "MAT-SITE-CHECK", ["name"] = "现场核查记录", ["kind"] = "material", ["owner"] = "regulator", ["timeLimitWorkingDays"] = 3,
            ["legalBasis"] = "《优化营商环境条例》第三十七条", ["requesterRoles"] = new System.Text.Json.Nodes.JsonArray("approval"),
        });
        await pulls.UpdateCatalogueAsync(document.ToJsonString(), pulls.CatalogueRevision.Revision,
            new DataHub.Core.Workflows.WorkflowActor("admin", new HashSet<string> { DataHub.Security.Roles.Admin }, "", "test"), CancellationToken.None);
        var uscc = _served.Hub.Store.EnterprisesWithProfiles()[2];

        // The requester: from the navigation to the pulls page; the form opened with the keyboard.
        var requester = await SignInAsync("reader");
        await requester.GetByRole(AriaRole.Link, new() { Name = "数据调取" }).ClickAsync();
        await ConsoleBrowser.WaitForUrlAsync(requester, "/pulls.html");
        await requester.Locator("#pullItemType option[value='MAT-SITE-CHECK']").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await requester.FocusAsync("#newPullSummary");
        await requester.Keyboard.PressAsync("Enter");
        await requester.Locator("#pullUscc").WaitForAsync();
        await AssertLabelledAsync(requester);
        // Submitting without a purpose is caught on the page.
        await requester.FillAsync("#pullUscc", uscc.ToLowerInvariant());
        await requester.SelectOptionAsync("#pullItemType", "MAT-SITE-CHECK");
        await requester.ClickAsync("#createPull");
        Assert.Contains("调取事由", await requester.Locator("#createError [role=alert]").InnerTextAsync());
        await requester.FillAsync("#pullPurpose", "办理食品经营许可，核验经营场所现场核查情况");
        await requester.FillAsync("#pullCaseReference", "BJ-2026-0042");
        await requester.ClickAsync("#createPull");
        var created = requester.Locator("#createResult a");
        await created.WaitForAsync();
        var id = (await created.InnerTextAsync()).Trim();
        Assert.StartsWith("DP-", id);
        Assert.Equal("page", await requester.GetAttributeAsync("#view-mine", "aria-current"));
        var mine = requester.Locator($"#pulls tr[data-id='{id}']");
        await mine.WaitForAsync();
        Assert.Contains("待办理", await mine.InnerTextAsync());
        Assert.Equal(0, await requester.Locator("#view-escalated").CountAsync());
        await ShotAsync(requester, "pulls-mine");

        // The owner: 待我办理 lists it; it opens; a refusal needs both a reason and a legal basis.
        var owner = await SignInAsync("regulator");
        await owner.GotoAsync("/console/pulls.html");
        await owner.ClickAsync("#view-assigned");
        var assigned = owner.Locator($"#pulls tr[data-id='{id}']");
        await assigned.WaitForAsync();
        await ShotAsync(owner, "pulls-assigned");
        await assigned.Locator("a.pull-link").ClickAsync();
        await ConsoleBrowser.WaitForUrlAsync(owner, "/pull.html?id=");
        await owner.Locator("#refuseForm").WaitForAsync();
        Assert.Equal(id, (await owner.InnerTextAsync("#pullId")).Trim());
        Assert.Equal("待办理", (await owner.InnerTextAsync("#pullState")).Trim());
        Assert.Equal($"profile.html?uscc={uscc}", await owner.GetAttributeAsync("#enterpriseLink", "href"));
        Assert.True(await owner.Locator("#fulfilForm").IsVisibleAsync());
        Assert.False(await owner.Locator("#escalateForm").IsVisibleAsync());
        await AssertLabelledAsync(owner);
        await ShotAsync(owner, "pull-owner");
        await owner.FillAsync("#refuseReason", "现场核查尚未完成，记录未归档");
        await owner.ClickAsync("#refuseButton");
        Assert.Contains("法律依据", await owner.Locator("#refuseForm [role=alert]").InnerTextAsync());
        Assert.Equal("true", await owner.GetAttributeAsync("#refuseLegalBasis", "aria-invalid"));
        await owner.FillAsync("#refuseLegalBasis", "《中华人民共和国政府信息公开条例》第十六条");
        await owner.ClickAsync("#refuseButton");
        await owner.Locator("#pullState", new() { HasText = "已拒绝" }).WaitForAsync();
        Assert.Contains("已拒绝", await owner.InnerTextAsync("#actionResult"));
        Assert.Contains("政府信息公开条例", await owner.InnerTextAsync("#pullFacts"));
        Assert.Equal(2, await owner.Locator("#history li").CountAsync());
        Assert.Contains("现场核查尚未完成", await owner.InnerTextAsync("#history li[data-type='REFUSED']"));
        Assert.True(await owner.Locator("#noActions").IsVisibleAsync());
        await ShotAsync(owner, "pull-refused");

        // Back with the requester: the refusal may now be taken to the coordination office.
        await requester.GotoAsync($"/console/pull.html?id={id}");
        await requester.Locator("#escalateForm").WaitForAsync();
        Assert.True(await requester.Locator("#cancelForm").IsVisibleAsync());
        Assert.False(await requester.Locator("#refuseForm").IsVisibleAsync());
        Assert.Equal(DataHub.Schema.V1.PullState.Refused, pulls.Store.Get(id)!.State);
    }

    [Fact]
    public async Task A_regulator_views_its_regulatory_task_and_reports_the_result_on_the_console()
    {
        // The fixture's agencies are not the shipped linkage catalogue's (city-amr …): link its items, and the one it
        // leaves out, to "regulator", as an administrator would through UpdateLinkageCatalogue. The approvals waiting
        // for a match and those not yet followed become its tasks.
        var linkage = _served.Server.Linkage;
        var rules = linkage.Catalogue.Rules.Select(r => r with { Regulator = "regulator" }).ToList();
        if (!rules.Any(r => r.ApprovalItemCode == "320100000000008"))
            rules.Add(new DataHub.Core.Linkage.LinkageRule("320100000000008", "", "排污许可", "JG-HB-001", "排污单位监督检查", "regulator", "环境监管处"));
        var csv = string.Join("\n", rules.Select(r => string.Join(",", r.ApprovalItemCode, r.ApprovalSubItem, r.ApprovalItemName, r.RegulatoryItemCode, r.RegulatoryItemName, r.Regulator, r.Division))
            .Prepend(string.Join(",", DataHub.Core.Linkage.LinkageCatalogue.Columns)));
        await linkage.UpdateCatalogueAsync(csv, linkage.CatalogueRevision.Revision,
            new WorkflowActor("admin", new HashSet<string> { DataHub.Security.Roles.Admin }, "", "test"), CancellationToken.None);
        await linkage.FollowLogAsync(CancellationToken.None);
        var regulator = new WorkflowActor("regulator", new HashSet<string> { DataHub.Security.Roles.Regulator });
        var newest = linkage.List(regulator, DataHub.Schema.V1.TaskView.Mine, null, 1, null).Tasks;
        Assert.True(newest.Count == 1, "the fixture's approvals should give \"regulator\" at least one task");
        var task = newest[0];
        Assert.Equal(DataHub.Schema.V1.TaskState.PendingView, task.State);

        // From the navigation to 监管任务: 我的任务 lists the task, newest first.
        var page = await SignInAsync("regulator");
        await page.Locator("header nav").GetByRole(AriaRole.Link, new() { Name = "监管任务", Exact = true }).ClickAsync();
        await ConsoleBrowser.WaitForUrlAsync(page, "/tasks.html");
        var row = page.Locator($"#tasks tr[data-id='{task.Id}']");
        await row.WaitForAsync();
        Assert.Equal("page", await page.GetAttributeAsync("#view-mine", "aria-current"));
        Assert.Equal(1, await page.Locator("#view-overdue").CountAsync());
        Assert.Contains("待认领", await row.InnerTextAsync());
        Assert.Contains(task.RegulatoryItemName, await row.InnerTextAsync());
        Assert.Equal($"profile.html?uscc={task.Uscc}", await row.Locator("a.enterprise-link").GetAttributeAsync("href"));
        Assert.Equal(["任务编号", "企业", "审批事项", "监管事项", "监管部门（处室）", "状态", "认领期限", "反馈期限"], await page.Locator("#tasks thead th").AllInnerTextsAsync());
        await AssertLabelledAsync(page);
        await ShotAsync(page, "tasks-mine");

        // The task opens with the keyboard; 认领 is the one step it offers.
        await row.Locator("a.task-link").PressAsync("Enter");
        await ConsoleBrowser.WaitForUrlAsync(page, "/task.html?id=");
        await page.Locator("#acknowledgeForm").WaitForAsync();
        Assert.Equal(task.Id, (await page.InnerTextAsync("#taskId")).Trim());
        Assert.Equal("待认领", (await page.InnerTextAsync("#taskState")).Trim());
        Assert.Equal($"profile.html?uscc={task.Uscc}", await page.GetAttributeAsync("#enterpriseLink", "href"));
        Assert.Equal($"record.html?uscc={Uri.EscapeDataString(task.Uscc)}&source={Uri.EscapeDataString(task.CaseSource)}&sourceId={Uri.EscapeDataString(task.CaseSourceId)}",
            await page.GetAttributeAsync("#caseLink", "href"));
        Assert.False(await page.Locator("#resultForm").IsVisibleAsync());
        Assert.Equal(1, await page.Locator("#history li[data-type='TASK_CREATED']").CountAsync());
        await AssertLabelledAsync(page);
        await ShotAsync(page, "task-pending");

        await page.ClickAsync("#acknowledgeButton");
        await page.Locator("#taskState", new() { HasText = "监管中" }).WaitForAsync();
        Assert.Contains("已认领", await page.InnerTextAsync("#actionResult"));
        Assert.False(await page.Locator("#acknowledgeForm").IsVisibleAsync());
        Assert.True(await page.Locator("#resultForm").IsVisibleAsync());
        Assert.Equal(2, await page.Locator("#history li").CountAsync());
        // The rectification deadline is asked for only with 责令整改.
        Assert.False(await page.Locator("#resultDeadline").IsVisibleAsync());
        await AssertLabelledAsync(page);
        await ShotAsync(page, "task-viewed");

        // The form's checks: an outcome, the details, and with 责令整改 the deadline.
        await page.ClickAsync("#resultButton");
        Assert.Contains("请选择监管结果", await page.Locator("#resultForm [role=alert]").InnerTextAsync());
        await page.CheckAsync("#outcomeRectification");
        await page.Locator("#resultDeadline").WaitForAsync();
        await page.FillAsync("#resultDetails", "现场检查发现从业人员健康证明过期，责令限期整改");
        await page.ClickAsync("#resultButton");
        Assert.Contains("整改期限", await page.Locator("#resultForm [role=alert]").InnerTextAsync());
        Assert.Equal("true", await page.GetAttributeAsync("#resultDeadline", "aria-invalid"));
        var deadline = DateTime.UtcNow.AddHours(8).AddDays(30).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        await page.FillAsync("#resultDeadline", deadline);
        await AssertLabelledAsync(page);
        await ShotAsync(page, "task-result-form");
        await page.ClickAsync("#resultButton");
        await page.Locator("#taskState", new() { HasText = "已反馈" }).WaitForAsync();
        Assert.Contains("监管结果已反馈", await page.InnerTextAsync("#actionResult"));
        Assert.Equal("责令整改", (await page.InnerTextAsync("#resultOutcome")).Trim());
        Assert.Contains(deadline, await page.InnerTextAsync("#resultFacts"));
        Assert.True(await page.Locator("#noActions").IsVisibleAsync());
        Assert.Contains("健康证明过期", await page.InnerTextAsync("#history li[data-type='RESULT_SUBMITTED']"));
        await ShotAsync(page, "task-result");

        // The enterprise's profile lists the task in its 监管任务 section.
        await page.ClickAsync("#enterpriseLink");
        await ConsoleBrowser.WaitForUrlAsync(page, "/profile.html?");
        var listed = page.Locator($"#profileTasks tr:has(a[href='task.html?id={task.Id}'])");
        await listed.WaitForAsync();
        Assert.Contains("已反馈", await listed.InnerTextAsync());
        Assert.Contains("责令整改", await listed.InnerTextAsync());
        await listed.ScrollIntoViewIfNeededAsync();
        await ShotAsync(page, "profile-tasks");
        Assert.Equal(DataHub.Schema.V1.TaskState.ResultSubmitted, linkage.Store.Get(task.Id)!.State);
    }
}
