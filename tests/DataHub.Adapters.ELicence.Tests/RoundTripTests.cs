using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using DataHub.Synthetic;
using Google.Protobuf;

namespace DataHub.Adapters.ELicence.Tests;

public class RoundTripTests
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));
    private static readonly IReadOnlyList<SourceFeed> Feeds = new ELicenceSource().Feeds;

    internal static IEnumerable<(GeneratedLine Line, CanonicalRecord Record)> Generated(double dirtRate, int seed = 7) =>
        new SyntheticDataGenerator(new GeneratorOptions { Enterprises = 300, Seed = seed, DirtRate = dirtRate })
            .Generate()
            .Where(line => line.Source == ELicenceSource.Name)
            .Select(line => (line, Parser.Parse<CanonicalRecord>(line.Json)));

    internal static SourceFeed FeedOf(CanonicalRecord record) => Assert.Single(Feeds, f => f.Writer.Carries(record));

    internal static RawRecord Raw(SourceFeed feed, JsonObject row) => new()
    {
        Source = ELicenceSource.Name,
        Format = feed.Mapper.Format,
        Origin = feed.Path,
        Payload = ByteString.CopyFromUtf8(row.ToJsonString()),
    };

    private static MappingResult WriteAndMap(CanonicalRecord original)
    {
        var feed = FeedOf(original);
        return feed.Mapper.Map(Raw(feed, feed.Writer.Write(original.Clone())));
    }

    [Fact]
    public void Every_clean_generated_licence_is_written_and_read_back_to_the_same_record()
    {
        var lines = Generated(0).ToList();
        Assert.True(lines.Count > 50, $"expected the generator to make licences, got {lines.Count}");
        var normalizer = new RecordNormalizer();
        foreach (var (line, original) in lines)
        {
            Assert.Equal(CanonicalRecord.BodyOneofCase.Licence, original.BodyCase);
            var result = WriteAndMap(original);
            Assert.True(result.Rejection is null, $"{original.SourceId}: {result.Rejection}");
            var mapped = Assert.Single(result.Records);
            Assert.Null(normalizer.Normalize(original));
            Assert.Null(normalizer.Normalize(mapped));
            Assert.Equal(original, mapped);
        }
    }

    [Fact]
    public void Generated_licences_with_a_dirty_uscc_or_only_a_name_round_trip_as_served()
    {
        var dirty = Generated(0.3).Where(x => x.Line.Dirt is not null).ToList();
        var kinds = new HashSet<string>();
        var normalizer = new RecordNormalizer();
        foreach (var (line, original) in dirty)
        {
            if (line.Dirt is not ("full-width USCC" or "lower-case USCC" or "spaces and hyphens in USCC" or "USCC missing, name only")) continue;
            kinds.Add(line.Dirt);
            var mapped = Assert.Single(WriteAndMap(original).Records);
            // The USCC and name come back exactly as written, before any clean-up.
            original.SchemaVersion = 0;
            Assert.Equal(original, mapped);
            Assert.Null(normalizer.Normalize(original));
            Assert.Null(normalizer.Normalize(mapped));
            Assert.Equal(original, mapped);
        }
        Assert.Equal(4, kinds.Count);
    }

    [Fact]
    public void Every_generated_line_of_the_source_gets_the_fate_it_expects()
    {
        var normalizer = new RecordNormalizer();
        foreach (var (line, original) in Generated(0.3))
        {
            var result = WriteAndMap(original);
            var rejection = result.Rejection ?? normalizer.Normalize(Assert.Single(result.Records));
            if (line.Fate == ExpectedFate.Quarantined)
                Assert.True(rejection is not null, $"{original.SourceId} ({line.Dirt}) should be rejected");
            else
                Assert.True(rejection is null, $"{original.SourceId} ({line.Dirt}): {rejection}");
        }
    }

    [Fact]
    public void Every_record_of_the_source_is_carried_by_exactly_one_feed_and_no_other_record_is()
    {
        foreach (var (_, record) in Generated(0.3)) FeedOf(record);
        var others = new SyntheticDataGenerator(new GeneratorOptions { Enterprises = 50, Seed = 7, DirtRate = 0 }).Generate()
            .Where(l => l.Source != ELicenceSource.Name)
            .Select(l => Parser.Parse<CanonicalRecord>(l.Json));
        Assert.All(others, r => Assert.DoesNotContain(Feeds, f => f.Writer.Carries(r)));
    }

    [Fact]
    public void Written_rows_carry_the_synthetic_flag_and_the_library_field_names()
    {
        var (_, record) = Generated(0).First();
        var row = FeedOf(record).Writer.Write(record);
        Assert.True(row["synthetic"]!.GetValue<bool>());
        Assert.Equal(record.Licence.LicenceNo, row["certificate_number"]!.GetValue<string>());
        Assert.Equal(record.Uscc, row["certificate_holder_code"]!.GetValue<string>());
        Assert.Equal("001", row["certificate_holder_type"]!.GetValue<string>());
        Assert.Equal(ChinaDates.FormatInstant(record.UpdatedAt.ToDateTimeOffset()), row["update_time"]!.GetValue<string>());
    }

    [Fact]
    public void A_long_term_licence_with_an_unstated_status_round_trips()
    {
        var (_, original) = Generated(0).First();
        original.Licence.ValidUntil = "";
        original.Licence.Status = LicenceStatus.Unspecified;
        original.Licence.Scope = "";
        original.SchemaVersion = 0;
        var feed = FeedOf(original);
        var row = feed.Writer.Write(original);
        Assert.Equal("长期", row["valid_to"]!.GetValue<string>());
        Assert.Equal(original, Assert.Single(feed.Mapper.Map(Raw(feed, row)).Records));
    }
}
