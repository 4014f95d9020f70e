using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DataHub.Core.Audit;
using DataHub.Schema.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Tests;

/// <summary>
/// The console's commitment API (/api/console/commitments) and page over HTTP against a served hub with
/// imported synthetic data (commitments of every kind for about 30% of the approval cases) and the
/// catalogue's agencies: the three views and their paging against the store, one enterprise's
/// commitments, the roles of LinkageService/ListCommitments, a commitment with its history and its
/// audited disclosure, and the proto state names the page's JSON carries.
/// </summary>
[Collection("console")]
public sealed class CommitmentConsoleTests(CommitmentConsoleTests.CommitmentHub served) : IClassFixture<CommitmentConsoleTests.CommitmentHub>
{
    /// <summary>A hub with imported synthetic data, served, its linkage caught up with the record log and the deadlines due.</summary>
    public sealed class CommitmentHub : IAsyncLifetime
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "datahub-commitments-" + Guid.NewGuid().ToString("N"));

        internal DataHub.Hub Served { get; private set; } = null!;
        internal HubServer Server { get; private set; } = null!;
        internal Dictionary<string, string> Keys { get; private set; } = null!;
        internal Uri HttpAddress => new($"http://127.0.0.1:{Server.HttpPort}/");

        public async Task InitializeAsync()
        {
            var data = Path.Combine(_root, "data");
            var input = Path.Combine(_root, "in");
            var (g, manifestJson) = await CliRunner.RunAsync(data, "generate", "--enterprises", "150", "--seed", "21", "--out", input);
            Assert.Equal(0, g);
            var (agencies, keys) = PullInteropTests.CatalogueAgencies();
            Keys = keys;
            var options = HubOptions.Load(data);
            Served = DataHub.Hub.Open(options with
            {
                Agencies = agencies,
                Server = options.Server with { GrpcPort = 0, HttpPort = 0 },
                Linkage = options.Linkage with { FollowSeconds = 0.2 },
            });
            Server = await HubServer.StartAsync(Served, CancellationToken.None, Microsoft.Extensions.Logging.LogLevel.Warning);
            var files = JsonDocument.Parse(manifestJson).RootElement.GetProperty("files").EnumerateArray().Select(f => Path.Combine(input, f.GetString()!)).ToList();
            await DataHub.Cli.DataHubCli.ImportAsync(Served, files, CancellationToken.None);
            await SubmitOpenCommitmentsAsync();
            // The follower runs every 0.2 s; one more pass here returns once the whole log is followed, and the
            // deadline pass makes the commitments past their deadline overdue — so the lists stand still.
            await Server.Linkage.FollowLogAsync(CancellationToken.None);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline)
            {
                await Server.Linkage.RunDeadlinesAsync(CancellationToken.None);
                if (Server.Linkage.Store.CommitmentsDue(DateTimeOffset.UtcNow, 1).Count == 0 && Server.Linkage.Store.ListCommitments(CommitmentView.All, 1, null).Commitments.Count > 0) break;
                await Task.Delay(100);
            }
        }

        /// <summary>
        /// The generated deadlines have all passed by now, so no generated commitment is still open: a few of
        /// the approval side's commitments with deadlines 60 days ahead come in as the provincial platform sends them.
        /// </summary>
        private async Task SubmitOpenCommitmentsAsync()
        {
            var now = DateTimeOffset.UtcNow;
            var deadline = DateOnly.FromDateTime(now.AddHours(8).AddDays(60).Date).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            var enterprises = Served.Store.EnterprisesWithProfiles();
            var raw = Enumerable.Range(0, OpenCommitments).Select(i =>
            {
                var record = new CanonicalRecord
                {
                    Source = "provincial-platform", SourceId = $"CMT-CONSOLE-{i}", Uscc = enterprises[i % enterprises.Count], EnterpriseName = "",
                    OccurredAt = Timestamp.FromDateTimeOffset(now), UpdatedAt = Timestamp.FromDateTimeOffset(now), Synthetic = true,
                    Commitment = new Commitment
                    {
                        CommitmentCode = $"CN-CONSOLE-{i}", CaseNo = $"CONSOLE-{i}", Type = i % 2 == 0 ? CommitmentType.MaterialDeferred : CommitmentType.AcceptedWithGaps,
                        Content = "申请人承诺 60 日内补齐材料（合成测试）", CommittedOn = DateOnly.FromDateTime(now.AddHours(8).Date).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                        Deadline = deadline, Status = CommitmentStatus.Pending,
                    },
                };
                return new RawRecord
                {
                    Source = record.Source, Format = DataHub.Core.Records.CanonicalRecordMapper.FormatName, Origin = "test", Payload = record.ToByteString(), FetchedAt = Timestamp.FromDateTimeOffset(now),
                };
            }).ToList();
            var (_, summary) = await Served.Pipeline.SubmitAsync(raw);
            Assert.Equal(0, summary.Quarantined);
        }

        internal const int OpenCommitments = 3;

        public async Task DisposeAsync()
        {
            await Server.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
        }
    }

    private const string StatePrefix = "COMMITMENT_TRACK_STATE_";

    /// <summary>CommitmentTrackState's proto names without the prefix, from the descriptor (UNSPECIFIED left out).</summary>
    private static readonly HashSet<string> ProtoStates = LinkageServiceReflection.Descriptor.EnumTypes.Single(e => e.Name == "CommitmentTrackState").Values
        .Select(v => v.Name[StatePrefix.Length..]).Where(n => n != "UNSPECIFIED").ToHashSet(StringComparer.Ordinal);

    private static readonly Dictionary<string, string> StateTexts = new(StringComparer.Ordinal)
    {
        ["PENDING"] = "待履行", ["KEPT"] = "已履诺", ["OVERDUE"] = "逾期未履诺", ["BROKEN"] = "失诺", ["VERIFIED"] = "核验通过",
        ["VERIFICATION_FAILED"] = "核验未通过", ["POST_CHECK_TASKED"] = "已转事后核查", ["POST_CHECK_UNROUTED"] = "事后核查待路由",
    };

    private static readonly Dictionary<string, string> TypeTexts = new(StringComparer.Ordinal)
    {
        ["MATERIAL_DEFERRED"] = "材料延期", ["MATERIAL_VERIFIED"] = "材料核验", ["POST_CHECK"] = "事后核查", ["ACCEPTED_WITH_GAPS"] = "容缺受理",
    };

    private HttpClient Bearer(string agency)
    {
        var http = new HttpClient { BaseAddress = served.HttpAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", served.Keys[agency]);
        return http;
    }

    private static async Task<JsonElement> GetAsync(HttpClient http, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"GET {path} answered {(int)response.StatusCode}, expected {(int)expected}: {text}");
        return text.Length == 0 || !text.TrimStart().StartsWith('{') ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Every commitment of a view through the API, page by page, and the number of pages.</summary>
    private static async Task<(List<JsonElement> Items, int Pages)> AllPagesAsync(HttpClient http, string query, int pageSize)
    {
        var items = new List<JsonElement>();
        string? next = null;
        int pages = 0;
        do
        {
            var page = await GetAsync(http, $"api/console/commitments?{query}&pageSize={pageSize}" + (next is null ? "" : "&before=" + next));
            var list = page.GetProperty("commitments").EnumerateArray().ToList();
            Assert.True(list.Count <= pageSize, $"a page of {pageSize} held {list.Count}");
            items.AddRange(list);
            next = page.GetProperty("next").ValueKind == JsonValueKind.String ? page.GetProperty("next").GetString() : null;
            pages++;
        } while (next is not null && pages < 1000);
        Assert.Null(next);
        return (items, pages);
    }

    /// <summary>Every commitment of a view in the store, newest first.</summary>
    private List<TrackedCommitment> Store(CommitmentView view)
    {
        var all = new List<TrackedCommitment>();
        long? before = null;
        do
        {
            var (page, next) = served.Server.Linkage.Store.ListCommitments(view, 500, before);
            all.AddRange(page);
            before = next;
        } while (before is not null);
        return all;
    }

    private static string Code(JsonElement c) => c.GetProperty("code").GetString()!;

    /// <summary>The stored commitment's state by its proto name, without the prefix.</summary>
    private static string State(TrackedCommitment c) =>
        LinkageServiceReflection.Descriptor.EnumTypes.Single(e => e.Name == "CommitmentTrackState").FindValueByNumber((int)c.State).Name[StatePrefix.Length..];

    private static string EventName(LinkageEvent e) =>
        LinkageServiceReflection.Descriptor.EnumTypes.Single(t => t.Name == "LinkageEventType").FindValueByNumber((int)e.Type).Name["LINKAGE_EVENT_TYPE_".Length..];

    [Fact]
    public async Task The_approval_agency_lists_the_three_views_as_the_store_holds_them_with_proto_state_names()
    {
        using var approval = Bearer("city-approval");
        using var coordination = Bearer("city-coordination");

        var views = new (string Name, CommitmentView View, string[] States)[]
        {
            ("open", CommitmentView.Open, ["PENDING"]),
            ("failed", CommitmentView.Failed, ["OVERDUE", "BROKEN", "VERIFICATION_FAILED"]),
            ("all", CommitmentView.All, [.. ProtoStates]),
        };
        var byView = new Dictionary<string, List<JsonElement>>();
        foreach (var (name, view, states) in views)
        {
            var (items, pages) = await AllPagesAsync(approval, $"view={name}", 25);
            var stored = Store(view);
            Assert.True(stored.Count > 0, $"the store should have commitments in view {view}; all: " +
                string.Join(", ", Store(CommitmentView.All).GroupBy(c => (c.Type, c.State)).Select(g => $"{g.Key.Type}/{g.Key.State}={g.Count()}")));
            // The same commitments, in the store's order (newest first), once each.
            Assert.Equal(stored.Select(c => c.Code), items.Select(Code));
            Assert.Equal(items.Count, items.Select(Code).Distinct().Count());
            Assert.All(items, c =>
            {
                var state = c.GetProperty("state").GetString()!;
                Assert.Contains(state, ProtoStates);
                Assert.Contains(state, states);
                Assert.Equal(StateTexts[state], c.GetProperty("stateText").GetString());
                var type = c.GetProperty("type").GetString()!;
                Assert.Equal(TypeTexts[type], c.GetProperty("typeText").GetString());
                Assert.Matches("^[0-9A-Z]{18}$", c.GetProperty("uscc").GetString());
                Assert.False(string.IsNullOrEmpty(c.GetProperty("caseNo").GetString()));
                Assert.Equal(JsonValueKind.String, c.GetProperty("trackedAt").ValueKind);
                Assert.Equal(JsonValueKind.String, c.GetProperty("updatedAt").ValueKind);
                Assert.True(c.GetProperty("reminded").ValueKind is JsonValueKind.True or JsonValueKind.False);
            });
            // Each item's state is the store's, by the proto name.
            var storedStates = stored.ToDictionary(c => c.Code, State);
            Assert.All(items, c => Assert.Equal(storedStates[Code(c)], c.GetProperty("state").GetString()));
            if (name == "all") Assert.True(pages > 1, "all commitments should take more than one page of 25");
            byView[name] = items;
        }

        // Counts: the open and failed views are the all view's commitments in their states.
        var all = byView["all"];
        Assert.Equal(all.Count(c => c.GetProperty("state").GetString() == "PENDING"), byView["open"].Count);
        Assert.Equal(all.Count(c => c.GetProperty("state").GetString() is "OVERDUE" or "BROKEN" or "VERIFICATION_FAILED"), byView["failed"].Count);
        Assert.Equal(CommitmentHub.OpenCommitments, byView["open"].Count);
        Assert.All(byView["open"], c => Assert.StartsWith("CN-CONSOLE-", Code(c)));
        Assert.NotEmpty(byView["failed"]);
        // The generator makes every kind; the kinds land in their states.
        Assert.Equal(TypeTexts.Keys.Order(), all.Select(c => c.GetProperty("type").GetString()!).Distinct().Order());
        Assert.All(all.Where(c => c.GetProperty("type").GetString() == "MATERIAL_VERIFIED"), c =>
        {
            Assert.Contains(c.GetProperty("state").GetString(), new[] { "VERIFIED", "VERIFICATION_FAILED" });
            Assert.False(string.IsNullOrEmpty(c.GetProperty("verification").GetString()));
        });
        Assert.All(all.Where(c => c.GetProperty("state").GetString() == "POST_CHECK_TASKED"), c => Assert.StartsWith("RT-", c.GetProperty("taskId").GetString()));
        Assert.All(all.Where(c => c.GetProperty("type").GetString() is "MATERIAL_DEFERRED" or "ACCEPTED_WITH_GAPS"),
            c => Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", c.GetProperty("deadline").GetString()));

        // The coordination office reads the same list; the default view is open.
        var first = await GetAsync(coordination, "api/console/commitments");
        Assert.Equal("open", first.GetProperty("view").GetString());
        Assert.Equal(byView["open"].Take(20).Select(Code), first.GetProperty("commitments").EnumerateArray().Select(Code));
    }

    [Fact]
    public async Task One_enterprises_commitments_are_found_across_pages_and_bad_parameters_are_refused()
    {
        using var approval = Bearer("city-approval");
        var all = Store(CommitmentView.All);
        // The enterprise with the most commitments, and one whose newest commitment is far down the list.
        var uscc = all.GroupBy(c => c.Uscc).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
        var expected = all.Where(c => c.Uscc == uscc).Select(c => c.Code).ToList();
        Assert.True(expected.Count > 1, "some enterprise should have more than one commitment");

        var (items, pages) = await AllPagesAsync(approval, $"view=all&uscc={uscc.ToLowerInvariant()}", 1);
        Assert.Equal(expected, items.Select(Code));
        // Keyset paging: when the last page fills exactly, one more (empty) page may follow before the end is known.
        Assert.InRange(pages, expected.Count, expected.Count + 1);
        Assert.All(items, c => Assert.Equal(uscc, c.GetProperty("uscc").GetString()));
        var whole = await GetAsync(approval, $"api/console/commitments?view=all&uscc={uscc}&pageSize=100");
        Assert.Equal(uscc, whole.GetProperty("uscc").GetString());
        Assert.Equal(expected, whole.GetProperty("commitments").EnumerateArray().Select(Code));
        Assert.Equal(JsonValueKind.Null, whole.GetProperty("next").ValueKind);
        var oldest = all[^1].Uscc;
        Assert.Equal(all.Where(c => c.Uscc == oldest).Select(c => c.Code),
            (await AllPagesAsync(approval, $"view=all&uscc={oldest}", 2)).Items.Select(Code));

        await GetAsync(approval, "api/console/commitments?view=everything", HttpStatusCode.BadRequest);
        await GetAsync(approval, "api/console/commitments?pageSize=0", HttpStatusCode.BadRequest);
        await GetAsync(approval, "api/console/commitments?pageSize=101", HttpStatusCode.BadRequest);
        await GetAsync(approval, "api/console/commitments?before=x", HttpStatusCode.BadRequest);
        await GetAsync(approval, "api/console/commitments?uscc=91320000ABCDEFGHIJ", HttpStatusCode.BadRequest);

        // The list of one enterprise is audited with it.
        var entries = DataHub.Embedded.SqliteAuditLog.ReadAll(served.Served.Options.AuditPath).Select(e => e.Draft).ToList();
        Assert.Contains(entries, e => e.Agency == "city-approval" && e.Uscc == uscc && e.Method == "GET /api/console/commitments" && e.Result == "OK");
        Assert.Contains(entries, e => e.Agency == "city-approval" && e.Method == "GET /api/console/commitments" && e.Result == "HTTP 400");
    }

    [Fact]
    public async Task A_commitment_opens_with_its_history_and_is_audited_and_other_roles_are_kept_out()
    {
        using var approval = Bearer("city-approval");
        using var amr = Bearer("city-amr");
        using var admin = Bearer("admin");
        var all = Store(CommitmentView.All);

        // A regulator-only agency, and the admin, are not among the roles of ListCommitments.
        var some = all[0];
        var refused = await GetAsync(amr, "api/console/commitments", HttpStatusCode.Forbidden);
        Assert.Contains("approval", refused.GetProperty("detail").GetString());
        await GetAsync(amr, "api/console/commitments?view=failed", HttpStatusCode.Forbidden);
        await GetAsync(amr, $"api/console/commitments/{some.Code}", HttpStatusCode.Forbidden);
        await GetAsync(admin, $"api/console/commitments/{some.Code}", HttpStatusCode.Forbidden);
        using (var anonymous = new HttpClient { BaseAddress = served.HttpAddress })
            await GetAsync(anonymous, "api/console/commitments", HttpStatusCode.Unauthorized);

        // One of each kind opens with its history, the states after each step by their proto names.
        foreach (var type in new[] { CommitmentType.MaterialDeferred, CommitmentType.AcceptedWithGaps, CommitmentType.MaterialVerified, CommitmentType.PostCheck })
        {
            var c = all.First(x => x.Type == type);
            var detail = await GetAsync(approval, $"api/console/commitments/{Uri.EscapeDataString(c.Code)}");
            var shown = detail.GetProperty("commitment");
            Assert.Equal(c.Code, Code(shown));
            Assert.Equal(State(c), shown.GetProperty("state").GetString());
            Assert.Equal(c.Uscc, shown.GetProperty("uscc").GetString());
            Assert.Equal(c.CaseNo, shown.GetProperty("caseNo").GetString());
            Assert.Equal(c.Content, shown.GetProperty("content").GetString());
            var history = detail.GetProperty("history").EnumerateArray().ToList();
            var stored = served.Server.Linkage.Store.CommitmentHistory(c.Code);
            Assert.Equal(stored.Count, history.Count);
            Assert.Equal(Enumerable.Range(1, history.Count), history.Select(h => h.GetProperty("seq").GetInt32()));
            Assert.Equal(stored.Select(EventName), history.Select(h => h.GetProperty("type").GetString()!));
            // The first step: verified (材料核验), routed (事后核查), or tracked — or already kept or broken when first seen.
            string[] firsts = type switch
            {
                CommitmentType.MaterialVerified => ["COMMITMENT_VERIFIED"],
                CommitmentType.PostCheck => ["COMMITMENT_TRACKED"],
                _ => ["COMMITMENT_TRACKED", "COMMITMENT_KEPT", "COMMITMENT_BROKEN"],
            };
            Assert.Contains(history[0].GetProperty("type").GetString()!, firsts);
            Assert.All(history, h =>
            {
                Assert.StartsWith("COMMITMENT_", h.GetProperty("type").GetString());
                Assert.False(string.IsNullOrEmpty(h.GetProperty("typeText").GetString()));
                Assert.Equal("datahub", h.GetProperty("actor").GetString());
                Assert.Equal("数据交换枢纽（系统）", h.GetProperty("actorName").GetString());
                Assert.False(string.IsNullOrEmpty(h.GetProperty("detail").GetString()));
                Assert.Contains(h.GetProperty("state").GetString()!, ProtoStates);
            });
            // The last step leaves the commitment where it is now.
            Assert.Equal(State(c), history[^1].GetProperty("state").GetString());
            Assert.Equal(StateTexts[State(c)], history[^1].GetProperty("stateText").GetString());
        }
        // A commitment that went overdue shows the steps in order.
        if (all.FirstOrDefault(x => x.State == CommitmentTrackState.Overdue) is { } overdue)
        {
            var steps = (await GetAsync(approval, $"api/console/commitments/{overdue.Code}")).GetProperty("history").EnumerateArray()
                .Select(h => (h.GetProperty("type").GetString(), h.GetProperty("state").GetString())).ToList();
            Assert.Equal(("COMMITMENT_TRACKED", "PENDING"), steps[0]);
            Assert.Equal(("COMMITMENT_OVERDUE", "OVERDUE"), steps[^1]);
        }

        var unknown = await GetAsync(approval, "api/console/commitments/CN-NO-SUCH-CASE", HttpStatusCode.NotFound);
        Assert.Contains("CN-NO-SUCH-CASE", unknown.GetProperty("detail").GetString());

        var chain = DataHub.Embedded.SqliteAuditLog.ReadAll(served.Served.Options.AuditPath).ToList();
        Assert.Null(AuditChain.Verify(chain, out _));
        var entries = chain.Select(e => e.Draft).ToList();
        var opened = all.First(x => x.Type == CommitmentType.PostCheck);
        Assert.Contains(entries, e => e.Agency == "city-approval" && e.Uscc == opened.Uscc && e.Method == $"GET /api/console/commitments/{opened.Code}"
            && e.Result == "OK" && e.Detail.Contains($"commitment={opened.Code}", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Agency == "city-amr" && e.Method == "GET /api/console/commitments" && e.Result == "PERMISSION_DENIED");
        Assert.Contains(entries, e => e.Agency == "city-approval" && e.Method == "GET /api/console/commitments/CN-NO-SUCH-CASE" && e.Result == "HTTP 404");
    }

    [Fact]
    public async Task The_page_is_served_knows_every_proto_state_and_the_profile_links_to_it_and_the_api_is_described()
    {
        using var approval = Bearer("city-approval");
        using var http = new HttpClient { BaseAddress = served.HttpAddress };
        var page = await http.GetStringAsync("console/commitments.html");
        Assert.Contains("/api/console/commitments", page);
        foreach (var tab in new[] { "待履行", "失诺与超期", "全部" }) Assert.Contains(tab, page);
        // The page's badge map is keyed by the names the JSON carries: CommitmentTrackState's proto names.
        var map = System.Text.RegularExpressions.Regex.Match(page, @"const STATE_TONE = \{(?<body>[^}]*)\}");
        Assert.True(map.Success, "commitments.html should have its STATE_TONE map");
        var keys = System.Text.RegularExpressions.Regex.Matches(map.Groups["body"].Value, @"([A-Z_]+):").Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Equal(ProtoStates.Order(), keys.Order());
        Assert.Contains("<label for=\"usccFilter\"", page);
        Assert.Contains("commitments.html?view=all&uscc=", await http.GetStringAsync("console/profile.html"));

        var paths = (await GetAsync(approval, "openapi/v1.json")).GetProperty("paths");
        foreach (var path in new[] { "/api/console/commitments", "/api/console/commitments/{code}" })
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is not in the OpenAPI document");
            Assert.Contains("summary", item.GetRawText());
        }
    }

    [Fact]
    public async Task The_page_lists_the_views_opens_a_commitment_and_filters_by_enterprise_with_the_keyboard()
    {
        var failed = Store(CommitmentView.Failed);
        var open = Store(CommitmentView.Open);
        using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        await using var browser = await ConsoleBrowser.LaunchAsync(playwright);
        var page = await ConsoleBrowser.SignInAsync(browser, served.HttpAddress, served.Keys["city-approval"], ConsoleBrowserTests.ScreenshotDirectory(), "city-approval");
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);

        // 待履行 first: the open commitments, newest first, with the enterprise's profile link.
        await page.GotoAsync("/console/commitments.html");
        await page.Locator("#commitments tbody tr").First.WaitForAsync();
        Assert.Equal("page", await page.GetAttributeAsync("#view-open", "aria-current"));
        Assert.Equal(["待履行", "失诺与超期", "全部"], await page.Locator("#views a").AllInnerTextsAsync());
        Assert.Equal(open.Select(c => c.Code), await page.Locator("#commitments tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.code)"));
        Assert.Equal(["承诺编码", "企业", "办件编号", "承诺类型", "履诺期限", "状态", "核验结果 / 监管任务"], await page.Locator("#commitments thead th").AllInnerTextsAsync());
        var firstRow = page.Locator($"#commitments tr[data-code='{open[0].Code}']");
        Assert.Equal($"profile.html?uscc={open[0].Uscc}", await firstRow.Locator("a.enterprise-link").GetAttributeAsync("href"));
        Assert.Contains("待履行", await firstRow.InnerTextAsync());
        var unlabelled = await page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('input:not([type=hidden]),select,textarea,button')].filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby') && !e.textContent.trim()).map(e => e.id || e.name || e.outerHTML.slice(0, 60))");
        Assert.True(unlabelled.Length == 0, $"controls without a label: {string.Join(", ", unlabelled)}");

        // 失诺与超期 by the keyboard: the failed ones, marked.
        await page.FocusAsync("#view-failed");
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("#view-failed[aria-current='page']").WaitForAsync();
        await page.Locator($"#commitments tr[data-code='{failed[0].Code}']").WaitForAsync();
        Assert.Equal(Math.Min(20, failed.Count), await page.Locator("#commitments tbody tr.alert").CountAsync());
        Assert.Contains("view=failed", page.Url);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ConsoleBrowserTests.ScreenshotDirectory(), "commitments-failed.png"), FullPage = true });

        // A commitment opens with Enter on its code; its history shows; Escape closes and gives the focus back.
        var code = page.Locator($"#commitments tr[data-code='{failed[0].Code}'] button.open-detail");
        await code.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("#history li[data-type]").First.WaitForAsync();
        Assert.Equal(failed[0].Code, (await page.InnerTextAsync("#detailCode")).Trim());
        Assert.Equal(served.Server.Linkage.Store.CommitmentHistory(failed[0].Code).Count, await page.Locator("#history li[data-type]").CountAsync());
        Assert.Equal("detailPanel", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(ConsoleBrowserTests.ScreenshotDirectory(), "commitments-detail.png"), FullPage = true });
        await page.Keyboard.PressAsync("Escape");
        Assert.False(await page.Locator("#detailPanel").IsVisibleAsync());
        Assert.True(await code.EvaluateAsync<bool>("b => b === document.activeElement"));

        // 全部 of one enterprise, as the profile's link opens it; the filter field takes it too.
        var uscc = failed[0].Uscc;
        await page.GotoAsync($"/console/commitments.html?view=all&uscc={uscc}");
        await page.Locator("#commitments tbody tr").First.WaitForAsync();
        var codes = Store(CommitmentView.All).Where(c => c.Uscc == uscc).Select(c => c.Code).ToList();
        Assert.Equal(codes, await page.Locator("#commitments tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.code)"));
        Assert.Equal(uscc, await page.InputValueAsync("#usccFilter"));
        await page.ClickAsync("#clearFilter");
        await page.Locator("#listCount", new() { HasTextRegex = new System.Text.RegularExpressions.Regex("^全部") }).WaitForAsync();
        await page.FillAsync("#usccFilter", "not-a-code");
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("#listArea .error").WaitForAsync();
        Assert.Equal("true", await page.GetAttributeAsync("#usccFilter", "aria-invalid"));
        Assert.Empty(errors);
    }
}
