using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using DataHub.Core.Audit;
using Microsoft.Data.Sqlite;
using Microsoft.Win32.SafeHandles;
using System.Security.Cryptography;
using SQLitePCL;

namespace DataHub.Embedded;

/// <summary>
/// The audit chain: append-only, in its own SQLite file (audit.db beside hub.db), written through a
/// journal. An audited call links its entry and has it written to the journal file on its own thread
/// before it goes on, so no audited read answers before its entry is written; the entry is then as
/// durable as a SQLite commit in WAL mode with synchronous=NORMAL (it survives the hub process dying,
/// not the machine losing power). Writes are combined: whichever caller finds no write in progress
/// writes every record queued so far with one pwrite, while the others wait the few microseconds that
/// takes, so the chain's lock is never held across a system call. Every 200 ms a mover copies written
/// entries into audit.db in one transaction and deletes the journal segments they were in; at start-up,
/// whatever a crash left in the journal is stored first. Why not a group commit into SQLite, as before:
/// waiting on it made every audited call asynchronous, and on two cores that resumption cost more than
/// the entry itself. One process writes the log at a time (audit.db.lock); readers use <see cref="ReadAll(string)"/>.
/// </summary>
public sealed class SqliteAuditLog : IAuditLog, IAsyncDisposable
{
    private static readonly TimeSpan MoveInterval = TimeSpan.FromMilliseconds(200);

    // Entries written to the journal but not yet in audit.db, at most: past this the store has not
    // taken entries for a long while, and calls are refused rather than kept only in the journal.
    private const int MaxUnmoved = 1_000_000;

    // _gate guards the chain (position, previous hash) and the queued records; _writeGate is held by the
    // one caller writing queued records (who also hands them to the mover), and by the mover when it
    // takes them and changes segment.
    private readonly object _gate = new();
    private readonly object _writeGate = new();
    private readonly FileStream _lock;
    private readonly AuditLinker _linker = new();
    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _insert;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread _mover;
    // Segments whose entries are being or are yet to be stored in audit.db.
    private List<string> _closedSegments = [];
    private long _seq;
    private string _previous;
    private SafeFileHandle? _segment;
    private string _segmentPath = "";
    private long _segmentLength;
    // Records linked but not yet written (filled under _gate), and the spare the writer hands back.
    private byte[] _queued = new byte[64 * 1024];
    private int _queuedLength;
    private long _queuedLast;
    private byte[] _spare = new byte[64 * 1024];
    // Every entry up to this position is in the journal.
    private long _written;
    private volatile Exception? _failure;
    // Records written to the journal and not yet in audit.db (under _writeGate). The mover stores them
    // from these bytes, so an audited call leaves no object behind: entries kept as objects until the
    // next move outlived a young-generation collection, and copying them cost each call ~2 µs of pause.
    private byte[] _unmoved = new byte[256 * 1024];
    private int _unmovedLength;
    private int _unmovedCount;
    // The mover's other buffer: swapped with _unmoved at each move.
    private byte[] _moving = new byte[256 * 1024];
    private bool _closed;

    public SqliteAuditLog(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        try
        {
            _lock = new FileStream(Path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"The audit log {Path} is being written by another process (a running hub?); only one may write it. Read it with `datahub audit verify`.", e);
        }
        try
        {
            using (var c = Open(Path))
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
            // The mover's connection and statement are made here, so a store that cannot be written stops
            // the host at start instead of failing later. A raw statement: the provider's parameter objects
            // cost more than SQLite's own work for rows this small.
            _connection = Open(Path);
            var rc = raw.sqlite3_prepare_v2(_connection.Handle, "INSERT OR IGNORE INTO audit(seq, at, agency, method, uscc, purpose, result, detail, previous_hash, hash) " +
                                                               "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", out _insert);
            if (rc != raw.SQLITE_OK) throw new IOException($"The audit log {Path} cannot prepare its insert: {raw.sqlite3_errmsg(_connection.Handle).utf8_to_string()}");
            // What a crash left in the journal goes into the store first; entries already there are kept as they are.
            foreach (var segment in Segments(Path))
            {
                Insert(ReadSegment(segment, out var whole));
                // A segment holding bytes that are no record is kept, out of the journal, as evidence.
                if (whole) File.Delete(segment);
                else File.Move(segment, $"{Path}.unreadable-{System.IO.Path.GetFileName(segment)}", overwrite: true);
            }
            (_seq, _previous) = Last(_connection);
            _written = _seq;
            OpenSegment();
        }
        catch
        {
            // A log that cannot start must not keep others from writing it.
            _connection?.Dispose();
            _lock.Dispose();
            throw;
        }
        _mover = new Thread(MoveLoop) { IsBackground = true, Name = "audit mover" };
        _mover.Start();
    }

