using DataHub.Adapters.CreditPlatform;
using DataHub.Adapters.ELicence;
using DataHub.Adapters.Hotline12345;
using DataHub.Adapters.MarketSupervision;
using DataHub.Adapters.ProvincialPlatform;
using DataHub.Core.Ingest;
using DataHub.Core.Outbound;
using DataHub.Core.Records;
using DataHub.Embedded;
using DataHub.Simulators;
using DataHub.Synthetic;
using Microsoft.Extensions.Logging.Abstractions;

namespace DataHub.Adapters.Tests;

/// <summary>
/// The five source systems simulated on loopback with synthetic data, and a hub store in a temporary
/// folder with the pipeline wired as the host wires it; runners are started and stopped by the test.
/// </summary>
public sealed class AdapterFixture : IAsyncDisposable
{
    public static readonly IReadOnlyList<ISourceSystem> Systems =
        [new ProvincialPlatformSource(), new Hotline12345Source(), new MarketSupervisionSource(), new CreditPlatformSource(), new ELicenceSource()];

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "datahub-adapters-" + Guid.NewGuid().ToString("N"));

    private AdapterFixture(SimulatedSources sources)
    {
        Sources = sources;
        Store = new SqliteHubStore(Path.Combine(_directory, "hub.db"));
        Pipeline = NewPipeline();
    }

    public SimulatedSources Sources { get; }
    public SqliteHubStore Store { get; }
    public IngestPipeline Pipeline { get; }

    public static async Task<AdapterFixture> StartAsync(int enterprises, int initial, int seed, double malformedRows = 0)
    {
        var simulators = Systems.Select((s, i) => new SourceSimulator(s, seed + i) { Faults = new SimulatorFaults { MalformedRows = malformedRows } }).ToList();
        var sources = new SimulatedSources(simulators, new GeneratorOptions { Enterprises = enterprises, Seed = seed, DirtRate = 0.1 }, initial);
        await sources.StartAsync();
        return new AdapterFixture(sources);
    }

    /// <summary>A pipeline over the same store, as a restarted hub would have.</summary>
    public IngestPipeline NewPipeline() => new(Store, new InProcessEventBus(), new RecordNormalizer(),
        Systems.SelectMany(s => s.Feeds).Select(f => f.Mapper), TimeProvider.System,
        new IngestOptions { OutboxPolicies = [new CreditPublicityPolicy()] });

    public AdapterRunner NewRunner(IngestPipeline? pipeline = null, int pageSize = 50, double timeoutSeconds = 1) => new(Systems,
        Systems.ToDictionary(s => s.Source, s => new AdapterOptions
        {
            BaseAddress = Sources[s.Source].BaseAddress.ToString(),
            PageSize = pageSize,
            PollIntervalSeconds = 0.2,
            Resilience = new ResilienceOptions
            {
                TimeoutSeconds = timeoutSeconds, MaxRetries = 3, RetryDelaySeconds = 0.02, BreakSeconds = 0.5,
                BreakerMinimumThroughput = 20, BreakerFailureRatio = 0.9, RequestsPerSecond = 1000,
            },
        }),
        _ => new HttpClient(), pipeline ?? Pipeline, Store, TimeProvider.System, NullLogger<AdapterRunner>.Instance);

    /// <summary>Waits until every adapter has read everything (two polls in a row caught up), or fails after the timeout.</summary>
    public static async Task WaitCaughtUpAsync(AdapterRunner runner, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        int streak = 0;
        while (DateTime.UtcNow < deadline)
        {
            var statuses = runner.Statuses();
            streak = statuses.All(s => s.CaughtUp && s.State == AdapterRunState.Running) ? streak + 1 : 0;
            if (streak >= 3) return;
            await Task.Delay(200);
        }
        Assert.Fail("Adapters did not catch up: " + string.Join("; ", runner.Statuses().Select(s => $"{s.Id} {s.State} caughtUp={s.CaughtUp} fetched={s.Fetched} error={s.LastError}")));
    }

    /// <summary>Asserts that the store holds exactly what the simulators served (<see cref="SimulatedSources.Discrepancies"/>).</summary>
    public void AssertCountExact()
    {
        var problems = Sources.Discrepancies(Store);
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\nwaiting: " +
            string.Join("; ", Store.ListUnresolved(20).Select(u => $"{u.Source}/{u.SourceId} '{u.EnterpriseName}'")) +
            "\nunacknowledged: " + string.Join(", ", Sources.Simulators.Select(s => $"{s.System.Source} {s.Unacknowledged}")));
    }

    public async ValueTask DisposeAsync()
    {
        await Sources.DisposeAsync();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
