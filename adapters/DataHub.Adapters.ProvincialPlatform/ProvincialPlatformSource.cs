namespace DataHub.Adapters.ProvincialPlatform;

/// <summary>
/// 省政务服务一体化平台: approval cases (办件) and the 告知承诺 / 容缺受理 commitments made on them, read
/// from the platform's data-exchange (前置库) API by incremental sync on the exchange time cd_time.
/// </summary>
public sealed class ProvincialPlatformSource : ISourceSystem
{
    public const string Name = "provincial-platform";

    public string Source => Name;

    public string DisplayName => "省政务服务一体化平台";

    public IReadOnlyList<SourceFeed> Feeds { get; } =
    [
        new SourceFeed
        {
            Name = "cases",
            Path = "/zwfw/sjjh/api/v1/banjian",
            Paging = Paging(CaseFields.ProjectNo),
            Mapper = new CaseMapper(),
            Writer = new CaseWriter(),
        },
        new SourceFeed
        {
            Name = "commitments",
            Path = "/zwfw/sjjh/api/v1/gzcn",
            Paging = Paging(CommitmentFields.CommitCode),
            Mapper = new CommitmentMapper(),
            Writer = new CommitmentWriter(),
        },
    ];

    // The exchange API answers {"code":"200","msg":"成功","data":{"total":n,"rows":[...]}}.
    private static UpdatedSincePaging Paging(string idField) => new()
    {
        RowsPath = "data.rows",
        LimitParameter = "pageSize",
        SinceParameter = "cdTimeBegin",
        AfterIdParameter = "lastKey",
        UpdatedField = "cd_time",
        IdField = idField,
    };
}
