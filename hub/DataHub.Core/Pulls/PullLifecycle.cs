using DataHub.Core.Calendar;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

using DataHub.Core.Workflows;

namespace DataHub.Core.Pulls;

/// <summary>
/// One step of a pull: the pull after it, the event that tells it, a material that joins the library,
/// and when the hub must next look at the pull (reminder or due time; null when nothing is due).
/// </summary>
public sealed record PullStep(DataPull Pull, PullEvent Event, LibraryMaterial? JoinsLibrary = null)
{
    public DateTimeOffset? NextActionAt { get; init; }
}

/// <summary>A material an owner supplied, kept in the e-material library (电子材料库) for the next pull.</summary>
public sealed record LibraryMaterial(string Uscc, string ItemType, PullEvidence Evidence, DateTimeOffset AddedAt);

/// <summary>
/// The state machine of a data pull, pure: each step checks who may take it and in which state,
/// and returns the new pull and its event; nothing here reads a clock or a store.
/// <code>
///   request ─▶ FULFILLED (library)
///           └▶ AWAITING_OWNER ─ fulfil ─▶ FULFILLED ─ rate
///                 │  ▲  (remind, overdue: flags only)
///                 │  └── rule: direct ── IN_COORDINATION ◀─ escalate ─ REFUSED ◀─ refuse ─┘
///                 │                           └─ rule: uphold ─▶ REFUSAL_UPHELD ─ rate
///                 └─ cancel (also from REFUSED, IN_COORDINATION) ─▶ CANCELLED
/// </code>
/// </summary>
public static class PullLifecycle
{
    /// <summary>The actor of steps the hub takes itself (reminders, overdue flags).</summary>
    public const string HubActor = "datahub";

    /// <summary>Reminders go out at 09:00 China time on the working day before the due date.</summary>
    public static readonly TimeOnly ReminderTime = new(9, 0);

    public const int MaxTextLength = 2000;

    /// <summary>Requester, owner of a directed demand, the coordination office and the super-admin studio.</summary>
    public static bool CanSee(DataPull pull, WorkflowActor actor) =>
        pull.Requester == actor.Agency || actor.Oversees ||
        (pull.Owner == actor.Agency && pull.Fulfilment != PullFulfilment.Library);

    /// <summary>A new pull answered at once from the library.</summary>
    public static PullStep FulfilledFromLibrary(string id, PullRequestDraft request, PullEvidence evidence, DateTimeOffset at)
    {
        var pull = request.ToPull(id, at);
        pull.State = PullState.Fulfilled;
        pull.Fulfilment = PullFulfilment.Library;
        pull.Evidence = evidence;
        var source = evidence.SuppliedByPull.Length > 0 ? $"电子材料库（由 {evidence.SuppliedByPull} 提供）" : $"电子证照库（{evidence.SourceRecord?.Source}/{evidence.SourceRecord?.SourceId}）";
        return Step(pull, PullEventType.FulfilledFromLibrary, request.Requester, at, $"从{source}即时调取，SHA-256 {evidence.Sha256}");
    }

    /// <summary>A new pull sent as a directed demand (指向性需求申请) to the owner, due in the item's working days.</summary>
    public static PullStep Demanded(string id, PullRequestDraft request, WorkingDayCalendar calendar, DateTimeOffset at)
    {
        var pull = request.ToPull(id, at);
        pull.State = PullState.AwaitingOwner;
        pull.TimeLimitWorkingDays = (uint)request.Item.TimeLimitWorkingDays;
        pull.DueOn = ChinaDates.Format(calendar.AddWorkingDays(ChinaDates.DateOf(at), request.Item.TimeLimitWorkingDays));
        return Step(pull, PullEventType.Demanded, request.Requester, at,
            $"指向性需求已发送至 {pull.Owner}，{request.Item.TimeLimitWorkingDays} 个工作日内办结，截止 {pull.DueOn}");
    }

