using System.Globalization;
using DataHub.Core.Pulls;
using DataHub.Schema.V1;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using static DataHub.Embedded.SqliteHubStore;

namespace DataHub.Embedded;

/// <summary>
/// Data-pull workflow state in its own SQLite file (workflow.db beside hub.db, WAL): pulls with the
/// columns their views and the deadline scan filter on, each pull's events, the e-material library
/// and the catalogue's revisions. Steps are written by one connection under a lock (a step reads the
/// pull and writes it back in one transaction, so two steps on a pull cannot interleave); reads use
/// pooled read-only connections.
/// </summary>
public sealed class SqlitePullStore : IPullStore, IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS pulls(
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
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
    private readonly Lock _write = new();
    private readonly string _readConnectionString;

    public SqlitePullStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _writer = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
        _writer.Open();
        Execute(_writer, "PRAGMA busy_timeout=30000; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        Execute(_writer, Schema);
        _readConnectionString = new SqliteConnectionStringBuilder { DataSource = Path, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();
    }

    public string Path { get; }

    public PullStep Create(DateOnly day, Func<string, PullStep> build)
    {
        lock (_write)
        {
            using var tx = _writer.BeginTransaction();
            using var next = Command(_writer, "SELECT coalesce(max(seq), 0) + 1 FROM pulls");
            next.Transaction = tx;
            long seq = (long)next.ExecuteScalar()!;
            var step = build($"DP-{day:yyyyMMdd}-{seq:D6}");
            using var insert = Command(_writer, """
                INSERT INTO pulls(seq, id, requester, owner, uscc, item_type, state, overdue, escalated, from_library, next_action_at, updated_at, pull)
                VALUES($seq, $id, $requester, $owner, $uscc, $item, $state, $overdue, $escalated, $library, $next, $updated, $pull)
                """, ("$seq", seq), ("$id", step.Pull.Id), ("$requester", step.Pull.Requester), ("$owner", step.Pull.Owner), ("$uscc", step.Pull.Uscc), ("$item", step.Pull.ItemType));
            insert.Transaction = tx;
            BindState(insert, step);
            insert.ExecuteNonQuery();
            WriteEventAndMaterial(tx, seq, step);
            tx.Commit();
            return step;
        }
    }

    public PullStep? Update(string id, Func<DataPull, PullStep?> decide)
    {
        lock (_write)
        {
            using var tx = _writer.BeginTransaction();
            using var read = Command(_writer, "SELECT seq, pull FROM pulls WHERE id = $id", ("$id", id));
            read.Transaction = tx;
            long seq;
            DataPull current;
            using (var r = read.ExecuteReader())
            {
                if (!r.Read()) throw new PullRuleException(PullErrorKind.NotFound, $"No pull '{id}'.");
                seq = r.GetInt64(0);
                current = DataPull.Parser.ParseFrom((byte[])r[1]);
            }
            var step = decide(current);
            if (step is null) return null;
            using var update = Command(_writer, """
                UPDATE pulls SET state = $state, overdue = $overdue, escalated = $escalated, from_library = $library, next_action_at = $next,
                                 updated_at = $updated, pull = $pull WHERE seq = $seq
                """, ("$seq", seq));
            update.Transaction = tx;
            BindState(update, step);
            update.ExecuteNonQuery();
            WriteEventAndMaterial(tx, seq, step);
            tx.Commit();
            return step;
        }
    }

    private static void BindState(SqliteCommand cmd, PullStep step)
    {
        var p = step.Pull;
        cmd.Parameters.AddWithValue("$state", (int)p.State);
        cmd.Parameters.AddWithValue("$overdue", p.Overdue ? 1 : 0);
        cmd.Parameters.AddWithValue("$escalated", p.Escalated ? 1 : 0);
        cmd.Parameters.AddWithValue("$library", p.Fulfilment == PullFulfilment.Library ? 1 : 0);
        cmd.Parameters.AddWithValue("$next", step.NextActionAt is { } next ? next.ToUnixTimeMilliseconds() : DBNull.Value);
        cmd.Parameters.AddWithValue("$updated", FormatTime(p.UpdatedAt.ToDateTimeOffset()));
        cmd.Parameters.AddWithValue("$pull", p.ToByteArray());
    }

    private void WriteEventAndMaterial(SqliteTransaction tx, long pullSeq, PullStep step)
    {
        using var insert = Command(_writer, "INSERT INTO pull_events(pull_seq, seq, type, at, event) VALUES($p, $s, $t, $at, $e)",
            ("$p", pullSeq), ("$s", (long)step.Event.Seq), ("$t", (int)step.Event.Type), ("$at", FormatTime(step.Event.At.ToDateTimeOffset())), ("$e", step.Event.ToByteArray()));
        insert.Transaction = tx;
        insert.ExecuteNonQuery();
        if (step.JoinsLibrary is not { } m) return;
        using var material = Command(_writer, "INSERT INTO library_materials(uscc, item_type, valid_until, added_at, evidence) VALUES($u, $i, $v, $at, $e)",
            ("$u", m.Uscc), ("$i", m.ItemType), ("$v", m.Evidence.ValidUntil), ("$at", FormatTime(m.AddedAt)), ("$e", m.Evidence.ToByteArray()));
        material.Transaction = tx;
        material.ExecuteNonQuery();
    }

    private SqliteConnection OpenRead()
    {
        var c = new SqliteConnection(_readConnectionString);
        c.Open();
        return c;
    }

    public DataPull? Get(string id)
    {
        using var c = OpenRead();
        using var cmd = Command(c, "SELECT pull FROM pulls WHERE id = $id", ("$id", id));
        return cmd.ExecuteScalar() is byte[] bytes ? DataPull.Parser.ParseFrom(bytes) : null;
    }

    public IReadOnlyList<PullEvent> History(string id)
    {
        using var c = OpenRead();
        using var cmd = Command(c, "SELECT e.event FROM pull_events e JOIN pulls p ON p.seq = e.pull_seq WHERE p.id = $id ORDER BY e.seq", ("$id", id));
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

    public StoredPullCatalogue SaveCatalogue(string document, int expectedRevision, string editedBy, DateTimeOffset at)
    {
        lock (_write)
        {
            using var tx = _writer.BeginTransaction();
            using var latest = Command(_writer, "SELECT coalesce(max(revision), 0) FROM pull_catalogue");
            latest.Transaction = tx;
            var revision = (int)(long)latest.ExecuteScalar()!;
            if (revision != expectedRevision)
                throw new PullRuleException(PullErrorKind.Aborted, $"The catalogue is at revision {revision}, not {expectedRevision}: someone else changed it. Read it again and re-apply the edit.");
            using var insert = Command(_writer, "INSERT INTO pull_catalogue(revision, document, edited_by, edited_at) VALUES($r, $d, $by, $at)",
                ("$r", revision + 1), ("$d", document), ("$by", editedBy), ("$at", FormatTime(at)));
            insert.Transaction = tx;
            insert.ExecuteNonQuery();
            tx.Commit();
            return new StoredPullCatalogue(revision + 1, document, editedBy, at);
        }
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

    public void Dispose() => _writer.Dispose();
}
