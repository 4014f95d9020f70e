using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Adapters;

/// <summary>
/// Maps a feed whose rows are JSON objects. The base class parses the payload and turns a
/// <see cref="RowFormatException"/> from <see cref="MapRow"/> into a rejection, so a bad row is
/// quarantined with a reason and never stops the adapter.
/// </summary>
public abstract class JsonRowMapper : IRecordMapper
{
    public abstract string Format { get; }

    public MappingResult Map(RawRecord raw)
    {
        if (!System.Text.Unicode.Utf8.IsValid(raw.Payload.Span))
            return MappingResult.Rejected("NOT_UTF8", $"{raw.Origin}: the row is not valid UTF-8.");
        JsonObject obj;
        try
        {
            if (JsonNode.Parse(raw.Payload.Span) is not JsonObject parsed)
                return MappingResult.Rejected("NOT_AN_OBJECT", $"{raw.Origin}: a {Format} row must be a JSON object.");
            obj = parsed;
        }
        catch (JsonException e)
        {
            return MappingResult.Rejected("MALFORMED_JSON", $"{raw.Origin}: the row is not JSON: {e.Message}");
        }
        try
        {
            return MappingResult.Of([.. MapRow(new SourceRow(obj, raw.Origin))]);
        }
        catch (RowFormatException e)
        {
            return MappingResult.Rejected(e.Code, $"{raw.Origin}: {e.Message}");
        }
    }

    /// <summary>The canonical records of one row; throws <see cref="RowFormatException"/> when the row cannot be mapped.</summary>
    protected abstract IEnumerable<CanonicalRecord> MapRow(SourceRow row);
}

/// <summary>A row that cannot be mapped: a stable code and a message naming the field and what was wrong.</summary>
public sealed class RowFormatException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>
/// Typed reads of a source row's fields. Every read takes the field's names in order of preference
/// (a source's v2 name, then its v1 name), so a mapper accepts both field sets; a present but
/// unreadable value throws <see cref="RowFormatException"/> naming the field.
/// </summary>
public sealed class SourceRow(JsonObject fields, string origin)
{
    public JsonObject Fields { get; } = fields;

    public string Origin { get; } = origin;

    /// <summary>The first of the fields that is present and not blank, trimmed; null when none is.</summary>
    public string? Text(params string[] names)
    {
        foreach (var name in names)
        {
            if (!Fields.TryGetPropertyValue(name, out var node) || node is null) continue;
            var text = node.GetValueKind() switch
            {
                JsonValueKind.String => node.GetValue<string>(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => node.ToJsonString(),
                _ => throw new RowFormatException("BAD_FIELD", $"field {name} should be a text value, not {node.GetValueKind()}."),
            };
            if (!string.IsNullOrWhiteSpace(text)) return text.Trim();
        }
        return null;
    }

    /// <summary>
    /// The first present, non-blank value exactly as the row has it, untrimmed ("" when none). USCCs and
    /// names go to the hub as the source sent them: the normalizer, not each adapter, decides what is clean.
    /// </summary>
    public string RawText(params string[] names)
    {
        foreach (var name in names)
        {
            if (Text(name) is not { } text) continue;
            return Fields[name] is JsonValue value && value.TryGetValue<string>(out var raw) ? raw : text;
        }
        return "";
    }

    /// <summary>Like <see cref="Text"/>, but a missing value is an error.</summary>
    public string RequiredText(params string[] names) =>
        Text(names) ?? throw new RowFormatException("MISSING_FIELD", $"required field {string.Join(" / ", names)} is missing or empty.");

    /// <summary>A date in any form <see cref="ChinaDates.TryParse"/> reads, or a date-time (its date in China time).</summary>
    public DateOnly? Date(params string[] names)
    {
        var (name, text) = Find(names);
        if (text is null) return null;
        if (ChinaDates.TryParse(text, out var date)) return date;
        if (ChinaDates.TryParseInstant(text, out var instant)) return ChinaDates.DateOf(instant);
        throw new RowFormatException("BAD_DATE", $"field {name} is not a date: \"{text}\".");
    }

    /// <summary>The date as canonical "YYYY-MM-DD", or "" when absent.</summary>
    public string DateText(params string[] names) => Date(names) is { } d ? ChinaDates.Format(d) : "";

    public DateOnly RequiredDate(params string[] names) =>
        Date(names) ?? throw new RowFormatException("MISSING_FIELD", $"required date {string.Join(" / ", names)} is missing or empty.");

    /// <summary>A point in time ("yyyy-MM-dd HH:mm:ss" China time, RFC 3339, epoch ms, or a date).</summary>
    public DateTimeOffset? Instant(params string[] names)
    {
        var (name, text) = Find(names);
        if (text is null) return null;
        if (ChinaDates.TryParseInstant(text, out var instant)) return instant;
        throw new RowFormatException("BAD_DATE", $"field {name} is not a date and time: \"{text}\".");
    }

    public Timestamp RequiredTimestamp(params string[] names) =>
        Timestamp.FromDateTimeOffset(Instant(names) ?? throw new RowFormatException("MISSING_FIELD", $"required time {string.Join(" / ", names)} is missing or empty."));

    /// <summary>A number, written as a JSON number or as text (thousands separators allowed).</summary>
    public double? Number(params string[] names)
    {
        var (name, text) = Find(names);
        if (text is null) return null;
        if (double.TryParse(text.Replace(",", ""), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return value;
        throw new RowFormatException("BAD_NUMBER", $"field {name} is not a number: \"{text}\".");
    }

    /// <summary>A flag written as true/false, 1/0, Y/N or 是/否.</summary>
    public bool? Flag(params string[] names)
    {
        var (name, text) = Find(names);
        return text?.ToUpperInvariant() switch
        {
            null => null,
            "TRUE" or "1" or "Y" or "是" => true,
            "FALSE" or "0" or "N" or "否" => false,
            _ => throw new RowFormatException("BAD_FIELD", $"field {name} is not a yes/no value: \"{text}\"."),
        };
    }

    /// <summary>A list written as a JSON array of text or as text separated by , ， ; ； or 、.</summary>
    public IReadOnlyList<string> List(params string[] names)
    {
        foreach (var name in names)
        {
            if (Fields[name] is JsonArray array)
                return array.Select(n => n?.ToString().Trim() ?? "").Where(s => s.Length > 0).ToList();
        }
        var text = Text(names);
        return text is null ? [] : text.Split([',', '，', ';', '；', '、'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private (string Name, string? Text) Find(string[] names)
    {
        foreach (var name in names)
            if (Text(name) is { } text) return (name, text);
        return (names.FirstOrDefault() ?? "", null);
    }
}
