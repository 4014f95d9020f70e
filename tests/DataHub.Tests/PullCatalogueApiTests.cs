using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace DataHub.Tests;

/// <summary>The data-pull catalogue edited through the HTTP admin API: HTTP's optimistic concurrency, validation, and restarts.</summary>
[Collection("console")]
public sealed class PullCatalogueApiTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "datahub-catalogue-" + Guid.NewGuid().ToString("N"), "data");

    private async Task<HubServer> ServeAsync(Security.AgencyDirectory agencies)
    {
        var options = HubOptions.Load(_data);
        return await HubServer.StartAsync(Hub.Open(options with { Agencies = agencies, Server = options.Server with { GrpcPort = 0, HttpPort = 0 } }),
            CancellationToken.None, Microsoft.Extensions.Logging.LogLevel.Warning);
    }

    private static async Task<(HttpStatusCode Status, string Body, string? ETag)> SendAsync(HubServer server, HttpMethod method, string key, string? body = null, string? ifMatch = null)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.HttpPort}/") };
        using var request = new HttpRequestMessage(method, "api/admin/pull-catalogue");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task The_catalogue_is_replaced_with_If_Match_validated_and_kept_across_a_restart()
    {
        var (agencies, keys) = PullInteropTests.CatalogueAgencies();
        string edited;
        await using (var server = await ServeAsync(agencies))
        {
            var (ok, document, etag) = await SendAsync(server, HttpMethod.Get, keys["admin"]);
            Assert.Equal(HttpStatusCode.OK, ok);
            Assert.Equal("\"1\"", etag);
            Assert.Equal("city-coordination", JsonDocument.Parse(document).RootElement.GetProperty("coordinationOffice").GetString());
            Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(server, HttpMethod.Get, keys["city-approval"])).Status);

            edited = document.Replace("\"timeLimitWorkingDays\": 3", "\"timeLimitWorkingDays\": 4", StringComparison.Ordinal);
            Assert.NotEqual(document, edited);
            var (noMatch, problem, _) = await SendAsync(server, HttpMethod.Put, keys["admin"], edited);
            Assert.Equal(HttpStatusCode.PreconditionRequired, noMatch);
            Assert.Contains("If-Match", problem);
            var (stale, staleProblem, _) = await SendAsync(server, HttpMethod.Put, keys["admin"], edited, "\"7\"");
            Assert.Equal(HttpStatusCode.PreconditionFailed, stale);
            Assert.Contains("revision 1", staleProblem);
            var (invalid, invalidProblem, _) = await SendAsync(server, HttpMethod.Put, keys["admin"], edited.Replace("\"legalBasis\"", "\"legalBasisX\"", StringComparison.Ordinal), "\"1\"");
            Assert.Equal(HttpStatusCode.BadRequest, invalid);
            Assert.Contains("legalBasisX", invalidProblem);
            var (replaced, _, newTag) = await SendAsync(server, HttpMethod.Put, keys["admin"], edited, "\"1\"");
            Assert.Equal(HttpStatusCode.OK, replaced);
            Assert.Equal("\"2\"", newTag);
            Assert.Equal(4, server.Pulls.Catalogue.Find("LIC-JY")!.TimeLimitWorkingDays);
        }

        // After a restart the stored revision is in force, not the shipped file.
        await using (var again = await ServeAsync(agencies))
        {
            var (_, document, etag) = await SendAsync(again, HttpMethod.Get, keys["admin"]);
            Assert.Equal("\"2\"", etag);
            Assert.Equal(4, again.Pulls.Catalogue.Find("LIC-JY")!.TimeLimitWorkingDays);
            Assert.Equal(JsonDocument.Parse(edited).RootElement.GetProperty("itemTypes").GetArrayLength(),
                JsonDocument.Parse(document).RootElement.GetProperty("itemTypes").GetArrayLength());
        }
        var (intact, report) = await CliRunner.RunAsync(_data, "audit", "verify");
        Assert.True(intact == 0, report);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Path.GetDirectoryName(_data)!, recursive: true); } catch (IOException) { }
    }
}
