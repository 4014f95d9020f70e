namespace DataHub.Adapters.ProvincialPlatform.Tests;

public class ProvincialPlatformSourceTests
{
    [Fact]
    public void The_source_serves_cases_and_commitments_by_incremental_sync_on_the_exchange_time()
    {
        var source = new ProvincialPlatformSource();
        Assert.Equal("provincial-platform", source.Source);
        Assert.Equal(ProvincialPlatformSource.Name, source.Source);
        Assert.Equal("省政务服务一体化平台", source.DisplayName);
        Assert.Equal(["cases", "commitments"], source.Feeds.Select(f => f.Name));
        Assert.Equal(["provincial-platform/cases-v1", "provincial-platform/commitments-v1"], source.Feeds.Select(f => f.Mapper.Format));
        Assert.Equal(source.Feeds.Count, source.Feeds.Select(f => f.Path).Distinct().Count());
        foreach (var feed in source.Feeds)
        {
            var paging = Assert.IsType<UpdatedSincePaging>(feed.Paging);
            Assert.Equal("cd_time", paging.UpdatedField);
            Assert.Equal("data.rows", paging.RowsPath);
            Assert.StartsWith("/", feed.Path);
        }
        Assert.Equal("project_no", ((UpdatedSincePaging)Feeds.Cases.Paging).IdField);
        Assert.Equal("commit_code", ((UpdatedSincePaging)Feeds.Commitments.Paging).IdField);
    }
}
