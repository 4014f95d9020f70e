using DataHub.Core.Records;
using DataHub.Schema.V1;
using static DataHub.Adapters.CreditPlatform.Tests.Rows;

namespace DataHub.Adapters.CreditPlatform.Tests;

public class PenaltyMapperTests
{
    private readonly IRecordMapper _mapper = Feed("penalties").Mapper;

    private const string Row = """
        {"CF_XDR_MC": "泰州市鑫源商贸有限公司", "CF_XDR_LB": "法人及非法人组织", "CF_XDR_SHXYM": "91321200MA1P2Q3R4T",
         "CF_FRDB": "李娜", "CF_WSH": "泰市监罚〔2024〕356号", "CF_WFXW": "价格违法", "CF_SY": "未按规定明码标价",
         "CF_YJ": "《明码标价和禁止价格欺诈规定》第二十二条", "CF_CFLB": "警告;罚款", "CF_NR": "警告，并处罚款2000元",
         "CF_NR_FK": 0.2, "CF_NR_WFFF": "1.5", "CF_JDRQ": "2024/09/12", "CF_YXQ": "2025-09-12", "CF_GSJZQ": "2025年9月12日",
         "CF_CFJG": "泰州市市场监督管理局", "CF_CFJGDM": "11321200MB0000000X", "CF_SJLY": "泰州市市场监督管理局",
         "SJC": "2024-09-13 01:00:00", "synthetic": false}
        """;

    [Fact]
    public void A_penalty_row_maps_with_amounts_in_wan_yuan_as_the_standard_gives_them()
    {
        var record = MapOne(_mapper, Row);
        Assert.Equal("CF-泰市监罚〔2024〕356号", record.SourceId);
        Assert.Equal("91321200MA1P2Q3R4T", record.Uscc);
        Assert.Equal(China("2024-09-12 00:00:00"), record.OccurredAt);
        Assert.Equal(China("2024-09-13 01:00:00"), record.UpdatedAt);
        Assert.Equal(new Penalty
        {
            DecisionDocNo = "泰市监罚〔2024〕356号",
            PenaltyTypes = { "警告", "罚款" },
            Violation = "未按规定明码标价",
            Basis = "《明码标价和禁止价格欺诈规定》第二十二条",
            Content = "警告，并处罚款2000元",
            FineWan = 0.2,
            ConfiscatedWan = 1.5,
            Authority = "泰州市市场监督管理局",
            DecidedOn = "2024-09-12",
            PublicityUntil = "2025-09-12",
        }, record.Penalty);
    }

    [Fact]
    public void An_amount_written_as_text_with_thousands_separators_is_read_as_wan_yuan()
    {
        var record = MapOne(_mapper, Row.Replace("\"CF_NR_FK\": 0.2", "\"CF_NR_FK\": \"1,200.5\""));
        Assert.Equal(1200.5, record.Penalty.FineWan);
    }

    [Fact]
    public void Penalty_types_split_over_the_2016_columns_are_joined()
    {
        var record = MapOne(_mapper, Row.Replace("\"CF_CFLB\": \"警告;罚款\"", "\"CF_CFLB1\": \"警告\", \"CF_CFLB2\": \"没收违法所得\""));
        Assert.Equal(["警告", "没收违法所得"], record.Penalty.PenaltyTypes);
    }

    [Fact]
    public void Without_facts_the_violation_type_is_the_violation()
    {
        var record = MapOne(_mapper, Row.Replace("\"CF_SY\": \"未按规定明码标价\",", ""));
        Assert.Equal("价格违法", record.Penalty.Violation);
    }

    [Theory]
    [InlineData("\"CF_NR_FK\": 0.2", "\"CF_NR_FK\": \"贰仟元\"", "BAD_NUMBER")]
    [InlineData("\"CF_NR_WFFF\": \"1.5\"", "\"CF_NR_WFFF\": \"1.5万元\"", "BAD_NUMBER")]
    [InlineData("\"CF_WSH\": \"泰市监罚〔2024〕356号\",", "", "MISSING_FIELD")]
    [InlineData("\"CF_JDRQ\": \"2024/09/12\",", "", "MISSING_FIELD")]
    [InlineData("\"CF_JDRQ\": \"2024/09/12\"", "\"CF_JDRQ\": \"2024-02-30\"", "BAD_DATE")]
    [InlineData("\"CF_GSJZQ\": \"2025年9月12日\"", "\"CF_GSJZQ\": \"2025-13-45\"", "BAD_DATE")]
    [InlineData("\"CF_XDR_LB\": \"法人及非法人组织\"", "\"CF_XDR_LB\": \"9\"", "UNKNOWN_CODE")]
    [InlineData("\"CF_XDR_LB\": \"法人及非法人组织\"", "\"CF_XDR_LB\": \"自然人\"", "NATURAL_PERSON")]
    public void Dirty_penalty_rows_are_rejected_with_a_reason(string field, string replacement, string code)
    {
        Assert.Contains(field, Row);
        Assert.Equal(code, Rejection(_mapper, Row.Replace(field, replacement)));
    }

    [Theory]
    [InlineData("null", "NOT_AN_OBJECT")]
    [InlineData("{\"CF_WSH\": ", "MALFORMED_JSON")]
    public void Penalty_payloads_that_are_not_one_JSON_object_are_rejected(string json, string code) =>
        Assert.Equal(code, Rejection(_mapper, json));
}
