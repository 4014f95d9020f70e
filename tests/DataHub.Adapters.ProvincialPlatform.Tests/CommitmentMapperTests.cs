using System.Text.Json.Nodes;
using DataHub.Schema.V1;

namespace DataHub.Adapters.ProvincialPlatform.Tests;

public class CommitmentMapperTests
{
    private const string V1Row = """
        {
          "commit_code": "32130220250304000017",
          "project_no": "32130220250304000123",
          "commit_type": "04",
          "commit_type_name": "容缺受理",
          "subject_category": "法人及非法人组织",
          "subject_name": "宿迁恒达食品有限公司",
          "subject_code": "9144030071526726XG",
          "content": "申请人承诺在2025-04-30前补齐食品经营许可所需材料，并对所提交材料的真实性负责。",
          "breach_liability": "如违反承诺，自愿承担撤销审批决定等法律责任。",
          "commit_date": "2025-03-04",
          "commit_deadline": "2025-04-30 23:59:59",
          "fulfil_status": "1",
          "fulfil_date": "2025-04-22",
          "create_time": "2025-03-04 10:02:00",
          "cd_time": "2025-04-22 15:00:00",
          "cd_operation": "U",
          "synthetic": true
        }
        """;

    // v2: the national 信用承诺 归集 names (code, subjectName, identify, commitmentDate, fulfillmentStatus ...).
    private const string V2Row = """
        {
          "code": "32130220250304000017",
          "projectNo": "32130220250304000123",
          "commitType": "容缺受理型",
          "subjectCategory": "法人及非法人组织",
          "subjectName": "宿迁恒达食品有限公司",
          "identify": "9144030071526726XG",
          "content": "申请人承诺在2025-04-30前补齐食品经营许可所需材料，并对所提交材料的真实性负责。",
          "commitmentDate": "2025年3月4日",
          "commitDeadline": "20250430",
          "fulfillmentStatus": "全部履行",
          "fulfillmentStatusDate": "2025/04/22",
          "createTime": "2025-03-04T02:02:00Z",
          "cdTime": "2025-04-22 15:00:00",
          "synthetic": "是"
        }
        """;

    private static CanonicalRecord Expected() => new()
    {
        Source = "provincial-platform",
        SourceId = "CMT-32130220250304000123",
        Uscc = "9144030071526726XG",
        EnterpriseName = "宿迁恒达食品有限公司",
        OccurredAt = Feeds.China("2025-03-04 10:02:00"),
        UpdatedAt = Feeds.China("2025-04-22 15:00:00"),
        Synthetic = true,
        Commitment = new Commitment
        {
            CommitmentCode = "32130220250304000017",
            CaseNo = "32130220250304000123",
            Type = CommitmentType.AcceptedWithGaps,
            Content = "申请人承诺在2025-04-30前补齐食品经营许可所需材料，并对所提交材料的真实性负责。",
            CommittedOn = "2025-03-04",
            Deadline = "2025-04-30",
            Status = CommitmentStatus.Kept,
            ResolvedOn = "2025-04-22",
        },
    };

    private static string With(string row, string field, string? jsonValue)
    {
        var obj = JsonNode.Parse(row)!.AsObject();
        if (jsonValue is null) obj.Remove(field);
        else obj[field] = JsonNode.Parse(jsonValue);
        return obj.ToJsonString();
    }

    [Fact]
    public void A_commitment_row_with_v1_field_names_maps_to_a_commitment_keyed_by_its_case()
    {
        Assert.Equal(Expected(), Feeds.MapOne(Feeds.Commitments, V1Row));
    }

    [Fact]
    public void A_commitment_row_with_v2_credit_commitment_names_and_other_date_forms_maps_to_the_same_commitment()
    {
        Assert.Equal(Expected(), Feeds.MapOne(Feeds.Commitments, V2Row));
    }

    [Theory]
    [InlineData("01", CommitmentType.MaterialDeferred)]
    [InlineData("材料延期", CommitmentType.MaterialDeferred)]
    [InlineData("02", CommitmentType.MaterialVerified)]
    [InlineData("材料核验", CommitmentType.MaterialVerified)]
    [InlineData("03", CommitmentType.PostCheck)]
    [InlineData("事后核查", CommitmentType.PostCheck)]
    [InlineData("04", CommitmentType.AcceptedWithGaps)]
    [InlineData("容缺受理", CommitmentType.AcceptedWithGaps)]
    [InlineData("ｍａｔｅｒｉａｌ＿ｄｅｆｅｒｒｅｄ", CommitmentType.MaterialDeferred)]
    public void Commitment_types_are_read_from_codes_and_display_texts(string value, CommitmentType type)
    {
        Assert.Equal(type, Feeds.MapOne(Feeds.Commitments, With(V1Row, "commit_type", $"\"{value}\"")).Commitment.Type);
    }

