using DataHub.Core.Records;
using DataHub.Schema.V1;

namespace DataHub.Adapters.Import;

/// <summary>
/// Maps one line of the canonical JSON-lines import format: a CanonicalRecord in protobuf's JSON
/// mapping (field names in snake_case or lowerCamelCase, enums by name, timestamps in RFC 3339).
/// See docs/import-format.md. Unknown fields are an error, so a typo is quarantined rather than
/// silently dropped.
/// </summary>
public sealed class CanonicalJsonLinesMapper : IRecordMapper
{
    public const string FormatName = "canonical-jsonl";

    public string Format => FormatName;

    public MappingResult Map(RawRecord raw)
    {
        var payload = raw.Payload.Span;
        if (!System.Text.Unicode.Utf8.IsValid(payload))
            return MappingResult.Rejected("NOT_UTF8", $"{raw.Origin}: the line is not valid UTF-8.");
        try
        {
            return MappingResult.Of(ProtoJsonReader.Parse<CanonicalRecord>(payload));
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or InvalidOperationException)
        {
            return MappingResult.Rejected("MALFORMED_JSON", $"{raw.Origin}: not a canonical record in JSON: {e.Message}");
        }
    }
}
