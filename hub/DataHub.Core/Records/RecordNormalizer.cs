using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using DataHub.Core.Identifiers;
using DataHub.Core.Text;
using DataHub.Schema.V1;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Core.Records;

/// <summary>
/// Brings a mapped record into canonical form, or says why it cannot be stored: USCC normalized and
/// validated, dates in YYYY-MM-DD, statuses parsed from display strings, personal data minimized,
/// schema version and content hash set. Mutates the record it is given.
/// </summary>
public sealed class RecordNormalizer(IReadOnlySet<string>? usccAllowList = null)
{
    public const uint CurrentSchemaVersion = 1;

    private static readonly ConcurrentDictionary<MessageDescriptor, FieldDescriptor[]> DateFields = new();

    /// <summary>
    /// Whether a record is in the form <see cref="Normalize"/> leaves it in, without changing it (a
    /// record attached by name keeps its own content hash): for records that come back from a topic.
    /// </summary>
    public Rejection? CheckNormalized(CanonicalRecord record)
    {
        if (record.Source.Length == 0 || record.SourceId.Length == 0)
            return new("MISSING_SOURCE", "The record has no source or source_id; it did not come from the normalize stage.");
        if (record.BodyCase == CanonicalRecord.BodyOneofCase.None || record.OccurredAt is null || record.UpdatedAt is null)
            return new("NOT_NORMALIZED", $"Record {record.Source}/{record.SourceId} lacks its body, occurred_at or updated_at; it did not come from the normalize stage.");
        if (record.SchemaVersion != CurrentSchemaVersion)
            return new("UNSUPPORTED_SCHEMA_VERSION", $"Record {record.Source}/{record.SourceId} has schema_version {record.SchemaVersion}; this hub reads {CurrentSchemaVersion}.");
        if (record.ContentHash.Length != 64)
            return new("NOT_NORMALIZED", $"Record {record.Source}/{record.SourceId} has no content hash; it did not come from the normalize stage.");
        if (record.Uscc.Length == 0)
            return new("NO_USCC", $"Record {record.Source}/{record.SourceId} has no USCC; records without one are attached by name in the normalize stage, never sent to apply.");
        if (Uscc.IsCanonical(record.Uscc)) return null;
        var check = Uscc.Check(record.Uscc, usccAllowList);
        if (!check.Valid || check.Normalized != record.Uscc)
            return new("USCC_INVALID", $"USCC '{record.Uscc}' of record {record.Source}/{record.SourceId} is not a valid normalized USCC.");
        return null;
    }

    public Rejection? Normalize(CanonicalRecord record)
    {
        if (string.IsNullOrWhiteSpace(record.Source))
            return new("MISSING_SOURCE", "The record has no source; set \"source\" to the system it came from.");
        record.Source = record.Source.Trim();
        if (string.IsNullOrWhiteSpace(record.SourceId))
            return new("MISSING_SOURCE_ID", "The record has no source_id; set it to the source's key of the row (case number, order number...).");
        record.SourceId = record.SourceId.Trim();
        if (record.BodyCase == CanonicalRecord.BodyOneofCase.None)
            return new("MISSING_BODY", $"Record {record.SourceId} has no body; set exactly one of registration, licence, approval_case, commitment, complaint, penalty, inspection, credit_rating, list_entry, status_change.");
        if (record.OccurredAt is null)
            return new("MISSING_OCCURRED_AT", $"Record {record.SourceId} has no occurred_at; set when the fact happened (RFC 3339).");
        if (record.SchemaVersion > CurrentSchemaVersion)
            return new("UNSUPPORTED_SCHEMA_VERSION", $"Record {record.SourceId} has schema_version {record.SchemaVersion}; this hub reads up to {CurrentSchemaVersion}.");
        record.SchemaVersion = CurrentSchemaVersion;
        record.UpdatedAt ??= record.OccurredAt.Clone();
        if (!InRange(record.OccurredAt) || !InRange(record.UpdatedAt))
            return new("TIMESTAMP_OUT_OF_RANGE", $"Record {record.SourceId}: occurred_at and updated_at must lie between 1900 and 2199; got {record.OccurredAt} and {record.UpdatedAt}.");
        record.EnterpriseName = record.EnterpriseName.Trim();
        record.NameResolution = null;

        // Codes machines send are mostly already valid and normal: checked without building a report.
        if (record.Uscc.Length > 0 && !Uscc.IsCanonical(record.Uscc))
        {
            var check = Uscc.Check(record.Uscc, usccAllowList);
            if (!check.Valid)
                return new("USCC_INVALID", $"USCC '{record.Uscc}' of record {record.SourceId}: " + string.Join(" ", check.Errors.Select(e => e.Message)) + " / " + string.Join("", check.Errors.Select(e => e.MessageZh)));
            record.Uscc = check.Normalized;
        }
        else if (record.Uscc.Length == 0 && EnterpriseName.Normalize(record.EnterpriseName).Length == 0)
        {
            return new("NO_ENTERPRISE_KEY", $"Record {record.SourceId} has neither a USCC nor an enterprise name; one of them is needed to know whose record it is.");
        }

        var body = (IMessage)BodyOf(record);
        var dateProblem = NormalizeDates(body, record.BodyCase);
        if (dateProblem is not null) return new("INVALID_DATE", $"Record {record.SourceId}: {dateProblem}");

        switch (record.BodyCase)
        {
            case CanonicalRecord.BodyOneofCase.Registration:
                var reg = record.Registration;
                if (string.IsNullOrWhiteSpace(reg.Name))
                    return new("MISSING_NAME", $"Registration {record.SourceId} has no enterprise name.");
                reg.Name = reg.Name.Trim();
                if (record.EnterpriseName.Length == 0) record.EnterpriseName = reg.Name;
                if (reg.Status == RegistrationStatus.Unspecified) reg.Status = RegistrationStatuses.Parse(reg.StatusRaw);
                reg.LegalRepresentativeIdMasked = PersonalData.MaskIdNumber(reg.LegalRepresentativeIdMasked.Trim());
                break;
            case CanonicalRecord.BodyOneofCase.StatusChange:
                var change = record.StatusChange;
                if (change.NewStatus == RegistrationStatus.Unspecified) change.NewStatus = RegistrationStatuses.Parse(change.StatusRaw);
                change.NewName = change.NewName.Trim();
                if (change.NewStatus == RegistrationStatus.Unspecified && change.NewName.Length == 0)
                    return new("EMPTY_STATUS_CHANGE", $"Status change {record.SourceId} names neither a recognizable status ('{change.StatusRaw}') nor a new name.");
                break;
            case CanonicalRecord.BodyOneofCase.Complaint:
                record.Complaint.Summary = PersonalData.RedactContacts(record.Complaint.Summary);
                break;
        }

        record.ContentHash = ComputeContentHash(record);
        return null;
    }

