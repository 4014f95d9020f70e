using System.Text.Json;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf.WellKnownTypes;
using F = DataHub.Adapters.Hotline12345.WorkOrderFields;

namespace DataHub.Adapters.Hotline12345;

/// <summary>
/// Maps one 12345 work order (工单) to a complaint record. The caller's name, phone, ID number and
/// address are never read: complainants' contact details are not kept (the canonical schema has no
/// place for them), and contacts in the free text are redacted here, at the edge.
/// </summary>
internal sealed class WorkOrderMapper : JsonRowMapper
{
    public const string FormatName = "hotline-12345/work-orders-v1";

    public override string Format => FormatName;

    protected override IEnumerable<CanonicalRecord> MapRow(SourceRow row)
    {
        var orderNo = row.RequiredText(F.OrderNo);
        var received = row.RequiredTimestamp(F.ReceivedAt);
        var summary = row.Text(F.Content) ?? row.Text(F.Title)
            ?? throw new RowFormatException("MISSING_FIELD", $"required field {string.Join(" / ", F.Content)} (or {string.Join(" / ", F.Title)}) is missing or empty.");

        var complaint = new Complaint
        {
            OrderNo = orderNo,
            Kind = Field(row, F.AppealType) is (var kindField, var kindValue) ? WorkOrderCodes.Kind(kindField, kindValue) : ComplaintKind.Unspecified,
            Category = row.Text(F.Category) ?? "",
            Summary = PersonalData.RedactContacts(summary),
            HandlingAgency = row.Text(F.HandlingUnit) ?? "",
            // Without a status, a completion time is the only sign the order is closed.
            Closed = Field(row, F.Status) is (var statusField, var statusValue)
                ? WorkOrderCodes.Closed(statusField, statusValue)
                : row.Instant(F.CompletedAt) is not null,
            Substantiated = Field(row, F.VerifyResult) is (var verifyField, var verifyValue) && WorkOrderCodes.Substantiated(verifyField, verifyValue),
        };
        var record = new CanonicalRecord
        {
            Source = Hotline12345Source.Name,
            SourceId = orderNo,
            // USCC and name pass through as served: the normalizer cleans them and resolves a bare name.
            Uscc = row.RawText(F.EnterpriseUscc),
            EnterpriseName = row.RawText(F.EnterpriseName),
            OccurredAt = received,
            Synthetic = row.Flag(F.Synthetic) ?? false,
            Complaint = complaint,
        };
        if (row.Instant(F.UpdateTime) is { } updated) record.UpdatedAt = Timestamp.FromDateTimeOffset(updated);
        yield return record;
    }

    /// <summary>The first field present with a value, and its name, so an error can say which one was wrong.</summary>
    private static (string Name, string Value)? Field(SourceRow row, string[] names)
    {
        foreach (var name in names)
            if (row.Text(name) is { } value) return (name, value);
        return null;
    }
}
