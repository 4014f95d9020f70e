using DataHub.Core.Records;
using DataHub.Schema.V1;

namespace DataHub.Adapters.ProvincialPlatform.Tests;

public class CaseMapperTests
{
    private const string V1Row = """
        {
          "project_no": "32130220250304000123",
          "task_code": "320100000000001",
          "task_name": "食品经营许可",
          "project_name": "宿迁恒达食品有限公司申请食品经营许可",
          "applyer_type": "2",
          "applyer_page_type": "001",
          "applyer_page_code": "91330100799655058B",
          "applyer_name": "宿迁恒达食品有限公司",
          "legal": "王伟",
          "accept_date": "2025-03-04 09:15:00",
          "org_name": "宿迁市宿城区行政审批局",
          "area_code": "321302000000",
          "result_type": "1",
          "result_date": "2025-03-10 16:20:00",
          "result_cetr_no": "JY13213020012345",
          "is_notify_commit": "1",
          "notify_commit_type": "01",
          "is_rongque": "0",
          "commit_deadline": "2025-04-30",
          "cd_batch": "202503100001",
          "cd_operation": "U",
          "cd_time": "2025-03-10 16:20:05",
          "row_guid": "5f0c2c3b9a0e4b7c8d1e2f3a4b5c6d7e",
          "synthetic": true
        }
        """;

    // The platform's newer gateway: camelCase names, other date forms, display texts instead of codes.
    private const string V2Row = """
        {
          "projectNo": "32130220250304000123",
          "taskCode": "320100000000001",
          "taskName": "食品经营许可",
          "applyerType": "2",
          "applyerPageType": "001",
          "applyerPageCode": "91330100799655058B",
          "applyerName": "宿迁恒达食品有限公司",
          "acceptDate": 1741050900000,
          "orgName": "宿迁市宿城区行政审批局",
          "areaCode": "321302",
          "resultType": "准予许可",
          "resultDate": "2025-03-10T08:20:00Z",
          "resultCetrNo": "JY13213020012345",
          "isNotifyCommit": true,
          "notifyCommitType": "材料延期",
          "isRongque": false,
          "commitDeadline": "2025/04/30",
          "cdTime": "20250310162005",
          "synthetic": "1"
        }
        """;

    private static CanonicalRecord Expected() => new()
    {
        Source = "provincial-platform",
        SourceId = "CASE-32130220250304000123",
        Uscc = "91330100799655058B",
        EnterpriseName = "宿迁恒达食品有限公司",
        OccurredAt = Feeds.China("2025-03-04 09:15:00"),
        UpdatedAt = Feeds.China("2025-03-10 16:20:05"),
        Synthetic = true,
        ApprovalCase = new ApprovalCase
        {
            CaseNo = "32130220250304000123",
            ItemCode = "320100000000001",
            ItemName = "食品经营许可",
            ApprovalAuthority = "宿迁市宿城区行政审批局",
            AcceptedAt = Feeds.China("2025-03-04 09:15:00"),
            CompletedAt = Feeds.China("2025-03-10 16:20:00"),
            Stage = CaseStage.Completed,
            ResultLicenceNo = "JY13213020012345",
            CommitmentType = CommitmentType.MaterialDeferred,
            CommitmentDeadline = "2025-04-30",
            DistrictCode = "321302",
        },
    };

    private static string With(string row, string field, string jsonValue)
    {
        var obj = System.Text.Json.Nodes.JsonNode.Parse(row)!.AsObject();
        obj[field] = System.Text.Json.Nodes.JsonNode.Parse(jsonValue);
        return obj.ToJsonString();
    }

    private static string Without(string row, params string[] fields)
    {
        var obj = System.Text.Json.Nodes.JsonNode.Parse(row)!.AsObject();
        foreach (var field in fields) obj.Remove(field);
        return obj.ToJsonString();
    }

    [Fact]
    public void A_case_row_with_v1_exchange_field_names_maps_to_an_approval_case()
    {
        Assert.Equal(Expected(), Feeds.MapOne(Feeds.Cases, V1Row));
    }

    [Fact]
    public void A_case_row_with_v2_camel_case_names_texts_and_other_date_forms_maps_to_the_same_case()
    {
        Assert.Equal(Expected(), Feeds.MapOne(Feeds.Cases, V2Row));
    }