    private static readonly Timestamp Earliest = Timestamp.FromDateTime(new DateTime(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc));
    private static readonly Timestamp Latest = Timestamp.FromDateTime(new DateTime(2200, 1, 1, 0, 0, 0, DateTimeKind.Utc));

    /// <summary>Times outside 1900–2199 are input errors; they would also overflow the store's nanosecond ordering.</summary>
    private static bool InRange(Timestamp t) => t >= Earliest && t < Latest;

    /// <summary>SHA-256 (hex) of the record's serialized form with the hash field cleared.</summary>
    public static string ComputeContentHash(CanonicalRecord record)
    {
        var saved = record.ContentHash;
        var savedResolution = record.NameResolution;
        var savedUscc = record.Uscc;
        record.ContentHash = "";
        record.NameResolution = null;
        // A USCC the hub found by name is not the source's content.
        if (savedResolution is not null) record.Uscc = "";
        Span<byte> hash = stackalloc byte[32];
        int size = record.CalculateSize();
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        record.WriteTo(buffer.AsSpan(0, size));
        SHA256.HashData(buffer.AsSpan(0, size), hash);
        ArrayPool<byte>.Shared.Return(buffer);
        record.ContentHash = saved;
        record.NameResolution = savedResolution;
        record.Uscc = savedUscc;
        return Convert.ToHexStringLower(hash);
    }

    internal static object BodyOf(CanonicalRecord record) =>
        CanonicalRecord.Descriptor.Oneofs[0].Accessor.GetCaseFieldDescriptor(record)!.Accessor.GetValue(record);

    private static string? NormalizeDates(IMessage body, CanonicalRecord.BodyOneofCase kind)
    {
        foreach (var field in DateFields.GetOrAdd(body.Descriptor, FindDateFields))
        {
            var value = (string)field.Accessor.GetValue(body);
            // Most sources already write YYYY-MM-DD: nothing to rewrite.
            if (value.Length == 0 || ChinaDates.TryParseCanonical(value, out _)) continue;
            if (!ChinaDates.TryParse(value, out var date))
                return $"{ToSnake(kind)}.{field.Name} is '{value}', which is not a date (expected YYYY-MM-DD).";
            field.Accessor.SetValue(body, ChinaDates.Format(date));
        }
        return null;
    }

    private static FieldDescriptor[] FindDateFields(MessageDescriptor descriptor) =>
        descriptor.Fields.InFieldNumberOrder()
            .Where(f => f.FieldType == FieldType.String && !f.IsRepeated &&
                        (f.Name.EndsWith("_on", StringComparison.Ordinal) || f.Name.EndsWith("_until", StringComparison.Ordinal) ||
                         f.Name.EndsWith("deadline", StringComparison.Ordinal) || f.Name == "valid_from"))
            .ToArray();

    private static string ToSnake(CanonicalRecord.BodyOneofCase kind) =>
        CanonicalRecord.Descriptor.FindFieldByNumber((int)kind).Name;
}
