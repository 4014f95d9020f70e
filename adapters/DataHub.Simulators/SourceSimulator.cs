using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DataHub.Adapters;
using DataHub.Schema.V1;
using DataHub.Synthetic;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DataHub.Simulators;

/// <summary>
/// One source system as an HTTP service on loopback: each of its feeds at the feed's path, paged the
/// feed's way, in the feed's envelope, with rows written by the feed's writer. Rows are published by
/// the caller (initial load, then changes over time); faults are injected per <see cref="Faults"/>.
/// It remembers every row the client acknowledged — served in a complete answer, then asked beyond by
/// a later request (so the client committed it with its checkpoint) — with the fate the hub should
/// give it, so a test can check the hub's counts exactly.
/// </summary>
public sealed class SourceSimulator : IAsyncDisposable
{
    private readonly object _lock = new();
    private readonly Dictionary<string, FeedTable> _tables;
    private readonly Dictionary<string, (byte[] Body, IReadOnlyList<FeedRow> Rows)> _lastAnswer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ExpectedFate> _served = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ExpectedFate> _maybeServed = new(StringComparer.Ordinal);
    // Rows sent in complete answers that the client has not yet asked beyond, per feed.
    private readonly Dictionary<string, List<FeedRow>> _unacknowledged = new(StringComparer.Ordinal);
    private readonly List<CanonicalRecord> _published = [];
    private readonly Random _random;
    private readonly Action<IEndpointRouteBuilder, SourceSimulator>? _extraEndpoints;
    private WebApplication? _app;
    private long _requests, _faultsInjected, _rowsServed;

    public SourceSimulator(ISourceSystem system, int seed, Action<IEndpointRouteBuilder, SourceSimulator>? extraEndpoints = null)
    {
        System = system;
        _random = new Random(seed);
        _tables = system.Feeds.ToDictionary(f => f.Name, f => new FeedTable(f), StringComparer.Ordinal);
        _extraEndpoints = extraEndpoints;
    }

    public ISourceSystem System { get; }

    public SimulatorFaults Faults { get; set; } = SimulatorFaults.None;

    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    public long Requests => Interlocked.Read(ref _requests);

    public long FaultsInjected => Interlocked.Read(ref _faultsInjected);

    /// <summary>Rows sent in complete answers, repeats included.</summary>
    public long RowsServed => Interlocked.Read(ref _rowsServed);

    /// <summary>Every canonical record published so far (for endpoints that answer questions about them, such as licence verification).</summary>
    public IReadOnlyList<CanonicalRecord> Published
    {
        get { lock (_lock) return _published.ToList(); }
    }

    /// <summary>Rows published so far, over all feeds (versions included).</summary>
    public int RowCount
    {
        get { lock (_lock) return _tables.Values.Sum(t => t.Count); }
    }

    /// <summary>Distinct rows acknowledged by the client (see the class summary), by the fate the hub should give them.</summary>
    public IReadOnlyDictionary<ExpectedFate, int> ServedByFate()
    {
        lock (_lock) return _served.Values.GroupBy(f => f).ToDictionary(g => g.Key, g => g.Count());
    }

    /// <summary>Distinct superseded versions the client may or may not have stored, by fate (not in <see cref="ServedByFate"/>).</summary>
    public IReadOnlyDictionary<ExpectedFate, int> MaybeServedByFate()
    {
        lock (_lock) return _maybeServed.Where(kv => !_served.ContainsKey(kv.Key)).GroupBy(kv => kv.Value).ToDictionary(g => g.Key, g => g.Count());
    }

    /// <summary>Rows served in complete answers that the client has not asked beyond yet.</summary>
    public int Unacknowledged
    {
        get { lock (_lock) return _unacknowledged.Values.Sum(l => l.Count); }
    }


    /// <summary>Every distinct acknowledged row, with its expected fate.</summary>
    public IReadOnlyList<(string Json, ExpectedFate Fate)> ServedRows()
    {
        lock (_lock) return _served.Select(kv => (kv.Key, kv.Value)).ToList();
    }

    /// <summary>
    /// Publishes records: each goes to the feed whose writer carries it, as a new row or a new version.
    /// A share of rows (<see cref="SimulatorFaults.MalformedRows"/>) is published malformed instead.
    /// Records no feed carries are skipped (returns how many were published).
    /// </summary>
    public int Publish(IEnumerable<(CanonicalRecord Record, ExpectedFate Fate)> records)
    {
        int published = 0;
        lock (_lock)
        {
            foreach (var (record, fate) in records)
            {
                var table = _tables.Values.FirstOrDefault(t => t.Feed.Writer.Carries(record));
                if (table is null) continue;
                var row = table.Feed.Writer.Write(record);
                // The ledger counts distinct rows, so a repeated row is simply the same row again: expected stored.
                var rowFate = fate == ExpectedFate.Duplicate ? ExpectedFate.Stored : fate;
                if (Faults.MalformedRows > 0 && _random.NextDouble() < Faults.MalformedRows)
                {
                    row = table.Feed.Writer.Corrupt(row, _random);
                    rowFate = ExpectedFate.Quarantined;
                }
                table.Add(row, record.SourceId, rowFate);
                _published.Add(record);
                published++;
            }
        }
        return published;
    }

