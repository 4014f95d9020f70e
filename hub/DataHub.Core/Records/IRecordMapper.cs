using DataHub.Schema.V1;

namespace DataHub.Core.Records;

/// <summary>
/// Maps one source system's payload to canonical records. Pure: no I/O, no clock. A payload it cannot
/// map yields a rejection; the pipeline quarantines it with the original bytes.
/// </summary>
public interface IRecordMapper
{
    /// <summary>The <see cref="RawRecord.Format"/> this mapper understands.</summary>
    string Format { get; }

    MappingResult Map(RawRecord raw);
}

/// <summary>Either the canonical records a payload holds, or why it could not be mapped.</summary>
public readonly record struct MappingResult(IReadOnlyList<CanonicalRecord> Records, Rejection? Rejection)
{
    public static MappingResult Of(params CanonicalRecord[] records) => new(records, null);

    public static MappingResult Rejected(string code, string message) => new([], new Rejection(code, message));
}
