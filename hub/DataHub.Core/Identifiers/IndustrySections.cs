namespace DataHub.Core.Identifiers;

/// <summary>
/// The 20 sections (门类) of the national industry classification GB/T 4754-2017, and the section of a
/// class code by its first two digits (the division, 大类).
/// </summary>
public static class IndustrySections
{
    public static readonly IReadOnlyList<(string Code, string Name)> All =
    [
        ("A", "农、林、牧、渔业"), ("B", "采矿业"), ("C", "制造业"), ("D", "电力、热力、燃气及水生产和供应业"), ("E", "建筑业"),
        ("F", "批发和零售业"), ("G", "交通运输、仓储和邮政业"), ("H", "住宿和餐饮业"), ("I", "信息传输、软件和信息技术服务业"),
        ("J", "金融业"), ("K", "房地产业"), ("L", "租赁和商务服务业"), ("M", "科学研究和技术服务业"), ("N", "水利、环境和公共设施管理业"),
        ("O", "居民服务、修理和其他服务业"), ("P", "教育"), ("Q", "卫生和社会工作"), ("R", "文化、体育和娱乐业"),
        ("S", "公共管理、社会保障和社会组织"), ("T", "国际组织"),
    ];

    // The last division of each section, in order (A ends at 05, B at 12, …).
    private static readonly (int LastDivision, string Section)[] Ranges =
    [
        (5, "A"), (12, "B"), (43, "C"), (46, "D"), (50, "E"), (52, "F"), (60, "G"), (62, "H"), (65, "I"), (69, "J"),
        (70, "K"), (72, "L"), (75, "M"), (79, "N"), (82, "O"), (83, "P"), (85, "Q"), (90, "R"), (96, "S"), (97, "T"),
    ];

    /// <summary>The section letter of a class code ("1499" → "C"); a section letter stays itself; "" when unknown.</summary>
    public static string SectionOf(string industryCode)
    {
        var code = industryCode.Trim().ToUpperInvariant();
        if (code.Length == 1 && All.Any(s => s.Code == code)) return code;
        if (code.Length >= 2 && char.IsAsciiLetter(code[0])) code = code[1..];
        if (code.Length < 2 || !int.TryParse(code.AsSpan(0, 2), out var division) || division < 1) return "";
        foreach (var (last, section) in Ranges) if (division <= last) return section;
        return "";
    }
}
