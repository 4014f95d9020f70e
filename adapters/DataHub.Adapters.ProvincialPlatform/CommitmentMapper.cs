using DataHub.Schema.V1;

namespace DataHub.Adapters.ProvincialPlatform;

/// <summary>
/// Field names of a commitment row (告知承诺 / 容缺受理 on a case). v1 is the platform's exchange table
/// [CONV]; v2 follows the national 信用承诺 归集 field names (SOURCE-FORMATS §4.4: code, subjectName,
/// identify, content, commitmentDate, fulfillmentStatus ...), lowerCamelCase where it has none.
/// </summary>
internal static class CommitmentFields
{
    public const string CommitCode = "commit_code";
    public const string ProjectNo = "project_no";
    public const string CommitType = "commit_type";
    public const string SubjectCategory = "subject_category";
    public const string SubjectName = "subject_name";
    public const string SubjectCode = "subject_code";
    public const string Content = "content";
    public const string CommitDate = "commit_date";
    public const string CommitDeadline = "commit_deadline";
    public const string FulfilStatus = "fulfil_status";
    public const string FulfilDate = "fulfil_date";
    public const string CreateTime = "create_time";
    public const string CdTime = "cd_time";
}

/// <summary>
/// Maps a commitment row. Its source id is the case's ("CMT-" + case number): on this platform a
/// commitment is always made on a case, so the case number is required.
/// </summary>
internal sealed class CommitmentMapper : JsonRowMapper
{
    public const string FormatName = "provincial-platform/commitments-v1";

    public override string Format => FormatName;

    protected override IEnumerable<CanonicalRecord> MapRow(SourceRow row)
    {
        var code = row.RequiredText("code", CommitmentFields.CommitCode);
        var caseNo = row.RequiredText("projectNo", CommitmentFields.ProjectNo);
        // 承诺人类别 自然人: a person's commitment, not an enterprise fact; their ID number stays out.
        if (row.Text("subjectCategory", CommitmentFields.SubjectCategory) is "自然人")
            return [];

        var uscc = row.RawText("identify", CommitmentFields.SubjectCode);
        var name = row.RawText("subjectName", CommitmentFields.SubjectName);
        if (uscc.Length == 0 && name.Length == 0)
            throw new RowFormatException("MISSING_FIELD", $"commitment {code} names no one: subject_code and subject_name are both missing or empty.");

        return
        [
            new CanonicalRecord
            {
                Source = ProvincialPlatformSource.Name,
                SourceId = "CMT-" + caseNo,
                Uscc = uscc,
                EnterpriseName = name,
                OccurredAt = row.RequiredTimestamp("createTime", CommitmentFields.CreateTime),
                UpdatedAt = PlatformRows.OptionalTimestamp(row, "cdTime", CommitmentFields.CdTime),
                Synthetic = PlatformRows.Synthetic(row),
                Commitment = new Commitment
                {
                    CommitmentCode = code,
                    CaseNo = caseNo,
                    Type = PlatformCodes.CommitmentTypes.Read(row, "commitType", CommitmentFields.CommitType) ?? CommitmentType.None,
                    Content = row.Text(CommitmentFields.Content) ?? "",
                    CommittedOn = row.DateText("commitmentDate", CommitmentFields.CommitDate),
                    Deadline = row.DateText("commitDeadline", CommitmentFields.CommitDeadline),
                    Status = PlatformCodes.CommitmentStatuses.Read(row, "fulfillmentStatus", CommitmentFields.FulfilStatus) ?? CommitmentStatus.Unspecified,
                    ResolvedOn = row.DateText("fulfillmentStatusDate", CommitmentFields.FulfilDate),
                },
            },
        ];
    }
}
