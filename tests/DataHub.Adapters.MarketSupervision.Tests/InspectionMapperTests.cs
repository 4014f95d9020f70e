using DataHub.Schema.V1;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Adapters.MarketSupervision.Tests;

public class InspectionMapperTests
{
    private const string V2Row = """
        {
          "taskNo": "SSJ2025321300012", "taskName": "2025年度宿迁市食品行业双随机抽查", "uniscId": "91340000711771143J",
          "entName": "宿迁恒达食品有限公司", "insType": "双随机", "insAuthCn": "宿迁市宿城区市场监督管理局",
          "insDate": "2025-04-10", "insRes": ["2", "A"], "eventTime": "2025-04-10 15:20:00", "updateTime": "2025-04-11 09:00:00",
          "synthetic": true
        }
        """;

    [Fact]
    public void An_inspection_row_with_v2_field_names_maps_codes_and_outcome()
    {
        var record = Feeds.MapOne("inspections", V2Row);

        Assert.Equal("INS-SSJ2025321300012", record.SourceId);
        Assert.Equal(Timestamp.FromDateTimeOffset(Feeds.China(2025, 4, 10, 15, 20)), record.OccurredAt);
        var inspection = record.Inspection;
        Assert.Equal("SSJ2025321300012", inspection.TaskNo);
        Assert.Equal("2025年度宿迁市食品行业双随机抽查", inspection.TaskName);
        Assert.Equal("双随机", inspection.CheckType);
        Assert.Equal("宿迁市宿城区市场监督管理局", inspection.Authority);
        Assert.Equal("2025-04-10", inspection.CheckedOn);
        Assert.Equal(["2", "A"], inspection.ResultCodes);
        Assert.Equal(InspectionOutcome.ProblemFound, inspection.Outcome);
    }

    [Fact]
    public void An_inspection_row_with_v1_field_names_maps_a_check_type_code()
    {
        var record = Feeds.MapOne("inspections", """
            {"task_no": "T1", "uscc": "91340000711771143J", "ent_name": "某公司", "check_type": "2",
             "check_authority": "宿迁市市场监督管理局", "checked_on": "2025/04/10", "check_result_codes": "2,E"}
            """);

        Assert.Equal("定向抽查", record.Inspection.CheckType);
        Assert.Equal(["2", "E"], record.Inspection.ResultCodes);
        Assert.Equal(InspectionOutcome.Corrected, record.Inspection.Outcome);
        Assert.Equal(Timestamp.FromDateTimeOffset(Feeds.China(2025, 4, 10)), record.OccurredAt);
    }

    [Theory]
    [InlineData("[\"1\"]", "1", InspectionOutcome.NoProblem)]
    [InlineData("\"F\"", "F", InspectionOutcome.NoProblem)]
    [InlineData("[\"未发现问题\"]", "1", InspectionOutcome.NoProblem)]
    [InlineData("\"通过登记的住所(经营场所)无法联系\"", "6", InspectionOutcome.NotContactable)]
    [InlineData("[\"2\", \"6\"]", "2,6", InspectionOutcome.NotContactable)]
    [InlineData("\"2、e\"", "2,E", InspectionOutcome.Corrected)]
    [InlineData("[\"发现问题\", \"违反质量技术监督相关规定\"]", "2,4", InspectionOutcome.ProblemFound)]
    [InlineData("[10]", "10", InspectionOutcome.Unspecified)]
    public void Result_codes_and_labels_map_to_codes_and_an_outcome(string results, string codes, InspectionOutcome outcome)
    {
        var record = Feeds.MapOne("inspections", V2Row.Replace("[\"2\", \"A\"]", results));
        Assert.Equal(codes.Split(','), record.Inspection.ResultCodes);
        Assert.Equal(outcome, record.Inspection.Outcome);
    }

    [Theory]
    [InlineData("\"insRes\": [\"2\", \"A\"]", "\"insRes\": [\"2\", \"Z\"]", "UNKNOWN_CODE")]
    [InlineData("\"insRes\": [\"2\", \"A\"]", "\"insRes\": \"13\"", "UNKNOWN_CODE")]
    [InlineData("\"insRes\": [\"2\", \"A\"]", "\"insRes\": []", "MISSING_FIELD")]
    [InlineData("\"insType\": \"双随机\"", "\"insType\": \"9\"", "UNKNOWN_CODE")]
    [InlineData("\"taskNo\": \"SSJ2025321300012\",", "", "MISSING_FIELD")]
    [InlineData("\"insDate\": \"2025-04-10\"", "\"insDate\": \"2025-13-45\"", "BAD_DATE")]
    [InlineData("\"updateTime\": \"2025-04-11 09:00:00\"", "\"updateTime\": \"昨天\"", "BAD_DATE")]
    public void A_dirty_inspection_row_is_rejected_with_a_stable_code(string field, string dirty, string code)
    {
        Assert.Contains(field, V2Row);
        Assert.Equal(code, Feeds.RejectionCode("inspections", V2Row.Replace(field, dirty)));
    }
}