    /// <summary>The owner fulfils a directed demand (overdue or not); the material joins the library.</summary>
    public static PullStep Fulfil(DataPull current, WorkflowActor actor, PullEvidence evidence, DateTimeOffset at)
    {
        RequireOwner(current, actor, "fulfil");
        RequireState(current, "fulfil", PullState.AwaitingOwner);
        var pull = current.Clone();
        pull.State = PullState.Fulfilled;
        pull.Fulfilment = PullFulfilment.Owner;
        pull.Evidence = evidence;
        var step = Step(pull, PullEventType.Fulfilled, actor.Agency, at,
            $"已办结{(current.Overdue ? "（逾期办结）" : "")}：{evidence.MediaType} {evidence.Content.Length} 字节，SHA-256 {evidence.Sha256}");
        return step with { JoinsLibrary = new LibraryMaterial(pull.Uscc, pull.ItemType, evidence, at) };
    }

    /// <summary>The owner refuses; both a reason and a legal basis are required.</summary>
    public static PullStep Refuse(DataPull current, WorkflowActor actor, string reason, string legalBasis, DateTimeOffset at)
    {
        RequireOwner(current, actor, "refuse");
        RequireState(current, "refuse", PullState.AwaitingOwner);
        reason = RequireText(reason, "refuse.reason", "why the item cannot be shared");
        legalBasis = RequireText(legalBasis, "refuse.legal_basis", "the law or rule that allows the refusal");
        var pull = current.Clone();
        pull.State = PullState.Refused;
        pull.RefusalReason = reason;
        pull.RefusalLegalBasis = legalBasis;
        return Step(pull, PullEventType.Refused, actor.Agency, at, $"拒绝：{reason}（依据：{legalBasis}）");
    }

    /// <summary>The requester takes a refusal to the coordination office.</summary>
    public static PullStep Escalate(DataPull current, WorkflowActor actor, string reason, DateTimeOffset at)
    {
        RequireRequester(current, actor, "escalate");
        RequireState(current, "escalate", PullState.Refused);
        reason = RequireText(reason, "reason", "why the refusal should not stand");
        var pull = current.Clone();
        pull.State = PullState.InCoordination;
        pull.Escalated = true;
        pull.EscalationReason = reason;
        return Step(pull, PullEventType.Escalated, actor.Agency, at, $"提请市协调办协调：{reason}");
    }

    /// <summary>The coordination office upholds an escalated refusal (closed).</summary>
    public static PullStep UpholdRefusal(DataPull current, WorkflowActor actor, string opinion, DateTimeOffset at)
    {
        RequireCoordination(current, actor);
        RequireState(current, "uphold the refusal of", PullState.InCoordination);
        opinion = RequireText(opinion, "opinion", "the coordination opinion (协同指导意见书)");
        var pull = current.Clone();
        pull.State = PullState.RefusalUpheld;
        pull.RulingOpinion = opinion;
        return Step(pull, PullEventType.RuledRefusalUpheld, actor.Agency, at, $"协调意见：维持拒绝。{opinion}");
    }