    [Theory]
    [InlineData("0", CommitmentStatus.Pending)]
    [InlineData("待履行", CommitmentStatus.Pending)]
    [InlineData("1", CommitmentStatus.Kept)]
    [InlineData("全部履行", CommitmentStatus.Kept)]
    [InlineData("2", CommitmentStatus.Broken)]
    [InlineData("全部未履行", CommitmentStatus.Broken)]
    [InlineData("部分履行", CommitmentStatus.Broken)]
    [InlineData("失诺", CommitmentStatus.Broken)]
    public void Fulfilment_is_read_from_codes_and_texts_and_anything_short_of_full_is_broken(string value, CommitmentStatus status)
    {
        Assert.Equal(status, Feeds.MapOne(Feeds.Commitments, With(V1Row, "fulfil_status", $"\"{value}\"")).Commitment.Status);
    }

    [Fact]
    public void A_commitment_not_yet_resolved_has_no_status_date_and_no_type_means_none()
    {
        var record = Feeds.MapOne(Feeds.Commitments, With(With(With(V1Row, "fulfil_date", null), "fulfil_status", null), "commit_type", null));
        Assert.Equal(CommitmentStatus.Unspecified, record.Commitment.Status);
        Assert.Equal("", record.Commitment.ResolvedOn);
        Assert.Equal(CommitmentType.None, record.Commitment.Type);
    }

    [Fact]
    public void A_commitment_of_a_natural_person_yields_no_record()
    {
        var row = With(With(V1Row, "subject_category", "\"自然人\""), "subject_code", "\"321302199001011234\"");
        var result = Feeds.Map(Feeds.Commitments, row);
        Assert.Null(result.Rejection);
        Assert.Empty(result.Records);
    }

    [Fact]
    public void A_lower_case_USCC_reaches_the_hub_as_the_row_has_it()
    {
        Assert.Equal("9144030071526726xg", Feeds.MapOne(Feeds.Commitments, With(V1Row, "subject_code", "\"9144030071526726xg\"")).Uscc);
    }

    public static TheoryData<string, string> DirtyRows() => new()
    {
        { With(V1Row, "commit_date", "\"2025-13-45\""), "BAD_DATE" },
        { With(V1Row, "commit_deadline", "\"2025-02-30 23:59:59\""), "BAD_DATE" },
        { With(V1Row, "create_time", "\"昨天下午\""), "BAD_DATE" },
        { With(V1Row, "commit_code", null), "MISSING_FIELD" },
        { With(V1Row, "project_no", null), "MISSING_FIELD" },
        { With(V1Row, "create_time", null), "MISSING_FIELD" },
        { With(With(V1Row, "subject_code", null), "subject_name", "\"\""), "MISSING_FIELD" },
        { With(V1Row, "commit_type", "\"09\""), "UNKNOWN_CODE" },
        { With(V1Row, "commit_type", "\"证明事项型\""), "UNKNOWN_CODE" },
        { With(V1Row, "fulfil_status", "\"9\""), "UNKNOWN_CODE" },
        { With(V1Row, "synthetic", "\"maybe\""), "BAD_FIELD" },
        { With(V1Row, "content", "[\"a\"]"), "BAD_FIELD" },
        { "[]", "NOT_AN_OBJECT" },
        { "null", "NOT_AN_OBJECT" },
        { "{\"commit_code\": 1,,}", "MALFORMED_JSON" },
    };

    [Theory]
    [MemberData(nameof(DirtyRows))]
    public void A_dirty_commitment_row_is_rejected_with_its_code(string row, string code)
    {
        var result = Feeds.Map(Feeds.Commitments, row);
        Assert.True(result.Rejection is not null, $"expected {code}, but the row mapped");
        Assert.Equal(code, result.Rejection.Code);
        Assert.Empty(result.Records);
    }

    [Fact]
    public void An_unknown_commitment_type_is_named_with_its_field_and_value()
    {
        var rejection = Feeds.Map(Feeds.Commitments, With(V1Row, "commit_type", "\"09\"")).Rejection!;
        Assert.Contains("commit_type", rejection.Message);
        Assert.Contains("\"09\"", rejection.Message);
    }
}
