using DataHub.Schema.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Adapters.ELicence.Tests;

public class LicenceMapperTests
{
    private readonly LicenceMapper _mapper = new();

    internal static RawRecord Raw(string json) => new()
    {
        Source = ELicenceSource.Name,
        Format = LicenceMapper.FormatName,
        Origin = "/dzzz/api/v2/certificates/sync#3",
        Payload = ByteString.CopyFromUtf8(json),
    };

    private CanonicalRecord MapOne(string json)
    {
        var result = _mapper.Map(Raw(json));
        Assert.True(result.Rejection is null, $"expected the row to map, got {result.Rejection}");
        return Assert.Single(result.Records);
    }

    private const string V2Row = """
        {
          "certificate_identifier": "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F",
          "certificate_type": "食品经营许可证",
          "certificate_type_code": "JY",
          "certificate_name": "食品经营许可证",
          "certificate_number": "JY32130200000042",
          "certificate_holder": "宿迁恒达餐饮管理有限公司",
          "certificate_holder_code": "91321302MA1XYZ0000",
          "certificate_holder_type": "001",
          "issue_dept": "宿迁市宿城区行政审批局",
          "issue_date": "2024-03-05",
          "issue_time": "2024-03-05 10:17:00",
          "valid_from": "2024-03-05",
          "valid_to": "2029-03-04",
          "long_term": false,
          "certificate_status": "01",
          "certificate_status_name": "有效",
          "business_information": {"许可范围": "餐饮服务；餐饮管理"},
          "update_time": "2024-06-01 08:00:00",
          "synthetic": true
        }
        """;

    [Fact]
    public void A_licence_row_with_v2_field_names_maps_to_a_licence()
    {
        var record = MapOne(V2Row);

        Assert.Equal("e-licence", record.Source);
        Assert.Equal("LIC-JY32130200000042", record.SourceId);
        Assert.Equal("91321302MA1XYZ0000", record.Uscc);
        Assert.Equal("宿迁恒达餐饮管理有限公司", record.EnterpriseName);
        Assert.Equal(Timestamp.FromDateTimeOffset(new DateTimeOffset(2024, 3, 5, 10, 17, 0, TimeSpan.FromHours(8))), record.OccurredAt);
        Assert.Equal(Timestamp.FromDateTimeOffset(new DateTimeOffset(2024, 6, 1, 8, 0, 0, TimeSpan.FromHours(8))), record.UpdatedAt);
        Assert.True(record.Synthetic);
        Assert.Equal(new Licence
        {
            LicenceId = "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F",
            LicenceNo = "JY32130200000042",
            LicenceType = "食品经营许可证",
            LicenceTypeCode = "JY",
            IssuingAuthority = "宿迁市宿城区行政审批局",
            IssuedOn = "2024-03-05",
            ValidFrom = "2024-03-05",
            ValidUntil = "2029-03-04",
            Status = LicenceStatus.Valid,
            Scope = "餐饮服务；餐饮管理",
        }, record.Licence);
        Assert.Equal("", record.ContentHash);
        Assert.Equal(0u, record.SchemaVersion);
        Assert.Null(record.NameResolution);
    }

    [Fact]
    public void A_licence_row_with_v1_field_names_maps_to_the_same_licence()
    {
        const string v1 = """
            {
              "zzeCertID": "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F",
              "ZZLXMC": "食品经营许可证", "ZZLXDM": "JY", "ZZBH": "JY32130200000042",
              "CZZT": "宿迁恒达餐饮管理有限公司", "CZZTDM": "91321302MA1XYZ0000", "CZZTDMLX": "统一社会信用代码",
              "ZZBFJG": "宿迁市宿城区行政审批局", "ZZBFRQ": "2024年3月5日", "ZZBFSJ": "20240305101700",
              "ZZYXQQSRQ": "2024/03/05", "ZZYXQJZRQ": "20290304", "certState": "有效",
              "businessInformation": "{\"经营项目\":\"餐饮服务；餐饮管理\"}",
              "GXSJ": "2024-06-01T00:00:00Z", "synthetic": "1"
            }
            """;
        Assert.Equal(MapOne(V2Row), MapOne(v1));
    }

