using DataHub.Schema.V1;
using Google.Protobuf;

namespace DataHub.Core.Ingest;

/// <summary>
/// The hub's store: the record log with quarantine and the unresolved-name queue, and the profile
/// store with the search index and the name directory. The two sides are written by two stages that
/// run side by side (append, then project); each side's writes are transactional. Embedded: two
/// SQLite files; scale-out: PostgreSQL.
/// </summary>
public interface IHubStore
{
    /// <summary>Starts a unit of record-log work; nothing it does is visible until <see cref="IIngestBatch.Commit"/>.</summary>
    IIngestBatch BeginBatch();

    /// <summary>Starts a unit of profile-store work; it reads the committed record log.</summary>
    IProjectionBatch BeginProjection();

    /// <summary>
    /// Enterprises marked for projection by committed log batches that the profile store has not
    /// caught up with — after a crash between the two commits. Projecting them restores consistency.
    /// </summary>
    PendingProjection PendingProjections();

    EnterpriseProfile? GetProfile(string uscc);

    /// <summary>Every stored version of every record of the enterprise, current or superseded.</summary>
    IReadOnlyList<CanonicalRecord> RecordVersions(string uscc);

    /// <summary>
    /// Record versions of these kinds appended after log position <paramref name="afterSeq"/>, in log
    /// order, and the position read through (the last returned when the page is full, else the log's
    /// end) — for workflows that follow the log as a consumer follows a topic.
    /// </summary>
    LogPage LogAfter(long afterSeq, IReadOnlyCollection<CanonicalRecord.BodyOneofCase> kinds, int limit);

    /// <summary>Every USCC that has at least one current record, in order.</summary>
    IReadOnlyList<string> EnterprisesWithRecords();

    /// <summary>Every USCC that has a stored profile, in order.</summary>
    IReadOnlyList<string> EnterprisesWithProfiles();

    HubStats Stats();

    /// <summary>Throws when the record log, the profile store or the search index does not answer (readiness).</summary>
    void Probe();

    /// <summary>Record versions and waiting quarantine entries per source system, by source.</summary>
    IReadOnlyList<SourceCount> SourceCounts();

    IReadOnlyList<QuarantineEntry> ListQuarantine(bool includeReplayed, int limit);

    IReadOnlyList<UnresolvedRecord> ListUnresolved(int limit);

    /// <summary>Every adapter's stored position and switches, by adapter id.</summary>
    IReadOnlyList<StoredAdapterState> AdapterStates();

    /// <summary>Pauses or resumes an adapter; the switch is stored, so a paused adapter stays paused across restarts.</summary>
    void SetAdapterPaused(string adapterId, bool paused, DateTimeOffset at);

    /// <summary>Outbox messages due for delivery (not delivered, next attempt at or before <paramref name="now"/>), oldest first.</summary>
    IReadOnlyList<OutboxMessage> DueOutbox(DateTimeOffset now, int limit);

    /// <summary>Outbox messages of one destination not yet delivered, after a message id, in id order (for delivery deadlines).</summary>
    IReadOnlyList<OutboxMessage> WaitingOutbox(string destination, long afterId, int limit);

    /// <summary>Records a delivery the receiver acknowledged.</summary>
    void MarkOutboxDelivered(long id, DateTimeOffset at);

    /// <summary>Records a failed delivery attempt and when to try again.</summary>
    void MarkOutboxFailed(long id, string error, DateTimeOffset nextAttemptAt);

    /// <summary>Outbox messages per destination: waiting and delivered.</summary>
    IReadOnlyList<OutboxCount> OutboxCounts();
}

/// <summary>
/// Finds enterprises by name fragment, former name, USCC (whole or prefix), legal representative or
/// address. Embedded: SQLite FTS5 with the trigram tokenizer; scale-out: Elasticsearch.
/// </summary>
public interface IProfileSearch
{
    /// <summary>One page of the enterprises matching the text and every filter, and how many match in all.</summary>
    SearchPage Search(ProfileQuery query);
}

