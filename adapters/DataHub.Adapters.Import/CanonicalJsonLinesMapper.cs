using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf;

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

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    public string Format => FormatName;

    public MappingResult Map(RawRecord raw)
    {
        string line;
        try
        {
            line = StrictUtf8.GetString(raw.Payload.Span);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return MappingResult.Rejected("NOT_UTF8", $"{raw.Origin}: the line is not valid UTF-8.");
        }
        try
        {
            return MappingResult.Of(Parser.Parse<CanonicalRecord>(line));
        }
        catch (Exception e) when (e is InvalidJsonException or InvalidProtocolBufferException or FormatException)
        {
            return MappingResult.Rejected("MALFORMED_JSON", $"{raw.Origin}: not a canonical record in JSON: {e.Message}");
        }
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
