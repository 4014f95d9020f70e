using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using static DataHub.Adapters.CreditPlatform.Tests.Rows;

namespace DataHub.Adapters.CreditPlatform.Tests;

/// <summary>What a feed's writer serves, its mapper reads back to the same record.</summary>
public class RoundTripTests
{
    private static readonly string[] UsccDirt = ["full-width USCC", "lower-case USCC", "spaces and hyphens in USCC", "USCC missing, name only"];

    private static SourceFeed CarryingFeed(CanonicalRecord record)
    {
        var feeds = Source.Feeds.Where(f => f.Writer.Carries(record)).ToList();
        Assert.True(feeds.Count == 1, $"{record.SourceId} ({record.BodyCase}) is carried by {feeds.Count} feeds: {string.Join(", ", feeds.Select(f => f.Name))}");
        return feeds[0];
    }

    /// <summary>Writes the record as its feed's row, serves it as bytes and maps it back.</summary>
    private static CanonicalRecord RoundTrip(CanonicalRecord record, SourceFeed feed)
    {
        var row = feed.Writer.Write(record);
        var result = Map(feed.Mapper, row.ToJsonString());
        Assert.True(result.Rejection is null, $"{record.SourceId}: the written row was rejected: {result.Rejection}\nrow: {row.ToJsonString()}");
        return Assert.Single(result.Records);
    }

    /// <summary>The record as a mapper would produce it before the hub touches it: no schema version or hash.</summary>
    private static CanonicalRecord AsMapped(CanonicalRecord record)
    {
        var copy = record.Clone();
        copy.SchemaVersion = 0;
        copy.ContentHash = "";
        return copy;
    }

    private static void AssertSameAfterNormalizing(CanonicalRecord expected, CanonicalRecord actual)
    {
        var (a, b) = (expected.Clone(), actual.Clone());
        var normalizer = new RecordNormalizer();
        Assert.Null(normalizer.Normalize(a));
        Assert.Null(normalizer.Normalize(b));
        Assert.Equal(a, b);
    }

    [Fact]
    public void Every_generated_record_round_trips_through_the_feed_that_carries_it()
    {
        var generated = Samples.Generated(dirtRate: 0);
        Assert.Contains(generated, g => g.Record.BodyCase == CanonicalRecord.BodyOneofCase.CreditRating);
        foreach (var type in new[] { ListType.AbnormalOperation, ListType.SeriousViolation, ListType.Red })
            Assert.Contains(generated, g => g.Record.ListEntry?.ListType == type);
        Assert.Contains(generated, g => g.Record.ListEntry?.RemovedOn.Length > 0);
        foreach (var (_, record) in generated)
        {
            var mapped = RoundTrip(record, CarryingFeed(record));
            Assert.Equal(AsMapped(record), mapped);
            AssertSameAfterNormalizing(record, mapped);
        }
    }

    [Fact]
    public void Generated_rows_with_a_dirty_or_missing_USCC_round_trip_as_the_row_has_them()
    {
        var generated = Samples.Generated(dirtRate: 0.3);
        var dirty = generated.Where(g => UsccDirt.Contains(g.Line.Dirt)).ToList();
        Assert.Equal(UsccDirt.Order(), dirty.Select(g => g.Line.Dirt!).Distinct().Order());
        foreach (var (line, record) in dirty)
        {
            var mapped = RoundTrip(record, CarryingFeed(record));
            Assert.Equal(AsMapped(record), mapped);
            AssertSameAfterNormalizing(record, mapped);
        }
    }

    [Fact]
    public void Every_generated_line_of_the_credit_platform_with_any_dirt_maps_back_to_its_record()
    {
        foreach (var (line, record) in Samples.Generated(dirtRate: 0.3, seed: 11))
        {
            var mapped = RoundTrip(record, CarryingFeed(record));
            Assert.Equal(AsMapped(record), mapped);
            // A wrong check character is the hub's to quarantine, for the written row as for the original.
            if (line.Fate == Synthetic.ExpectedFate.Quarantined)
                Assert.Equal("USCC_INVALID", new RecordNormalizer().Normalize(mapped)?.Code);
        }
    }

    [Fact]
    public void Hand_built_permits_penalties_and_commitments_round_trip()
    {
        foreach (var (feedName, record) in Samples.HandBuilt())
        {
            var feed = CarryingFeed(record);
            Assert.Equal(feedName, feed.Name);
            var mapped = RoundTrip(record, feed);
            if (record.UpdatedAt is not null) Assert.Equal(AsMapped(record), mapped);
            // Without an update time the row carries the decision time, which is what the hub defaults to.
            AssertSameAfterNormalizing(record, mapped);
        }
    }

    [Fact]
    public void Rows_carry_the_paging_fields_with_the_update_time_in_China_time()
    {
        var records = Samples.Generated(dirtRate: 0).Select(g => g.Record).Concat(Samples.HandBuilt().Select(h => h.Record));
        foreach (var record in records)
        {
            var feed = CarryingFeed(record);
            var paging = Assert.IsType<UpdatedSincePaging>(feed.Paging);
            var row = feed.Writer.Write(record);
            Assert.Equal(ChinaDates.FormatInstant((record.UpdatedAt ?? record.OccurredAt).ToDateTimeOffset()), row[paging.UpdatedField]?.GetValue<string>());
            Assert.False(string.IsNullOrWhiteSpace(row[paging.IdField]?.GetValue<string>()), $"{record.SourceId}: no {paging.IdField}");
            Assert.Equal(record.Synthetic, row["synthetic"]?.GetValue<bool>());
        }
    }

    [Fact]
    public void Writing_leaves_the_record_unchanged()
    {
        foreach (var record in Samples.Generated(dirtRate: 0).Select(g => g.Record).Take(50).Concat(Samples.HandBuilt().Select(h => h.Record)))
        {
            var before = record.Clone();
            CarryingFeed(record).Writer.Write(record);
            Assert.Equal(before, record);
        }
    }

    [Fact]
    public void Records_of_other_sources_or_body_kinds_are_not_carried()
    {
        var penalty = Samples.Penalties().First();
        penalty.Source = "market-supervision";
        Assert.DoesNotContain(Source.Feeds, f => f.Writer.Carries(penalty));
        var registration = new CanonicalRecord { Source = CreditPlatformSource.Name, SourceId = "R", Registration = new Registration { Name = "x" } };
        Assert.DoesNotContain(Source.Feeds, f => f.Writer.Carries(registration));
    }

    [Fact]
    public void Rows_served_as_JSON_text_parse_back_to_the_same_row()
    {
        // The simulator serves rows inside a response body; what it writes must survive serialization.
        foreach (var (_, record) in Samples.Generated(dirtRate: 0).Take(20))
        {
            var row = CarryingFeed(record).Writer.Write(record);
            Assert.True(JsonNode.DeepEquals(row, JsonNode.Parse(row.ToJsonString())));
        }
    }
}
