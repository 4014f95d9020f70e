using System.Text.Json.Nodes;
using DataHub.Core.Workflows;
using DataHub.Core.Pulls;
using DataHub.Schema.V1;
using DataHub.Security;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticFiles;
using static DataHub.Api.ConsoleWorkflows;

namespace DataHub.Api;

/// <summary>
/// The console's JSON API for super-admin data pulls (超级管理员数据调取, /api/console/pulls/…): the
/// pages' views of <see cref="DataPullWorkflow"/>, as <see cref="DataPullApi"/> is its gRPC face. The
/// caller is the cookie session's or bearer key's agency (<see cref="HttpAuth"/>: roles, CSRF header
/// on writes, rate limit). Each step the workflow stores is its own audit entry (pull id, event,
/// state), so a successful step is not recorded twice; a refused one is recorded by HttpAuth. Reading
/// a pull or its evidence discloses enterprise data and is audited with the USCC before it leaves.
/// </summary>
internal sealed class PullConsoleApi(Hub hub, DataPullWorkflow pulls, HttpAuth auth, AuditTrail audit)
{
    private const string Root = "/api/console/pulls";
    private const string Subject = "pull";
    private static readonly string[] Rulers = [Roles.Coordination];
    private static readonly JsonFormatter ProtoJson = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));
    private static readonly FileExtensionContentTypeProvider MediaTypes = new();

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet(Root, (Func<HttpContext, Task<IResult>>)(c => Participants(c, "pull list", (_, call) => Task.FromResult(List(c, call)))))
            .WithSummary("Pulls of one view, newest first: view=mine|assigned|overdue|escalated, state=AWAITING_OWNER|FULFILLED|REFUSED|IN_COORDINATION|REFUSAL_UPHELD|CANCELLED, pageSize (1–100), before (the previous page's next).");
        app.MapGet(Root + "/catalogue", (Func<HttpContext, Task<IResult>>)(c => Participants(c, "pull catalogue", (a, _) => Task.FromResult(Catalogue(a)))))
            .WithSummary("The item types the signed-in agency may request: code, name, kind, owner, time limit in working days, legal basis.");
        app.MapGet(Root + "/{id}", (HttpContext c, string id) => Participants(c, "pull", (a, call) => GetAsync(a, call, id)))
            .WithSummary("A pull the agency requested, owns or oversees, with its history, the evidence's metadata (not its bytes) and the steps the agency may take now; audited with the enterprise.");
        app.MapGet(Root + "/{id}/evidence", (HttpContext c, string id) => Participants(c, "pull evidence", (_, call) => EvidenceAsync(call, id)))
            .WithSummary("The evidence of a fulfilled pull as a download (a licence as JSON); audited with the enterprise.");
        app.MapPost(Root, (Func<HttpContext, Task<IResult>>)(c => Participants(c, "pull request", (_, call) => RequestAsync(c, call))))
            .WithSummary("Asks for an item of an enterprise: {uscc, itemType, purpose, caseReference}. FULFILLED at once from the library, or AWAITING_OWNER with a due date.");
        app.MapPost(Root + "/{id}/fulfil", (HttpContext c, string id) => Participants(c, "pull fulfil", (_, call) => FulfilAsync(c, call, id)))
            .WithSummary("The owner fulfils: multipart/form-data with file (and optional validUntil, mediaType, fileName), or JSON {contentBase64, mediaType, fileName, validUntil}.");
        app.MapPost(Root + "/{id}/refuse", (HttpContext c, string id) => Participants(c, "pull refuse", (_, call) => RefuseAsync(c, call, id)))
            .WithSummary("The owner refuses: {reason, legalBasis}, both required.");
        app.MapPost(Root + "/{id}/escalate", (HttpContext c, string id) => Participants(c, "pull escalate", (_, call) => EscalateAsync(c, call, id)))
            .WithSummary("The requester takes a refusal to the coordination office: {reason}.");
        app.MapPost(Root + "/{id}/rule", (HttpContext c, string id) => auth.RunAsync(c, Rulers, "pull rule", (_, call) => RuleAsync(c, call, id)))
            .WithSummary("The coordination office rules: {decision: uphold|direct, opinion, timeLimitWorkingDays (direct; 0 = the catalogue's limit)}.");
        app.MapPost(Root + "/{id}/cancel", (HttpContext c, string id) => Participants(c, "pull cancel", (_, call) => CancelAsync(c, call, id)))
            .WithSummary("The requester withdraws a pull that is not closed: {reason} (optional).");
        app.MapPost(Root + "/{id}/rate", (HttpContext c, string id) => Participants(c, "pull rate", (_, call) => RateAsync(c, call, id)))
            .WithSummary("The requester rates a closed pull once: {rating: good|fair|poor, comment} (a comment is required for poor).");
    }

    private Task<IResult> Participants(HttpContext context, string action, Func<Agency, AuditedCall, Task<IResult>> run) =>
        auth.RunAsync(context, AgencyInterceptor.PullParticipants, action, run);

    // ---- reads ----

    private IResult List(HttpContext context, AuditedCall call)
    {
        var q = context.Request.Query;
        var viewText = q["view"].ToString().Trim().ToLowerInvariant();
        PullView? view = viewText switch
        {
            "" or "mine" => PullView.Mine,
            "assigned" => PullView.AssignedToMe,
            "overdue" => PullView.Overdue,
            "escalated" => PullView.Escalated,
            _ => null,
        };
        if (view is null) return BadListParameter($"view {ApiErrors.Quote(viewText)} is not mine, assigned, overdue or escalated.");
        return Page<PullState>(q, viewText.Length == 0 ? "mine" : viewText, "PULL_STATE_", Subject, "pulls", (state, pageSize, before) =>
        {
            var page = pulls.List(WorkflowCalls.ActorOf(call), view.Value, state, pageSize, before);
            return (page.Pulls.Select(Describe), page.Next);
        });
    }

    private IResult Catalogue(Agency agency)
    {
        var catalogue = pulls.Catalogue;
        return Results.Json(new
        {
            title = catalogue.Title,
            revision = pulls.CatalogueRevision.Revision,
            coordinationOffice = catalogue.CoordinationOffice,
            itemTypes = catalogue.ItemTypes.Where(i => i.RequesterRoles.Any(agency.Roles.Contains)).Select(i => new
            {
                code = i.Code,
                name = i.Name,
                kind = Name(i.Kind, "PULL_ITEM_KIND_"),
                kindText = KindText(i.Kind),
                owner = i.Owner,
                ownerName = AgencyName(i.Owner),
                timeLimitWorkingDays = i.TimeLimitWorkingDays,
                legalBasis = i.LegalBasis,
                dutyItem = i.DutyItem,
                materialValidDays = i.MaterialValidDays,
            }),
        }, HttpApi.Json);
    }

    private async Task<IResult> GetAsync(Agency agency, AuditedCall call, string id)
    {
        if (!TryRead(() => pulls.Get(WorkflowCalls.ActorOf(call), id.Trim()), Subject, out var read, out var problem)) return problem;
        var (pull, history) = read;
        // The pull names the enterprise and may carry its evidence: a disclosure, audited before it leaves.
        await audit.RecordAsync(call, "OK", $"console pull={pull.Id} state={pull.State}", pull.Uscc);
        var json = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(Describe(pull), HttpApi.Json))!.AsObject();
        json["evidence"] = pull.Evidence is { } evidence ? EvidenceMetadata(pull, evidence) : null;
        return Results.Json(new
        {
            pull = json,
            actions = ActionsFor(pull, agency),
            history = history.Select(h => HistoryEntry(auth, h.Seq, Name(h.Type, "PULL_EVENT_TYPE_"), EventText(h.Type), h.Actor, h.At, h.Detail, Name(h.StateAfter, "PULL_STATE_"))),
        }, HttpApi.Json);
    }

    private async Task<IResult> EvidenceAsync(AuditedCall call, string id)
    {
        if (!TryRead(() => pulls.Get(WorkflowCalls.ActorOf(call), id.Trim()).Pull, Subject, out var pull, out var problem)) return problem;
        if (pull.Evidence is not { } evidence)
            return HttpAuth.Problem(404, "No evidence", $"Pull {pull.Id} is {PullLifecycle.StateName(pull.State)} and holds no evidence yet. / 该调取尚未办结，没有可下载的材料。");
        byte[] bytes;
        string mediaType, fileName;
        if (evidence.Content.Length > 0)
        {
            bytes = evidence.Content.ToByteArray();
            mediaType = evidence.MediaType.Length > 0 ? evidence.MediaType : "application/octet-stream";
            fileName = evidence.FileName.Length > 0 ? evidence.FileName : pull.Id + Extension(mediaType);
        }
        else if (evidence.Licence is { } licence)
        {
            bytes = System.Text.Encoding.UTF8.GetBytes(ProtoJson.Format(licence));
            mediaType = "application/json; charset=utf-8";
            fileName = $"{pull.Id}-licence.json";
        }
        else
        {
            return HttpAuth.Problem(404, "No evidence", $"Pull {pull.Id} holds evidence metadata but no content.");
        }
        await audit.RecordAsync(call, "OK", $"console pull evidence pull={pull.Id} sha256={evidence.Sha256} bytes={bytes.Length}", pull.Uscc);
        return new EvidenceFile(bytes, mediaType, fileName, evidence.Sha256);
    }

    /// <summary>The evidence as an attachment that the browser never renders in the console's origin.</summary>
    private sealed class EvidenceFile(byte[] bytes, string mediaType, string fileName, string sha256) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => 200;

        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.Headers["X-Content-Type-Options"] = "nosniff";
            context.Response.Headers["Content-Security-Policy"] = "sandbox";
            context.Response.Headers["Cache-Control"] = "no-store";
            if (sha256.Length > 0) context.Response.Headers["X-Evidence-SHA256"] = sha256;
            return Results.File(bytes, mediaType, fileName).ExecuteAsync(context);
        }
    }

    // ---- steps ----

    private sealed record RequestBody(string? Uscc, string? ItemType, string? Purpose, string? CaseReference);

    private sealed record FulfilBody(string? ContentBase64, string? MediaType, string? FileName, string? ValidUntil);

    private sealed record RefuseBody(string? Reason, string? LegalBasis);

    private sealed record ReasonBody(string? Reason);

    private sealed record RuleBody(string? Decision, string? Opinion, int? TimeLimitWorkingDays);

    private sealed record RateBody(string? Rating, string? Comment);

    private static IResult BadBody(string shape) => HttpAuth.Problem(400, "Bad request body", $"Send a JSON body {shape}. / 请求内容格式不正确。");

    private async Task<IResult> RequestAsync(HttpContext context, AuditedCall call)
    {
        var body = await HttpApi.ReadBodyAsync<RequestBody>(context);
        if (body is null) return BadBody("{\"uscc\", \"itemType\", \"purpose\", \"caseReference\"}");
        // INVALID_ARGUMENT in English and Chinese, as the other services answer (HttpAuth makes it a 400 problem).
        var uscc = ApiErrors.RequireUscc(body.Uscc ?? "", hub.Options.UsccAllowList);
        return await StepAsync(call, a => pulls.RequestAsync(a, uscc, body.ItemType ?? "", body.Purpose ?? "", body.CaseReference ?? "", context.RequestAborted),
            call.Purpose.Length > 0 ? call.Purpose : body.Purpose?.Trim(), created: true);
    }

    private async Task<IResult> FulfilAsync(HttpContext context, AuditedCall call, string id)
    {
        byte[] content;
        string mediaType, fileName, validUntil;
        if (context.Request.HasFormContentType)
        {
            // The form carries one material: the body may be a little larger than the material, not more.
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
                size.MaxRequestBodySize = DataPullWorkflow.MaxMaterialBytes + 256 * 1024;
            IFormCollection form;
            try
            {
                form = await context.Request.ReadFormAsync(context.RequestAborted);
            }
            catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException)
            {
                return HttpAuth.Problem(413, "Upload too large",
                    $"The upload could not be read ({e.Message}); a material may have at most {DataPullWorkflow.MaxMaterialBytes:N0} bytes. / 上传文件过大或不完整。");
            }
            var file = form.Files.GetFile("file") ?? form.Files.FirstOrDefault();
            if (file is null) return HttpAuth.Problem(400, "No file", "Attach the material as the form field 'file'. / 请选择要上传的办结材料文件。");
            if (file.Length > DataPullWorkflow.MaxMaterialBytes)
                return HttpAuth.Problem(400, "File too large", $"fulfil.content has {file.Length:N0} bytes; at most {DataPullWorkflow.MaxMaterialBytes:N0}. / 文件超过大小上限。");
            using (var buffer = new MemoryStream((int)file.Length))
            {
                await file.CopyToAsync(buffer, context.RequestAborted);
                content = buffer.ToArray();
            }
            fileName = form["fileName"].ToString() is { Length: > 0 } named ? named : Path.GetFileName(file.FileName ?? "");
            mediaType = form["mediaType"].ToString() is { Length: > 0 } declared ? declared : GuessMediaType(file.ContentType, fileName);
            validUntil = form["validUntil"].ToString();
        }
        else
        {
            var body = await HttpApi.ReadBodyAsync<FulfilBody>(context);
            if (body is null) return BadBody("{\"contentBase64\", \"mediaType\", \"fileName\", \"validUntil\"} or a multipart/form-data upload with the field 'file'");
            try
            {
                content = Convert.FromBase64String(body.ContentBase64 ?? "");
            }
            catch (FormatException)
            {
                return HttpAuth.Problem(400, "Bad request body", "contentBase64 is not base64. / 材料内容编码不正确。");
            }
            fileName = body.FileName ?? "";
            mediaType = body.MediaType ?? "";
            validUntil = body.ValidUntil ?? "";
        }
        return await StepAsync(call, a => pulls.FulfilAsync(a, id, content, mediaType, fileName, validUntil, context.RequestAborted));
    }

    private async Task<IResult> RefuseAsync(HttpContext context, AuditedCall call, string id)
    {
        var body = await HttpApi.ReadBodyAsync<RefuseBody>(context);
        if (body is null) return BadBody("{\"reason\", \"legalBasis\"}");
        return await StepAsync(call, a => pulls.RefuseAsync(a, id, body.Reason ?? "", body.LegalBasis ?? "", context.RequestAborted));
    }

    private async Task<IResult> EscalateAsync(HttpContext context, AuditedCall call, string id)
    {
        var body = await HttpApi.ReadBodyAsync<ReasonBody>(context);
        if (body is null) return BadBody("{\"reason\"}");
        return await StepAsync(call, a => pulls.EscalateAsync(a, id, body.Reason ?? "", context.RequestAborted));
    }

    private async Task<IResult> RuleAsync(HttpContext context, AuditedCall call, string id)
    {
        var body = await HttpApi.ReadBodyAsync<RuleBody>(context);
        if (body is null) return BadBody("{\"decision\": \"uphold\" or \"direct\", \"opinion\", \"timeLimitWorkingDays\"}");
        var days = body.TimeLimitWorkingDays ?? 0;
        if (days is < 0 or > 1000) return HttpAuth.Problem(400, "Bad request body", $"timeLimitWorkingDays is {days}; use 1 to 60 (0 = the catalogue's limit).");
        return body.Decision?.Trim().ToLowerInvariant() switch
        {
            "uphold" => await StepAsync(call, a => pulls.UpholdRefusalAsync(a, id, body.Opinion ?? "", context.RequestAborted)),
            "direct" => await StepAsync(call, a => pulls.DirectFulfilmentAsync(a, id, body.Opinion ?? "", days, context.RequestAborted)),
            _ => HttpAuth.Problem(400, "Bad request body", $"decision {ApiErrors.Quote(body.Decision ?? "")} is not uphold (维持拒绝) or direct (责成办理)."),
        };
    }

    private async Task<IResult> CancelAsync(HttpContext context, AuditedCall call, string id)
    {
        // The reason is optional: an empty body is a cancel without one.
        var body = context.Request.ContentLength is 0 ? new ReasonBody(null) : await HttpApi.ReadBodyAsync<ReasonBody>(context);
        if (body is null) return BadBody("{\"reason\"}");
        return await StepAsync(call, a => pulls.CancelAsync(a, id, body.Reason ?? "", context.RequestAborted));
    }

    private async Task<IResult> RateAsync(HttpContext context, AuditedCall call, string id)
    {
        var body = await HttpApi.ReadBodyAsync<RateBody>(context);
        if (body is null) return BadBody("{\"rating\": \"good\", \"fair\" or \"poor\", \"comment\"}");
        PullRating? rating = body.Rating?.Trim().ToLowerInvariant() switch
        {
            "good" or "好" => PullRating.Good,
            "fair" or "中" => PullRating.Fair,
            "poor" or "差" => PullRating.Poor,
            _ => null,
        };
        if (rating is null) return HttpAuth.Problem(400, "Bad request body", $"rating {ApiErrors.Quote(body.Rating ?? "")} is not good (好), fair (中) or poor (差).");
        return await StepAsync(call, a => pulls.RateAsync(a, id, rating.Value, body.Comment ?? "", context.RequestAborted));
    }

    private Task<IResult> StepAsync(AuditedCall call, Func<WorkflowActor, Task<DataPull>> step, string? purpose = null, bool created = false) =>
        ConsoleWorkflows.StepAsync(call, Subject, step, Describe, purpose, created);

    // ---- shapes ----

    /// <summary>A pull as the pages show it (the evidence's bytes never; its metadata only in <see cref="GetAsync"/>).</summary>
    private object Describe(DataPull p) => new
    {
        id = p.Id,
        state = Name(p.State, "PULL_STATE_"),
        stateText = StateText(p.State),
        uscc = p.Uscc,
        itemType = p.ItemType,
        itemName = p.ItemName,
        purpose = p.Purpose,
        caseReference = p.CaseReference,
        requester = p.Requester,
        requesterName = AgencyName(p.Requester),
        owner = p.Owner,
        ownerName = AgencyName(p.Owner),
        requestedAt = p.RequestedAt?.ToDateTimeOffset(),
        updatedAt = p.UpdatedAt?.ToDateTimeOffset(),
        dueOn = p.DueOn.Length > 0 ? p.DueOn : null,
        timeLimitWorkingDays = p.TimeLimitWorkingDays,
        overdue = p.Overdue,
        reminded = p.Reminded,
        escalated = p.Escalated,
        fulfilment = p.Fulfilment == PullFulfilment.Unspecified ? null : Name(p.Fulfilment, "PULL_FULFILMENT_"),
        fulfilmentText = p.Fulfilment switch { PullFulfilment.Library => "库内即时调取", PullFulfilment.Owner => "数据提供方办结", _ => null },
        hasEvidence = p.Evidence is not null,
        refusalReason = NullIfEmpty(p.RefusalReason),
        refusalLegalBasis = NullIfEmpty(p.RefusalLegalBasis),
        escalationReason = NullIfEmpty(p.EscalationReason),
        rulingOpinion = NullIfEmpty(p.RulingOpinion),
        rating = p.Rating == PullRating.Unspecified ? null : Name(p.Rating, "PULL_RATING_"),
        ratingText = p.Rating switch { PullRating.Good => "好", PullRating.Fair => "中", PullRating.Poor => "差", _ => null },
        ratingComment = NullIfEmpty(p.RatingComment),
        events = p.Events,
    };

    private static JsonObject EvidenceMetadata(DataPull pull, PullEvidence e) => new()
    {
        ["kind"] = Name(e.Kind, "PULL_ITEM_KIND_"),
        ["kindText"] = KindText(e.Kind),
        ["sha256"] = e.Sha256,
        // What the hash is over: the content's bytes, or the licence message's protobuf encoding.
        ["sha256Of"] = e.Content.Length > 0 ? "content" : "licence-protobuf",
        ["mediaType"] = e.Content.Length > 0 ? e.MediaType : "application/json",
        ["fileName"] = e.Content.Length > 0 ? (e.FileName.Length > 0 ? e.FileName : null) : $"{pull.Id}-licence.json",
        ["size"] = e.Content.Length,
        ["validUntil"] = NullIfEmpty(e.ValidUntil),
        ["suppliedByPull"] = NullIfEmpty(e.SuppliedByPull),
        ["sourceRecord"] = e.SourceRecord is { } l ? JsonNode.Parse(ProtoJson.Format(l)) : null,
        ["licence"] = e.Licence is { } licence ? JsonNode.Parse(ProtoJson.Format(licence)) : null,
        ["download"] = $"{Root}/{Uri.EscapeDataString(pull.Id)}/evidence",
    };

    /// <summary>The steps the agency may take on the pull now (the workflow checks them again).</summary>
    internal static IReadOnlyList<string> ActionsFor(DataPull p, Agency agency)
    {
        var actions = new List<string>();
        bool owner = p.Owner == agency.Id && p.Fulfilment != PullFulfilment.Library, requester = p.Requester == agency.Id;
        bool coordination = agency.Roles.Contains(Roles.Coordination);
        if (owner && p.State == PullState.AwaitingOwner) actions.AddRange(["fulfil", "refuse"]);
        if (requester && p.State == PullState.Refused) actions.Add("escalate");
        if (requester && p.State is PullState.AwaitingOwner or PullState.Refused or PullState.InCoordination) actions.Add("cancel");
        if (requester && p.State is PullState.Fulfilled or PullState.RefusalUpheld && p.Rating == PullRating.Unspecified) actions.Add("rate");
        if (coordination && p.State == PullState.InCoordination) actions.AddRange(["uphold", "direct"]);
        if (coordination && p.State == PullState.AwaitingOwner && p.Overdue) actions.Add("direct");
        return actions;
    }

    private string AgencyName(string id) => ConsoleWorkflows.AgencyName(auth, id);

    internal static string StateText(PullState s) => s switch
    {
        PullState.AwaitingOwner => "待办理",
        PullState.Fulfilled => "已办结",
        PullState.Refused => "已拒绝",
        PullState.InCoordination => "协调中",
        PullState.RefusalUpheld => "维持拒绝",
        PullState.Cancelled => "已撤回",
        _ => "未知",
    };

    internal static string EventText(PullEventType t) => t switch
    {
        PullEventType.FulfilledFromLibrary => "库内即时调取",
        PullEventType.Demanded => "发送指向性需求",
        PullEventType.Reminded => "督办提醒",
        PullEventType.Overdue => "超期督办",
        PullEventType.Fulfilled => "办结",
        PullEventType.Refused => "拒绝",
        PullEventType.Escalated => "提请协调",
        PullEventType.RuledRefusalUpheld => "协调意见：维持拒绝",
        PullEventType.RuledFulfil => "协调意见：责成办理",
        PullEventType.Cancelled => "撤回",
        PullEventType.Rated => "评价",
        _ => "未知",
    };

    private static string KindText(PullItemKind k) => k switch
    {
        PullItemKind.Licence => "电子证照",
        PullItemKind.Material => "电子材料",
        PullItemKind.DataSet => "数据",
        _ => "未知",
    };

    private static string GuessMediaType(string? declared, string fileName)
    {
        declared = (declared ?? "").Trim();
        if (declared.Length > 0 && !declared.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase)) return declared;
        return fileName.Length > 0 && MediaTypes.TryGetContentType(fileName, out var guessed) ? guessed : "application/octet-stream";
    }

    private static string Extension(string mediaType) => mediaType.Split(';')[0].Trim() switch
    {
        "application/pdf" => ".pdf",
        "application/json" => ".json",
        "text/plain" => ".txt",
        "text/csv" => ".csv",
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "application/zip" => ".zip",
        _ => ".bin",
    };
}
