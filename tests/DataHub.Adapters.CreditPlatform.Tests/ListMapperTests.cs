using DataHub.Core.Records;
using DataHub.Schema.V1;
using static DataHub.Adapters.CreditPlatform.Tests.Rows;

namespace DataHub.Adapters.CreditPlatform.Tests;

public class ListMapperTests
{
    private readonly IRecordMapper _mapper = Feed("lists").Mapper;

    private static string Entry(string fields) =>
        J($"{{'entry_id': 'LST-1-91321300MA1XYZ1234-2024-05-06', 'uscc': '91321300MA1XYZ1234', 'ent_name': '宿迁市恒达食品有限公司', {fields}}}");

    [Fact]
    public void An_abnormal_operation_row_maps_to_a_list_entry_with_its_reason_code()
    {
        var record = MapOne(_mapper, Entry("'list_type': 'KEY_ATTENTION', 'list_name': '经营异常名录', 'reason_code': '4', 'reason': '通过登记的住所或者经营场所无法联系', 'listed_on': '2024-05-06 09:30:00', 'issuing_authority': '宿迁市市场监督管理局', 'update_time': '2024-05-06 18:00:00', 'synthetic': true"));
        Assert.Equal("LST-1-91321300MA1XYZ1234-2024-05-06", record.SourceId);
        Assert.Equal(China("2024-05-06 09:30:00"), record.OccurredAt);
        Assert.Equal(China("2024-05-06 18:00:00"), record.UpdatedAt);
        Assert.True(record.Synthetic);
        Assert.Equal(new ListEntry { ListType = ListType.AbnormalOperation, ReasonCode = "4", Reason = "通过登记的住所或者经营场所无法联系", ListedOn = "2024-05-06", Authority = "宿迁市市场监督管理局" }, record.ListEntry);
    }

    [Fact]
    public void An_abnormal_operation_reason_given_only_by_its_code_is_filled_from_the_code_table()
    {
        var record = MapOne(_mapper, Entry("'list_type': 'KEY_ATTENTION', 'list_name': '经营异常名录', 'reason_code': '1', 'listed_on': '2024/05/06'"));
        Assert.Equal("未按照《企业信息公示暂行条例》第八条规定的期限公示年度报告", record.ListEntry.Reason);
        Assert.Equal(China("2024-05-06 00:00:00"), record.OccurredAt);
    }

    [Theory]
    [InlineData("RED", "守信红名单", ListType.Red)]
    [InlineData("红名单", "A级纳税人", ListType.Red)]
    [InlineData("BLACK", "市场监管严重违法失信名单", ListType.SeriousViolation)]
    [InlineData("BLACK", "失信黑名单", ListType.Black)]
    [InlineData("黑名单", "失信被执行人", ListType.Black)]
    [InlineData("black", "", ListType.Black)]
    [InlineData("KEY_ATTENTION", "经营异常名录", ListType.AbnormalOperation)]
    [InlineData("重点关注名单", "经营异常名录", ListType.AbnormalOperation)]
    public void The_list_type_and_list_name_decide_the_hubs_list_type(string listType, string listName, ListType expected)
    {
        var record = MapOne(_mapper, Entry($"'list_type': '{listType}', 'list_name': '{listName}', 'listed_on': '2024-05-06'"));
        Assert.Equal(expected, record.ListEntry.ListType);
    }

    [Fact]
    public void A_removal_is_a_later_version_of_the_same_row()
    {
        const string listed = "'list_type': 'KEY_ATTENTION', 'list_name': '经营异常名录', 'reason_code': '1', 'reason': 'r', 'listed_on': '2024-05-06 09:30:00', 'update_time': '2024-05-06 18:00:00'";
        const string removed = "'list_type': 'KEY_ATTENTION', 'list_name': '经营异常名录', 'reason_code': '1', 'reason': 'r', 'listed_on': '2024-05-06 09:30:00', 'removed_on': '2024年9月1日', 'removal_reason': '已补报年度报告并公示', 'update_time': '2024-09-01 17:00:00'";
        var first = MapOne(_mapper, Entry(listed));
        var second = MapOne(_mapper, Entry(removed));
        Assert.Equal(first.SourceId, second.SourceId);
        Assert.True(second.UpdatedAt > first.UpdatedAt);
        Assert.Equal("", first.ListEntry.RemovedOn);
        Assert.Equal("2024-09-01", second.ListEntry.RemovedOn);
        Assert.Equal("已补报年度报告并公示", second.ListEntry.RemovalReason);
    }

    [Theory]
    [InlineData("'list_type': 'GREY', 'list_name': '灰名单', 'listed_on': '2024-05-06'", "UNKNOWN_CODE")]
    [InlineData("'list_type': 'KEY_ATTENTION', 'list_name': '重大税收违法失信主体关注名单', 'listed_on': '2024-05-06'", "UNKNOWN_CODE")]
    [InlineData("'list_name': '经营异常名录', 'listed_on': '2024-05-06'", "MISSING_FIELD")]
    [InlineData("'list_type': 'RED'", "MISSING_FIELD")]
    [InlineData("'list_type': 'RED', 'listed_on': '2024-13-45'", "BAD_DATE")]
    [InlineData("'list_type': 'RED', 'listed_on': '2024-05-06', 'removed_on': '2024-02-30'", "BAD_DATE")]
    [InlineData("'list_type': 'RED', 'listed_on': '2024-05-06', 'update_time': '昨天'", "BAD_DATE")]
    public void Dirty_list_rows_are_rejected_with_a_reason(string fields, string code) =>
        Assert.Equal(code, Rejection(_mapper, Entry(fields)));

    [Theory]
    [InlineData("{'list_type': 'RED', 'listed_on': '2024-05-06'}", "MISSING_FIELD")]
    [InlineData("\"LST-1\"", "NOT_AN_OBJECT")]
    [InlineData("{'entry_id': 'LST-1' 'list_type': 'RED'}", "MALFORMED_JSON")]
    public void List_rows_without_a_key_or_not_objects_are_rejected(string json, string code) =>
        Assert.Equal(code, Rejection(_mapper, J(json)));
}
