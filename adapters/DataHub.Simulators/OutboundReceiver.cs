using System.Collections.Concurrent;
using System.Net;
using DataHub.Adapters;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DataHub.Simulators;

/// <summary>
/// A receiving system of an outbound adapter (regulation platform, credit platform, SMS gateway) on
/// loopback: it accepts POSTs at "/{destination}/messages", keeps each idempotency key's first body,
/// answers a repeated key 200 without keeping it again, and can be taken down (503) for a while.
/// </summary>
public sealed class OutboundReceiver : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ReceivedMessage> _received = new(StringComparer.Ordinal);
    private WebApplication? _app;
    private long _repeats, _refused;

    /// <summary>While true, every POST is answered 503 and nothing is kept.</summary>
    public bool Down { get; set; }

    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The URL an outbound adapter for <paramref name="destination"/> posts to.</summary>
    public Uri UrlFor(string destination) => new(BaseAddress, $"{destination}/messages");

    /// <summary>Each message once, by idempotency key.</summary>
    public IReadOnlyCollection<ReceivedMessage> Received => _received.Values.ToList();

    /// <summary>Deliveries of a key already received.</summary>
    public long Repeats => Interlocked.Read(ref _repeats);

    /// <summary>Deliveries refused while down.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    public async Task StartAsync(int port = 0)
    {
        (_app, BaseAddress) = await LoopbackHost.StartAsync(port, app => app.MapPost("/{destination}/messages", async (HttpContext context, string destination) =>
        {
            if (Down)
            {
                Interlocked.Increment(ref _refused);
                return Results.StatusCode(503);
            }
            var key = context.Request.Headers[HttpOutboundAdapter.IdempotencyKeyHeader].ToString();
            if (key.Length == 0) return Results.BadRequest("Idempotency-Key header is required.");
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var message = new ReceivedMessage(destination, key, context.Request.Headers[HttpOutboundAdapter.KindHeader].ToString(), body.ToArray());
            if (!_received.TryAdd(key, message)) Interlocked.Increment(ref _repeats);
            return Results.Ok();
        }));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}

/// <summary>One message as the receiver kept it.</summary>
public sealed record ReceivedMessage(string Destination, string IdempotencyKey, string Kind, byte[] Body);
