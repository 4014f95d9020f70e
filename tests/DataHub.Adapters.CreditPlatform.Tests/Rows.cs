using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Adapters.CreditPlatform.Tests;

/// <summary>Mapping rows as the runner would: one JSON object as the payload of a raw record.</summary>
internal static class Rows
{
    public static readonly CreditPlatformSource Source = new();

    public static SourceFeed Feed(string name) => Source.Feeds.Single(f => f.Name == name);

    public static MappingResult Map(IRecordMapper mapper, string json) => mapper.Map(new RawRecord
    {
        Source = CreditPlatformSource.Name,
        Format = mapper.Format,
        Origin = "test-page-1#0",
        Payload = ByteString.CopyFromUtf8(json),
    });

    public static MappingResult Map(IRecordMapper mapper, JsonObject row) => Map(mapper, row.ToJsonString());

    public static CanonicalRecord MapOne(IRecordMapper mapper, string json)
    {
        var result = Map(mapper, json);
        Assert.True(result.Rejection is null, $"expected the row to map, got {result.Rejection}");
        return Assert.Single(result.Records);
    }

    public static string Rejection(IRecordMapper mapper, string json)
    {
        var result = Map(mapper, json);
        Assert.True(result.Rejection is not null, $"expected a rejection, got {result.Records.Count} record(s): {string.Join("; ", result.Records)}");
        Assert.Empty(result.Records);
        Assert.StartsWith("test-page-1#0", result.Rejection.Message);
        return result.Rejection.Code;
    }

    /// <summary>An instant written as China time, e.g. "2025-03-04 10:15:00".</summary>
    public static Timestamp China(string text)
    {
        Assert.True(ChinaDates.TryParseInstant(text, out var at), text);
        return Timestamp.FromDateTimeOffset(at);
    }

    /// <summary>Double quotes for JSON written with single quotes, to keep samples readable.</summary>
    public static string J(string singleQuoted) => singleQuoted.Replace('\'', '"');
}
