using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace DataHub.Adapters;

/// <summary>One page of a feed: each row's bytes exactly as served, the checkpoint after it, and whether more rows wait.</summary>
public sealed record FeedPage(IReadOnlyList<byte[]> Rows, string Checkpoint, bool HasMore, string Origin);

/// <summary>The source answered in a way that retrying will not fix (a 4xx status, a response without the rows array).</summary>
public sealed class SourceProtocolException(string message) : Exception(message);

/// <summary>
/// Reads pages of one feed over HTTP by the feed's paging rules. It only splits the response into
/// rows and finds the next position; it never interprets a row, so a bad row reaches the mapper (and
/// quarantine) instead of failing the page.
/// </summary>
public sealed class FeedClient(HttpClient http, SourceFeed feed, int pageSize)
{
    public SourceFeed Feed { get; } = feed;

    /// <summary>Fetches the page after <paramref name="checkpoint"/> ("" = from the beginning).</summary>
    public async Task<FeedPage> FetchAsync(string checkpoint, CancellationToken cancellationToken)
    {
        var uri = RequestUri(checkpoint);
        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var status = (int)response.StatusCode;
            var message = $"GET {uri} answered {status} {response.ReasonPhrase}.";
            // Server errors, throttling and timeouts are transient; other client errors mean a wrong request.
            if (status >= 500 || response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout)
                throw new HttpRequestException(message, null, response.StatusCode);
            throw new SourceProtocolException(message);
        }
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return Parse(body, checkpoint, uri);
    }

    internal string RequestUri(string checkpoint)
    {
        var query = new StringBuilder(Feed.Path).Append(Feed.Path.Contains('?') ? '&' : '?')
            .Append(Feed.Paging.LimitParameter).Append('=').Append(pageSize.ToString(CultureInfo.InvariantCulture));
        switch (Feed.Paging)
        {
            case TokenPaging token when checkpoint.Length > 0:
                Append(query, token.TokenParameter, checkpoint);
                break;
            case UpdatedSincePaging since when checkpoint.Length > 0:
                var (time, id) = SplitCheckpoint(checkpoint);
                Append(query, since.SinceParameter, time);
                Append(query, since.AfterIdParameter, id);
                break;
        }
        return query.ToString();
    }

    private static void Append(StringBuilder query, string name, string value) =>
        query.Append('&').Append(name).Append('=').Append(Uri.EscapeDataString(value));

    private FeedPage Parse(byte[] body, string checkpoint, string uri)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            // A cut-off or garbled page: the next attempt usually gets it whole.
            throw new HttpRequestException($"GET {uri} returned a body that is not JSON: {e.Message}");
        }
        using (document)
        {
            if (Find(document.RootElement, Feed.Paging.RowsPath) is not { ValueKind: JsonValueKind.Array } rowsElement)
                throw new SourceProtocolException($"GET {uri}: the response has no rows array at \"{Feed.Paging.RowsPath}\".");
            var rows = new List<byte[]>(rowsElement.GetArrayLength());
            foreach (var row in rowsElement.EnumerateArray()) rows.Add(Encoding.UTF8.GetBytes(row.GetRawText()));
            var origin = $"{uri}";
            switch (Feed.Paging)
            {
                case TokenPaging token:
                {
                    var next = Find(document.RootElement, token.NextTokenPath) is { ValueKind: JsonValueKind.String or JsonValueKind.Number } n
                        ? n.ValueKind == JsonValueKind.String ? n.GetString()! : n.GetRawText()
                        : "";
                    bool hasMore = token.HasMorePath is { } path && Find(document.RootElement, path) is { } more
                        ? more.ValueKind == JsonValueKind.True
                        : rows.Count > 0;
                    return new FeedPage(rows, next.Length > 0 ? next : checkpoint, hasMore && next.Length > 0, origin);
                }
                case UpdatedSincePaging since:
                {
                    var next = checkpoint;
                    foreach (var row in rowsElement.EnumerateArray())
                    {
                        // A row without its paging fields cannot move the position; the rows after it still do.
                        if (row.ValueKind == JsonValueKind.Object && Scalar(row, since.UpdatedField) is { } time && Scalar(row, since.IdField) is { } id)
                            next = time + "|" + id;
                    }
                    return new FeedPage(rows, next, rows.Count >= pageSize, origin);
                }
                default:
                    throw new InvalidOperationException($"Unknown paging {Feed.Paging.GetType().Name}.");
            }
        }
    }

    /// <summary>"time|id" → its parts; the id may itself contain '|'.</summary>
    public static (string Time, string Id) SplitCheckpoint(string checkpoint)
    {
        int bar = checkpoint.IndexOf('|');
        return bar < 0 ? (checkpoint, "") : (checkpoint[..bar], checkpoint[(bar + 1)..]);
    }

    private static string? Scalar(JsonElement row, string field) =>
        row.TryGetProperty(field, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        } : null;

    /// <summary>The element at a dotted path ("data.list"), or null.</summary>
    public static JsonElement? Find(JsonElement root, string path)
    {
        var current = root;
        foreach (var part in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current)) return null;
        }
        return current;
    }
}
