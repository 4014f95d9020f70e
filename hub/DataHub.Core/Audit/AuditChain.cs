using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace DataHub.Core.Audit;

/// <summary>What happened, before it takes its place in the chain.</summary>
public sealed record AuditDraft
{
    /// <summary>The calling agency's id, or "(unauthenticated)".</summary>
    public required string Agency { get; init; }

    /// <summary>The operation, e.g. "/datahub.v1.ProfileService/GetProfile".</summary>
    public required string Method { get; init; }

    /// <summary>The enterprise concerned; empty for searches and admin calls.</summary>
    public string Uscc { get; init; } = "";

    /// <summary>Why the caller did it (metadata x-purpose); empty when it did not say.</summary>
    public string Purpose { get; init; } = "";

    /// <summary>The outcome: "OK" or a status name such as "PERMISSION_DENIED".</summary>
    public required string Result { get; init; }

    /// <summary>Further facts: the search text and hit count, records submitted, sections returned.</summary>
    public string Detail { get; init; } = "";

    public required DateTimeOffset At { get; init; }
}

/// <summary>An entry of the audit chain: the draft, its position, and the hashes that link it to the one before.</summary>
public sealed record AuditEntry(long Seq, AuditDraft Draft, string PreviousHash, string Hash);

/// <summary>
/// The audit log's hash chain (全程留痕): each entry carries the SHA-256 of the previous entry, and its
/// own hash covers its position, every field and that previous hash, so changing, removing or
/// reordering any entry breaks every link after it.
/// </summary>
public static class AuditChain
{
    /// <summary>The previous hash of the first entry.</summary>
    public static readonly string Genesis = new('0', 64);

    public static AuditEntry Link(long seq, AuditDraft draft, string previousHash) => new(seq, draft, previousHash, HashOf(seq, draft, previousHash));

