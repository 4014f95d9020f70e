using System.Globalization;
using System.Text;
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
    // Unbounded is bounded in practice: every caller waits for its own entry, so the queue never holds
    // more than the calls in flight.
    private readonly GroupCommitQueue<(AuditDraft Draft, TaskCompletionSource<AuditEntry> Done)> _pending = new();
    private readonly Task _writer;
    private readonly WalCheckpointer _checkpointer;
    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _insert;
    // Set when the log can no longer be written: every call then fails instead of going unaudited.
    private volatile Exception? _failure;

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
        // The writer's connection and statement are made here, so a store that cannot be written stops
        // the host at start instead of leaving callers waiting.
        _connection = Open();
        // The raw SQLite statement: this insert runs for every audited call, and the provider's
        // parameter objects cost more than SQLite's own work here.
        var rc = raw.sqlite3_prepare_v2(_connection.Handle, "INSERT INTO audit(seq, at, agency, method, uscc, purpose, result, detail, previous_hash, hash) " +
                                                           "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", out _insert);
        if (rc != raw.SQLITE_OK) throw new IOException($"The audit log {Path} cannot prepare its insert: {raw.sqlite3_errmsg(_connection.Handle).utf8_to_string()}");
        // A thread of its own: the loop does blocking SQLite work and must not tie up a thread-pool worker.
        // Checkpoints (copying the WAL into the file, with its fsyncs) run beside the writer every second,
        // so an audited call does not wait for one; the writer checkpoints itself only if the WAL grows
        // past 64 MiB anyway, which bounds the file.
        SqliteHubStore.Execute(_connection, "PRAGMA wal_autocheckpoint=16384;");
        _writer = Task.Factory.StartNew(WriteLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        _checkpointer = new WalCheckpointer(Open);
    }

    public string Path { get; }

    private const int MaxGroup = 4096;

    public async Task<AuditEntry> AppendAsync(AuditDraft draft, CancellationToken cancellationToken = default)
    {
        if (_failure is { } failure) throw new IOException($"The audit log {Path} cannot be written; audited calls are refused: {failure.Message}", failure);
        var done = new TaskCompletionSource<AuditEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.TryAdd((draft, done))) throw new ObjectDisposedException(nameof(SqliteAuditLog), $"The audit log {Path} is closed; audited calls are refused.");
        // Not cancellable once queued: the entry will be written, and the caller must not go on before.
        return await done.Task;
    }

    private void WriteLoop()
    {
        var c = _connection;
        var (seq, previous) = Last(c);
        var group = new List<(AuditDraft Draft, TaskCompletionSource<AuditEntry> Done)>();
        using var linker = new AuditLinker();
        Span<char> at = stackalloc char[AuditChain.MaxTimeLength];
        while (_pending.TakeGroup(group, MaxGroup))
        {
            if (_failure is { } failure)
            {
                foreach (var (_, done) in group) done.TrySetException(new IOException($"The audit log {Path} cannot be written: {failure.Message}", failure));
                continue;
            }
            var entries = new List<AuditEntry>(group.Count);
            try
            {
                using var tx = c.BeginTransaction();
                var (s, h) = (seq, previous);
                foreach (var (draft, _) in group)
                {
                    var entry = linker.Link(++s, draft, h);
                    h = entry.Hash;
                    raw.sqlite3_bind_int64(_insert, 1, entry.Seq);
                    BindText(2, at[..AuditChain.FormatTime(draft.At, at)]);
                    BindText(3, draft.Agency);
                    BindText(4, draft.Method);
                    BindText(5, draft.Uscc);
                    BindText(6, draft.Purpose);
                    BindText(7, draft.Result);
                    BindText(8, draft.Detail);
                    BindText(9, entry.PreviousHash);
                    BindText(10, entry.Hash);
                    var rc = raw.sqlite3_step(_insert);
                    raw.sqlite3_reset(_insert);
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
                try
                {
                    (seq, previous) = Last(c);
                }
                catch (Exception fatal)
                {
                    _failure = fatal;
                }
            }
        }
    }

    // The writer thread's scratch for binding text (SQLite copies bound text: SQLITE_TRANSIENT).
    private byte[] _utf8 = new byte[1024];

    /// <summary>Binds UTF-8 with its length: text holding U+0000 is stored whole, exactly as it was hashed.</summary>
    private void BindText(int index, ReadOnlySpan<char> value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max > _utf8.Length) _utf8 = new byte[Math.Max(max, 2 * _utf8.Length)];
        raw.sqlite3_bind_text(_insert, index, (ReadOnlySpan<byte>)_utf8.AsSpan(0, Encoding.UTF8.GetBytes(value, _utf8)));
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

    private static (long Seq, string Hash) Last(SqliteConnection c)
    {
        using var cmd = SqliteHubStore.Command(c, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
        using var r = cmd.ExecuteReader();
        return r.Read() ? (r.GetInt64(0), r.GetString(1)) : (0, AuditChain.Genesis);
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Complete();
        await _writer;
        _pending.Dispose();
        await _checkpointer.DisposeAsync();
        _insert.Dispose();
        _connection.Dispose();
    }
}
