using System.Text;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using DataHub.Synthetic;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Adapters.MarketSupervision.Tests;

/// <summary>What the simulator serves, the adapter reads back: writer then mapper gives the same record.</summary>
public class RoundTripTests
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    /// <summary>Every generated line parsed to a record; lines that are not records must be the ones meant for quarantine.</summary>
    internal static List<(GeneratedLine Line, CanonicalRecord Record)> Generated(double dirtRate, int seed = 7)
    {
        var records = new List<(GeneratedLine, CanonicalRecord)>();
        foreach (var line in new SyntheticDataGenerator(new GeneratorOptions { Enterprises = 300, Seed = seed, DirtRate = dirtRate }).Generate())
        {
            try
            {
                records.Add((line, Parser.Parse<CanonicalRecord>(line.Json)));
            }
            catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException)
            {
                Assert.Equal(ExpectedFate.Quarantined, line.Fate);
            }
        }
        return records;
    }

    internal static SourceFeed FeedOf(CanonicalRecord record)
    {
        var feeds = Feeds.Source.Feeds.Where(f => f.Writer.Carries(record)).ToList();
        Assert.True(feeds.Count == 1, $"{record.SourceId} ({record.BodyCase}) is carried by {feeds.Count} feeds: {string.Join(", ", feeds.Select(f => f.Name))}");
        return feeds[0];
    }

    internal static MappingResult WriteAndMap(SourceFeed feed, CanonicalRecord record)
    {
        var payload = Encoding.UTF8.GetBytes(feed.Writer.Write(record).ToJsonString());
        return feed.Mapper.Map(Feeds.Raw(feed, payload, $"{feed.Name}:{record.SourceId}"));
    }

    private static void AssertRoundTrips(CanonicalRecord original)
    {
        var feed = FeedOf(original);
        var result = WriteAndMap(feed, original);
        Assert.True(result.Rejection is null, $"{original.SourceId}: {result.Rejection}");
        var mapped = Assert.Single(result.Records);

        // Before the hub touches them: identity and times pass through exactly, dirt included.
        Assert.Equal(original.Source, mapped.Source);
        Assert.Equal(original.SourceId, mapped.SourceId);
        Assert.Equal(original.Uscc, mapped.Uscc);
        Assert.Equal(original.EnterpriseName, mapped.EnterpriseName);
        Assert.Equal(original.OccurredAt, mapped.OccurredAt);
        Assert.Equal(original.UpdatedAt, mapped.UpdatedAt);
        Assert.Equal(original.Synthetic, mapped.Synthetic);
        Assert.Equal("", mapped.ContentHash);
        Assert.Equal(0u, mapped.SchemaVersion);
        Assert.Null(mapped.NameResolution);

        var expected = original.Clone();
        var actual = mapped.Clone();
        var normalizer = new RecordNormalizer();
        var expectedRejection = normalizer.Normalize(expected);
        var actualRejection = normalizer.Normalize(actual);
        Assert.Equal(expectedRejection?.Code, actualRejection?.Code);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Every_clean_generated_record_of_the_source_round_trips_through_its_feed()
    {
        var mine = Generated(dirtRate: 0).Where(g => g.Record.Source == MarketSupervisionSource.Name).ToList();

        Assert.True(mine.Count > 300, $"only {mine.Count} market-supervision records were generated");
        Assert.Contains(mine, g => g.Record.BodyCase == CanonicalRecord.BodyOneofCase.Registration);
        Assert.Contains(mine, g => g.Record.BodyCase == CanonicalRecord.BodyOneofCase.StatusChange && g.Record.StatusChange.NewName.Length > 0);
        Assert.Contains(mine, g => g.Record.BodyCase == CanonicalRecord.BodyOneofCase.StatusChange && g.Record.StatusChange.NewStatus != RegistrationStatus.Unspecified);
        Assert.Contains(mine, g => g.Record.BodyCase == CanonicalRecord.BodyOneofCase.Penalty);
        Assert.Contains(mine, g => g.Record.BodyCase == CanonicalRecord.BodyOneofCase.Inspection);
        Assert.All(mine, g => AssertRoundTrips(g.Record));
    }

    [Fact]
    public void Generated_records_with_dirty_or_missing_USCCs_round_trip_too()
    {
        var mine = Generated(dirtRate: 0.3).Where(g => g.Record.Source == MarketSupervisionSource.Name).ToList();

        foreach (var dirt in new[] { "full-width USCC", "lower-case USCC", "spaces and hyphens in USCC", "USCC missing, name only", "wrong check character", "out-of-order update (newer version first)" })
            Assert.Contains(mine, g => g.Line.Dirt == dirt);
        Assert.All(mine, g => AssertRoundTrips(g.Record));
    }

    [Fact]
    public void Each_record_is_carried_by_exactly_one_feed_and_other_sources_by_none()
    {
        foreach (var (_, record) in Generated(dirtRate: 0.3))
        {
            var carriers = Feeds.Source.Feeds.Count(f => f.Writer.Carries(record));
            Assert.True(carriers == (record.Source == MarketSupervisionSource.Name ? 1 : 0), $"{record.Source} {record.SourceId} is carried by {carriers} feeds");
        }
    }

    [Fact]
    public void The_simulator_serves_both_field_sets_and_marks_synthetic_rows()
    {
        var rows = Generated(dirtRate: 0)
            .Where(g => g.Record.BodyCase == CanonicalRecord.BodyOneofCase.Registration)
            .Select(g => FeedOf(g.Record).Writer.Write(g.Record)).ToList();

        Assert.Contains(rows, r => r.ContainsKey("uniscId"));
        Assert.Contains(rows, r => r.ContainsKey("uniscid"));
        Assert.All(rows, r => Assert.True(r["synthetic"]!.GetValue<bool>()));
    }

    /// <summary>The generator puts list entries under the credit platform, so the list feeds are checked with records made here.</summary>
    internal static IEnumerable<CanonicalRecord> ListEntries()
    {
        string[] usccs = ["91340000711771143J", "９１３４００００７１１７７１１４３Ｊ", "91340000711771143j", " 913400 00711771-143J ", ""];
        for (int i = 0; i < 40; i++)
        {
            var type = i % 2 == 0 ? ListType.AbnormalOperation : ListType.SeriousViolation;
            var listed = new DateOnly(2023, 1, 1).AddDays(i * 17);
            var at = Feeds.China(listed.Year, listed.Month, listed.Day, 9, i);
            var (code, reason) = type == ListType.AbnormalOperation
                ? (new[] { "1", "2", "3", "4" }[i / 2 % 4], CodeTablesReasons[i / 2 % 4])
                : (i % 3 == 0 ? "S0" + i : "", "因提交虚假材料取得登记被撤销，列入严重违法失信名单");
            var entry = new ListEntry { ListType = type, Reason = reason, ReasonCode = code, ListedOn = ChinaDates.Format(listed), Authority = "宿迁市市场监督管理局" };
            bool removed = i % 4 < 2;
            var record = new CanonicalRecord
            {
                Source = MarketSupervisionSource.Name,
                SourceId = (type == ListType.AbnormalOperation ? "ABN-" : "SVL-") + $"L{i:D4}",
                Uscc = usccs[i % usccs.Length],
                EnterpriseName = i % usccs.Length == 4 ? " 宿迁恒达食品(宿迁)有限公司 " : "宿迁恒达食品有限公司",
                OccurredAt = Timestamp.FromDateTimeOffset(at),
                UpdatedAt = Timestamp.FromDateTimeOffset(at),
                Synthetic = i % 5 != 0,
                ListEntry = entry,
            };
            yield return record;
            if (!removed) continue;
            var removal = record.Clone();
            removal.UpdatedAt = Timestamp.FromDateTimeOffset(at.AddDays(90).AddHours(3));
            removal.ListEntry.RemovedOn = ChinaDates.Format(listed.AddDays(90));
            removal.ListEntry.RemovalReason = "已补报年度报告并公示";
            yield return removal;
        }
    }

    private static readonly string[] CodeTablesReasons =
    [
        "未按照《企业信息公示暂行条例》第八条规定的期限公示年度报告",
        "未在责令的期限内公示有关企业信息",
        "公示企业信息隐瞒真实情况、弄虚作假",
        "通过登记的住所或者经营场所无法联系",
    ];

    [Fact]
    public void List_entries_and_their_removals_round_trip_through_the_list_feeds()
    {
        var entries = ListEntries().ToList();
        Assert.All(entries, AssertRoundTrips);
        Assert.Equal(entries.Count(e => e.ListEntry.ListType == ListType.AbnormalOperation), entries.Count(e => FeedOf(e).Name == "abnormal-operations"));
    }

    [Fact]
    public void A_list_entry_of_another_source_or_list_is_not_carried()
    {
        var entry = ListEntries().First();
        var credit = entry.Clone();
        credit.Source = "credit-platform";
        var red = entry.Clone();
        red.ListEntry.ListType = ListType.Red;
        Assert.DoesNotContain(Feeds.Source.Feeds, f => f.Writer.Carries(credit) || f.Writer.Carries(red));
    }

    [Fact]
    public void Fines_with_more_decimals_than_yuan_can_hold_still_round_trip()
    {
        foreach (var fine in new[] { 0.2, 0.05, 12.3456, 0.123456789, 1e-9, 123456789.5, 3.3333333333333335 })
        {
            for (int i = 0; i < 8; i++)
            {
                var record = new CanonicalRecord
                {
                    Source = MarketSupervisionSource.Name,
                    SourceId = $"PEN-罚〔2025〕{i}号",
                    Uscc = "91340000711771143J",
                    OccurredAt = Timestamp.FromDateTimeOffset(Feeds.China(2025, 3, 1, 10, 0)),
                    UpdatedAt = Timestamp.FromDateTimeOffset(Feeds.China(2025, 3, 1, 10, 0)),
                    Penalty = new Penalty { DecisionDocNo = $"罚〔2025〕{i}号", FineWan = fine, ConfiscatedWan = fine * 3, DecidedOn = "2025-03-01" },
                };
                AssertRoundTrips(record);
            }
        }
    }
}