    [Theory]
    [InlineData("2025-03-04 09:15:00")]
    [InlineData("2025/03/04 09:15:00")]
    [InlineData("20250304091500")]
    [InlineData("2025-03-04T09:15:00")]
    [InlineData("2025-03-04T01:15:00Z")]
    [InlineData("2025-03-04T09:15:00+08:00")]
    [InlineData("1741050900000")]
    public void The_acceptance_time_is_read_in_every_form_the_platform_writes(string acceptDate)
    {
        var record = Feeds.MapOne(Feeds.Cases, With(V1Row, "accept_date", $"\"{acceptDate}\""));
        Assert.Equal(Feeds.China("2025-03-04 09:15:00"), record.OccurredAt);
        Assert.Equal(record.OccurredAt, record.ApprovalCase.AcceptedAt);
    }

    [Theory]
    [InlineData("\"2025-04-30\"")]
    [InlineData("\"2025/04/30\"")]
    [InlineData("\"20250430\"")]
    [InlineData("\"2025年4月30日\"")]
    [InlineData("\"2025-04-30 23:59:59\"")]
    public void The_commitment_deadline_is_read_in_every_date_form_and_kept_as_a_calendar_date(string deadline)
    {
        Assert.Equal("2025-04-30", Feeds.MapOne(Feeds.Cases, With(V1Row, "commit_deadline", deadline)).ApprovalCase.CommitmentDeadline);
    }

    [Theory]
    [InlineData("1", null, CaseStage.Completed)]
    [InlineData("已办结", null, CaseStage.Completed)]
    [InlineData("2", null, CaseStage.Denied)]
    [InlineData("不予许可", null, CaseStage.Denied)]
    [InlineData("不予受理", null, CaseStage.Denied)]
    [InlineData("4", null, CaseStage.Withdrawn)]
    [InlineData("退件", null, CaseStage.Withdrawn)]
    [InlineData("作废", null, CaseStage.Withdrawn)]
    [InlineData(null, "1", CaseStage.Accepted)]
    [InlineData(null, "已受理", CaseStage.Accepted)]
    [InlineData(null, "2", CaseStage.InProgress)]
    [InlineData(null, "挂起", CaseStage.InProgress)]
    [InlineData("1", "2", CaseStage.Completed)]
    [InlineData(null, null, CaseStage.Unspecified)]
    public void The_stage_comes_from_the_result_code_or_text_and_else_from_the_open_state(string? resultType, string? handleState, CaseStage stage)
    {
        var row = Without(V1Row, "result_type", "result_date");
        if (resultType is not null) row = With(row, "result_type", $"\"{resultType}\"");
        if (handleState is not null) row = With(row, "handle_state", $"\"{handleState}\"");
        Assert.Equal(stage, Feeds.MapOne(Feeds.Cases, row).ApprovalCase.Stage);
    }

    [Theory]
    [InlineData("\"0\"", "\"0\"", null, CommitmentType.None)]
    [InlineData("\"1\"", "\"0\"", "\"01\"", CommitmentType.MaterialDeferred)]
    [InlineData("\"1\"", "\"0\"", "\"材料核验\"", CommitmentType.MaterialVerified)]
    [InlineData("\"Y\"", null, "\"POST_CHECK\"", CommitmentType.PostCheck)]
    [InlineData("\"是\"", null, "\"事后核查\"", CommitmentType.PostCheck)]
    [InlineData("\"0\"", "\"1\"", null, CommitmentType.AcceptedWithGaps)]
    [InlineData(null, "true", null, CommitmentType.AcceptedWithGaps)]
    [InlineData(null, null, "\"容缺受理\"", CommitmentType.AcceptedWithGaps)]
    [InlineData(null, null, "\"02\"", CommitmentType.MaterialVerified)]
    [InlineData(null, null, null, CommitmentType.None)]
    public void The_commitment_route_comes_from_the_notify_and_rongque_flags_and_the_subtype(string? notify, string? rongque, string? type, CommitmentType expected)
    {
        var row = Without(V1Row, "is_notify_commit", "is_rongque", "notify_commit_type");
        if (notify is not null) row = With(row, "is_notify_commit", notify);
        if (rongque is not null) row = With(row, "is_rongque", rongque);
        if (type is not null) row = With(row, "notify_commit_type", type);
        Assert.Equal(expected, Feeds.MapOne(Feeds.Cases, row).ApprovalCase.CommitmentType);
    }

    [Fact]
    public void A_dirty_USCC_is_passed_through_raw_and_cleaned_by_the_normalizer()
    {
        var record = Feeds.MapOne(Feeds.Cases, With(V1Row, "applyer_page_code", "\" ９１３３０１００７９９６５５０５８ｂ \""));
        Assert.Equal(" ９１３３０１００７９９６５５０５８ｂ ", record.Uscc);
        Assert.Null(new RecordNormalizer().Normalize(record));
        Assert.Equal("91330100799655058B", record.Uscc);
    }

