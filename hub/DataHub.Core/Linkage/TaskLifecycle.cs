using DataHub.Core.Calendar;
using DataHub.Core.Pulls;
using DataHub.Core.Records;
using DataHub.Core.Workflows;
using DataHub.Schema.V1;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Core.Linkage;

/// <summary>One step of a regulatory task: the task after it, its event, and when the hub must next look at it.</summary>
public sealed record TaskStep(RegulatoryTask Task, LinkageEvent Event)
{
    public DateTimeOffset? NextActionAt { get; init; }
}

/// <summary>
/// The life of a regulatory task (监管任务), pure: created from a completed approval case for the
/// division the catalogue links, viewed within 3 working days (reminded the working day before,
/// flagged overdue after), then the result reported — due 5 working days after the supervision
/// finished [002 §二(三)9–10].
/// </summary>
public static class TaskLifecycle
{
    public const int ViewWorkingDays = 3;
    public const int ResultWorkingDays = 5;

    /// <summary>A task's id follows from its case ("RT-" + 办件编号), so the same case can never make two tasks.</summary>
    public static string TaskIdFor(CanonicalRecord caseRecord) =>
        caseRecord.ApprovalCase.CaseNo.Trim() is { Length: > 0 } caseNo ? "RT-" + caseNo : $"RT-{caseRecord.Source}-{caseRecord.SourceId}";

    /// <summary>The regulator the task is for, and the coordination office and super-admin studio.</summary>
    public static bool CanSee(RegulatoryTask task, WorkflowActor actor) => task.Regulator == actor.Agency || actor.Oversees;

    /// <summary>Whether a stored case record is one that makes a task: an approval that completed (已办结), with its enterprise known.</summary>
    public static bool IsCompletedApproval(CanonicalRecord record) =>
        record.BodyCase == CanonicalRecord.BodyOneofCase.ApprovalCase && record.ApprovalCase.Stage == CaseStage.Completed && record.Uscc.Length > 0;

    public static TaskStep Created(CanonicalRecord caseRecord, LinkageRule rule, WorkingDayCalendar calendar, DateTimeOffset at)
    {
        var c = caseRecord.ApprovalCase;
        var task = new RegulatoryTask
        {
            Id = TaskIdFor(caseRecord),
            Uscc = caseRecord.Uscc,
            EnterpriseName = caseRecord.EnterpriseName,
            CaseSource = caseRecord.Source,
            CaseSourceId = caseRecord.SourceId,
            CaseNo = c.CaseNo,
            ApprovalItemCode = c.ItemCode,
            ApprovalItemName = c.ItemName.Length > 0 ? c.ItemName : rule.ApprovalItemName,
            RegulatoryItemCode = rule.RegulatoryItemCode,
            RegulatoryItemName = rule.RegulatoryItemName,
            Regulator = rule.Regulator,
            Division = rule.Division,
            State = TaskState.PendingView,
            CreatedAt = Timestamp.FromDateTimeOffset(at),
            CaseCompletedAt = c.CompletedAt,
            ResultLicenceNo = c.ResultLicenceNo,
            ViewDueOn = ChinaDates.Format(calendar.AddWorkingDays(ChinaDates.DateOf(at), ViewWorkingDays)),
        };
        return Step(task, LinkageEventType.TaskCreated, PullLifecycle.HubActor, at,
            $"审批办结（{c.CaseNo}，{task.ApprovalItemName}）推送至 {rule.Regulator} {rule.Division}，监管事项 {rule.RegulatoryItemName}，请于 {task.ViewDueOn} 前认领", calendar);
    }

