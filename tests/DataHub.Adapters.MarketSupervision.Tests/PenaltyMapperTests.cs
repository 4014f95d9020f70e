using Google.Protobuf.WellKnownTypes;

namespace DataHub.Adapters.MarketSupervision.Tests;

public class PenaltyMapperTests
{
    private const string CfRow = """
        {
          "CF_WSH": "宿迁市监罚〔2025〕12号", "CF_XDR_MC": "宿迁恒达食品有限公司", "CF_XDR_LB": "法人及非法人组织",
          "CF_XDR_SHXYM": "91340000711771143J", "CF_CFLB": "警告;罚款", "CF_SY": "经营超过保质期的食品",
          "CF_YJ": "《中华人民共和国食品安全法》第一百二十四条", "CF_NR": "警告，并处罚款2000元", "CF_NR_FK": 0.2,
          "CF_CFJG": "宿迁市市场监督管理局", "CF_JDRQ": "2025-03-01", "CF_GSJZQ": "2026/03/01",
          "s_ext_timestamp": "2025-03-02 09:00:00", "synthetic": false
        }
        """;

    [Fact]
    public void A_penalty_row_with_CF_field_names_maps_amounts_in_wan_yuan()
    {
        var record = Feeds.MapOne("penalties", CfRow);

        Assert.Equal("PEN-宿迁市监罚〔2025〕12号", record.SourceId);
        Assert.Equal("91340000711771143J", record.Uscc);
        Assert.Equal("宿迁恒达食品有限公司", record.EnterpriseName);
        Assert.Equal(Timestamp.FromDateTimeOffset(Feeds.China(2025, 3, 1)), record.OccurredAt);
        Assert.Equal(Timestamp.FromDateTimeOffset(Feeds.China(2025, 3, 2, 9, 0)), record.UpdatedAt);
        var penalty = record.Penalty;
        Assert.Equal("宿迁市监罚〔2025〕12号", penalty.DecisionDocNo);
        Assert.Equal(["警告", "罚款"], penalty.PenaltyTypes);
        Assert.Equal("经营超过保质期的食品", penalty.Violation);
        Assert.Equal("《中华人民共和国食品安全法》第一百二十四条", penalty.Basis);
        Assert.Equal("警告，并处罚款2000元", penalty.Content);
        Assert.Equal(0.2, penalty.FineWan);
        Assert.Equal(0, penalty.ConfiscatedWan);
        Assert.Equal("宿迁市市场监督管理局", penalty.Authority);
        Assert.Equal("2025-03-01", penalty.DecidedOn);
        Assert.Equal("2026-03-01", penalty.PublicityUntil);
    }

    [Fact]
    public void A_penalty_row_with_GSXT_field_names_maps_amounts_in_yuan()
    {
        var record = Feeds.MapOne("penalties", """
            {"penDecNo": "宿迁市监罚〔2025〕12号", "entName": "某公司", "penType": ["警告", "罚款", "没收违法所得"],
             "penAm": 2000, "forfAm": "1,500元", "penAuthCn": "宿迁市市场监督管理局", "penDecIssDate": "2025年3月1日",
             "eventTime": "2025-03-01 14:05:00", "synthetic": true}
            """);

        Assert.Equal(Timestamp.FromDateTimeOffset(Feeds.China(2025, 3, 1, 14, 5)), record.OccurredAt);
        Assert.Null(record.UpdatedAt);
        Assert.True(record.Synthetic);
        Assert.Equal(["警告", "罚款", "没收违法所得"], record.Penalty.PenaltyTypes);
        Assert.Equal(0.2, record.Penalty.FineWan);
        Assert.Equal(0.15, record.Penalty.ConfiscatedWan);
        Assert.Equal("2025-03-01", record.Penalty.DecidedOn);
    }

    [Theory]
    [InlineData("\"penAm\": \"0.2万元\"", 0.2)]
    [InlineData("\"penAm\": \"2,000.00\"", 0.2)]
    [InlineData("\"CF_NR_FK\": \"2000元\"", 0.2)]
    [InlineData("\"CF_NR_FK\": \"0.2\"", 0.2)]
    [InlineData("\"CF_NR_FK\": 12.5", 12.5)]
    public void A_unit_written_in_the_amount_wins_over_the_field_unit(string fine, double wan)
    {
        var record = Feeds.MapOne("penalties", $$"""{"penDecNo": "罚〔2025〕1号", "penDecIssDate": "2025-03-01", {{fine}}}""");
        Assert.Equal(wan, record.Penalty.FineWan);
    }

    [Theory]
    [InlineData("\"CF_WSH\": \"宿迁市监罚〔2025〕12号\",", "", "MISSING_FIELD")]
    [InlineData("\"CF_JDRQ\": \"2025-03-01\"", "\"CF_JDRQ\": \"2025-13-45\"", "BAD_DATE")]
    [InlineData("\"CF_JDRQ\": \"2025-03-01\"", "\"CF_JDRQ\": \"\"", "MISSING_FIELD")]
    [InlineData("\"CF_GSJZQ\": \"2026/03/01\"", "\"CF_GSJZQ\": \"长期\"", "BAD_DATE")]
    [InlineData("\"CF_NR_FK\": 0.2", "\"CF_NR_FK\": \"两千元\"", "BAD_NUMBER")]
    [InlineData("\"CF_NR_FK\": 0.2", "\"CF_NR_FK\": \"0.2O\"", "BAD_NUMBER")]
    public void A_dirty_penalty_row_is_rejected_with_a_stable_code(string field, string dirty, string code)
    {
        Assert.Contains(field, CfRow);
        Assert.Equal(code, Feeds.RejectionCode("penalties", CfRow.Replace(field, dirty)));
    }
}
