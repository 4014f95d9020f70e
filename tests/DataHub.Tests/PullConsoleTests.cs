using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DataHub.Adapters;
using DataHub.Security;
using DataHub.Simulators;
using DataHub.Synthetic;
using static DataHub.Tests.ConsoleHttp;

namespace DataHub.Tests;

/// <summary>
/// The console's data-pull API (/api/console/pulls) over HTTP against a served hub whose agencies
/// carry the ids of the shipped catalogue: request, owner's work list, refusal and its checks,
/// escalation, the coordination office's ruling, fulfilment by upload, evidence download, rating,
/// CSRF, and one audit-chain entry per step.
/// </summary>
[Collection("console")]
public sealed class PullConsoleTests(PullConsoleTests.PullHub served) : IClassFixture<PullConsoleTests.PullHub>
{
    /// <summary>The served hub with the catalogue's agencies, its adapters caught up with the simulated sources.</summary>
    public sealed class PullHub : IAsyncLifetime
    {
        private SimulatedSources _sources = null!;

        internal DataHub.Hub Served { get; private set; } = null!;
        internal HubServer Server { get; private set; } = null!;
        internal Dictionary<string, string> Keys { get; } = new(StringComparer.Ordinal);
        internal Uri HttpAddress => new($"http://127.0.0.1:{Server.HttpPort}/");

        public async Task InitializeAsync()
        {
            const int enterprises = 60, seed = 81;
            var simulators = SourceSystems.All.Select((s, i) => new SourceSimulator(s, seed + i)).ToList();
            _sources = new SimulatedSources(simulators, new GeneratorOptions { Enterprises = enterprises, Seed = seed }, enterprises);
            await _sources.StartAsync();
            var options = HubOptions.Load(Path.Combine(Path.GetTempPath(), "datahub-pulls-" + Guid.NewGuid().ToString("N"), "data"));
            Served = DataHub.Hub.Open(options with
            {
                Agencies = Agencies(),
                Server = options.Server with { GrpcPort = 0, HttpPort = 0 },
                Adapters = SourceSystems.All.ToDictionary(s => s.Source, s => new AdapterOptions { BaseAddress = _sources[s.Source].BaseAddress.ToString(), PollIntervalSeconds = 0.2 }),
            });
            Server = await HubServer.StartAsync(Served, CancellationToken.None, Microsoft.Extensions.Logging.LogLevel.Warning);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!Server.Adapters!.Statuses().All(s => s.CaughtUp) && DateTime.UtcNow < deadline) await Task.Delay(100);
        }

        /// <summary>The demo agencies the shipped catalogue names (city-amr owns the LIC-* items, city-housing MAT-FIRE-ACCEPT).</summary>
        private AgencyDirectory Agencies() => ConsoleHttp.Agencies(Keys, 10000,
            new("city-approval", "行政审批局", [Roles.Approval, Roles.Reader], [Scopes.ProfileBasic, Scopes.ProfileLicences, Scopes.ProfileApprovals]),
            new("city-amr", "市场监督管理局", [Roles.Regulator], [Scopes.ProfileAll]),
            new("city-housing", "住房和城乡建设局", [Roles.Regulator], [Scopes.ProfileBasic]),
            new("city-coordination", "市协调办", [Roles.Coordination], [Scopes.ProfileBasic]),
            new("city-superadmin", "超级管理员工作室", [Roles.SuperAdmin], [Scopes.ProfileBasic, Scopes.ProfileLicences]));

