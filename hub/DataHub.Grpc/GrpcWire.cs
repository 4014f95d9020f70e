using System.Globalization;
using System.Text;

namespace DataHub.Grpc;

/// <summary>Header encodings of the wire protocol (grpc/grpc doc/PROTOCOL-HTTP2.md).</summary>
public static class GrpcWire
{
    public const string ContentType = "application/grpc";
    public const string Identity = "identity";
    public const string Gzip = "gzip";
    public const string AcceptedEncodings = "identity,gzip";

    /// <summary>
    /// Parses grpc-timeout: one to eight ASCII digits and a unit, H M S m u n. Null for a malformed
    /// value (the caller reports it); a timeout too long to schedule is treated as none.
    /// </summary>
    public static bool TryParseTimeout(string value, out TimeSpan? timeout)
    {
        timeout = null;
        if (value.Length is < 2 or > 9) return false;
        var digits = value.AsSpan(0, value.Length - 1);
        foreach (var ch in digits) if (ch is < '0' or > '9') return false;
        var amount = long.Parse(digits, CultureInfo.InvariantCulture);
        double ticks = value[^1] switch
        {
            'H' => amount * (double)TimeSpan.TicksPerHour,
            'M' => amount * (double)TimeSpan.TicksPerMinute,
            'S' => amount * (double)TimeSpan.TicksPerSecond,
            'm' => amount * (double)TimeSpan.TicksPerMillisecond,
            'u' => amount * 10.0,
            'n' => amount / 100.0,
            _ => double.NaN,
        };
        if (double.IsNaN(ticks)) return false;
        // Timers run up to about 49 days; longer deadlines never fire in practice.
        if (ticks < TimeSpan.FromDays(49).Ticks) timeout = TimeSpan.FromTicks((long)Math.Ceiling(ticks));
        return true;
    }

    /// <summary>Formats a timeout as the shortest exact grpc-timeout value (for clients and tests).</summary>
    public static string FormatTimeout(TimeSpan timeout)
    {
        var ms = (long)Math.Ceiling(timeout.TotalMilliseconds);
        return ms < 100_000_000 ? $"{ms}m" : $"{(long)Math.Ceiling(timeout.TotalSeconds)}S";
    }

    /// <summary>grpc-message: UTF-8, then percent-encoding of every byte outside printable ASCII and of '%'.</summary>
    public static string EncodeMessage(string message)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        var sb = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%') sb.Append((char)b);
            else sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>Decodes grpc-message; a malformed escape is kept as it came rather than failing.</summary>
    public static string DecodeMessage(string value)
    {
        var bytes = new List<byte>(value.Length);
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && i + 2 < value.Length &&
                byte.TryParse(value.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else bytes.AddRange(Encoding.UTF8.GetBytes(value[i].ToString()));
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>Whether an encoding list (grpc-accept-encoding) names gzip.</summary>
    internal static bool Accepts(string? acceptEncoding, string encoding) =>
        acceptEncoding is not null && acceptEncoding.Split(',', StringSplitOptions.TrimEntries).Contains(encoding, StringComparer.Ordinal);
}
