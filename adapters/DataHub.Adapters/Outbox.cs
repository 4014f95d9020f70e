using System.Net;
using System.Net.Http.Headers;
using DataHub.Core.Ingest;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DataHub.Adapters;

/// <summary>Delivers outbox messages of one destination; throws when the receiver did not acknowledge.</summary>
public interface IOutboundAdapter
{
    string Destination { get; }

    Task DeliverAsync(OutboxMessage message, CancellationToken cancellationToken);
}

/// <summary>
/// POSTs each message to the receiver's URL with its idempotency key in the Idempotency-Key header, so
/// a receiver that sees a retried message again can tell. 2xx acknowledges; 409 (already have it) too.
/// </summary>
public sealed class HttpOutboundAdapter(string destination, HttpClient http, Uri url, Func<OutboxIntent, byte[]> body) : IOutboundAdapter
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const string KindHeader = "X-DataHub-Message-Kind";

    public string Destination { get; } = destination;

    public async Task DeliverAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body(message.Intent)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add(IdempotencyKeyHeader, message.Intent.IdempotencyKey);
        request.Headers.Add(KindHeader, message.Intent.Kind);
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.Conflict) return;
        throw new HttpRequestException($"POST {url} answered {(int)response.StatusCode} {response.ReasonPhrase}.", null, response.StatusCode);
    }
}

/// <summary>
/// Sends what the outbox holds: every second it takes the due messages, hands each to its
/// destination's adapter through that destination's resilience pipeline, and marks it delivered, or
/// failed with the next attempt after an exponential, jittered delay (capped). Messages survive a
/// receiver that is down for any time, and a hub restart; the receiver gets each key until it acknowledges.
/// </summary>
public sealed class OutboxDispatcher(IHubStore store, IReadOnlyDictionary<string, (IOutboundAdapter Adapter, Resilience Resilience, OutboundOptions Options)> destinations,
    TimeProvider time, ILogger<OutboxDispatcher> log) : BackgroundService
{
    /// <summary>How often the outbox is read when it had nothing due.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    private long _delivered, _failed;

    public long Delivered => Interlocked.Read(ref _delivered);

    public long Failed => Interlocked.Read(ref _failed);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            int sent;
            try
            {
                sent = await DispatchDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                log.LogError(e, "Outbox dispatch failed; trying again");
                sent = 0;
            }
            if (sent == 0)
            {
                try { await Task.Delay(Interval, time, stoppingToken); } catch (OperationCanceledException) { break; }
            }
        }
    }

    /// <summary>Sends the messages due now; returns how many were attempted.</summary>
    public async Task<int> DispatchDueAsync(CancellationToken cancellationToken)
    {
        var due = store.DueOutbox(time.GetUtcNow(), 200);
        foreach (var message in due)
        {
            var now = time.GetUtcNow();
            if (!destinations.TryGetValue(message.Intent.Destination, out var target))
            {
                // No receiver configured: keep it, look again in an hour (configuring one and restarting sends it).
                store.MarkOutboxFailed(message.Id, $"no outbound adapter for '{message.Intent.Destination}' is configured", now.AddHours(1));
                continue;
            }
            try
            {
                await target.Resilience.Pipeline.ExecuteAsync(static async (state, ct) => await state.target.Adapter.DeliverAsync(state.message, ct), (target, message), cancellationToken);
                store.MarkOutboxDelivered(message.Id, time.GetUtcNow());
                Interlocked.Increment(ref _delivered);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref _failed);
                var delay = RetryDelay(message.Attempts + 1, target.Options.MaxRetryDelaySeconds);
                store.MarkOutboxFailed(message.Id, $"{e.GetType().Name}: {e.Message}", time.GetUtcNow() + delay);
                log.LogWarning("Outbox message {Id} to {Destination} not delivered ({Error}); attempt {Attempt}, next in {Seconds:0.#} s",
                    message.Id, message.Intent.Destination, e.Message, message.Attempts + 1, delay.TotalSeconds);
            }
        }
        return due.Count;
    }

    /// <summary>1 s, 2 s, 4 s … up to the cap, each between half and the whole of it (jitter spreads retries after an outage).</summary>
    internal static TimeSpan RetryDelay(int attempt, double maxSeconds)
    {
        var ceiling = Math.Min(maxSeconds, Math.Pow(2, Math.Min(attempt - 1, 30)));
        return TimeSpan.FromSeconds(ceiling * (0.5 + Random.Shared.NextDouble() / 2));
    }
}
