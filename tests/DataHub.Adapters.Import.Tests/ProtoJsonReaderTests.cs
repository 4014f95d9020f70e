using System.Text;
using DataHub.Schema.V1;
using DataHub.Synthetic;
using Google.Protobuf;

namespace DataHub.Adapters.Import.Tests;

public class ProtoJsonReaderTests
{
    private static readonly JsonParser Reference = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    private static CanonicalRecord Read(string json) => ProtoJsonReader.Parse<CanonicalRecord>(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Agrees_with_Google_Protobuf_JsonParser_on_generated_data_including_dirt()
    {
        var lines = new SyntheticDataGenerator(new GeneratorOptions { Enterprises = 300, Seed = 31, DirtRate = 0.3 }).Generate().ToList();
        int compared = 0, bothRejected = 0;
        foreach (var line in lines)
        {
            CanonicalRecord? expected = null, actual = null;
            try { expected = Reference.Parse<CanonicalRecord>(line.Json); } catch (Exception e) when (e is InvalidJsonException or InvalidProtocolBufferException or FormatException) { }
            try { actual = Read(line.Json); } catch (Exception e) when (e is System.Text.Json.JsonException or FormatException) { }
            Assert.True((expected is null) == (actual is null), $"the readers disagree on whether this line parses: {line.Json}");
            if (expected is null) { bothRejected++; continue; }
            Assert.Equal(expected, actual);
            compared++;
        }
        Assert.True(compared > 2000);
        Assert.True(bothRejected > 0);
    }

    [Fact]
    public void Timestamps_keep_nine_fraction_digits_and_need_an_offset_like_protobuf()
    {
        const string json = "{\"occurred_at\":\"2026-01-02T03:04:05.123456789+08:00\"}";
        var expected = Reference.Parse<CanonicalRecord>(json).OccurredAt;
        Assert.Equal(expected, Read(json).OccurredAt);
        Assert.Equal(123456789, expected.Nanos);
        foreach (var bad in new[] { "2026-01-02T03:04:05", "2026-01-02t03:04:05z" })
        {
            var line = $"{{\"occurred_at\":\"{bad}\"}}";
            Assert.ThrowsAny<Exception>(() => Reference.Parse<CanonicalRecord>(line));
            Assert.Throws<FormatException>(() => Read(line));
        }
    }

    [Fact]
    public void Camel_case_names_enum_numbers_string_numbers_and_nulls_are_read()
    {
        var r = Read("{\"sourceId\":\"x\",\"schemaVersion\":\"1\",\"enterpriseName\":null,\"approvalCase\":{\"stage\":3,\"acceptedAt\":\"2026-01-02T03:04:05.123+08:00\"},\"uscc\":\"A\"}");
        Assert.Equal("x", r.SourceId);
        Assert.Equal(1u, r.SchemaVersion);
        Assert.Equal(CaseStage.Completed, r.ApprovalCase.Stage);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 19, 4, 5, 123, TimeSpan.Zero), r.ApprovalCase.AcceptedAt.ToDateTimeOffset());
    }

    [Theory]
    [InlineData("{\"licence\":{},\"penalty\":{}}", "takes one")]
    [InlineData("{\"synthetic\":\"yes\"}", "true or false")]
    [InlineData("{\"occurred_at\":\"yesterday\"}", "RFC 3339")]
    [InlineData("{\"occurred_at\":\"2026-01-02T03:04:05\"}", "RFC 3339")]
    [InlineData("{\"licence\":{\"status\":\"VALIDISH\"}}", "not a value")]
    [InlineData("{\"schema_version\":-1}", "number")]
    [InlineData("{\"uscc\":1}", "a string")]
    [InlineData("{\"nope\":1}", "unknown field \"nope\"")]
    [InlineData("{\"uscc\":\"a\"} {}", "after")]
    public void Wrong_input_is_an_error_that_says_what_is_wrong(string json, string message)
    {
        var e = Assert.ThrowsAny<Exception>(() => Read(json));
        Assert.True(e is FormatException or System.Text.Json.JsonException);
        Assert.Contains(message, e.Message);
    }
}
