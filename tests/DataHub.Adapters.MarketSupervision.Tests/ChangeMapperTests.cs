using DataHub.Schema.V1;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Adapters.MarketSupervision.Tests;

public class ChangeMapperTests
{
    private const string RenameRow = """
        {
          "altId": "91340000711771143J-17", "uniscId": "91340000711771143J", "entName": "宿迁恒达食品有限公司",
          "altItem": "名称变更", "altBe": "宿迁恒达食品有限公司", "altAf": "宿迁恒达餐饮管理有限公司",
          "altDate": "2024-05-06", "eventTime": "2024-05-06 10:15:00", "updateTime": "2024-05-07 08:00:00", "synthetic": true
        }
        """;

    [Fact]
    public void A_name_alteration_with_v2_field_names_maps_to_a_rename()
    {
        var record = Feeds.MapOne("changes", RenameRow);

        Assert.Equal("CHG-91340000711771143J-17", record.SourceId);
        Assert.Equal("宿迁恒达食品有限公司", record.EnterpriseName);
        Assert.Equal(Timestamp.FromDateTimeOffset(Feeds.China(2024, 5, 6, 10, 15)), record.OccurredAt);
        Assert.Equal(Timestamp.FromDateTimeOffset(Feeds.China(2024, 5, 7, 8, 0)), record.UpdatedAt);
        Assert.True(record.Synthetic);
        var change = record.StatusChange;
        Assert.Equal("宿迁恒达餐饮管理有限公司", change.NewName);
        Assert.Equal("名称变更", change.Reason);
        Assert.Equal(RegistrationStatus.Unspecified, change.NewStatus);
        Assert.Equal("", change.StatusRaw);
        Assert.Equal("2024-05-06", change.EffectiveOn);
    }

    [Fact]
    public void A_status_change_with_v1_field_names_maps_code_text_and_reason()
    {
        var record = Feeds.MapOne("changes", """
            {"altid": "X-3", "uniscid": "91340000711771143j", "entname": "某公司", "regstate": "2", "regstateCn": "吊销，未注销",
             "altreason": "连续六个月未开展经营活动", "altdate": "2025/01/02", "s_ext_timestamp": "2025-01-02 17:00:00"}
            """);

        Assert.Equal("CHG-X-3", record.SourceId);
        Assert.Equal("91340000711771143j", record.Uscc);
        Assert.Equal(Timestamp.FromDateTimeOffset(Feeds.China(2025, 1, 2)), record.OccurredAt);
        var change = record.StatusChange;
        Assert.Equal(RegistrationStatus.Revoked, change.NewStatus);
        Assert.Equal("吊销，未注销", change.StatusRaw);
        Assert.Equal("连续六个月未开展经营活动", change.Reason);
        Assert.Equal("", change.NewName);
        Assert.Equal("2025-01-02", change.EffectiveOn);
    }

    [Fact]
    public void A_status_given_only_as_a_code_maps_to_its_status()
    {
        var record = Feeds.MapOne("changes", """{"altId":"X-4","entName":"某公司","regState":"4","altDate":"20250102"}""");
        Assert.Equal(RegistrationStatus.Deregistered, record.StatusChange.NewStatus);
        Assert.Equal("", record.Uscc);
    }

    [Fact]
    public void The_after_value_of_an_alteration_other_than_the_name_is_not_a_new_name()
    {
        var record = Feeds.MapOne("changes", RenameRow.Replace("\"名称变更\"", "\"住所变更\""));
        Assert.Equal("", record.StatusChange.NewName);
        Assert.Equal("住所变更", record.StatusChange.Reason);
    }

    [Theory]
    [InlineData("\"altId\": \"91340000711771143J-17\",", "", "MISSING_FIELD")]
    [InlineData("\"altDate\": \"2024-05-06\"", "\"altDate\": \"2024-02-30\"", "BAD_DATE")]
    [InlineData("\"altDate\": \"2024-05-06\"", "\"altDate\": null", "MISSING_FIELD")]
    [InlineData("\"altItem\": \"名称变更\"", "\"regState\": \"99\"", "UNKNOWN_CODE")]
    [InlineData("\"altId\": \"91340000711771143J-17\"", "\"altId\": [17]", "BAD_FIELD")]
    public void A_dirty_change_row_is_rejected_with_a_stable_code(string field, string dirty, string code)
    {
        Assert.Contains(field, RenameRow);
        Assert.Equal(code, Feeds.RejectionCode("changes", RenameRow.Replace(field, dirty)));
    }
}
