using DataHub.Core.Workflows;
using System.Text.Json;
using DataHub.Core.Pulls;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using DataHub.Security;
using static DataHub.Cli.GrpcBenchmark;

namespace DataHub.Cli;

/// <summary>
/// `datahub bench pulls`: one running hub, driven by h2load (an independent HTTP/2 client) with the
/// same connections and streams against (a) ProfileService/GetProfile of a cached profile — the
/// baseline: authentication, scopes, cache read, an audit entry — and (b) DataPullService/RequestPull
/// answered from the e-licence library: the same, plus the catalogue check, the library lookup in
/// the profile, a new pull and its event stored in workflow.db, the step's audit entry and its event
/// on the bus. Runs alternate; medians reported; ratio = pull_rps / getprofile_rps.
/// </summary>
internal static class PullBenchmark
{
    /// <summary>An enterprise whose e-licence library holds a JY (食品经营许可证) licence valid today, so LIC-JY is answered at once.</summary>
    internal static string? LicensedEnterprise(Hub hub)
    {
        var today = ChinaDates.Format(ChinaDates.DateOf(DateTimeOffset.UtcNow));
        return hub.Store.EnterprisesWithProfiles().FirstOrDefault(uscc => hub.Store.GetProfile(uscc)!.Licences.Any(l =>
            l.Licence.LicenceTypeCode == "JY" && l.Lineage.Source == DataPullWorkflow.LicenceLibrarySource && l.Licence.Status == LicenceStatus.Valid &&
            string.CompareOrdinal(l.Licence.ValidFrom, today) <= 0 && (l.Licence.ValidUntil.Length == 0 || string.CompareOrdinal(l.Licence.ValidUntil, today) >= 0)));
    }

    public static async Task<int> RunAsync(HubOptions options, int enterprises, int requests, int clients, int streams, int runs, CancellationToken ct)
    {
        var h2load = RequireH2load();
        if (h2load is null) return 2;
        var work = Path.Combine(Path.GetTempPath(), "datahub-bench-pulls-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            var readerKey = Convert.ToHexString(Guid.NewGuid().ToByteArray());
            var requesterKey = Convert.ToHexString(Guid.NewGuid().ToByteArray());
            var hub = await SyntheticHubAsync(work, enterprises, BenchAgencies(("bench-reader", Roles.Regulator, Scopes.ProfileAll, readerKey),
                ("city-approval", Roles.Approval, Scopes.ProfileBasic, requesterKey)), options.BatchSize, ct);
            var uscc = LicensedEnterprise(hub);
            if (uscc is null)
            {
                CliOutput.Error($"None of the {enterprises:N0} synthetic enterprises holds a valid JY licence in the e-licence library; use more --enterprises.");
                return 2;
            }

            await using var server = await HubServer.StartAsync(hub, ct, Microsoft.Extensions.Logging.LogLevel.Warning);
            var url = $"http://127.0.0.1:{server.GrpcPort}";
            var profileUrl = url + "/datahub.v1.ProfileService/GetProfile";
            var pullUrl = url + "/datahub.v1.DataPullService/RequestPull";
            var profileBody = Frame(Path.Combine(work, "profile.bin"), new GetProfileRequest { Uscc = uscc });
            var pullBody = Frame(Path.Combine(work, "pull.bin"), new RequestPullRequest { Uscc = uscc, ItemType = "LIC-JY", Purpose = "基准测试（合成数据）" });
            await CheckAsync(profileUrl, profileBody, readerKey);
            await CheckAsync(pullUrl, pullBody, requesterKey);
            var first = server.Pulls.Store.List(new PullListQuery(PullView.Mine, new WorkflowActor("city-approval", new HashSet<string>()), null, 1, null)).Pulls.Single();
            if (first.Fulfilment != PullFulfilment.Library)
                throw new InvalidOperationException($"RequestPull of LIC-JY for {uscc} was not answered from the library ({first.State}); the benchmark would measure demands.");
            Console.Error.WriteLine($"hub on {url}; {uscc} holds a JY licence; h2load -n {requests} -c {clients} -m {streams}; {runs} run(s); {Environment.ProcessorCount} cores");

            await WarmUpAsync(
                () => H2loadAsync(h2load, profileUrl, profileBody, readerKey, requests / 2, clients, streams, Path.Combine(work, "w.log"), ct),
                () => H2loadAsync(h2load, pullUrl, pullBody, requesterKey, requests / 2, clients, streams, Path.Combine(work, "w.log"), ct));

            var baseline = new List<double>();
            var pulls = new List<double>();
            var baselineLatencies = new List<double>();
            var pullLatencies = new List<double>();
            for (int run = 1; run <= runs; run++)
            {
                var b = await H2loadAsync(h2load, profileUrl, profileBody, readerKey, requests, clients, streams, Path.Combine(work, "b.log"), ct);
                baseline.Add(b.Rps);
                baselineLatencies.AddRange(b.Latencies);
                Console.Error.WriteLine($"run {run}: (a) ProfileService/GetProfile   {b.Rps,10:N0} req/s  p50 {b.P50,6:F2} ms  p99 {b.P99,6:F2} ms");
                var p = await H2loadAsync(h2load, pullUrl, pullBody, requesterKey, requests, clients, streams, Path.Combine(work, "p.log"), ct);
                pulls.Add(p.Rps);
                pullLatencies.AddRange(p.Latencies);
                Console.Error.WriteLine($"run {run}: (b) DataPullService/RequestPull {p.Rps,10:N0} req/s  p50 {p.P50,6:F2} ms  p99 {p.P99,6:F2} ms");
            }
            baselineLatencies.Sort();
            pullLatencies.Sort();
            double baselineRps = IngestBenchmark.Median(baseline), pullRps = IngestBenchmark.Median(pulls);
            var stored = server.Pulls.Store.Counts();
            Console.Out.WriteLine($"baseline GetProfile (cached, authenticated, audited): {baselineRps:N0} req/s (median of {runs}), p99 {Percentile(baselineLatencies, 0.99):F2} ms");
            Console.Out.WriteLine($"RequestPull from the library (stored, audited, published): {pullRps:N0} req/s (median of {runs}), p50 {Percentile(pullLatencies, 0.5):F2} ms, p99 {Percentile(pullLatencies, 0.99):F2} ms");
            Console.Out.WriteLine($"pulls stored: {stored.AnsweredFromLibrary:N0} answered from the library");
            Console.Out.WriteLine($"ratio RequestPull/GetProfile: {pullRps / baselineRps:F3}");
            Console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                benchmark = "pulls",
                requests,
                clients,
                streams,
                runs,
                cores = Environment.ProcessorCount,
                getprofile_rps = Math.Round(baselineRps),
                getprofile_p99_ms = Math.Round(Percentile(baselineLatencies, 0.99), 3),
                pull_rps = Math.Round(pullRps),
                p50_ms = Math.Round(Percentile(pullLatencies, 0.5), 3),
                p99_ms = Math.Round(Percentile(pullLatencies, 0.99), 3),
                ratio = Math.Round(pullRps / baselineRps, 3),
            }));
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(work, true);
        }
    }
}