/// <summary>A search: text (may be empty when a filter is set), filters, and the page wanted.</summary>
public sealed record ProfileQuery
{
    public string Text { get; init; } = "";
    public string? DistrictCode { get; init; }
    public RegistrationStatus? Status { get; init; }
    public RiskTier? RiskTier { get; init; }
    public string? CreditGrade { get; init; }
    /// <summary>Industry section letter (GB/T 4754 门类, e.g. "C").</summary>
    public string? IndustrySection { get; init; }
    /// <summary>Only enterprises with a valid licence whose validity ends within these dates (inclusive).</summary>
    public (DateOnly From, DateOnly To)? LicenceExpiring { get; init; }
    /// <summary>Only enterprises with an unresolved commitment whose deadline is before this date.</summary>
    public DateOnly? CommitmentOverdueOn { get; init; }
    public ProfileSort Sort { get; init; } = ProfileSort.Relevance;
    public int Offset { get; init; }
    public int Limit { get; init; } = 20;

    public bool HasFilter => DistrictCode is not null || Status is not null || RiskTier is not null || CreditGrade is not null ||
                             IndustrySection is not null || LicenceExpiring is not null || CommitmentOverdueOn is not null;
}

/// <summary>Orders of search results; ties are broken by USCC.</summary>
public enum ProfileSort { Relevance, Name, Uscc, RiskFirst }

/// <summary>A page of hits and the total number of matches.</summary>
public sealed record SearchPage(IReadOnlyList<SearchHit> Hits, long Total)
{
    /// <summary>Matches are counted up to this many; a broader query says "more than" instead of counting them all.</summary>
    public const int CountCap = 10_000;

    /// <summary>True when more than <see cref="CountCap"/> match (<see cref="Total"/> is then the cap).</summary>
    public bool TotalIsLowerBound { get; init; }
}

public static class ProfileSearchExtensions
{
    /// <summary>The first hits for a text, without filters.</summary>
    public static IReadOnlyList<SearchHit> Search(this IProfileSearch search, string text, int limit) =>
        search.Search(new ProfileQuery { Text = text, Limit = limit }).Hits;
}

/// <summary>One transaction's worth of ingest work.</summary>
public interface IIngestBatch : IDisposable
{
    /// <summary>
    /// Appends a normalized record. The same (source, source_id, content_hash) again is a no-op. A new
    /// version becomes current when it orders after the current one (<c>ProfileProjector.CompareVersions</c>).
    /// </summary>
    AppendOutcome Append(CanonicalRecord record);

    /// <summary>Whether the enterprise has a current record in the log (committed, or appended earlier in this batch).</summary>
    bool HasCurrentRecords(string uscc);

    /// <summary>Keeps a payload that could not be stored. False when the same payload of the same source is already there.</summary>
    bool Quarantine(QuarantineEntry entry);

    void MarkReplayed(long quarantineId, DateTimeOffset at);

    void RecordFailedReplay(long quarantineId, string stage, string reasonCode, string reason, DateTimeOffset at);

    /// <summary>USCCs whose current name or a former name normalizes to <paramref name="normalizedName"/> (as last projected).</summary>
    IReadOnlyList<NameMatch> FindByName(string normalizedName);

    /// <summary>Whether this exact version is in the log — a record without USCC that was attached by name when it came before.</summary>
    bool Contains(string source, string sourceId, string contentHash);

    /// <summary>Parks a record without USCC whose name matched no single enterprise. False when already parked.</summary>
    bool EnqueueUnresolved(CanonicalRecord record, string normalizedName, DateTimeOffset at);

    /// <summary>The distinct normalized names waiting in the unresolved queue.</summary>
    IReadOnlyList<string> UnresolvedNames();

    /// <summary>Removes and returns the parked records with this normalized name.</summary>
    IReadOnlyList<CanonicalRecord> TakeUnresolved(string normalizedName);

    /// <summary>Removes and returns the parked versions of one source row (to attach them by hand).</summary>
    IReadOnlyList<CanonicalRecord> TakeUnresolved(string source, string sourceId);

