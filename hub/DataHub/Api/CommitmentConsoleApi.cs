using System.Globalization;
using System.Reflection;
using DataHub.Core.Linkage;
using DataHub.Core.Pulls;
using DataHub.Schema.V1;
using DataHub.Security;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DataHub.Api;

/// <summary>
/// The console's JSON API for the commitments the linkage tracks (告知承诺 / 容缺受理, /api/console/commitments/…):
/// the pages' view of <see cref="ILinkageStore.ListCommitments"/> and <see cref="ILinkageStore.CommitmentHistory"/>,
/// as <c>LinkageService/ListCommitments</c> is their gRPC face, for the same roles (approval, coordination,
/// super-admin). The caller is the cookie session's or bearer key's agency (<see cref="HttpAuth"/>). A list is
/// audited with its count (and the enterprise when it is filtered to one); opening a commitment discloses the
/// enterprise's data and is audited with its USCC before it leaves.
/// </summary>
internal sealed class CommitmentConsoleApi(Hub hub, LinkageWorkflow linkage, HttpAuth auth, AuditTrail audit)
{
    private const string Root = "/api/console/commitments";
    private const int DefaultPageSize = 20;
    private const int MaxPageSize = 100;
    private const int MaxCodeLength = 128;

    private const string StatePrefix = "COMMITMENT_TRACK_STATE_";
    private const string TypePrefix = "COMMITMENT_TYPE_";
    private const string EventPrefix = "LINKAGE_EVENT_TYPE_";

