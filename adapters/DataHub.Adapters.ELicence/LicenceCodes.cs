using DataHub.Core.Text;
using DataHub.Schema.V1;

namespace DataHub.Adapters.ELicence;

/// <summary>
/// The e-licence code tables (SOURCE-FORMATS.md §5.4, §5.3). Codes and display texts both map;
/// anything else is an error, since the Licence record has no raw-text field to keep it in.
/// </summary>
internal static class LicenceCodes
{
    /// <summary>
    /// 证照状态. The canonical enum has no expired or transferred state: 失效 and 办理转出 leave the
    /// licence no longer in force here, which the operation table files under 注销 too; valid_until
    /// still tells an expiry apart. 其他 is known but says nothing.
    /// </summary>
    public static readonly IReadOnlyList<(string Code, string Text, LicenceStatus Status)> Statuses =
    [
        ("01", "有效", LicenceStatus.Valid),
        ("02", "暂扣", LicenceStatus.Suspended),
        ("03", "撤销", LicenceStatus.Revoked),
        ("04", "注销", LicenceStatus.Cancelled),
        ("05", "失效", LicenceStatus.Cancelled),
        ("06", "办理转出", LicenceStatus.Cancelled),
        ("07", "吊销", LicenceStatus.Revoked),
        ("99", "其他", LicenceStatus.Unspecified),
    ];

    /// <summary>Display texts seen beside the table's own.</summary>
    private static readonly IReadOnlyList<(string Text, LicenceStatus Status)> StatusAliases =
    [
        ("正常", LicenceStatus.Valid),
        ("中止", LicenceStatus.Suspended),
        ("已注销", LicenceStatus.Cancelled),
        ("过期", LicenceStatus.Cancelled),
        ("已失效", LicenceStatus.Cancelled),
        ("已吊销", LicenceStatus.Revoked),
        ("已撤销", LicenceStatus.Revoked),
    ];

    /// <summary>持证主体代码类型 (GB/T 36903-2018); only these two are known.</summary>
    public const string HolderTypeUscc = "001";
    public const string HolderTypeCitizenId = "111";

    private static readonly IReadOnlyList<(string Code, string Text)> HolderTypes =
    [
        (HolderTypeUscc, "统一社会信用代码"),
        (HolderTypeCitizenId, "公民身份号码"),
    ];

    public static LicenceStatus Status(string field, string value)
    {
        var folded = Fold(value);
        foreach (var (code, text, status) in Statuses)
            if (SameCode(code, folded) || text == folded) return status;
        foreach (var (text, status) in StatusAliases)
            if (text == folded) return status;
        throw Unknown(field, value, "证照状态");
    }

    /// <summary>The code the library writes for a status; Unspecified is "99" 其他.</summary>
    public static (string Code, string Text) CodeOf(LicenceStatus status) => status switch
    {
        LicenceStatus.Valid => ("01", "有效"),
        LicenceStatus.Suspended => ("02", "暂扣"),
        LicenceStatus.Revoked => ("07", "吊销"),
        LicenceStatus.Cancelled => ("04", "注销"),
        _ => ("99", "其他"),
    };

    /// <summary>The holder-type code ("001" or "111") a code or display text means.</summary>
    public static string HolderType(string field, string value)
    {
        var folded = Fold(value);
        foreach (var (code, text) in HolderTypes)
            if (SameCode(code, folded) || text == folded) return code;
        throw Unknown(field, value, "持证主体代码类型");
    }

    // Exports drop leading zeros ("1" for "01", "1" for "001").
    private static bool SameCode(string code, string folded) =>
        code == folded || (folded.Length > 0 && folded.Length < code.Length && code.TrimStart('0') == folded.TrimStart('0') && folded.All(char.IsAsciiDigit));

    private static string Fold(string value) => HalfWidth.Fold(value).Trim().ToUpperInvariant();

    private static RowFormatException Unknown(string field, string value, string table) =>
        new("UNKNOWN_CODE", $"field {field} has \"{value}\", which is not in the {table} code table.");
}
