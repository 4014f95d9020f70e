using System.Globalization;
using DataHub.Core.Ingest;
using DataHub.Core.Linkage;
using DataHub.Core.Workflows;
using DataHub.Schema.V1;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using static DataHub.Embedded.SqliteHubStore;

namespace DataHub.Embedded;

/// <summary>
/// Linkage state in workflow.db (beside the pulls): tasks with the columns their views and the
/// deadline scan filter on, each task's events, the unmatched approvals, the log cursor and the
/// catalogue's revisions. Tasks come at the pace of completed approvals, so one connection under a
/// lock writes them; each step and each page of the log is one transaction.
/// </summary>
public sealed class SqliteLinkageStore : ILinkageStore, IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS linkage_tasks(
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            case_source TEXT NOT NULL,
            case_source_id TEXT NOT NULL,
            regulator TEXT NOT NULL,
            uscc TEXT NOT NULL,
            state INTEGER NOT NULL,
            overdue INTEGER NOT NULL,
            next_action_at INTEGER,
            pushed INTEGER NOT NULL,
            loop_pending INTEGER NOT NULL DEFAULT 0,
            task BLOB NOT NULL,
            UNIQUE(case_source, case_source_id));
        CREATE INDEX IF NOT EXISTS linkage_tasks_regulator ON linkage_tasks(regulator, seq);
        CREATE INDEX IF NOT EXISTS linkage_tasks_uscc ON linkage_tasks(uscc, seq);
        CREATE INDEX IF NOT EXISTS linkage_tasks_due ON linkage_tasks(next_action_at) WHERE next_action_at IS NOT NULL;
        CREATE INDEX IF NOT EXISTS linkage_tasks_unpushed ON linkage_tasks(pushed) WHERE pushed = 0;
        CREATE INDEX IF NOT EXISTS linkage_tasks_loop ON linkage_tasks(loop_pending) WHERE loop_pending = 1;
        CREATE TABLE IF NOT EXISTS linkage_events(
            task_seq INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            type INTEGER NOT NULL,
            event BLOB NOT NULL,
            PRIMARY KEY(task_seq, seq)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS linkage_unmatched(
            case_source TEXT NOT NULL,
            case_source_id TEXT NOT NULL,
            listed_at TEXT NOT NULL,
            case_record BLOB NOT NULL,
            PRIMARY KEY(case_source, case_source_id));
        CREATE TABLE IF NOT EXISTS linkage_cursor(
            id INTEGER PRIMARY KEY CHECK (id = 1),
            log_seq INTEGER NOT NULL);
        INSERT OR IGNORE INTO linkage_cursor(id, log_seq) VALUES(1, 0);
        CREATE TABLE IF NOT EXISTS linkage_commitments(
            seq INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            uscc TEXT NOT NULL,
            state INTEGER NOT NULL,
            next_action_at INTEGER,
            commitment BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS linkage_commitments_uscc ON linkage_commitments(uscc, seq);
        CREATE INDEX IF NOT EXISTS linkage_commitments_due ON linkage_commitments(next_action_at) WHERE next_action_at IS NOT NULL;
        CREATE TABLE IF NOT EXISTS linkage_commitment_events(
            commitment_seq INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            event BLOB NOT NULL,
            PRIMARY KEY(commitment_seq, seq)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS publicity_alerts(
            idempotency_key TEXT PRIMARY KEY,
            alerted_at TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS linkage_catalogue(
            revision INTEGER PRIMARY KEY,
            csv TEXT NOT NULL,
            edited_by TEXT NOT NULL,
            edited_at TEXT NOT NULL);
        """;

    private readonly SqliteConnection _writer;
    private readonly Lock _write = new();
    private readonly string _readConnectionString;

    public SqliteLinkageStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        _writer = WorkflowDatabase.OpenWriter(Path, Schema);
        _readConnectionString = WorkflowDatabase.ReadOnly(Path);
    }

    public string Path { get; }

    /// <summary>Kafka mode: every step's event is also written to the bus outbox, in the step's transaction, for the relay.</summary>
    public bool RelaysToBus { get; init; }

    /// <summary>The event with its snapshot, as subscribers of datahub.linkage.v1 get it, keyed by task id or commitment code.</summary>
    private void RelayToBus(SqliteTransaction tx, string key, LinkageEvent e)
    {
        if (!RelaysToBus) return;
        using var insert = WriteCommand(tx, WorkflowDatabase.InsertBusOutbox,
            ("$topic", Topics.Linkage), ("$key", key), ("$type", LinkageEvent.Descriptor.FullName), ("$payload", e.ToByteArray()));
        insert.ExecuteNonQuery();
    }

    private SqliteConnection OpenRead() => WorkflowDatabase.Open(_readConnectionString);

    private T Write<T>(Func<SqliteTransaction, T> work)
    {
        lock (_write)
        {
            using var tx = _writer.BeginTransaction();
            var result = work(tx);
            tx.Commit();
            return result;
        }
    }

    private SqliteCommand WriteCommand(SqliteTransaction tx, string sql, params (string Name, object Value)[] parameters)
    {
        var cmd = Command(_writer, sql, parameters);
        cmd.Transaction = tx;
        return cmd;
    }

    public long Cursor()
    {
        using var c = OpenRead();
        using var cmd = Command(c, "SELECT log_seq FROM linkage_cursor WHERE id = 1");
        return (long)cmd.ExecuteScalar()!;
    }

    public IReadOnlyList<TaskStep> StorePage(IReadOnlyList<TaskStep> created, IReadOnlyList<UnmatchedCase> unmatched, IReadOnlyList<UnmatchedCase> matched, long cursor) => Write(tx =>
    {
        var stored = new List<TaskStep>();
        foreach (var step in created)
        {
            var t = step.Task;
            using var insert = WriteCommand(tx, """
                INSERT OR IGNORE INTO linkage_tasks(id, case_source, case_source_id, regulator, uscc, state, overdue, next_action_at, pushed, task)
                VALUES($id, $source, $sourceId, $regulator, $uscc, $state, $overdue, $next, 0, $task) RETURNING seq
                """, ("$id", t.Id), ("$source", t.CaseSource), ("$sourceId", t.CaseSourceId), ("$regulator", t.Regulator), ("$uscc", t.Uscc), ("$state", (int)t.State),
                ("$overdue", t.ViewOverdue ? 1 : 0), ("$next", (object?)step.NextActionAt?.ToUnixTimeMilliseconds() ?? DBNull.Value), ("$task", t.ToByteArray()));
            // A case that already has its task (a later version of the same case, or a re-read) adds nothing.
            if (insert.ExecuteScalar() is not long seq) continue;
            InsertEvent(tx, seq, step.Task.Id, step.Event);
            stored.Add(step);
        }
        foreach (var u in unmatched)
        {
            using var insert = WriteCommand(tx, "INSERT OR IGNORE INTO linkage_unmatched(case_source, case_source_id, listed_at, case_record) " +
                                                "SELECT $source, $sourceId, $at, $record WHERE NOT EXISTS (SELECT 1 FROM linkage_tasks WHERE case_source = $source AND case_source_id = $sourceId)",
                ("$source", u.Case.Source), ("$sourceId", u.Case.SourceId), ("$at", FormatTime(u.ListedAt)), ("$record", u.Case.ToByteArray()));
            insert.ExecuteNonQuery();
        }
        foreach (var m in matched)
        {
            using var delete = WriteCommand(tx, "DELETE FROM linkage_unmatched WHERE case_source = $source AND case_source_id = $sourceId",
                ("$source", m.Case.Source), ("$sourceId", m.Case.SourceId));
            delete.ExecuteNonQuery();
        }
        using var move = WriteCommand(tx, "UPDATE linkage_cursor SET log_seq = max(log_seq, $cursor) WHERE id = 1", ("$cursor", cursor));
        move.ExecuteNonQuery();
        return (IReadOnlyList<TaskStep>)stored;
    });

    private void InsertEvent(SqliteTransaction tx, long taskSeq, string taskId, LinkageEvent e)
    {
        RelayToBus(tx, taskId, e);
        var snapshot = e.Task;
        e.Task = null;
        byte[] bytes;
        try { bytes = e.ToByteArray(); } finally { e.Task = snapshot; }
        using var insert = WriteCommand(tx, "INSERT INTO linkage_events(task_seq, seq, type, event) VALUES($t, $s, $type, $e)",
            ("$t", taskSeq), ("$s", (long)e.Seq), ("$type", (int)e.Type), ("$e", bytes));
        insert.ExecuteNonQuery();
    }

    public TaskStep? Update(string id, Func<RegulatoryTask, TaskStep?> decide) => Write(tx =>
    {
        using var read = WriteCommand(tx, "SELECT seq, task FROM linkage_tasks WHERE id = $id", ("$id", id));
        long seq;
        RegulatoryTask current;
        using (var r = read.ExecuteReader())
        {
            if (!r.Read()) throw new WorkflowRuleException(WorkflowErrorKind.NotFound, $"No task '{id}'.");
            seq = r.GetInt64(0);
            current = RegulatoryTask.Parser.ParseFrom((byte[])r[1]);
        }
        var step = decide(current);
        if (step is null) return null;
        var t = step.Task;
        using var update = WriteCommand(tx, "UPDATE linkage_tasks SET state = $state, overdue = $overdue, next_action_at = $next, loop_pending = $loop, task = $task WHERE seq = $seq",
            ("$seq", seq), ("$state", (int)t.State), ("$overdue", t.ViewOverdue ? 1 : 0), ("$next", (object?)step.NextActionAt?.ToUnixTimeMilliseconds() ?? DBNull.Value),
            ("$loop", TaskLifecycle.RevocationPending(t) ? 1 : 0), ("$task", t.ToByteArray()));
        update.ExecuteNonQuery();
        InsertEvent(tx, seq, step.Task.Id, step.Event);
        return step;
    });

    public RegulatoryTask? Get(string id)
    {
        using var c = OpenRead();
        using var cmd = Command(c, "SELECT task FROM linkage_tasks WHERE id = $id", ("$id", id));
        return cmd.ExecuteScalar() is byte[] bytes ? RegulatoryTask.Parser.ParseFrom(bytes) : null;
    }

    public IReadOnlyList<LinkageEvent> History(string id)
    {
        using var c = OpenRead();
        using var cmd = Command(c, "SELECT e.event FROM linkage_events e JOIN linkage_tasks t ON t.seq = e.task_seq WHERE t.id = $id ORDER BY e.seq", ("$id", id));
        using var r = cmd.ExecuteReader();
        var events = new List<LinkageEvent>();
        while (r.Read()) events.Add(LinkageEvent.Parser.ParseFrom((byte[])r[0]));
        return events;
    }

    public TaskPage List(TaskListQuery query)
    {
        var parameters = new List<(string, object)>();
        var where = new List<string>();
        if (!(query.View == TaskView.Overdue && query.Actor.Oversees))
        {
            where.Add("regulator = $a");
            parameters.Add(("$a", query.Actor.Agency));
        }
        if (query.View == TaskView.Overdue) where.Add($"overdue = 1 AND state = {(int)TaskState.PendingView}");
        if (query.State is { } state)
        {
            where.Add("state = $state");
            parameters.Add(("$state", (int)state));
        }
        if (query.Before is { } before)
        {
            where.Add("seq < $before");
            parameters.Add(("$before", before));
        }
        parameters.Add(("$limit", query.Limit + 1));
        using var c = OpenRead();
        using var cmd = Command(c, $"SELECT seq, task FROM linkage_tasks {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY seq DESC LIMIT $limit", [.. parameters]);
        using var r = cmd.ExecuteReader();
        var tasks = new List<(long Seq, RegulatoryTask Task)>();
        while (r.Read()) tasks.Add((r.GetInt64(0), RegulatoryTask.Parser.ParseFrom((byte[])r[1])));
        var more = tasks.Count > query.Limit;
        if (more) tasks.RemoveAt(tasks.Count - 1);
        return new TaskPage(tasks.Select(t => t.Task).ToList(), more ? tasks[^1].Seq : null);
    }

    public IReadOnlyList<RegulatoryTask> TasksOf(string uscc)
    {
        using var c = OpenRead();
        using var cmd = Command(c, "SELECT task FROM linkage_tasks WHERE uscc = $u ORDER BY seq DESC", ("$u", uscc));
        using var r = cmd.ExecuteReader();
        var tasks = new List<RegulatoryTask>();
        while (r.Read()) tasks.Add(RegulatoryTask.Parser.ParseFrom((byte[])r[0]));
        return tasks;
    }

    public IReadOnlyList<string> DueForAction(DateTimeOffset now, int limit)
    {
        using var c = OpenRead();
        using var cmd = Command(c, "SELECT id FROM linkage_tasks WHERE next_action_at IS NOT NULL AND next_action_at <= $now ORDER BY next_action_at, seq LIMIT $limit",
            ("$now", now.ToUnixTimeMilliseconds()), ("$limit", limit));
        return ReadStrings(cmd);
    }

    public IReadOnlyList<RegulatoryTask> Unpushed(int limit)
    {
        using var c = OpenRead();
        using var cmd = Command(c, "SELECT task FROM linkage_tasks WHERE pushed = 0 ORDER BY seq LIMIT $limit", ("$limit", limit));
        using var r = cmd.ExecuteReader();
        var tasks = new List<RegulatoryTask>();
        while (r.Read()) tasks.Add(RegulatoryTask.Parser.ParseFrom((byte[])r[0]));
        return tasks;
    }

    public void MarkPushed(string id) => Write(tx =>
    {
        using var cmd = WriteCommand(tx, "UPDATE linkage_tasks SET pushed = 1 WHERE id = $id", ("$id", id));
        return cmd.ExecuteNonQuery();
    });

    public CommitmentStep? TrackCommitment(string code, Func<TrackedCommitment?, CommitmentStep?> decide) => Write(tx =>
    {
        using var read = WriteCommand(tx, "SELECT seq, commitment FROM linkage_commitments WHERE code = $code", ("$code", code));
        long? seq = null;
        TrackedCommitment? current = null;
        using (var r = read.ExecuteReader())
            if (r.Read())
            {
                seq = r.GetInt64(0);
                current = TrackedCommitment.Parser.ParseFrom((byte[])r[1]);
            }
        var step = decide(current);
        if (step is null) return null;
        var c = step.Commitment;
        var next = (object?)step.NextActionAt?.ToUnixTimeMilliseconds() ?? DBNull.Value;
        if (seq is null)
        {
            using var insert = WriteCommand(tx, "INSERT INTO linkage_commitments(code, uscc, state, next_action_at, commitment) VALUES($code, $uscc, $state, $next, $c) RETURNING seq",
                ("$code", code), ("$uscc", c.Uscc), ("$state", (int)c.State), ("$next", next), ("$c", c.ToByteArray()));
            seq = (long)insert.ExecuteScalar()!;
        }
        else
        {
            using var update = WriteCommand(tx, "UPDATE linkage_commitments SET state = $state, next_action_at = $next, commitment = $c WHERE seq = $seq",
                ("$seq", seq), ("$state", (int)c.State), ("$next", next), ("$c", c.ToByteArray()));
            update.ExecuteNonQuery();
        }
        var e = step.Event;
        RelayToBus(tx, c.Code, e);
        var snapshot = e.Commitment;
        e.Commitment = null;
        byte[] bytes;
        try { bytes = e.ToByteArray(); } finally { e.Commitment = snapshot; }
        using var insertEvent = WriteCommand(tx, "INSERT INTO linkage_commitment_events(commitment_seq, seq, event) VALUES($c, $s, $e)", ("$c", seq), ("$s", (long)e.Seq), ("$e", bytes));
        insertEvent.ExecuteNonQuery();
        return step;
    });

    public IReadOnlyList<string> CommitmentsDue(DateTimeOffset now, int limit)
    {
        using var c = OpenRead();
        using var cmd = Command(c, "SELECT code FROM linkage_commitments WHERE next_action_at IS NOT NULL AND next_action_at <= $now ORDER BY next_action_at, seq LIMIT $limit",
            ("$now", now.ToUnixTimeMilliseconds()), ("$limit", limit));
        return ReadStrings(cmd);
    }

    public TrackedCommitment? GetCommitment(string code)
    {
        using var c = OpenRead();
        using var cmd = Command(c, "SELECT commitment FROM linkage_commitments WHERE code = $code", ("$code", code));
        return cmd.ExecuteScalar() is byte[] bytes ? TrackedCommitment.Parser.ParseFrom(bytes) : null;
    }

    public (IReadOnlyList<TrackedCommitment> Commitments, long? Next) ListCommitments(CommitmentView view, int limit, long? before, string? uscc = null)
    {
        var where = view switch
        {
            CommitmentView.All => "1 = 1",
            CommitmentView.Failed => $"state IN ({(int)CommitmentTrackState.Overdue}, {(int)CommitmentTrackState.Broken}, {(int)CommitmentTrackState.VerificationFailed})",
            _ => $"state = {(int)CommitmentTrackState.Pending}",
        };
        using var c = OpenRead();
        if (uscc is not null) where += " AND uscc = $uscc";
        using var cmd = Command(c, $"SELECT seq, commitment FROM linkage_commitments WHERE {where} AND seq < $before ORDER BY seq DESC LIMIT $limit",
            ("$before", before ?? long.MaxValue), ("$limit", limit + 1), ("$uscc", (object?)uscc ?? DBNull.Value));
        using var r = cmd.ExecuteReader();
        var rows = new List<(long Seq, TrackedCommitment C)>();
        while (r.Read()) rows.Add((r.GetInt64(0), TrackedCommitment.Parser.ParseFrom((byte[])r[1])));
        var more = rows.Count > limit;
        if (more) rows.RemoveAt(rows.Count - 1);
        return (rows.Select(x => x.C).ToList(), more ? rows[^1].Seq : null);
    }

    public IReadOnlyList<LinkageEvent> CommitmentHistory(string code)
    {
        using var c = OpenRead();
        using var cmd = Command(c, "SELECT e.event FROM linkage_commitment_events e JOIN linkage_commitments m ON m.seq = e.commitment_seq WHERE m.code = $code ORDER BY e.seq", ("$code", code));
        using var r = cmd.ExecuteReader();
        var events = new List<LinkageEvent>();
        while (r.Read()) events.Add(LinkageEvent.Parser.ParseFrom((byte[])r[0]));
        return events;
    }

    public bool MarkPublicityAlert(string idempotencyKey, DateTimeOffset at) => Write(tx =>
    {
        using var insert = WriteCommand(tx, "INSERT OR IGNORE INTO publicity_alerts(idempotency_key, alerted_at) VALUES($k, $at)", ("$k", idempotencyKey), ("$at", FormatTime(at)));
        return insert.ExecuteNonQuery() == 1;
    });

    public long PublicityAlerts()
    {
        using var c = OpenRead();
        using var cmd = Command(c, "SELECT count(*) FROM publicity_alerts");
        return (long)cmd.ExecuteScalar()!;
    }

    public IReadOnlyList<RegulatoryTask> PendingRevocations(int limit)
    {
        using var c = OpenRead();
        using var cmd = Command(c, "SELECT task FROM linkage_tasks WHERE loop_pending = 1 ORDER BY seq LIMIT $limit", ("$limit", limit));
        using var r = cmd.ExecuteReader();
        var tasks = new List<RegulatoryTask>();
        while (r.Read()) tasks.Add(RegulatoryTask.Parser.ParseFrom((byte[])r[0]));
        return tasks;
    }

    public (IReadOnlyList<UnmatchedCase> Cases, long Total) Unmatched(int limit)
    {
        using var c = OpenRead();
        using var count = Command(c, "SELECT count(*) FROM linkage_unmatched");
        var total = (long)count.ExecuteScalar()!;
        using var cmd = Command(c, "SELECT case_record, listed_at FROM linkage_unmatched ORDER BY listed_at, case_source, case_source_id LIMIT $limit", ("$limit", limit));
        using var r = cmd.ExecuteReader();
        var cases = new List<UnmatchedCase>();
        while (r.Read()) cases.Add(new UnmatchedCase(CanonicalRecord.Parser.ParseFrom((byte[])r[0]), DateTimeOffset.Parse(r.GetString(1), CultureInfo.InvariantCulture)));
        return (cases, total);
    }

    public StoredLinkageCatalogue? LatestCatalogue()
    {
        using var c = OpenRead();
        using var cmd = Command(c, "SELECT revision, csv, edited_by, edited_at FROM linkage_catalogue ORDER BY revision DESC LIMIT 1");
        using var r = cmd.ExecuteReader();
        return r.Read() ? new StoredLinkageCatalogue(r.GetInt32(0), r.GetString(1), r.GetString(2), DateTimeOffset.Parse(r.GetString(3), CultureInfo.InvariantCulture)) : null;
    }

    public StoredLinkageCatalogue SaveCatalogue(string csv, int expectedRevision, string editedBy, DateTimeOffset at) => Write(tx =>
    {
        using var latest = WriteCommand(tx, "SELECT coalesce(max(revision), 0) FROM linkage_catalogue");
        var revision = (int)(long)latest.ExecuteScalar()!;
        if (revision != expectedRevision)
            throw new WorkflowRuleException(WorkflowErrorKind.Aborted, $"The linkage catalogue is at revision {revision}, not {expectedRevision}: someone else changed it. Read it again and re-apply the edit.");
        using var insert = WriteCommand(tx, "INSERT INTO linkage_catalogue(revision, csv, edited_by, edited_at) VALUES($r, $c, $by, $at)",
            ("$r", revision + 1), ("$c", csv), ("$by", editedBy), ("$at", FormatTime(at)));
        insert.ExecuteNonQuery();
        return new StoredLinkageCatalogue(revision + 1, csv, editedBy, at);
    });

    public (IReadOnlyDictionary<TaskState, long> ByState, long ViewOverdue) Counts()
    {
        using var c = OpenRead();
        var byState = new Dictionary<TaskState, long>();
        using (var cmd = Command(c, "SELECT state, count(*) FROM linkage_tasks GROUP BY state"))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) byState[(TaskState)r.GetInt32(0)] = r.GetInt64(1);
        using var overdue = Command(c, $"SELECT count(*) FROM linkage_tasks WHERE overdue = 1 AND state = {(int)TaskState.PendingView}");
        return (byState, (long)overdue.ExecuteScalar()!);
    }

    public void Dispose() => _writer.Dispose();
}
