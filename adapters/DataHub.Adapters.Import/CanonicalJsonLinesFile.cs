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
            if (line.Length == 0 || IsBlank(line)) continue;
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

    private static bool IsBlank(byte[] line) => line.All(b => b is (byte)' ' or (byte)'\t' or (byte)'\r');

    /// <summary>Splits on '\n' at the byte level, so a line that is not valid UTF-8 reaches the mapper (and quarantine) intact.</summary>
    private static IEnumerable<byte[]> SplitLines(Stream stream, Action<long>? bytesRead)
    {
        var buffer = new byte[1 << 16];
        var pending = new MemoryStream();
        bool first = true;
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            bytesRead?.Invoke(n);
            int start = 0;
            if (first)
            {
                first = false;
                if (n >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF) start = 3;
            }
            for (int i = start; i < n; i++)
            {
                if (buffer[i] != (byte)'\n') continue;
                pending.Write(buffer, start, i - start);
                yield return TrimCr(pending.ToArray());
                pending.SetLength(0);
                start = i + 1;
            }
            pending.Write(buffer, start, n - start);
        }
        if (pending.Length > 0) yield return TrimCr(pending.ToArray());
    }

    private static byte[] TrimCr(byte[] line) => line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;
}
