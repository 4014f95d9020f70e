using DataHub.Adapters;
using DataHub.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DataHub.Api;

/// <summary>
/// The hub's REST/JSON surface on the HTTP port: signed webhook pushes from source systems, and the
/// operators' stats and adapter controls (Kafka Connect's REST API is the model: GET status, PUT
/// pause/resume, POST restart). Operators authenticate with "Authorization: Bearer &lt;API key&gt;" of
/// an agency with the admin role; every admin call is appended to the audit chain. Errors are RFC 9457
/// problem details with a message a person can act on.
/// </summary>
internal sealed class HttpApi(Hub hub, AdapterRunner? runner, WebhookIngest webhooks, AuditTrail audit, TimeProvider time)
{
    /// <summary>camelCase names and enums by name, for people and scripts reading the JSON.</summary>
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/adapters/{source}/webhook", ReceivePushAsync);
        // Cast: a lambda taking only the HttpContext would bind as a RequestDelegate and drop the result.
        app.MapGet("/api/admin/stats", (Func<HttpContext, Task<IResult>>)(c => AsAdminAsync(c, "stats", () => Task.FromResult(Results.Json(Stats())))));
        app.MapGet("/api/admin/adapters", (Func<HttpContext, Task<IResult>>)(c => AsAdminAsync(c, "adapters", () => Task.FromResult(Results.Json(runner?.Statuses() ?? [], Json)))));
        app.MapGet("/api/admin/adapters/{source}/{feed}", (HttpContext c, string source, string feed) =>
            AsAdminAsync(c, $"status {source}/{feed}", () => Task.FromResult(StatusOf($"{source}/{feed}"))));
        app.MapPut("/api/admin/adapters/{source}/{feed}/pause", (HttpContext c, string source, string feed) =>
            AsAdminAsync(c, $"pause {source}/{feed}", () => ControlAsync($"{source}/{feed}", r => r.PauseAsync)));
        app.MapPut("/api/admin/adapters/{source}/{feed}/resume", (HttpContext c, string source, string feed) =>
            AsAdminAsync(c, $"resume {source}/{feed}", () => ControlAsync($"{source}/{feed}", r => r.ResumeAsync)));
        app.MapPost("/api/admin/adapters/{source}/{feed}/restart", (HttpContext c, string source, string feed) =>
            AsAdminAsync(c, $"restart {source}/{feed}", () => ControlAsync($"{source}/{feed}", r => r.RestartAsync)));
    }

    /// <summary>The counts `GET /api/admin/stats` returns: totals, and per source fetched / stored / quarantined.</summary>
    public object Stats()
    {
        var stats = hub.Store.Stats();
        var counts = hub.Store.SourceCounts().ToDictionary(s => s.Source, StringComparer.Ordinal);
        var fetched = hub.Store.AdapterStates().GroupBy(a => a.Source).ToDictionary(g => g.Key, g => g.Sum(a => a.Fetched), StringComparer.Ordinal);
        var sources = counts.Keys.Union(fetched.Keys).Union(SourceSystems.All.Select(s => s.Source)).Order(StringComparer.Ordinal)
            .ToDictionary(s => s, s => new
            {
                fetched = fetched.GetValueOrDefault(s),
                stored = counts.GetValueOrDefault(s)?.Records ?? 0,
                quarantined = counts.GetValueOrDefault(s)?.Quarantined ?? 0,
            });
        var outbox = hub.Store.OutboxCounts().ToDictionary(o => o.Destination, o => new { waiting = o.Waiting, delivered = o.Delivered, failing = o.Failing });
        return new
        {
            records = stats.Records,
            currentRecords = stats.CurrentRecords,
            profiles = stats.Profiles,
            quarantined = stats.Quarantined,
            unresolved = stats.Unresolved,
            sources,
            outbox,
        };
    }

    private IResult StatusOf(string id) =>
        runner?.Status(id) is { } status ? Results.Json(status, Json) : UnknownAdapter(id);

    private async Task<IResult> ControlAsync(string id, Func<AdapterRunner, Func<string, Task<bool>>> action)
    {
        if (runner is null || !await action(runner)(id)) return UnknownAdapter(id);
        return Results.Json(runner.Status(id), Json);
    }

    private IResult UnknownAdapter(string id) => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such adapter",
        detail: $"No adapter '{id}' runs here; GET /api/admin/adapters lists them (an adapter runs when DataHub:Adapters:<source>:BaseAddress is set).");

    /// <summary>Authenticates an admin, runs the action, and audits it with its result.</summary>
    private async Task<IResult> AsAdminAsync(HttpContext context, string action, Func<Task<IResult>> run)
    {
        var call = new AuditedCall($"{context.Request.Method} {context.Request.Path}", context.Request.Headers["X-Purpose"].ToString());
        var header = context.Request.Headers.Authorization.ToString();
        var key = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : "";
        if (key.Length == 0 || hub.Options.Agencies.FindByKey(key) is not { } agency)
        {
            await audit.RecordAsync(call, "UNAUTHENTICATED", action);
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Not authenticated",
                detail: key.Length == 0 ? "Send \"Authorization: Bearer <API key>\" of an agency with the admin role." : "The API key matches no configured agency.");
        }
        call.Agency = agency;
        if (!agency.Roles.Contains(Roles.Admin))
        {
            await audit.RecordAsync(call, "PERMISSION_DENIED", action);
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed",
                detail: $"Agency '{agency.Id}' lacks the admin role that {call.Method} needs.");
        }
        using var lease = agency.RateLimiter.AttemptAcquire();
        if (!lease.IsAcquired)
        {
            await audit.RecordAsync(call, "RESOURCE_EXHAUSTED", action);
            return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
                detail: $"Agency '{agency.Id}' is over its request rate; slow down.");
        }
        var result = await run();
        await audit.RecordAsync(call, result is IStatusCodeHttpResult { StatusCode: >= 400 } ? "NOT_FOUND" : "OK", action);
        return result;
    }

    /// <summary>
    /// A source system's signed push: the body is a JSON array of rows of one feed (the source's first
    /// feed, or ?feed=name). Unsigned or wrongly signed → 401 and nothing stored; each accepted row is
    /// stored or quarantined with its reason, and the answer counts them.
    /// </summary>
    private async Task<IResult> ReceivePushAsync(HttpContext context, string source)
    {
        var system = SourceSystems.Find(source);
        if (system is null)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown source", detail: $"No source system '{source}'; known: {string.Join(", ", SourceSystems.All.Select(s => s.Source))}.");
        var feedName = context.Request.Query["feed"].ToString();
        var feed = feedName.Length == 0 ? system.Feeds[0] : system.Feeds.FirstOrDefault(f => f.Name == feedName);
        if (feed is null)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown feed", detail: $"Source '{source}' has no feed '{feedName}'; its feeds: {string.Join(", ", system.Feeds.Select(f => f.Name))}.");
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var bytes = body.ToArray();
        var call = new AuditedCall($"POST /api/adapters/{source}/webhook", "");
        var secret = hub.Options.Adapters.GetValueOrDefault(source) is { Enabled: true } o ? o.WebhookSecret : "";
        var refusal = secret.Length == 0
            ? $"Source '{source}' has no webhook secret configured (DataHub:Adapters:{source}:WebhookSecret); pushes are refused."
            : WebhookSignature.Verify(secret, context.Request.Headers[WebhookSignature.TimestampHeader], context.Request.Headers[WebhookSignature.SignatureHeader], bytes, time.GetUtcNow());
        if (refusal is not null)
        {
            await audit.RecordAsync(call, "UNAUTHENTICATED", refusal);
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Push refused", detail: refusal);
        }
        IReadOnlyList<Core.Ingest.RecordOutcome> outcomes;
        try
        {
            (outcomes, _) = await webhooks.AcceptAsync(system, feed, bytes, $"webhook {source}/{feed.Name} at {time.GetUtcNow():O}", context.RequestAborted);
        }
        catch (FormatException e)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Push body not understood", detail: e.Message);
        }
        var counts = outcomes.GroupBy(o => o.Kind).ToDictionary(g => g.Key.ToString(), g => g.Count());
        await audit.RecordAsync(call, "OK", $"rows={outcomes.Count} " + string.Join(" ", counts.Select(kv => $"{kv.Key}={kv.Value}")));
        return Results.Json(new
        {
            rows = outcomes.Count,
            outcomes = counts,
            quarantined = outcomes.Where(o => o.Rejection is not null).Select((o, i) => new { o.Rejection!.Code, o.Rejection.Message }).ToList(),
        });
    }
}
