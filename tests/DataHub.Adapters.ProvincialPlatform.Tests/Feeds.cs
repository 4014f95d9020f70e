using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Adapters.ProvincialPlatform.Tests;

/// <summary>The source's feeds and a way to map one row of them, as the runner would.</summary>
internal static class Feeds
{
    public static readonly ProvincialPlatformSource Source = new();

    public static SourceFeed Cases => Named("cases");

    public static SourceFeed Commitments => Named("commitments");

    public static SourceFeed Named(string name) => Source.Feeds.Single(f => f.Name == name);

    public static MappingResult Map(SourceFeed feed, string json) => Map(feed, System.Text.Encoding.UTF8.GetBytes(json));

    public static MappingResult Map(SourceFeed feed, byte[] payload) => feed.Mapper.Map(new RawRecord
    {
        Source = ProvincialPlatformSource.Name,
        Format = feed.Mapper.Format,
        Origin = $"{feed.Path}?page=1#0",
        Payload = ByteString.CopyFrom(payload),
    });

    /// <summary>The single record of a row that must map.</summary>
    public static CanonicalRecord MapOne(SourceFeed feed, string json)
    {
        var result = Map(feed, json);
        Assert.True(result.Rejection is null, $"expected the row to map, but it was rejected: {result.Rejection}");
        return Assert.Single(result.Records);
    }

    public static Timestamp China(string local) =>
        Timestamp.FromDateTimeOffset(new DateTimeOffset(DateTime.Parse(local, System.Globalization.CultureInfo.InvariantCulture), ChinaDates.Offset));
}