    /// <summary>The roles of LinkageService/ListCommitments.</summary>
    internal static readonly string[] Readers = [Roles.Approval, Roles.Coordination, Roles.SuperAdmin];

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet(Root, (Func<HttpContext, Task<IResult>>)(c => auth.RunAsync(c, Readers, "commitment list", (a, call) => ListAsync(c, call))))
            .WithSummary("Tracked commitments (告知承诺 / 容缺受理 / 材料核验 / 事后核查), newest first: view=open|failed|all (open: waiting for the applicant; failed: overdue, broken or failed verification), uscc (only that enterprise's), pageSize (1–100), before (the previous page's next). Approval, coordination and super-admin.");
        app.MapGet(Root + "/{code}", (HttpContext c, string code) => auth.RunAsync(c, Readers, "commitment", (a, call) => GetAsync(call, code)))
            .WithSummary("One tracked commitment with its history (every step the linkage took); audited with the enterprise.");
    }

    // ---- reads ----

    private async Task<IResult> ListAsync(HttpContext context, AuditedCall call)
    {
        var q = context.Request.Query;
        IResult Bad(string detail) => HttpAuth.Problem(400, "Bad list parameter", detail);
        var viewText = q["view"].ToString().Trim().ToLowerInvariant();
        CommitmentView? view = viewText switch
        {
            "" or "open" => CommitmentView.Open,
            "failed" => CommitmentView.Failed,
            "all" => CommitmentView.All,
            _ => null,
        };
        if (view is null) return Bad($"view {ApiErrors.Quote(viewText)} is not open, failed or all.");
        int pageSize = DefaultPageSize;
        if (q["pageSize"].ToString() is { Length: > 0 } sizeText && (!int.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxPageSize))
            return Bad($"pageSize {ApiErrors.Quote(sizeText)} must be 1 to {MaxPageSize}.");
        long? before = null;
        if (q["before"].ToString() is { Length: > 0 } beforeText)
        {
            if (!long.TryParse(beforeText, NumberStyles.None, CultureInfo.InvariantCulture, out var b) || b <= 0)
                return Bad($"before {ApiErrors.Quote(beforeText)} is not a position this API gave out (a previous page's next).");
            before = b;
        }
        string? uscc = null;
        if (q["uscc"].ToString().Trim() is { Length: > 0 } usccText)
            uscc = ApiErrors.RequireUscc(usccText, hub.Options.UsccAllowList); // 400 through HttpAuth

        var (commitments, next) = await Task.Run(() => linkage.Store.ListCommitments(view.Value, pageSize, before, uscc));
        var name = viewText.Length == 0 ? "open" : viewText;
        // One enterprise's commitments are a disclosure about it; the whole list names many and is counted.
        await audit.RecordAsync(call, "OK", $"console commitments={commitments.Count} view={name}" + (uscc is null ? "" : " filter=uscc"), uscc ?? "");
        return Results.Json(new
        {
            view = name,
            uscc,
            commitments = commitments.Select(Describe),
            next = next?.ToString(CultureInfo.InvariantCulture),
        }, HttpApi.Json);
    }

    private async Task<IResult> GetAsync(AuditedCall call, string input)
    {
        var code = input.Trim();
        if (code.Length is 0 or > MaxCodeLength)
            return HttpAuth.Problem(400, "Bad commitment code", $"code {ApiErrors.Quote(input)} must be 1 to {MaxCodeLength} characters.");
        var (commitment, history) = await Task.Run(() => (linkage.Store.GetCommitment(code), linkage.Store.CommitmentHistory(code)));
        if (commitment is null)
            return HttpAuth.Problem(404, "No such commitment", $"No tracked commitment has the code {ApiErrors.Quote(code)}. / 未找到该承诺。");
        // The commitment names the enterprise, its case and what it promised: a disclosure, audited before it leaves.
        await audit.RecordAsync(call, "OK", $"console commitment={commitment.Code} state={Name(commitment.State, StatePrefix)} case={commitment.CaseNo}", commitment.Uscc);
        return Results.Json(new
        {
            commitment = Describe(commitment),
            history = history.Select(h =>
            {
                var after = StateAfter(h, commitment);
                return new
                {
                    seq = h.Seq,
                    type = Name(h.Type, EventPrefix),
                    typeText = EventText(h.Type),
                    actor = h.Actor,
                    actorName = h.Actor == PullLifecycle.HubActor ? "数据交换枢纽（系统）" : AgencyName(h.Actor),
                    at = h.At?.ToDateTimeOffset(),
                    detail = h.Detail,
                    state = after is { } s ? Name(s, StatePrefix) : null,
                    stateText = after is { } t ? StateText(t) : null,
                };
            }),
        }, HttpApi.Json);
    }

    // ---- shapes ----

    /// <summary>A commitment as the pages show it.</summary>
    private static object Describe(TrackedCommitment c) => new
    {
        code = c.Code,
        state = Name(c.State, StatePrefix),
        stateText = StateText(c.State),
        type = Name(c.Type, TypePrefix),
        typeText = TypeText(c.Type),
        uscc = c.Uscc,
        enterpriseName = NullIfEmpty(c.EnterpriseName),
        caseNo = NullIfEmpty(c.CaseNo),
        content = NullIfEmpty(c.Content),
        deadline = NullIfEmpty(c.Deadline),
        reminded = c.Reminded,
        verification = NullIfEmpty(c.Verification),
        taskId = NullIfEmpty(c.TaskId),
        source = NullIfEmpty(c.Source),
        sourceId = NullIfEmpty(c.SourceId),
        events = c.Events,
        trackedAt = c.TrackedAt?.ToDateTimeOffset(),
        updatedAt = c.UpdatedAt?.ToDateTimeOffset(),
    };

    /// <summary>
    /// The commitment's state after a step. The store keeps events without their snapshot; the state follows
    /// from the step, or — for the kinds whose state never changes after the first step (材料核验, 事后核查) — is
    /// the current one.
    /// </summary>
    private static CommitmentTrackState? StateAfter(LinkageEvent e, TrackedCommitment current)
    {
        if (e.Commitment is { State: not CommitmentTrackState.Unspecified } snapshot) return snapshot.State;
        return e.Type switch
        {
            LinkageEventType.CommitmentTracked => CommitmentLifecycle.HasDeadline(current.Type) ? CommitmentTrackState.Pending : current.State,
            LinkageEventType.CommitmentVerified => current.State,
            LinkageEventType.CommitmentReminded => CommitmentTrackState.Pending,
            LinkageEventType.CommitmentOverdue => CommitmentTrackState.Overdue,
            LinkageEventType.CommitmentKept => CommitmentTrackState.Kept,
            LinkageEventType.CommitmentBroken => CommitmentTrackState.Broken,
            _ => null,
        };
    }

    internal static string StateText(CommitmentTrackState s) => s switch
    {
        CommitmentTrackState.Pending => "待履行",
        CommitmentTrackState.Kept => "已履诺",
        CommitmentTrackState.Overdue => "逾期未履诺",
        CommitmentTrackState.Broken => "失诺",
        CommitmentTrackState.Verified => "核验通过",
        CommitmentTrackState.VerificationFailed => "核验未通过",
        CommitmentTrackState.PostCheckTasked => "已转事后核查",
        CommitmentTrackState.PostCheckUnrouted => "事后核查待路由",
        _ => "未知",
    };

    internal static string TypeText(CommitmentType t) => t switch
    {
        CommitmentType.MaterialDeferred => "材料延期",
        CommitmentType.MaterialVerified => "材料核验",
        CommitmentType.PostCheck => "事后核查",
        CommitmentType.AcceptedWithGaps => "容缺受理",
        _ => "一般审批",
    };

    internal static string EventText(LinkageEventType t) => t switch
    {
        LinkageEventType.CommitmentTracked => "纳入跟踪",
        LinkageEventType.CommitmentReminded => "履诺提醒（经审批部门转告申请人）",
        LinkageEventType.CommitmentOverdue => "逾期未履诺",
        LinkageEventType.CommitmentKept => "已履诺",
        LinkageEventType.CommitmentBroken => "失诺",
        LinkageEventType.CommitmentVerified => "材料核验",
        _ => "其他",
    };

    /// <summary>An enum value's proto name without its prefix ("COMMITMENT_TRACK_STATE_POST_CHECK_TASKED" → "POST_CHECK_TASKED").</summary>
    internal static string Name<T>(T value, string prefix) where T : struct, Enum
    {
        var original = typeof(T).GetField(value.ToString())?.GetCustomAttribute<OriginalNameAttribute>()?.Name ?? value.ToString();
        return original.StartsWith(prefix, StringComparison.Ordinal) ? original[prefix.Length..] : original;
    }

    private string AgencyName(string id) => auth.Agencies.Agencies.FirstOrDefault(a => a.Id == id)?.Name ?? id;

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;
}
