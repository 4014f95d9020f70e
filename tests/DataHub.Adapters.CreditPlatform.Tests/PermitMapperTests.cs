using DataHub.Core.Records;
using DataHub.Schema.V1;
using static DataHub.Adapters.CreditPlatform.Tests.Rows;

namespace DataHub.Adapters.CreditPlatform.Tests;

public class PermitMapperTests
{
    private readonly IRecordMapper _mapper = Feed("permits").Mapper;

    private const string V2Row = """
        {"XK_XDR_MC": "连云港市海润餐饮管理有限公司", "XK_XDR_LB": "法人及非法人组织", "XK_XDR_SHXYM": "91320700MA1N2K3L4P",
         "XK_FRDB": "王建国", "XK_XKWS": "准予行政许可决定书", "XK_WSH": "连审批食〔2024〕118号", "XK_XKLB": "普通",
         "XK_XKZS": "食品经营许可证", "XK_XKBH": "JY13207050012345", "XK_NR": "预包装食品销售，热食类食品制售",
         "XK_JDRQ": "2024-06-18", "XK_YXQZ": "2024/06/18", "XK_YXQZI": "2029-06-17", "XK_XKJG": "连云港市海州区行政审批局",
         "XK_XKJGDM": "11320706MB1234567X", "XK_ZT": "0", "XK_LYDW": "连云港市海州区行政审批局", "SJC": "2024-06-19 02:10:33"}
        """;

    [Fact]
    public void A_v2_permit_row_maps_to_a_licence_keyed_by_its_decision_document_number()
    {
        var record = MapOne(_mapper, V2Row);
        Assert.Equal("XK-连审批食〔2024〕118号", record.SourceId);
        Assert.Equal("91320700MA1N2K3L4P", record.Uscc);
        Assert.Equal("连云港市海润餐饮管理有限公司", record.EnterpriseName);
        Assert.Equal(China("2024-06-18 00:00:00"), record.OccurredAt);
        Assert.Equal(China("2024-06-19 02:10:33"), record.UpdatedAt);
        Assert.Equal(new Licence
        {
            LicenceNo = "JY13207050012345",
            LicenceType = "食品经营许可证",
            IssuingAuthority = "连云港市海州区行政审批局",
            IssuedOn = "2024-06-18",
            ValidFrom = "2024-06-18",
            ValidUntil = "2029-06-17",
            Status = LicenceStatus.Valid,
            Scope = "预包装食品销售，热食类食品制售",
        }, record.Licence);
    }

    [Fact]
    public void A_v1_permit_row_with_the_2016_field_names_maps_the_same_way()
    {
        var record = MapOne(_mapper, """
            {"XK_WSH": "连审批食〔2016〕7号", "XK_XMMC": "食品经营许可", "XK_SPLB": "普通", "XK_NR": "预包装食品销售",
             "XK_XDR": "连云港市海润餐饮管理有限公司", "XK_XDR_SHXYM": "91320700MA1N2K3L4P", "XK_FR": "王建国",
             "XK_JDRQ": "20160301", "XK_JZQ": "长期", "XK_XZJG": "连云港市海州区市场监督管理局", "XK_ZT": "正常",
             "DFBM": "320706", "SJC": "2016-03-02 10:00:00"}
            """);
        Assert.Equal("XK-连审批食〔2016〕7号", record.SourceId);
        Assert.Equal("连云港市海润餐饮管理有限公司", record.EnterpriseName);
        Assert.Equal(new Licence
        {
            LicenceType = "食品经营许可",
            IssuingAuthority = "连云港市海州区市场监督管理局",
            IssuedOn = "2016-03-01",
            Status = LicenceStatus.Valid,
            Scope = "预包装食品销售",
        }, record.Licence);
    }

    [Theory]
    [InlineData("2099-12-31")]
    [InlineData("长期")]
    [InlineData("9999-12-31")]
    public void An_open_ended_validity_leaves_valid_until_empty(string until)
    {
        var record = MapOne(_mapper, V2Row.Replace("\"XK_YXQZI\": \"2029-06-17\"", $"\"XK_YXQZI\": \"{until}\""));
        Assert.Equal("", record.Licence.ValidUntil);
    }

    [Theory]
    [InlineData("0", LicenceStatus.Valid)]
    [InlineData("正常", LicenceStatus.Valid)]
    [InlineData("1", LicenceStatus.Revoked)]
    [InlineData("撤销", LicenceStatus.Revoked)]
    [InlineData("2", LicenceStatus.Unspecified)]
    [InlineData("3", LicenceStatus.Unspecified)]
    [InlineData("注销", LicenceStatus.Cancelled)]
    [InlineData("暂扣", LicenceStatus.Suspended)]
    [InlineData("０", LicenceStatus.Valid)]
    public void The_permit_status_is_read_by_code_or_display_text(string status, LicenceStatus expected)
    {
        var record = MapOne(_mapper, V2Row.Replace("\"XK_ZT\": \"0\"", $"\"XK_ZT\": \"{status}\""));
        Assert.Equal(expected, record.Licence.Status);
    }

    [Theory]
    [InlineData("\"XK_ZT\": \"0\"", "\"XK_ZT\": \"9\"", "UNKNOWN_CODE")]
    [InlineData("\"XK_XDR_LB\": \"法人及非法人组织\"", "\"XK_XDR_LB\": \"外星人\"", "UNKNOWN_CODE")]
    [InlineData("\"XK_WSH\": \"连审批食〔2024〕118号\"", "\"XK_WSH\": \"\"", "MISSING_FIELD")]
    [InlineData("\"XK_JDRQ\": \"2024-06-18\"", "\"XK_JDRQ\": null", "MISSING_FIELD")]
    [InlineData("\"XK_JDRQ\": \"2024-06-18\"", "\"XK_JDRQ\": \"2025-13-45\"", "BAD_DATE")]
    [InlineData("\"XK_YXQZ\": \"2024/06/18\"", "\"XK_YXQZ\": \"见许可证\"", "BAD_DATE")]
    [InlineData("\"XK_XDR_LB\": \"法人及非法人组织\"", "\"XK_XDR_LB\": \"自然人\"", "NATURAL_PERSON")]
    public void Dirty_permit_rows_are_rejected_with_a_reason(string field, string replacement, string code)
    {
        Assert.Contains(field, V2Row);
        Assert.Equal(code, Rejection(_mapper, V2Row.Replace(field, replacement)));
    }

    [Theory]
    [InlineData("[]", "NOT_AN_OBJECT")]
    [InlineData("{\"XK_WSH\": \"x\"", "MALFORMED_JSON")]
    public void Permit_payloads_that_are_not_one_JSON_object_are_rejected(string json, string code) =>
        Assert.Equal(code, Rejection(_mapper, json));
}
