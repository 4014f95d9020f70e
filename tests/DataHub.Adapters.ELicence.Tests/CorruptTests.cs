namespace DataHub.Adapters.ELicence.Tests;

public class CorruptTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(42)]
    public void Corrupted_rows_are_rejected_by_the_mapper_and_keep_their_paging_fields(int seed)
    {
        var random = new Random(seed);
        var codes = new HashSet<string>();
        foreach (var (_, record) in RoundTripTests.Generated(0, seed))
        {
            var feed = RoundTripTests.FeedOf(record);
            var row = feed.Writer.Write(record);
            var before = row.ToJsonString();
            var bad = feed.Writer.Corrupt(row, random);

            Assert.Equal(before, row.ToJsonString());
            var result = feed.Mapper.Map(RoundTripTests.Raw(feed, bad));
            Assert.True(result.Rejection is not null, $"corrupted row of {record.SourceId} was mapped: {bad.ToJsonString()}");
            Assert.Empty(result.Records);
            codes.Add(result.Rejection.Code);
            if (feed.Paging is UpdatedSincePaging paging)
            {
                Assert.Equal(row[paging.UpdatedField]?.ToJsonString(), bad[paging.UpdatedField]?.ToJsonString());
                Assert.Equal(row[paging.IdField]?.ToJsonString(), bad[paging.IdField]?.ToJsonString());
            }
        }
        Assert.Superset(new HashSet<string> { "BAD_DATE", "MISSING_FIELD", "UNKNOWN_CODE", "BAD_FIELD" }, codes);
    }
}
