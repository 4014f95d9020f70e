using System.Text;
using System.Text.Json.Nodes;
using DataHub.Schema.V1;

namespace DataHub.Adapters.MarketSupervision.Tests;

/// <summary>The simulator's bad rows are ones the adapter must quarantine.</summary>
public class CorruptTests
{
    private static IEnumerable<CanonicalRecord> Records(int seed) =>
        RoundTripTests.Generated(dirtRate: 0.1, seed)
            .Select(g => g.Record)
            .Where(r => r.Source == MarketSupervisionSource.Name)
            .Concat(RoundTripTests.ListEntries());

    [Fact]
    public void Corrupted_rows_are_rejected_and_keep_the_paging_fields()
    {
        var codes = new Dictionary<string, HashSet<string>>();
        foreach (var seed in new[] { 1, 7, 42 })
        {
            var random = new Random(seed);
            foreach (var record in Records(seed))
            {
                var feed = RoundTripTests.FeedOf(record);
                var row = feed.Writer.Write(record);
                var before = row.ToJsonString();
                for (int i = 0; i < 3; i++)
                {
                    var bad = feed.Writer.Corrupt(row, random);
                    Assert.Equal(before, row.ToJsonString());
                    var result = feed.Mapper.Map(Feeds.Raw(feed, Encoding.UTF8.GetBytes(bad.ToJsonString())));
                    Assert.True(result.Rejection is not null, $"{feed.Name}: the corrupted row {bad.ToJsonString()} was accepted");
                    Assert.Empty(result.Records);
                    foreach (var field in PagingFields(feed).Append("updateTime").Append("s_ext_timestamp").Append("synthetic"))
                        Assert.True(JsonNode.DeepEquals(row[field], bad[field]), $"{feed.Name}: Corrupt changed paging field {field}");
                    (codes.TryGetValue(feed.Name, out var set) ? set : codes[feed.Name] = []).Add(result.Rejection!.Code);
                }
            }
        }
        Assert.Equal(Feeds.Source.Feeds.Select(f => f.Name).Order(), codes.Keys.Order());
        Assert.All(codes, c => Assert.True(c.Value.Count >= 2, $"{c.Key} corrupts rows in only one way: {string.Join(", ", c.Value)}"));
    }

    private static IEnumerable<string> PagingFields(SourceFeed feed) =>
        feed.Paging is UpdatedSincePaging p ? [p.UpdatedField, p.IdField] : [];
}
