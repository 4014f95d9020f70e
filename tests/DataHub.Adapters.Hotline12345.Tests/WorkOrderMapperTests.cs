using System.Text;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using static DataHub.Adapters.Hotline12345.Tests.WorkOrderFeed;

namespace DataHub.Adapters.Hotline12345.Tests;

public class WorkOrderMapperTests
{
    private static readonly Timestamp Received = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 3, 15, 9, 42, 10, ChinaDates.Offset));

    [Fact]
    public void The_source_serves_one_token_paged_work_order_feed()
    {
        var source = new Hotline12345Source();
        Assert.Equal("hotline-12345", source.Source);
        Assert.Equal("12345政务服务便民热线", source.DisplayName);
        var feed = Assert.Single(source.Feeds);
        Assert.Equal("hotline-12345/work-orders-v1", feed.Mapper.Format);
        var paging = Assert.IsType<TokenPaging>(feed.Paging);
        Assert.Equal("data.list", paging.RowsPath);
        Assert.Equal("data.nextCursor", paging.NextTokenPath);
    }

    [Fact]
    public void A_work_order_with_v2_field_names_maps_to_a_complaint()
    {
        var record = MapOne(SampleV2().ToJsonString());

        Assert.Equal("hotline-12345", record.Source);
        Assert.Equal("12345202503150000123", record.SourceId);
        Assert.Equal("91330100799655058B", record.Uscc);
        Assert.Equal("宿迁恒达食品有限公司", record.EnterpriseName);
        Assert.Equal(Received, record.OccurredAt);
        Assert.Equal(Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 3, 18, 16, 5, 0, ChinaDates.Offset)), record.UpdatedAt);
        Assert.True(record.Synthetic);
        Assert.Equal("", record.ContentHash);
        Assert.Equal(0u, record.SchemaVersion);
        Assert.Null(record.NameResolution);
        var c = record.Complaint;
        Assert.Equal("12345202503150000123", c.OrderNo);
        Assert.Equal(ComplaintKind.Complaint, c.Kind);
        Assert.Equal("食品安全", c.Category);
        Assert.Equal("市民反映宿迁恒达食品有限公司销售过期食品，联系电话[电话已删除]。", c.Summary);
        Assert.Equal("宿迁市宿城区市场监督管理局", c.HandlingAgency);
        Assert.True(c.Closed);
        Assert.True(c.Substantiated);
    }

    [Fact]
    public void A_work_order_with_v1_field_names_maps_to_the_same_complaint()
    {
        const string v1 = """
            {"12345工单编号": "12345202503150000123", "12345受理时间": "2025/03/15 09:42:10", "更新时间": "2025-03-18T08:05:00Z",
             "12345工单来源": "电话", "诉求人姓名": "张秀英", "来电号码": "13912345678", "诉求地址": "宿迁市宿城区幸福路88号3单元",
             "诉求类型": "投诉", "业务分类": "食品安全", "标题": "食品安全投诉",
             "12345内容描述": "市民反映宿迁恒达食品有限公司销售过期食品，联系电话13912345678。",
             "涉及企业名称": "宿迁恒达食品有限公司", "涉及企业统一社会信用代码": "91330100799655058B",
             "主办单位": "宿迁市宿城区市场监督管理局", "工单状态": "已办结", "诉求是否属实": "属实", "synthetic": true}
            """;
        Assert.Equal(MapOne(SampleV2().ToJsonString()), MapOne(v1));
    }

    [Theory]
    [InlineData("2025-03-15 09:42:10")]
    [InlineData("2025/03/15 09:42:10")]
    [InlineData("20250315094210")]
    [InlineData("2025-03-15T09:42:10")]
    [InlineData("2025-03-15T09:42:10+08:00")]
    [InlineData("2025-03-15T01:42:10Z")]
    [InlineData("2025年3月15日 09:42:10")]
    [InlineData("1742002930000")]
    public void The_receipt_time_is_read_in_the_forms_the_hotline_writes_it(string receivedAt)
    {
        var record = MapOne(With(r => r["received_at"] = receivedAt));
        Assert.Equal(Received, record.OccurredAt);
    }

    [Fact]
    public void A_receipt_time_sent_as_a_json_number_of_epoch_milliseconds_is_read()
    {
        var record = MapOne(With(r => r["received_at"] = 1742002930000));
        Assert.Equal(Received, record.OccurredAt);
    }

    [Fact]
    public void Without_an_update_time_the_record_leaves_it_to_the_hub_to_default_to_the_receipt_time()
    {
        var record = MapOne(With(r => r.Remove("update_time")));
        Assert.Null(record.UpdatedAt);
        Assert.Null(new RecordNormalizer().Normalize(record));
        Assert.Equal(record.OccurredAt, record.UpdatedAt);
    }

    [Theory]
    [InlineData("1", ComplaintKind.Consultation)]
    [InlineData("咨询", ComplaintKind.Consultation)]
    [InlineData("2", ComplaintKind.Help)]
    [InlineData("求助类", ComplaintKind.Help)]
    [InlineData("03", ComplaintKind.Complaint)]
    [InlineData("投诉", ComplaintKind.Complaint)]
    [InlineData("４", ComplaintKind.Report)]
    [InlineData("举报", ComplaintKind.Report)]
    [InlineData("5", ComplaintKind.Suggestion)]
    [InlineData("建议", ComplaintKind.Suggestion)]
    [InlineData("表扬", ComplaintKind.Praise)]
    [InlineData("其他", ComplaintKind.Unspecified)]
    public void Appeal_types_map_by_code_and_by_display_text(string appealType, ComplaintKind expected)
    {
        Assert.Equal(expected, MapOne(With(r => r["appeal_type"] = appealType)).Complaint.Kind);
    }

    [Fact]
    public void A_work_order_without_an_appeal_type_has_an_unspecified_kind()
    {
        Assert.Equal(ComplaintKind.Unspecified, MapOne(With(r => r.Remove("appeal_type"))).Complaint.Kind);
    }

    [Theory]
    [InlineData("60", true)]
    [InlineData("已办结", true)]
    [InlineData("已回访", true)]
    [InlineData("80", true)]
    [InlineData("结案", true)]
    [InlineData("10", false)]
    [InlineData("已派遣", false)]
    [InlineData("办理中", false)]
    [InlineData("已答复", false)]
    [InlineData("退单", false)]
    [InlineData("91", false)]
    public void Work_order_statuses_decide_whether_the_order_is_closed(string status, bool closed)
    {
        Assert.Equal(closed, MapOne(With(r => r["status"] = status)).Complaint.Closed);
    }

    [Fact]
    public void Without_a_status_a_completion_time_marks_the_order_closed()
    {
        Assert.True(MapOne(With(r => r.Remove("status"))).Complaint.Closed);
        Assert.False(MapOne(With(r => { r.Remove("status"); r.Remove("completed_at"); })).Complaint.Closed);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("属实", true)]
    [InlineData("部分属实", true)]
    [InlineData("3", false)]
    [InlineData("不属实", false)]
    [InlineData("无法核实", false)]
    [InlineData("是", true)]
    [InlineData("否", false)]
    public void The_verification_result_says_whether_the_request_was_substantiated(string verifyResult, bool substantiated)
    {
        Assert.Equal(substantiated, MapOne(With(r => r["verify_result"] = verifyResult)).Complaint.Substantiated);
    }

    [Fact]
    public void Verification_results_sent_as_json_booleans_are_read()
    {
        Assert.True(MapOne(With(r => r["verify_result"] = true)).Complaint.Substantiated);
        Assert.False(MapOne(With(r => r.Remove("verify_result"))).Complaint.Substantiated);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("absent")]
    public void A_work_order_naming_the_enterprise_without_a_uscc_maps_and_is_left_to_name_resolution(string? uscc)
    {
        var record = MapOne(With(r =>
        {
            if (uscc == "absent") r.Remove("involved_ent_uscc");
            else r["involved_ent_uscc"] = uscc;
            r["involved_ent_name"] = "宿迁恒达食品(宿迁)有限公司";
        }));
        Assert.Equal("", record.Uscc);
        Assert.Equal("宿迁恒达食品(宿迁)有限公司", record.EnterpriseName);
        Assert.Null(new RecordNormalizer().Normalize(record));
    }

    [Theory]
    [InlineData("９１３３０１００７９９６５５０５８Ｂ")]
    [InlineData("91330100799655058b")]
    [InlineData(" 913301 00799655-058B ")]
    public void A_dirty_uscc_is_passed_through_as_served_for_the_hub_to_clean(string uscc)
    {
        var record = MapOne(With(r => r["involved_ent_uscc"] = uscc));
        Assert.Equal(uscc, record.Uscc);
        Assert.Null(new RecordNormalizer().Normalize(record));
        Assert.Equal("91330100799655058B", record.Uscc);
    }

    [Fact]
    public void Without_content_the_title_is_the_summary()
    {
        Assert.Equal("食品安全投诉", MapOne(With(r => r.Remove("content"))).Complaint.Summary);
    }

    [Theory]
    [InlineData("""{"received_at": "2025-13-45 08:00:00"}""", "BAD_DATE")]
    [InlineData("""{"received_at": "上周三下午"}""", "BAD_DATE")]
    [InlineData("""{"update_time": "2025-02-30 10:00:00"}""", "BAD_DATE")]
    [InlineData("""{"order_no": null}""", "MISSING_FIELD")]
    [InlineData("""{"order_no": "  "}""", "MISSING_FIELD")]
    [InlineData("""{"received_at": ""}""", "MISSING_FIELD")]
    [InlineData("""{"content": null, "title": null}""", "MISSING_FIELD")]
    [InlineData("""{"appeal_type": "8"}""", "UNKNOWN_CODE")]
    [InlineData("""{"appeal_type": "投诉建议"}""", "UNKNOWN_CODE")]
    [InlineData("""{"status": "99"}""", "UNKNOWN_CODE")]
    [InlineData("""{"verify_result": "待核实"}""", "UNKNOWN_CODE")]
    [InlineData("""{"involved_ent_uscc": {"code": "91330100799655058B"}}""", "BAD_FIELD")]
    [InlineData("""{"synthetic": "maybe"}""", "BAD_FIELD")]
    public void Dirty_work_orders_are_rejected_with_a_code(string overrides, string code)
    {
        var changes = System.Text.Json.Nodes.JsonNode.Parse(overrides)!.AsObject();
        var json = With(r =>
        {
            foreach (var (name, value) in changes) r[name] = value?.DeepClone();
        });
        var result = Map(json);
        Assert.True(result.Rejection is not null, $"expected {code}, but the row mapped: {json}");
        Assert.Equal(code, result.Rejection.Code);
        Assert.Empty(result.Records);
    }

    [Fact]
    public void An_unknown_code_is_reported_with_the_field_and_the_value()
    {
        var rejection = Map(With(r => r["appeal_type"] = "8")).Rejection!;
        Assert.Contains("appeal_type", rejection.Message);
        Assert.Contains("\"8\"", rejection.Message);
        Assert.Contains("page 1", rejection.Message);

        var v1 = Map(With(r => { r.Remove("status"); r["工单状态"] = "挂起"; })).Rejection!;
        Assert.Equal("UNKNOWN_CODE", v1.Code);
        Assert.Contains("工单状态", v1.Message);
        Assert.Contains("挂起", v1.Message);
    }

    [Theory]
    [InlineData("[{\"order_no\": \"1\"}]", "NOT_AN_OBJECT")]
    [InlineData("\"12345202503150000123\"", "NOT_AN_OBJECT")]
    [InlineData("{\"order_no\": \"12345202503150000123\", ", "MALFORMED_JSON")]
    [InlineData("order_no=12345202503150000123", "MALFORMED_JSON")]
    public void Payloads_that_are_not_one_json_object_are_rejected(string payload, string code)
    {
        Assert.Equal(code, Map(payload).Rejection?.Code);
    }

    [Fact]
    public void A_payload_that_is_not_utf8_is_rejected()
    {
        var gbk = new byte[] { (byte)'{', (byte)'"', 0xB9, 0xA4, 0xB5, 0xA5, (byte)'"', (byte)':', (byte)'1', (byte)'}' };
        Assert.Equal("NOT_UTF8", Map(gbk).Rejection?.Code);
    }

    [Fact]
    public void The_callers_name_phone_id_number_and_address_appear_nowhere_in_the_record()
    {
        var row = SampleV2();
        var record = MapOne(row.ToJsonString());
        Assert.Null(new RecordNormalizer().Normalize(record));
        var json = JsonFormatter.Default.Format(record);
        foreach (var value in new[] { "张秀英", "13912345678", "32130219900101123X", "宿迁市宿城区幸福路88号3单元" })
            Assert.False(json.Contains(value, StringComparison.Ordinal), $"the caller's {value} leaked into the record: {json}");
        Assert.False(Encoding.UTF8.GetString(record.ToByteArray()).Contains("13912345678", StringComparison.Ordinal));
    }

    [Fact]
    public void Contacts_in_the_request_text_are_redacted_by_the_mapper()
    {
        var record = MapOne(With(r => r["content"] = "来电人张先生（身份证320302199001011234，邮箱: zhang@example.com，座机0527-84361234）投诉噪音"));
        Assert.Equal("来电人张先生（身份证[身份证号已删除]，邮箱: [邮箱已删除]，座机[电话已删除]）投诉噪音", record.Complaint.Summary);
    }
}