    /// <summary>Lower-case hex SHA-256 over the fields, each length-prefixed so no two entries serialize alike.</summary>
    public static string HashOf(long seq, AuditDraft d, string previousHash)
    {
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(SerializedSize(d, previousHash));
        try
        {
            Span<byte> digest = stackalloc byte[32];
            SHA256.HashData(rented.AsSpan(0, Serialize(seq, d, previousHash, rented)), digest);
            return Convert.ToHexStringLower(digest);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// At most how many bytes <see cref="Serialize"/> writes. The bytes an entry's hash covers are its
    /// position (8 bytes, big-endian), then its time, agency, method, USCC, purpose, result, detail and
    /// previous hash, each as its UTF-8 length (8 bytes, big-endian) and bytes.
    /// </summary>
    public static int SerializedSize(AuditDraft d, string previousHash) =>
        8 + 8 * 8 + MaxTimeLength + Utf8(d.Agency) + Utf8(d.Method) + Utf8(d.Uscc) + Utf8(d.Purpose) + Utf8(d.Result) + Utf8(d.Detail) + Utf8(previousHash);

    /// <summary>Writes what the hash covers into <paramref name="buffer"/> (at least <see cref="SerializedSize"/> long); returns the length.</summary>
    public static int Serialize(long seq, AuditDraft d, string previousHash, Span<byte> buffer)
    {
        BinaryPrimitives.WriteInt64BigEndian(buffer, seq);
        int offset = 8;
        Span<char> at = stackalloc char[MaxTimeLength];
        offset = Put(buffer, offset, at[..FormatTime(d.At, at)]);
        foreach (var field in (ReadOnlySpan<string>)[d.Agency, d.Method, d.Uscc, d.Purpose, d.Result, d.Detail, previousHash])
            offset = Put(buffer, offset, field);
        return offset;
    }

    /// <summary>The longest round-trip ("O") UTC time text.</summary>
    public const int MaxTimeLength = 40;

    /// <summary>The entry's time as hashed and stored: round-trip ("O") UTC text; returns its length.</summary>
    public static int FormatTime(DateTimeOffset at, Span<char> destination)
    {
        at.UtcDateTime.TryFormat(destination, out var length, "O", System.Globalization.CultureInfo.InvariantCulture);
        return length;
    }

    /// <summary>How many text fields <see cref="Serialize"/> writes after the position: time, agency, method, USCC, purpose, result, detail, previous hash.</summary>
    public const int FieldCount = 8;

    /// <summary>
    /// The position and where each of the <see cref="FieldCount"/> fields' UTF-8 bytes lie in
    /// <see cref="Serialize"/>'s bytes, without decoding them; false when the bytes are not that.
    /// </summary>
    public static bool TryReadFields(ReadOnlySpan<byte> content, out long seq, Span<Range> fields)
    {
        seq = 0;
        if (content.Length < 8 || fields.Length < FieldCount) return false;
        seq = BinaryPrimitives.ReadInt64BigEndian(content);
        int offset = 8;
        for (int i = 0; i < FieldCount; i++)
        {
            if (content.Length - offset < 8) return false;
            var length = BinaryPrimitives.ReadInt64BigEndian(content[offset..]);
            offset += 8;
            if (length < 0 || length > content.Length - offset) return false;
            fields[i] = new Range(offset, offset + (int)length);
            offset += (int)length;
        }
        return offset == content.Length;
    }

    /// <summary>The position, draft and previous hash back from <see cref="Serialize"/>'s bytes; null when the bytes are not that.</summary>
    public static (long Seq, AuditDraft Draft, string PreviousHash)? Deserialize(ReadOnlySpan<byte> content)
    {
        Span<Range> ranges = stackalloc Range[FieldCount];
        if (!TryReadFields(content, out var seq, ranges)) return null;
        var fields = new string[FieldCount];
        for (int i = 0; i < FieldCount; i++) fields[i] = Encoding.UTF8.GetString(content[ranges[i]]);
        if (!DateTimeOffset.TryParse(fields[0], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at))
            return null;
        var draft = new AuditDraft { At = at, Agency = fields[1], Method = fields[2], Uscc = fields[3], Purpose = fields[4], Result = fields[5], Detail = fields[6] };
        return (seq, draft, fields[7]);
    }

    private static int Utf8(string s) => Encoding.UTF8.GetByteCount(s);

    /// <summary>Writes the field's UTF-8 length (8 bytes, big-endian) and bytes; returns the new offset.</summary>
    private static int Put(Span<byte> buffer, int offset, ReadOnlySpan<char> field)
    {
        int written = Encoding.UTF8.GetBytes(field, buffer[(offset + 8)..]);
        BinaryPrimitives.WriteInt64BigEndian(buffer[offset..], written);
        return offset + 8 + written;
    }

    /// <summary>Checks every link in order; the first break, or null when the chain is whole.</summary>
    public static AuditBreak? Verify(IEnumerable<AuditEntry> entries, out long verified)
    {
        verified = 0;
        var previous = Genesis;
        long expectedSeq = 1;
        foreach (var e in entries)
        {
            if (e.Seq != expectedSeq)
                return new AuditBreak(e.Seq, $"entry {e.Seq} follows entry {expectedSeq - 1}: entries {expectedSeq}..{e.Seq - 1} are missing");
            if (e.PreviousHash != previous)
                return new AuditBreak(e.Seq, $"entry {e.Seq} names previous hash {e.PreviousHash[..Math.Min(12, e.PreviousHash.Length)]}… but entry {e.Seq - 1} hashes to {previous[..12]}…");
            var actual = HashOf(e.Seq, e.Draft, e.PreviousHash);
            if (actual != e.Hash)
                return new AuditBreak(e.Seq, $"entry {e.Seq} was altered: its content hashes to {actual[..12]}…, the chain recorded {e.Hash[..Math.Min(12, e.Hash.Length)]}…");
            previous = e.Hash;
            expectedSeq++;
            verified++;
        }
        return null;
    }
}

/// <summary>
/// Links entries on one thread at a time, reusing its SHA-256 state and buffer: the audit log links an
/// entry for every audited call, and a one-shot hash sets up and tears down its digest state each time.
/// Gives exactly <see cref="AuditChain.HashOf"/>. After each link, <see cref="Record"/> holds the entry
/// as one self-checking record: the length of the hashed bytes (4 bytes, big-endian), those bytes
/// (<see cref="AuditChain.Serialize"/>) and their SHA-256 — the entry's hash.
/// </summary>
public sealed class AuditLinker : IDisposable
{
    /// <summary>The record's parts around the hashed bytes: the length before, the SHA-256 after.</summary>
    public const int LengthSize = 4, DigestSize = 32;

    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[] _buffer = new byte[1024];
    private int _recordLength;

    public AuditEntry Link(long seq, AuditDraft draft, string previousHash)
    {
        var size = LengthSize + AuditChain.SerializedSize(draft, previousHash) + DigestSize;
        if (size > _buffer.Length) _buffer = new byte[Math.Max(size, 2 * _buffer.Length)];
        var content = AuditChain.Serialize(seq, draft, previousHash, _buffer.AsSpan(LengthSize));
        BinaryPrimitives.WriteInt32BigEndian(_buffer, content);
        _sha.AppendData(_buffer, LengthSize, content);
        var digest = _buffer.AsSpan(LengthSize + content, DigestSize);
        _sha.GetHashAndReset(digest);
        _recordLength = LengthSize + content + DigestSize;
        return new AuditEntry(seq, draft, previousHash, Convert.ToHexStringLower(digest));
    }

    /// <summary>The last linked entry as a record; valid until the next <see cref="Link"/>.</summary>
    public ReadOnlySpan<byte> Record => _buffer.AsSpan(0, _recordLength);

    public void Dispose() => _sha.Dispose();
}

/// <summary>The first broken link of an audit chain.</summary>
public sealed record AuditBreak(long Seq, string Reason);

/// <summary>The audit log's store. Embedded: its own SQLite file; scale-out: PostgreSQL.</summary>
public interface IAuditLog
{
    /// <summary>Appends the draft to the chain; returns once it is durable (a value task: the embedded log completes at once, on every audited call).</summary>
    ValueTask<AuditEntry> AppendAsync(AuditDraft draft, CancellationToken cancellationToken = default);

    /// <summary>Every entry in order, read lazily.</summary>
    IEnumerable<AuditEntry> ReadAll();
}