    /// <summary>
    /// Durably notes, in this transaction, that these enterprises need projecting; returns the ticket
    /// (increasing) that the projection stage hands back when it commits their profiles.
    /// </summary>
    long MarkForProjection(IReadOnlyCollection<string> usccs);

    /// <summary>
    /// Moves an adapter to the position after the rows of this batch and counts them as fetched, in the
    /// same transaction as the records they became, so a restart resumes with no gap and no duplicate.
    /// </summary>
    void SaveAdapterPosition(AdapterPosition position, DateTimeOffset at);

    /// <summary>Writes a message to deliver after the commit (outbox). False when its idempotency key is already there.</summary>
    bool EnqueueOutbox(OutboxIntent intent, DateTimeOffset at);

    void Commit();
}

/// <summary>One transaction of the projection stage.</summary>
public interface IProjectionBatch : IDisposable
{
    /// <summary>The current version of every record of the enterprise, as committed in the log.</summary>
    IReadOnlyList<CanonicalRecord> CurrentRecords(string uscc);

    /// <summary>Stores the profile, its search-index row and its names in the name directory.</summary>
    void SaveProfile(EnterpriseProfile profile);

    void DeleteProfile(string uscc);

    /// <summary>Commits, recording that every ticket up to <paramref name="projectedThrough"/> is projected.</summary>
    void Commit(long projectedThrough);
}

public static class HubStoreExtensions
{
    /// <summary>Records of one kind after a log position.</summary>
    public static LogPage LogAfter(this IHubStore store, long afterSeq, CanonicalRecord.BodyOneofCase kind, int limit) => store.LogAfter(afterSeq, [kind], limit);
}

/// <summary>Records read from the log after a position, and the position read through.</summary>
public sealed record LogPage(IReadOnlyList<CanonicalRecord> Records, long Through);

/// <summary>Enterprises still to project and the ticket that covers them.</summary>
public sealed record PendingProjection(IReadOnlyList<string> Usccs, long Through);

/// <summary>What appending one record did.</summary>
public readonly record struct AppendOutcome(bool Appended, bool BecameCurrent, string? SupersededUscc)
{
    public static readonly AppendOutcome Duplicate = new(false, false, null);
}

/// <summary>An enterprise a name matched, and whether it matched a former name.</summary>
public readonly record struct NameMatch(string Uscc, bool FormerName);

/// <summary>Counts for operators (`datahub stats`).</summary>
public sealed record HubStats(long Records, long CurrentRecords, long Profiles, long Quarantined, long Unresolved);

/// <summary>Counts of one source system.</summary>
public sealed record SourceCount(string Source, long Records, long Quarantined);

/// <summary>Where an adapter is after a batch of rows: its checkpoint in the source and how many rows the batch held.</summary>
public sealed record AdapterPosition(string AdapterId, string Checkpoint, long RowsFetched);

/// <summary>An adapter's stored state: checkpoint, rows fetched so far, and whether an operator paused it.</summary>
public sealed record StoredAdapterState(string AdapterId, string Checkpoint, long Fetched, bool Paused, DateTimeOffset UpdatedAt)
{
    /// <summary>The source system: the part of the adapter id before the slash ("market-supervision/penalties").</summary>
    public string Source => AdapterId.Split('/')[0];
}

/// <summary>
/// A message to another system, caused by a change the hub stores: the destination (an outbound
/// adapter), a key that makes delivery idempotent (the receiver sees it once), a kind, and the body.
/// </summary>
public sealed record OutboxIntent(string Destination, string IdempotencyKey, string Kind, byte[] Payload);

/// <summary>An outbox message with its delivery state.</summary>
public sealed record OutboxMessage(long Id, OutboxIntent Intent, DateTimeOffset CreatedAt, int Attempts, string? LastError, DateTimeOffset? DeliveredAt);

/// <summary>Outbox messages of one destination.</summary>
public sealed record OutboxCount(string Destination, long Waiting, long Delivered, long Failing);

/// <summary>
/// Decides which outbound messages a stored record causes (e.g. a penalty is published to the credit
/// platform, 双公示). Pure: the pipeline writes the intents in the record's own transaction.
/// </summary>
public interface IOutboxPolicy
{
    IEnumerable<OutboxIntent> IntentsFor(CanonicalRecord stored);
}

