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
/// journal. An audited call links its entry and copies it into the journal — files mapped into memory
/// (<see cref="AuditJournalSegment"/>) — before it goes on, so no audited read answers before its entry
/// is written; the entry is then in the page cache, as durable as a SQLite commit in WAL mode with
/// synchronous=NORMAL (it survives the hub process dying, not the machine losing power). Every 200 ms a
/// mover copies written entries into audit.db in one transaction and deletes the journal segments whose
/// entries are all stored; at start-up, whatever a crash left in the journal is stored first. Why not a
/// group commit into SQLite, as before: waiting on it made every audited call asynchronous, and on two
/// cores that resumption cost more than the entry itself; and why not pwrite: a system call per call
/// cost more than the rest of the entry. One process writes the log at a time (audit.db.lock); readers
/// use <see cref="ReadAll(string)"/>.
/// </summary>
public sealed class SqliteAuditLog : IAuditLog, IAsyncDisposable
{
    private static readonly TimeSpan MoveInterval = TimeSpan.FromMilliseconds(200);

    // Entries written to the journal but not yet in audit.db, at most: past this the store has not
    // taken entries for a long while, and calls are refused rather than kept only in the journal.
    private const int MaxUnmoved = 1_000_000;

    // A segment's size: about 48,000 entries, a few seconds of the heaviest load measured.
    private const long DefaultSegmentCapacity = 16L << 20;
    private readonly long _segmentCapacity;

    // _gate guards the chain (position, previous hash), the journal's current segment and the entries to move.
    private readonly object _gate = new();
    private readonly FileStream _lock;
    private readonly AuditLinker _linker = new();
    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _insert;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread _mover;
    private long _seq;
    private string _previous;
    // The segment being written, the next one (made ready by the mover when this one is half full), and
    // full segments whose entries are yet to be stored in audit.db.
    private AuditJournalSegment? _segment;
    private AuditJournalSegment? _nextSegment;
    private List<string> _closedSegments = [];
    private volatile Exception? _failure;
    // Records written to the journal and not yet in audit.db. The mover stores them from these bytes, so
    // an audited call leaves no object behind: entries kept as objects until the next move outlived a
    // young-generation collection, and copying them cost each call ~2 µs of pause.
    private byte[] _unmoved = new byte[256 * 1024];
    private int _unmovedLength;
    private int _unmovedCount;
    // The mover's other buffer: swapped with _unmoved at each move.
    private byte[] _moving = new byte[256 * 1024];
    private bool _closed;

    public SqliteAuditLog(string path) : this(path, DefaultSegmentCapacity)
    {
    }

    /// <param name="path">audit.db.</param>
    /// <param name="segmentCapacity">Bytes per journal segment (tests use small ones to see segments fill).</param>
    internal SqliteAuditLog(string path, long segmentCapacity)
    {
        _segmentCapacity = segmentCapacity;
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
            _segment = NewSegment();
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
            if (_unmovedCount >= MaxUnmoved)
                throw new IOException($"The audit log {Path} has not taken entries into its store for a long while ({_unmovedCount:N0} waiting in its journal); audited calls are refused until it does.");
            entry = _linker.Link(_seq + 1, draft, _previous);
            var record = _linker.Record;
            if (!_segment!.Fits(record.Length)) NextSegment();
            // In the journal (the page cache) once copied: the call may go on.
            _segment!.Write(record);
            if (_unmovedLength + record.Length > _unmoved.Length) Array.Resize(ref _unmoved, Math.Max(2 * _unmoved.Length, _unmovedLength + record.Length));
            record.CopyTo(_unmoved.AsSpan(_unmovedLength));
            _unmovedLength += record.Length;
            _unmovedCount++;
            (_seq, _previous) = (entry.Seq, entry.Hash);
        }
        return ValueTask.FromResult(entry);
    }

    /// <summary>Closes the full segment for the mover and goes on in the next (holding _gate); a failure stops the log, as an unwritten entry breaks the chain.</summary>
    private void NextSegment()
    {
        try
        {
            var next = _nextSegment ?? NewSegment();
            _nextSegment = null;
            _closedSegments.Add(_segment!.Path);
            _segment.Dispose();
            _segment = next;
        }
        catch (Exception e)
        {
            _failure = e;
            throw new IOException($"The audit log {Path} could not start a journal segment, so the call is refused (and the log takes no more entries until the hub restarts): {e.Message}", e);
        }
    }

    /// <summary>A new, empty segment, named after the time it is made (segments are read in name order).</summary>
    private AuditJournalSegment NewSegment()
    {
        for (var ticks = DateTime.UtcNow.Ticks; ; ticks++)
        {
            var path = $"{Path}.journal-{ticks:D19}";
            if (File.Exists(path)) continue;
            return AuditJournalSegment.Create(path, _segmentCapacity);
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure) throw new IOException($"The audit log {Path} could not write its journal, so audited calls are refused until the hub restarts: {failure.Message}", failure);
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
                Move();
            }
            catch (Exception)
            {
                // The entries stay in the journal and in memory; the next pass tries again.
            }
            try
            {
                PrepareNextSegment();
            }
            catch (Exception)
            {
                // The call that fills the segment makes the next one itself (and reports if it cannot).
            }
        }
    }

    /// <summary>Makes the next segment ready once the current one is half full, so no call waits for one to be made.</summary>
    private void PrepareNextSegment()
    {
        lock (_gate)
        {
            if (_closed || _nextSegment is not null || _segment is null || _segment.Length < _segment.Capacity / 2) return;
        }
        var next = NewSegment();
        lock (_gate)
        {
            if (_closed || _nextSegment is not null)
            {
                next.Dispose();
                File.Delete(next.Path);
                return;
            }
            _nextSegment = next;
        }
    }

    /// <summary>Copies the written entries into audit.db, then deletes the full segments they were in (mover thread, or disposal after it stopped).</summary>
    private void Move()
    {
        byte[] batch;
        int length, count;
        List<string> segments;
        lock (_gate)
        {
            if (_unmovedLength == 0) return;
            (batch, length, count) = (_unmoved, _unmovedLength, _unmovedCount);
            (_unmoved, _unmovedLength) = (_moving, 0);
            (segments, _closedSegments) = (_closedSegments, []);
        }
        try
        {
            Insert(batch.AsSpan(0, length));
        }
        catch (Exception)
        {
            // Back in front of what was written meanwhile, for the next pass.
            lock (_gate)
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
        lock (_gate) _unmovedCount -= count;
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
            _closed = true; // from here no record is written
        }
        await _stopping.CancelAsync();
        _mover.Join();
        // The segments go unmapped; their files stay until their entries are stored.
        _segment?.Dispose();
        _nextSegment?.Dispose();
        try
        {
            Move();
            // Everything is in audit.db: the last segments go too.
            foreach (var segment in new[] { _segment?.Path, _nextSegment?.Path }.OfType<string>()) File.Delete(segment);
        }
        catch (Exception)
        {
            // What could not be stored stays in the journal and is stored at the next start.
        }
        _stopping.Dispose();
        _insert.Dispose();
        _connection.Dispose();
        _linker.Dispose();
        _lock.Dispose();
    }
}
