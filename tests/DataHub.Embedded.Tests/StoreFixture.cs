using DataHub.Adapters.Import;
using DataHub.Core.Ingest;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using DataHub.Synthetic;
using Google.Protobuf;

namespace DataHub.Embedded.Tests;

/// <summary>A fresh store in a temporary folder, deleted afterwards, with the pipeline wired as the host does.</summary>
public sealed class TempHub : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "datahub-test-" + Guid.NewGuid().ToString("N"));

    public TempHub(IReadOnlySet<string>? allowList = null, int batchSize = 512)
    {
        Store = new SqliteHubStore(Path.Combine(_directory, "hub.db"));
        Bus = new InProcessEventBus();
        Pipeline = new IngestPipeline(Store, Bus, new RecordNormalizer(allowList), [new CanonicalJsonLinesMapper()], TimeProvider.System, new IngestOptions { BatchSize = batchSize });
    }

    public SqliteHubStore Store { get; }
    public InProcessEventBus Bus { get; }
    public IngestPipeline Pipeline { get; }

    /// <summary>The same store with another configuration (a changed allow-list, say), as after a restart.</summary>
    public IngestPipeline PipelineWith(IReadOnlySet<string> allowList) =>
        new(Store, Bus, new RecordNormalizer(allowList), [new CanonicalJsonLinesMapper()], TimeProvider.System, new IngestOptions { BatchSize = 512 });

    public Task<IngestSummary> IngestLinesAsync(IEnumerable<string> jsonLines, IngestPipeline? pipeline = null) =>
        (pipeline ?? Pipeline).IngestAsync(jsonLines.Select((line, i) => Raw(line, i + 1)));

    public static RawRecord Raw(string line, int lineNo) => new()
    {
        Source = CanonicalJsonLinesFile.Source,
        Format = CanonicalJsonLinesMapper.FormatName,
        Origin = $"test.jsonl:{lineNo}",
        Payload = ByteString.CopyFromUtf8(line),
    };

    public static List<GeneratedLine> Generate(int enterprises, int seed, double dirtRate = 0.05) =>
        new SyntheticDataGenerator(new GeneratorOptions { Enterprises = enterprises, Seed = seed, DirtRate = dirtRate }).Generate().ToList();

    public void Dispose()
    {
        Store.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, true); } catch (IOException) { }
    }
}
