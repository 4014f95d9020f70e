using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Adapters.MarketSupervision.Tests;

public class RegistrationMapperTests
{
    private const string V2Row = """
        {
          "uniscId": "91340000711771143J", "regNo": "340000000002071", "entName": "宿迁恒达食品有限公司",
          "formerNames": ["宿迁恒达食品厂"], "legelRep": "王伟", "lerepCerNo": "321302198501011234",
          "entType": "1151", "entTypeCn": "有限责任公司（自然人独资）", "regStateCn": "存续（在营、开业、在册）",
          "estDate": "2015-03-20", "regCap": "500万人民币", "regCapCurCn": "人民币",
          "dom": "江苏省宿迁市宿城区人民路1号", "opScope": "食品生产；食品销售", "industryPhy": "C", "industryCo": "1499",
          "regOrgCn": "宿迁市宿城区市场监督管理局", "domDistrict": "321302",
          "eventTime": "2015-03-20 09:30:00", "updateTime": "2025-06-01 10:20:30", "synthetic": true
        }
        """;

    [Fact]
    public void A_registration_row_with_v2_field_names_maps_to_a_registration()
    {
        var record = Feeds.MapOne("registrations", V2Row);

        Assert.Equal("market-supervision", record.Source);
        Assert.Equal("REG-91340000711771143J", record.SourceId);
        Assert.Equal("91340000711771143J", record.Uscc);
        Assert.Equal("宿迁恒达食品有限公司", record.EnterpriseName);
        Assert.Equal(Timestamp.FromDateTimeOffset(Feeds.China(2015, 3, 20, 9, 30)), record.OccurredAt);
        Assert.Equal(Timestamp.FromDateTimeOffset(Feeds.China(2025, 6, 1, 10, 20, 30)), record.UpdatedAt);
        Assert.True(record.Synthetic);
        var reg = record.Registration;
        Assert.Equal("宿迁恒达食品有限公司", reg.Name);
        Assert.Equal(["宿迁恒达食品厂"], reg.FormerNames);
        Assert.Equal("王伟", reg.LegalRepresentative);
        Assert.Equal("有限责任公司（自然人独资）", reg.EntityType);
        Assert.Equal(RegistrationStatus.Active, reg.Status);
        Assert.Equal("存续（在营、开业、在册）", reg.StatusRaw);
        Assert.Equal("2015-03-20", reg.EstablishedOn);
        Assert.Equal(500, reg.RegisteredCapitalWan);
        Assert.Equal("人民币", reg.CapitalCurrency);
        Assert.Equal("江苏省宿迁市宿城区人民路1号", reg.Address);
        Assert.Equal("食品生产；食品销售", reg.BusinessScope);
        Assert.Equal("C", reg.IndustrySection);
        Assert.Equal("1499", reg.IndustryCode);
        Assert.Equal("宿迁市宿城区市场监督管理局", reg.RegistrationAuthority);
        Assert.Equal("321302", reg.DistrictCode);
        Assert.Equal("340000000002071", reg.RegNo);
        Assert.Null(new RecordNormalizer().Normalize(record));
    }

