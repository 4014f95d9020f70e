using System.Text.Json.Nodes;
using DataHub.Schema.V1;

namespace DataHub.Adapters.ProvincialPlatform;

/// <summary>Writes approval cases as the platform's v1 exchange rows, for the simulator.</summary>
internal sealed class CaseWriter : ISourceRowWriter
{
    public bool Carries(CanonicalRecord record) =>
        record.Source == ProvincialPlatformSource.Name && record.BodyCase == CanonicalRecord.BodyOneofCase.ApprovalCase;

    public JsonObject Write(CanonicalRecord record)
    {
        var c = record.ApprovalCase;
        var caseNo = c.CaseNo.Length > 0 ? c.CaseNo : record.SourceId.Replace("CASE-", "");
        var accepted = c.AcceptedAt ?? record.OccurredAt;
        var row = new JsonObject
        {
            [CaseFields.ProjectNo] = caseNo,
            ["project_name"] = $"{record.EnterpriseName.Trim()}申请{c.ItemName}",
            // Realism: an enterprise applying online for a 承诺件 (promised-time case).
            [CaseFields.ApplyerType] = "2",
            [CaseFields.ApplyerPageType] = "001",
            ["apply_type"] = "2",
            ["project_type"] = "2",
            ["apply_date"] = PlatformRows.InstantOut(Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(accepted.ToDateTimeOffset().AddMinutes(-35))),
            [CaseFields.AcceptDate] = PlatformRows.InstantOut(accepted),
        };
        PlatformRows.SetIfAny(row, CaseFields.TaskCode, c.ItemCode);
        PlatformRows.SetIfAny(row, CaseFields.TaskName, c.ItemName);
        PlatformRows.SetIfAny(row, CaseFields.ApplyerPageCode, record.Uscc);
        PlatformRows.SetIfAny(row, CaseFields.ApplyerName, record.EnterpriseName);
        PlatformRows.SetIfAny(row, CaseFields.OrgName, c.ApprovalAuthority);
        // The exchange writes the 12-digit statistical division code.
        PlatformRows.SetIfAny(row, CaseFields.AreaCode, c.DistrictCode.Length == 6 ? c.DistrictCode + "000000" : c.DistrictCode);
        PlatformRows.SetIfAny(row, CaseFields.HandleState, PlatformCodes.OpenCaseStateCode(c.Stage));
        PlatformRows.SetIfAny(row, CaseFields.ResultType, PlatformCodes.CaseResultCode(c.Stage));
        if (c.CompletedAt is not null) row[CaseFields.ResultDate] = PlatformRows.InstantOut(c.CompletedAt);
        PlatformRows.SetIfAny(row, "result_explain", c.Stage switch
        {
            CaseStage.Completed => "经审查，申请材料齐全，符合法定形式，准予许可。",
            CaseStage.Denied => "经审查，不符合法定条件，不予许可。",
            _ => "",
        });
        PlatformRows.SetIfAny(row, CaseFields.ResultCetrNo, c.ResultLicenceNo);
        row[CaseFields.IsNotifyCommit] = c.CommitmentType is CommitmentType.None or CommitmentType.AcceptedWithGaps ? "0" : "1";
        row[CaseFields.IsRongque] = c.CommitmentType == CommitmentType.AcceptedWithGaps ? "1" : "0";
        if (c.CommitmentType is not (CommitmentType.None or CommitmentType.AcceptedWithGaps))
            row[CaseFields.NotifyCommitType] = PlatformCodes.CommitmentTypeCode(c.CommitmentType);
        PlatformRows.SetIfAny(row, CaseFields.CommitDeadline, PlatformRows.DateOut(c.CommitmentDeadline));
        row["synthetic"] = record.Synthetic;
        PlatformRows.AddEnvelope(row, record, caseNo);
        return row;
    }

    /// <summary>What the platform's own data gets wrong; cd_time and project_no (the paging fields) stay.</summary>
    public JsonObject Corrupt(JsonObject row, Random random)
    {
        var bad = PlatformRows.Copy(row);
        switch (random.Next(8))
        {
            case 0: bad[CaseFields.AcceptDate] = "2025-13-45 09:30:00"; break;
            case 1: bad.Remove(CaseFields.AcceptDate); break;
            case 2: bad[CaseFields.ResultType] = "99"; break;
            case 3: bad[CaseFields.CommitDeadline] = "2025-02-30"; break;
            case 4: bad[CaseFields.IsNotifyCommit] = "待定"; break;
            case 5: bad[CaseFields.ResultDate] = "2025年13月1日 10:00:00"; break;
            case 6: bad[CaseFields.AreaCode] = "宿城区"; break;
            default:
                bad.Remove(CaseFields.ApplyerPageCode);
                bad.Remove(CaseFields.ApplyerName);
                break;
        }
        return bad;
    }
}
