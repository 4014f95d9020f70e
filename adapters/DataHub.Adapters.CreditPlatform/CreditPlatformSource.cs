namespace DataHub.Adapters.CreditPlatform;

/// <summary>
/// The public credit information platform (公共信用信息平台 / 信用中国 归集库): credit grades, red/black and
/// key-attention lists, 双公示 permits (XK) and penalties (CF), and 信用承诺 records. Every feed pages
/// incrementally by update time; responses are {"code": 200, "msg": …, "data": {"total": n, "rows": [...]}}.
/// </summary>
public sealed class CreditPlatformSource : ISourceSystem
{
    public const string Name = "credit-platform";

    public string Source => Name;

    public string DisplayName => "公共信用信息平台";

    public IReadOnlyList<SourceFeed> Feeds { get; } =
    [
        new()
        {
            Name = "ratings",
            Path = "/xyxx/api/v1/credit-ratings",
            Paging = Paging(RatingFields.Updated, RatingFields.Id, "updateTimeFrom", "afterId"),
            Mapper = new RatingRowMapper(),
            Writer = new RatingRowWriter(),
        },
        new()
        {
            Name = "lists",
            Path = "/xyxx/api/v1/list-entries",
            Paging = Paging(ListFields.Updated, ListFields.Id, "updateTimeFrom", "afterId"),
            Mapper = new ListRowMapper(),
            Writer = new ListRowWriter(),
        },
        new()
        {
            Name = "permits",
            Path = "/sgs/api/v2/xzxk",
            Paging = Paging(PermitFields.Updated, PermitFields.DocNo, "sjcFrom", "afterWsh"),
            Mapper = new PermitRowMapper(),
            Writer = new PermitRowWriter(),
        },
        new()
        {
            Name = "penalties",
            Path = "/sgs/api/v2/xzcf",
            Paging = Paging(PenaltyFields.Updated, PenaltyFields.DocNo, "sjcFrom", "afterWsh"),
            Mapper = new PenaltyRowMapper(),
            Writer = new PenaltyRowWriter(),
        },
        new()
        {
            Name = "commitments",
            Path = "/xycn/api/v1/commitments",
            Paging = Paging(CommitmentFields.Updated, CommitmentFields.Code, "updateTimeFrom", "afterCode"),
            Mapper = new CommitmentRowMapper(),
            Writer = new CommitmentRowWriter(),
        },
    ];

    private static UpdatedSincePaging Paging(string updatedField, string idField, string sinceParameter, string afterIdParameter) => new()
    {
        RowsPath = "data.rows",
        LimitParameter = "pageSize",
        SinceParameter = sinceParameter,
        AfterIdParameter = afterIdParameter,
        UpdatedField = updatedField,
        IdField = idField,
    };
}