/// <summary>A payload that could not be stored, with why; replayable.</summary>
public sealed record QuarantineEntry
{
    public long Id { get; init; }
    public required string Source { get; init; }
    public required string Format { get; init; }
    public required string Origin { get; init; }
    public required byte[] Payload { get; init; }
    public required string Stage { get; init; }
    public required string ReasonCode { get; init; }
    public required string Reason { get; init; }
    public required DateTimeOffset QuarantinedAt { get; init; }
    public int ReplayAttempts { get; init; }
    public DateTimeOffset? ReplayedAt { get; init; }
}

/// <summary>A record waiting for its enterprise to be known.</summary>
public sealed record UnresolvedRecord(string Source, string SourceId, string EnterpriseName, string NormalizedName, DateTimeOffset EnqueuedAt);

/// <summary>One search result.</summary>
public sealed record SearchHit(string Uscc, string Name, string DistrictCode, RegistrationStatus Status, RiskTier RiskTier, string CreditGrade)
{
    /// <summary>The indexed texts, half-width folded: name, former names, legal representative, address (for highlighting).</summary>
    public IReadOnlyList<string> IndexedTexts { get; init; } = [];

    /// <summary>Industry section letter (GB/T 4754 门类), "" when unknown.</summary>
    public string Industry { get; init; } = "";
}

/// <summary>
/// Where adapters, webhooks and the ingest API hand what they fetched or were sent: the embedded
/// pipeline (stored before it returns), or the bus's raw topic (Kafka mode: the stages store it; the
/// outcomes are then <see cref="RecordOutcomeKind.Queued"/>). Either way the adapter's position moves
/// only once the records are safe, so a restart neither skips nor loses a row.
/// </summary>
public interface IRawIntake
{
    Task<(IReadOnlyList<RecordOutcome> Outcomes, IngestSummary Summary)> SubmitAsync(IReadOnlyList<RawRecord> input, AdapterPosition? position, CancellationToken cancellationToken = default);
}

/// <summary>
/// Events the workflows stored, waiting to be relayed to the bus (Kafka mode): each is written in the
/// transaction of the step it describes and removed only once the bus has it, so a crash between the
/// commit and the broker's acknowledgement delays an event instead of losing it.
/// </summary>
public interface IBusOutbox
{
    /// <summary>The oldest waiting events, in the order they were stored.</summary>
    IReadOnlyList<BusOutboxEntry> Next(int limit);

    /// <summary>Removes every event up to and including <paramref name="throughId"/> (relayed).</summary>
    void Remove(long throughId);
}

/// <summary>A stored event for a topic: its key, the protobuf type's full name and the encoded value.</summary>
public sealed record BusOutboxEntry(long Id, string Topic, string Key, string Type, byte[] Payload);

/// <summary>The bus between stages and to subscribers. Embedded: in-process channels; scale-out: Kafka.</summary>
public interface IEventBus
{
    ValueTask PublishAsync(string topic, string key, IMessage message, CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether a message published to <paramref name="topic"/> now would reach anyone. A publisher that
    /// would hold many messages until a commit holds them only when something will receive them.
    /// </summary>
    bool HasSubscribers(string topic);
}

/// <summary>Topic names (ARCHITECTURE.md, "Interfaces").</summary>
public static class Topics
{
    /// <summary>Every appended record version; key USCC; value CanonicalRecord.</summary>
    public const string Records = "datahub.records.v1";

    /// <summary>
    /// Every profile after it changed; key USCC; value EnterpriseProfile (compacted). A profile with
    /// record_count 0 says the enterprise no longer has any record (a tombstone).
    /// </summary>
    public const string Profiles = "datahub.profiles.v1";

    /// <summary>Every step of every regulatory task; key task id; value LinkageEvent.</summary>
    public const string Linkage = "datahub.linkage.v1";

    /// <summary>Every step of every data pull; key pull id; value PullEvent.</summary>
    public const string Pulls = "datahub.pulls.v1";
}
