namespace DataHub.Core.Identifiers;

/// <summary>Code tables for USCC positions 1 (登记管理部门码) and 2 (机构类别码), GB 32100-2015.</summary>
public static class RegistrationAuthorities
{
    private static readonly Dictionary<char, string> Authorities = new()
    {
        ['1'] = "机构编制",
        ['2'] = "外交",
        ['3'] = "司法行政",
        ['4'] = "文化",
        ['5'] = "民政",
        ['6'] = "旅游",
        ['7'] = "宗教",
        ['8'] = "工会",
        ['9'] = "工商 / 市场监管",
        ['A'] = "中央军委改革和编制办公室",
        ['N'] = "农业",
        ['Y'] = "其他",
    };

    private static readonly Dictionary<(char, char), string> Categories = new()
    {
        [('1', '1')] = "机关",
        [('1', '2')] = "事业单位",
        [('1', '3')] = "中央编办直接管理机构编制的群众团体",
        [('1', '9')] = "其他",
        [('5', '1')] = "社会团体",
        [('5', '2')] = "民办非企业单位",
        [('5', '3')] = "基金会",
        [('5', '9')] = "其他",
        [('9', '1')] = "企业",
        [('9', '2')] = "个体工商户",
        [('9', '3')] = "农民专业合作社",
    };

    public static string? Describe(char authority) => Authorities.GetValueOrDefault(authority);

    public static string? DescribeCategory(char authority, char category) => Categories.GetValueOrDefault((authority, category));
}
