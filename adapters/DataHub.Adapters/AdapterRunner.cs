using DataHub.Core.Ingest;
using DataHub.Schema.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;

namespace DataHub.Adapters;

/// <summary>What an adapter is doing, for operators (Kafka Connect's connector status is the model).</summary>
public enum AdapterRunState
{
    /// <summary>Fetching pages, or waiting for the next poll.</summary>
    Running,
    /// <summary>Paused by an operator; stays paused across restarts until resumed.</summary>
    Paused,
    /// <summary>The last attempt failed after its retries; the adapter tries again after a back-off.</summary>
    BackingOff,
    /// <summary>The hub is stopping.</summary>
    Stopped,
}

/// <summary>One adapter's status: stored position plus what the running loop saw.</summary>
public sealed record AdapterStatus
{
    public required string Id { get; init; }
    public required string Source { get; init; }
    public required string Feed { get; init; }
    public required AdapterRunState State { get; init; }
    public required string Checkpoint { get; init; }
    /// <summary>Rows fetched and stored or quarantined, over the adapter's whole life.</summary>
    public long Fetched { get; init; }
    public DateTimeOffset? LastRunAt { get; init; }
    public DateTimeOffset? LastSuccessAt { get; init; }
    /// <summary>True when the last page said no more rows wait.</summary>
    public bool CaughtUp { get; init; }
    /// <summary>Seconds since the adapter last had read everything the source had (0 when caught up now).</summary>
    public double LagSeconds { get; init; }
    /// <summary>Failed fetches (after retries) since the hub started.</summary>
    public long Errors { get; init; }
    public long Retries { get; init; }
    public string? LastError { get; init; }
    /// <summary>Closed, Open, HalfOpen or Isolated.</summary>
    public required string Circuit { get; init; }
}

/// <summary>
/// Runs every configured feed of every source system: one loop per feed that fetches a page after
/// the stored checkpoint through the source's resilience pipeline, and submits its rows with the new
/// checkpoint to the intake: the ingest pipeline (rows and checkpoint in one transaction) or, in Kafka
/// mode, the raw topic (the checkpoint moves once the brokers have the rows). Rows a mapper cannot read
/// are quarantined by the pipeline; they never stop the loop. Pause, resume and restart are per adapter.
/// </summary>
public sealed class AdapterRunner : IHostedService, IAsyncDisposable
{
    private readonly IRawIntake _intake;
    private readonly IHubStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Dictionary<string, AdapterLoop> _loops = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    // Start, stop, pause, resume and restart one at a time, so a loop is never started twice.
    private readonly SemaphoreSlim _control = new(1, 1);
    private bool _started;

    public AdapterRunner(IEnumerable<ISourceSystem> sources, IReadOnlyDictionary<string, AdapterOptions> options, Func<string, HttpClient> httpClientFor,
        IRawIntake intake, IHubStore store, TimeProvider time, ILogger<AdapterRunner> log)
    {
        _intake = intake;
        _store = store;
        _time = time;
        _log = log;
        foreach (var source in sources)
        {
            if (!options.TryGetValue(source.Source, out var o) || !o.Enabled || o.BaseAddress.Length == 0) continue;
            o.Validate(source.Source);
            var http = httpClientFor(source.Source);
            http.BaseAddress = new Uri(o.BaseAddress);
            // The resilience pipeline times each attempt; HttpClient's own timeout would cut across retries.
            http.Timeout = Timeout.InfiniteTimeSpan;
            var resilience = new Resilience(o.Resilience, time);
            foreach (var feed in source.Feeds)
            {
                var loop = new AdapterLoop(this, source.Source, feed, new FeedClient(http, feed, o.PageSize), resilience, TimeSpan.FromSeconds(o.PollIntervalSeconds));
                _loops.Add(loop.Id, loop);
            }
        }
    }

