using DataHub.Core.Pulls;
using DataHub.Core.Records;
using DataHub.Core.Workflows;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Embedded.Tests;

/// <summary>The pull store's group commit: steps queued together share a transaction, each in a savepoint of its own.</summary>
public sealed class SqlitePullStoreTests
{
    private static readonly DateTimeOffset Start = new(2026, 9, 14, 9, 0, 0, ChinaDates.Offset);

    [Fact]
    public async Task Steps_committed_together_keep_their_numbers_and_a_failing_step_changes_nothing()
    {
        await using var h = await PullHarness.StartAsync(Start);
        const string uscc = "91330100799655058B";
        var requests = new List<Task<Schema.V1.DataPull>>();
        var missing = new List<Task>();
        var broken = new List<Task>();
        for (int i = 0; i < 300; i++)
        {
            requests.Add(h.Workflow.RequestAsync(PullHarness.Approval, uscc, "DATA-TAX", "核验纳税信用", $"CASE-{i}", CancellationToken.None));
            // Both fail inside the writer's group, beside the requests queued with them.
            if (i % 5 == 0) missing.Add(h.Workflow.CancelAsync(PullHarness.Approval, $"DP-20260914-{900000 + i:D6}", "不再需要", CancellationToken.None));
            // This one fails half-way: its pull row is written, then its missing event throws.
            if (i % 7 == 0) broken.Add(h.Store.CreateAsync(new DateOnly(2026, 9, 14), id => new PullStep(new Schema.V1.DataPull
            {
                Id = id, Requester = "city-approval", Owner = "city-tax", Uscc = uscc, ItemType = "DATA-TAX", UpdatedAt = Timestamp.FromDateTimeOffset(Start),
            }, null!)));
        }
        var pulls = await Task.WhenAll(requests);
        foreach (var task in missing)
            Assert.Equal(WorkflowErrorKind.NotFound, (await Assert.ThrowsAsync<WorkflowRuleException>(() => task)).Kind);
        foreach (var task in broken)
            await Assert.ThrowsAsync<NullReferenceException>(() => task);

        // A failed step leaves no row (its savepoint is rolled back) and takes no number: the stored pulls are numbered 1..300 without a gap.
        Assert.Equal(Enumerable.Range(1, 300).Select(n => $"DP-20260914-{n:D6}"), pulls.Select(p => p.Id).Order(StringComparer.Ordinal));
        var counts = h.Store.Counts();
        Assert.Equal(300, counts.ByState.Values.Sum());
        foreach (var pull in pulls)
        {
            var (stored, history) = h.Workflow.Get(PullHarness.Approval, pull.Id);
            Assert.Equal(pull, stored);
            Assert.Single(history);
        }

        // The writer goes on after the failures.
        var next = await h.Workflow.RequestAsync(PullHarness.Approval, uscc, "DATA-TAX", "核验纳税信用", "CASE-next", CancellationToken.None);
        Assert.Equal("DP-20260914-000301", next.Id);
        var cancelled = await h.Workflow.CancelAsync(PullHarness.Approval, next.Id, "不再需要", CancellationToken.None);
        Assert.Equal(Schema.V1.PullState.Cancelled, cancelled.State);
        Assert.Equal(2, h.Workflow.Get(PullHarness.Approval, next.Id).History.Count);
    }
}