    public string Path { get; }

    public ValueTask<AuditEntry> AppendAsync(AuditDraft draft, CancellationToken cancellationToken = default)
    {
        AuditEntry entry;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            ThrowIfFailed();
            if (Volatile.Read(ref _unmovedCount) is var unmoved && unmoved >= MaxUnmoved)
                throw new IOException($"The audit log {Path} has not taken entries into its store for a long while ({unmoved:N0} waiting in its journal); audited calls are refused until it does.");
            entry = _linker.Link(_seq + 1, draft, _previous);
            var record = _linker.Record;
            if (_queuedLength + record.Length > _queued.Length) Array.Resize(ref _queued, Math.Max(2 * _queued.Length, _queuedLength + record.Length));
            record.CopyTo(_queued.AsSpan(_queuedLength));
            _queuedLength += record.Length;
            (_seq, _previous, _queuedLast) = (entry.Seq, entry.Hash, entry.Seq);
        }
        WaitUntilWritten(entry.Seq);
        return ValueTask.FromResult(entry);
    }

    /// <summary>Returns once the journal holds the entry: writes the queued records itself when no one else is, else waits for who is.</summary>
    private void WaitUntilWritten(long seq)
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref _written) < seq)
        {
            ThrowIfFailed();
            if (Monitor.TryEnter(_writeGate))
            {
                try
                {
                    WriteQueued();
                }
                finally
                {
                    Monitor.Exit(_writeGate);
                }
            }
            else
            {
                spin.SpinOnce(sleep1Threshold: -1); // the writer needs microseconds: never sleep a whole millisecond
            }
        }
    }

    /// <summary>Writes every queued record with one pwrite (holding _writeGate); a failure stops the log, as an unwritten entry breaks the chain.</summary>
    private void WriteQueued()
    {
        // After a failed write, nothing more is written: a later record would follow a hole, and its
        // caller would return although an earlier entry of the chain is missing.
        ThrowIfFailed();
        byte[] batch;
        int length;
        long last;
        lock (_gate)
        {
            if (_queuedLength == 0) return;
            (batch, length, last) = (_queued, _queuedLength, _queuedLast);
            (_queued, _queuedLength) = (_spare, 0);
        }
        try
        {
            _segment ??= OpenSegment();
            RandomAccess.Write(_segment, batch.AsSpan(0, length), _segmentLength);
            _segmentLength += length;
        }
        catch (Exception e)
        {
            _failure = e;
            throw new IOException($"The audit log {Path} could not write its journal, so the call is refused (and the log takes no more entries until the hub restarts): {e.Message}", e);
        }
        _spare = batch;
        // The mover's part: the same bytes, now in the journal.
        if (_unmovedLength + length > _unmoved.Length) Array.Resize(ref _unmoved, Math.Max(2 * _unmoved.Length, _unmovedLength + length));
        batch.AsSpan(0, length).CopyTo(_unmoved.AsSpan(_unmovedLength));
        _unmovedLength += length;
        Interlocked.Add(ref _unmovedCount, (int)(last - _written));
        Volatile.Write(ref _written, last);
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure) throw new IOException($"The audit log {Path} could not write its journal, so audited calls are refused until the hub restarts: {failure.Message}", failure);
    }

    /// <summary>Starts a journal segment named after the next position to be written (holding _writeGate, or before the mover runs).</summary>
    private SafeFileHandle OpenSegment()
    {
        var path = $"{Path}.journal-{Volatile.Read(ref _written) + 1:D19}";
        _segment = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        (_segmentPath, _segmentLength) = (path, 0);
        return _segment;
    }

    /// <summary>
    /// The mover's own thread: on the thread pool it waited for a free thread whenever audited calls kept
    /// every one busy — exactly when entries pile up — until calls were refused for entries not moved.
    /// </summary>
    private void MoveLoop()
    {
        while (!_stopping.Token.WaitHandle.WaitOne(MoveInterval))
        {
            try
            {
                Move(startNextSegment: true);
            }
            catch (Exception)
            {
                // The entries stay in the journal and in memory; the next pass tries again.
            }
        }
    }

    /// <summary>Copies the written entries into audit.db, then deletes the segments they were in (mover thread, or disposal after it stopped).</summary>
    private void Move(bool startNextSegment)
    {
        byte[] batch;
        int length, count;
        List<string> segments;
        lock (_writeGate)
        {
            // Only entries already in the journal: one still queued belongs to a call not yet answered.
            if (_unmovedLength == 0) return;
            (batch, length, count) = (_unmoved, _unmovedLength, Volatile.Read(ref _unmovedCount));
            (_unmoved, _unmovedLength) = (_moving, 0);
            // Records written from now on go to a new segment, so this one can go once its entries are
            // stored (an empty one, after a pass that failed, stays in use).
            if (_segmentLength > 0 || !startNextSegment)
            {
                _closedSegments.Add(_segmentPath);
                _segment?.Dispose();
                _segment = null;
            }
            if (startNextSegment && _segment is null)
            {
                try
                {
                    OpenSegment();
                }
                catch (Exception)
                {
                    // The next write opens one; if it cannot, the log stops taking entries (see WriteQueued).
                }
            }
            (segments, _closedSegments) = (_closedSegments, []);
        }
        try
        {
            Insert(batch.AsSpan(0, length));
        }
        catch (Exception)
        {
            // Back in front of what was written meanwhile, for the next pass.
            lock (_writeGate)
            {
                var unmoved = new byte[Math.Max(_unmoved.Length, length + _unmovedLength)];
                batch.AsSpan(0, length).CopyTo(unmoved);
                _unmoved.AsSpan(0, _unmovedLength).CopyTo(unmoved.AsSpan(length));
                (_unmoved, _unmovedLength) = (unmoved, length + _unmovedLength);
                _closedSegments.InsertRange(0, segments);
            }
            throw;
        }
        _moving = batch;
        Interlocked.Add(ref _unmovedCount, -count);
        foreach (var segment in segments) File.Delete(segment);
    }

    /// <summary>Stores journal records (whole ones, as <see cref="ValidRecords"/> passes them) in one transaction, binding their bytes as they are.</summary>
    private void Insert(ReadOnlySpan<byte> records)
    {
        if (records.IsEmpty) return;
        Span<Range> fields = stackalloc Range[AuditChain.FieldCount];
        Span<byte> hash = stackalloc byte[2 * AuditLinker.DigestSize];
        using var tx = _connection.BeginTransaction();
        while (NextRecord(ref records, out var content, out var digest))
        {
            if (!AuditChain.TryReadFields(content, out var seq, fields)) throw new InvalidDataException($"The audit log {Path} holds a journal record that is not an entry.");
            raw.sqlite3_bind_int64(_insert, 1, seq);
            // Text exactly as it was hashed (UTF-8 with its length, so U+0000 is kept): time, agency, method,
            // USCC, purpose, result, detail, previous hash; then the record's digest in hex.
            for (int i = 0; i < AuditChain.FieldCount; i++) raw.sqlite3_bind_text(_insert, i + 2, content[fields[i]]);
            Convert.TryToHexStringLower(digest, hash, out _);
            raw.sqlite3_bind_text(_insert, AuditChain.FieldCount + 2, (ReadOnlySpan<byte>)hash);
            var rc = raw.sqlite3_step(_insert);
            raw.sqlite3_reset(_insert);
            if (rc != raw.SQLITE_DONE) throw new IOException($"The audit log {Path} could not store entry {seq} ({rc}): {raw.sqlite3_errmsg(_connection.Handle).utf8_to_string()}");
        }
        tx.Commit();
    }

    /// <summary>Takes the next record off <paramref name="records"/> (whole records, as written); false at the end.</summary>
    private static bool NextRecord(ref ReadOnlySpan<byte> records, out ReadOnlySpan<byte> content, out ReadOnlySpan<byte> digest)
    {
        if (records.Length < AuditLinker.LengthSize || BinaryPrimitives.ReadInt32BigEndian(records) is var length && length == 0)
        {
            content = digest = default;
            return false;
        }
        content = records.Slice(AuditLinker.LengthSize, length);
        digest = records.Slice(AuditLinker.LengthSize + length, AuditLinker.DigestSize);
        records = records[(AuditLinker.LengthSize + length + AuditLinker.DigestSize)..];
        return true;
    }

    public IEnumerable<AuditEntry> ReadAll() => ReadAll(Path);

    /// <summary>
    /// Every entry in order: audit.db, then what is still in the journal. Reads without writing, so it
    /// works beside the hub that writes the log (the journal is read first: an entry that leaves it
    /// meanwhile is already in audit.db).
    /// </summary>
    public static IEnumerable<AuditEntry> ReadAll(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        var journal = Segments(path).SelectMany(segment => Entries(ReadSegment(segment, out _))).ToList();
        long last = 0;
        if (File.Exists(path))
        {
            using var c = Open(path);
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
                last = r.GetInt64(0);
                yield return new AuditEntry(last, draft, r.GetString(8), r.GetString(9));
            }
        }
        foreach (var entry in journal.Where(e => e.Seq > last).OrderBy(e => e.Seq)) yield return entry;
    }

    /// <summary>The journal segments of the log at <paramref name="path"/>, oldest first.</summary>
    private static IEnumerable<string> Segments(string path)
    {
        var directory = System.IO.Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory)) return [];
        return Directory.GetFiles(directory, System.IO.Path.GetFileName(path) + ".journal-*").Order(StringComparer.Ordinal);
    }

    /// <summary>The entries of the journal records <paramref name="records"/> (whole ones).</summary>
    private static IEnumerable<AuditEntry> Entries(byte[] records)
    {
        var entries = new List<AuditEntry>();
        ReadOnlySpan<byte> rest = records;
        while (NextRecord(ref rest, out var content, out var digest))
        {
            var (seq, draft, previous) = AuditChain.Deserialize(content)!.Value;
            entries.Add(new AuditEntry(seq, draft, previous, Convert.ToHexStringLower(digest)));
        }
        return entries;
    }

    /// <summary>
    /// The whole records of one journal segment (<see cref="AuditLinker.Record"/>s one after another,
    /// then zeros); empty when it is gone. A last record whose bytes do not hash to its digest was being
    /// copied in when the process died — the entry of a call that never answered — and is left out; any
    /// other record keeps the hash the journal holds, so a changed record fails verification like a changed row.
    /// </summary>
    /// <param name="segment">The segment file.</param>
    /// <param name="whole">False when bytes that are neither records, zeros nor a record cut short follow the last record read.</param>
    private static byte[] ReadSegment(string segment, out bool whole)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(segment);
        }
        catch (FileNotFoundException)
        {
            whole = true;
            return []; // moved into audit.db meanwhile
        }
        return bytes[..ValidRecords(bytes, out whole)];
    }

    /// <summary>How many bytes at the start of <paramref name="bytes"/> are whole records (see <see cref="ReadSegment"/>).</summary>
    private static int ValidRecords(ReadOnlySpan<byte> bytes, out bool whole)
    {
        var rest = bytes;
        Span<byte> actual = stackalloc byte[AuditLinker.DigestSize];
        int valid = 0;
        while (rest.Length >= AuditLinker.LengthSize)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(rest);
            if (length <= 0) break; // zeros: the end (or no record at all)
            // A record cut short at the end of the file was being written when the process died.
            if (rest.Length - AuditLinker.LengthSize - AuditLinker.DigestSize < length)
            {
                whole = true;
                return valid;
            }
            var content = rest.Slice(AuditLinker.LengthSize, length);
            var digest = rest.Slice(AuditLinker.LengthSize + length, AuditLinker.DigestSize);
            var after = rest[(AuditLinker.LengthSize + length + AuditLinker.DigestSize)..];
            SHA256.HashData(content, actual);
            if (!actual.SequenceEqual(digest) && !after.ContainsAnyExcept((byte)0))
            {
                whole = true;
                return valid;
            }
            if (AuditChain.Deserialize(content) is null) break;
            valid += AuditLinker.LengthSize + length + AuditLinker.DigestSize;
            rest = after;
        }
        whole = !rest.ContainsAnyExcept((byte)0);
        return valid;
    }

    private static SqliteConnection Open(string path)
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
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
        lock (_gate)
        {
            if (_closed) return;
            _closed = true; // from here no record is queued
        }
        await _stopping.CancelAsync();
        _mover.Join();
        try
        {
            // Calls that queued their record before the log closed are still waiting for it: write it
            // (they then return), so the last move stores it and no later write can follow.
            lock (_writeGate) WriteQueued();
            Move(startNextSegment: false);
            // Everything is in audit.db: the last segment, empty, goes too.
            _segment?.Dispose();
            File.Delete(_segmentPath);
        }
        catch (Exception)
        {
            // What could not be stored stays in the journal and is stored at the next start.
            _segment?.Dispose();
        }
        _stopping.Dispose();
        _insert.Dispose();
        _connection.Dispose();
        _linker.Dispose();
        _lock.Dispose();
    }
}