    /// <summary>The ids of the adapters this hub runs ("source/feed").</summary>
    public IReadOnlyCollection<string> AdapterIds => _loops.Keys;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _control.WaitAsync(cancellationToken);
        try
        {
            _started = true;
            foreach (var loop in _loops.Values) loop.Start();
        }
        finally
        {
            _control.Release();
        }
        _log.LogInformation("Adapters started: {Adapters}", string.Join(", ", _loops.Keys));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _control.WaitAsync(CancellationToken.None);
        try
        {
            _started = false;
            await _stopping.CancelAsync();
            await Task.WhenAll(_loops.Values.Select(l => l.StopAsync()));
        }
        finally
        {
            _control.Release();
        }
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        // The host's container may hold it twice (as itself and as a hosted service).
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await StopAsync(CancellationToken.None);
        foreach (var resilience in _loops.Values.Select(l => l.Resilience).Distinct()) await resilience.DisposeAsync();
        _stopping.Dispose();
        _control.Dispose();
    }

    /// <summary>Every adapter's status, by id.</summary>
    public IReadOnlyList<AdapterStatus> Statuses()
    {
        var stored = _store.AdapterStates().ToDictionary(s => s.AdapterId, StringComparer.Ordinal);
        return _loops.Values.OrderBy(l => l.Id, StringComparer.Ordinal).Select(l => l.Status(stored.GetValueOrDefault(l.Id))).ToList();
    }

    public AdapterStatus? Status(string id) =>
        _loops.TryGetValue(id, out var loop) ? loop.Status(_store.AdapterStates().FirstOrDefault(s => s.AdapterId == id)) : null;

    /// <summary>Pauses an adapter (stored, so it stays paused across restarts). False when there is no such adapter.</summary>
    public Task<bool> PauseAsync(string id) => SwitchAsync(id, paused: true);

    public Task<bool> ResumeAsync(string id) => SwitchAsync(id, paused: false);

    /// <summary>Stops the adapter's loop and starts it again from its stored checkpoint; resets its circuit.</summary>
    public Task<bool> RestartAsync(string id) => ControlAsync(id, async loop =>
    {
        await loop.Resilience.CircuitControl.CloseAsync();
        _log.LogInformation("Adapter {Adapter} restarted", id);
    });

    private Task<bool> SwitchAsync(string id, bool paused) => ControlAsync(id, _ =>
    {
        _store.SetAdapterPaused(id, paused, _time.GetUtcNow());
        _log.LogInformation("Adapter {Adapter} {Action}", id, paused ? "paused" : "resumed");
        return Task.CompletedTask;
    });

    /// <summary>Stops the adapter's loop, applies the change, and starts the loop again if the runner runs.</summary>
    private async Task<bool> ControlAsync(string id, Func<AdapterLoop, Task> change)
    {
        if (!_loops.TryGetValue(id, out var loop)) return false;
        await _control.WaitAsync();
        try
        {
            await loop.StopAsync();
            await change(loop);
            if (_started) loop.Start();
            return true;
        }
        finally
        {
            _control.Release();
        }
    }

    /// <summary>
    /// How long an adapter waits after a failed fetch. An open circuit says how long it stays open; one that
    /// refuses the call without saying (half-open, trying another call) or whose break ended as it refused
    /// (Polly then reports no time, or less) is tried again after a second. Other failures back off,
    /// doubling up to a minute.
    /// </summary>
    internal static TimeSpan WaitAfter(Exception failure, ref TimeSpan backoff)
    {
        if (failure is BrokenCircuitException broken)
            return broken.RetryAfter is { } remaining && remaining > TimeSpan.Zero ? remaining : TimeSpan.FromSeconds(1);
        var wait = backoff;
        backoff = TimeSpan.FromSeconds(Math.Min(60, backoff.TotalSeconds * 2));
        return wait;
    }

    /// <summary>The loop of one feed.</summary>
    private sealed class AdapterLoop(AdapterRunner runner, string source, SourceFeed feed, FeedClient client, Resilience resilience, TimeSpan pollInterval)
    {
        private CancellationTokenSource? _cts;
        private Task _task = Task.CompletedTask;
        private volatile AdapterRunState _state = AdapterRunState.Stopped;
        private DateTimeOffset? _lastRunAt, _lastSuccessAt, _caughtUpAt;
        private bool _caughtUp;
        private long _errors;
        private string? _lastError;

        public string Id { get; } = source + "/" + feed.Name;

        public Resilience Resilience { get; } = resilience;

        public void Start()
        {
            if (_cts is not null) return;
            _cts = CancellationTokenSource.CreateLinkedTokenSource(runner._stopping.Token);
            var token = _cts.Token;
            _task = Task.Run(() => RunAsync(token), CancellationToken.None);
        }

        public async Task StopAsync()
        {
            if (_cts is null) return;
            await _cts.CancelAsync();
            try { await _task; } catch (OperationCanceledException) { }
            _cts.Dispose();
            _cts = null;
            _state = AdapterRunState.Stopped;
        }

        public AdapterStatus Status(StoredAdapterState? stored)
        {
            var now = runner._time.GetUtcNow();
            return new AdapterStatus
            {
                Id = Id,
                Source = source,
                Feed = feed.Name,
                // The stored switch is the truth; the loop notices it when it (re)starts.
                State = stored?.Paused == true ? AdapterRunState.Paused : _state,
                Checkpoint = stored?.Checkpoint ?? "",
                Fetched = stored?.Fetched ?? 0,
                LastRunAt = _lastRunAt,
                LastSuccessAt = _lastSuccessAt,
                CaughtUp = _caughtUp,
                LagSeconds = _caughtUp ? 0 : Math.Round((now - (_caughtUpAt ?? _lastRunAt ?? now)).TotalSeconds, 1),
                Errors = Interlocked.Read(ref _errors),
                Retries = Resilience.Retries,
                LastError = _lastError,
                Circuit = Resilience.Circuit.CircuitState.ToString(),
            };
        }

        private async Task RunAsync(CancellationToken ct)
        {
            var stored = runner._store.AdapterStates().FirstOrDefault(s => s.AdapterId == Id);
            if (stored?.Paused == true)
            {
                _state = AdapterRunState.Paused;
                return;
            }
            var checkpoint = stored?.Checkpoint ?? "";
            _state = AdapterRunState.Running;
            var backoff = TimeSpan.FromSeconds(1);
            while (!ct.IsCancellationRequested)
            {
                _lastRunAt = runner._time.GetUtcNow();
                try
                {
                    var page = await Resilience.Pipeline.ExecuteAsync(static async (state, token) => await state.client.FetchAsync(state.checkpoint, token), (client, checkpoint), ct);
                    var fetchedAt = Timestamp.FromDateTimeOffset(runner._time.GetUtcNow());
                    var raws = page.Rows.Select((row, i) => new RawRecord
                    {
                        Source = source,
                        Format = feed.Mapper.Format,
                        Payload = ByteString.CopyFrom(row),
                        FetchedAt = fetchedAt,
                        Checkpoint = page.Checkpoint,
                        Origin = $"{page.Origin} row {i + 1}",
                    }).ToList();
                    if (raws.Count > 0 || page.Checkpoint != checkpoint)
                    {
                        var (_, summary) = await runner._intake.SubmitAsync(raws, new AdapterPosition(Id, page.Checkpoint, raws.Count), ct);
                        runner._log.LogInformation("Adapter {Adapter}: {Rows} rows, {Stored} stored, {Duplicates} duplicates, {Quarantined} quarantined, {Unresolved} awaiting a name, {Queued} queued on the bus; checkpoint {Checkpoint}",
                            Id, raws.Count, summary.Stored, summary.Duplicates, summary.Quarantined, summary.Unresolved, summary.Queued, page.Checkpoint);
                    }
                    checkpoint = page.Checkpoint;
                    _lastSuccessAt = runner._time.GetUtcNow();
                    _state = AdapterRunState.Running;
                    _lastError = null;
                    backoff = TimeSpan.FromSeconds(1);
                    _caughtUp = !page.HasMore;
                    if (_caughtUp)
                    {
                        _caughtUpAt = _lastSuccessAt;
                        await Task.Delay(pollInterval, runner._time, ct);
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref _errors);
                    _lastError = $"{e.GetType().Name}: {e.Message}";
                    _state = AdapterRunState.BackingOff;
                    _caughtUp = false;
                    var wait = WaitAfter(e, ref backoff);
                    runner._log.LogWarning("Adapter {Adapter} failed ({Error}); next attempt in {Seconds:0.#} s", Id, _lastError, wait.TotalSeconds);
                    try { await Task.Delay(wait, runner._time, ct); } catch (OperationCanceledException) { break; }
                }
            }
            _state = AdapterRunState.Stopped;
        }
    }
}