    [Fact]
    public void A_case_naming_the_enterprise_only_maps_with_an_empty_USCC()
    {
        var record = Feeds.MapOne(Feeds.Cases, Without(V1Row, "applyer_page_code"));
        Assert.Equal("", record.Uscc);
        Assert.Equal("宿迁恒达食品有限公司", record.EnterpriseName);
    }

    [Fact]
    public void A_row_without_the_synthetic_flag_is_real_data_and_has_no_update_time_without_cd_time()
    {
        var record = Feeds.MapOne(Feeds.Cases, Without(V1Row, "synthetic", "cd_time"));
        Assert.False(record.Synthetic);
        Assert.Null(record.UpdatedAt);
    }

    [Fact]
    public void The_mapper_sets_no_hash_schema_version_or_name_resolution()
    {
        var record = Feeds.MapOne(Feeds.Cases, V1Row);
        Assert.Equal("", record.ContentHash);
        Assert.Equal(0u, record.SchemaVersion);
        Assert.Null(record.NameResolution);
    }

    [Fact]
    public void A_case_of_a_natural_person_yields_no_record_so_the_name_and_ID_number_never_enter_the_hub()
    {
        var row = With(With(With(V1Row, "applyer_type", "\"1\""), "applyer_page_type", "\"111\""), "applyer_page_code", "\"321302199001011234\"");
        row = With(row, "applyer_name", "\"张三\"");
        var result = Feeds.Map(Feeds.Cases, row);
        Assert.Null(result.Rejection);
        Assert.Empty(result.Records);
    }

    [Fact]
    public void An_individual_business_filed_as_a_natural_person_but_with_a_USCC_is_kept()
    {
        var record = Feeds.MapOne(Feeds.Cases, With(V1Row, "applyer_type", "\"1\""));
        Assert.Equal("91330100799655058B", record.Uscc);
    }

    [Theory]
    [InlineData("result_type", "\"99\"", "result_type", "99")]
    [InlineData("handle_state", "\"冻结\"", "handle_state", "冻结")]
    [InlineData("notify_commit_type", "\"05\"", "notify_commit_type", "05")]
    public void A_code_outside_the_code_table_is_rejected_naming_the_field_and_value(string field, string value, string named, string shown)
    {
        var rejection = Feeds.Map(Feeds.Cases, With(V1Row, field, value)).Rejection;
        Assert.NotNull(rejection);
        Assert.Equal("UNKNOWN_CODE", rejection.Code);
        Assert.Contains(named, rejection.Message);
        Assert.Contains(shown, rejection.Message);
    }

    public static TheoryData<string, string> DirtyRows() => new()
    {
        { With(V1Row, "accept_date", "\"2025-13-45 09:30:00\""), "BAD_DATE" },
        { With(V1Row, "result_date", "\"下周一\""), "BAD_DATE" },
        { With(V1Row, "commit_deadline", "\"2025-02-30\""), "BAD_DATE" },
        { Without(V1Row, "project_no"), "MISSING_FIELD" },
        { With(V1Row, "project_no", "\"  \""), "MISSING_FIELD" },
        { Without(V1Row, "accept_date"), "MISSING_FIELD" },
        { Without(V1Row, "applyer_page_code", "applyer_name"), "MISSING_FIELD" },
        { Without(V1Row, "notify_commit_type"), "MISSING_FIELD" },
        { With(V1Row, "is_notify_commit", "\"待定\""), "BAD_FIELD" },
        { With(V1Row, "area_code", "\"宿城区\""), "BAD_FIELD" },
        { With(V1Row, "result_type", "{\"code\": \"1\"}"), "BAD_FIELD" },
        { "[{\"project_no\": \"1\"}]", "NOT_AN_OBJECT" },
        { "\"32130220250304000123\"", "NOT_AN_OBJECT" },
        { "{\"project_no\": \"32130220250304000123\", ", "MALFORMED_JSON" },
    };

    [Theory]
    [MemberData(nameof(DirtyRows))]
    public void A_dirty_case_row_is_rejected_with_a_reason_that_starts_with_its_origin(string row, string code)
    {
        var result = Feeds.Map(Feeds.Cases, row);
        Assert.True(result.Rejection is not null, $"expected {code}, but the row mapped");
        Assert.Equal(code, result.Rejection.Code);
        Assert.StartsWith(Feeds.Cases.Path, result.Rejection.Message);
        Assert.Empty(result.Records);
    }

    [Fact]
    public void Bytes_that_are_not_UTF8_are_rejected()
    {
        Assert.Equal("NOT_UTF8", Feeds.Map(Feeds.Cases, [0x7B, 0xFF, 0x7D]).Rejection?.Code);
    }
}
