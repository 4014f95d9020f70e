using static DataHub.Adapters.CreditPlatform.Tests.Rows;

namespace DataHub.Adapters.CreditPlatform.Tests;

/// <summary>双公示 and 信用承诺 rows of natural persons carry ID numbers; the hub keeps enterprises only.</summary>
public class PersonalDataTests
{
    private const string IdNumber = "32130219850612341X";

    [Theory]
    [InlineData("permits", "{'XK_XDR_MC': '张三', 'XK_XDR_LB': '自然人', 'XK_XDR_ZJLX': '身份证', 'XK_XDR_ZJHM': '32130219850612341X', 'XK_WSH': 'W1', 'XK_JDRQ': '2024-01-02'}")]
    [InlineData("permits", "{'XK_XDR': '张三', 'XK_XDR_SFZ': '32130219850612341X', 'XK_WSH': 'W1', 'XK_JDRQ': '2024-01-02'}")]
    [InlineData("penalties", "{'CF_XDR_MC': '张三', 'CF_XDR_LB': '自然人', 'CF_XDR_ZJHM': '32130219850612341X', 'CF_WSH': 'W1', 'CF_JDRQ': '2024-01-02'}")]
    [InlineData("commitments", "{'code': 'C1', 'subjectName': '张三', 'subjectCategory': '自然人', 'identify': '32130219850612341X', 'commitmentTypeId': '1', 'commitmentDate': '2024-01-02'}")]
    public void A_natural_persons_row_is_rejected_without_repeating_the_ID_number_or_name(string feed, string json)
    {
        var result = Map(Feed(feed).Mapper, J(json));
        Assert.Equal("NATURAL_PERSON", result.Rejection?.Code);
        Assert.DoesNotContain(IdNumber, result.Rejection!.Message);
        Assert.DoesNotContain("张三", result.Rejection.Message);
    }

    [Theory]
    [InlineData("permits", "{'XK_XDR_MC': '恒达公司', 'XK_XDR_SHXYM': '91321300MA1XYZ1234', 'XK_FRDB': '张三', 'XK_FR_ZJLX': '身份证', 'XK_FR_ZJHM': '32130219850612341X', 'XK_WSH': 'W1', 'XK_JDRQ': '2024-01-02'}")]
    [InlineData("permits", "{'XK_XDR': '宿城区张三小吃店', 'XK_XDR_SHXYM': '92321302MA1XYZ1234', 'XK_XDR_SFZ': '32130219850612341X', 'XK_WSH': 'W1', 'XK_JDRQ': '2024-01-02'}")]
    [InlineData("penalties", "{'CF_XDR_MC': '恒达公司', 'CF_XDR_LB': '个体工商户', 'CF_XDR_SHXYM': '92321302MA1XYZ1234', 'CF_FR_ZJHM': '32130219850612341X', 'CF_WSH': 'W1', 'CF_JDRQ': '2024-01-02'}")]
    public void The_ID_number_of_an_enterprises_legal_representative_or_operator_never_reaches_the_record(string feed, string json)
    {
        var record = MapOne(Feed(feed).Mapper, J(json));
        Assert.DoesNotContain(IdNumber, record.ToString());
    }
}
