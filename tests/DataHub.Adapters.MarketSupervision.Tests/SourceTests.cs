namespace DataHub.Adapters.MarketSupervision.Tests;

public class SourceTests
{
    [Fact]
    public void The_source_serves_six_feeds_each_with_its_own_format_and_token_paging()
    {
        var source = Feeds.Source;
        Assert.Equal("market-supervision", source.Source);
        Assert.Equal("市场监管信息平台", source.DisplayName);
        Assert.Equal(
            ["registrations", "changes", "penalties", "inspections", "abnormal-operations", "serious-violations"],
            source.Feeds.Select(f => f.Name));
        Assert.All(source.Feeds, feed =>
        {
            Assert.Equal($"market-supervision/{feed.Name}-v1", feed.Mapper.Format);
            var paging = Assert.IsType<TokenPaging>(feed.Paging);
            Assert.Equal("data.list", paging.RowsPath);
            Assert.Equal("data.scrollId", paging.NextTokenPath);
            Assert.StartsWith("/samr/gsxt/v2/", feed.Path);
        });
        Assert.Equal(source.Feeds.Count, source.Feeds.Select(f => f.Path).Distinct().Count());
    }

    [Theory]
    [InlineData("[1, 2]", "NOT_AN_OBJECT")]
    [InlineData("\"企业\"", "NOT_AN_OBJECT")]
    [InlineData("{\"uniscId\": \"9134", "MALFORMED_JSON")]
    [InlineData("", "MALFORMED_JSON")]
    public void Every_feed_rejects_payloads_that_are_not_one_JSON_object(string payload, string code)
    {
        Assert.All(Feeds.Source.Feeds, feed => Assert.Equal(code, Feeds.RejectionCode(feed.Name, payload)));
    }

    [Fact]
    public void Every_feed_rejects_bytes_that_are_not_UTF8()
    {
        Assert.All(Feeds.Source.Feeds, feed =>
            Assert.Equal("NOT_UTF8", feed.Mapper.Map(Feeds.Raw(feed, [0x7B, 0xFF, 0xFE, 0x7D])).Rejection?.Code));
    }

    [Fact]
    public void A_rejection_names_the_row_origin_and_the_field()
    {
        var feed = Feeds.Get("penalties");
        var result = feed.Mapper.Map(Feeds.Raw(feed, "{\"penDecNo\":\"宿迁市监罚〔2025〕1号\",\"penDecIssDate\":\"2025-13-45\"}"u8.ToArray(), "page 3 row 7"));
        Assert.Equal("BAD_DATE", result.Rejection?.Code);
        Assert.StartsWith("page 3 row 7", result.Rejection!.Message);
        Assert.Contains("penDecIssDate", result.Rejection.Message);
    }
}
