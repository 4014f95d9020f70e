using static DataHub.Adapters.CreditPlatform.Tests.Rows;

namespace DataHub.Adapters.CreditPlatform.Tests;

public class CreditPlatformSourceTests
{
    [Fact]
    public void The_source_serves_five_feeds_each_paged_by_update_time_with_its_own_format()
    {
        Assert.Equal("credit-platform", Source.Source);
        Assert.False(string.IsNullOrWhiteSpace(Source.DisplayName));
        Assert.Equal(["ratings", "lists", "permits", "penalties", "commitments"], Source.Feeds.Select(f => f.Name));
        foreach (var feed in Source.Feeds)
        {
            Assert.Equal($"credit-platform/{feed.Name}-v1", feed.Mapper.Format);
            var paging = Assert.IsType<UpdatedSincePaging>(feed.Paging);
            Assert.Equal("data.rows", paging.RowsPath);
            Assert.StartsWith("/", feed.Path);
        }
        Assert.Equal(Source.Feeds.Count, Source.Feeds.Select(f => f.Path).Distinct().Count());
    }
}
