using System.Text;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf;

namespace DataHub.Adapters.MarketSupervision.Tests;

/// <summary>The source under test and small helpers to map hand-written rows.</summary>
internal static class Feeds
{
    public static readonly MarketSupervisionSource Source = new();

    public static SourceFeed Get(string name) => Source.Feeds.Single(f => f.Name == name);

    public static RawRecord Raw(SourceFeed feed, byte[] payload, string origin = "test-row") => new()
    {
        Source = MarketSupervisionSource.Name,
        Format = feed.Mapper.Format,
        Payload = ByteString.CopyFrom(payload),
        Origin = origin,
    };

    public static MappingResult Map(string feed, string json) => Get(feed).Mapper.Map(Raw(Get(feed), Encoding.UTF8.GetBytes(json)));

    /// <summary>The single record a row maps to; fails with the rejection when there is one.</summary>
    public static CanonicalRecord MapOne(string feed, string json)
    {
        var result = Map(feed, json);
        Assert.True(result.Rejection is null, $"expected the row to map, got {result.Rejection}");
        return Assert.Single(result.Records);
    }

    /// <summary>The rejection code of a row that must not map.</summary>
    public static string RejectionCode(string feed, string json)
    {
        var result = Map(feed, json);
        Assert.True(result.Rejection is not null, $"expected a rejection, got {string.Join(", ", result.Records)}");
        Assert.Empty(result.Records);
        return result.Rejection!.Code;
    }

    public static DateTimeOffset China(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) => new(y, mo, d, h, mi, s, ChinaDates.Offset);
}