        public async Task DisposeAsync()
        {
            await Server.DisposeAsync();
            await _sources.DisposeAsync();
            try { Directory.Delete(Path.GetDirectoryName(Served.Options.DataDirectory)!, recursive: true); } catch (IOException) { }
        }
    }

    private Task<HttpClient> SignedInAsync(string agency, bool csrfHeader = true) => ConsoleHttp.SignedInAsync(served.HttpAddress, served.Keys[agency], csrfHeader);

    /// <summary>An enterprise whose profile holds no valid e-licence food-business licence (JY): a pull for LIC-JY becomes a directed demand.</summary>
    private string EnterpriseWithoutFoodLicence(int skip = 0) => served.Served.Store.EnterprisesWithProfiles()
        .Where(u => served.Served.Store.GetProfile(u)!.Licences.All(l => l.Licence.LicenceTypeCode != "JY"))
        .Skip(skip).First();

    [Fact]
    public async Task A_pull_goes_from_request_through_refusal_escalation_and_ruling_to_an_uploaded_fulfilment_and_a_rating()
    {
        using var approval = await SignedInAsync("city-approval");
        using var amr = await SignedInAsync("city-amr");
        using var housing = await SignedInAsync("city-housing");
        using var coordination = await SignedInAsync("city-coordination");
        var uscc = EnterpriseWithoutFoodLicence();

        // The requester's catalogue: the items its roles may ask for.
        var catalogue = (await GetAsync(approval, "api/console/pulls/catalogue")).GetProperty("itemTypes").EnumerateArray().ToList();
        var jy = Assert.Single(catalogue, i => i.GetProperty("code").GetString() == "LIC-JY");
        Assert.Equal("city-amr", jy.GetProperty("owner").GetString());
        Assert.Equal("LICENCE", jy.GetProperty("kind").GetString());
        Assert.True(jy.GetProperty("timeLimitWorkingDays").GetInt32() > 0);
        Assert.Contains("食品安全法", jy.GetProperty("legalBasis").GetString());

        // Request, with the USCC in lower case: normalized, and a directed demand to the owner.
        var created = await PostAsync(approval, "api/console/pulls",
            new { uscc = uscc.ToLowerInvariant(), itemType = "LIC-JY", purpose = "办理食品经营许可延续，核验原证", caseReference = "BJ-2026-0001" }, HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal("AWAITING_OWNER", created.GetProperty("state").GetString());
        Assert.Equal("待办理", created.GetProperty("stateText").GetString());
        Assert.Equal(uscc, created.GetProperty("uscc").GetString());
        Assert.Equal("city-amr", created.GetProperty("owner").GetString());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", created.GetProperty("dueOn").GetString());
        Assert.False(created.GetProperty("overdue").GetBoolean());

        // The requester sees it under mine; the owner under assigned; another agency gets 404.
        Assert.Contains((await GetAsync(approval, "api/console/pulls?view=mine")).GetProperty("pulls").EnumerateArray(), p => p.GetProperty("id").GetString() == id);
        var assigned = await GetAsync(amr, "api/console/pulls?view=assigned&state=AWAITING_OWNER");
        Assert.Contains(assigned.GetProperty("pulls").EnumerateArray(), p => p.GetProperty("id").GetString() == id);
        Assert.DoesNotContain((await GetAsync(housing, "api/console/pulls?view=assigned")).GetProperty("pulls").EnumerateArray(), p => p.GetProperty("id").GetString() == id);
        await GetAsync(housing, $"api/console/pulls/{id}", HttpStatusCode.NotFound);
        await PostAsync(housing, $"api/console/pulls/{id}/refuse", new { reason = "不是本单位数据", legalBasis = "无" }, HttpStatusCode.NotFound);
        await GetAsync(housing, $"api/console/pulls/{id}/evidence", HttpStatusCode.NotFound);

        // The owner's view: the steps it may take now.
        var asOwner = await GetAsync(amr, $"api/console/pulls/{id}");
        Assert.Equal(["fulfil", "refuse"], asOwner.GetProperty("actions").EnumerateArray().Select(a => a.GetString()!));
        Assert.Equal("DEMANDED", asOwner.GetProperty("history")[0].GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, asOwner.GetProperty("pull").GetProperty("evidence").ValueKind);

        // The requester cannot answer its own demand; a refusal needs a legal basis.
        await PostAsync(approval, $"api/console/pulls/{id}/refuse", new { reason = "x", legalBasis = "y" }, HttpStatusCode.Forbidden);
        var noBasis = await PostAsync(amr, $"api/console/pulls/{id}/refuse", new { reason = "该证照涉及正在进行的行政处罚程序" }, HttpStatusCode.BadRequest);
        Assert.Contains("legal_basis", noBasis.GetProperty("detail").GetString());
        var refused = await PostAsync(amr, $"api/console/pulls/{id}/refuse",
            new { reason = "该证照涉及正在进行的行政处罚程序", legalBasis = "《中华人民共和国行政处罚法》第五十条" });
        Assert.Equal("REFUSED", refused.GetProperty("state").GetString());
        // A refused pull cannot be refused again: 409 naming the state.
        var again = await PostAsync(amr, $"api/console/pulls/{id}/refuse", new { reason = "r", legalBasis = "b" }, HttpStatusCode.Conflict);
        Assert.Contains("REFUSED", again.GetProperty("detail").GetString());

        // Escalation to the coordination office, whose escalated view lists it; others may not use that view.
        Assert.Contains("escalate", (await GetAsync(approval, $"api/console/pulls/{id}")).GetProperty("actions").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("IN_COORDINATION", (await PostAsync(approval, $"api/console/pulls/{id}/escalate", new { reason = "审批时限紧，需原证数据" })).GetProperty("state").GetString());
        Assert.Contains((await GetAsync(coordination, "api/console/pulls?view=escalated")).GetProperty("pulls").EnumerateArray(), p => p.GetProperty("id").GetString() == id);
        await GetAsync(approval, "api/console/pulls?view=escalated", HttpStatusCode.Forbidden);
        await PostAsync(amr, $"api/console/pulls/{id}/rule", new { decision = "direct", opinion = "自己裁决" }, HttpStatusCode.Forbidden);
        Assert.Equal(["uphold", "direct"], (await GetAsync(coordination, $"api/console/pulls/{id}")).GetProperty("actions").EnumerateArray().Select(a => a.GetString()!));
        var ruled = await PostAsync(coordination, $"api/console/pulls/{id}/rule", new { decision = "direct", opinion = "请于两个工作日内提供，处罚程序不影响证照信息共享", timeLimitWorkingDays = 2 });
        Assert.Equal("AWAITING_OWNER", ruled.GetProperty("state").GetString());
        Assert.Equal("请于两个工作日内提供，处罚程序不影响证照信息共享", ruled.GetProperty("rulingOpinion").GetString());

        // The owner fulfils by uploading a file, as the page does.
        var material = Encoding.UTF8.GetBytes("%PDF-1.4\n% 食品经营许可证（副本）扫描件，测试用\n%%EOF\n");
        using (var form = new MultipartFormDataContent())
        {
            var file = new ByteArrayContent(material);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
            form.Add(file, "file", "食品经营许可证.pdf");
            form.Add(new StringContent(ValidUntil()), "validUntil");
            using var response = await amr.PostAsync($"api/console/pulls/{id}/fulfil", form);
            var fulfilled = await JsonAsync(response, HttpStatusCode.OK, "fulfil");
            Assert.Equal("FULFILLED", fulfilled.GetProperty("state").GetString());
            Assert.Equal("OWNER", fulfilled.GetProperty("fulfilment").GetString());
        }

        // The requester reads the evidence's metadata (no bytes) and downloads it; the hash matches.
        var detail = await GetAsync(approval, $"api/console/pulls/{id}");
        var evidence = detail.GetProperty("pull").GetProperty("evidence");
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(material));
        Assert.Equal(sha256, evidence.GetProperty("sha256").GetString());
        Assert.Equal("application/pdf", evidence.GetProperty("mediaType").GetString());
        Assert.Equal("食品经营许可证.pdf", evidence.GetProperty("fileName").GetString());
        Assert.Equal(ValidUntil(), evidence.GetProperty("validUntil").GetString());
        Assert.False(evidence.TryGetProperty("content", out _));
        Assert.DoesNotContain(Convert.ToBase64String(material), detail.GetRawText());
        using (var download = await approval.GetAsync(evidence.GetProperty("download").GetString()!.TrimStart('/')))
        {
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Equal("attachment", download.Content.Headers.ContentDisposition!.DispositionType);
            Assert.Equal("食品经营许可证.pdf", download.Content.Headers.ContentDisposition.FileNameStar);
            Assert.Equal("application/pdf", download.Content.Headers.ContentType!.MediaType);
            Assert.Equal("nosniff", download.Headers.GetValues("X-Content-Type-Options").Single());
            var bytes = await download.Content.ReadAsByteArrayAsync();
            Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        }

        // Rated once; the second rating is a conflict.
        Assert.Equal(["rate"], detail.GetProperty("actions").EnumerateArray().Select(a => a.GetString()!));
        await PostAsync(approval, $"api/console/pulls/{id}/rate", new { rating = "terrible" }, HttpStatusCode.BadRequest);
        var rated = await PostAsync(approval, $"api/console/pulls/{id}/rate", new { rating = "good", comment = "协调后及时办结" });
        Assert.Equal("GOOD", rated.GetProperty("rating").GetString());
        Assert.Equal("好", rated.GetProperty("ratingText").GetString());
        var twice = await PostAsync(approval, $"api/console/pulls/{id}/rate", new { rating = "poor", comment = "再评一次" }, HttpStatusCode.Conflict);
        Assert.Contains("rated once", twice.GetProperty("detail").GetString());

        var history = (await GetAsync(approval, $"api/console/pulls/{id}")).GetProperty("history").EnumerateArray().ToList();
        Assert.Equal(["DEMANDED", "REFUSED", "ESCALATED", "RULED_FULFIL", "FULFILLED", "RATED"], history.Select(h => h.GetProperty("type").GetString()!));
        Assert.Equal(["city-approval", "city-amr", "city-approval", "city-coordination", "city-amr", "city-approval"], history.Select(h => h.GetProperty("actor").GetString()!));
        Assert.All(history, h => Assert.False(string.IsNullOrEmpty(h.GetProperty("typeText").GetString())));

        // The audit chain: one entry per step with the pull id and the console call; the reads and the
        // download as disclosures naming the enterprise; refused calls recorded with their status.
        var entries = AuditEntries(served.Served.Options.AuditPath);
        var steps = entries.Where(e => e.Detail.Contains($"pull={id} event=", StringComparison.Ordinal)).ToList();
        Assert.Equal(["Demanded", "Refused", "Escalated", "RuledFulfil", "Fulfilled", "Rated"],
            steps.Select(e => e.Detail.Split(' ').Single(w => w.StartsWith("event=", StringComparison.Ordinal))["event=".Length..]));
        Assert.All(steps, e =>
        {
            Assert.Equal(uscc, e.Uscc);
            Assert.Equal("OK", e.Result);
            Assert.StartsWith("POST /api/console/pulls", e.Method);
        });
        Assert.Equal("办理食品经营许可延续，核验原证", steps[0].Purpose);
        Assert.Contains(entries, e => e.Agency == "city-approval" && e.Uscc == uscc && e.Method == $"GET /api/console/pulls/{id}/evidence" && e.Detail.Contains(sha256));
        Assert.Contains(entries, e => e.Agency == "city-amr" && e.Uscc == uscc && e.Method == $"GET /api/console/pulls/{id}" && e.Detail.Contains($"pull={id}"));
        Assert.Contains(entries, e => e.Agency == "city-amr" && e.Method == $"POST /api/console/pulls/{id}/refuse" && e.Result == "HTTP 400");
        Assert.Contains(entries, e => e.Agency == "city-approval" && e.Method == $"POST /api/console/pulls/{id}/rate" && e.Result == "HTTP 409");
        Assert.Contains(entries, e => e.Agency == "city-housing" && e.Method == $"GET /api/console/pulls/{id}" && e.Result == "HTTP 404");
    }

    private static string ValidUntil() => DateOnly.FromDateTime(DateTime.UtcNow).AddYears(2).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_cookie_session_write_without_the_console_header_is_refused_and_changes_nothing()
    {
        using var approval = await SignedInAsync("city-approval");
        var id = (await PostAsync(approval, "api/console/pulls",
            new { uscc = EnterpriseWithoutFoodLicence(1), itemType = "LIC-JY", purpose = "食品经营许可核验" }, HttpStatusCode.Created)).GetProperty("id").GetString()!;
        using var amr = await SignedInAsync("city-amr", csrfHeader: false);
        using (var response = await amr.PostAsJsonAsync($"api/console/pulls/{id}/refuse", new { reason = "跨站伪造", legalBasis = "无" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("X-DataHub-Console", await response.Content.ReadAsStringAsync());
        }
        using (var response = await amr.PostAsync($"api/console/pulls/{id}/fulfil", new MultipartFormDataContent { { new ByteArrayContent([1, 2, 3]), "file", "x.bin" } }))
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        // Reads need no header; the pull is untouched.
        Assert.Equal("AWAITING_OWNER", (await GetAsync(amr, $"api/console/pulls/{id}")).GetProperty("pull").GetProperty("state").GetString());

        // An API key needs no CSRF header: it is not a cookie a cross-site form could send.
        using var bearer = ConsoleHttp.Bearer(served.HttpAddress, served.Keys["city-approval"]);
        Assert.Equal("CANCELLED", (await PostAsync(bearer, $"api/console/pulls/{id}/cancel", new { reason = "改用纸质材料核验" })).GetProperty("state").GetString());
        await PostAsync(bearer, $"api/console/pulls/{id}/cancel", new { }, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Requests_are_checked_a_licence_in_the_library_is_handed_over_at_once_and_the_api_is_described()
    {
        using var approval = await SignedInAsync("city-approval");
        using var coordination = await SignedInAsync("city-coordination");

        var bad = await PostAsync(approval, "api/console/pulls", new { uscc = "91320000ABCDEFGHIJ", itemType = "LIC-JY", purpose = "核验" }, HttpStatusCode.BadRequest);
        Assert.Contains("not a valid USCC", bad.GetProperty("detail").GetString());
        Assert.Matches(@"\p{IsCJKUnifiedIdeographs}", bad.GetProperty("detail").GetString()!);
        var uscc = EnterpriseWithoutFoodLicence(2);
        Assert.Contains("purpose", (await PostAsync(approval, "api/console/pulls", new { uscc, itemType = "LIC-JY", purpose = " " }, HttpStatusCode.BadRequest)).GetProperty("detail").GetString());
        Assert.Contains("not in the catalogue", (await PostAsync(approval, "api/console/pulls", new { uscc, itemType = "LIC-NOPE", purpose = "核验" }, HttpStatusCode.BadRequest)).GetProperty("detail").GetString());
        // A body that is not the request object.
        await PostAsync(approval, "api/console/pulls", new[] { uscc }, HttpStatusCode.BadRequest);
        await GetAsync(approval, "api/console/pulls?view=everything", HttpStatusCode.BadRequest);
        await GetAsync(approval, "api/console/pulls?state=DONE", HttpStatusCode.BadRequest);

        // The coordination office may request only what the catalogue lets its role request.
        var items = (await GetAsync(coordination, "api/console/pulls/catalogue")).GetProperty("itemTypes").EnumerateArray().Select(i => i.GetProperty("code").GetString()!).ToList();
        Assert.Contains("DATA-TAX-CLEARANCE", items);
        Assert.DoesNotContain("LIC-JY", items);
        await PostAsync(coordination, "api/console/pulls", new { uscc, itemType = "LIC-JY", purpose = "核验" }, HttpStatusCode.Forbidden);

        // An enterprise with a valid licence of a catalogue item in the e-licence library: answered at once from the library.
        var store = served.Served.Store;
        var byTypeCode = served.Server.Pulls.Catalogue.ItemTypes.Where(i => i.LicenceTypeCode is not null).ToDictionary(i => i.LicenceTypeCode!, i => i.Code);
        string Day(int offset) => DateTime.UtcNow.AddHours(8).AddDays(offset).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var (holder, itemType) = store.EnterprisesWithProfiles().SelectMany(u => store.GetProfile(u)!.Licences
            .Where(l => l.Lineage?.Source == "e-licence" && byTypeCode.ContainsKey(l.Licence.LicenceTypeCode) && l.Licence.Status == DataHub.Schema.V1.LicenceStatus.Valid &&
                        (l.Licence.ValidUntil.Length == 0 || string.CompareOrdinal(l.Licence.ValidUntil, Day(1)) > 0) &&
                        (l.Licence.ValidFrom.Length == 0 || string.CompareOrdinal(l.Licence.ValidFrom, Day(-1)) < 0))
            .Select(l => (Uscc: u, ItemType: byTypeCode[l.Licence.LicenceTypeCode]))).FirstOrDefault();
        Assert.True(holder is not null, "the synthetic data should hold a valid e-licence of a catalogue item");
        var pull = await PostAsync(approval, "api/console/pulls", new { uscc = holder, itemType, purpose = "核验许可证" }, HttpStatusCode.Created);
        Assert.Equal("FULFILLED", pull.GetProperty("state").GetString());
        Assert.Equal("LIBRARY", pull.GetProperty("fulfilment").GetString());
        var id = pull.GetProperty("id").GetString()!;
        var evidence = (await GetAsync(approval, $"api/console/pulls/{id}")).GetProperty("pull").GetProperty("evidence");
        Assert.Equal("e-licence", evidence.GetProperty("sourceRecord").GetProperty("source").GetString());
        var licenceNo = evidence.GetProperty("licence").GetProperty("licenceNo").GetString();
        using var download = await approval.GetAsync($"api/console/pulls/{id}/evidence");
        Assert.Equal("application/json", download.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition!.DispositionType);
        var licence = JsonDocument.Parse(await download.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(licenceNo, licence.GetProperty("licenceNo").GetString());
        // The owner does not see answers from the library (they are not demands on it).
        if (served.Keys.ContainsKey(pull.GetProperty("owner").GetString()!))
        {
            using var owner = await SignedInAsync(pull.GetProperty("owner").GetString()!);
            await GetAsync(owner, $"api/console/pulls/{id}", HttpStatusCode.NotFound);
        }

        var paths = (await GetAsync(approval, "openapi/v1.json")).GetProperty("paths");
        foreach (var path in new[] { "/api/console/pulls", "/api/console/pulls/catalogue", "/api/console/pulls/{id}", "/api/console/pulls/{id}/evidence",
                     "/api/console/pulls/{id}/fulfil", "/api/console/pulls/{id}/refuse", "/api/console/pulls/{id}/escalate", "/api/console/pulls/{id}/rule",
                     "/api/console/pulls/{id}/cancel", "/api/console/pulls/{id}/rate" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is not in the OpenAPI document");
    }

    [Fact]
    public async Task Lists_page_newest_first()
    {
        using var approval = await SignedInAsync("city-approval");
        var uscc = EnterpriseWithoutFoodLicence(3);
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
            ids.Add((await PostAsync(approval, "api/console/pulls", new { uscc, itemType = "MAT-FIRE-ACCEPT", purpose = $"消防验收核验 {i}" }, HttpStatusCode.Created)).GetProperty("id").GetString()!);
        var seen = new List<string>();
        string? next = null;
        do
        {
            var page = await GetAsync(approval, "api/console/pulls?view=mine&pageSize=2" + (next is null ? "" : "&before=" + next));
            seen.AddRange(page.GetProperty("pulls").EnumerateArray().Select(p => p.GetProperty("id").GetString()!));
            next = page.GetProperty("next").ValueKind == JsonValueKind.String ? page.GetProperty("next").GetString() : null;
        } while (next is not null);
        Assert.Equal(seen.Distinct().Count(), seen.Count);
        var mine = seen.Where(ids.Contains).ToList();
        Assert.Equal(Enumerable.Reverse(ids), mine);
        using var housing = await SignedInAsync("city-housing");
        var assigned = (await GetAsync(housing, "api/console/pulls?view=assigned")).GetProperty("pulls").EnumerateArray().Select(p => p.GetProperty("id").GetString()!).ToList();
        Assert.True(ids.All(assigned.Contains));
    }
}
