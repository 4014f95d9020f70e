using DataHub.Core.Workflows;
using System.Globalization;
using DataHub.Core.Ingest;
using DataHub.Core.Pulls;
using DataHub.Schema.V1;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using SQLitePCL;
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

    /// <summary>
    /// The writer's prepared statements, made once and rebound for every step, run through SQLite's C
    /// interface (<see cref="SqliteStatement"/>): a pull's step is a few small statements, where
    /// Microsoft.Data.Sqlite's command, reader and parameter objects cost more than SQLite's own work.
    /// </summary>
    private sealed class Statements : IDisposable
    {
        private readonly SqliteStatement[] _all;

        public Statements(SqliteConnection c)
        {
            // IMMEDIATE: the group takes the write lock (waiting out the linkage store's writer) before it reads.
            Begin = new(c, "BEGIN IMMEDIATE");
            Commit = new(c, "COMMIT");
            Savepoint = new(c, "SAVEPOINT step");
            Release = new(c, "RELEASE step");
            RollbackToSavepoint = new(c, "ROLLBACK TO step");
            NextSeq = new(c, "SELECT coalesce(max(seq), 0) + 1 FROM pulls");
            ReadPull = new(c, "SELECT seq, pull FROM pulls WHERE seq = ?1 AND id = ?2");
            InsertPull = new(c, """
                INSERT INTO pulls(seq, id, requester, owner, uscc, item_type, state, overdue, escalated, from_library, next_action_at, updated_at, pull)
                VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                """);
            UpdatePull = new(c, """
                UPDATE pulls SET state = ?2, overdue = ?3, escalated = ?4, from_library = ?5, next_action_at = ?6, updated_at = ?7, pull = ?8
                WHERE seq = ?1
                """);
            InsertEvent = new(c, "INSERT INTO pull_events(pull_seq, seq, type, at, event) VALUES(?1, ?2, ?3, ?4, ?5)");
            InsertMaterial = new(c, "INSERT INTO library_materials(uscc, item_type, valid_until, added_at, evidence) VALUES(?1, ?2, ?3, ?4, ?5)");
            LatestRevision = new(c, "SELECT coalesce(max(revision), 0) FROM pull_catalogue");
            InsertCatalogue = new(c, "INSERT INTO pull_catalogue(revision, document, edited_by, edited_at) VALUES(?1, ?2, ?3, ?4)");
            InsertOutbox = new(c, WorkflowDatabase.InsertBusOutbox);
            _all = [Begin, Commit, Savepoint, Release, RollbackToSavepoint, NextSeq, ReadPull, InsertPull, UpdatePull, InsertEvent, InsertMaterial,
                LatestRevision, InsertCatalogue, InsertOutbox];
        }

        public SqliteStatement Begin { get; }
        public SqliteStatement Commit { get; }
        public SqliteStatement Savepoint { get; }
        public SqliteStatement Release { get; }
        public SqliteStatement RollbackToSavepoint { get; }
        public SqliteStatement NextSeq { get; }
        public SqliteStatement ReadPull { get; }
        public SqliteStatement InsertPull { get; }
        public SqliteStatement UpdatePull { get; }
        public SqliteStatement InsertEvent { get; }
        public SqliteStatement InsertMaterial { get; }
        public SqliteStatement LatestRevision { get; }
        public SqliteStatement InsertCatalogue { get; }
        public SqliteStatement InsertOutbox { get; }

        /// <summary>The next pull number: read once per group, then counted in memory (one writer).</summary>
        public long Seq { get; set; }

        /// <summary>Where each step's bodies are encoded: each is bound before the next is encoded.</summary>
        public BodyBuffer Body { get; } = new(4096);

        public void Dispose()
        {
            foreach (var statement in _all) statement.Dispose();
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
                statements.Begin.Execute();
                try
                {
                    statements.Seq = statements.NextSeq.ExecuteInt64();
                    foreach (var write in group)
                    {
                        var seq = statements.Seq;
                        statements.Savepoint.Execute();
                        try
                        {
                            write.Run(statements);
                            statements.Release.Execute();
                            done.Add(write);
                        }
                        catch (Exception e)
                        {
                            statements.RollbackToSavepoint.Execute();
                            statements.Release.Execute();
                            statements.Seq = seq;
                            write.Fail(e);
                        }
                    }
                    statements.Commit.Execute();
                }
                catch
                {
                    // A failed COMMIT (or savepoint statement) can leave the transaction open; the next group needs it closed.
                    if (raw.sqlite3_get_autocommit(_writer.Handle) == 0) Execute(_writer, "ROLLBACK");
                    throw;
                }
            }
            catch (Exception e)
            {
                // Every caller of the group hears of it: those committed with it, those not yet run, and the
                // one whose savepoint could not be rolled back (a step that failed on its own keeps its error).
                foreach (var write in group) write.Fail(new IOException($"The pull store {Path} could not commit: {e.Message}", e));
                continue;
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
        s.InsertPull.Bind(1, seq).Bind(2, p.Id).Bind(3, p.Requester).Bind(4, p.Owner).Bind(5, p.Uscc).Bind(6, p.ItemType).Bind(7, (long)p.State)
            .Bind(8, p.Overdue ? 1L : 0L).Bind(9, p.Escalated ? 1L : 0L).Bind(10, p.Fulfilment == PullFulfilment.Library ? 1L : 0L)
            .Bind(11, step.NextActionAt?.ToUnixTimeMilliseconds()).Bind(12, FormatTime(p.UpdatedAt.ToDateTimeOffset())).Bind(13, s.Body.Encode(p)).Execute();
        WriteEventAndMaterial(s, seq, step);
        s.Seq = seq + 1;
        return step;
    });

    public Task<PullStep?> UpdateAsync(string id, Func<DataPull, PullStep?> decide) => EnqueueAsync(s =>
    {
        long seq;
        DataPull current;
        try
        {
            if (!s.ReadPull.Bind(1, SeqOf(id)).Bind(2, id).Step()) throw new WorkflowRuleException(WorkflowErrorKind.NotFound, $"No pull '{id}'.");
            seq = s.ReadPull.Int64(0);
            current = DataPull.Parser.ParseFrom(s.ReadPull.Blob(1));
        }
        finally
        {
            s.ReadPull.Reset();
        }
        var step = decide(current);
        if (step is null) return null;
        var p = step.Pull;
        s.UpdatePull.Bind(1, seq).Bind(2, (long)p.State).Bind(3, p.Overdue ? 1L : 0L).Bind(4, p.Escalated ? 1L : 0L)
            .Bind(5, p.Fulfilment == PullFulfilment.Library ? 1L : 0L).Bind(6, step.NextActionAt?.ToUnixTimeMilliseconds())
            .Bind(7, FormatTime(p.UpdatedAt.ToDateTimeOffset())).Bind(8, s.Body.Encode(p)).Execute();
        WriteEventAndMaterial(s, seq, step);
        return step;
    });

    private void WriteEventAndMaterial(Statements s, long pullSeq, PullStep step)
    {
        var e = step.Event;
        // Subscribers get the event with its snapshot of the pull, relayed after this transaction commits.
        if (RelaysToBus) s.InsertOutbox.Bind(1, Topics.Pulls).Bind(2, step.Pull.Id).Bind(3, PullEvent.Descriptor.FullName).Bind(4, s.Body.Encode(e)).Execute();
        // The history keeps each event without its snapshot of the pull (the pull row has the present;
        // subscribers get the snapshot): half the bytes to write. The event is not shared before commit.
        var snapshot = e.Pull;
        e.Pull = null;
        try
        {
            s.InsertEvent.Bind(1, pullSeq).Bind(2, (long)e.Seq).Bind(3, (long)e.Type).Bind(4, FormatTime(e.At.ToDateTimeOffset())).Bind(5, s.Body.Encode(e)).Execute();
        }
        finally
        {
            e.Pull = snapshot;
        }
        if (step.JoinsLibrary is { } m)
            s.InsertMaterial.Bind(1, m.Uscc).Bind(2, m.ItemType).Bind(3, m.Evidence.ValidUntil).Bind(4, FormatTime(m.AddedAt)).Bind(5, s.Body.Encode(m.Evidence)).Execute();
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
        var revision = (int)s.LatestRevision.ExecuteInt64();
        if (revision != expectedRevision)
            throw new WorkflowRuleException(WorkflowErrorKind.Aborted, $"The catalogue is at revision {revision}, not {expectedRevision}: someone else changed it. Read it again and re-apply the edit.");
        s.InsertCatalogue.Bind(1, revision + 1L).Bind(2, document).Bind(3, editedBy).Bind(4, FormatTime(at)).Execute();
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
