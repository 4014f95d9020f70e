using System.Text.Json.Nodes;
using DataHub.Adapters;
using DataHub.Synthetic;
using Microsoft.AspNetCore.Http;

namespace DataHub.Simulators;

/// <summary>One served row: its text exactly as sent, its key and update time, and what the hub should make of it.</summary>
internal sealed record FeedRow(long Seq, string Id, string Updated, string Json, ExpectedFate Fate);

/// <summary>
/// The rows of one simulated feed. A token feed serves its change log: every version in the order it
/// was published, the token being the last sequence number served. An updated-since feed serves the
/// latest version of each row ordered by (update time, id); a version older than the one held is
/// ignored, as a source table would keep only the newer one.
/// </summary>
internal sealed class FeedTable(SourceFeed feed)
{
    private static readonly System.Text.Json.JsonSerializerOptions Utf8Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly List<FeedRow> _rows = [];
    private readonly Dictionary<string, FeedRow> _current = new(StringComparer.Ordinal);
    private readonly HashSet<FeedRow> _dead = [];
    private long _seq;

    public SourceFeed Feed { get; } = feed;

    public int Count => _rows.Count;

    /// <summary>Adds a row; for updated-since feeds the row must carry its update time and id fields.</summary>
    public void Add(JsonObject row, string id, ExpectedFate fate)
    {
        // Chinese text as UTF-8, as the real systems send it (not \uXXXX escapes).
        var json = row.ToJsonString(Utf8Json);
        if (Feed.Paging is UpdatedSincePaging since)
        {
            var updated = row[since.UpdatedField]?.ToString() ?? "";
            id = row[since.IdField]?.ToString() ?? id;
            var entry = new FeedRow(++_seq, id, updated, json, fate);
            if (_current.TryGetValue(id, out var held))
            {
                if (Compare(entry, held) <= 0 || held.Json == json) return;
                _dead.Add(held);
            }
            // Kept in (update time, id) order: rows of one tick share their second and arrive in any id order.
            _rows.Insert(UpperBound(entry), entry);
            _current[id] = entry;
        }
        else
        {
            _rows.Add(new FeedRow(++_seq, id, "", json, fate));
        }
    }

    /// <summary>The rows after a token ("" = from the start) and the next token.</summary>
    public (IReadOnlyList<FeedRow> Rows, string Next) PageAfterToken(string token, int limit)
    {
        long after = long.TryParse(token, out var t) ? t : 0;
        // Sequence numbers equal positions + 1 in a token feed.
        var rows = _rows.Skip((int)Math.Min(after, _rows.Count)).Take(limit).ToList();
        return (rows, rows.Count > 0 ? rows[^1].Seq.ToString(System.Globalization.CultureInfo.InvariantCulture) : token);
    }

    /// <summary>The live rows after (since, afterId).</summary>
    public IReadOnlyList<FeedRow> PageAfterUpdate(string since, string afterId, int limit)
    {
        var page = new List<FeedRow>(limit);
        for (int i = UpperBound(new FeedRow(0, afterId, since, "", ExpectedFate.Stored)); i < _rows.Count && page.Count < limit; i++)
            if (!_dead.Contains(_rows[i])) page.Add(_rows[i]);
        return page;
    }

    /// <summary>The index of the first row ordered after <paramref name="probe"/>.</summary>
    private int UpperBound(FeedRow probe)
    {
        int lo = 0, hi = _rows.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (Compare(_rows[mid], probe) <= 0) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>Whether a newer version of the row has replaced it (update-time feeds serve only the latest).</summary>
    public bool IsSuperseded(FeedRow row) => _dead.Contains(row);

    /// <summary>
    /// Whether a row lies at or before the position a request asks to read after (a token, or an
    /// update time and id): a client that asks from there has stored the row.
    /// </summary>
    public bool IsBefore(FeedRow row, IQueryCollection query) => Feed.Paging switch
    {
        TokenPaging token => long.TryParse(query[token.TokenParameter], out var after) && row.Seq <= after,
        UpdatedSincePaging since => query[since.SinceParameter].ToString().Length > 0 &&
            Compare(row, new FeedRow(0, query[since.AfterIdParameter].ToString(), query[since.SinceParameter].ToString(), "", ExpectedFate.Stored)) <= 0,
        _ => false,
    };

    private static int Compare(FeedRow a, FeedRow b)
    {
        int c = string.CompareOrdinal(a.Updated, b.Updated);
        return c != 0 ? c : string.CompareOrdinal(a.Id, b.Id);
    }
}
