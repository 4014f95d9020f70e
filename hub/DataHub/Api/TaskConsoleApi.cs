using DataHub.Core.Linkage;
using DataHub.Core.Workflows;
using DataHub.Schema.V1;
using DataHub.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static DataHub.Api.ConsoleWorkflows;

namespace DataHub.Api;

/// <summary>
/// The console's JSON API for approval-regulation linkage tasks (审管联动监管任务, /api/console/tasks/…):
/// the pages' views of <see cref="LinkageWorkflow"/>, as <see cref="LinkageApi"/> is its gRPC face. The
/// caller is the cookie session's or bearer key's agency (<see cref="HttpAuth"/>: roles, CSRF header on
/// writes, rate limit). Each step the workflow stores is its own audit entry (task id, event, state), so
/// a successful step is not recorded twice; a refused one is recorded by HttpAuth. Opening a task, or
/// an enterprise's tasks, discloses enterprise data and is audited with the USCC before it leaves.
/// </summary>
internal sealed class TaskConsoleApi(Hub hub, LinkageWorkflow linkage, HttpAuth auth, AuditTrail audit)
{
    private const string Root = "/api/console/tasks";
    private const string Subject = "task";
    private static readonly string[] Regulators = [Roles.Regulator];

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet(Root, (Func<HttpContext, Task<IResult>>)(c => Participants(c, "task list", (_, call) => Task.FromResult(List(c, call)))))
            .WithSummary("Regulatory tasks (监管任务) of one view, newest first: view=mine|overdue (overdue: not viewed by the view deadline; all tasks for the coordination office and super-admin), state=PENDING_VIEW|VIEWED|RESULT_SUBMITTED, pageSize (1–100), before (the previous page's next).");
        app.MapGet(Root + "/{id}", (HttpContext c, string id) => Participants(c, "task", (a, call) => GetAsync(a, call, id)))
            .WithSummary("A task the agency regulates or oversees, with its history and the steps the agency may take now; audited with the enterprise.");
        app.MapPost(Root + "/{id}/acknowledge", (HttpContext c, string id) => auth.RunAsync(c, Regulators, "task acknowledge", (_, call) => AcknowledgeAsync(c, call, id)))
            .WithSummary("The task's regulator views (认领) it: PENDING_VIEW → VIEWED, overdue or not.");
        app.MapPost(Root + "/{id}/result", (HttpContext c, string id) => auth.RunAsync(c, Regulators, "task result", (_, call) => ResultAsync(c, call, id)))
            .WithSummary("The task's regulator reports the supervision's result (VIEWED only): {outcome: compliant|rectification|revoke, details, finishedOn (YYYY-MM-DD), rectificationDeadline (YYYY-MM-DD, rectification only)}; due 5 working days after finishedOn.");
        app.MapGet("/api/console/profiles/{uscc}/tasks", (HttpContext c, string uscc) => auth.RunAsync(c, AgencyInterceptor.ProfileReaders, "profile tasks", (a, call) => ProfileTasksAsync(a, call, uscc)))
            .WithSummary("Every regulatory task of one enterprise, newest first (the profile's 监管任务 section); needs the profile:regulation scope; audited with the enterprise.");
    }

    private Task<IResult> Participants(HttpContext context, string action, Func<Agency, AuditedCall, Task<IResult>> run) =>
        auth.RunAsync(context, AgencyInterceptor.LinkageParticipants, action, run);

    // ---- reads ----

    private IResult List(HttpContext context, AuditedCall call)
    {
        var q = context.Request.Query;
        var viewText = q["view"].ToString().Trim().ToLowerInvariant();
        TaskView? view = viewText switch
        {
            "" or "mine" => TaskView.Mine,
            "overdue" => TaskView.Overdue,
            _ => null,
        };
        if (view is null) return BadListParameter($"view {ApiErrors.Quote(viewText)} is not mine or overdue.");
        return Page<TaskState>(q, viewText.Length == 0 ? "mine" : viewText, "TASK_STATE_", Subject, "tasks", (state, pageSize, before) =>
        {
            var page = linkage.List(WorkflowCalls.ActorOf(call), view.Value, state, pageSize, before);
            return (page.Tasks.Select(Describe), page.Next);
        });
    }

    private async Task<IResult> GetAsync(Agency agency, AuditedCall call, string id)
    {
        if (!TryRead(() => linkage.Get(WorkflowCalls.ActorOf(call), id.Trim()), Subject, out var read, out var problem)) return problem;
        var (task, history) = read;
        // The task names the enterprise, its approval and the supervision's result: a disclosure, audited before it leaves.
        await audit.RecordAsync(call, "OK", $"console task={task.Id} state={task.State} case={task.CaseNo}", task.Uscc);
        return Results.Json(new
        {
            task = Describe(task),
            actions = ActionsFor(task, agency),
            history = history.Select(h =>
            {
                var entry = HistoryEntry(auth, h.Seq, Name(h.Type, "LINKAGE_EVENT_TYPE_"), EventText(Name(h.Type, "LINKAGE_EVENT_TYPE_")), h.Actor, h.At, h.Detail,
                    StateAfter(h) is { } after ? Name(after, "TASK_STATE_") : null);
                entry["stateText"] = StateAfter(h) is { } s ? StateText(s) : null;
                return entry;
            }),
        }, HttpApi.Json);
    }

    private async Task<IResult> ProfileTasksAsync(Agency agency, AuditedCall call, string input)
    {
        // Tasks and their results belong to the profile's regulation section (as inspections and penalties do).
        ProfileSections.Require(agency, ProfileSection.Regulation);
        var uscc = ApiErrors.RequireUscc(input, hub.Options.UsccAllowList);
        var tasks = await Task.Run(() => linkage.Store.TasksOf(uscc));
        await audit.RecordAsync(call, "OK", $"console profile tasks={tasks.Count}", uscc);
        return Results.Json(new { uscc, tasks = tasks.Select(Describe) }, HttpApi.Json);
    }

    // ---- steps ----

    private sealed record ResultBody(string? Outcome, string? Details, string? FinishedOn, string? RectificationDeadline);

    private Task<IResult> AcknowledgeAsync(HttpContext context, AuditedCall call, string id) =>
        StepAsync(call, a => linkage.AcknowledgeAsync(a, id, context.RequestAborted));

    private async Task<IResult> ResultAsync(HttpContext context, AuditedCall call, string id)
    {
        var body = await HttpApi.ReadBodyAsync<ResultBody>(context);
        if (body is null)
            return HttpAuth.Problem(400, "Bad request body",
                "Send a JSON body {\"outcome\": \"compliant\", \"rectification\" or \"revoke\", \"details\", \"finishedOn\", \"rectificationDeadline\"}. / 请求内容格式不正确。");
        var outcomeText = (body.Outcome ?? "").Trim();
        if (outcomeText.Length == 0)
            return HttpAuth.Problem(400, "Bad request body", "outcome is missing: compliant (符合), rectification (责令整改) or revoke (撤销许可). / 请选择监管结果。");
        var outcome = ParseOutcome(outcomeText);
        if (outcome is null)
            return HttpAuth.Problem(400, "Bad request body", $"outcome {ApiErrors.Quote(outcomeText)} is not compliant (符合), rectification (责令整改) or revoke (撤销许可).");
        var result = new SupervisionResult
        {
            Outcome = outcome.Value,
            Details = body.Details ?? "",
            FinishedOn = body.FinishedOn ?? "",
            RectificationDeadline = body.RectificationDeadline ?? "",
        };
        return await StepAsync(call, a => linkage.SubmitResultAsync(a, id, result, context.RequestAborted));
    }

    private Task<IResult> StepAsync(AuditedCall call, Func<WorkflowActor, Task<RegulatoryTask>> step) =>
        ConsoleWorkflows.StepAsync(call, Subject, step, Describe);

    // ---- shapes ----

    /// <summary>A task as the pages show it.</summary>
    private object Describe(RegulatoryTask t) => new
    {
        id = t.Id,
        state = Name(t.State, "TASK_STATE_"),
        stateText = StateText(t.State),
        uscc = t.Uscc,
        enterpriseName = NullIfEmpty(t.EnterpriseName),
        caseSource = t.CaseSource,
        caseSourceId = t.CaseSourceId,
        caseNo = NullIfEmpty(t.CaseNo),
        approvalItemCode = t.ApprovalItemCode,
        approvalItemName = t.ApprovalItemName,
        regulatoryItemCode = t.RegulatoryItemCode,
        regulatoryItemName = t.RegulatoryItemName,
        regulator = t.Regulator,
        regulatorName = AgencyName(t.Regulator),
        division = t.Division,
        createdAt = t.CreatedAt?.ToDateTimeOffset(),
        caseCompletedAt = t.CaseCompletedAt?.ToDateTimeOffset(),
        viewDueOn = NullIfEmpty(t.ViewDueOn),
        viewedAt = t.ViewedAt?.ToDateTimeOffset(),
        resultDueOn = NullIfEmpty(t.ResultDueOn),
        viewReminded = t.ViewReminded,
        viewOverdue = t.ViewOverdue,
        resultOverdue = t.ResultOverdue,
        result = t.Result is { Outcome: not SupervisionOutcome.Unspecified } r ? new
        {
            outcome = OutcomeName(r.Outcome),
            outcomeText = OutcomeText(r.Outcome),
            details = r.Details,
            finishedOn = NullIfEmpty(r.FinishedOn),
            rectificationDeadline = NullIfEmpty(r.RectificationDeadline),
        } : null,
        events = t.Events,
        updatedAt = t.UpdatedAt?.ToDateTimeOffset(),
        // Fields the linkage's later parts add (事后核查, the permit a revocation concerns, the back loop), when the schema has them.
        commitmentContent = Optional(t, "commitment_content") as string is { Length: > 0 } content ? content : null,
        resultLicenceNo = Optional(t, "result_licence_no") as string is { Length: > 0 } licence ? licence : null,
        revocationReturned = Optional(t, "revocation_returned") as bool? ?? false,
    };

    /// <summary>A task field by its proto name, or null when this schema revision does not have it.</summary>
    private static object? Optional(RegulatoryTask t, string field) => RegulatoryTask.Descriptor.FindFieldByName(field)?.Accessor.GetValue(t);

    /// <summary>The steps the agency may take on the task now (the workflow checks them again).</summary>
    internal static IReadOnlyList<string> ActionsFor(RegulatoryTask t, Agency agency)
    {
        if (t.Regulator != agency.Id || !agency.Roles.Contains(Roles.Regulator)) return [];
        return t.State switch
        {
            TaskState.PendingView => ["acknowledge"],
            TaskState.Viewed => ["result"],
            _ => [],
        };
    }

    private string AgencyName(string id) => ConsoleWorkflows.AgencyName(auth, id);

    /// <summary>The outcome from the console's short names, the proto names, or the Chinese words.</summary>
    internal static SupervisionOutcome? ParseOutcome(string text) => text.Trim().ToUpperInvariant() switch
    {
        "COMPLIANT" or "SUPERVISION_OUTCOME_COMPLIANT" or "符合" or "符合要求" => SupervisionOutcome.Compliant,
        "RECTIFICATION" or "RECTIFICATION_ORDERED" or "SUPERVISION_OUTCOME_RECTIFICATION_ORDERED" or "RECTIFICATIONORDERED" or "责令整改" => SupervisionOutcome.RectificationOrdered,
        "REVOKE" or "REVOKE_PERMIT" or "SUPERVISION_OUTCOME_REVOKE_PERMIT" or "REVOKEPERMIT" or "撤销许可" => SupervisionOutcome.RevokePermit,
        _ => null,
    };

    /// <summary>The console's short name of an outcome (what the result form sends).</summary>
    private static string OutcomeName(SupervisionOutcome o) => o switch
    {
        SupervisionOutcome.Compliant => "compliant",
        SupervisionOutcome.RectificationOrdered => "rectification",
        SupervisionOutcome.RevokePermit => "revoke",
        _ => "unspecified",
    };

    internal static string OutcomeText(SupervisionOutcome o) => o switch
    {
        SupervisionOutcome.Compliant => "符合",
        SupervisionOutcome.RectificationOrdered => "责令整改",
        SupervisionOutcome.RevokePermit => "撤销许可",
        _ => "未知",
    };

    /// <summary>The task's state after a step: the event's snapshot when it has one (the store keeps events without it), else what the step leads to.</summary>
    private static TaskState? StateAfter(LinkageEvent e) => e.Task is { State: not TaskState.Unspecified } t ? t.State : Name(e.Type, "LINKAGE_EVENT_TYPE_") switch
    {
        "TASK_CREATED" or "VIEW_REMINDED" or "VIEW_OVERDUE" => TaskState.PendingView,
        "ACKNOWLEDGED" => TaskState.Viewed,
        "RESULT_SUBMITTED" or "REVOCATION_RETURNED" => TaskState.ResultSubmitted,
        _ => null,
    };

    internal static string StateText(TaskState s) => s switch
    {
        TaskState.PendingView => "待认领",
        TaskState.Viewed => "监管中",
        TaskState.ResultSubmitted => "已反馈",
        _ => "未知",
    };

    /// <summary>A linkage event's label by its proto name (without the prefix); the names the later parts of the linkage add are here too.</summary>
    internal static string EventText(string type) => type switch
    {
        "TASK_CREATED" => "生成并推送监管任务",
        "VIEW_REMINDED" => "认领提醒",
        "VIEW_OVERDUE" => "超期未认领",
        "ACKNOWLEDGED" => "认领",
        "RESULT_SUBMITTED" => "反馈监管结果",
        "REVOCATION_RETURNED" => "撤销许可意见回推审批部门",
        "COMMITMENT_TRACKED" => "告知承诺纳入跟踪",
        "COMMITMENT_REMINDED" => "履诺提醒",
        "COMMITMENT_OVERDUE" => "逾期未履诺",
        "COMMITMENT_KEPT" => "已履诺",
        "COMMITMENT_BROKEN" => "违诺",
        "COMMITMENT_VERIFIED" => "材料核验",
        _ => "其他",
    };
}