    [Fact]
    public void A_registration_row_with_v1_field_names_and_codes_maps_to_the_same_facts()
    {
        var record = Feeds.MapOne("registrations", """
            {
              "uniscid": "91340000711771143J", "entname": "宿迁恒达食品有限公司", "oldentname": "宿迁恒达食品厂；宿迁恒达商行",
              "lerep": "王伟", "cerno": "321302198501011234", "enttype": "1151", "regstate": "2",
              "estdate": 1426780800000, "regcap": 500, "regcapcur": "156", "dom": "江苏省宿迁市宿城区人民路1号",
              "opscope": "食品生产", "industryphy": "C", "industryco": "1499", "regorg": "321302000",
              "regorgCn": "宿迁市宿城区市场监督管理局", "domdistrict": "321302000000", "s_ext_timestamp": "2025-06-01 10:20:30"
            }
            """);

        Assert.Equal("REG-91340000711771143J", record.SourceId);
        Assert.Equal(Timestamp.FromDateTimeOffset(Feeds.China(2015, 3, 20)), record.OccurredAt);
        Assert.False(record.Synthetic);
        var reg = record.Registration;
        Assert.Equal(["宿迁恒达食品厂", "宿迁恒达商行"], reg.FormerNames);
        Assert.Equal("有限责任公司（自然人独资）", reg.EntityType);
        Assert.Equal(RegistrationStatus.Revoked, reg.Status);
        Assert.Equal("", reg.StatusRaw);
        Assert.Equal("2015-03-20", reg.EstablishedOn);
        Assert.Equal(500, reg.RegisteredCapitalWan);
        Assert.Equal("人民币", reg.CapitalCurrency);
        Assert.Equal("321302", reg.DistrictCode);
        Assert.Equal("321302********1234", reg.LegalRepresentativeIdMasked);
    }

    [Fact]
    public void The_legal_representative_name_is_also_read_from_the_name_field()
    {
        var record = Feeds.MapOne("registrations", """{"uniscid":"91340000711771143J","entname":"某公司","name":"李娜","estdate":"2015-03-20"}""");
        Assert.Equal("李娜", record.Registration.LegalRepresentative);
    }

    [Theory]
    [InlineData("\"500\"", 500)]
    [InlineData("500", 500)]
    [InlineData("\"1,250.5\"", 1250.5)]
    [InlineData("\"500万元\"", 500)]
    [InlineData("\"500万美元\"", 500)]
    [InlineData("\"5000000元\"", 500)]
    [InlineData("\"12345元人民币\"", 1.2345)]
    public void Registered_capital_is_in_wan_yuan_unless_the_text_says_yuan(string regCap, double wan)
    {
        var record = Feeds.MapOne("registrations", $$"""{"uniscId":"91340000711771143J","entName":"某公司","estDate":"2015-03-20","regCap":{{regCap}}}""");
        Assert.Equal(wan, record.Registration.RegisteredCapitalWan);
    }

    [Theory]
    [InlineData("\"2015-03-20\"")]
    [InlineData("\"2015/03/20\"")]
    [InlineData("\"20150320\"")]
    [InlineData("\"2015年3月20日\"")]
    [InlineData("\"2015-3-20\"")]
    [InlineData("1426780800000")]
    [InlineData("\"2015-03-20 00:00:00\"")]
    public void The_establishment_date_is_read_in_every_form_the_platform_sends(string estDate)
    {
        var record = Feeds.MapOne("registrations", $$"""{"uniscId":"91340000711771143J","entName":"某公司","estDate":{{estDate}}}""");
        Assert.Equal("2015-03-20", record.Registration.EstablishedOn);
        Assert.Equal(Timestamp.FromDateTimeOffset(Feeds.China(2015, 3, 20)), record.OccurredAt);
    }

    [Theory]
    [InlineData("吊销，已注销", RegistrationStatus.RevokedDeregistered)]
    [InlineData("吊销,未注销", RegistrationStatus.Revoked)]
    [InlineData("在业", RegistrationStatus.Active)]
    [InlineData("注销企业", RegistrationStatus.Deregistered)]
    [InlineData("迁移异地", RegistrationStatus.MovedOut)]
    [InlineData("歇业备案", RegistrationStatus.Unspecified)]
    public void Status_display_text_is_parsed_and_kept_as_shown(string text, RegistrationStatus status)
    {
        var record = Feeds.MapOne("registrations", $$"""{"uniscId":"91340000711771143J","entName":"某公司","estDate":"2015-03-20","regStateCn":"{{text}}"}""");
        Assert.Equal(status, record.Registration.Status);
        Assert.Equal(text, record.Registration.StatusRaw);
    }

