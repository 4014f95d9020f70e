using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using DataHub.Adapters;
using DataHub.Adapters.ELicence;
using DataHub.Api;
using DataHub.Core.Linkage;
using DataHub.Core.Outbound;
using DataHub.Simulators;
using DataHub.Synthetic;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace DataHub.Cli;

/// <summary>
/// The main job: the five source systems simulated on loopback with synthetic data (合成数据), the hub
/// on the embedded backends with an adapter per feed pulling from them, the simulated credit platform
/// receiving 双公示 messages from the outbox, gRPC and HTTP served — and data trickling in while it runs.
/// </summary>
internal static class LiveDemo
{
    public static async Task<int> RunAsync(HubOptions baseOptions, GeneratorOptions generator, SimulatorFaults faults, TimeSpan tick, TimeSpan? duration, CancellationToken ct)
    {
        Console.Error.WriteLine($"DataHub demo — synthetic data (合成数据, not real enterprises): {generator.Enterprises:N0} enterprises, seed {generator.Seed}; store {baseOptions.DataDirectory}");
        int initial = Math.Max(1, generator.Enterprises * 4 / 5);
        var simulators = SourceSystems.All.Select((s, i) => new SourceSimulator(s, generator.Seed + i, s.Source == ELicenceSource.Name ? MapVerification : null) { Faults = faults }).ToList();
        await using var sources = new SimulatedSources(simulators, generator, initial);
        await sources.StartAsync();
        await using var receiver = new OutboundReceiver();
        await receiver.StartAsync();
        foreach (var s in sources.Simulators) Console.Error.WriteLine($"  simulated {s.System.DisplayName,-14} {s.System.Source,-20} {s.BaseAddress}");
        // One simulated receiver stands in for every outbound system; it keeps what each destination got.
        string[] destinations = [CreditPublicityPolicy.Destination, SmsGatewayNotifier.Destination, LinkageWorkflow.RegulationPlatform, LinkageWorkflow.ApprovalPlatform];
        foreach (var d in destinations) Console.Error.WriteLine($"  simulated receiver {d,-20} {receiver.UrlFor(d)}");

        var pushSecret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var options = baseOptions with
        {
            Adapters = SourceSystems.All.ToDictionary(s => s.Source, s => new AdapterOptions
            {
                BaseAddress = sources[s.Source].BaseAddress.ToString(),
                PollIntervalSeconds = Math.Max(0.5, tick.TotalSeconds / 2),
                WebhookSecret = pushSecret,
                Resilience = new ResilienceOptions { TimeoutSeconds = 5, BreakSeconds = 3 },
            }),
            Outbound = destinations.ToDictionary(d => d, d => new OutboundOptions { Url = receiver.UrlFor(d).ToString() }),
        };
        var (hub, keys) = DemoAgencies.Apply(Hub.Open(options));
        await using var server = await HubServer.StartAsync(hub, ct, LogLevel.Warning);
        // SIGTERM reaches the host, not the command's token: the demo stops on either (it went on after a SIGTERM before).
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct, server.Stopping);
        ct = stopping.Token;
        var runner = server.Adapters!;

        var total = sources.Simulators.Sum(s => s.RowCount);
        await CliOutput.WithProgressAsync("拉取源系统数据", total, async report =>
        {
            while (!ct.IsCancellationRequested)
            {
                var statuses = runner.Statuses();
                var fetched = statuses.Sum(s => s.Fetched);
                report(fetched, $"{fetched:N0}/{total:N0} 行");
                if (fetched >= total && statuses.All(s => s.CaughtUp)) return 0;
                await Task.Delay(500, ct);
            }
            return 0;
        });
        DemoAgencies.PrintExamples(keys, server, hub.Store.EnterprisesWithProfiles().FirstOrDefault() ?? "9144030071526726XG");
        if (keys.TryGetValue("demo-admin", out var adminKey))
            Console.Error.WriteLine($"  curl -H 'Authorization: Bearer {adminKey}' http://127.0.0.1:{server.HttpPort}/api/admin/stats");
        Console.Error.WriteLine($"  hotline pushes: POST http://127.0.0.1:{server.HttpPort}/api/adapters/hotline-12345/webhook, signed with secret {pushSecret} (docs/adapters.md)");
        Console.Error.WriteLine("New enterprises and changes now trickle in from the simulated sources:");

        var clock = Stopwatch.StartNew();
        using var ticker = new PeriodicTimer(tick);
        try
        {
            while (duration is null || clock.Elapsed < duration)
            {
                await ticker.WaitForNextTickAsync(ct);
                int published = sources.Tick(enterprises: Math.Max(1, generator.Enterprises / 200), updates: 10);
                var s = hub.Store.Stats();
                var sourceLine = string.Join("  ", hub.Store.SourceCounts().Select(c => $"{c.Source} {c.Records:N0}/{c.Quarantined:N0}"));
                Console.Error.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] +{published} rows published · records {s.Records:N0} · profiles {s.Profiles:N0} · quarantined {s.Quarantined:N0} · unresolved {s.Unresolved:N0} · tasks {server.Linkage.Store.Counts().ByState.Values.Sum():N0} · delivered: {string.Join(", ", receiver.Received.GroupBy(m => m.Destination).Select(g => $"{g.Key} {g.Count():N0}"))} · per source (stored/quarantined): {sourceLine}");
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        CliOutput.WriteJson(HttpApi.Stats(hub));
        return 0;
    }

    /// <summary>The e-licence library's verification call (核验), answered from the licences the simulator has published.</summary>
    private static void MapVerification(IEndpointRouteBuilder app, SourceSimulator simulator) =>
        app.MapPost(ELicenceVerifier.VerifyPath, async (HttpContext context) =>
        {
            var request = await JsonNode.ParseAsync(context.Request.Body) as JsonObject ?? [];
            return Results.Json(LicenceVerification.Answer(request, simulator.Published));
        });
}
