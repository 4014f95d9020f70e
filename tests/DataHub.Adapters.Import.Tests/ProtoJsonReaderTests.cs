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
    public void Members_in_any_order_and_enum_numbers_the_schema_does_not_name_read_as_Google_Protobuf_reads_them()
    {
        // The reader looks for members in declaration order first; one out of order is found by name.
        foreach (var json in new[]
        {
            "{\"updated_at\":\"2026-01-02T03:04:05Z\",\"uscc\":\"A\",\"licence\":{\"valid_until\":\"2027-01-01\",\"status\":\"LICENCE_STATUS_VALID\"},\"source_id\":\"x\",\"source\":\"s\"}",
            "{\"source\":\"s\",\"uscc\":\"A\",\"sourceId\":\"x\",\"licence\":{\"status\":7}}",
            "{\"licence\":{\"status\":\"LICENCE_STATUS_REVOKED\",\"licenceNo\":\"L-1\"},\"source\":\"s\"}",
        })
            Assert.Equal(Reference.Parse<CanonicalRecord>(json), Read(json));
        Assert.Equal(7, (int)Read("{\"licence\":{\"status\":7}}").Licence.Status);
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

    [Theory]
    [InlineData("2024-02-29T23:59:59Z")]
    [InlineData("2026-03-01T09:30:00+08:00")]
    [InlineData("2026-03-01T09:30:00.5-05:30")]
    [InlineData("0001-01-01T00:00:00Z")]
    [InlineData("0001-01-01T08:00:00+08:00")]
    [InlineData("9999-12-31T23:59:59.999999999Z")]
    [InlineData("2026-12-31T23:00:00-14:00")]
    [InlineData("2026-01-02T03:04:05.000000001+00:00")]
    public void Valid_timestamps_read_as_Google_Protobuf_reads_them(string text)
    {
        var json = $"{{\"occurred_at\":\"{text}\"}}";
        Assert.Equal(Reference.Parse<CanonicalRecord>(json).OccurredAt, Read(json).OccurredAt);
    }

    [Theory]
    [InlineData("2026-02-29T00:00:00Z")]
    [InlineData("2026-04-31T00:00:00Z")]
    [InlineData("2026-13-01T00:00:00Z")]
    [InlineData("2026-00-01T00:00:00Z")]
    [InlineData("0000-01-01T00:00:00Z")]
    [InlineData("0001-01-01T00:00:00+01:00")]
    [InlineData("9999-12-31T23:00:00-01:00")]
    [InlineData("2026-01-02T24:00:00Z")]
    [InlineData("2026-01-02T03:60:00Z")]
    [InlineData("2026-01-02T03:04:60Z")]
    [InlineData("2026-01-02T03:04:05.Z")]
    [InlineData("2026-01-02T03:04:05.1234567890Z")]
    [InlineData("2026-01-02T03:04:05+08")]
    [InlineData("2026-01-02T03:04:05+0800")]
    [InlineData("2026-01-02T03:04:05+08:60")]
    [InlineData("2026-01-02 03:04:05Z")]
    [InlineData("2026-1-02T03:04:05Z")]
    [InlineData("２０２６-01-02T03:04:05Z")]
    [InlineData("2026-01-02T03:04:05ZZ")]
    public void Invalid_timestamps_are_rejected_as_Google_Protobuf_rejects_them(string text)
    {
        var json = $"{{\"occurred_at\":\"{text}\"}}";
        Assert.ThrowsAny<Exception>(() => Reference.Parse<CanonicalRecord>(json));
        var e = Assert.Throws<FormatException>(() => Read(json));
        Assert.Contains("RFC 3339", e.Message);
    }

    [Fact]
    public void Offsets_beyond_fourteen_hours_are_rejected_as_no_time_zone_has_one()
    {
        // Google.Protobuf accepts some of these (+15:00); the hub holds to the range real offsets take.
        Assert.Throws<FormatException>(() => Read("{\"occurred_at\":\"2026-01-02T03:04:05+15:00\"}"));
        Assert.Throws<FormatException>(() => Read("{\"occurred_at\":\"2026-01-02T03:04:05-14:01\"}"));
        Assert.NotNull(Read("{\"occurred_at\":\"2026-01-02T03:04:05-14:00\"}").OccurredAt);
    }

    [Fact]
    public void Escaped_and_long_member_names_and_values_are_read()
    {
        var longName = new string('x', 100);
        var r = Read("{\"source\\u005fid\":\"a\",\"occurred_at\":\"2026-01-02T03:04:05\\u002B08:00\",\"licence\":{\"status\":\"LICENCE_STATUS_\\u0056ALID\"}}");
        Assert.Equal("a", r.SourceId);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 19, 4, 5, TimeSpan.Zero), r.OccurredAt.ToDateTimeOffset());
        Assert.Equal(LicenceStatus.Valid, r.Licence.Status);
        var e = Assert.Throws<FormatException>(() => Read($"{{\"{longName}\":1}}"));
        Assert.Contains(longName, e.Message);
        e = Assert.Throws<FormatException>(() => Read($"{{\"licence\":{{\"status\":\"{longName}\"}}}}"));
        Assert.Contains(longName, e.Message);
    }

    [Fact]
    public void A_value_that_repeats_is_read_into_one_shared_string_and_every_value_reads_as_written()
    {
        // Past the trial, the repeating agency is one string (a slot taken over by another test's value now
        // and then makes another: a few, never one per record); the unique order numbers and summaries,
        // one with an escape, each read as written.
        const int count = 3 * 2048;
        var records = Enumerable.Range(0, count)
            .Select(i => Read($$$"""{"source":"hotline-12345","source_id":"WO-{{{i}}}","complaint":{"handling_agency":"宿迁市宿城区市场监督管理局","summary":"第{{{i}}}件\u0021"}}"""))
            .ToList();
        var later = records.Skip(2 * 2048).ToList();
        Assert.InRange(later.Select(r => r.Complaint.HandlingAgency).Distinct(ReferenceEqualityComparer.Instance).Count(), 1, 8);
        Assert.InRange(later.Select(r => r.Source).Distinct(ReferenceEqualityComparer.Instance).Count(), 1, 8);
        Assert.All(records, r => Assert.Equal("宿迁市宿城区市场监督管理局", r.Complaint.HandlingAgency));
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"WO-{i}"), records.Select(r => r.SourceId));
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"第{i}件!"), records.Select(r => r.Complaint.Summary));
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
