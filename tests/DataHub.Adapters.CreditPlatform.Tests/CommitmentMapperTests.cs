using DataHub.Core.Records;
using DataHub.Schema.V1;
using static DataHub.Adapters.CreditPlatform.Tests.Rows;

namespace DataHub.Adapters.CreditPlatform.Tests;

public class CommitmentMapperTests
{
    private readonly IRecordMapper _mapper = Feed("commitments").Mapper;

    private const string Row = """
        {"code": "32130220240312000057", "subjectName": "宿迁市恒达食品有限公司", "subjectCategory": "法人及非法人组织",
         "identify": "91321300MA1XYZ1234", "commitmentTypeId": "SPTDX", "reason": "申请办理食品经营许可证",
         "content": "申请人承诺在2024-04-30前补齐所需材料。", "liabilityBreachCommitment": "愿意承担违诺责任",
         "commitmentDate": "2024-03-12", "commitmentValidity": "2024-04-30", "fulfillmentStatus": "全部履行",
         "fulfillmentStatusDate": "2024-04-28", "acceptanceUnit": "宿迁市宿城区行政审批局", "publicationType": "可向社会公开",
         "caseNo": "321302202403120001", "updateTime": "2024-04-28 16:20:00", "synthetic": true}
        """;

    [Fact]
    public void A_commitment_row_maps_to_a_commitment_keyed_by_its_code()
    {
        var record = MapOne(_mapper, Row);
        Assert.Equal("CMT-32130220240312000057", record.SourceId);
        Assert.Equal("91321300MA1XYZ1234", record.Uscc);
        Assert.Equal("宿迁市恒达食品有限公司", record.EnterpriseName);
        Assert.Equal(China("2024-03-12 00:00:00"), record.OccurredAt);
        Assert.Equal(China("2024-04-28 16:20:00"), record.UpdatedAt);
        Assert.True(record.Synthetic);
        Assert.Equal(new Commitment
        {
            CommitmentCode = "32130220240312000057",
            CaseNo = "321302202403120001",
            Type = CommitmentType.PostCheck,
            Content = "申请人承诺在2024-04-30前补齐所需材料。",
            CommittedOn = "2024-03-12",
            Deadline = "2024-04-30",
            Status = CommitmentStatus.Kept,
            ResolvedOn = "2024-04-28",
        }, record.Commitment);
    }

    [Theory]
    [InlineData("SPTDX", CommitmentType.PostCheck)]
    [InlineData("1", CommitmentType.PostCheck)]
    [InlineData("容缺受理型", CommitmentType.AcceptedWithGaps)]
    [InlineData("RQSLX", CommitmentType.AcceptedWithGaps)]
    [InlineData("3", CommitmentType.MaterialVerified)]
    [InlineData("其他-材料延期", CommitmentType.MaterialDeferred)]
    [InlineData("XYXFX", CommitmentType.None)]
    [InlineData("主动型", CommitmentType.None)]
    [InlineData("qt", CommitmentType.None)]
    public void The_commitment_type_is_read_by_code_number_or_name(string type, CommitmentType expected)
    {
        var record = MapOne(_mapper, Row.Replace("\"commitmentTypeId\": \"SPTDX\"", $"\"commitmentTypeId\": \"{type}\""));
        Assert.Equal(expected, record.Commitment.Type);
    }

    [Theory]
    [InlineData("\"fulfillmentStatus\": \"全部履行\"", CommitmentStatus.Kept)]
    [InlineData("\"fulfillmentStatus\": \"部分履行\"", CommitmentStatus.Broken)]
    [InlineData("\"fulfillmentStatus\": \"全部未履行\"", CommitmentStatus.Broken)]
    [InlineData("\"fulfillmentStatus\": \"待履行\"", CommitmentStatus.Pending)]
    [InlineData("\"fulfillmentStatus\": \"\"", CommitmentStatus.Unspecified)]
    public void The_fulfilment_status_says_whether_the_commitment_was_kept(string status, CommitmentStatus expected)
    {
        var record = MapOne(_mapper, Row.Replace("\"fulfillmentStatus\": \"全部履行\"", status));
        Assert.Equal(expected, record.Commitment.Status);
    }

    [Theory]
    [InlineData("\"commitmentTypeId\": \"SPTDX\"", "\"commitmentTypeId\": \"99\"", "UNKNOWN_CODE")]
    [InlineData("\"commitmentTypeId\": \"SPTDX\"", "\"commitmentTypeId\": \"\"", "MISSING_FIELD")]
    [InlineData("\"fulfillmentStatus\": \"全部履行\"", "\"fulfillmentStatus\": \"基本履行\"", "UNKNOWN_CODE")]
    [InlineData("\"code\": \"32130220240312000057\",", "", "MISSING_FIELD")]
    [InlineData("\"commitmentDate\": \"2024-03-12\",", "", "MISSING_FIELD")]
    [InlineData("\"commitmentDate\": \"2024-03-12\"", "\"commitmentDate\": \"2024-13-45\"", "BAD_DATE")]
    [InlineData("\"commitmentValidity\": \"2024-04-30\"", "\"commitmentValidity\": \"一年\"", "BAD_DATE")]
    public void Dirty_commitment_rows_are_rejected_with_a_reason(string field, string replacement, string code)
    {
        Assert.Contains(field, Row);
        Assert.Equal(code, Rejection(_mapper, Row.Replace(field, replacement)));
    }

    [Theory]
    [InlineData("42", "NOT_AN_OBJECT")]
    [InlineData("{code: 1}", "MALFORMED_JSON")]
    public void Commitment_payloads_that_are_not_one_JSON_object_are_rejected(string json, string code) =>
        Assert.Equal(code, Rejection(_mapper, json));
}
