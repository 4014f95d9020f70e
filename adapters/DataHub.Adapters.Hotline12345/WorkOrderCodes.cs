using DataHub.Core.Text;
using DataHub.Schema.V1;

namespace DataHub.Adapters.Hotline12345;

/// <summary>
/// The work-order code tables (SOURCE-FORMATS.md §2.3). Only the display texts are observed; the
/// numeric codes are hub conventions [CONV]. Codes and texts both map; anything else is an error,
/// since the canonical record has no raw-text field to keep it in.
/// </summary>
internal static class WorkOrderCodes
{
    /// <summary>诉求类型. "其他" is a value some cities use: known, but it says nothing.</summary>
    public static readonly IReadOnlyList<(string Code, string Text, ComplaintKind Kind)> AppealTypes =
    [
        ("1", "咨询", ComplaintKind.Consultation),
        ("2", "求助", ComplaintKind.Help),
        ("3", "投诉", ComplaintKind.Complaint),
        ("4", "举报", ComplaintKind.Report),
        ("5", "建议", ComplaintKind.Suggestion),
        ("6", "表扬", ComplaintKind.Praise),
        ("9", "其他", ComplaintKind.Unspecified),
    ];

    /// <summary>工单状态 along the closed loop, with the side states 退单 and 延期; "结案" is a workflow caption for the end.</summary>
    public static readonly IReadOnlyList<(string Code, string Text, bool Closed)> Statuses =
    [
        ("10", "待受理", false),
        ("11", "受理", false),
        ("20", "已受理", false),
        ("21", "预审", false),
        ("30", "待派遣", false),
        ("31", "已派遣", false),
        ("40", "办理中", false),
        ("50", "已答复", false),
        ("60", "已办结", true),
        ("61", "结案", true),
        ("70", "已回访", true),
        ("80", "已归档", true),
        ("90", "退单", false),
        ("91", "延期", false),
    ];

    /// <summary>核实结果: partly true still finds the enterprise at fault.</summary>
    public static readonly IReadOnlyList<(string Code, string Text, bool Substantiated)> VerifyResults =
    [
        ("1", "属实", true),
        ("2", "部分属实", true),
        ("3", "不属实", false),
        ("4", "无法核实", false),
    ];

    public static ComplaintKind Kind(string field, string value) => Lookup(AppealTypes, field, value, "诉求类型", t => t.Kind, t => (t.Code, t.Text));

    public static bool Closed(string field, string value) => Lookup(Statuses, field, value, "工单状态", t => t.Closed, t => (t.Code, t.Text));

    public static bool Substantiated(string field, string value) =>
        // Some exports write the field as a plain yes/no.
        Fold(value) switch
        {
            "TRUE" or "是" or "Y" => true,
            "FALSE" or "否" or "N" => false,
            _ => Lookup(VerifyResults, field, value, "核实结果", t => t.Substantiated, t => (t.Code, t.Text)),
        };

    public static string TextOf(ComplaintKind kind) => AppealTypes.First(t => t.Kind == kind).Text;

    public static string CodeOf(ComplaintKind kind) => AppealTypes.First(t => t.Kind == kind).Code;

    private static TResult Lookup<T, TResult>(IReadOnlyList<T> table, string field, string value, string tableName, Func<T, TResult> result, Func<T, (string Code, string Text)> key)
    {
        var folded = Fold(value);
        // Exports write "投诉类" as often as "投诉", and "03" as often as "3".
        var bare = folded.EndsWith('类') ? folded[..^1] : folded;
        var code = folded.TrimStart('0');
        foreach (var entry in table)
        {
            var (c, t) = key(entry);
            if (t == bare || c == folded || c == code) return result(entry);
        }
        throw new RowFormatException("UNKNOWN_CODE", $"field {field} has \"{value}\", which is not in the {tableName} code table.");
    }

    private static string Fold(string value) => HalfWidth.Fold(value).Trim().ToUpperInvariant();
}
