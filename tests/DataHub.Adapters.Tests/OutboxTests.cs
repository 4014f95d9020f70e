using DataHub.Core.Outbound;
using DataHub.Schema.V1;
using DataHub.Simulators;
using Microsoft.Extensions.Logging.Abstractions;

namespace DataHub.Adapters.Tests;

public sealed class OutboxTests
{
    [Fact]
    public async Task Delivery_survives_a_receiver_that_is_down_for_a_while_and_the_receiver_sees_each_message_once()
    {
        await using var hub = await AdapterFixture.StartAsync(enterprises: 60, initial: 60, seed: 21);
        await using var receiver = new OutboundReceiver { Down = true };
        await receiver.StartAsync();
        // Pull everything first: penalties and licences stored from other sources become 双公示 messages.
        await using (var runner = hub.NewRunner())
        {
            await runner.StartAsync(default);
            await AdapterFixture.WaitCaughtUpAsync(runner, TimeSpan.FromSeconds(60));
            await runner.StopAsync(default);
        }
        var waiting = hub.Store.OutboxCounts().Single(c => c.Destination == CreditPublicityPolicy.Destination).Waiting;
        Assert.True(waiting > 10, $"licences and penalties should have queued 双公示 messages; {waiting} wait");

        var resilience = new Resilience(new ResilienceOptions { TimeoutSeconds = 2, MaxRetries = 1, RetryDelaySeconds = 0.01, BreakSeconds = 0.5 }, TimeProvider.System);
        var options = new OutboundOptions { MaxRetryDelaySeconds = 0.5 };
        var adapter = new HttpOutboundAdapter(CreditPublicityPolicy.Destination, new HttpClient(), receiver.UrlFor(CreditPublicityPolicy.Destination),
            intent => intent.Payload);
        var dispatcher = new OutboxDispatcher(hub.Store, new Dictionary<string, (IOutboundAdapter, Resilience, OutboundOptions)> { [adapter.Destination] = (adapter, resilience, options) },
            TimeProvider.System, NullLogger<OutboxDispatcher>.Instance) { Interval = TimeSpan.FromMilliseconds(100) };
        await dispatcher.StartAsync(default);
        // Down long enough that every message failed twice (refused, or held back by the open circuit).
        var deadline = DateTime.UtcNow.AddSeconds(20);
        bool AllFailedTwice() => hub.Store.DueOutbox(DateTimeOffset.MaxValue, 100_000).All(m => m.Attempts >= 2);
        while (!AllFailedTwice() && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(AllFailedTwice(), "every message should have failed twice while the receiver was down");
        Assert.True(receiver.Refused > 0);
        Assert.Empty(receiver.Received);
        Assert.True(hub.Store.OutboxCounts().Single().Failing > 0);

        receiver.Down = false;
        deadline = DateTime.UtcNow.AddSeconds(30);
        while (hub.Store.OutboxCounts().Single().Waiting > 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        await dispatcher.StopAsync(default);
        await resilience.DisposeAsync();

        var counts = hub.Store.OutboxCounts().Single();
        Assert.Equal(0, counts.Waiting);
        Assert.Equal(waiting, counts.Delivered);
        Assert.Equal(waiting, receiver.Received.Count);
        Assert.Equal(0, receiver.Repeats);
        // Each message is the stored record it announces (the body function here passes it through).
        Assert.All(receiver.Received, m => Assert.Contains(CanonicalRecord.Parser.ParseFrom(m.Body).BodyCase,
            new[] { CanonicalRecord.BodyOneofCase.Licence, CanonicalRecord.BodyOneofCase.Penalty }));
    }

    [Fact]
    public void Retry_delays_grow_to_their_cap_with_jitter()
    {
        for (int attempt = 1; attempt < 40; attempt++)
        {
            var delay = OutboxDispatcher.RetryDelay(attempt, 300).TotalSeconds;
            var ceiling = Math.Min(300, Math.Pow(2, attempt - 1));
            Assert.InRange(delay, ceiling / 2, ceiling);
        }
    }
}
