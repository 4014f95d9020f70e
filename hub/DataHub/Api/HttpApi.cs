using DataHub.Core.Workflows;
using DataHub.Adapters;
using DataHub.Core.Pulls;
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
internal sealed class HttpApi(Hub hub, AdapterRunner? runner, WebhookIngest webhooks, HttpAuth auth, AuditTrail audit, TimeProvider time, DataPullWorkflow pulls)
{
    private static readonly string[] Admins = [Roles.Admin];

    /// <summary>camelCase names and enums by name, for people and scripts reading the JSON.</summary>
    internal static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/adapters/{source}/webhook", ReceivePushAsync);
        // Cast: a lambda taking only the HttpContext would bind as a RequestDelegate and drop the result.
        app.MapGet("/api/admin/stats", (Func<HttpContext, Task<IResult>>)(c => AsAdminAsync(c, "stats", () => Task.FromResult(Results.Json(Stats(hub))))));
        app.MapGet("/api/admin/adapters", (Func<HttpContext, Task<IResult>>)(c => AsAdminAsync(c, "adapters", () => Task.FromResult(Results.Json(runner?.Statuses() ?? [], Json)))));
        app.MapGet("/api/admin/adapters/{source}/{feed}", (HttpContext c, string source, string feed) =>
            AsAdminAsync(c, $"status {source}/{feed}", () => Task.FromResult(StatusOf($"{source}/{feed}"))));
        app.MapPut("/api/admin/adapters/{source}/{feed}/pause", (HttpContext c, string source, string feed) =>
            AsAdminAsync(c, $"pause {source}/{feed}", () => ControlAsync($"{source}/{feed}", r => r.PauseAsync)));
        app.MapPut("/api/admin/adapters/{source}/{feed}/resume", (HttpContext c, string source, string feed) =>
            AsAdminAsync(c, $"resume {source}/{feed}", () => ControlAsync($"{source}/{feed}", r => r.ResumeAsync)));
        app.MapPost("/api/admin/adapters/{source}/{feed}/restart", (HttpContext c, string source, string feed) =>
            AsAdminAsync(c, $"restart {source}/{feed}", () => ControlAsync($"{source}/{feed}", r => r.RestartAsync)));
        app.MapGet("/api/admin/quarantine", (Func<HttpContext, Task<IResult>>)(c => AsAdminAsync(c, "quarantine list", () => ListQuarantineAsync(c))));
        app.MapPost("/api/admin/quarantine/replay", (Func<HttpContext, Task<IResult>>)(c => AsAdminAsync(c, "quarantine replay", () => ReplayAsync(c))));
        app.MapGet("/api/admin/unresolved", (Func<HttpContext, Task<IResult>>)(c => AsAdminAsync(c, "unresolved list", () => ListUnresolvedAsync(c))));
        app.MapPost("/api/admin/unresolved/link", (Func<HttpContext, Task<IResult>>)(c => auth.RunAsync(c, Admins, "unresolved link", (_, call) => LinkAsync(c, call))));
        app.MapGet("/api/admin/pull-catalogue", (Func<HttpContext, Task<IResult>>)(c => AsAdminAsync(c, "pull catalogue", () => Task.FromResult(Catalogue(c)))))
            .WithSummary("The data-pull catalogue in force (JSON); ETag is its revision.");
        app.MapPut("/api/admin/pull-catalogue", (Func<HttpContext, Task<IResult>>)(c => auth.RunAsync(c, Admins, "pull catalogue update", (_, call) => UpdateCatalogueAsync(c, call))))
            .WithSummary("Replaces the data-pull catalogue; If-Match must carry the revision the edit was made on.");
    }

    private IResult Catalogue(HttpContext context)
    {
        var current = pulls.CatalogueRevision;
        context.Response.Headers.ETag = $"\"{current.Revision}\"";
        context.Response.Headers["X-Catalogue-Edited-By"] = Uri.EscapeDataString(current.EditedBy);
        return Results.Text(current.Document, "application/json; charset=utf-8");
    }

    /// <summary>PUT with If-Match: "&lt;revision&gt;" (optimistic concurrency, as HTTP does it) and the whole document as the body.</summary>
    private async Task<IResult> UpdateCatalogueAsync(HttpContext context, AuditedCall call)
    {
        var match = context.Request.Headers.IfMatch.ToString().Trim().Trim('"');
        if (match.Length == 0)
            return HttpAuth.Problem(StatusCodes.Status428PreconditionRequired, "If-Match required", "Send If-Match with the ETag of the catalogue the edit was made on (GET /api/admin/pull-catalogue).");
        if (!int.TryParse(match, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var revision))
            return HttpAuth.Problem(StatusCodes.Status400BadRequest, "Bad If-Match", $"If-Match {ApiErrors.Quote(match)} is not a catalogue revision.");
        using var reader = new StreamReader(context.Request.Body, System.Text.Encoding.UTF8);
        var document = await reader.ReadToEndAsync(context.RequestAborted);
        try
        {
            var stored = await pulls.UpdateCatalogueAsync(document, revision, WorkflowCalls.ActorOf(call, call.Purpose), context.RequestAborted);
            call.Recorded = true;
            context.Response.Headers.ETag = $"\"{stored.Revision}\"";
            return Results.Text(stored.Document, "application/json; charset=utf-8");
        }
        catch (WorkflowRuleException e) when (e.Kind == WorkflowErrorKind.Aborted)
        {
            return HttpAuth.Problem(StatusCodes.Status412PreconditionFailed, "Catalogue changed", e.Message);
        }
        catch (WorkflowRuleException e)
        {
            return HttpAuth.Problem(StatusCodes.Status400BadRequest, "Catalogue not valid", e.Message);
        }
    }

    /// <summary>The counts `GET /api/admin/stats` returns: totals, and per source fetched / stored / quarantined.</summary>
    public static object Stats(Hub hub)
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

    private Task<IResult> AsAdminAsync(HttpContext context, string action, Func<Task<IResult>> run) =>
        auth.RunAsync(context, Admins, action, (_, _) => run());

    private async Task<IResult> ListQuarantineAsync(HttpContext context)
    {
        bool all = context.Request.Query["all"] == "true";
        int limit = int.TryParse(context.Request.Query["limit"], out var l) ? l : 100;
        if (limit is < 1 or > 1000) return HttpAuth.Problem(400, "Bad limit", $"limit is {limit}; use 1 to 1000.");
        var entries = await Task.Run(() => hub.Store.ListQuarantine(all, limit));
        return Results.Json(new
        {
            entries = entries.Select(e => new
            {
                e.Id, e.Source, e.Format, e.Origin, e.Stage, e.ReasonCode, e.Reason, e.QuarantinedAt, e.ReplayAttempts, e.ReplayedAt,
                payloadText = System.Text.Unicode.Utf8.IsValid(e.Payload) ? System.Text.Encoding.UTF8.GetString(e.Payload) : "base64:" + Convert.ToBase64String(e.Payload),
            }),
        }, Json);
    }

    private sealed record ReplayBody(long[]? Ids);

    private async Task<IResult> ReplayAsync(HttpContext context)
    {
        var body = await ReadBodyAsync<ReplayBody>(context) ?? new ReplayBody(null);
        var waiting = await Task.Run(() => hub.Store.ListQuarantine(false, int.MaxValue));
        var ids = body.Ids ?? [];
        var unknown = ids.Except(waiting.Select(e => e.Id)).ToList();
        if (unknown.Count > 0)
            return HttpAuth.Problem(404, "No such quarantine entry", $"No waiting quarantine entry with id {string.Join(", ", unknown)} (replayed already, or never quarantined).");
        var chosen = ids.Length == 0 ? waiting : waiting.Where(e => ids.Contains(e.Id)).ToList();
        var summary = await hub.Pipeline.ReplayQuarantineAsync(chosen, context.RequestAborted);
        return Results.Json(new { attempted = chosen.Count, replayed = summary.Replayed, stillQuarantined = chosen.Count - summary.Replayed }, Json);
    }

    private async Task<IResult> ListUnresolvedAsync(HttpContext context)
    {
        int limit = int.TryParse(context.Request.Query["limit"], out var l) ? l : 100;
        if (limit is < 1 or > 1000) return HttpAuth.Problem(400, "Bad limit", $"limit is {limit}; use 1 to 1000.");
        var entries = await Task.Run(() => hub.Store.ListUnresolved(limit));
        return Results.Json(new { entries }, Json);
    }

    private sealed record LinkBody(string? Source, string? SourceId, string? Uscc);

    private async Task<IResult> LinkAsync(HttpContext context, AuditedCall call)
    {
        var body = await ReadBodyAsync<LinkBody>(context);
        if (body is not { Source.Length: > 0, SourceId.Length: > 0, Uscc.Length: > 0 })
            return HttpAuth.Problem(400, "Incomplete request", "Send {\"source\", \"sourceId\", \"uscc\"}: the waiting record and the enterprise to attach it to.");
        var uscc = ApiErrors.RequireUscc(body.Uscc, hub.Options.UsccAllowList);
        if (hub.Store.GetProfile(uscc) is null)
            return HttpAuth.Problem(404, "No such enterprise", $"No profile of {uscc}: a record can only be attached to an enterprise the hub knows.");
        var linked = await hub.Pipeline.LinkUnresolvedAsync(body.Source, body.SourceId, uscc, context.RequestAborted);
        if (linked == 0)
            return HttpAuth.Problem(404, "Nothing waiting", $"No record {ApiErrors.Quote(body.SourceId)} of {ApiErrors.Quote(body.Source)} waits for its enterprise.");
        await audit.RecordAsync(call, "OK", $"linked {body.Source}/{body.SourceId} by hand ({linked} version(s))", uscc);
        return Results.Json(new { linked }, Json);
    }

    /// <summary>The JSON body, or null when it is missing or not that shape.</summary>
    internal static async Task<T?> ReadBodyAsync<T>(HttpContext context) where T : class
    {
        try { return await context.Request.ReadFromJsonAsync<T>(Json, context.RequestAborted); }
        catch (System.Text.Json.JsonException) { return null; }
        catch (InvalidOperationException) { return null; }
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
