using System.Text;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using DataHub.Synthetic;
using Google.Protobuf;

namespace DataHub.Adapters.Tests;

public sealed class CorruptRowsTests
{
    /// <summary>
    /// The simulators count a corrupted row as one the hub quarantines: for every feed, whatever the
    /// corruption, the row must fail mapping or normalization — never be stored or parked for a name.
    /// </summary>
    [Fact]
    public void Every_corrupted_row_of_every_feed_is_rejected_by_the_mapper_or_the_normalizer()
    {
        var parser = new JsonParser(JsonParser.Settings.Default);
        var lines = new SyntheticDataGenerator(new GeneratorOptions { Enterprises = 150, Seed = 41, DirtRate = 0.2 }).Generate();
        var random = new Random(41);
        var accepted = new List<string>();
        foreach (var line in lines)
        {
            CanonicalRecord record;
            try { record = parser.Parse<CanonicalRecord>(line.Json); } catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException) { continue; }
            var feed = AdapterFixture.Systems.SelectMany(s => s.Feeds).FirstOrDefault(f => f.Writer.Carries(record));
            if (feed is null) continue;
            for (int i = 0; i < 6; i++)
            {
                var row = feed.Writer.Corrupt(feed.Writer.Write(record), random).ToJsonString();
                var mapped = feed.Mapper.Map(new RawRecord { Payload = ByteString.CopyFrom(Encoding.UTF8.GetBytes(row)), Origin = "t" });
                if (mapped.Rejection is not null || mapped.Records.Count == 0) continue;
                if (mapped.Records.Any(r => new RecordNormalizer().Normalize(r) is not null)) continue;
                accepted.Add($"{feed.Mapper.Format}: {row}");
            }
        }
        Assert.True(accepted.Count == 0, $"{accepted.Count} corrupted rows were accepted, e.g.:\n" + string.Join("\n", accepted.Take(3)));
    }
}
