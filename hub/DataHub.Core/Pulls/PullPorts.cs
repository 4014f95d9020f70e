using DataHub.Core.Workflows;
using DataHub.Schema.V1;

namespace DataHub.Core.Pulls;

/// <summary>
/// The workflow state of data pulls: pulls, their histories, the e-material library and the
/// catalogue's revisions. Each step is atomic (the pull, its event, a library material) and durable
/// when its task completes; steps of one pull are serialized. Embedded: SQLite (workflow.db); scale-out: PostgreSQL with
/// <c>SELECT … FOR UPDATE</c> and due-work scans with <c>SKIP LOCKED</c>.
/// </summary>
public interface IPullStore
{
    /// <summary>Stores a new pull: reserves the next id ("DP-yyyyMMdd-NNNNNN" for <paramref name="day"/>) and stores what <paramref name="build"/> makes of it.</summary>
    Task<PullStep> CreateAsync(DateOnly day, Func<string, PullStep> build);

    /// <summary>
    /// Reads the pull, lets <paramref name="decide"/> take a step (or none: null) and stores it, all in
    /// one transaction; concurrent steps on the same pull wait for each other. NOT_FOUND when there is no such pull.
    /// </summary>
    Task<PullStep?> UpdateAsync(string id, Func<DataPull, PullStep?> decide);

    DataPull? Get(string id);

    /// <summary>Every event of the pull, in order.</summary>
    IReadOnlyList<PullEvent> History(string id);

    /// <summary>One page of a view, newest first; evidence content left out.</summary>
    PullPage List(PullListQuery query);

    /// <summary>Ids of pulls whose next deadline action (reminder, overdue) is at or before <paramref name="now"/>.</summary>
    IReadOnlyList<string> DueForAction(DateTimeOffset now, int limit);

    /// <summary>The newest material of the item type for the enterprise that is still valid on <paramref name="day"/>.</summary>
    LibraryMaterial? LatestMaterial(string uscc, string itemType, DateOnly day);

    /// <summary>The catalogue in force, or null before the first one is stored.</summary>
    StoredPullCatalogue? LatestCatalogue();

    /// <summary>Stores a new catalogue revision; ABORTED (<see cref="WorkflowRuleException"/>) when the latest revision is not <paramref name="expectedRevision"/>.</summary>
    Task<StoredPullCatalogue> SaveCatalogueAsync(string document, int expectedRevision, string editedBy, DateTimeOffset at);

    PullCounts Counts();
}

/// <summary>Which pulls a caller lists: the view, the caller, a state filter, and the page (rows before a position).</summary>
public sealed record PullListQuery(PullView View, WorkflowActor Actor, PullState? State, int Limit, long? Before);

/// <summary>A page of pulls and the position to continue from (null on the last page).</summary>
public sealed record PullPage(IReadOnlyList<DataPull> Pulls, long? Next);

/// <summary>A catalogue revision as stored.</summary>
public sealed record StoredPullCatalogue(int Revision, string Document, string EditedBy, DateTimeOffset EditedAt);

/// <summary>Counts for operators: pulls per state, open overdue demands, library answers, materials in the library.</summary>
public sealed record PullCounts(IReadOnlyDictionary<PullState, long> ByState, long Overdue, long AnsweredFromLibrary, long Materials);

/// <summary>The e-licence library (电子证照库): the licences it holds for an enterprise, with their lineage.</summary>
public interface ILicenceLibrary
{
    ValueTask<IReadOnlyList<LicenceEntry>> LicencesAsync(string uscc, CancellationToken cancellationToken);
}
