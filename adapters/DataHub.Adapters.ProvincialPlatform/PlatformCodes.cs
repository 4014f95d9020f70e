using DataHub.Core.Text;
using DataHub.Schema.V1;

namespace DataHub.Adapters.ProvincialPlatform;

/// <summary>
/// A code table of the platform: codes and display texts (as either field set writes them) to a proto
/// enum. The national 办件 tables for these were never published (SOURCE-FORMATS §1.4–1.5, §7), so
/// the codes are the hub's [CONV] ones; the texts are what operators type and are accepted as well.
/// </summary>
internal sealed class CodeTable<T>(string meaning, IReadOnlyDictionary<string, T> entries) where T : struct, Enum
{
    /// <summary>The value of the first of the fields present, or null when none is; an unknown code throws UNKNOWN_CODE.</summary>
    public T? Read(SourceRow row, params string[] names)
    {
        foreach (var name in names)
        {
            if (row.Text(name) is not { } text) continue;
            if (entries.TryGetValue(Key(text), out var value)) return value;
            throw new RowFormatException("UNKNOWN_CODE", $"field {name} has \"{text}\", which is not a known {meaning} code or text.");
        }
        return null;
    }

    // Full-width digits and letter case are how hand-entered codes differ from the table.
    private static string Key(string text) => HalfWidth.Fold(text).Trim().ToUpperInvariant();

    public static IReadOnlyDictionary<string, T> Entries(params (T Value, string[] Keys)[] rows) =>
        rows.SelectMany(r => r.Keys.Select(k => (Key: Key(k), r.Value))).ToDictionary(e => e.Key, e => e.Value);
}

/// <summary>The platform's code tables, shared by the mappers (read) and the writers (the code written first).</summary>
internal static class PlatformCodes
{
    /// <summary>办结结果 (result_type) of a closed case. 不予受理 has no stage of its own: the applicant was refused, so Denied.</summary>
    public static readonly CodeTable<CaseStage> CaseResults = new("办结结果 (case result)", CodeTable<CaseStage>.Entries(
        (CaseStage.Completed, ["1", "01", "准予许可", "准予", "办结", "已办结", "同意"]),
        (CaseStage.Denied, ["2", "02", "不予许可", "3", "03", "不予受理", "不予批准", "不同意"]),
        (CaseStage.Withdrawn, ["4", "04", "撤回", "退回", "退件", "撤件", "5", "05", "作废"])));

    /// <summary>办理状态 (handle_state) of a case with no result yet; 挂起 is a clock-stop (特别程序), still in progress.</summary>
    public static readonly CodeTable<CaseStage> OpenCaseStates = new("办理状态 (case state)", CodeTable<CaseStage>.Entries(
        (CaseStage.Accepted, ["1", "01", "已受理", "受理"]),
        (CaseStage.InProgress, ["2", "02", "办理中", "在办", "审查中", "3", "03", "挂起", "特别程序"])));

    /// <summary>承诺方式: the three 告知承诺 subtypes and 容缺受理 (§1.5, [CONV]).</summary>
    public static readonly CodeTable<CommitmentType> CommitmentTypes = new("承诺方式 (commitment type)", CodeTable<CommitmentType>.Entries(
        (CommitmentType.MaterialDeferred, ["1", "01", "MATERIAL_DEFERRED", "材料延期", "延期提交材料", "材料后补"]),
        (CommitmentType.MaterialVerified, ["2", "02", "MATERIAL_VERIFY", "MATERIAL_VERIFIED", "材料核验", "证照核验"]),
        (CommitmentType.PostCheck, ["3", "03", "POST_CHECK", "事后核查", "事中事后核查"]),
        (CommitmentType.AcceptedWithGaps, ["4", "04", "RONGQUE", "ACCEPTED_WITH_GAPS", "容缺受理", "容缺受理型", "容缺"])));

    /// <summary>承诺履行状态, with the 信用承诺 归集 texts (§4.4): anything short of 全部履行 is a broken commitment.</summary>
    public static readonly CodeTable<CommitmentStatus> CommitmentStatuses = new("承诺履行状态 (fulfilment status)", CodeTable<CommitmentStatus>.Entries(
        (CommitmentStatus.Pending, ["0", "待履行", "履行中", "未到期"]),
        (CommitmentStatus.Kept, ["1", "已履行", "全部履行", "履诺"]),
        (CommitmentStatus.Broken, ["2", "未履行", "全部未履行", "部分履行", "失诺", "违诺"])));

    public static string CaseResultCode(CaseStage stage) => stage switch
    {
        CaseStage.Completed => "1",
        CaseStage.Denied => "2",
        CaseStage.Withdrawn => "4",
        _ => "",
    };

    public static string OpenCaseStateCode(CaseStage stage) => stage switch
    {
        CaseStage.Accepted => "1",
        CaseStage.InProgress => "2",
        _ => "",
    };

    public static string CommitmentTypeCode(CommitmentType type) => type switch
    {
        CommitmentType.MaterialDeferred => "01",
        CommitmentType.MaterialVerified => "02",
        CommitmentType.PostCheck => "03",
        CommitmentType.AcceptedWithGaps => "04",
        _ => "",
    };

    public static string CommitmentStatusCode(CommitmentStatus status) => status switch
    {
        CommitmentStatus.Pending => "0",
        CommitmentStatus.Kept => "1",
        CommitmentStatus.Broken => "2",
        _ => "",
    };
}
