using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace DataHub.Tests;

/// <summary>The console's JSON API over HTTP, as the pages use it: cookie sessions, search, export, profiles, lineage.</summary>
[Collection("console")]
public sealed class ConsoleApiTests : IAsyncLifetime
{
    private ServedHub _served = null!;

    public async Task InitializeAsync() => _served = await ServedHub.StartAsync(enterprises: 60, seed: 61);

    public async Task DisposeAsync() => await _served.DisposeAsync();

    /// <summary>A browser-like client: cookies kept, the console's CSRF header on every request.</summary>
    private HttpClient Browser()
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = _served.HttpAddress };
        http.DefaultRequestHeaders.Add("X-DataHub-Console", "1");
        return http;
    }

    private async Task<HttpClient> SignedInAsync(string agency)
    {
        var http = Browser();
        using var response = await http.PostAsJsonAsync("api/console/session", new { apiKey = _served.Keys[agency] });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return http;
    }

    private static async Task<JsonElement> JsonAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task Signing_in_sets_an_httponly_session_cookie_and_a_wrong_key_is_refused()
    {
        using var http = Browser();
        using (var wrong = await http.PostAsJsonAsync("api/console/session", new { apiKey = "nope" }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Contains("密钥无效", await wrong.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("api/console/search?q=有限")).StatusCode);
        using (var ok = await http.PostAsJsonAsync("api/console/session", new { apiKey = _served.Keys["regulator"] }))
        {
            var cookie = ok.Headers.GetValues("Set-Cookie").Single();
            Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        }
        Assert.Equal("regulator", (await JsonAsync(http, "api/console/session")).GetProperty("agency").GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync("api/console/session")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("api/console/session")).StatusCode);
    }

    [Fact]
    public async Task A_cookie_request_that_changes_something_needs_the_console_header()
    {
        using var http = await SignedInAsync("admin");
        http.DefaultRequestHeaders.Remove("X-DataHub-Console");
        using var response = await http.PostAsJsonAsync("api/admin/quarantine/replay", new { ids = Array.Empty<long>() });
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("X-DataHub-Console", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Search_finds_by_name_fragment_and_by_usCC_prefix_and_marks_the_match()
    {
        using var http = await SignedInAsync("regulator");
        var profile = _served.Hub.Store.GetProfile(_served.Hub.Store.EnterprisesWithProfiles()[7])!;
        var fragment = profile.Name.Substring(2, 3);
        var byName = await JsonAsync(http, $"api/console/search?q={Uri.EscapeDataString(fragment)}");
        var hit = byName.GetProperty("hits").EnumerateArray().First(h => h.GetProperty("uscc").GetString() == profile.Uscc);
        Assert.Equal("name", hit.GetProperty("matchedField").GetString());
        Assert.Equal(fragment, hit.GetProperty("matched").EnumerateArray().Single(s => s.GetProperty("mark").GetBoolean()).GetProperty("text").GetString());

        var prefix = profile.Uscc[..10].ToLowerInvariant();
        var byCode = await JsonAsync(http, $"api/console/search?q={prefix}");
        Assert.Contains(byCode.GetProperty("hits").EnumerateArray(), h => h.GetProperty("uscc").GetString() == profile.Uscc && h.GetProperty("matchedField").GetString() == "uscc");

        var filtered = await JsonAsync(http, $"api/console/search?district={profile.Identity.DistrictCode}&risk={profile.Risk.Tier}&sort=name&pageSize=100");
        Assert.Contains(filtered.GetProperty("hits").EnumerateArray(), h => h.GetProperty("uscc").GetString() == profile.Uscc);
        Assert.All(filtered.GetProperty("hits").EnumerateArray(), h => Assert.Equal(profile.Risk.Tier.ToString(), h.GetProperty("riskTier").GetString()));

        using var bad = await http.GetAsync("api/console/search?q=x&risk=Extreme");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("High, Medium or Low", await bad.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_csv_export_holds_every_match_with_a_bom_for_spreadsheets()
    {
        using var http = await SignedInAsync("reader");
        var total = (await JsonAsync(http, "api/console/search?q=有限")).GetProperty("total").GetInt64();
        using var response = await http.GetAsync("api/console/search.csv?q=有限");
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("统一社会信用代码,企业名称", lines[0]);
        Assert.Equal(total, lines.Length - 1);
    }

    [Fact]
    public async Task A_profile_follows_the_agencys_scopes_and_every_read_is_audited_with_the_enterprise()
    {
        var uscc = _served.Hub.Store.EnterprisesWithProfiles().First(u => _served.Hub.Store.GetProfile(u)!.Complaints?.Entries.Count > 0);
        using var regulator = await SignedInAsync("regulator");
        var full = await JsonAsync(regulator, $"api/console/profiles/{uscc}");
        Assert.Equal(5, full.GetProperty("sections").GetArrayLength());
        Assert.True(full.GetProperty("profile").GetProperty("complaints").GetProperty("entries").GetArrayLength() > 0);
        Assert.Equal(12, full.GetProperty("complaintTrend").GetArrayLength());

        using var reader = await SignedInAsync("reader");
        var cut = await JsonAsync(reader, $"api/console/profiles/{uscc}");
        Assert.Equal(["Basic", "Licences"], cut.GetProperty("sections").EnumerateArray().Select(s => s.GetString()!));
        Assert.False(cut.GetProperty("profile").GetProperty("complaints").TryGetProperty("entries", out _));
        Assert.Equal(0, cut.GetProperty("complaintTrend").GetArrayLength());
        var timeline = await JsonAsync(reader, $"api/console/profiles/{uscc}/records");
        Assert.DoesNotContain(timeline.GetProperty("records").EnumerateArray(), r => r.GetProperty("kind").GetString() == "Complaint");

        var entries = DataHub.Embedded.SqliteAuditLog.ReadAll(_served.Hub.Options.AuditPath).Select(e => e.Draft)
            .Where(e => e.Uscc == uscc && e.Method.StartsWith("GET /api/console/profiles/", StringComparison.Ordinal)).ToList();
        Assert.Contains(entries, e => e.Agency == "regulator");
        Assert.Contains(entries, e => e.Agency == "reader" && e.Detail.Contains("sections=basic,licences"));
    }

    [Fact]
    public async Task An_earlier_date_shows_the_profile_as_it_was_and_lineage_links_open_the_record()
    {
        using var http = await SignedInAsync("regulator");
        var uscc = _served.Hub.Store.EnterprisesWithProfiles()[3];
        var now = await JsonAsync(http, $"api/console/profiles/{uscc}");
        var established = now.GetProperty("profile").GetProperty("identity").GetProperty("establishedOn").GetString()!;
        var then = await JsonAsync(http, $"api/console/profiles/{uscc}?asOf={established}");
        Assert.Equal(established, then.GetProperty("asOf").GetString());
        Assert.True(then.GetProperty("profile").GetProperty("recordCount").GetInt32() < now.GetProperty("profile").GetProperty("recordCount").GetInt32());
        using (var before = await http.GetAsync($"api/console/profiles/{uscc}?asOf=1990-01-01"))
            Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);

        var lineage = now.GetProperty("profile").GetProperty("identity").GetProperty("lineage")[0];
        var record = await JsonAsync(http, $"api/console/records?uscc={uscc}&source={lineage.GetProperty("source").GetString()}&sourceId={Uri.EscapeDataString(lineage.GetProperty("sourceId").GetString()!)}");
        var version = Assert.Single(record.GetProperty("versions").EnumerateArray(), v => v.GetProperty("current").GetBoolean());
        Assert.Equal(lineage.GetProperty("contentHash").GetString(), version.GetProperty("record").GetProperty("contentHash").GetString());
    }

    [Fact]
    public async Task An_operator_links_a_waiting_record_by_hand_and_replays_quarantine()
    {
        using var admin = await SignedInAsync("admin");
        // A work order naming an enterprise no registration knows: it waits for its name.
        var line = """{"source":"hotline-12345","source_id":"12345209912310000001","enterprise_name":"宿迁无名小店","occurred_at":"2026-11-01T10:00:00+08:00","synthetic":true,"complaint":{"order_no":"12345209912310000001","kind":"COMPLAINT_KIND_COMPLAINT","summary":"无照经营"}}""";
        await _served.Hub.Pipeline.SubmitAsync([new DataHub.Schema.V1.RawRecord
        {
            Source = "hotline-12345", Format = DataHub.Adapters.Import.CanonicalJsonLinesMapper.FormatName, Origin = "test", Payload = Google.Protobuf.ByteString.CopyFromUtf8(line),
        }]);
        var waiting = (await JsonAsync(admin, "api/admin/unresolved")).GetProperty("entries").EnumerateArray()
            .Where(e => e.GetProperty("sourceId").GetString() == "12345209912310000001").ToList();
        Assert.NotEmpty(waiting);
        var target = _served.Hub.Store.EnterprisesWithProfiles()[0];
        var before = _served.Hub.Store.Stats();
        using (var link = await admin.PostAsJsonAsync("api/admin/unresolved/link", new
        {
            source = waiting[0].GetProperty("source").GetString(), sourceId = waiting[0].GetProperty("sourceId").GetString(), uscc = target,
        }))
        {
            Assert.Equal(HttpStatusCode.OK, link.StatusCode);
        }
        var after = _served.Hub.Store.Stats();
        Assert.Equal(before.Unresolved - 1, after.Unresolved);
        Assert.Equal(before.Records + 1, after.Records);
        Assert.Contains(_served.Hub.Store.RecordVersions(target), r => r.SourceId == waiting[0].GetProperty("sourceId").GetString() && r.NameResolution is not null);

        var quarantined = (await JsonAsync(admin, "api/admin/quarantine")).GetProperty("entries");
        Assert.True(quarantined.GetArrayLength() > 0);
        Assert.False(string.IsNullOrEmpty(quarantined[0].GetProperty("payloadText").GetString()));
        using var replay = await admin.PostAsJsonAsync("api/admin/quarantine/replay", new { ids = new[] { quarantined[0].GetProperty("id").GetInt64() } });
        var result = JsonDocument.Parse(await replay.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(1, result.GetProperty("attempted").GetInt32());
        using var reader = await SignedInAsync("reader");
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.GetAsync("api/admin/quarantine")).StatusCode);
    }

    [Fact]
    public async Task The_api_is_described_with_openapi()
    {
        using var http = Browser();
        var document = await JsonAsync(http, "openapi/v1.json");
        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/api/console/search", "/api/console/profiles/{uscc}", "/api/admin/adapters", "/api/admin/stats" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is not in the OpenAPI document");
    }
}
