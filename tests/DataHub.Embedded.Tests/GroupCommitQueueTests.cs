namespace DataHub.Embedded.Tests;

public sealed class GroupCommitQueueTests
{
    [Fact]
    public async Task Every_item_added_from_many_threads_is_taken_once_in_groups_and_the_writer_stops_after_draining()
    {
        using var queue = new GroupCommitQueue<int>();
        var taken = new List<int>();
        int groups = 0;
        var writer = Task.Factory.StartNew(() =>
        {
            var group = new List<int>();
            while (queue.TakeGroup(group, 64))
            {
                Assert.InRange(group.Count, 1, 64);
                groups++;
                taken.AddRange(group);
                Thread.Sleep(1); // a commit takes a while, and items gather meanwhile
            }
        }, TaskCreationOptions.LongRunning);

        // Producers pause now and then, so the writer also goes to sleep and must be woken.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(p => Task.Run(async () =>
        {
            for (int i = 0; i < 2_000; i++)
            {
                Assert.True(queue.TryAdd(p * 2_000 + i));
                if (i % 500 == 0) await Task.Delay(5);
            }
        })));
        queue.Complete();
        Assert.False(queue.TryAdd(-1), "a completed queue must refuse new items");
        await writer.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Enumerable.Range(0, 16_000), taken.Order());
        Assert.True(groups < taken.Count, $"items should be taken in groups, got {groups} groups for {taken.Count} items");
    }

    [Fact]
    public async Task An_idle_writer_wakes_for_a_single_item()
    {
        using var queue = new GroupCommitQueue<string>();
        var first = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = Task.Factory.StartNew(() =>
        {
            var group = new List<string>();
            while (queue.TakeGroup(group, 10)) first.TrySetResult(group.Single());
        }, TaskCreationOptions.LongRunning);
        await Task.Delay(200); // the writer is asleep by now
        queue.TryAdd("审计");
        Assert.Equal("审计", await first.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        queue.Complete();
        await writer.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
