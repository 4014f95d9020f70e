using DataHub.Core.Workflows;
using DataHub.Schema.V1;

namespace DataHub.Core.Linkage;

/// <summary>
/// Linkage state: regulatory tasks and their histories, the completed approvals no catalogue row
/// matched, the position in the record log followed so far, and the catalogue's revisions.
/// Embedded: SQLite (workflow.db); scale-out: PostgreSQL.
/// </summary>
public interface ILinkageStore
{
    /// <summary>The record-log position (sequence number) whose records have all been looked at.</summary>
    long Cursor();

    /// <summary>
    /// Stores what a page of the log (or a re-match) gave, in one transaction: the new tasks (a case
    /// that already has its task is skipped), approvals waiting for a catalogue match, the waiting
    /// approvals now matched, and the new cursor. Returns the tasks actually created.
    /// </summary>
    IReadOnlyList<TaskStep> StorePage(IReadOnlyList<TaskStep> created, IReadOnlyList<UnmatchedCase> unmatched, IReadOnlyList<UnmatchedCase> matched, long cursor);

    /// <summary>Reads the task, lets <paramref name="decide"/> take a step (or none) and stores it, in one transaction. NOT_FOUND for an unknown id.</summary>
    TaskStep? Update(string id, Func<RegulatoryTask, TaskStep?> decide);

    RegulatoryTask? Get(string id);

    IReadOnlyList<LinkageEvent> History(string id);

    /// <summary>One page of a view, newest first.</summary>
    TaskPage List(TaskListQuery query);

    /// <summary>Every task of one enterprise, newest first (the profile's 监管任务 section).</summary>
    IReadOnlyList<RegulatoryTask> TasksOf(string uscc);

    /// <summary>Ids of tasks whose next deadline action is at or before <paramref name="now"/>.</summary>
    IReadOnlyList<string> DueForAction(DateTimeOffset now, int limit);

    /// <summary>Tasks not yet handed to the regulation platform's outbox (after a crash between the two stores).</summary>
    IReadOnlyList<RegulatoryTask> Unpushed(int limit);

    void MarkPushed(string id);

    /// <summary>Tasks with a REVOKE_PERMIT result not yet returned to the approval side (after a crash half-way).</summary>
    IReadOnlyList<RegulatoryTask> PendingRevocations(int limit);

    /// <summary>
    /// Reads the tracked commitment (null before its first sight), lets <paramref name="decide"/> take a
    /// step (or none) and stores it with its event, in one transaction.
    /// </summary>
    CommitmentStep? TrackCommitment(string code, Func<TrackedCommitment?, CommitmentStep?> decide);

    /// <summary>Codes of commitments whose next deadline action (reminder, overdue) is at or before <paramref name="now"/>.</summary>
    IReadOnlyList<string> CommitmentsDue(DateTimeOffset now, int limit);

    /// <summary>One page of tracked commitments, newest first; of one enterprise when <paramref name="uscc"/> is given.</summary>
    (IReadOnlyList<TrackedCommitment> Commitments, long? Next) ListCommitments(CommitmentView view, int limit, long? before, string? uscc = null);

    /// <summary>One tracked commitment, or null.</summary>
    TrackedCommitment? GetCommitment(string code);

    /// <summary>Every event of a tracked commitment, in order.</summary>
    IReadOnlyList<LinkageEvent> CommitmentHistory(string code);

    /// <summary>Records the alert for a 双公示 message past its deadline; false when it was alerted before.</summary>
    bool MarkPublicityAlert(string idempotencyKey, DateTimeOffset at);

    /// <summary>How many 双公示 messages were alerted as past their deadline.</summary>
    long PublicityAlerts();

    /// <summary>Completed approvals waiting for a catalogue match, oldest first, and how many wait in all.</summary>
    (IReadOnlyList<UnmatchedCase> Cases, long Total) Unmatched(int limit);

    StoredLinkageCatalogue? LatestCatalogue();

    /// <summary>Stores a new catalogue revision; ABORTED when the latest revision is not <paramref name="expectedRevision"/>.</summary>
    StoredLinkageCatalogue SaveCatalogue(string csv, int expectedRevision, string editedBy, DateTimeOffset at);

    /// <summary>Tasks per state and open view-overdue tasks.</summary>
    (IReadOnlyDictionary<TaskState, long> ByState, long ViewOverdue) Counts();
}

/// <summary>A completed approval case no catalogue row matched, with the record it came from (to match it again later).</summary>
public sealed record UnmatchedCase(CanonicalRecord Case, DateTimeOffset ListedAt);

/// <summary>Which tasks a caller lists.</summary>
public sealed record TaskListQuery(TaskView View, WorkflowActor Actor, TaskState? State, int Limit, long? Before);

/// <summary>A page of tasks and the position to continue from (null on the last page).</summary>
public sealed record TaskPage(IReadOnlyList<RegulatoryTask> Tasks, long? Next);

/// <summary>A linkage catalogue revision as stored.</summary>
public sealed record StoredLinkageCatalogue(int Revision, string Csv, string EditedBy, DateTimeOffset EditedAt);