    // A bare date is midnight China time (2024-03-04T16:00Z); 1709568000000 ms is that same instant.
    [Theory]
    [InlineData("\"issue_date\": \"2024-03-05\"", "2024-03-04T16:00:00Z")]
    [InlineData("\"issue_date\": \"20240305\"", "2024-03-04T16:00:00Z")]
    [InlineData("\"issue_date\": \"2024.03.05\"", "2024-03-04T16:00:00Z")]
    [InlineData("\"issue_date\": \"2024年3月5日\"", "2024-03-04T16:00:00Z")]
    [InlineData("\"issue_date\": \"1709568000000\"", "2024-03-04T16:00:00Z")]
    [InlineData("\"issue_time\": \"2024-03-05 09:00:00\"", "2024-03-05T01:00:00Z")]
    [InlineData("\"issue_date\": \"2024-03-05\", \"issue_time\": \"2024-03-05T12:30:00+08:00\"", "2024-03-05T04:30:00Z")]
    public void Issue_dates_and_times_in_the_forms_issuers_write_all_map(string issueFields, string occurredAt)
    {
        var record = MapOne($$"""{"certificate_identifier": "ID1", "certificate_number": "N1", {{issueFields}}}""");
        Assert.Equal("2024-03-05", record.Licence.IssuedOn);
        Assert.Equal(Timestamp.FromDateTimeOffset(DateTimeOffset.Parse(occurredAt, System.Globalization.CultureInfo.InvariantCulture)), record.OccurredAt);
        Assert.Null(record.UpdatedAt);
    }

    [Theory]
    [InlineData("\"valid_to\": \"长期\"")]
    [InlineData("\"valid_to\": \"长期有效\"")]
    [InlineData("\"valid_to\": \"9999-12-31\"")]
    [InlineData("\"valid_to\": \"2030-01-01\", \"long_term\": true")]
    [InlineData("\"SFCQYX\": \"是\"")]
    public void A_licence_without_an_end_of_validity_has_an_empty_valid_until(string validity)
    {
        var record = MapOne($$"""{"certificate_identifier": "ID1", "certificate_number": "N1", "issue_date": "2024-03-05", {{validity}}}""");
        Assert.Equal("", record.Licence.ValidUntil);
    }

    [Theory]
    [InlineData("01", LicenceStatus.Valid)]
    [InlineData("1", LicenceStatus.Valid)]
    [InlineData("有效", LicenceStatus.Valid)]
    [InlineData("02", LicenceStatus.Suspended)]
    [InlineData("中止", LicenceStatus.Suspended)]
    [InlineData("03", LicenceStatus.Revoked)]
    [InlineData("07", LicenceStatus.Revoked)]
    [InlineData("吊销", LicenceStatus.Revoked)]
    [InlineData("04", LicenceStatus.Cancelled)]
    [InlineData("05", LicenceStatus.Cancelled)]
    [InlineData("失效", LicenceStatus.Cancelled)]
    [InlineData("06", LicenceStatus.Cancelled)]
    [InlineData("99", LicenceStatus.Unspecified)]
    [InlineData("０１", LicenceStatus.Valid)]
    public void Status_codes_and_display_texts_map_to_the_licence_status(string status, LicenceStatus expected)
    {
        var record = MapOne($$"""{"certificate_identifier": "ID1", "certificate_number": "N1", "issue_date": "2024-03-05", "certificate_status": "{{status}}"}""");
        Assert.Equal(expected, record.Licence.Status);
    }

    [Fact]
    public void A_dirty_holder_code_and_name_pass_through_as_served()
    {
        var record = MapOne("""{"certificate_identifier": "ID1", "certificate_number": "N1", "issue_date": "2024-03-05", "certificate_holder_code": " ９１３２１３０２ma1xyz0000-0 ", "certificate_holder": " 宿迁恒达(宿城)有限 公司 "}""");
        Assert.Equal(" ９１３２１３０２ma1xyz0000-0 ", record.Uscc);
        Assert.Equal(" 宿迁恒达(宿城)有限 公司 ", record.EnterpriseName);
    }

    [Fact]
    public void A_licence_named_only_by_its_holder_has_an_empty_uscc_and_is_not_synthetic_by_default()
    {
        var record = MapOne("""{"certificate_identifier": "ID1", "certificate_number": "N1", "issue_date": "2024-03-05", "certificate_holder": "宿迁恒达有限公司"}""");
        Assert.Equal("", record.Uscc);
        Assert.False(record.Synthetic);
        Assert.Equal("", record.Licence.Scope);
        Assert.Equal(LicenceStatus.Unspecified, record.Licence.Status);
    }

    [Fact]
    public void A_malformed_licence_identifier_does_not_stop_the_row_from_mapping()
    {
        var record = MapOne("""{"certificate_identifier": "1.2.156.3005.2.SP.91321302MA1XYZ0000.007", "certificate_number": "N1", "issue_date": "2024-03-05"}""");
        Assert.Equal("1.2.156.3005.2.SP.91321302MA1XYZ0000.007", record.Licence.LicenceId);
    }

