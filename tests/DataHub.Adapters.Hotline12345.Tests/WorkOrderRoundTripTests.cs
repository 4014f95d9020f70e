using System.Text;
using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using DataHub.Synthetic;
using Google.Protobuf;
using static DataHub.Adapters.Hotline12345.Tests.WorkOrderFeed;

namespace DataHub.Adapters.Hotline12345.Tests;

public class WorkOrderRoundTripTests
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    private static readonly string[] UsccDirt = ["full-width USCC", "lower-case USCC", "spaces and hyphens in USCC", "USCC missing, name only"];

    private static List<(GeneratedLine Line, CanonicalRecord Record)> Generated(double dirtRate, int seed = 7) =>
        new SyntheticDataGenerator(new GeneratorOptions { Enterprises = 300, Seed = seed, DirtRate = dirtRate }).Generate()
            .Where(l => l.Source == Hotline12345Source.Name)
            .Select(l => (l, Parser.Parse<CanonicalRecord>(l.Json)))
            .ToList();

    private static MappingResult WriteAndMap(CanonicalRecord record)
    {
        var feeds = new Hotline12345Source().Feeds.Where(f => f.Writer.Carries(record)).ToList();
        var feed = Assert.Single(feeds);
        var row = feed.Writer.Write(record);
        return feed.Mapper.Map(new RawRecord
        {
            Source = Hotline12345Source.Name,
            Format = feed.Mapper.Format,
            Payload = ByteString.CopyFrom(Encoding.UTF8.GetBytes(row.ToJsonString())),
            Origin = "simulator",
        });
    }

    /// <summary>What the mapper should make of a generated record: the same, minus what only the hub sets, contacts redacted.</summary>
    private static CanonicalRecord AsMapped(CanonicalRecord original)
    {
        var expected = original.Clone();
        expected.SchemaVersion = 0;
        expected.Complaint.Summary = PersonalData.RedactContacts(expected.Complaint.Summary);
        return expected;
    }

    [Fact]
    public void Every_generated_work_order_round_trips_through_the_hotline_format()
    {
        var generated = Generated(dirtRate: 0);
        Assert.NotEmpty(generated);
        var normalizer = new RecordNormalizer();
        foreach (var (line, original) in generated)
        {
            var result = WriteAndMap(original);
            Assert.True(result.Rejection is null, $"{line.Json} was rejected: {result.Rejection}");
            var mapped = Assert.Single(result.Records);
            Assert.Equal(AsMapped(original), mapped);
            Assert.Null(normalizer.Normalize(original));
            Assert.Null(normalizer.Normalize(mapped));
            Assert.Equal(original, mapped);
        }
    }

    [Fact]
    public void Generated_work_orders_with_a_dirty_or_missing_uscc_round_trip_as_served()
    {
        var dirty = Generated(dirtRate: 0.3).Where(g => UsccDirt.Contains(g.Line.Dirt)).ToList();
        Assert.Contains(dirty, g => g.Line.Dirt == "USCC missing, name only");
        Assert.Contains(dirty, g => g.Line.Dirt == "spaces and hyphens in USCC");
        var normalizer = new RecordNormalizer();
        foreach (var (line, original) in dirty)
        {
            var result = WriteAndMap(original);
            Assert.True(result.Rejection is null, $"{line.Dirt}: {line.Json} was rejected: {result.Rejection}");
            var mapped = Assert.Single(result.Records);
            Assert.Equal(AsMapped(original), mapped);
            Assert.Null(normalizer.Normalize(original));
            Assert.Null(normalizer.Normalize(mapped));
            Assert.Equal(original, mapped);
        }
    }

    [Fact]
    public void Every_generated_hotline_line_with_dirt_maps_to_what_the_hub_expects_of_it()
    {
        var normalizer = new RecordNormalizer();
        var seen = new HashSet<string?>();
        foreach (var (line, original) in Generated(dirtRate: 0.3))
        {
            seen.Add(line.Dirt);
            var result = WriteAndMap(original);
            if (line.Dirt == "missing source_id")
            {
                Assert.Equal("MISSING_FIELD", result.Rejection?.Code);
                continue;
            }
            Assert.True(result.Rejection is null, $"{line.Dirt}: {line.Json} was rejected: {result.Rejection}");
            var mapped = Assert.Single(result.Records);
            Assert.Equal(AsMapped(original), mapped);
            var expected = normalizer.Normalize(original);
            Assert.Equal(expected?.Code, normalizer.Normalize(mapped)?.Code);
            if (expected is null) Assert.Equal(original, mapped);
        }
        Assert.Contains("out-of-order update (newer version first)", seen);
        Assert.Contains("name of an unknown enterprise", seen);
    }

    [Fact]
    public void Every_hotline_record_is_carried_by_exactly_one_feed_and_no_other_sources_record_is()
    {
        var feeds = new Hotline12345Source().Feeds;
        foreach (var line in new SyntheticDataGenerator(new GeneratorOptions { Enterprises = 300, Seed = 7, DirtRate = 0.3 }).Generate())
        {
            CanonicalRecord record;
            try { record = Parser.Parse<CanonicalRecord>(line.Json); }
            catch (Exception e) when (e is InvalidJsonException or InvalidProtocolBufferException or FormatException) { continue; }
            var carriers = feeds.Count(f => f.Writer.Carries(record));
            Assert.Equal(line.Source == Hotline12345Source.Name ? 1 : 0, carriers);
        }
    }

    [Fact]
    public void The_writer_gives_the_same_row_for_the_same_record()
    {
        var (_, record) = Generated(dirtRate: 0).First();
        Assert.Equal(Feed.Writer.Write(record).ToJsonString(), Feed.Writer.Write(record.Clone()).ToJsonString());
    }

    [Fact]
    public void The_writer_fills_the_callers_details_and_the_mapper_keeps_none_of_them()
    {
        string[] personal = ["caller_name", "caller_phone", "caller_id_no", "address"];
        foreach (var (_, original) in Generated(dirtRate: 0))
        {
            var row = Feed.Writer.Write(original);
            var mapped = Assert.Single(Map(row).Records);
            var json = JsonFormatter.Default.Format(mapped);
            foreach (var field in personal)
            {
                var value = row[field]?.GetValue<string>();
                Assert.False(string.IsNullOrEmpty(value), $"the writer left {field} empty");
                Assert.False(json.Contains(value, StringComparison.Ordinal), $"{field} \"{value}\" leaked into {json}");
            }
            Assert.DoesNotMatch(@"1[3-9]\d{9}", mapped.Complaint.Summary);
        }
    }

    [Fact]
    public void Corrupted_rows_are_rejected_and_keep_their_paging_fields()
    {
        var codes = new HashSet<string>();
        foreach (var seed in new[] { 1, 7, 42 })
        {
            var generated = Generated(dirtRate: 0, seed);
            var random = new Random(seed);
            foreach (var (_, record) in generated)
            {
                var row = Feed.Writer.Write(record);
                var before = row.ToJsonString();
                var bad = Feed.Writer.Corrupt(row, random);
                Assert.Equal(before, row.ToJsonString());
                var result = Map(bad);
                Assert.True(result.Rejection is not null, $"the corrupted row mapped: {bad.ToJsonString()}");
                codes.Add(result.Rejection.Code);
                if (Feed.Paging is UpdatedSincePaging paging)
                {
                    Assert.True(JsonNode.DeepEquals(row[paging.UpdatedField], bad[paging.UpdatedField]));
                    Assert.True(JsonNode.DeepEquals(row[paging.IdField], bad[paging.IdField]));
                }
                Assert.True(JsonNode.DeepEquals(row["update_time"], bad["update_time"]), "the update time, by which the hotline orders changes, must survive");
            }
        }
        Assert.Equal(["BAD_DATE", "MISSING_FIELD", "UNKNOWN_CODE"], codes.Order());
    }
}
