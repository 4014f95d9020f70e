using System.Globalization;
using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Adapters.MarketSupervision;

/// <summary>
/// One field of a row under its v2 name (GSXT JSON, camelCase) and its v1 name (SAMR exchange
/// tables, lower-case; CF_* for penalties), then older aliases. Mappers read all of them.
/// </summary>
internal sealed class Field(string v2, string v1, params string[] aliases)
{
    public string V2 { get; } = v2;

    public string V1 { get; } = v1;

    public string[] Names { get; } = [.. new[] { v2, v1 }.Concat(aliases).Distinct()];

    public string In(bool v2Names) => v2Names ? V2 : V1;

    public override string ToString() => string.Join(" / ", Names);
}

/// <summary>
/// How the simulator writes one row: the v1 or v2 field set and a date style. Chosen from the source
/// id, so every version of a row looks the same, as it would coming from one real system.
/// </summary>
internal readonly record struct RowStyle(bool V2, int DateStyle, bool Extra)
{
    public static RowStyle Of(CanonicalRecord record)
    {
        uint h = 2166136261;
        foreach (var c in record.SourceId) h = (h ^ c) * 16777619;
        return new((h & 1) == 0, (int)((h >> 1) % 5), ((h >> 4) & 1) == 0);
    }
}

/// <summary>What every market-supervision row shares: keys, times, the synthetic flag, amounts and dates.</summary>
internal static class Rows
{
    public static readonly Field EventTime = new("eventTime", "event_time");

    public static readonly Field UpdateTime = new("updateTime", "s_ext_timestamp");

    public const string SyntheticField = "synthetic";

    /// <summary>
    /// The record with the fields every feed sets. The occurred time is the row's event time, or
    /// midnight (China time) of its main date when the source sends only the date.
    /// </summary>
    public static CanonicalRecord Start(SourceRow row, string sourceId, Field uscc, Field name, Field date)
    {
        var occurred = row.Instant(EventTime.Names) ?? row.Instant(date.Names)
            ?? throw new RowFormatException("MISSING_FIELD", $"required time {EventTime} (or date {date}) is missing or empty.");
        return new CanonicalRecord
        {
            Source = MarketSupervisionSource.Name,
            SourceId = sourceId,
            Uscc = row.RawText(uscc.Names),
            EnterpriseName = row.RawText(name.Names),
            OccurredAt = Timestamp.FromDateTimeOffset(occurred),
            UpdatedAt = row.Instant(UpdateTime.Names) is { } updated ? Timestamp.FromDateTimeOffset(updated) : null,
            Synthetic = row.Flag(SyntheticField) ?? false,
        };
    }

    /// <summary>The row's natural key with the kind prefix the hub's source ids carry (e.g. "PEN-").</summary>
    public static string Key(SourceRow row, string prefix, Field key) => prefix + row.RequiredText(key.Names);

    /// <summary>The key as the source writes it: the source id without its kind prefix.</summary>
    public static string Unprefixed(string sourceId, string prefix) =>
        sourceId.StartsWith(prefix, StringComparison.Ordinal) ? sourceId[prefix.Length..] : sourceId;

    public static string Text(SourceRow row, Field field) => row.Text(field.Names) ?? "";

    /// <summary>
    /// An amount in 万元. A bare number is in the field's own unit; text may name its unit
    /// ("2000元", "50万元", "100万人民币"), which wins.
    /// </summary>
    public static double? Wan(SourceRow row, string name, bool bareIsYuan)
    {
        if (row.Text(name) is not { } text) return null;
        return ParseWan(text, bareIsYuan) ?? throw new RowFormatException("BAD_NUMBER", $"field {name} is not an amount: \"{text}\".");
    }

    internal static double? ParseWan(string text, bool bareIsYuan)
    {
        int end = 0;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] is '.' or ',' or 'e' or 'E' or '+' or '-')) end++;
        if (end == 0 || !double.TryParse(text[..end].Replace(",", ""), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            return null;
        var unit = text[end..].Trim();
        bool? yuan = unit.Length == 0 ? bareIsYuan
            : unit.StartsWith('万') ? false
            : unit.Contains('元') || unit == "人民币" ? true
            : null;
        return yuan switch { null => null, true => value / 10000, false => value };
    }

    /// <summary>
    /// An amount in 元 when that reads back to exactly the same 万元 value (it does for amounts with up
    /// to 4 decimals in 万元), else in 万元 with the unit written out.
    /// </summary>
    public static JsonNode YuanOrWan(double wan)
    {
        try
        {
            var yuan = (decimal)wan * 10000m;
            if (ParseWan(yuan.ToString(CultureInfo.InvariantCulture), bareIsYuan: true) == wan) return JsonValue.Create(yuan);
        }
        catch (OverflowException)
        {
            // Too large for decimal: written in 万元 below.
        }
        return JsonValue.Create(wan.ToString("R", CultureInfo.InvariantCulture) + "万元");
    }

    public static void Put(JsonObject row, string name, string value)
    {
        if (value.Length > 0) row[name] = value;
    }

    /// <summary>The times and flag every row carries.</summary>
    public static void PutTimes(JsonObject row, CanonicalRecord record, bool v2)
    {
        if (record.OccurredAt is not null) row[EventTime.In(v2)] = ChinaDates.FormatInstant(record.OccurredAt.ToDateTimeOffset());
        if (record.UpdatedAt is not null) row[UpdateTime.In(v2)] = ChinaDates.FormatInstant(record.UpdatedAt.ToDateTimeOffset());
        row[SyntheticField] = record.Synthetic;
    }

    /// <summary>A canonical date in one of the forms the platform's interfaces use; other text as it is.</summary>
    public static void PutDate(JsonObject row, string name, string canonical, int style)
    {
        if (canonical.Length == 0) return;
        if (ChinaDates.ParseCanonical(canonical) is not { } date)
        {
            row[name] = canonical;
            return;
        }
        var ms = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), ChinaDates.Offset).ToUnixTimeMilliseconds();
        row[name] = style switch
        {
            1 => date.ToString("yyyy/MM/dd", CultureInfo.InvariantCulture),
            2 => date.ToString("yyyyMMdd", CultureInfo.InvariantCulture),
            // Epoch milliseconds are read as such only with 12 or 13 digits (after March 1973).
            3 when ms is >= 100_000_000_000 and < 10_000_000_000_000 => JsonValue.Create(ms),
            4 => $"{date.Year}年{date.Month}月{date.Day}日",
            _ => ChinaDates.Format(date),
        };
    }

    public static JsonArray Array(IEnumerable<string> items) => new([.. items.Select(s => (JsonNode?)JsonValue.Create(s))]);

    public static JsonObject Copy(JsonObject row) => (JsonObject)row.DeepClone();

    public static void Remove(JsonObject row, Field field)
    {
        foreach (var name in field.Names) row.Remove(name);
    }

    /// <summary>Sets a field under the name the row already uses (else the v2 name), so the mapper reads the value set.</summary>
    public static void Set(JsonObject row, Field field, JsonNode value)
    {
        var name = field.Names.FirstOrDefault(row.ContainsKey) ?? field.V2;
        row[name] = value;
    }

    /// <summary>An impossible date, as sources with unchecked date inputs send them.</summary>
    public const string ImpossibleDate = "2025-13-45";
}
