using System.Globalization;
using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Core.Text;
using DataHub.Schema.V1;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Adapters.CreditPlatform;

/// <summary>Reading and writing conventions the credit platform's feeds share.</summary>
internal static class CreditRows
{
    public const string Synthetic = "synthetic";

    /// <summary>A record with the envelope fields every feed sets the same way; the caller adds the body.</summary>
    public static CanonicalRecord Record(SourceRow row, string sourceId, Timestamp occurredAt, string updatedField, string[] usccFields, string[] nameFields) => new()
    {
        Source = CreditPlatformSource.Name,
        SourceId = sourceId,
        // Raw, untrimmed: cleaning and validating USCCs and names is the normalizer's job.
        Uscc = row.RawText(usccFields),
        EnterpriseName = row.RawText(nameFields),
        OccurredAt = occurredAt,
        UpdatedAt = row.Instant(updatedField) is { } updated ? Timestamp.FromDateTimeOffset(updated) : null,
        Synthetic = row.Flag(Synthetic) ?? false,
    };

    /// <summary>
    /// A required date field that may also carry the time of day (列入/评价/决定时间): the date, and the
    /// instant the fact happened (midnight China time when only a date is given).
    /// </summary>
    public static (string On, Timestamp At) Occurred(SourceRow row, params string[] names)
    {
        var date = row.RequiredDate(names);
        var at = row.Instant(names)!.Value;
        return (ChinaDates.Format(date), Timestamp.FromDateTimeOffset(at));
    }

    /// <summary>
    /// Looks a coded field up in its code table (keys compared half-width, case-insensitive, without spaces);
    /// null when absent, UNKNOWN_CODE when the value is not in the table.
    /// </summary>
    public static T? Code<T>(SourceRow row, IReadOnlyDictionary<string, T> table, params string[] names) where T : struct
    {
        foreach (var name in names)
        {
            if (row.Text(name) is not { } text) continue;
            if (table.TryGetValue(Fold(text), out var value)) return value;
            throw new RowFormatException("UNKNOWN_CODE", $"field {name} has \"{text}\", which is not in its code table ({string.Join(", ", table.Keys)}).");
        }
        return null;
    }

    /// <summary>A code table keyed case-insensitively on folded keys.</summary>
    public static Dictionary<string, T> Table<T>(params (string Key, T Value)[] entries) =>
        entries.ToDictionary(e => Fold(e.Key), e => e.Value, StringComparer.OrdinalIgnoreCase);

    public static string Fold(string text) => HalfWidth.Fold(text).Replace(" ", "", StringComparison.Ordinal).Trim();

    /// <summary>
    /// Writes the date of a fact together with its time: a bare date when the fact happened at midnight
    /// China time, else the full time (as text or epoch milliseconds, as Java services serialize dates),
    /// so the mapper recovers both the date and occurred_at.
    /// </summary>
    public static JsonNode OccurredNode(string date, Timestamp? occurredAt, string key)
    {
        if (occurredAt is null) return DateNode(date, key);
        var at = occurredAt.ToDateTimeOffset();
        if (ChinaDates.ParseCanonical(date) is { } day && new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), ChinaDates.Offset) == at) return DateNode(date, key);
        return Variant(key, 2) == 0 ? JsonValue.Create(ChinaDates.FormatInstant(at)) : JsonValue.Create(at.ToUnixTimeMilliseconds());
    }

    /// <summary>A canonical date written in one of the forms the platform's providers use, chosen by the row's key.</summary>
    public static JsonNode DateNode(string date, string key)
    {
        if (ChinaDates.ParseCanonical(date) is not { } d) return JsonValue.Create(date);
        string[] formats = ["yyyy-MM-dd", "yyyy/MM/dd", "yyyyMMdd", "yyyy年M月d日"];
        return JsonValue.Create(d.ToString(formats[Variant(key + "/date", formats.Length)], CultureInfo.InvariantCulture));
    }

    /// <summary>The update time as paging needs it: "yyyy-MM-dd HH:mm:ss" China time.</summary>
    public static string UpdatedText(CanonicalRecord record) => ChinaDates.FormatInstant((record.UpdatedAt ?? record.OccurredAt).ToDateTimeOffset());

    /// <summary>Writes an optional text field only when it has a value, as providers leave empty columns out.</summary>
    public static void Put(JsonObject row, string name, string value)
    {
        if (value.Length > 0) row[name] = value;
    }

    /// <summary>A stable choice among <paramref name="count"/> variants (FNV-1a), so the same record is always written the same way.</summary>
    public static int Variant(string key, int count)
    {
        uint hash = 2166136261;
        foreach (var c in key) hash = (hash ^ c) * 16777619;
        return (int)(hash % (uint)count);
    }

    public static JsonObject Copy(JsonObject row) => (JsonObject)row.DeepClone();

    /// <summary>Dates a real source gets wrong: impossible months and days.</summary>
    public static string ImpossibleDate(Random random) => random.Next(3) switch
    {
        0 => "2025-13-45",
        1 => "2024-02-30",
        _ => "0000-00-00",
    };
}
