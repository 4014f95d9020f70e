using DataHub.Schema.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Adapters.Import;

/// <summary>Reads a JSON-lines file into raw records, one per non-blank line, each naming its file and line.</summary>
public static class CanonicalJsonLinesFile
{
    /// <summary>The source name raw records of a file import carry (the canonical records name their own source).</summary>
    public const string Source = "import";

    public static IEnumerable<RawRecord> Read(string path, TimeProvider time, Action<long>? bytesRead = null)
    {
        var fetchedAt = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        var name = Path.GetFileName(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long lineNo = 0;
        foreach (var line in SplitLines(stream, bytesRead))
        {
            lineNo++;
            if (line.Length == 0 || IsBlank(line.Span)) continue;
            yield return new RawRecord
            {
                Source = Source,
                Format = CanonicalJsonLinesMapper.FormatName,
                Origin = $"{name}:{lineNo}",
                FetchedAt = fetchedAt,
                Payload = UnsafeByteOperations.UnsafeWrap(line),
                Checkpoint = lineNo.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
        }
    }

    private static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r')) return false;
        return true;
    }

    private const int ChunkSize = 1 << 20;

    /// <summary>
    /// Splits on '\n' at the byte level, so a line that is not valid UTF-8 reaches the mapper (and quarantine) intact.
    /// Lines are slices of large chunks the file is read into, not arrays of their own.
    /// </summary>
    private static IEnumerable<ReadOnlyMemory<byte>> SplitLines(Stream stream, Action<long>? bytesRead)
    {
        var chunk = new byte[ChunkSize];
        int lineStart = 0, filled = 0;
        bool first = true;
        while (true)
        {
            if (filled == chunk.Length)
            {
                // The chunk is full: the unfinished line moves to a new one; the lines already handed out keep the old one.
                int pending = filled - lineStart;
                var next = new byte[Math.Max(ChunkSize, pending * 2)];
                Array.Copy(chunk, lineStart, next, 0, pending);
                chunk = next;
                lineStart = 0;
                filled = pending;
            }
            int n = stream.Read(chunk, filled, chunk.Length - filled);
            if (n == 0) break;
            bytesRead?.Invoke(n);
            int scan = filled;
            filled += n;
            if (first)
            {
                first = false;
                if (filled >= 3 && chunk[0] == 0xEF && chunk[1] == 0xBB && chunk[2] == 0xBF) lineStart = scan = 3;
            }
            for (int i = scan; i < filled; i++)
            {
                if (chunk[i] != (byte)'\n') continue;
                yield return TrimCr(chunk.AsMemory(lineStart, i - lineStart));
                lineStart = i + 1;
            }
        }
        if (filled > lineStart) yield return TrimCr(chunk.AsMemory(lineStart, filled - lineStart));
    }

    private static ReadOnlyMemory<byte> TrimCr(ReadOnlyMemory<byte> line) => line.Length > 0 && line.Span[^1] == (byte)'\r' ? line[..^1] : line;
}
