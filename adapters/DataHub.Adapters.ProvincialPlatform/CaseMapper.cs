using DataHub.Schema.V1;

namespace DataHub.Adapters.ProvincialPlatform;

/// <summary>
/// Field names of a case row. v1 is the national exchange table (up_pro_accept joined with
/// up_pro_result, SOURCE-FORMATS §1.2); v2 is the platform's newer gateway, the same fields in
/// lowerCamelCase. handle_state, area_code and the commitment flags are [CONV] (§1.4–1.5).
/// </summary>
internal static class CaseFields
{
    public const string ProjectNo = "project_no";
    public const string TaskCode = "task_code";
    public const string LocalTaskCode = "local_task_code";
    public const string CatalogCode = "catalog_code";
    public const string TaskName = "task_name";
    public const string ApplyerType = "applyer_type";
    public const string ApplyerPageType = "applyer_page_type";
    public const string ApplyerPageCode = "applyer_page_code";
    public const string ApplyerName = "applyer_name";
    public const string AcceptDate = "accept_date";
    public const string OrgName = "org_name";
    public const string AreaCode = "area_code";
    public const string HandleState = "handle_state";
    public const string ResultType = "result_type";
    public const string ResultDate = "result_date";
    public const string ResultCetrNo = "result_cetr_no";
    public const string IsNotifyCommit = "is_notify_commit";
    public const string NotifyCommitType = "notify_commit_type";
    public const string IsRongque = "is_rongque";
    public const string CommitDeadline = "commit_deadline";
    public const string CdTime = "cd_time";
}

/// <summary>
/// Maps a 办件 row to an approval case. A case's later stages (办理中, 办结) come as new versions of the
/// same row with a later cd_time. Cases of natural persons are not enterprise facts and are skipped,
/// so their names and ID numbers never enter the hub.
/// </summary>
internal sealed class CaseMapper : JsonRowMapper
{
    public const string FormatName = "provincial-platform/cases-v1";

    public override string Format => FormatName;

    protected override IEnumerable<CanonicalRecord> MapRow(SourceRow row)
    {
        var caseNo = row.RequiredText("projectNo", CaseFields.ProjectNo);
        if (Applicants.IsNaturalPerson(row.Text("applyerType", CaseFields.ApplyerType), row.Text("applyerPageType", CaseFields.ApplyerPageType)))
            return [];

        var uscc = row.RawText("applyerPageCode", CaseFields.ApplyerPageCode);
        var name = row.RawText("applyerName", CaseFields.ApplyerName);
        if (uscc.Length == 0 && name.Length == 0)
            throw new RowFormatException("MISSING_FIELD", $"case {caseNo} names no applicant: applyer_page_code and applyer_name are both missing or empty.");
        var accepted = row.RequiredTimestamp("acceptDate", CaseFields.AcceptDate);

        // Both are read so that a bad value in either is caught; a result outranks the open state.
        var result = PlatformCodes.CaseResults.Read(row, "resultType", CaseFields.ResultType);
        var state = PlatformCodes.OpenCaseStates.Read(row, "handleState", CaseFields.HandleState);

        return
        [
            new CanonicalRecord
            {
                Source = ProvincialPlatformSource.Name,
                SourceId = "CASE-" + caseNo,
                Uscc = uscc,
                EnterpriseName = name,
                OccurredAt = accepted,
                UpdatedAt = PlatformRows.OptionalTimestamp(row, "cdTime", CaseFields.CdTime),
                Synthetic = PlatformRows.Synthetic(row),
                ApprovalCase = new ApprovalCase
                {
                    CaseNo = caseNo,
                    ItemCode = row.Text("taskCode", CaseFields.TaskCode, "localTaskCode", CaseFields.LocalTaskCode, "catalogCode", CaseFields.CatalogCode) ?? "",
                    ItemName = row.Text("taskName", CaseFields.TaskName) ?? "",
                    ApprovalAuthority = row.Text("orgName", CaseFields.OrgName) ?? "",
                    AcceptedAt = accepted.Clone(),
                    CompletedAt = PlatformRows.OptionalTimestamp(row, "resultDate", CaseFields.ResultDate),
                    Stage = result ?? state ?? CaseStage.Unspecified,
                    ResultLicenceNo = row.Text("resultCetrNo", CaseFields.ResultCetrNo) ?? "",
                    CommitmentType = CommitmentRoute(row, caseNo),
                    CommitmentDeadline = row.DateText("commitDeadline", CaseFields.CommitDeadline),
                    DistrictCode = PlatformRows.DistrictCode(row, "areaCode", CaseFields.AreaCode),
                },
            },
        ];
    }

    /// <summary>
    /// 容缺受理 has its own flag; 告知承诺 has a flag and a subtype. A subtype without flags (platforms that
    /// never filled the flags) still counts; explicit "no" flags mean an ordinary approval.
    /// </summary>
    private static CommitmentType CommitmentRoute(SourceRow row, string caseNo)
    {
        var rongque = row.Flag("isRongque", CaseFields.IsRongque);
        var notify = row.Flag("isNotifyCommit", CaseFields.IsNotifyCommit);
        var type = PlatformCodes.CommitmentTypes.Read(row, "notifyCommitType", CaseFields.NotifyCommitType);
        if (rongque == true) return CommitmentType.AcceptedWithGaps;
        if (notify == true)
            return type ?? throw new RowFormatException("MISSING_FIELD", $"case {caseNo} has is_notify_commit set but no notify_commit_type.");
        return notify is null && rongque is null ? type ?? CommitmentType.None : CommitmentType.None;
    }
}

/// <summary>Who applied: the hub keeps enterprises only.</summary>
internal static class Applicants
{
    /// <summary>
    /// A natural person is named by an ID-card type (GB/T 36903 `111`), or by applicant type 自然人 without
    /// a USCC-type code: 个体工商户 file as 自然人 but carry a USCC (`001`), and are kept.
    /// </summary>
    public static bool IsNaturalPerson(string? applicantType, string? idType)
    {
        if (idType is "111" or "身份证" or "居民身份证" or "公民身份号码") return true;
        return applicantType is "1" or "01" or "自然人" && idType is not ("001" or "统一社会信用代码");
    }
}
