using DataHub.Core.Workflows;
using System.Globalization;
using DataHub.Core.Ingest;
using DataHub.Core.Pulls;
using DataHub.Schema.V1;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using static DataHub.Embedded.SqliteHubStore;

namespace DataHub.Embedded;

/// <summary>
/// Data-pull workflow state in its own SQLite file (workflow.db beside hub.db, WAL): pulls with the
/// columns their views and the deadline scan filter on, each pull's events, the e-material library
/// and the catalogue's revisions. One writer thread takes the queued steps in order and commits them
/// in groups (a step reads the pull and writes it back inside the group's transaction, so two steps on
/// a pull cannot interleave, and a step's caller resumes only once it is committed); reads use pooled
/// read-only connections.
/// </summary>
public sealed class SqlitePullStore : IPullStore, IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS pulls(
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL,
            requester TEXT NOT NULL,
            owner TEXT NOT NULL,
            uscc TEXT NOT NULL,
            item_type TEXT NOT NULL,
            state INTEGER NOT NULL,
            overdue INTEGER NOT NULL,
            escalated INTEGER NOT NULL,
            from_library INTEGER NOT NULL,
            next_action_at INTEGER,
            updated_at TEXT NOT NULL,
            pull BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS pulls_requester ON pulls(requester, seq);
        CREATE INDEX IF NOT EXISTS pulls_owner ON pulls(owner, from_library, seq);
        CREATE INDEX IF NOT EXISTS pulls_due ON pulls(next_action_at) WHERE next_action_at IS NOT NULL;
        CREATE INDEX IF NOT EXISTS pulls_escalated ON pulls(escalated, seq) WHERE escalated = 1;
        CREATE INDEX IF NOT EXISTS pulls_overdue ON pulls(overdue, state, seq) WHERE overdue = 1;
        CREATE TABLE IF NOT EXISTS pull_events(
            pull_seq INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            type INTEGER NOT NULL,
            at TEXT NOT NULL,
            event BLOB NOT NULL,
            PRIMARY KEY(pull_seq, seq)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS library_materials(
            id INTEGER PRIMARY KEY,
            uscc TEXT NOT NULL,
            item_type TEXT NOT NULL,
            valid_until TEXT NOT NULL,
            added_at TEXT NOT NULL,
            evidence BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS library_materials_item ON library_materials(uscc, item_type, id);
        CREATE TABLE IF NOT EXISTS pull_catalogue(
            revision INTEGER PRIMARY KEY,
            document TEXT NOT NULL,
            edited_by TEXT NOT NULL,
            edited_at TEXT NOT NULL);
        """;

    private readonly SqliteConnection _writer;
    private readonly string _readConnectionString;
    // Group commit: steps queue here and one writer stores whatever has gathered in one transaction,
    // each in its own savepoint (a step that fails leaves the others alone). Callers resume once
    // their step is committed. Unbounded is bounded in practice: every caller waits for its step.
    private readonly GroupCommitQueue<Write> _writes = new();
    private readonly Task _writeLoop;
    private readonly WalCheckpointer _checkpointer;
    private const int MaxGroup = 512;

    /// <summary>A queued write: runs inside the group's transaction on the writer's connection.</summary>
    private abstract class Write
    {
        public abstract void Run(Statements statements);

        public abstract void Complete();

        public abstract void Fail(Exception e);
    }

    private sealed class Write<T>(Func<Statements, T> run) : Write
    {
        public TaskCompletionSource<T> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private T _result = default!;

        public override void Run(Statements statements) => _result = run(statements);

        public override void Complete() => Done.TrySetResult(_result);

        public override void Fail(Exception e) => Done.TrySetException(e);
    }

    public SqlitePullStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        _writer = WorkflowDatabase.OpenWriter(Path, Schema);
        Execute(_writer, "PRAGMA wal_autocheckpoint=16384;");
        _readConnectionString = WorkflowDatabase.ReadOnly(Path);
        // A thread of its own: the loop does blocking SQLite work.
        _writeLoop = Task.Factory.StartNew(WriteLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        _checkpointer = new WalCheckpointer(() =>
        {
            var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
            c.Open();
            Execute(c, "PRAGMA busy_timeout=30000;");
            return c;
        });
    }

    public string Path { get; }

    /// <summary>Kafka mode: every step's event is also written to the bus outbox, in the step's transaction, for the relay.</summary>
    public bool RelaysToBus { get; init; }

    /// <summary>The writer's prepared statements, made once and rebound for every step.</summary>
    private sealed class Statements : IDisposable
    {
        private readonly SqliteCommand[] _all;

        public Statements(SqliteConnection c)
        {
            NextSeq = Prepare(c, "SELECT coalesce(max(seq), 0) + 1 FROM pulls");
            ReadPull = Prepare(c, "SELECT seq, pull FROM pulls WHERE seq = $seq AND id = $id", "$seq", "$id");
            InsertPull = Prepare(c, """
                INSERT INTO pulls(seq, id, requester, owner, uscc, item_type, state, overdue, escalated, from_library, next_action_at, updated_at, pull)
                VALUES($seq, $id, $requester, $owner, $uscc, $item, $state, $overdue, $escalated, $library, $next, $updated, $pull)
                """, "$seq", "$id", "$requester", "$owner", "$uscc", "$item", "$state", "$overdue", "$escalated", "$library", "$next", "$updated", "$pull");
            UpdatePull = Prepare(c, """
                UPDATE pulls SET state = $state, overdue = $overdue, escalated = $escalated, from_library = $library, next_action_at = $next,
                                 updated_at = $updated, pull = $pull WHERE seq = $seq
                """, "$seq", "$state", "$overdue", "$escalated", "$library", "$next", "$updated", "$pull");
            InsertEvent = Prepare(c, "INSERT INTO pull_events(pull_seq, seq, type, at, event) VALUES($p, $s, $t, $at, $e)", "$p", "$s", "$t", "$at", "$e");
            InsertMaterial = Prepare(c, "INSERT INTO library_materials(uscc, item_type, valid_until, added_at, evidence) VALUES($u, $i, $v, $at, $e)", "$u", "$i", "$v", "$at", "$e");
            LatestRevision = Prepare(c, "SELECT coalesce(max(revision), 0) FROM pull_catalogue");
            InsertCatalogue = Prepare(c, "INSERT INTO pull_catalogue(revision, document, edited_by, edited_at) VALUES($r, $d, $by, $at)", "$r", "$d", "$by", "$at");
            InsertOutbox = Prepare(c, WorkflowDatabase.InsertBusOutbox, "$topic", "$key", "$type", "$payload");
            _all = [NextSeq, ReadPull, InsertPull, UpdatePull, InsertEvent, InsertMaterial, LatestRevision, InsertCatalogue, InsertOutbox];
        }

        public SqliteCommand NextSeq { get; }
        public SqliteCommand ReadPull { get; }
        public SqliteCommand InsertPull { get; }
        public SqliteCommand UpdatePull { get; }
        public SqliteCommand InsertEvent { get; }
        public SqliteCommand InsertMaterial { get; }
        public SqliteCommand LatestRevision { get; }
        public SqliteCommand InsertCatalogue { get; }
        public SqliteCommand InsertOutbox { get; }

        /// <summary>The next pull number: read once per group, then counted in memory (one writer).</summary>
        public long Seq { get; set; }

        public SqliteTransaction? Transaction
        {
            set
            {
                foreach (var cmd in _all) cmd.Transaction = value;
            }
        }

        private static SqliteCommand Prepare(SqliteConnection c, string sql, params string[] parameters)
        {
            var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            foreach (var p in parameters) cmd.Parameters.Add(new SqliteParameter(p, null));
            return cmd;
        }

        public static SqliteCommand Bind(SqliteCommand cmd, params object?[] values)
        {
            for (int i = 0; i < values.Length; i++) cmd.Parameters[i].Value = values[i] ?? DBNull.Value;
            return cmd;
        }

        public void Dispose()
        {
            foreach (var cmd in _all) cmd.Dispose();
        }
    }

    private void WriteLoop()
    {
        using var statements = new Statements(_writer);
        var group = new List<Write>();
        while (_writes.TakeGroup(group, MaxGroup))
        {
            var done = new List<Write>(group.Count);
            try
            {
                using var tx = _writer.BeginTransaction();
                statements.Transaction = tx;
                statements.Seq = (long)statements.NextSeq.ExecuteScalar()!;
                foreach (var write in group)
                {
                    var seq = statements.Seq;
                    tx.Save("step");
                    try
                    {
                        write.Run(statements);
                        tx.Release("step");
                        done.Add(write);
                    }
                    catch (Exception e)
                    {
                        tx.Rollback("step");
                        tx.Release("step");
                        statements.Seq = seq;
                        write.Fail(e);
                    }
                }
                tx.Commit();
            }
            catch (Exception e)
            {
                foreach (var write in done) write.Fail(new IOException($"The pull store {Path} could not commit: {e.Message}", e));
                continue;
            }
            finally
            {
                statements.Transaction = null;
            }
            foreach (var write in done) write.Complete();
        }
    }

    private Task<T> EnqueueAsync<T>(Func<Statements, T> run)
    {
        var write = new Write<T>(run);
        if (!_writes.TryAdd(write)) throw new ObjectDisposedException(nameof(SqlitePullStore));
        return write.Done.Task;
    }

    public Task<PullStep> CreateAsync(DateOnly day, Func<string, PullStep> build) => EnqueueAsync(s =>
    {
        long seq = s.Seq;
        var step = build($"DP-{day:yyyyMMdd}-{seq:D6}");
        var p = step.Pull;
        Statements.Bind(s.InsertPull, seq, p.Id, p.Requester, p.Owner, p.Uscc, p.ItemType, (int)p.State, p.Overdue ? 1 : 0, p.Escalated ? 1 : 0,
            p.Fulfilment == PullFulfilment.Library ? 1 : 0, step.NextActionAt?.ToUnixTimeMilliseconds(), FormatTime(p.UpdatedAt.ToDateTimeOffset()), p.ToByteArray()).ExecuteNonQuery();
        WriteEventAndMaterial(s, seq, step);
        s.Seq = seq + 1;
        return step;
    });

    public Task<PullStep?> UpdateAsync(string id, Func<DataPull, PullStep?> decide) => EnqueueAsync(s =>
    {
        long seq;
        DataPull current;
        using (var r = Statements.Bind(s.ReadPull, SeqOf(id), id).ExecuteReader())
        {
            if (!r.Read()) throw new WorkflowRuleException(WorkflowErrorKind.NotFound, $"No pull '{id}'.");
            seq = r.GetInt64(0);
            current = DataPull.Parser.ParseFrom((byte[])r[1]);
        }
        var step = decide(current);
        if (step is null) return null;
        var p = step.Pull;
        Statements.Bind(s.UpdatePull, seq, (int)p.State, p.Overdue ? 1 : 0, p.Escalated ? 1 : 0, p.Fulfilment == PullFulfilment.Library ? 1 : 0,
            step.NextActionAt?.ToUnixTimeMilliseconds(), FormatTime(p.UpdatedAt.ToDateTimeOffset()), p.ToByteArray()).ExecuteNonQuery();
        WriteEventAndMaterial(s, seq, step);
        return step;
    });

    private void WriteEventAndMaterial(Statements s, long pullSeq, PullStep step)
    {
        var e = step.Event;
        // Subscribers get the event with its snapshot of the pull, relayed after this transaction commits.
        if (RelaysToBus) Statements.Bind(s.InsertOutbox, Topics.Pulls, step.Pull.Id, PullEvent.Descriptor.FullName, e.ToByteArray()).ExecuteNonQuery();
        // The history keeps each event without its snapshot of the pull (the pull row has the present;
        // subscribers get the snapshot): half the bytes to write. The event is not shared before commit.
        var snapshot = e.Pull;
        e.Pull = null;
        byte[] bytes;
        try { bytes = e.ToByteArray(); } finally { e.Pull = snapshot; }
        Statements.Bind(s.InsertEvent, pullSeq, (long)e.Seq, (int)e.Type, FormatTime(e.At.ToDateTimeOffset()), bytes).ExecuteNonQuery();
        if (step.JoinsLibrary is { } m)
            Statements.Bind(s.InsertMaterial, m.Uscc, m.ItemType, m.Evidence.ValidUntil, FormatTime(m.AddedAt), m.Evidence.ToByteArray()).ExecuteNonQuery();
    }

    private SqliteConnection OpenRead() => WorkflowDatabase.Open(_readConnectionString);

    /// <summary>
    /// The pull number in an id ("DP-20261130-000042" → 42): pulls are found by their primary key, so
    /// the id needs no index of its own; -1 (no row) for anything else.
    /// </summary>
    private static long SeqOf(string id)
    {
        var dash = id.LastIndexOf('-');
        return id.StartsWith("DP-", StringComparison.Ordinal) && dash > 3 &&
               long.TryParse(id.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seq) ? seq : -1;
    }

    public DataPull? Get(string id)
    {
        using var c = OpenRead();
        using var cmd = Command(c, "SELECT pull FROM pulls WHERE seq = $seq AND id = $id", ("$seq", SeqOf(id)), ("$id", id));
        return cmd.ExecuteScalar() is byte[] bytes ? DataPull.Parser.ParseFrom(bytes) : null;
    }

    public IReadOnlyList<PullEvent> History(string id)
    {
        using var c = OpenRead();
        using var cmd = Command(c, "SELECT e.event FROM pull_events e JOIN pulls p ON p.seq = e.pull_seq WHERE p.seq = $seq AND p.id = $id ORDER BY e.seq",
            ("$seq", SeqOf(id)), ("$id", id));
        using var r = cmd.ExecuteReader();
        var events = new List<PullEvent>();
        while (r.Read()) events.Add(PullEvent.Parser.ParseFrom((byte[])r[0]));
        return events;
    }

    public PullPage List(PullListQuery query)
    {
        var agency = query.Actor.Agency;
        var (where, parameters) = query.View switch
        {
            PullView.AssignedToMe => ("owner = $a AND from_library = 0", new List<(string, object)> { ("$a", agency) }),
            PullView.Overdue when query.Actor.Oversees => ($"overdue = 1 AND state = {(int)PullState.AwaitingOwner}", []),
            PullView.Overdue => ($"overdue = 1 AND state = {(int)PullState.AwaitingOwner} AND (requester = $a OR owner = $a)", [("$a", agency)]),
            PullView.Escalated => ("escalated = 1", []),
            _ => ("requester = $a", [("$a", agency)]),
        };
        if (query.State is { } state)
        {
            where += " AND state = $state";
            parameters.Add(("$state", (int)state));
        }
        if (query.Before is { } before)
        {
            where += " AND seq < $before";
            parameters.Add(("$before", before));
        }
        parameters.Add(("$limit", query.Limit + 1));
        using var c = OpenRead();
        using var cmd = Command(c, $"SELECT seq, pull FROM pulls WHERE {where} ORDER BY seq DESC LIMIT $limit", [.. parameters]);
        using var r = cmd.ExecuteReader();
        var pulls = new List<(long Seq, DataPull Pull)>();
        while (r.Read())
        {
            var pull = DataPull.Parser.ParseFrom((byte[])r[1]);
            if (pull.Evidence is { } e) e.Content = ByteString.Empty;
            pulls.Add((r.GetInt64(0), pull));
        }
        var more = pulls.Count > query.Limit;
        if (more) pulls.RemoveAt(pulls.Count - 1);
        return new PullPage(pulls.Select(p => p.Pull).ToList(), more ? pulls[^1].Seq : null);
    }

    public IReadOnlyList<string> DueForAction(DateTimeOffset now, int limit)
    {
        using var c = OpenRead();
        using var cmd = Command(c, "SELECT id FROM pulls WHERE next_action_at IS NOT NULL AND next_action_at <= $now ORDER BY next_action_at, seq LIMIT $limit",
            ("$now", now.ToUnixTimeMilliseconds()), ("$limit", limit));
        return ReadStrings(cmd);
    }

    public LibraryMaterial? LatestMaterial(string uscc, string itemType, DateOnly day)
    {
        using var c = OpenRead();
        using var cmd = Command(c, """
            SELECT evidence, added_at FROM library_materials
            WHERE uscc = $u AND item_type = $i AND (valid_until = '' OR valid_until >= $day) ORDER BY id DESC LIMIT 1
            """, ("$u", uscc), ("$i", itemType), ("$day", day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        using var r = cmd.ExecuteReader();
        return r.Read()
            ? new LibraryMaterial(uscc, itemType, PullEvidence.Parser.ParseFrom((byte[])r[0]), DateTimeOffset.Parse(r.GetString(1), CultureInfo.InvariantCulture))
            : null;
    }

    public StoredPullCatalogue? LatestCatalogue()
    {
        using var c = OpenRead();
        using var cmd = Command(c, "SELECT revision, document, edited_by, edited_at FROM pull_catalogue ORDER BY revision DESC LIMIT 1");
        using var r = cmd.ExecuteReader();
        return r.Read() ? ReadCatalogue(r) : null;
    }

    private static StoredPullCatalogue ReadCatalogue(SqliteDataReader r) =>
        new(r.GetInt32(0), r.GetString(1), r.GetString(2), DateTimeOffset.Parse(r.GetString(3), CultureInfo.InvariantCulture));

    public Task<StoredPullCatalogue> SaveCatalogueAsync(string document, int expectedRevision, string editedBy, DateTimeOffset at) => EnqueueAsync(s =>
    {
        var revision = (int)(long)s.LatestRevision.ExecuteScalar()!;
        if (revision != expectedRevision)
            throw new WorkflowRuleException(WorkflowErrorKind.Aborted, $"The catalogue is at revision {revision}, not {expectedRevision}: someone else changed it. Read it again and re-apply the edit.");
        Statements.Bind(s.InsertCatalogue, revision + 1, document, editedBy, FormatTime(at)).ExecuteNonQuery();
        return new StoredPullCatalogue(revision + 1, document, editedBy, at);
    });

    /// <summary>Throws when workflow.db does not answer (readiness).</summary>
    public void Probe()
    {
        using var c = OpenRead();
        using var cmd = Command(c, "SELECT count(*) FROM pull_catalogue");
        cmd.ExecuteScalar();
    }

    public PullCounts Counts()
    {
        using var c = OpenRead();
        var byState = new Dictionary<PullState, long>();
        using (var cmd = Command(c, "SELECT state, count(*) FROM pulls GROUP BY state"))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) byState[(PullState)r.GetInt32(0)] = r.GetInt64(1);
        long Scalar(string sql)
        {
            using var cmd = Command(c, sql);
            return (long)cmd.ExecuteScalar()!;
        }
        return new PullCounts(byState,
            Scalar($"SELECT count(*) FROM pulls WHERE overdue = 1 AND state = {(int)PullState.AwaitingOwner}"),
            Scalar("SELECT count(*) FROM pulls WHERE from_library = 1"),
            Scalar("SELECT count(*) FROM library_materials"));
    }

    public void Dispose()
    {
        _writes.Complete();
        _writeLoop.GetAwaiter().GetResult();
        _writes.Dispose();
        _checkpointer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _writer.Dispose();
    }
}
