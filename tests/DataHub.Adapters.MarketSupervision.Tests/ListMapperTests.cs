using DataHub.Schema.V1;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Adapters.MarketSupervision.Tests;

public class ListMapperTests
{
    private const string Listing = """
        {
          "busExcList": "ABN2024320700081", "uniscId": "91340000711771143J", "entName": "宿迁恒达食品有限公司",
          "speCause": "1", "inReason": "未按照《企业信息公示暂行条例》第八条规定的期限公示年度报告",
          "inDate": "2024-07-01", "department": "宿迁市市场监督管理局",
          "eventTime": "2024-07-01 10:00:00", "updateTime": "2024-07-01 10:00:00", "synthetic": true
        }
        """;

    [Fact]
    public void An_abnormal_operation_listing_maps_to_a_list_entry()
    {
        var record = Feeds.MapOne("abnormal-operations", Listing);

        Assert.Equal("ABN-ABN2024320700081", record.SourceId);
        Assert.Equal(Timestamp.FromDateTimeOffset(Feeds.China(2024, 7, 1, 10, 0)), record.OccurredAt);
        var entry = record.ListEntry;
        Assert.Equal(ListType.AbnormalOperation, entry.ListType);
        Assert.Equal("1", entry.ReasonCode);
        Assert.Equal("未按照《企业信息公示暂行条例》第八条规定的期限公示年度报告", entry.Reason);
        Assert.Equal("2024-07-01", entry.ListedOn);
        Assert.Equal("宿迁市市场监督管理局", entry.Authority);
        Assert.Equal("", entry.RemovedOn);
        Assert.Equal("", entry.RemovalReason);
    }

    [Fact]
    public void A_removal_is_a_later_version_of_the_same_row()
    {
        var listed = Feeds.MapOne("abnormal-operations", Listing);
        var removed = Feeds.MapOne("abnormal-operations", Listing
            .Replace("\"updateTime\": \"2024-07-01 10:00:00\"", "\"updateTime\": \"2025-01-15 16:30:00\", \"outDate\": \"2025-01-15\", \"outReason\": \"已补报年度报告并公示\", \"outDepartment\": \"宿迁市市场监督管理局\""));

        Assert.Equal(listed.SourceId, removed.SourceId);
        Assert.True(removed.UpdatedAt > listed.UpdatedAt);
        Assert.Equal(listed.OccurredAt, removed.OccurredAt);
        Assert.Equal("2025-01-15", removed.ListEntry.RemovedOn);
        Assert.Equal("已补报年度报告并公示", removed.ListEntry.RemovalReason);
    }

    [Fact]
    public void An_abnormal_operation_row_with_v1_names_and_only_a_code_gets_the_reason_text()
    {
        var record = Feeds.MapOne("abnormal-operations", """
            {"abn_id": "7", "uscc": "91340000711771143J", "ent_name": "某公司", "in_reason_code": "4",
             "in_date": "20240701", "in_authority": "宿迁市市场监督管理局", "out_date": "2024/09/30", "out_reason": "通过登记的住所（经营场所）可以重新取得联系"}
            """);

        Assert.Equal("ABN-7", record.SourceId);
        Assert.Equal("4", record.ListEntry.ReasonCode);
        Assert.Equal("通过登记的住所或者经营场所无法联系", record.ListEntry.Reason);
        Assert.Equal("2024-07-01", record.ListEntry.ListedOn);
        Assert.Equal("2024-09-30", record.ListEntry.RemovedOn);
    }

    [Fact]
    public void An_abnormal_operation_row_with_only_the_reason_text_gets_its_code()
    {
        var record = Feeds.MapOne("abnormal-operations", Listing.Replace("\"speCause\": \"1\",", "").Replace("未按照《企业信息公示暂行条例》第八条规定的期限公示年度报告", "未在责令的期限内公示有关企业信息"));
        Assert.Equal("2", record.ListEntry.ReasonCode);
    }

    [Fact]
    public void A_serious_violation_row_maps_to_a_list_entry_keyed_by_its_decision()
    {
        var record = Feeds.MapOne("serious-violations", """
            {"decision_doc_no": "苏市监严〔2024〕3号", "uscc": "91340000711771143J", "ent_name": "某公司",
             "list_reason": "因提交虚假材料取得登记被撤销，列入严重违法失信名单", "list_reason_code": "S05",
             "list_date": "2024-03-15", "list_authority": "江苏省市场监督管理局", "s_ext_timestamp": "2024-03-15 11:00:00"}
            """);

        Assert.Equal("SVL-苏市监严〔2024〕3号", record.SourceId);
        Assert.Equal(ListType.SeriousViolation, record.ListEntry.ListType);
        Assert.Equal("S05", record.ListEntry.ReasonCode);
        Assert.Equal("因提交虚假材料取得登记被撤销，列入严重违法失信名单", record.ListEntry.Reason);
        Assert.Equal("江苏省市场监督管理局", record.ListEntry.Authority);
        Assert.Equal("2024-03-15", record.ListEntry.ListedOn);
    }

    [Theory]
    [InlineData("\"speCause\": \"1\"", "\"speCause\": \"9\"", "UNKNOWN_CODE")]
    [InlineData("\"busExcList\": \"ABN2024320700081\",", "", "MISSING_FIELD")]
    [InlineData("\"inDate\": \"2024-07-01\"", "\"inDate\": \"2024-13-45\"", "BAD_DATE")]
    [InlineData("\"inDate\": \"2024-07-01\"", "\"outDate\": \"2024-07-01\"", "MISSING_FIELD")]
    [InlineData("\"department\": \"宿迁市市场监督管理局\"", "\"department\": \"宿迁市市场监督管理局\", \"outDate\": \"2025-02-30\"", "BAD_DATE")]
    public void A_dirty_abnormal_operation_row_is_rejected_with_a_stable_code(string field, string dirty, string code)
    {
        Assert.Contains(field, Listing);
        Assert.Equal(code, Feeds.RejectionCode("abnormal-operations", Listing.Replace(field, dirty)));
    }

    [Theory]
    [InlineData("""{"list_reason": "x", "list_date": "2024-03-15"}""", "MISSING_FIELD")]
    [InlineData("""{"decisionDocNo": "D1", "listDate": "2024-03-45"}""", "BAD_DATE")]
    [InlineData("""{"decisionDocNo": "D1", "listReason": "x"}""", "MISSING_FIELD")]
    public void A_dirty_serious_violation_row_is_rejected_with_a_stable_code(string row, string code)
    {
        Assert.Equal(code, Feeds.RejectionCode("serious-violations", row));
    }
}
