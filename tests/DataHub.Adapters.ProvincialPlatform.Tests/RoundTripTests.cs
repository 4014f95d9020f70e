using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using DataHub.Synthetic;
using Google.Protobuf;

namespace DataHub.Adapters.ProvincialPlatform.Tests;

/// <summary>What the simulator serves is what the mappers read back: every generated record of this source.</summary>
public class RoundTripTests
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    private static List<(GeneratedLine Line, CanonicalRecord Record)> Generated(int seed, double dirtRate) =>
        new SyntheticDataGenerator(new GeneratorOptions { Enterprises = 300, Seed = seed, DirtRate = dirtRate })
            .Generate()
            .Where(l => l.Source == ProvincialPlatformSource.Name)
            .Select(l => (l, Parser.Parse<CanonicalRecord>(l.Json)))
            .ToList();

    private static SourceFeed FeedOf(CanonicalRecord record) => Feeds.Source.Feeds.Single(f => f.Writer.Carries(record));

    private static CanonicalRecord WriteAndMap(CanonicalRecord record)
    {
        var feed = FeedOf(record);
        var row = feed.Writer.Write(record);
        var result = Feeds.Map(feed, System.Text.Encoding.UTF8.GetBytes(row.ToJsonString()));
        Assert.True(result.Rejection is null, $"the {feed.Name} row of {record.SourceId} was rejected: {result.Rejection}\nrow: {row.ToJsonString()}");
        return Assert.Single(result.Records);
    }

    [Fact]
    public void Every_clean_generated_record_round_trips_through_its_feed_to_the_same_normalized_record()
    {
        var generated = Generated(7, 0);
        Assert.Contains(generated, g => g.Record.BodyCase == CanonicalRecord.BodyOneofCase.ApprovalCase);
        Assert.Contains(generated, g => g.Record.BodyCase == CanonicalRecord.BodyOneofCase.Commitment);
        var normalizer = new RecordNormalizer();
        foreach (var (_, original) in generated)
        {
            var mapped = WriteAndMap(original.Clone());
            var expected = original.Clone();
            Assert.Null(normalizer.Normalize(expected));
            var rejection = normalizer.Normalize(mapped);
            Assert.True(rejection is null, $"{original.SourceId} mapped but did not normalize: {rejection}");
            Assert.True(expected.Equals(mapped), $"{original.SourceId}: expected\n{expected}\nbut came\n{mapped}");
        }
    }

    [Fact]
    public void Dirty_generated_records_round_trip_with_their_USCC_and_name_exactly_as_sent()
    {
        var generated = Generated(7, 0.3);
        Assert.Contains(generated, g => g.Line.Dirt == "USCC missing, name only");
        Assert.Contains(generated, g => g.Line.Dirt is "full-width USCC" or "lower-case USCC" or "spaces and hyphens in USCC");
        var normalizer = new RecordNormalizer();
        foreach (var (line, original) in generated)
        {
            var mapped = WriteAndMap(original.Clone());
            // Before normalizing: the mapper sets no schema version; everything else is as generated.
            var raw = mapped.Clone();
            raw.SchemaVersion = original.SchemaVersion;
            Assert.True(original.Equals(raw), $"{original.SourceId} ({line.Dirt}): expected\n{original}\nbut came\n{raw}");
            var expected = original.Clone();
            if (normalizer.Normalize(expected) is null)
            {
                Assert.Null(normalizer.Normalize(mapped));
                Assert.Equal(expected, mapped);
            }
            else
            {
                Assert.NotNull(normalizer.Normalize(mapped));
            }
        }
    }

    [Theory]
    [InlineData(7, 0.0)]
    [InlineData(11, 0.3)]
    public void Every_record_of_this_source_is_carried_by_exactly_one_feed(int seed, double dirtRate)
    {
        foreach (var (_, record) in Generated(seed, dirtRate))
            Assert.Equal(1, Feeds.Source.Feeds.Count(f => f.Writer.Carries(record)));
    }

    [Fact]
    public void Records_of_other_sources_or_other_kinds_are_not_carried()
    {
        var lines = new SyntheticDataGenerator(new GeneratorOptions { Enterprises = 50, Seed = 3, DirtRate = 0 }).Generate()
            .Where(l => l.Source != ProvincialPlatformSource.Name)
            .Select(l => Parser.Parse<CanonicalRecord>(l.Json));
        foreach (var record in lines)
            Assert.DoesNotContain(Feeds.Source.Feeds, f => f.Writer.Carries(record));
        var misfiled = new CanonicalRecord { Source = ProvincialPlatformSource.Name, Complaint = new Complaint() };
        Assert.DoesNotContain(Feeds.Source.Feeds, f => f.Writer.Carries(misfiled));
    }

    [Fact]
    public void Written_rows_carry_the_paging_fields_the_update_time_in_China_time_and_the_synthetic_flag()
    {
        foreach (var (_, record) in Generated(7, 0))
        {
            var feed = FeedOf(record);
            var paging = Assert.IsType<UpdatedSincePaging>(feed.Paging);
            var row = feed.Writer.Write(record);
            Assert.Equal(ChinaDates.FormatInstant(record.UpdatedAt.ToDateTimeOffset()), (string?)row[paging.UpdatedField]);
            var key = record.BodyCase == CanonicalRecord.BodyOneofCase.ApprovalCase ? record.ApprovalCase.CaseNo : record.Commitment.CommitmentCode;
            Assert.Equal(key, (string?)row[paging.IdField]);
            Assert.True((bool?)row["synthetic"]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void A_corrupted_row_is_rejected_and_keeps_its_paging_fields(int seed)
    {
        var random = new Random(seed);
        var codes = new Dictionary<string, HashSet<string>>();
        foreach (var (_, record) in Generated(seed, 0))
        {
            var feed = FeedOf(record);
            var paging = (UpdatedSincePaging)feed.Paging;
            var row = feed.Writer.Write(record);
            var before = row.ToJsonString();
            for (int i = 0; i < 4; i++)
            {
                var bad = feed.Writer.Corrupt(row, random);
                Assert.Equal(before, row.ToJsonString());
                Assert.True(JsonNode.DeepEquals(row[paging.UpdatedField], bad[paging.UpdatedField]), $"{feed.Name}: the update time changed in {bad.ToJsonString()}");
                Assert.True(JsonNode.DeepEquals(row[paging.IdField], bad[paging.IdField]), $"{feed.Name}: the id changed in {bad.ToJsonString()}");
                var result = Feeds.Map(feed, System.Text.Encoding.UTF8.GetBytes(bad.ToJsonString()));
                Assert.True(result.Rejection is not null, $"{feed.Name}: the corrupted row mapped: {bad.ToJsonString()}");
                Assert.Empty(result.Records);
                (codes.TryGetValue(feed.Name, out var set) ? set : codes[feed.Name] = []).Add(result.Rejection.Code);
            }
        }
        // The corruptions are of several kinds, as a real source's faults are.
        Assert.All(codes.Values, set => Assert.Superset(new HashSet<string> { "BAD_DATE", "MISSING_FIELD", "UNKNOWN_CODE" }, set));
    }
}
