using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using DataHub.Core.Audit;
using DataHub.Security;
using Microsoft.Extensions.Configuration;

namespace DataHub.Tests;

/// <summary>
/// What the console API tests (<see cref="PullConsoleTests"/>, <see cref="TaskConsoleTests"/>) do over HTTP:
/// the agencies of a served hub with fresh API keys, clients signed in by cookie or by bearer key, and JSON
/// requests whose status is checked and whose body (a result or problem details) is returned, and the audit chain.
/// </summary>
internal static class ConsoleHttp
{
    /// <summary>An agency of the test directory.</summary>
    internal sealed record TestAgency(string Id, string Name, string[] Roles, string[] Scopes);

    /// <summary>The agencies, each with a new API key put into <paramref name="keys"/> and <paramref name="requestsPerSecond"/>.</summary>
    public static AgencyDirectory Agencies(Dictionary<string, string> keys, int requestsPerSecond, params TestAgency[] agencies)
    {
        var settings = new Dictionary<string, string?>();
        for (int i = 0; i < agencies.Length; i++)
        {
            var (id, name, roles, scopes) = agencies[i];
            keys[id] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            settings[$"A:{i}:Id"] = id;
            settings[$"A:{i}:Name"] = name;
            for (int r = 0; r < roles.Length; r++) settings[$"A:{i}:Roles:{r}"] = roles[r];
            for (int s = 0; s < scopes.Length; s++) settings[$"A:{i}:Scopes:{s}"] = scopes[s];
            settings[$"A:{i}:ApiKeySha256:0"] = AgencyDirectory.HashKey(keys[id]);
            settings[$"A:{i}:RequestsPerSecond"] = requestsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return AgencyDirectory.Load(new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("A"));
    }

    /// <summary>A client that keeps cookies, as a browser; with the console's CSRF header on every request unless told not to.</summary>
    public static HttpClient Browser(Uri address, bool csrfHeader = true)
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = address };
        if (csrfHeader) http.DefaultRequestHeaders.Add("X-DataHub-Console", "1");
        return http;
    }

    /// <summary>A browser signed in to the console with <paramref name="apiKey"/> (a cookie session).</summary>
    public static async Task<HttpClient> SignedInAsync(Uri address, string apiKey, bool csrfHeader = true)
    {
        var http = Browser(address, csrfHeader);
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/console/session") { Content = JsonContent.Create(new { apiKey }) };
        // Signing in itself is not a cookie-session write.
        request.Headers.Add("X-DataHub-Console", "1");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return http;
    }

    /// <summary>A client that sends <paramref name="apiKey"/> as a bearer key (no cookie, no CSRF header).</summary>
    public static HttpClient Bearer(Uri address, string apiKey)
    {
        var http = new HttpClient { BaseAddress = address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return http;
    }

    /// <summary>The response's JSON body (default when empty), after checking its status.</summary>
    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{what} answered {(int)response.StatusCode}, expected {(int)expected}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<JsonElement> GetAsync(HttpClient http, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await http.GetAsync(path);
        return await JsonAsync(response, expected, "GET " + path);
    }

    /// <summary>POSTs <paramref name="body"/> as JSON, or nothing when it is null.</summary>
    public static async Task<JsonElement> PostAsync(HttpClient http, string path, object? body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = body is null ? await http.PostAsync(path, null) : await http.PostAsJsonAsync(path, body);
        return await JsonAsync(response, expected, "POST " + path);
    }

    /// <summary>The drafts of the hub's audit chain, after checking that the chain is intact.</summary>
    public static List<AuditDraft> AuditEntries(string auditPath)
    {
        var all = DataHub.Embedded.SqliteAuditLog.ReadAll(auditPath).ToList();
        Assert.Null(AuditChain.Verify(all, out _));
        return all.Select(e => e.Draft).ToList();
    }
}