    public async Task StartAsync(int port = 0)
    {
        (_app, BaseAddress) = await LoopbackHost.StartAsync(port, app =>
        {
            foreach (var table in _tables.Values)
                app.MapGet(table.Feed.Path.Split('?')[0], (HttpContext context) => ServeAsync(context, table));
            _extraEndpoints?.Invoke(app, this);
        });
    }

    private async Task ServeAsync(HttpContext context, FeedTable table)
    {
        Interlocked.Increment(ref _requests);
        var faults = Faults;
        double roll;
        lock (_lock) roll = _random.NextDouble();
        if ((roll -= faults.ServerErrors) < 0)
        {
            Interlocked.Increment(ref _faultsInjected);
            context.Response.StatusCode = roll < -faults.ServerErrors / 2 ? 500 : 503;
            await context.Response.WriteAsync("{\"code\":\"500\",\"msg\":\"系统繁忙，请稍后重试\"}");
            return;
        }
        if ((roll -= faults.Slow) < 0)
        {
            Interlocked.Increment(ref _faultsInjected);
            try { await Task.Delay(faults.SlowDelay, context.RequestAborted); } catch (OperationCanceledException) { }
            context.Abort();
            return;
        }
        if ((roll -= faults.Resets) < 0)
        {
            Interlocked.Increment(ref _faultsInjected);
            context.Abort();
            return;
        }
        byte[] body;
        IReadOnlyList<FeedRow> rows;
        lock (_lock)
        {
            // A request from a position past a row acknowledges it: the client committed it with that checkpoint.
            if (_unacknowledged.TryGetValue(table.Feed.Name, out var waiting))
            {
                // A version superseded before the client asked beyond it may have been dropped by the client
                // (a timed-out answer) and never served again: it may or may not reach the hub.
                foreach (var row in waiting.Where(r => table.IsBefore(r, context.Request.Query)))
                    if (table.IsSuperseded(row)) _maybeServed.TryAdd(row.Json, row.Fate); else _served.TryAdd(row.Json, row.Fate);
                waiting.RemoveAll(r => table.IsBefore(r, context.Request.Query));
            }
            if ((roll -= faults.RepeatedPages) < 0 && _lastAnswer.TryGetValue(table.Feed.Name, out var last))
            {
                Interlocked.Increment(ref _faultsInjected);
                (body, rows) = last;
            }
            else
            {
                (body, rows) = Answer(context.Request.Query, table);
                _lastAnswer[table.Feed.Name] = (body, rows);
            }
        }
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
        await context.Response.CompleteAsync();
        Interlocked.Add(ref _rowsServed, rows.Count);
        lock (_lock)
        {
            if (!_unacknowledged.TryGetValue(table.Feed.Name, out var waiting)) _unacknowledged[table.Feed.Name] = waiting = [];
            waiting.AddRange(rows.Where(r => !_served.ContainsKey(r.Json)));
        }
    }

    private static (byte[] Body, IReadOnlyList<FeedRow> Rows) Answer(IQueryCollection query, FeedTable table)
    {
        var paging = table.Feed.Paging;
        int limit = int.TryParse(query[paging.LimitParameter], out var l) && l is > 0 and <= 10_000 ? l : 100;
        var root = new JsonObject();
        IReadOnlyList<FeedRow> rows;
        switch (paging)
        {
            case TokenPaging token:
            {
                (rows, var next) = table.PageAfterToken(query[token.TokenParameter].ToString(), limit);
                SetPath(root, token.NextTokenPath, next);
                if (token.HasMorePath is { } more) SetPath(root, more, rows.Count == limit && table.PageAfterToken(next, 1).Rows.Count > 0);
                break;
            }
            case UpdatedSincePaging since:
                rows = table.PageAfterUpdate(query[since.SinceParameter].ToString(), query[since.AfterIdParameter].ToString(), limit);
                break;
            default:
                throw new InvalidOperationException($"Unknown paging {paging.GetType().Name}.");
        }
        // Rows go in verbatim, so the adapter receives exactly the bytes the ledger remembers.
        var placeholder = "\u0001rows\u0001";
        SetPath(root, paging.RowsPath, placeholder);
        var text = root.ToJsonString().Replace(JsonValue.Create(placeholder).ToJsonString(), "[" + string.Join(",", rows.Select(r => r.Json)) + "]");
        return (Encoding.UTF8.GetBytes(text), rows);
    }

    private static void SetPath(JsonObject root, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        var node = root;
        foreach (var part in parts[..^1])
        {
            if (node[part] is not JsonObject child) node[part] = child = new JsonObject();
            node = child;
        }
        node[parts[^1]] = value;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}
