using System.Globalization;
using System.Threading.Channels;
using DataHub.Core.Audit;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace DataHub.Embedded;

/// <summary>
/// The audit chain in its own SQLite file (audit.db beside hub.db), append-only. Appends are group
/// committed: concurrent callers' entries are linked and written in one transaction, and each caller
/// resumes only when its entry is durable — so an audited read never answers before its entry is stored.
/// </summary>
public sealed class SqliteAuditLog : IAuditLog, IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly Channel<(AuditDraft Draft, TaskCompletionSource<AuditEntry> Done)> _pending =
        // Unbounded is bounded in practice: every caller waits for its own entry, so the queue never
        // holds more than the calls in flight — and the single-reader queue takes writes without a lock.
        Channel.CreateUnbounded<(AuditDraft, TaskCompletionSource<AuditEntry>)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    public SqliteAuditLog(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString();
        using (var c = Open())
        {
            SqliteHubStore.Execute(c, """
                PRAGMA journal_mode=WAL;
                CREATE TABLE IF NOT EXISTS audit(
                    seq INTEGER PRIMARY KEY,
                    at TEXT NOT NULL,
                    agency TEXT NOT NULL,
                    method TEXT NOT NULL,
                    uscc TEXT NOT NULL,
                    purpose TEXT NOT NULL,
                    result TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    previous_hash TEXT NOT NULL,
                    hash TEXT NOT NULL);
                """);
        }
        // A thread of its own: the loop does blocking SQLite work and must not tie up a thread-pool worker.
        _writer = Task.Factory.StartNew(WriteLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public string Path { get; }

    private const int MaxGroup = 4096;

    public async Task<AuditEntry> AppendAsync(AuditDraft draft, CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource<AuditEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _pending.Writer.WriteAsync((draft, done), cancellationToken);
        // Not cancellable once queued: the entry will be written, and the caller must not go on before.
        return await done.Task;
    }

    public IEnumerable<AuditEntry> ReadAll()
    {
        using var c = Open();
        using var cmd = SqliteHubStore.Command(c, "SELECT seq, at, agency, method, uscc, purpose, result, detail, previous_hash, hash FROM audit ORDER BY seq");
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var draft = new AuditDraft
            {
                At = DateTimeOffset.Parse(r.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                Agency = r.GetString(2),
                Method = r.GetString(3),
                Uscc = r.GetString(4),
                Purpose = r.GetString(5),
                Result = r.GetString(6),
                Detail = r.GetString(7),
            };
            yield return new AuditEntry(r.GetInt64(0), draft, r.GetString(8), r.GetString(9));
        }
    }

    private SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        SqliteHubStore.Execute(c, "PRAGMA busy_timeout=30000; PRAGMA synchronous=NORMAL;");
        return c;
    }

    private void WriteLoop()
    {
        using var c = Open();
        var (seq, previous) = Last(c);
        // The raw SQLite statement: this insert runs for every audited call, and the provider's
        // parameter objects cost more than SQLite's own work here.
        var rc = raw.sqlite3_prepare_v2(c.Handle, "INSERT INTO audit(seq, at, agency, method, uscc, purpose, result, detail, previous_hash, hash) " +
                                                 "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", out sqlite3_stmt insert);
        if (rc != raw.SQLITE_OK) throw new IOException($"The audit log {Path} cannot prepare its insert: {raw.sqlite3_errmsg(c.Handle).utf8_to_string()}");
        using var _ = insert;
        var group = new List<(AuditDraft Draft, TaskCompletionSource<AuditEntry> Done)>();
        while (_pending.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            group.Clear();
            while (group.Count < MaxGroup && _pending.Reader.TryRead(out var item)) group.Add(item);
            var entries = new List<AuditEntry>(group.Count);
            try
            {
                using var tx = c.BeginTransaction();
                var (s, h) = (seq, previous);
                foreach (var (draft, _) in group)
                {
                    var entry = AuditChain.Link(++s, draft, h);
                    h = entry.Hash;
                    raw.sqlite3_bind_int64(insert, 1, entry.Seq);
                    raw.sqlite3_bind_text(insert, 2, draft.At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                    raw.sqlite3_bind_text(insert, 3, draft.Agency);
                    raw.sqlite3_bind_text(insert, 4, draft.Method);
                    raw.sqlite3_bind_text(insert, 5, draft.Uscc);
                    raw.sqlite3_bind_text(insert, 6, draft.Purpose);
                    raw.sqlite3_bind_text(insert, 7, draft.Result);
                    raw.sqlite3_bind_text(insert, 8, draft.Detail);
                    raw.sqlite3_bind_text(insert, 9, entry.PreviousHash);
                    raw.sqlite3_bind_text(insert, 10, entry.Hash);
                    rc = raw.sqlite3_step(insert);
                    raw.sqlite3_reset(insert);
                    if (rc != raw.SQLITE_DONE) throw new IOException($"insert failed ({rc}): {raw.sqlite3_errmsg(c.Handle).utf8_to_string()}");
                    entries.Add(entry);
                }
                tx.Commit();
                (seq, previous) = (s, h);
                for (int i = 0; i < group.Count; i++) group[i].Done.TrySetResult(entries[i]);
            }
            catch (Exception e)
            {
                foreach (var (_, done) in group) done.TrySetException(new IOException($"The audit log {Path} could not be written: {e.Message}", e));
                (seq, previous) = Last(c);
            }
        }
    }

    private static (long Seq, string Hash) Last(SqliteConnection c)
    {
        using var cmd = SqliteHubStore.Command(c, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
        using var r = cmd.ExecuteReader();
        return r.Read() ? (r.GetInt64(0), r.GetString(1)) : (0, AuditChain.Genesis);
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _writer;
    }
}
