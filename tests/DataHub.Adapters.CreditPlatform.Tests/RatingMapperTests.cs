using DataHub.Core.Records;
using DataHub.Schema.V1;
using static DataHub.Adapters.CreditPlatform.Tests.Rows;

namespace DataHub.Adapters.CreditPlatform.Tests;

public class RatingMapperTests
{
    private readonly IRecordMapper _mapper = Feed("ratings").Mapper;

    private const string Row = """
        {"rating_id": "CR-91321300MA1XYZ1234-2025", "uscc": "91321300MA1XYZ1234", "ent_name": "宿迁市恒达食品有限公司",
         "rating_system": "市场监管企业信用风险分类", "grade": "A", "grade_name": "信用风险低",
         "rated_on": "2025-03-04 10:15:00", "valid_until": "2026-03-04", "authority": "江苏省市场监督管理局",
         "update_time": "2025-03-05 08:00:00", "synthetic": true}
        """;

    [Fact]
    public void A_rating_row_maps_to_a_credit_rating_with_its_rating_time_and_update_time()
    {
        var record = MapOne(_mapper, Row);
        Assert.Equal(CreditPlatformSource.Name, record.Source);
        Assert.Equal("CR-91321300MA1XYZ1234-2025", record.SourceId);
        Assert.Equal("91321300MA1XYZ1234", record.Uscc);
        Assert.Equal("宿迁市恒达食品有限公司", record.EnterpriseName);
        Assert.Equal(China("2025-03-04 10:15:00"), record.OccurredAt);
        Assert.Equal(China("2025-03-05 08:00:00"), record.UpdatedAt);
        Assert.True(record.Synthetic);
        Assert.Equal(new CreditRating { RatingSystem = "市场监管企业信用风险分类", Grade = "A", RatedOn = "2025-03-04", ValidUntil = "2026-03-04", Authority = "江苏省市场监督管理局" }, record.CreditRating);
        Assert.Equal("", record.ContentHash);
        Assert.Equal(0u, record.SchemaVersion);
    }

    [Theory]
    [InlineData("'grade': 'C'", "C")]
    [InlineData("'grade_name': '信用风险较高'", "C")]
    [InlineData("'grade': 'B级'", "B")]
    [InlineData("'grade': 'Ｄ类'", "D")]
    [InlineData("'grade': 'm'", "M")]
    [InlineData("'grade': '良好'", "良好")]
    public void A_grade_written_as_a_band_name_or_with_a_suffix_is_read_as_its_letter(string gradeField, string expected)
    {
        var record = MapOne(_mapper, J($"{{'rating_id': 'R1', 'uscc': 'X', 'rating_system': '纳税信用', {gradeField}, 'rated_on': '2025-01-02'}}"));
        Assert.Equal(expected, record.CreditRating.Grade);
    }

    [Theory]
    [InlineData("'2025/03/04'", "2025-03-04 00:00:00")]
    [InlineData("'20250304'", "2025-03-04 00:00:00")]
    [InlineData("'2025年3月4日'", "2025-03-04 00:00:00")]
    [InlineData("'2025-03-04T10:15:00+08:00'", "2025-03-04 10:15:00")]
    [InlineData("1741054500000", "2025-03-04 10:15:00")]
    public void The_rating_date_is_read_in_the_forms_providers_write_it(string ratedOn, string occurred)
    {
        var record = MapOne(_mapper, J($"{{'rating_id': 'R1', 'uscc': 'X', 'rating_system': '纳税信用', 'grade': 'A', 'rated_on': {ratedOn}}}"));
        Assert.Equal("2025-03-04", record.CreditRating.RatedOn);
        Assert.Equal(China(occurred), record.OccurredAt);
        Assert.Null(record.UpdatedAt);
        Assert.False(record.Synthetic);
    }

    [Theory]
    [InlineData("９１３２１３００ＭＡ１ＸＹＺ１２３４")]
    [InlineData("91321300ma1xyz1234")]
    [InlineData(" 913213 00MA1XYZ1-234 ")]
    public void A_dirty_USCC_is_passed_on_exactly_as_the_row_has_it(string uscc)
    {
        var record = MapOne(_mapper, J($"{{'rating_id': 'R1', 'uscc': '{uscc}', 'rating_system': '纳税信用', 'grade': 'A', 'rated_on': '2025-01-02'}}"));
        Assert.Equal(uscc, record.Uscc);
    }

    [Fact]
    public void A_row_without_a_USCC_keeps_the_name_as_given_and_an_empty_USCC()
    {
        var record = MapOne(_mapper, J("{'rating_id': 'R1', 'uscc': '', 'ent_name': ' 宿迁市恒达食品有限 公司 ', 'rating_system': '纳税信用', 'grade': 'A', 'rated_on': '2025-01-02'}"));
        Assert.Equal("", record.Uscc);
        Assert.Equal(" 宿迁市恒达食品有限 公司 ", record.EnterpriseName);
    }

    [Theory]
    [InlineData("{'rating_id': 'R1', 'rating_system': 'S', 'grade': 'A', 'rated_on': '2025-13-45'}", "BAD_DATE")]
    [InlineData("{'rating_id': 'R1', 'rating_system': 'S', 'grade': 'A', 'rated_on': '2025-01-02', 'valid_until': '2026-02-30'}", "BAD_DATE")]
    [InlineData("{'rating_system': 'S', 'grade': 'A', 'rated_on': '2025-01-02'}", "MISSING_FIELD")]
    [InlineData("{'rating_id': 'R1', 'rating_system': 'S', 'grade': 'A'}", "MISSING_FIELD")]
    [InlineData("{'rating_id': 'R1', 'rating_system': 'S', 'grade': ' ', 'rated_on': '2025-01-02'}", "MISSING_FIELD")]
    [InlineData("{'rating_id': 'R1', 'grade': 'A', 'rated_on': '2025-01-02'}", "MISSING_FIELD")]
    [InlineData("{'rating_id': 'R1', 'rating_system': 'S', 'grade': {'level': 'A'}, 'rated_on': '2025-01-02'}", "BAD_FIELD")]
    [InlineData("{'rating_id': 'R1', 'rating_system': 'S', 'grade': 'A', 'rated_on': '2025-01-02', 'synthetic': 'maybe'}", "BAD_FIELD")]
    [InlineData("[{'rating_id': 'R1'}]", "NOT_AN_OBJECT")]
    [InlineData("{'rating_id': 'R1', ", "MALFORMED_JSON")]
    public void Dirty_rating_rows_are_rejected_with_a_reason(string json, string code) =>
        Assert.Equal(code, Rejection(_mapper, J(json)));
}
