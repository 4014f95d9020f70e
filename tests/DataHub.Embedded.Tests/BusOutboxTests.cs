using DataHub.Core.Identifiers;
using DataHub.Core.Ingest;
using DataHub.Core.Records;
using DataHub.Core.Workflows;
using DataHub.Schema.V1;

namespace DataHub.Embedded.Tests;

/// <summary>The workflow store's bus outbox (Kafka mode): every step's event, written with the step, until the relay removes it.</summary>
public sealed class BusOutboxTests
{
    private static readonly DateTimeOffset Start = new(2026, 9, 14, 9, 0, 0, ChinaDates.Offset);

    [Fact]
    public async Task Each_pull_step_waits_in_the_outbox_as_subscribers_get_it_until_relayed()
    {
        await using var h = await PullHarness.StartAsync(Start, relaysToBus: true);
        using var published = h.Bus.Subscribe(Topics.Pulls);
        var uscc = Uscc.Generate(new Random(9), "320100");
        var pull = await h.Workflow.RequestAsync(PullHarness.Approval, uscc, "MAT-FIRE", "施工许可联审（合成测试）", "", CancellationToken.None);
        await h.Workflow.FulfilAsync(PullHarness.Housing, pull.Id, "合成材料"u8.ToArray(), "text/plain", "material.txt", "", CancellationToken.None);

        var outbox = new SqliteBusOutbox(h.Store.Path);
        var waiting = outbox.Next(100);
        var expected = new List<BusMessage>();
        while (published.Reader.TryRead(out var m)) expected.Add(m);
        Assert.Equal(expected.Count, waiting.Count);
        Assert.True(waiting.Count >= 2, "the request and the fulfilment");
        for (int i = 0; i < waiting.Count; i++)
        {
            Assert.Equal(Topics.Pulls, waiting[i].Topic);
            Assert.Equal(pull.Id, waiting[i].Key);
            Assert.Equal(PullEvent.Descriptor.FullName, waiting[i].Type);
            // Byte for byte what the in-process bus delivered: the event with its snapshot of the pull.
            Assert.Equal(expected[i].Value, PullEvent.Parser.ParseFrom(waiting[i].Payload));
        }
        outbox.Remove(waiting[0].Id);
        Assert.Equal(waiting.Skip(1).Select(w => w.Id), outbox.Next(100).Select(w => w.Id));
        outbox.Remove(waiting[^1].Id);
        Assert.Empty(outbox.Next(100));
    }

    [Fact]
    public async Task Without_Kafka_nothing_is_written_to_the_outbox()
    {
        await using var h = await PullHarness.StartAsync(Start);
        await h.Workflow.RequestAsync(PullHarness.Approval, Uscc.Generate(new Random(10), "320100"), "MAT-FIRE", "施工许可联审（合成测试）", "", CancellationToken.None);
        Assert.Empty(new SqliteBusOutbox(h.Store.Path).Next(10));
    }
}
