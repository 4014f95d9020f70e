using DataHub.Schema.V1;
using Google.Protobuf;

namespace DataHub.Core.Records;

/// <summary>
/// Payloads that already are one canonical record in protobuf (format "canonical-protobuf"): what the
/// hub's own workflows write back into the log (e.g. a permit revoked through the linkage's back
/// loop), and what an agency system that speaks the schema can submit through IngestService.
/// </summary>
public sealed class CanonicalRecordMapper : IRecordMapper
{
    public const string FormatName = "canonical-protobuf";

    public string Format => FormatName;

    public MappingResult Map(RawRecord raw)
    {
        try
        {
            return MappingResult.Of(CanonicalRecord.Parser.ParseFrom(raw.Payload));
        }
        catch (InvalidProtocolBufferException e)
        {
            return new MappingResult([], new Rejection("NOT_A_CANONICAL_RECORD", $"The payload is not a CanonicalRecord in protobuf: {e.Message}"));
        }
    }
}
