using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DataHub.Adapters;
using DataHub.Adapters.Hotline12345;
using DataHub.Simulators;
using DataHub.Synthetic;

namespace DataHub.Tests;

/// <summary>The hub served with adapters pulling from the simulated sources, driven over its HTTP API.</summary>
[Collection("console")]
public sealed class HttpApiTests : IAsyncLifetime
{
    private const string PushSecret = ServedHub.PushSecret;
    private ServedHub _served = null!;
    private SimulatedSources _sources = null!;
    private Dictionary<string, string> _keys = null!;
    private Hub _hub = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        _served = await ServedHub.StartAsync(enterprises: 30, seed: 30);
        (_sources, _keys, _hub) = (_served.Sources, _served.Keys, _served.Hub);
        _http.BaseAddress = _served.HttpAddress;
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string? key)
    {
        using var request = new HttpRequestMessage(method, path);
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    [Fact]
    public async Task Stats_need_an_admin_key_and_count_each_source_fetched_stored_and_quarantined()
    {
        var (anonymous, problem) = await SendAsync(HttpMethod.Get, "api/admin/stats", null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous);
        Assert.Contains("Authorization: Bearer", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Get, "api/admin/stats", "not-a-key")).Status);
        var (reader, denied) = await SendAsync(HttpMethod.Get, "api/admin/stats", _keys["reader"]);
        Assert.Equal(HttpStatusCode.Forbidden, reader);
        Assert.Contains("none of the roles admin", denied.GetProperty("detail").GetString());

        var (ok, stats) = await SendAsync(HttpMethod.Get, "api/admin/stats", _keys["admin"]);
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal(30, stats.GetProperty("profiles").GetInt64());
        foreach (var property in new[] { "records", "quarantined", "unresolved" }) Assert.True(stats.TryGetProperty(property, out _), property);
        var market = stats.GetProperty("sources").GetProperty("market-supervision");
        Assert.True(market.GetProperty("fetched").GetInt64() >= market.GetProperty("stored").GetInt64());
        Assert.True(market.GetProperty("stored").GetInt64() > 30);
        Assert.True(market.TryGetProperty("quarantined", out _));
    }

    [Fact]
    public async Task An_admin_pauses_and_resumes_an_adapter_and_unknown_adapters_are_named_as_such()
    {
        var (listed, adapters) = await SendAsync(HttpMethod.Get, "api/admin/adapters", _keys["admin"]);
        Assert.Equal(HttpStatusCode.OK, listed);
        Assert.Contains(adapters.EnumerateArray(), a => a.GetProperty("id").GetString() == "e-licence/licences" && a.GetProperty("circuit").GetString() == "Closed");

        var (paused, status) = await SendAsync(HttpMethod.Put, "api/admin/adapters/e-licence/licences/pause", _keys["admin"]);
        Assert.Equal(HttpStatusCode.OK, paused);
        Assert.Equal("Paused", status.GetProperty("state").GetString());
        Assert.True(_hub.Store.AdapterStates().Single(a => a.AdapterId == "e-licence/licences").Paused, "the pause is stored");
        var (resumed, after) = await SendAsync(HttpMethod.Put, "api/admin/adapters/e-licence/licences/resume", _keys["admin"]);
        Assert.Equal(HttpStatusCode.OK, resumed);
        Assert.NotEqual("Paused", after.GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post, "api/admin/adapters/e-licence/licences/restart", _keys["admin"])).Status);

        var (missing, problem) = await SendAsync(HttpMethod.Put, "api/admin/adapters/e-licence/nothing/pause", _keys["admin"]);
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Contains("GET /api/admin/adapters", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Put, "api/admin/adapters/e-licence/licences/pause", _keys["regulator"])).Status);
    }

    [Fact]
    public async Task A_signed_push_is_stored_and_a_wrongly_signed_one_is_refused_with_nothing_stored()
    {
        var feed = new Hotline12345Source().Feeds[0];
        var record = _sources[Hotline12345Source.Name].Published[0].Clone();
        record.SourceId = record.Complaint.OrderNo = "12345209901010000001";
        record.Uscc = _hub.Store.EnterprisesWithProfiles()[0];
        var body = Encoding.UTF8.GetBytes("[" + feed.Writer.Write(record).ToJsonString() + "]");
        var before = _hub.Store.Stats().Records;

        async Task<HttpResponseMessage> PushAsync(string secret)
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/adapters/hotline-12345/webhook") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Add(WebhookSignature.TimestampHeader, now.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(secret, now, body));
            return await _http.SendAsync(request);
        }

        using (var refused = await PushAsync("wrong-secret"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("does not match", await refused.Content.ReadAsStringAsync());
        }
        Assert.Equal(before, _hub.Store.Stats().Records);

        using var accepted = await PushAsync(PushSecret);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var answer = await accepted.Content.ReadAsStringAsync();
        var result = JsonDocument.Parse(answer).RootElement;
        Assert.True(result.GetProperty("outcomes").TryGetProperty("Stored", out _), answer);
        Assert.Equal(1, result.GetProperty("rows").GetInt32());
        Assert.Equal(1, result.GetProperty("outcomes").GetProperty("Stored").GetInt32());
        Assert.Equal(before + 1, _hub.Store.Stats().Records);
        Assert.Equal(1, _hub.Store.AdapterStates().Single(a => a.AdapterId == "hotline-12345/work-orders#push").Fetched);

        using var unsigned = await _http.PostAsync("api/adapters/market-supervision/webhook", new ByteArrayContent(body));
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Contains("no webhook secret", await unsigned.Content.ReadAsStringAsync());
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _served.DisposeAsync();
    }
}
