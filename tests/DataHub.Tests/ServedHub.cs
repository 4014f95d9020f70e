using DataHub.Adapters;
using DataHub.Adapters.Hotline12345;
using DataHub.Simulators;
using DataHub.Synthetic;

namespace DataHub.Tests;

/// <summary>
/// The hub served on loopback (any free ports) with the test agencies, its adapters pulling from the
/// five simulated sources until caught up; the hotline accepts pushes signed with <see cref="PushSecret"/>.
/// </summary>
internal sealed class ServedHub : IAsyncDisposable
{
    public const string PushSecret = "test-push-secret";

    private ServedHub(SimulatedSources sources, Hub hub, HubServer server, Dictionary<string, string> keys)
    {
        Sources = sources;
        Hub = hub;
        Server = server;
        Keys = keys;
    }

    public SimulatedSources Sources { get; }
    public Hub Hub { get; }
    public HubServer Server { get; }
    public Dictionary<string, string> Keys { get; }
    public Uri HttpAddress => new($"http://127.0.0.1:{Server.HttpPort}/");

    public static async Task<ServedHub> StartAsync(int enterprises, int seed, Func<HubOptions, HubOptions>? configure = null)
    {
        var simulators = SourceSystems.All.Select((s, i) => new SourceSimulator(s, seed + i)).ToList();
        var sources = new SimulatedSources(simulators, new GeneratorOptions { Enterprises = enterprises, Seed = seed }, enterprises);
        await sources.StartAsync();
        var (agencies, keys) = GrpcInteropTests.TestAgencies();
        var options = HubOptions.Load(Path.Combine(Path.GetTempPath(), "datahub-served-" + Guid.NewGuid().ToString("N"), "data"));
        options = options with
        {
            Agencies = agencies,
            Server = options.Server with { GrpcPort = 0, HttpPort = 0 },
            Adapters = SourceSystems.All.ToDictionary(s => s.Source, s => new AdapterOptions
            {
                BaseAddress = sources[s.Source].BaseAddress.ToString(),
                PollIntervalSeconds = 0.2,
                WebhookSecret = s.Source == Hotline12345Source.Name ? PushSecret : "",
            }),
        };
        var hub = Hub.Open(configure is null ? options : configure(options));
        var server = await HubServer.StartAsync(hub, CancellationToken.None, Microsoft.Extensions.Logging.LogLevel.Warning);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!server.Adapters!.Statuses().All(s => s.CaughtUp) && DateTime.UtcNow < deadline) await Task.Delay(100);
        return new ServedHub(sources, hub, server, keys);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Sources.DisposeAsync();
        try { Directory.Delete(Path.GetDirectoryName(Hub.Options.DataDirectory)!, recursive: true); } catch (IOException) { }
    }
}
