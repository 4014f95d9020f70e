using DataHub.Adapters.Import;
using DataHub.Core.Ingest;
using DataHub.Core.Outbound;
using DataHub.Core.Records;
using DataHub.Embedded;

namespace DataHub;

/// <summary>The composition root: the embedded backends wired to the domain pipeline.</summary>
internal sealed class Hub : IDisposable
{
    private Hub(HubOptions options)
    {
        Options = options;
        Store = new SqliteHubStore(options.DatabasePath);
        Bus = new InProcessEventBus();
        Pipeline = CreatePipeline(Store, Bus, options);
        Intake = Pipeline;
    }

    /// <summary>The pipeline over a store and a bus, with every mapper and outbox policy (the Kafka stages use it with the Kafka bus).</summary>
    public static IngestPipeline CreatePipeline(IHubStore store, IEventBus bus, HubOptions options) =>
        new(store, bus, new RecordNormalizer(options.UsccAllowList),
            [new CanonicalJsonLinesMapper(), new CanonicalRecordMapper(), .. SourceSystems.All.SelectMany(s => s.Feeds).Select(f => f.Mapper)], TimeProvider.System,
            new IngestOptions { BatchSize = options.BatchSize, CommitSize = options.CommitSize, OutboxPolicies = [new CreditPublicityPolicy()] });

    /// <summary>Where adapters, webhooks and the ingest API hand raw records: the pipeline, or datahub.raw.v1 in Kafka mode.</summary>
    public IRawIntake Intake { get; private set; }

    /// <summary>Kafka mode (set once at start-up, before anything reads it): raw records go to datahub.raw.v1.</summary>
    public void UseKafka(KafkaPipelineHost kafka) => Intake = new Kafka.KafkaRawIngress(kafka.Bus, Store, TimeProvider.System);

    public HubOptions Options { get; }
    public SqliteHubStore Store { get; }
    public InProcessEventBus Bus { get; }
    public IngestPipeline Pipeline { get; }

    public static Hub Open(HubOptions options) => new(options);

    /// <summary>Closes the store's kept connections (a command that ends the process need not).</summary>
    public void Dispose() => Store.Dispose();
}