    [Fact]
    public void Display_text_in_the_status_code_field_is_read_as_text()
    {
        var record = Feeds.MapOne("registrations", """{"uniscid":"91340000711771143J","entname":"某公司","estdate":"2015-03-20","regstate":"注销"}""");
        Assert.Equal(RegistrationStatus.Deregistered, record.Registration.Status);
        Assert.Equal("注销", record.Registration.StatusRaw);
    }

    [Fact]
    public void An_entity_type_code_outside_the_known_table_is_kept_as_given()
    {
        var record = Feeds.MapOne("registrations", """{"uniscid":"91340000711771143J","entname":"某公司","estdate":"2015-03-20","enttype":"4540"}""");
        Assert.Equal("4540", record.Registration.EntityType);
    }

    [Fact]
    public void A_dirty_USCC_is_passed_through_raw_while_the_source_id_uses_it_cleaned()
    {
        var record = Feeds.MapOne("registrations", """{"uniscid":" ９１３４００００７１１７７１１４３ｊ ","entname":" 某公司 ","estdate":"2015-03-20"}""");
        Assert.Equal(" ９１３４００００７１１７７１１４３ｊ ", record.Uscc);
        Assert.Equal(" 某公司 ", record.EnterpriseName);
        Assert.Equal("某公司", record.Registration.Name);
        Assert.Equal("REG-91340000711771143J", record.SourceId);
        Assert.Null(new RecordNormalizer().Normalize(record));
        Assert.Equal("91340000711771143J", record.Uscc);
    }

    [Fact]
    public void Only_the_masked_legal_representative_ID_number_is_kept()
    {
        const string id = "32130219850101123X";
        var record = Feeds.MapOne("registrations", V2Row.Replace("321302198501011234", id));

        Assert.Equal("321302********123X", record.Registration.LegalRepresentativeIdMasked);
        Assert.DoesNotContain(id, JsonFormatter.Default.Format(record));
        Assert.DoesNotContain(id, record.ToByteString().ToStringUtf8());
    }

    [Theory]
    [InlineData("\"estDate\": \"2015-03-20\"", "\"estDate\": \"2025-13-45\"", "BAD_DATE")]
    [InlineData("\"eventTime\": \"2015-03-20 09:30:00\"", "\"eventTime\": \"2015-03-20 25:61:00\"", "BAD_DATE")]
    [InlineData("\"uniscId\": \"91340000711771143J\"", "\"uniscId\": \"  \"", "MISSING_FIELD")]
    [InlineData("\"entName\": \"宿迁恒达食品有限公司\"", "\"entName\": \"\"", "MISSING_FIELD")]
    [InlineData("\"regStateCn\": \"存续（在营、开业、在册）\"", "\"regState\": \"99\"", "UNKNOWN_CODE")]
    [InlineData("\"regCapCurCn\": \"人民币\"", "\"regCapCur\": \"999\"", "UNKNOWN_CODE")]
    [InlineData("\"regCap\": \"500万人民币\"", "\"regCap\": \"五百万元\"", "BAD_NUMBER")]
    [InlineData("\"regCap\": \"500万人民币\"", "\"regCap\": \"500英镑\"", "BAD_NUMBER")]
    [InlineData("\"entName\": \"宿迁恒达食品有限公司\"", "\"entName\": {\"zh\": \"宿迁恒达食品有限公司\"}", "BAD_FIELD")]
    [InlineData("\"synthetic\": true", "\"synthetic\": \"maybe\"", "BAD_FIELD")]
    public void A_dirty_registration_row_is_rejected_with_a_stable_code(string field, string dirty, string code)
    {
        Assert.Contains(field, V2Row);
        Assert.Equal(code, Feeds.RejectionCode("registrations", V2Row.Replace(field, dirty)));
    }

    [Fact]
    public void A_registration_row_without_any_date_is_rejected()
    {
        var row = V2Row.Replace("\"estDate\": \"2015-03-20\",", "").Replace("\"eventTime\": \"2015-03-20 09:30:00\",", "");
        Assert.Equal("MISSING_FIELD", Feeds.RejectionCode("registrations", row));
    }
}
