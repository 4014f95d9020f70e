using System.Text.Json.Nodes;
using DataHub.Schema.V1;
using static DataHub.Adapters.CreditPlatform.Tests.Rows;

namespace DataHub.Adapters.CreditPlatform.Tests;

public class CorruptTests
{
    private static IEnumerable<CanonicalRecord> AllRecords() =>
        Samples.Generated(dirtRate: 0).Select(g => g.Record).Concat(Samples.HandBuilt().Select(h => h.Record));

    [Fact]
    public void A_corrupted_row_is_rejected_and_keeps_its_paging_fields()
    {
        var codes = new Dictionary<string, HashSet<string>>();
        int seed = 0;
        foreach (var record in AllRecords())
        {
            var feed = Source.Feeds.Single(f => f.Writer.Carries(record));
            var paging = Assert.IsType<UpdatedSincePaging>(feed.Paging);
            var row = feed.Writer.Write(record);
            var original = row.DeepClone();
            for (int i = 0; i < 8; i++, seed++)
            {
                var bad = feed.Writer.Corrupt(row, new Random(seed));
                var result = Map(feed.Mapper, bad);
                Assert.True(result.Rejection is not null, $"{feed.Name}, seed {seed}: the corrupted row mapped: {bad.ToJsonString()}");
                Assert.True(JsonNode.DeepEquals(row[paging.UpdatedField], bad[paging.UpdatedField]), $"{feed.Name}, seed {seed}: {paging.UpdatedField} changed");
                Assert.True(JsonNode.DeepEquals(row[paging.IdField], bad[paging.IdField]), $"{feed.Name}, seed {seed}: {paging.IdField} changed");
                (codes.TryGetValue(feed.Name, out var set) ? set : codes[feed.Name] = []).Add(result.Rejection.Code);
            }
            Assert.True(JsonNode.DeepEquals(original, row), $"{feed.Name}: Corrupt changed the row it was given");
        }
        Assert.Equal(Source.Feeds.Select(f => f.Name).Order(), codes.Keys.Order());
        // Each feed gets rows wrong in more than one way.
        Assert.All(codes, c => Assert.True(c.Value.Count >= 2, $"{c.Key}: only {string.Join(", ", c.Value)}"));
    }

    [Fact]
    public void The_same_seed_corrupts_a_row_the_same_way()
    {
        foreach (var record in AllRecords().Take(30))
        {
            var feed = Source.Feeds.Single(f => f.Writer.Carries(record));
            var row = feed.Writer.Write(record);
            Assert.True(JsonNode.DeepEquals(feed.Writer.Corrupt(row, new Random(3)), feed.Writer.Corrupt(row, new Random(3))));
        }
    }
}