    [Fact]
    public void A_licence_held_by_a_natural_person_is_rejected_without_echoing_the_id_number()
    {
        const string idNumber = "32130219800101123X";
        var result = _mapper.Map(Raw($$"""{"certificate_identifier": "ID1", "certificate_number": "N1", "issue_date": "2024-03-05", "certificate_holder_type": "111", "certificate_holder_code": "{{idNumber}}", "certificate_holder": "张伟"}"""));
        Assert.Equal("NOT_AN_ENTERPRISE", result.Rejection?.Code);
        Assert.DoesNotContain(idNumber, result.Rejection!.Message);
        Assert.DoesNotContain("张伟", result.Rejection.Message);
        Assert.Empty(result.Records);
    }

    [Theory]
    [InlineData("""{"certificate_identifier": "ID1", "certificate_number": "N1", "issue_date": "2025-13-45"}""", "BAD_DATE", "issue_date")]
    [InlineData("""{"certificate_identifier": "ID1", "certificate_number": "N1", "issue_date": "2024-03-05", "valid_to": "2026-02-30"}""", "BAD_DATE", "valid_to")]
    [InlineData("""{"certificate_identifier": "ID1", "certificate_number": "N1", "issue_time": "下午三点"}""", "BAD_DATE", "issue_time")]
    [InlineData("""{"certificate_identifier": "ID1", "issue_date": "2024-03-05"}""", "MISSING_FIELD", "certificate_number")]
    [InlineData("""{"certificate_identifier": "ID1", "certificate_number": "  ", "issue_date": "2024-03-05"}""", "MISSING_FIELD", "certificate_number")]
    [InlineData("""{"certificate_number": "N1", "issue_date": "2024-03-05"}""", "MISSING_FIELD", "certificate_identifier")]
    [InlineData("""{"certificate_identifier": "ID1", "certificate_number": "N1"}""", "MISSING_FIELD", "issue_date")]
    [InlineData("""{"certificate_identifier": "ID1", "certificate_number": "N1", "issue_date": "2024-03-05", "certificate_status": "08"}""", "UNKNOWN_CODE", "certificate_status")]
    [InlineData("""{"certificate_identifier": "ID1", "certificate_number": "N1", "issue_date": "2024-03-05", "certState": "作废中"}""", "UNKNOWN_CODE", "certState")]
    [InlineData("""{"certificate_identifier": "ID1", "certificate_number": "N1", "issue_date": "2024-03-05", "certificate_holder_type": "002"}""", "UNKNOWN_CODE", "certificate_holder_type")]
    [InlineData("""{"certificate_identifier": "ID1", "certificate_number": ["N1"], "issue_date": "2024-03-05"}""", "BAD_FIELD", "certificate_number")]
    [InlineData("""{"certificate_identifier": "ID1", "certificate_number": "N1", "issue_date": "2024-03-05", "business_information": 42}""", "BAD_FIELD", "business_information")]
    [InlineData("""{"certificate_identifier": "ID1", "certificate_number": "N1", "issue_date": "2024-03-05", "business_information": "{许可范围"}""", "BAD_FIELD", "business_information")]
    [InlineData("""{"certificate_identifier": "ID1", "certificate_number": "N1", "issue_date": "2024-03-05", "long_term": "maybe"}""", "BAD_FIELD", "long_term")]
    [InlineData("""[{"certificate_number": "N1"}]""", "NOT_AN_OBJECT", "")]
    [InlineData("\"N1\"", "NOT_AN_OBJECT", "")]
    [InlineData("""{"certificate_number": "N1", """, "MALFORMED_JSON", "")]
    public void Dirty_rows_are_rejected_with_a_code_naming_the_field(string json, string code, string field)
    {
        var result = _mapper.Map(Raw(json));
        Assert.True(result.Rejection is not null, $"expected {code}, but the row mapped");
        Assert.Equal(code, result.Rejection.Code);
        Assert.Contains(field, result.Rejection.Message);
        Assert.StartsWith("/dzzz/api/v2/certificates/sync#3", result.Rejection.Message);
        Assert.Empty(result.Records);
    }

    [Fact]
    public void Bytes_that_are_not_UTF8_are_rejected()
    {
        var raw = Raw("");
        raw.Payload = ByteString.CopyFrom(0x7B, 0xFF, 0x7D);
        Assert.Equal("NOT_UTF8", _mapper.Map(raw).Rejection?.Code);
    }

    [Fact]
    public void The_source_serves_one_licences_feed_with_token_paging()
    {
        var source = new ELicenceSource();
        Assert.Equal("e-licence", source.Source);
        Assert.Equal("电子证照库", source.DisplayName);
        var feed = Assert.Single(source.Feeds);
        Assert.Equal("licences", feed.Name);
        Assert.Equal("e-licence/licences-v1", feed.Mapper.Format);
        var paging = Assert.IsType<TokenPaging>(feed.Paging);
        Assert.Equal("data.records", paging.RowsPath);
        Assert.Equal("data.scrollId", paging.NextTokenPath);
    }
}
