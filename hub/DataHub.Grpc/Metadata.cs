using System.Collections;

namespace DataHub.Grpc;

/// <summary>
/// Custom metadata of a call: ASCII entries, and binary entries whose keys end in "-bin" (sent in
/// base64). Keys are lower case <c>[0-9a-z_.-]</c>; "grpc-" is reserved for the protocol.
/// </summary>
public sealed class Metadata : IEnumerable<Metadata.Entry>
{
    public const string BinarySuffix = "-bin";
    private readonly List<Entry> _entries = [];

    public int Count => _entries.Count;

    public void Add(string key, string value)
    {
        key = ValidKey(key);
        if (IsBinaryKey(key)) throw new ArgumentException($"Metadata key '{key}' ends in '-bin'; add its value as bytes.", nameof(key));
        foreach (var ch in value)
            if (ch is < ' ' or > '~')
                throw new ArgumentException($"Metadata value of '{key}' contains U+{(int)ch:X4}; ASCII values may hold printable characters only (use a '-bin' key for other data).", nameof(value));
        _entries.Add(new Entry(key, value, null));
    }

    public void Add(string key, byte[] value)
    {
        key = ValidKey(key);
        if (!IsBinaryKey(key)) throw new ArgumentException($"Metadata key '{key}' must end in '-bin' to carry bytes.", nameof(key));
        _entries.Add(new Entry(key, null, value));
    }

    /// <summary>The last ASCII value of the key, or null.</summary>
    public string? GetValue(string key)
    {
        // Loops, not LINQ: every authenticated call looks up its credential and purpose here.
        for (int i = _entries.Count - 1; i >= 0; i--)
            if (_entries[i] is { Value: { } value } entry && entry.Key == key) return value;
        return null;
    }

    /// <summary>The last binary value of the key, or null.</summary>
    public byte[]? GetBytes(string key)
    {
        for (int i = _entries.Count - 1; i >= 0; i--)
            if (_entries[i] is { Bytes: { } bytes } entry && entry.Key == key) return bytes;
        return null;
    }

    public IEnumerator<Entry> GetEnumerator() => _entries.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public static bool IsBinaryKey(string key) => key.EndsWith(BinarySuffix, StringComparison.Ordinal);

    /// <summary>Base64 as the protocol sends it: without padding.</summary>
    internal static string EncodeBinary(byte[] value) => Convert.ToBase64String(value).TrimEnd('=');

    /// <summary>Accepts padded and unpadded base64; several values joined by ',' come back separately.</summary>
    internal static IEnumerable<byte[]> DecodeBinary(string header)
    {
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var padded = part.TrimEnd('=');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            yield return Convert.FromBase64String(padded);
        }
    }

    private static string ValidKey(string key)
    {
        if (key.Length == 0) throw new ArgumentException("Metadata key is empty.", nameof(key));
        key = key.ToLowerInvariant();
        foreach (var ch in key)
            if (!(ch is >= 'a' and <= 'z' or >= '0' and <= '9' or '_' or '.' or '-'))
                throw new ArgumentException($"Metadata key '{key}' contains '{ch}'; keys use 0-9 a-z _ . - only.", nameof(key));
        if (key.StartsWith("grpc-", StringComparison.Ordinal))
            throw new ArgumentException($"Metadata key '{key}' starts with 'grpc-', which the protocol reserves.", nameof(key));
        return key;
    }

    /// <summary>One entry: <see cref="Value"/> for ASCII keys, <see cref="Bytes"/> for "-bin" keys.</summary>
    public sealed record Entry(string Key, string? Value, byte[]? Bytes)
    {
        public bool IsBinary => Bytes is not null;

        public override string ToString() => IsBinary ? $"{Key}: {Convert.ToBase64String(Bytes!)}" : $"{Key}: {Value}";
    }
}
