using DataHub.Adapters;
using DataHub.Core.Ingest;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using DataHub.Synthetic;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Simulators;

/// <summary>
/// The source systems of a demo or a test, filled from the synthetic generator (合成数据): the first
/// enterprises are there from the start, the rest arrive tick by tick with updates to rows already
/// published (complaints closed, licences revoked, list entries lifted, cases completed), each change
/// with an update time later than any served before.
/// </summary>
public sealed class SimulatedSources : IAsyncDisposable
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default);

    private readonly Dictionary<string, SourceSimulator> _simulators;
    private readonly Queue<IReadOnlyList<GeneratedLine>> _pending;
    private readonly List<CanonicalRecord> _updatable = [];
    private readonly Random _random;
    private DateTimeOffset _clock;

    /// <param name="sources">The systems to simulate; generated lines of other sources are skipped.</param>
    /// <param name="initialEnterprises">Enterprises published before the first request.</param>
    /// <param name="laterEnterprises">Enterprises kept back for <see cref="Tick"/>.</param>
    public SimulatedSources(IEnumerable<SourceSimulator> sources, GeneratorOptions generator, int initialEnterprises)
    {
        _simulators = sources.ToDictionary(s => s.System.Source, StringComparer.Ordinal);
        _random = new Random(generator.Seed);
        _pending = new Queue<IReadOnlyList<GeneratedLine>>(new SyntheticDataGenerator(generator).GenerateByEnterprise());
        _clock = ChinaDates.EndOf(generator.Horizon);
        var initial = new List<GeneratedLine>();
        for (int i = 0; i < initialEnterprises && _pending.Count > 0; i++) initial.AddRange(_pending.Dequeue());
        Publish(initial, restamp: false);
    }

    public IReadOnlyCollection<SourceSimulator> Simulators => _simulators.Values;

    public SourceSimulator this[string source] => _simulators[source];

    /// <summary>Enterprises not yet published.</summary>
    public int EnterprisesWaiting => _pending.Count;

    public async Task StartAsync()
    {
        foreach (var simulator in _simulators.Values) await simulator.StartAsync();
    }

    /// <summary>Sets the faults of every simulated source (a fault window opens or closes).</summary>
    public void SetFaults(SimulatorFaults faults)
    {
        foreach (var simulator in _simulators.Values) simulator.Faults = faults;
    }

    /// <summary>Publishes the next enterprises and updates of earlier rows; returns the rows published.</summary>
    public int Tick(int enterprises, int updates)
    {
        var lines = new List<GeneratedLine>();
        for (int i = 0; i < enterprises && _pending.Count > 0; i++) lines.AddRange(_pending.Dequeue());
        int published = Publish(lines, restamp: true);
        var changed = new List<(CanonicalRecord, ExpectedFate)>();
        for (int i = 0; i < updates && _updatable.Count > 0; i++)
        {
            int index = _random.Next(_updatable.Count);
            var record = _updatable[index].Clone();
            if (!Change(record)) continue;
            record.UpdatedAt = Timestamp.FromDateTimeOffset(NextInstant());
            _updatable[index] = record;
            changed.Add((record, ExpectedFate.Stored));
        }
        foreach (var group in changed.GroupBy(c => c.Item1.Source))
            if (_simulators.TryGetValue(group.Key, out var simulator)) published += simulator.Publish(group);
        return published;
    }

    private int Publish(IEnumerable<GeneratedLine> lines, bool restamp)
    {
        var at = restamp ? NextInstant() : default;
        int published = 0;
        foreach (var group in lines.GroupBy(l => l.Source))
        {
            if (!_simulators.TryGetValue(group.Key, out var simulator)) continue;
            var records = new List<(CanonicalRecord, ExpectedFate)>();
            foreach (var line in group)
            {
                CanonicalRecord record;
                // The generator's malformed lines are broken canonical JSON; the simulators make their own malformed rows.
                try { record = Parser.Parse<CanonicalRecord>(line.Json); }
                catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException or FormatException) { continue; }
                if (restamp) record.UpdatedAt = Timestamp.FromDateTimeOffset(at);
                records.Add((record, line.Fate));
                if (line.Fate == ExpectedFate.Stored && record.Uscc.Length > 0 && Changeable(record)) _updatable.Add(record);
            }
            published += simulator.Publish(records);
        }
        return published;
    }

    /// <summary>A time after every update time served so far (to the second, as the sources write it).</summary>
    private DateTimeOffset NextInstant()
    {
        var now = DateTimeOffset.UtcNow;
        _clock = now > _clock.AddSeconds(1) ? new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero) : _clock.AddSeconds(1);
        return _clock;
    }

    private static bool Changeable(CanonicalRecord r) => r.BodyCase is CanonicalRecord.BodyOneofCase.Complaint or CanonicalRecord.BodyOneofCase.Licence
        or CanonicalRecord.BodyOneofCase.ListEntry or CanonicalRecord.BodyOneofCase.Commitment;

    /// <summary>The kind of change a source makes to a row later; false when the row has nothing left to change.</summary>
    private bool Change(CanonicalRecord r)
    {
        switch (r.BodyCase)
        {
            case CanonicalRecord.BodyOneofCase.Complaint when !r.Complaint.Closed:
                r.Complaint.Closed = true;
                r.Complaint.Substantiated = _random.Next(2) == 0;
                return true;
            case CanonicalRecord.BodyOneofCase.Licence when r.Licence.Status == LicenceStatus.Valid:
                r.Licence.Status = _random.Next(2) == 0 ? LicenceStatus.Cancelled : LicenceStatus.Revoked;
                return true;
            case CanonicalRecord.BodyOneofCase.ListEntry when r.ListEntry.RemovedOn.Length == 0:
                r.ListEntry.RemovedOn = ChinaDates.Format(ChinaDates.DateOf(_clock));
                r.ListEntry.RemovalReason = "已履行相关义务，申请移出";
                return true;
            case CanonicalRecord.BodyOneofCase.Commitment when r.Commitment.Status == CommitmentStatus.Pending:
                r.Commitment.Status = _random.Next(5) == 0 ? CommitmentStatus.Broken : CommitmentStatus.Kept;
                r.Commitment.ResolvedOn = ChinaDates.Format(ChinaDates.DateOf(_clock));
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// What the hub's store holds against what the simulators served: each distinct row served must be
    /// stored, quarantined, or waiting for its enterprise's name — once. (A name-only row expected to
    /// resolve may still wait when its enterprise's registration was served malformed; a version of an
    /// update-time row superseded before the client asked beyond it may or may not have reached the
    /// hub, as with a real source that shows only the latest version.) Empty when exact.
    /// </summary>
    public IReadOnlyList<string> Discrepancies(IHubStore store)
    {
        var counts = store.SourceCounts().ToDictionary(c => c.Source);
        var unresolved = store.ListUnresolved(int.MaxValue).GroupBy(u => u.Source).ToDictionary(g => g.Key, g => (long)g.Count());
        var problems = new List<string>();
        foreach (var simulator in _simulators.Values)
        {
            var served = simulator.ServedByFate();
            var maybe = simulator.MaybeServedByFate();
            var source = simulator.System.Source;
            long expectedKept = served.GetValueOrDefault(ExpectedFate.Stored) + served.GetValueOrDefault(ExpectedFate.Unresolved);
            long maybeKept = maybe.GetValueOrDefault(ExpectedFate.Stored) + maybe.GetValueOrDefault(ExpectedFate.Unresolved);
            long expectedQuarantined = served.GetValueOrDefault(ExpectedFate.Quarantined), maybeQuarantined = maybe.GetValueOrDefault(ExpectedFate.Quarantined);
            long stored = counts.GetValueOrDefault(source)?.Records ?? 0, waiting = unresolved.GetValueOrDefault(source);
            long quarantined = counts.GetValueOrDefault(source)?.Quarantined ?? 0;
            if (stored + waiting < expectedKept || stored + waiting > expectedKept + maybeKept)
                problems.Add($"{source}: {expectedKept} distinct rows served (and up to {maybeKept} superseded versions) should be stored or waiting for a name; found {stored} stored + {waiting} waiting");
            if (quarantined < expectedQuarantined || quarantined > expectedQuarantined + maybeQuarantined)
                problems.Add($"{source}: {expectedQuarantined} rows (and up to {maybeQuarantined} superseded ones) should be quarantined; found {quarantined}");
            if (waiting < served.GetValueOrDefault(ExpectedFate.Unresolved))
                problems.Add($"{source}: {served.GetValueOrDefault(ExpectedFate.Unresolved)} rows name unknown enterprises and should wait; found {waiting} waiting");
        }
        return problems;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var simulator in _simulators.Values) await simulator.DisposeAsync();
    }
}