    /// <summary>
    /// A post-approval check (事后核查): a task for the division that supervises the case's item,
    /// carrying what the applicant committed to; its id is the case task's with "-HC".
    /// </summary>
    public static TaskStep CreatedForPostCheck(RegulatoryTask caseTask, CanonicalRecord commitmentRecord, WorkingDayCalendar calendar, DateTimeOffset at)
    {
        var task = caseTask.Clone();
        task.Id = caseTask.Id + "-HC";
        task.CaseSource = commitmentRecord.Source;
        task.CaseSourceId = commitmentRecord.SourceId;
        task.CommitmentContent = commitmentRecord.Commitment.Content;
        task.State = TaskState.PendingView;
        task.CreatedAt = Timestamp.FromDateTimeOffset(at);
        task.ViewDueOn = ChinaDates.Format(calendar.AddWorkingDays(ChinaDates.DateOf(at), ViewWorkingDays));
        task.ViewedAt = null;
        task.Result = null;
        task.ResultDueOn = "";
        task.ViewReminded = task.ViewOverdue = task.ResultOverdue = task.RevocationReturned = false;
        task.Events = 0;
        return Step(task, LinkageEventType.TaskCreated, PullLifecycle.HubActor, at,
            $"告知承诺事后核查（{caseTask.CaseNo}）推送至 {task.Regulator} {task.Division}：{task.CommitmentContent}；请于 {task.ViewDueOn} 前认领", calendar);
    }

    /// <summary>The division views (认领) the task; late views are allowed and stay flagged.</summary>
    public static TaskStep Acknowledge(RegulatoryTask current, WorkflowActor actor, WorkingDayCalendar calendar, DateTimeOffset at)
    {
        RequireRegulator(current, actor, "acknowledge");
        RequireState(current, "acknowledge", TaskState.PendingView);
        var task = current.Clone();
        task.State = TaskState.Viewed;
        task.ViewedAt = Timestamp.FromDateTimeOffset(at);
        return Step(task, LinkageEventType.Acknowledged, actor.Agency, at, current.ViewOverdue ? "已认领（超期认领）" : "已认领", calendar);
    }

