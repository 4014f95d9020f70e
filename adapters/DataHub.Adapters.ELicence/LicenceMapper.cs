using System.Text.Json;
using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf.WellKnownTypes;
using F = DataHub.Adapters.ELicence.LicenceFields;

namespace DataHub.Adapters.ELicence;

/// <summary>
/// Maps one licence row of the e-licence library to a licence record. The 证照标识 is read as served:
/// a malformed identifier is the issuer's mistake and does not make the licence any less real
/// (<see cref="LicenceIdentifier"/> checks it where that matters).
/// </summary>
internal sealed class LicenceMapper : JsonRowMapper
{
    public const string FormatName = "e-licence/licences-v1";

    /// <summary>What a validity end says when there is none.</summary>
    private static readonly string[] NoEnd = ["长期", "长期有效", "永久", "永久有效", "无期限", "9999-12-31"];

    public override string Format => FormatName;

    protected override IEnumerable<CanonicalRecord> MapRow(SourceRow row)
    {
        var licenceNo = row.RequiredText(F.Number);
        var licenceId = row.RequiredText(F.LicenceId);
        var holderType = Field(row, F.HolderType) is var (typeField, typeValue) ? LicenceCodes.HolderType(typeField, typeValue) : LicenceCodes.HolderTypeUscc;
        if (holderType == LicenceCodes.HolderTypeCitizenId)
            // The holder code is then an ID number: never read, never echoed into the message.
            throw new RowFormatException("NOT_AN_ENTERPRISE", $"field {F.HolderType[0]} says the holder is a natural person (111 公民身份号码); the hub keeps enterprise licences only, so licence {licenceNo} is not mapped.");

        var issueTime = row.Instant(F.IssueTime);
        var issueDate = row.Date(F.IssueDate);
        if (issueTime is null && issueDate is null)
            throw new RowFormatException("MISSING_FIELD", $"required date {string.Join(" / ", F.IssueDate)} (or time {string.Join(" / ", F.IssueTime)}) is missing or empty.");
        var issued = issueTime ?? new DateTimeOffset(issueDate!.Value.ToDateTime(TimeOnly.MinValue), ChinaDates.Offset);

        var licence = new Licence
        {
            LicenceId = licenceId,
            LicenceNo = licenceNo,
            LicenceType = row.Text(F.TypeName) ?? row.Text(F.CertificateName) ?? "",
            LicenceTypeCode = row.Text(F.TypeCode) ?? "",
            IssuingAuthority = row.Text(F.IssueDept) ?? "",
            IssuedOn = ChinaDates.Format(issueDate ?? ChinaDates.DateOf(issued)),
            ValidFrom = row.DateText(F.ValidFrom),
            ValidUntil = ValidUntil(row),
            Status = Field(row, F.Status) is var (statusField, statusValue) ? LicenceCodes.Status(statusField, statusValue) : LicenceStatus.Unspecified,
            Scope = Scope(row),
        };
        var record = new CanonicalRecord
        {
            Source = ELicenceSource.Name,
            SourceId = "LIC-" + licenceNo,
            // USCC and name pass through as served: the normalizer cleans them and resolves a bare name.
            Uscc = row.RawText(F.HolderCode),
            EnterpriseName = row.RawText(F.Holder),
            OccurredAt = Timestamp.FromDateTimeOffset(issued),
            Synthetic = row.Flag(F.Synthetic) ?? false,
            Licence = licence,
        };
        if (row.Instant(F.UpdateTime) is { } updated) record.UpdatedAt = Timestamp.FromDateTimeOffset(updated);
        yield return record;
    }

    /// <summary>The end of validity, "" for 长期 (written as text in the date field or as the flag).</summary>
    private static string ValidUntil(SourceRow row)
    {
        var text = row.Text(F.ValidTo);
        var until = text is not null && NoEnd.Contains(text) ? "" : row.DateText(F.ValidTo);
        return row.Flag(F.LongTerm) == true ? "" : until;
    }

    /// <summary>The licensed scope from the face data (照面信息), which issuers store as an object or as JSON text.</summary>
    private static string Scope(SourceRow row)
    {
        foreach (var name in F.FaceData)
        {
            var node = row.Fields[name];
            if (node is null) continue;
            var face = node switch
            {
                JsonObject obj => obj,
                JsonValue value when value.GetValueKind() == JsonValueKind.String => ParseObject(name, value.GetValue<string>()),
                _ => throw new RowFormatException("BAD_FIELD", $"field {name} should be an object of face data, not {node.GetValueKind()}."),
            };
            if (face is null) continue;
            return new SourceRow(face, row.Origin).Text(F.Scope) ?? "";
        }
        return "";
    }

    private static JsonObject? ParseObject(string name, string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            return JsonNode.Parse(text) as JsonObject
                ?? throw new RowFormatException("BAD_FIELD", $"field {name} should hold a JSON object of face data: \"{Shorten(text)}\".");
        }
        catch (JsonException)
        {
            throw new RowFormatException("BAD_FIELD", $"field {name} is not JSON face data: \"{Shorten(text)}\".");
        }
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    /// <summary>The first field present with a value, and its name, so an error can say which one was wrong.</summary>
    private static (string Name, string Value)? Field(SourceRow row, string[] names)
    {
        foreach (var name in names)
            if (row.Text(name) is { } value) return (name, value);
        return null;
    }
}
