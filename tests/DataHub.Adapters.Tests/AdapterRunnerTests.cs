using DataHub.Simulators;
using DataHub.Synthetic;

namespace DataHub.Adapters.Tests;

public sealed class AdapterRunnerTests
{
    [Fact]
    public async Task After_a_fault_window_every_served_row_is_stored_or_quarantined_exactly_once()
    {
        await using var hub = await AdapterFixture.StartAsync(enterprises: 120, initial: 90, seed: 11, malformedRows: 0.03);
        hub.Sources.SetFaults(new SimulatorFaults
        {
            ServerErrors = 0.15, Resets = 0.1, RepeatedPages = 0.15, Slow = 0.03, MalformedRows = 0.03, SlowDelay = TimeSpan.FromSeconds(3),
        });
        await using var runner = hub.NewRunner(timeoutSeconds: 0.5);
        await runner.StartAsync(default);
        // Data keeps changing inside the fault window: new enterprises, and updates of published rows.
        for (int i = 0; i < 6; i++)
        {
            await Task.Delay(400);
            hub.Sources.Tick(enterprises: 5, updates: 15);
        }
        await Task.Delay(1000);
        var faulted = hub.Sources.Simulators.Sum(s => s.FaultsInjected);
        hub.Sources.SetFaults(SimulatorFaults.None);
        await AdapterFixture.WaitCaughtUpAsync(runner, TimeSpan.FromSeconds(60));

        Assert.True(faulted > 20, $"the fault window should have injected faults; it injected {faulted}");
        Assert.True(runner.Statuses().Sum(s => s.Retries) > 0, "adapters should have retried transient failures");
        hub.AssertCountExact();
        var stats = hub.Store.Stats();
        Assert.True(stats.Quarantined > 0, "malformed rows and bad check characters should be in quarantine");
        Assert.True(stats.Profiles >= 90, $"profiles of the published enterprises; found {stats.Profiles}");
    }

    [Fact]
    public async Task A_hub_stopped_mid_run_resumes_from_its_checkpoint_with_no_gap_and_no_duplicate()
    {
        await using var hub = await AdapterFixture.StartAsync(enterprises: 100, initial: 100, seed: 12);
        var total = hub.Sources.Simulators.Sum(s => s.RowCount);
        await using (var first = hub.NewRunner(pageSize: 10))
        {
            await first.StartAsync(default);
            while (first.Statuses().Sum(s => s.Fetched) < total / 3) await Task.Delay(20);
            await first.StopAsync(default);
        }
        var stopped = hub.Store.AdapterStates().ToDictionary(s => s.AdapterId);
        Assert.Contains(stopped.Values, s => s.Checkpoint.Length > 0);
        Assert.True(stopped.Values.Sum(s => s.Fetched) < total, "the first run should stop before reading everything");

        // A new process: a new pipeline and runner over the same store.
        await using var second = hub.NewRunner(hub.NewPipeline(), pageSize: 10);
        await second.StartAsync(default);
        await AdapterFixture.WaitCaughtUpAsync(second, TimeSpan.FromSeconds(60));

        hub.AssertCountExact();
        // Without faults every row is fetched once: the resumed run started where the first one committed.
        var served = hub.Sources.Simulators.Sum(s => s.RowsServed);
        Assert.True(second.Statuses().Sum(s => s.Fetched) <= served, "fetched rows never exceed rows served");
        Assert.Equal(total, second.Statuses().Sum(s => s.Fetched));
    }

    [Fact]
    public async Task A_paused_adapter_stays_paused_across_a_restart_until_resumed()
    {
        await using var hub = await AdapterFixture.StartAsync(enterprises: 30, initial: 30, seed: 13);
        const string id = "hotline-12345/work-orders";
        await using (var first = hub.NewRunner())
        {
            Assert.True(await first.PauseAsync(id));
            await first.StartAsync(default);
            Assert.Equal(AdapterRunState.Paused, first.Status(id)!.State);
            await first.StopAsync(default);
        }
        await using var second = hub.NewRunner(hub.NewPipeline());
        await second.StartAsync(default);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (second.Statuses().Any(s => s.Id != id && !s.CaughtUp) && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(second.Status("market-supervision/registrations")!.Fetched > 0, "the other adapters run");
        Assert.Equal(AdapterRunState.Paused, second.Status(id)!.State);
        Assert.Equal(0, second.Status(id)!.Fetched);

        Assert.True(await second.ResumeAsync(id));
        await AdapterFixture.WaitCaughtUpAsync(second, TimeSpan.FromSeconds(30));
        Assert.True(second.Status(id)!.Fetched > 0);
        Assert.False(await second.PauseAsync("no-such/feed"));
        hub.AssertCountExact();
    }

    [Theory]
    [InlineData(2500, 2500)]
    [InlineData(0, 1000)]
    [InlineData(-3, 1000)]
    public void An_open_circuit_is_waited_out_and_one_whose_break_just_ended_is_tried_again_after_a_second(int retryAfterMs, int expectedMs)
    {
        // Polly reports the break's remaining time as it refuses; a break that ends in between leaves zero or less,
        // which a delay would refuse (the adapter's loop died of it once, in a run of this class's restart test).
        var backoff = TimeSpan.FromSeconds(4);
        var failure = new Polly.CircuitBreaker.BrokenCircuitException("the circuit is open", TimeSpan.FromMilliseconds(retryAfterMs));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), AdapterRunner.WaitAfter(failure, ref backoff));
        Assert.Equal(TimeSpan.FromSeconds(4), backoff);
        Assert.Equal(TimeSpan.FromSeconds(1), AdapterRunner.WaitAfter(new Polly.CircuitBreaker.BrokenCircuitException("half open"), ref backoff));
    }

    [Fact]
    public void Other_failures_back_off_doubling_up_to_a_minute()
    {
        var backoff = TimeSpan.FromSeconds(1);
        var waits = Enumerable.Range(0, 8).Select(_ => AdapterRunner.WaitAfter(new HttpRequestException("answered 503"), ref backoff).TotalSeconds);
        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60], waits);
    }

    [Fact]
    public async Task A_restart_closes_an_open_circuit_and_the_adapter_reads_on()
    {
        await using var hub = await AdapterFixture.StartAsync(enterprises: 20, initial: 20, seed: 14);
        hub.Sources.SetFaults(new SimulatorFaults { ServerErrors = 1 });
        await using var runner = hub.NewRunner();
        await runner.StartAsync(default);
        const string id = "e-licence/licences";
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (runner.Status(id)!.Circuit != "Open" && DateTime.UtcNow < deadline) await Task.Delay(50);
        var failing = runner.Status(id)!;
        Assert.Equal("Open", failing.Circuit);
        Assert.Equal(AdapterRunState.BackingOff, failing.State);
        Assert.Matches("answered 50[03]", failing.LastError ?? "");

        hub.Sources.SetFaults(SimulatorFaults.None);
        Assert.True(await runner.RestartAsync(id));
        Assert.NotEqual("Open", runner.Status(id)!.Circuit);
        await AdapterFixture.WaitCaughtUpAsync(runner, TimeSpan.FromSeconds(30));
        hub.AssertCountExact();
    }
}
