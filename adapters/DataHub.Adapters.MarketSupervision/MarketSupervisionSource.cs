namespace DataHub.Adapters.MarketSupervision;

/// <summary>
/// 市场监管信息平台 (国家企业信用信息公示系统 data-sharing interface): registrations, alterations,
/// penalties, 双随机一公开 inspection results, and the 经营异常名录 and 严重违法失信名单 lists.
/// Every endpoint pages by the scroll id the platform hands out.
/// </summary>
public sealed class MarketSupervisionSource : ISourceSystem
{
    public const string Name = "market-supervision";

    public string Source => Name;

    public string DisplayName => "市场监管信息平台";

    public IReadOnlyList<SourceFeed> Feeds { get; } =
    [
        Feed("registrations", "/samr/gsxt/v2/ent/baseinfo", new RegistrationMapper(), new RegistrationWriter()),
        Feed("changes", "/samr/gsxt/v2/ent/alterations", new ChangeMapper(), new ChangeWriter()),
        Feed("penalties", "/samr/gsxt/v2/ent/penalties", new PenaltyMapper(), new PenaltyWriter()),
        Feed("inspections", "/samr/gsxt/v2/ent/spot-checks", new InspectionMapper(), new InspectionWriter()),
        Feed("abnormal-operations", "/samr/gsxt/v2/ent/abnormal-operations", ListFeeds.AbnormalOperationMapper, ListFeeds.AbnormalOperationWriter),
        Feed("serious-violations", "/samr/gsxt/v2/ent/serious-violations", ListFeeds.SeriousViolationMapper, ListFeeds.SeriousViolationWriter),
    ];

    /// <summary>The platform's envelope: {"code":"200","data":{"list":[...],"scrollId":"...","hasNext":true}}.</summary>
    private static SourceFeed Feed(string name, string path, JsonRowMapper mapper, ISourceRowWriter writer) => new()
    {
        Name = name,
        Path = path,
        Paging = new TokenPaging
        {
            RowsPath = "data.list",
            NextTokenPath = "data.scrollId",
            HasMorePath = "data.hasNext",
            TokenParameter = "scrollId",
            LimitParameter = "pageSize",
        },
        Mapper = mapper,
        Writer = writer,
    };
}
