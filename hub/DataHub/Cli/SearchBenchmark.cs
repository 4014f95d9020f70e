using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using DataHub.Core.Ingest;
using DataHub.Core.Profiles;
using DataHub.Core.Records;
using DataHub.Embedded;
using DataHub.Schema.V1;
using DataHub.Security;
using DataHub.Synthetic;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;

namespace DataHub.Cli;

/// <summary>
/// `datahub bench search`: a profile store of N synthetic enterprises (built once per data folder),
/// the hub serving it, and three kinds of query — a name fragment, a USCC prefix in lower case, a
/// name fragment with district and risk filters — each asked (a) through the console's search API
/// (HTTP, session cookie, parsing, the store's count and page, highlighting, JSON) and (b) as the raw
/// SQLite/FTS5 statements for the same (capped) count and page on a plain read-only connection, and
/// (c) the store's search in-process (no HTTP), one after the other so all see the same machine noise,
/// the first place rotating (the first to ask reads the query's pages for the others). Latency
/// percentiles per kind and overall; the last line is JSON.
/// </summary>
internal static class SearchBenchmark
{
    public static async Task<int> RunAsync(string dataDirectory, int enterprises, int queriesPerKind, CancellationToken ct)
    {
        using var store = new SqliteHubStore(Path.Combine(dataDirectory, "hub.db"));
        var have = store.Stats().Profiles;
        if (have != enterprises)
        {
            if (have > 0)
            {
                CliOutput.Error($"{dataDirectory} holds {have:N0} profiles, not {enterprises:N0}; use an empty --data folder (the store is built once and reused).");
                return 2;
            }
            await BuildAsync(store, enterprises, ct);
        }
        var key = Convert.ToHexString(Guid.NewGuid().ToByteArray());
        var agencies = AgencyDirectory.Load(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["A:0:Id"] = "bench", ["A:0:Roles:0"] = Roles.Reader, ["A:0:Scopes:0"] = Scopes.ProfileAll.Replace("*", "basic"),
            ["A:0:ApiKeySha256:0"] = AgencyDirectory.HashKey(key), ["A:0:RequestsPerSecond"] = "1000000",
        }).Build().GetSection("A"));
        var loaded = HubOptions.Load(dataDirectory);
        using var hub = Hub.Open(loaded with { Agencies = agencies, Server = loaded.Server with { GrpcPort = 0, HttpPort = 0 } });
        await using var server = await HubServer.StartAsync(hub, ct, Microsoft.Extensions.Logging.LogLevel.Warning);
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer() }) { BaseAddress = new Uri($"http://127.0.0.1:{server.HttpPort}/") };
        (await http.PostAsJsonAsync("api/console/session", new { apiKey = key }, ct)).EnsureSuccessStatusCode();

        var kinds = Queries(store, queriesPerKind);
        using var raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = store.ProfilesPath, Mode = SqliteOpenMode.ReadOnly }.ToString());
        raw.Open();
        Console.Error.WriteLine($"{enterprises:N0} profiles; {queriesPerKind} queries per kind after a warm-up; {Environment.ProcessorCount} cores");
        var results = new Dictionary<string, (List<double> Api, List<double> Raw, double Hits)>();
        foreach (var (kind, queries) in kinds)
        {
            foreach (var q in queries.Take(20)) { await ApiAsync(http, q, ct); Raw(raw, q); hub.Store.Search(StoreQuery(q)); }
            var api = new List<double>();
            var rawTimes = new List<double>();
            var storeTimes = new List<double>();
            double hits = 0;
            for (int i = 0; i < queries.Count; i++)
            {
                var q = queries[i];
                // Whichever path asks first reads the query's pages into the caches for the others, so
                // the first place rotates: each path meets a cold query equally often.
                for (int k = 0; k < 3; k++)
                {
                    var clock = Stopwatch.StartNew();
                    switch ((i + k) % 3)
                    {
                        case 0:
                            hits += await ApiAsync(http, q, ct);
                            api.Add(clock.Elapsed.TotalMilliseconds);
                            break;
                        case 1:
                            Raw(raw, q);
                            rawTimes.Add(clock.Elapsed.TotalMilliseconds);
                            break;
                        default:
                            hub.Store.Search(StoreQuery(q));
                            storeTimes.Add(clock.Elapsed.TotalMilliseconds);
                            break;
                    }
                }
            }
            results[kind] = (api, rawTimes, hits / queries.Count);
            Console.Out.WriteLine($"{kind,-16} API p50 {P(api, 0.5),7:F2} ms  p99 {P(api, 0.99),7:F2} ms | store p50 {P(storeTimes, 0.5),7:F2} ms  p99 {P(storeTimes, 0.99),7:F2} ms | raw p50 {P(rawTimes, 0.5),7:F2} ms  p99 {P(rawTimes, 0.99),7:F2} ms | {hits / queries.Count:N0} matches on average");
        }
        var allApi = results.Values.SelectMany(r => r.Api).ToList();
        var allRaw = results.Values.SelectMany(r => r.Raw).ToList();
        double p99 = P(allApi, 0.99), rawP99 = P(allRaw, 0.99);
        Console.Out.WriteLine($"all              API p50 {P(allApi, 0.5),7:F2} ms  p99 {p99,7:F2} ms | raw p50 {P(allRaw, 0.5),7:F2} ms  p99 {rawP99,7:F2} ms");
        Console.Out.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = "search",
            profiles = enterprises,
            queries = allApi.Count,
            cores = Environment.ProcessorCount,
            p50_ms = Math.Round(P(allApi, 0.5), 2),
            p99_ms = Math.Round(p99, 2),
            raw_p50_ms = Math.Round(P(allRaw, 0.5), 2),
            raw_p99_ms = Math.Round(rawP99, 2),
            ratio = Math.Round(p99 / rawP99, 2),
            kinds = results.ToDictionary(r => r.Key, r => new { p50_ms = Math.Round(P(r.Value.Api, 0.5), 2), p99_ms = Math.Round(P(r.Value.Api, 0.99), 2), raw_p99_ms = Math.Round(P(r.Value.Raw, 0.99), 2) }),
        }));
        return 0;
    }

    private sealed record Query(string Text, string? District, string? Risk);

    /// <summary>Query texts drawn from stored profiles (seeded): fragments of names, prefixes of codes, fragments with filters.</summary>
    private static List<(string Kind, List<Query> Queries)> Queries(SqliteHubStore store, int perKind)
    {
        var random = new Random(5);
        var usccs = store.EnterprisesWithProfiles();
        var sample = Enumerable.Range(0, perKind * 3 + 60).Select(_ => store.GetProfile(usccs[random.Next(usccs.Count)])!).ToList();
        string Fragment(EnterpriseProfile p)
        {
            // Three characters of the name outside the legal form ("有限公司" would match nearly everyone).
            var name = p.Name;
            int end = name.IndexOf("有限", StringComparison.Ordinal) is var i and > 3 ? i : name.Length;
            int at = random.Next(0, Math.Max(1, end - 2));
            return name.Substring(at, Math.Min(3, name.Length - at));
        }
        return
        [
            ("name fragment", sample.Take(perKind + 20).Select(p => new Query(Fragment(p), null, null)).ToList()),
            ("uscc prefix", sample.Skip(perKind + 20).Take(perKind + 20).Select(p => new Query(p.Uscc[..10].ToLowerInvariant(), null, null)).ToList()),
            ("filtered", sample.Skip(2 * perKind + 40).Take(perKind + 20).Select(p => new Query(Fragment(p), p.Identity.DistrictCode, p.Risk.Tier.ToString())).ToList()),
        ];
    }

    /// <summary>The query the console API makes of the store for these parameters.</summary>
    private static ProfileQuery StoreQuery(Query q) => new()
    {
        Text = q.Text,
        DistrictCode = q.District,
        RiskTier = q.Risk is null ? null : Enum.Parse<RiskTier>(q.Risk),
    };

    private static async Task<double> ApiAsync(HttpClient http, Query q, CancellationToken ct)
    {
        var url = $"api/console/search?q={Uri.EscapeDataString(q.Text)}" + (q.District is null ? "" : $"&district={q.District}&risk={q.Risk}");
        using var response = await http.GetAsync(url, ct);
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(ct));
        return doc.RootElement.GetProperty("total").GetInt64();
    }

    /// <summary>The same count and first page as plain SQL over the profile store, by the store's plan: the primary key for codes, the district index and a scan for a fragment with a district, FTS5 otherwise.</summary>
    private static void Raw(SqliteConnection c, Query q)
    {
        string from, where, order, counted;
        var parameters = new List<(string, object)>();
        var code = Core.Identifiers.Uscc.Normalize(q.Text);
        var text = Core.Text.HalfWidth.Fold(q.Text).Trim(); // as the store folds it: names are indexed half-width
        if (SqliteHubStore.LooksLikeUsccPrefix(code))
        {
            (from, where, order) = ("profiles p", "p.uscc >= $lo AND p.uscc < $hi", "p.uscc");
            parameters.AddRange([("$lo", code), ("$hi", code + "\uffff")]);
            counted = $"SELECT 1 FROM {from} WHERE {where}";
        }
        else if (q.District is not null)
        {
            counted = "SELECT rowid FROM profiles WHERE district_code = $d AND risk_tier = $r AND search_text LIKE $like";
            (from, where, order) = ("profiles p", $"p.rowid IN ({counted})", "p.uscc");
            parameters.AddRange([("$like", "%" + text + "%"), ("$d", q.District), ("$r", q.Risk!)]);
        }
        else
        {
            (from, where, order) = ("profile_search s JOIN profiles p ON p.rowid = s.rowid", "profile_search MATCH $q", "bm25(profile_search), p.uscc");
            parameters.Add(("$q", "\"" + text + "\""));
            counted = "SELECT 1 FROM profile_search WHERE profile_search MATCH $q";
        }

        long total;
        using (var count = c.CreateCommand())
        {
            // The same capped count and order rule as the store, so the ratio measures the API's own cost.
            count.CommandText = $"SELECT count(*) FROM ({counted} LIMIT {SearchPage.CountCap + 1})";
            foreach (var (n, v) in parameters) count.Parameters.AddWithValue(n, v);
            total = (long)count.ExecuteScalar()!;
        }
        using var page = c.CreateCommand();
        const string columns = "p.uscc, p.name, p.district_code, p.status, p.risk_tier, p.credit_grade";
        page.CommandText = from.StartsWith("profile_search", StringComparison.Ordinal)
            ? $"SELECT {columns} FROM (SELECT rowid, {(total > SearchPage.CountCap ? "0" : "bm25(profile_search)")} AS rank FROM profile_search WHERE {where} " +
              "ORDER BY rank, rowid LIMIT 20) s JOIN profiles p ON p.rowid = s.rowid ORDER BY s.rank, s.rowid"
            : q.District is not null
                ? $"SELECT {columns} FROM ({counted} ORDER BY rowid LIMIT 20) s JOIN profiles p ON p.rowid = s.rowid ORDER BY p.rowid"
                : $"SELECT {columns} FROM {from} WHERE {where} ORDER BY {order} LIMIT 20";
        foreach (var (n, v) in parameters) page.Parameters.AddWithValue(n, v);
        using var reader = page.ExecuteReader();
        while (reader.Read()) { }
    }

    private static double P(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
    }

    /// <summary>Folds the generator's records of each enterprise into its profile and stores the profiles (records are not kept: this store serves search only).</summary>
    private static async Task BuildAsync(SqliteHubStore store, int enterprises, CancellationToken ct)
    {
        var parser = new JsonParser(JsonParser.Settings.Default);
        var generator = new SyntheticDataGenerator(new GeneratorOptions { Enterprises = enterprises, Seed = 11, DirtRate = 0 });
        await CliOutput.WithProgressAsync("生成企业画像（合成数据）", enterprises, report => Task.Run(() =>
        {
            int done = 0;
            foreach (var chunk in generator.GenerateByEnterprise().Chunk(4096))
            {
                ct.ThrowIfCancellationRequested();
                var profiles = chunk.AsParallel().AsOrdered().Select(lines =>
                {
                    var normalizer = new RecordNormalizer();
                    var records = lines.Select(l => parser.Parse<CanonicalRecord>(l.Json)).Where(r => normalizer.Normalize(r) is null).ToList();
                    return new ProfileProjector().Project(records[0].Uscc, records.Where(r => r.Uscc == records[0].Uscc));
                }).ToList();
                using (var batch = store.BeginProjection())
                {
                    foreach (var p in profiles) batch.SaveProfile(p);
                    batch.Commit(0);
                }
                done += chunk.Length;
                report(done, $"{done:N0}");
            }
            return 0;
        }, ct));
    }
}
