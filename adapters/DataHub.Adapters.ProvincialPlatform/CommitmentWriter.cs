using System.Text.Json.Nodes;
using DataHub.Schema.V1;

namespace DataHub.Adapters.ProvincialPlatform;

/// <summary>Writes commitments as the platform's v1 exchange rows, for the simulator.</summary>
internal sealed class CommitmentWriter : ISourceRowWriter
{
    public bool Carries(CanonicalRecord record) =>
        record.Source == ProvincialPlatformSource.Name && record.BodyCase == CanonicalRecord.BodyOneofCase.Commitment;

    public JsonObject Write(CanonicalRecord record)
    {
        var c = record.Commitment;
        var caseNo = c.CaseNo.Length > 0 ? c.CaseNo : record.SourceId.Replace("CMT-", "");
        var row = new JsonObject
        {
            [CommitmentFields.CommitCode] = c.CommitmentCode,
            [CommitmentFields.ProjectNo] = caseNo,
            [CommitmentFields.SubjectCategory] = "法人及非法人组织",
            [CommitmentFields.CreateTime] = PlatformRows.InstantOut(record.OccurredAt),
        };
        PlatformRows.SetIfAny(row, CommitmentFields.CommitType, PlatformCodes.CommitmentTypeCode(c.Type));
        PlatformRows.SetIfAny(row, "commit_type_name", c.Type switch
        {
            CommitmentType.MaterialDeferred => "材料延期",
            CommitmentType.MaterialVerified => "材料核验",
            CommitmentType.PostCheck => "事后核查",
            CommitmentType.AcceptedWithGaps => "容缺受理",
            _ => "",
        });
        PlatformRows.SetIfAny(row, CommitmentFields.SubjectName, record.EnterpriseName);
        PlatformRows.SetIfAny(row, CommitmentFields.SubjectCode, record.Uscc);
        PlatformRows.SetIfAny(row, CommitmentFields.Content, c.Content);
        row["breach_liability"] = "如违反承诺，自愿承担撤销审批决定、记入信用记录等法律责任。";
        PlatformRows.SetIfAny(row, CommitmentFields.CommitDate, PlatformRows.DateOut(c.CommittedOn));
        // The deadline column is a datetime: the end of the last day.
        PlatformRows.SetIfAny(row, CommitmentFields.CommitDeadline, PlatformRows.DateOut(c.Deadline, "yyyy-MM-dd' 23:59:59'"));
        PlatformRows.SetIfAny(row, CommitmentFields.FulfilStatus, PlatformCodes.CommitmentStatusCode(c.Status));
        PlatformRows.SetIfAny(row, CommitmentFields.FulfilDate, PlatformRows.DateOut(c.ResolvedOn));
        row["synthetic"] = record.Synthetic;
        PlatformRows.AddEnvelope(row, record, c.CommitmentCode);
        return row;
    }

    /// <summary>What the platform's own data gets wrong; cd_time and commit_code (the paging fields) stay.</summary>
    public JsonObject Corrupt(JsonObject row, Random random)
    {
        var bad = PlatformRows.Copy(row);
        switch (random.Next(8))
        {
            case 0: bad[CommitmentFields.CommitDate] = "2025-13-45"; break;
            case 1: bad.Remove(CommitmentFields.CreateTime); break;
            case 2: bad[CommitmentFields.CommitType] = "09"; break;
            case 3: bad[CommitmentFields.FulfilStatus] = "9"; break;
            case 4: bad.Remove(CommitmentFields.ProjectNo); break;
            case 5: bad[CommitmentFields.CommitDeadline] = "2025-02-30 23:59:59"; break;
            case 6: bad[CommitmentFields.CreateTime] = "昨天下午"; break;
            default:
                bad.Remove(CommitmentFields.SubjectCode);
                bad.Remove(CommitmentFields.SubjectName);
                break;
        }
        return bad;
    }
}