    /// <summary>The division reports its result; a report later than 5 working days after the supervision finished is flagged.</summary>
    public static TaskStep SubmitResult(RegulatoryTask current, WorkflowActor actor, SupervisionResult result, WorkingDayCalendar calendar, DateTimeOffset at)
    {
        RequireRegulator(current, actor, "report the result of");
        RequireState(current, "report the result of", TaskState.Viewed);
        if (result is null || result.Outcome == SupervisionOutcome.Unspecified)
            throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument, "result.outcome is missing: COMPLIANT, RECTIFICATION_ORDERED or REVOKE_PERMIT.");
        var details = PullLifecycle.Trimmed(result.Details, "result.details");
        if (details.Length == 0) throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument, "result.details is missing: say what the supervision did and found (监管情况).");
        var today = ChinaDates.DateOf(at);
        if (ChinaDates.ParseCanonical(result.FinishedOn.Trim()) is not { } finished)
            throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument, $"result.finished_on '{result.FinishedOn}' is not a date; give the day the supervision finished, YYYY-MM-DD.");
        if (finished > today) throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument, $"result.finished_on {ChinaDates.Format(finished)} is in the future.");
        if (current.ViewedAt is { } viewed && finished < ChinaDates.DateOf(viewed))
            throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument, $"result.finished_on {ChinaDates.Format(finished)} is before the task was viewed ({ChinaDates.Format(ChinaDates.DateOf(viewed))}).");
        string deadline = "";
        if (result.Outcome == SupervisionOutcome.RectificationOrdered)
        {
            if (ChinaDates.ParseCanonical(result.RectificationDeadline.Trim()) is not { } d || d < finished)
                throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument,
                    $"result.rectification_deadline '{result.RectificationDeadline}' must be a date (YYYY-MM-DD) on or after the day the supervision finished.");
            deadline = ChinaDates.Format(d);
        }
        else if (result.RectificationDeadline.Trim().Length > 0)
            throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument, "result.rectification_deadline is only for RECTIFICATION_ORDERED.");
        var task = current.Clone();
        task.State = TaskState.ResultSubmitted;
        task.Result = new SupervisionResult { Outcome = result.Outcome, Details = details, FinishedOn = ChinaDates.Format(finished), RectificationDeadline = deadline };
        var due = calendar.AddWorkingDays(finished, ResultWorkingDays);
        task.ResultDueOn = ChinaDates.Format(due);
        task.ResultOverdue = today > due;
        var outcome = result.Outcome switch
        {
            SupervisionOutcome.Compliant => "符合要求",
            SupervisionOutcome.RectificationOrdered => $"责令整改，期限 {deadline}",
            _ => "建议撤销许可（回推审批部门）",
        };
        return Step(task, LinkageEventType.ResultSubmitted, actor.Agency, at, $"监管结果：{outcome}{(task.ResultOverdue ? $"（超期反馈，应于 {task.ResultDueOn} 前）" : "")}。{details}", calendar);
    }

    /// <summary>Whether a task's REVOKE_PERMIT result still has to go back to the approval side.</summary>
    public static bool RevocationPending(RegulatoryTask task) =>
        task.State == TaskState.ResultSubmitted && task.Result?.Outcome == SupervisionOutcome.RevokePermit && !task.RevocationReturned;

    /// <summary>The hub has sent a revocation back (回路): to the approval side, into the records, to the credit platform.</summary>
    public static TaskStep? RevocationReturned(RegulatoryTask current, WorkingDayCalendar calendar, DateTimeOffset at)
    {
        if (!RevocationPending(current)) return null;
        var task = current.Clone();
        task.RevocationReturned = true;
        return Step(task, LinkageEventType.RevocationReturned, PullLifecycle.HubActor, at,
            $"撤销许可意见已回推审批部门；许可证 {(task.ResultLicenceNo.Length > 0 ? task.ResultLicenceNo : "（未登记证号）")} 记为已撤销，失信记录已推送公共信用信息平台", calendar);
    }

    /// <summary>The deadline step due now: the view overdue flag first (a reminder after the due date is moot), else the reminder.</summary>
    public static TaskStep? DeadlineStep(RegulatoryTask current, DateTimeOffset now, WorkingDayCalendar calendar)
    {
        if (current.State != TaskState.PendingView || current.ViewOverdue) return null;
        var due = ChinaDates.ParseCanonical(current.ViewDueOn)!.Value;
        var task = current.Clone();
        if (now >= ChinaDates.EndOf(due))
        {
            task.ViewOverdue = true;
            return Step(task, LinkageEventType.ViewOverdue, PullLifecycle.HubActor, now, $"超过认领期限（{current.ViewDueOn}），未认领", calendar);
        }
        if (current.ViewReminded || now < PullLifecycle.ReminderAt(due, calendar)) return null;
        task.ViewReminded = true;
        return Step(task, LinkageEventType.ViewReminded, PullLifecycle.HubActor, now, $"提醒：请于 {current.ViewDueOn} 前认领", calendar);
    }

    /// <summary>The reminder time, then the end of the view due date, while the task waits to be viewed.</summary>
    public static DateTimeOffset? NextActionAt(RegulatoryTask task, WorkingDayCalendar calendar)
    {
        if (task.State != TaskState.PendingView || task.ViewOverdue) return null;
        var due = ChinaDates.ParseCanonical(task.ViewDueOn)!.Value;
        return task.ViewReminded ? ChinaDates.EndOf(due) : PullLifecycle.ReminderAt(due, calendar);
    }

    public static string StateName(TaskState state) => state switch
    {
        TaskState.PendingView => "PENDING_VIEW (待认领)",
        TaskState.Viewed => "VIEWED (监管中)",
        TaskState.ResultSubmitted => "RESULT_SUBMITTED (已反馈)",
        _ => "UNSPECIFIED",
    };

    private static TaskStep Step(RegulatoryTask task, LinkageEventType type, string actor, DateTimeOffset at, string detail, WorkingDayCalendar calendar)
    {
        task.Events++;
        task.UpdatedAt = Timestamp.FromDateTimeOffset(at);
        var e = new LinkageEvent { TaskId = task.Id, Seq = task.Events, Type = type, Actor = actor, At = Timestamp.FromDateTimeOffset(at), Detail = detail, Task = task.Clone() };
        return new TaskStep(task, e) { NextActionAt = NextActionAt(task, calendar) };
    }

    private static void RequireState(RegulatoryTask task, string action, TaskState allowed)
    {
        if (task.State != allowed)
            throw new WorkflowRuleException(WorkflowErrorKind.FailedPrecondition,
                $"Task {task.Id} is {StateName(task.State)}; it can only {action} a task that is {StateName(allowed)}.");
    }

    private static void RequireRegulator(RegulatoryTask task, WorkflowActor actor, string action)
    {
        if (task.Regulator != actor.Agency)
            throw new WorkflowRuleException(WorkflowErrorKind.PermissionDenied, $"Only the regulator '{task.Regulator}' may {action} task {task.Id}; the caller is '{actor.Agency}'.");
    }
}
