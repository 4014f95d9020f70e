using DataHub.Core.Records;
using DataHub.Core.Text;
using DataHub.Schema.V1;

namespace DataHub.Adapters.MarketSupervision;

/// <summary>
/// The platform's code tables (SOURCE-FORMATS §3.2–3.6). A code outside a table means the table here is
/// stale or the row is corrupt; either way a person must look, so the row is rejected, not guessed.
/// </summary>
internal static class CodeTables
{
    /// <summary>
    /// 登记状态 codes. §3.2 gives only display strings; these codes follow the hub enum's order [CONV]
    /// until the provincial SAMR dictionary is loaded. Display text is read with RegistrationStatuses.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, RegistrationStatus> RegistrationStatusCodes = new Dictionary<string, RegistrationStatus>
    {
        ["1"] = RegistrationStatus.Active,
        ["2"] = RegistrationStatus.Revoked,
        ["3"] = RegistrationStatus.RevokedDeregistered,
        ["4"] = RegistrationStatus.Deregistered,
        ["5"] = RegistrationStatus.Cancelled,
        ["6"] = RegistrationStatus.MovedOut,
        ["7"] = RegistrationStatus.Suspended,
        ["8"] = RegistrationStatus.Liquidating,
    };

    /// <summary>注册资本币种 (regcapcur): ISO 4217 numeric and letter codes.</summary>
    public static readonly IReadOnlyDictionary<string, string> Currencies = new Dictionary<string, string>
    {
        ["156"] = "人民币", ["CNY"] = "人民币",
        ["840"] = "美元", ["USD"] = "美元",
        ["978"] = "欧元", ["EUR"] = "欧元",
        ["344"] = "港元", ["HKD"] = "港元",
        ["392"] = "日元", ["JPY"] = "日元",
        ["826"] = "英镑", ["GBP"] = "英镑",
    };

    /// <summary>
    /// 企业类型 (enttype) codes seen or known (§3.2). Not authoritative, so an unknown code is kept as the
    /// entity type text rather than rejected: entity_type is display text and rejecting would quarantine
    /// every enterprise of a type this table lacks.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> EntityTypes = new Dictionary<string, string>
    {
        ["1100"] = "有限责任公司",
        ["1110"] = "有限责任公司（国有独资）",
        ["1130"] = "有限责任公司（自然人投资或控股）",
        ["1151"] = "有限责任公司（自然人独资）",
        ["1200"] = "股份有限公司",
        ["1210"] = "股份有限公司（上市）",
        ["2152"] = "有限责任公司分公司(法人独资)",
    };

    /// <summary>检查类型 codes [CONV]; §3.6 names the three kinds only.</summary>
    public static readonly IReadOnlyDictionary<string, string> CheckTypes = new Dictionary<string, string>
    {
        ["1"] = "双随机",
        ["2"] = "定向抽查",
        ["3"] = "不定向抽查",
    };

    /// <summary>检查结果 codes (§3.6). Codes 1 and 2 have blank labels in the source table; these are their likely meaning.</summary>
    public static readonly IReadOnlyDictionary<string, string> InspectionResults = new Dictionary<string, string>
    {
        ["1"] = "未发现问题",
        ["2"] = "发现问题",
        ["3"] = "违反食品药品管理相关规定",
        ["4"] = "违反质量技术监督相关规定",
        ["5"] = "违反其他部门相关规定",
        ["6"] = "通过登记的住所（经营场所）无法联系",
        ["7"] = "已关闭停业或正在组织清算",
        ["8"] = "不配合检查情节严重",
        ["9"] = "注销",
        ["10"] = "被吊销",
        ["11"] = "被撤销",
        ["12"] = "迁出",
        ["A"] = "发现问题待后续处理",
        ["B"] = "未按规定公示应当公示的信息",
        ["C"] = "公示信息隐瞒真实情况弄虚作假",
        ["D"] = "违反其他工商行政管理规定行为",
        ["E"] = "发现问题经责令已改正",
        ["F"] = "未发现开展本次抽查涉及的经营活动",
        ["G"] = "违反公安部门相关规定",
    };

    /// <summary>列入经营异常名录原因 (§3.4, 《企业经营异常名录管理暂行办法》 arts. 4, 6–9).</summary>
    public static readonly IReadOnlyDictionary<string, string> AbnormalOperationReasons = new Dictionary<string, string>
    {
        ["1"] = "未按照《企业信息公示暂行条例》第八条规定的期限公示年度报告",
        ["2"] = "未在责令的期限内公示有关企业信息",
        ["3"] = "公示企业信息隐瞒真实情况、弄虚作假",
        ["4"] = "通过登记的住所或者经营场所无法联系",
    };

    /// <summary>The entry for a code; an unknown code is an UNKNOWN_CODE rejection naming the field and value.</summary>
    public static T Lookup<T>(IReadOnlyDictionary<string, T> table, string code, string field, string tableName) =>
        table.TryGetValue(code.ToUpperInvariant(), out var value) ? value
            : throw new RowFormatException("UNKNOWN_CODE", $"field {field} has \"{code}\", which is not in the {tableName} code table.");

    /// <summary>The code whose label is the text (full-width and half-width forms alike), or null.</summary>
    public static string? CodeOf(IReadOnlyDictionary<string, string> table, string text)
    {
        var folded = Fold(text);
        return table.FirstOrDefault(e => Fold(e.Value) == folded).Key;
    }

    public static string? CodeOf(RegistrationStatus status) =>
        status == RegistrationStatus.Unspecified ? null : RegistrationStatusCodes.FirstOrDefault(e => e.Value == status).Key;

    private static string Fold(string text) => HalfWidth.Fold(text).Replace(" ", "");

    /// <summary>
    /// The registration status of a row: display text parsed by RegistrationStatuses, a code from the
    /// table when the text says nothing. Some feeds put the display text in the code field.
    /// </summary>
    public static (RegistrationStatus Status, string Raw) ReadStatus(SourceRow row, Field text, Field code)
    {
        var raw = row.Text(text.Names);
        var fromCode = RegistrationStatus.Unspecified;
        foreach (var name in code.Names)
        {
            if (row.Text(name) is not { } value) continue;
            if (value.All(char.IsAsciiDigit)) fromCode = Lookup(RegistrationStatusCodes, value, name, "登记状态");
            else raw ??= value;
            break;
        }
        var parsed = RegistrationStatuses.Parse(raw);
        return (parsed != RegistrationStatus.Unspecified ? parsed : fromCode, raw ?? "");
    }

    /// <summary>Writes a status as the source does: the display text, and in v1 rows its code too.</summary>
    public static void PutStatus(System.Text.Json.Nodes.JsonObject row, Field text, Field code, RegistrationStatus status, string raw, bool v2)
    {
        Rows.Put(row, text.In(v2), raw);
        var effective = status != RegistrationStatus.Unspecified ? status : RegistrationStatuses.Parse(raw);
        // v2 rows carry the code only when the text alone does not say the status.
        if ((!v2 || RegistrationStatuses.Parse(raw) != effective) && CodeOf(effective) is { } c) row[code.In(v2)] = c;
    }
}
