namespace DataHub.Adapters.Hotline12345;

/// <summary>
/// The city's 12345 government service hotline (12345政务服务便民热线): work orders (工单) about
/// enterprises. The hub pulls them page by page; the hotline also pushes them to the hub's webhook as
/// a JSON array of rows in the same format, so the one mapper serves both ways in.
/// </summary>
public sealed class Hotline12345Source : ISourceSystem
{
    public const string Name = "hotline-12345";

    public string Source => Name;

    public string DisplayName => "12345政务服务便民热线";

    public IReadOnlyList<SourceFeed> Feeds { get; } =
    [
        new SourceFeed
        {
            Name = "work-orders",
            Path = "/hotline/openapi/v2/work-orders",
            // The hotline platform pages with an opaque scroll cursor and says whether more follow.
            Paging = new TokenPaging
            {
                RowsPath = "data.list",
                LimitParameter = "pageSize",
                TokenParameter = "cursor",
                NextTokenPath = "data.nextCursor",
                HasMorePath = "data.hasMore",
            },
            Mapper = new WorkOrderMapper(),
            Writer = new WorkOrderWriter(),
        },
    ];
}