    /// <summary>
    /// The coordination office directs the owner to fulfil by a new due date: on an escalated refusal,
    /// or on a demand that went overdue. The reminder and overdue flags start again for the new date.
    /// </summary>
    public static PullStep DirectFulfilment(DataPull current, WorkflowActor actor, string opinion, int workingDays, WorkingDayCalendar calendar, DateTimeOffset at)
    {
        RequireCoordination(current, actor);
        if (!(current.State == PullState.InCoordination || (current.State == PullState.AwaitingOwner && current.Overdue)))
            throw new WorkflowRuleException(WorkflowErrorKind.FailedPrecondition,
                $"Pull {current.Id} is {StateName(current.State)}{(current.State == PullState.AwaitingOwner ? " and not overdue" : "")}; the coordination office directs fulfilment of an escalated refusal (IN_COORDINATION) or an overdue demand.");
        opinion = RequireText(opinion, "opinion", "the coordination opinion (协同指导意见书)");
        if (workingDays is < 1 or > 60) throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument, $"time_limit_working_days is {workingDays}; use 1 to 60 (0 = the catalogue's limit).");
        var pull = current.Clone();
        pull.State = PullState.AwaitingOwner;
        pull.RulingOpinion = opinion;
        pull.TimeLimitWorkingDays = (uint)workingDays;
        pull.DueOn = ChinaDates.Format(calendar.AddWorkingDays(ChinaDates.DateOf(at), workingDays));
        pull.Overdue = false;
        pull.Reminded = false;
        return Step(pull, PullEventType.RuledFulfil, actor.Agency, at, $"协调意见：责成 {pull.Owner} 于 {pull.DueOn} 前办结。{opinion}");
    }

    /// <summary>The requester withdraws a pull that is not closed.</summary>
    public static PullStep Cancel(DataPull current, WorkflowActor actor, string reason, DateTimeOffset at)
    {
        RequireRequester(current, actor, "cancel");
        RequireState(current, "cancel", PullState.AwaitingOwner, PullState.Refused, PullState.InCoordination);
        reason = Trimmed(reason, "reason");
        var pull = current.Clone();
        pull.State = PullState.Cancelled;
        return Step(pull, PullEventType.Cancelled, actor.Agency, at, reason.Length == 0 ? "申请方撤回" : $"申请方撤回：{reason}");
    }

    /// <summary>The requester rates a closed pull, once; 差 needs a comment the owner can act on.</summary>
    public static PullStep Rate(DataPull current, WorkflowActor actor, PullRating rating, string comment, DateTimeOffset at)
    {
        RequireRequester(current, actor, "rate");
        RequireState(current, "rate", PullState.Fulfilled, PullState.RefusalUpheld);
        if (current.Rating != PullRating.Unspecified)
            throw new WorkflowRuleException(WorkflowErrorKind.FailedPrecondition, $"Pull {current.Id} was already rated {RatingName(current.Rating)}; a pull is rated once.");
        if (rating == PullRating.Unspecified) throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument, "rating is missing: GOOD (好), FAIR (中) or POOR (差).");
        comment = Trimmed(comment, "comment");
        if (rating == PullRating.Poor && comment.Length == 0) throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument, "A POOR (差) rating needs a comment saying what went wrong.");
        var pull = current.Clone();
        pull.Rating = rating;
        pull.RatingComment = comment;
        return Step(pull, PullEventType.Rated, actor.Agency, at, $"评价：{RatingName(rating)}{(comment.Length == 0 ? "" : "，" + comment)}");
    }

    /// <summary>The hub reminds the owner (督办) the working day before the due date.</summary>
    public static PullStep Remind(DataPull current, DateTimeOffset at)
    {
        var pull = current.Clone();
        pull.Reminded = true;
        return Step(pull, PullEventType.Reminded, HubActor, at, $"督办：请 {pull.Owner} 于 {pull.DueOn} 前办结");
    }

    /// <summary>The due date passed: flagged overdue and escalated to the coordination office; still answerable.</summary>
    public static PullStep MarkOverdue(DataPull current, DateTimeOffset at)
    {
        var pull = current.Clone();
        pull.Overdue = true;
        pull.Escalated = true;
        return Step(pull, PullEventType.Overdue, HubActor, at, $"已超期（截止 {pull.DueOn}），自动提请市协调办督办");
    }

    /// <summary>
    /// When the hub must next look at the pull: the reminder time, then the end of the due date; null
    /// when nothing is due (answered, closed, or already overdue).
    /// </summary>
    public static DateTimeOffset? NextActionAt(DataPull pull, WorkingDayCalendar calendar)
    {
        if (pull.State != PullState.AwaitingOwner || pull.Overdue) return null;
        var due = ChinaDates.ParseCanonical(pull.DueOn) ?? throw new InvalidOperationException($"Pull {pull.Id} has due date '{pull.DueOn}'.");
        return pull.Reminded ? ChinaDates.EndOf(due) : ReminderAt(due, calendar);
    }

    /// <summary>09:00 China time on the working day before the due date.</summary>
    public static DateTimeOffset ReminderAt(DateOnly due, WorkingDayCalendar calendar) =>
        new(calendar.PreviousWorkingDay(due).ToDateTime(ReminderTime), ChinaDates.Offset);

    /// <summary>The deadline step due at <paramref name="now"/>: overdue first (a reminder after the due date is moot), else the reminder.</summary>
    public static PullStep? DeadlineStep(DataPull pull, DateTimeOffset now, WorkingDayCalendar calendar)
    {
        if (pull.State != PullState.AwaitingOwner || pull.Overdue) return null;
        var due = ChinaDates.ParseCanonical(pull.DueOn)!.Value;
        if (now >= ChinaDates.EndOf(due)) return MarkOverdue(pull, now);
        if (!pull.Reminded && now >= ReminderAt(due, calendar)) return Remind(pull, now);
        return null;
    }

    /// <summary>SHA-256 of the evidence: of the content when an owner supplied it, else of the licence's encoding.</summary>
    public static string EvidenceHash(PullEvidence evidence) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            evidence.Content.Length > 0 ? evidence.Content.Span : evidence.Licence?.ToByteArray() ?? []));

    public static string StateName(PullState state) => state switch
    {
        PullState.AwaitingOwner => "AWAITING_OWNER (待办理)",
        PullState.Fulfilled => "FULFILLED (已办结)",
        PullState.Refused => "REFUSED (已拒绝)",
        PullState.InCoordination => "IN_COORDINATION (协调中)",
        PullState.RefusalUpheld => "REFUSAL_UPHELD (维持拒绝)",
        PullState.Cancelled => "CANCELLED (已撤回)",
        _ => "UNSPECIFIED",
    };

    private static string RatingName(PullRating rating) => rating switch
    {
        PullRating.Good => "好",
        PullRating.Fair => "中",
        PullRating.Poor => "差",
        _ => "未评价",
    };

    private static PullStep Step(DataPull pull, PullEventType type, string actor, DateTimeOffset at, string detail)
    {
        pull.Events++;
        pull.UpdatedAt = Timestamp.FromDateTimeOffset(at);
        var snapshot = pull.Clone();
        // Events stay small: the evidence's bytes are in the pull (GetPull), not in every event.
        if (snapshot.Evidence is { } e) e.Content = ByteString.Empty;
        return new PullStep(pull, new PullEvent
        {
            PullId = pull.Id, Seq = pull.Events, Type = type, Actor = actor, At = Timestamp.FromDateTimeOffset(at), Detail = detail, Pull = snapshot,
            StateAfter = pull.State,
        });
    }

    private static void RequireState(DataPull pull, string action, params PullState[] allowed)
    {
        if (!allowed.Contains(pull.State))
            throw new WorkflowRuleException(WorkflowErrorKind.FailedPrecondition,
                $"Pull {pull.Id} is {StateName(pull.State)}; it can only {action} a pull that is {string.Join(" or ", allowed.Select(StateName))}.");
    }

    private static void RequireOwner(DataPull pull, WorkflowActor actor, string action)
    {
        if (pull.Owner != actor.Agency)
            throw new WorkflowRuleException(WorkflowErrorKind.PermissionDenied, $"Only the owning agency '{pull.Owner}' may {action} pull {pull.Id}; the caller is '{actor.Agency}'.");
    }

    private static void RequireRequester(DataPull pull, WorkflowActor actor, string action)
    {
        if (pull.Requester != actor.Agency)
            throw new WorkflowRuleException(WorkflowErrorKind.PermissionDenied, $"Only the requesting agency '{pull.Requester}' may {action} pull {pull.Id}; the caller is '{actor.Agency}'.");
    }

    private static void RequireCoordination(DataPull pull, WorkflowActor actor)
    {
        if (!actor.Roles.Contains(WorkflowActor.CoordinationRole))
            throw new WorkflowRuleException(WorkflowErrorKind.PermissionDenied, $"Only the coordination office (role coordination) rules on pull {pull.Id}; '{actor.Agency}' does not hold that role.");
    }

    /// <summary>Trims free text and limits its length; <see cref="MaxTextLength"/> characters at most.</summary>
    public static string Trimmed(string? text, string field)
    {
        text = (text ?? "").Trim();
        if (text.Length > MaxTextLength) throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument, $"{field} has {text.Length} characters; at most {MaxTextLength}.");
        return text;
    }

    private static string RequireText(string? text, string field, string what)
    {
        text = Trimmed(text, field);
        return text.Length > 0 ? text : throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument, $"{field} is missing: give {what}.");
    }
}

/// <summary>A checked request: who asks, for which enterprise and catalogue item, and why.</summary>
public sealed record PullRequestDraft(string Requester, string Uscc, PullItemType Item, string Purpose, string CaseReference)
{
    internal DataPull ToPull(string id, DateTimeOffset at) => new()
    {
        Id = id,
        Requester = Requester,
        Uscc = Uscc,
        ItemType = Item.Code,
        ItemName = Item.Name,
        Purpose = Purpose,
        CaseReference = CaseReference,
        Owner = Item.Owner,
        RequestedAt = Timestamp.FromDateTimeOffset(at),
    };
}
