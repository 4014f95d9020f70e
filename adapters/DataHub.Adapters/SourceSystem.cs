using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Schema.V1;

namespace DataHub.Adapters;

/// <summary>
/// One source system (来源系统) as the hub sees it: the feeds it serves, each a paged HTTP endpoint
/// with one row format. Like a Kafka Connect connector, it knows only its source: where the rows are,
/// how they page, and how a row maps to canonical records. Scheduling, checkpoints, retries,
/// quarantine and status belong to the runner. A new source system is one project with one of these.
/// </summary>
public interface ISourceSystem
{
    /// <summary>The source name records carry, e.g. "market-supervision".</summary>
    string Source { get; }

    /// <summary>The system's name for operators, in Chinese (e.g. 市场监管信息平台).</summary>
    string DisplayName { get; }

    IReadOnlyList<SourceFeed> Feeds { get; }
}

/// <summary>
/// One endpoint of a source system: where it is, how it pages, how its rows map (source → canonical),
/// and how the simulator writes them (canonical → source).
/// </summary>
public sealed record SourceFeed
{
    /// <summary>Short name, unique within the source, e.g. "penalties"; the adapter id is "source/name".</summary>
    public required string Name { get; init; }

    /// <summary>Path of the endpoint on the source's base address, e.g. "/gsxt/api/v1/penalties".</summary>
    public required string Path { get; init; }

    public required FeedPaging Paging { get; init; }

    /// <summary>Maps one row of this feed (one JSON object, as served) to canonical records.</summary>
    public required IRecordMapper Mapper { get; init; }

    /// <summary>Writes canonical records as rows of this feed, for the simulator.</summary>
    public required ISourceRowWriter Writer { get; init; }
}

/// <summary>How a feed pages. The rows are a JSON array at <see cref="RowsPath"/> in the response.</summary>
public abstract record FeedPaging
{
    /// <summary>Dotted path of the rows array in the response body, e.g. "data.list".</summary>
    public required string RowsPath { get; init; }

    /// <summary>Query parameter for the page size.</summary>
    public string LimitParameter { get; init; } = "limit";
}

/// <summary>
/// Paging by an opaque token the source hands out: the request sends the last token (none at the
/// start), the response says the next one. The checkpoint is the token.
/// </summary>
public sealed record TokenPaging : FeedPaging
{
    public string TokenParameter { get; init; } = "cursor";

    /// <summary>Dotted path of the next token in the response body.</summary>
    public required string NextTokenPath { get; init; }

    /// <summary>Dotted path of a boolean saying more rows follow; when null, an empty page means the end.</summary>
    public string? HasMorePath { get; init; }
}

/// <summary>
/// Incremental paging by update time (增量同步): rows ordered by (update time, id), the request asks for
/// rows after the last (time, id) seen. The row carries both fields; the update time is written
/// "yyyy-MM-dd HH:mm:ss" (China time), so it orders as text. The checkpoint is "time|id". The source
/// must give every change an update time not before any time it has already served.
/// </summary>
public sealed record UpdatedSincePaging : FeedPaging
{
    public string SinceParameter { get; init; } = "updatedSince";

    public string AfterIdParameter { get; init; } = "afterId";

    /// <summary>The row field holding the update time.</summary>
    public required string UpdatedField { get; init; }

    /// <summary>The row field holding the row's natural key.</summary>
    public required string IdField { get; init; }
}

/// <summary>
/// Writes canonical records as a feed's rows, in the source's own format: what the simulator serves.
/// The mapper of the same feed reads them back to the same records.
/// </summary>
public interface ISourceRowWriter
{
    /// <summary>Whether this feed carries the record (by its body kind and source).</summary>
    bool Carries(CanonicalRecord record);

    /// <summary>The row as the source serves it.</summary>
    JsonObject Write(CanonicalRecord record);

    /// <summary>
    /// A malformed variant of a written row that the feed's mapper rejects (a bad date, a missing
    /// required field, a wrong type). The paging fields (<see cref="UpdatedSincePaging"/>) stay intact.
    /// </summary>
    JsonObject Corrupt(JsonObject row, Random random);
}
