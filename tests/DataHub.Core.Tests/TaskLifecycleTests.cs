using DataHub.Core.Calendar;
using DataHub.Core.Linkage;
using DataHub.Core.Pulls;
using DataHub.Core.Workflows;
using DataHub.Schema.V1;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Core.Tests;

public class TaskLifecycleTests
{
    private static readonly WorkingDayCalendar Calendar = WorkingDayCalendar.Shipped;
    private static readonly TimeSpan China = TimeSpan.FromHours(8);

    private const string CaseNo = "32130220260929000123";

    private static readonly LinkageRule Rule = new("320100000000001", "", "食品经营许可", "JG-SC-001", "食品经营活动监督检查", "city-amr", "食品经营监管处");

    private static readonly WorkflowActor Amr = new("city-amr", new HashSet<string> { "regulator" });
    private static readonly WorkflowActor Health = new("city-health", new HashSet<string> { "regulator" });
    private static readonly WorkflowActor Coordination = new("city-coordination", new HashSet<string> { "coordination" });
    private static readonly WorkflowActor SuperAdmin = new("superadmin-studio", new HashSet<string> { "superadmin" });

    // Wednesday 2026-09-30 10:00 China time; 3 working days: (10-01..07 国庆 off) 10-08, 10-09, 10-10 (a 调休 Saturday).
    private static readonly DateTimeOffset CreatedAt = At(9, 30, 10);
    private const string ViewDueOn = "2026-10-10";
    private static readonly DateTimeOffset ReminderAt = At(10, 9, 9);        // 09:00 on the working day before the due date
    private static readonly DateTimeOffset EndOfDueDate = At(10, 11, 0);     // the first instant after 2026-10-10 in China

    private static DateTimeOffset At(int month, int day, int hour = 10, int minute = 0, int second = 0) =>
        new(2026, month, day, hour, minute, second, China);

    private static CanonicalRecord Case(string caseNo = CaseNo, CaseStage stage = CaseStage.Completed, string uscc = "91321302MA1XYZ0001", string itemName = "食品经营许可（仅销售预包装食品）") => new()
    {
        Uscc = uscc,
        Source = "provincial-platform",
        SourceId = "CASE-" + caseNo,
        EnterpriseName = "宿迁示例餐饮有限公司",
        ApprovalCase = new ApprovalCase
        {
            CaseNo = caseNo,
            ItemCode = "320100000000001",
            ItemName = itemName,
            Stage = stage,
            CompletedAt = Timestamp.FromDateTimeOffset(At(9, 29, 16)),
        },
    };

    private static RegulatoryTask Created() => TaskLifecycle.Created(Case(), Rule, Calendar, CreatedAt).Task;

    private static RegulatoryTask Viewed(DateTimeOffset at) => TaskLifecycle.Acknowledge(Created(), Amr, Calendar, at).Task;

    private static SupervisionResult Result(SupervisionOutcome outcome = SupervisionOutcome.Compliant, string finishedOn = "2026-10-12", string details = "现场检查：证照齐全，操作规范", string deadline = "") =>
        new() { Outcome = outcome, Details = details, FinishedOn = finishedOn, RectificationDeadline = deadline };

    private static WorkflowRuleException Refused(Action action) => Assert.Throws<WorkflowRuleException>(action);

    [Fact]
    public void Created_makes_the_task_of_the_case_for_the_catalogue_division_due_3_working_days_later_across_national_day()
    {
        var step = TaskLifecycle.Created(Case(), Rule, Calendar, CreatedAt);
        var t = step.Task;

        Assert.Equal("RT-" + CaseNo, t.Id);
        Assert.Equal(ViewDueOn, t.ViewDueOn);
        Assert.Equal(TaskState.PendingView, t.State);
        Assert.Equal(("city-amr", "食品经营监管处", "JG-SC-001", "食品经营活动监督检查"), (t.Regulator, t.Division, t.RegulatoryItemCode, t.RegulatoryItemName));
        Assert.Equal(("provincial-platform", "CASE-" + CaseNo, CaseNo), (t.CaseSource, t.CaseSourceId, t.CaseNo));
        Assert.Equal(("91321302MA1XYZ0001", "宿迁示例餐饮有限公司"), (t.Uscc, t.EnterpriseName));
        Assert.Equal("320100000000001", t.ApprovalItemCode);
        Assert.Equal("食品经营许可（仅销售预包装食品）", t.ApprovalItemName);   // the case's own name wins over the catalogue's
        Assert.Equal(CreatedAt, t.CreatedAt.ToDateTimeOffset());
        Assert.Equal(At(9, 29, 16), t.CaseCompletedAt.ToDateTimeOffset());
        Assert.False(t.ViewReminded || t.ViewOverdue || t.ResultOverdue);
        Assert.Equal("", t.ResultDueOn);
        Assert.Null(t.Result);
        Assert.Equal(1u, t.Events);
        Assert.Equal(CreatedAt, t.UpdatedAt.ToDateTimeOffset());

        var e = step.Event;
        Assert.Equal((t.Id, 1u, LinkageEventType.TaskCreated, PullLifecycle.HubActor), (e.TaskId, e.Seq, e.Type, e.Actor));
        Assert.Equal(CreatedAt, e.At.ToDateTimeOffset());
        Assert.Equal(t, e.Task);
        Assert.Contains(ViewDueOn, e.Detail, StringComparison.Ordinal);
        Assert.Equal(ReminderAt, step.NextActionAt);
    }

    [Fact]
    public void The_task_id_follows_from_the_case_number_or_else_from_the_case_lineage()
    {
        Assert.Equal("RT-" + CaseNo, TaskLifecycle.TaskIdFor(Case(caseNo: "  " + CaseNo + " ")));
        var withoutNumber = Case(caseNo: " ");
        withoutNumber.SourceId = "SP-000042";
        Assert.Equal("RT-provincial-platform-SP-000042", TaskLifecycle.TaskIdFor(withoutNumber));
        // A case without its own item name takes the catalogue's.
        Assert.Equal("食品经营许可", TaskLifecycle.Created(Case(itemName: ""), Rule, Calendar, CreatedAt).Task.ApprovalItemName);
    }

    [Theory]
    [InlineData(9, 30, "2026-10-10", 10, 9)]    // across 国庆; due on a 调休 Saturday, reminded the Friday before
    [InlineData(10, 3, "2026-10-10", 10, 9)]    // created during the holiday: 10-08, 10-09, 10-10
    [InlineData(10, 9, "2026-10-13", 10, 12)]   // Friday: 10-10 (调休 Saturday), 10-12, 10-13
    [InlineData(9, 18, "2026-09-22", 9, 21)]    // Friday: 09-20 (调休 Sunday), 09-21, 09-22
    [InlineData(9, 24, "2026-09-30", 9, 29)]    // Thursday: (中秋 09-25..27 off) 09-28, 09-29, 09-30
    public void The_view_due_date_and_reminder_time_follow_the_working_day_calendar(int month, int day, string due, int reminderMonth, int reminderDay)
    {
        var step = TaskLifecycle.Created(Case(), Rule, Calendar, At(month, day, 15));

        Assert.Equal(due, step.Task.ViewDueOn);
        Assert.Equal(At(reminderMonth, reminderDay, 9), step.NextActionAt);
        Assert.Equal(At(reminderMonth, reminderDay, 9), TaskLifecycle.NextActionAt(step.Task, Calendar));
    }

    [Fact]
    public void NextActionAt_is_the_reminder_at_09_00_China_time_on_the_working_day_before_then_the_end_of_the_due_date_then_nothing()
    {
        var t = Created();
        Assert.Equal(ReminderAt, TaskLifecycle.NextActionAt(t, Calendar));
        Assert.Equal(TimeSpan.FromHours(8), TaskLifecycle.NextActionAt(t, Calendar)!.Value.Offset);

        var reminded = TaskLifecycle.DeadlineStep(t, ReminderAt, Calendar)!;
        Assert.Equal(EndOfDueDate, reminded.NextActionAt);
        Assert.Equal(EndOfDueDate, TaskLifecycle.NextActionAt(reminded.Task, Calendar));

        var overdue = TaskLifecycle.DeadlineStep(reminded.Task, EndOfDueDate, Calendar)!;
        Assert.Null(overdue.NextActionAt);
        Assert.Null(TaskLifecycle.NextActionAt(overdue.Task, Calendar));

        // Once viewed there is no view deadline to watch.
        var viewed = TaskLifecycle.Acknowledge(t, Amr, Calendar, At(10, 8, 9));
        Assert.Null(viewed.NextActionAt);
        Assert.Null(TaskLifecycle.NextActionAt(viewed.Task, Calendar));
    }

    [Fact]
    public void DeadlineStep_reminds_once_at_the_reminder_time_then_flags_overdue_at_the_end_of_the_due_date()
    {
        var t = Created();
        Assert.Null(TaskLifecycle.DeadlineStep(t, CreatedAt, Calendar));
        Assert.Null(TaskLifecycle.DeadlineStep(t, ReminderAt.AddTicks(-1), Calendar));

        var reminded = TaskLifecycle.DeadlineStep(t, ReminderAt, Calendar)!;
        Assert.Equal(LinkageEventType.ViewReminded, reminded.Event.Type);
        Assert.Equal(PullLifecycle.HubActor, reminded.Event.Actor);
        Assert.True(reminded.Task.ViewReminded);
        Assert.False(reminded.Task.ViewOverdue);
        Assert.Equal((2u, 2u), (reminded.Task.Events, reminded.Event.Seq));
        Assert.Equal(TaskState.PendingView, reminded.Task.State);
        Assert.False(t.ViewReminded);   // the input is not changed

        // No second reminder, and not overdue until the due date has ended (the due date itself is in time).
        Assert.Null(TaskLifecycle.DeadlineStep(reminded.Task, ReminderAt.AddHours(1), Calendar));
        Assert.Null(TaskLifecycle.DeadlineStep(reminded.Task, EndOfDueDate.AddTicks(-1), Calendar));

        var overdue = TaskLifecycle.DeadlineStep(reminded.Task, EndOfDueDate, Calendar)!;
        Assert.Equal(LinkageEventType.ViewOverdue, overdue.Event.Type);
        Assert.True(overdue.Task.ViewOverdue);
        Assert.True(overdue.Task.ViewReminded);
        Assert.Equal(TaskState.PendingView, overdue.Task.State);
        Assert.Equal(3u, overdue.Task.Events);
        Assert.Contains(ViewDueOn, overdue.Event.Detail, StringComparison.Ordinal);

        Assert.Null(TaskLifecycle.DeadlineStep(overdue.Task, EndOfDueDate.AddDays(5), Calendar));
    }

    [Fact]
    public void When_both_deadlines_passed_unnoticed_the_overdue_flag_comes_first_and_the_moot_reminder_never()
    {
        var t = Created();

        var step = TaskLifecycle.DeadlineStep(t, EndOfDueDate.AddHours(3), Calendar)!;

        Assert.Equal(LinkageEventType.ViewOverdue, step.Event.Type);
        Assert.True(step.Task.ViewOverdue);
        Assert.False(step.Task.ViewReminded);
        Assert.Null(step.NextActionAt);
        Assert.Null(TaskLifecycle.DeadlineStep(step.Task, EndOfDueDate.AddHours(4), Calendar));
    }

    [Fact]
    public void A_viewed_task_has_no_deadline_steps()
    {
        var viewed = Viewed(At(10, 8, 9));
        Assert.Null(TaskLifecycle.DeadlineStep(viewed, ReminderAt, Calendar));
        Assert.Null(TaskLifecycle.DeadlineStep(viewed, EndOfDueDate.AddDays(1), Calendar));
    }

    [Fact]
    public void Acknowledge_by_the_regulator_views_the_task()
    {
        var at = At(10, 8, 9, 30);
        var step = TaskLifecycle.Acknowledge(Created(), Amr, Calendar, at);

        Assert.Equal(TaskState.Viewed, step.Task.State);
        Assert.Equal(at, step.Task.ViewedAt.ToDateTimeOffset());
        Assert.Equal((LinkageEventType.Acknowledged, "city-amr", 2u), (step.Event.Type, step.Event.Actor, step.Event.Seq));
        Assert.False(step.Task.ViewOverdue);
        Assert.DoesNotContain("超期", step.Event.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_late_acknowledgement_is_allowed_and_stays_flagged()
    {
        var overdue = TaskLifecycle.DeadlineStep(Created(), EndOfDueDate, Calendar)!.Task;

        var step = TaskLifecycle.Acknowledge(overdue, Amr, Calendar, At(10, 12, 9));

        Assert.Equal(TaskState.Viewed, step.Task.State);
        Assert.True(step.Task.ViewOverdue);
        Assert.Contains("超期认领", step.Event.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_regulator_may_acknowledge_not_another_regulator_nor_an_overseer()
    {
        var t = Created();
        foreach (var actor in new[] { Health, Coordination, SuperAdmin })
        {
            var e = Refused(() => TaskLifecycle.Acknowledge(t, actor, Calendar, At(10, 8, 9)));
            Assert.Equal(WorkflowErrorKind.PermissionDenied, e.Kind);
            Assert.Contains("city-amr", e.Message, StringComparison.Ordinal);
            Assert.Contains(actor.Agency, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Acknowledge_only_a_pending_task_the_refusal_names_the_state()
    {
        var viewed = Viewed(At(10, 8, 9));
        var e = Refused(() => TaskLifecycle.Acknowledge(viewed, Amr, Calendar, At(10, 8, 10)));
        Assert.Equal(WorkflowErrorKind.FailedPrecondition, e.Kind);
        Assert.Contains("VIEWED", e.Message, StringComparison.Ordinal);
        Assert.Contains("PENDING_VIEW", e.Message, StringComparison.Ordinal);

        var submitted = TaskLifecycle.SubmitResult(viewed, Amr, Result(finishedOn: "2026-10-08"), Calendar, At(10, 9, 10)).Task;
        var again = Refused(() => TaskLifecycle.Acknowledge(submitted, Amr, Calendar, At(10, 9, 11)));
        Assert.Equal(WorkflowErrorKind.FailedPrecondition, again.Kind);
        Assert.Contains("RESULT_SUBMITTED", again.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SubmitResult_closes_a_viewed_task_with_the_result_due_5_working_days_after_the_supervision_finished()
    {
        var viewed = Viewed(At(10, 12, 9));   // Monday

        var step = TaskLifecycle.SubmitResult(viewed, Amr, Result(details: "  现场检查：证照齐全，操作规范  "), Calendar, At(10, 13, 15));

        var t = step.Task;
        Assert.Equal(TaskState.ResultSubmitted, t.State);
        Assert.Equal(SupervisionOutcome.Compliant, t.Result.Outcome);
        Assert.Equal("现场检查：证照齐全，操作规范", t.Result.Details);
        Assert.Equal("2026-10-12", t.Result.FinishedOn);
        Assert.Equal("", t.Result.RectificationDeadline);
        Assert.Equal("2026-10-19", t.ResultDueOn);
        Assert.False(t.ResultOverdue);
        Assert.Equal((LinkageEventType.ResultSubmitted, "city-amr", 3u), (step.Event.Type, step.Event.Actor, step.Event.Seq));
        Assert.Null(step.NextActionAt);
        Assert.DoesNotContain("超期", step.Event.Detail, StringComparison.Ordinal);

        // Submitting again is refused, naming the state.
        var e = Refused(() => TaskLifecycle.SubmitResult(t, Amr, Result(), Calendar, At(10, 13, 16)));
        Assert.Equal(WorkflowErrorKind.FailedPrecondition, e.Kind);
        Assert.Contains("RESULT_SUBMITTED", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SubmitResult_needs_a_viewed_task_and_its_regulator()
    {
        var pending = Refused(() => TaskLifecycle.SubmitResult(Created(), Amr, Result(finishedOn: "2026-10-08"), Calendar, At(10, 9)));
        Assert.Equal(WorkflowErrorKind.FailedPrecondition, pending.Kind);
        Assert.Contains("PENDING_VIEW", pending.Message, StringComparison.Ordinal);

        var viewed = Viewed(At(10, 12, 9));
        Assert.Equal(WorkflowErrorKind.PermissionDenied, Refused(() => TaskLifecycle.SubmitResult(viewed, Health, Result(), Calendar, At(10, 13))).Kind);
        Assert.Equal(WorkflowErrorKind.PermissionDenied, Refused(() => TaskLifecycle.SubmitResult(viewed, Coordination, Result(), Calendar, At(10, 13))).Kind);
    }

    [Fact]
    public void SubmitResult_requires_an_outcome_details_and_a_finished_on_date_neither_future_nor_before_the_view()
    {
        var viewed = Viewed(At(10, 12, 9));
        var now = At(10, 13, 15);

        void Invalid(SupervisionResult? result, string mention)
        {
            var e = Refused(() => TaskLifecycle.SubmitResult(viewed, Amr, result!, Calendar, now));
            Assert.Equal(WorkflowErrorKind.InvalidArgument, e.Kind);
            Assert.Contains(mention, e.Message, StringComparison.Ordinal);
        }

        Invalid(null, "outcome");
        Invalid(Result(SupervisionOutcome.Unspecified), "outcome");
        Invalid(Result(details: ""), "details");
        Invalid(Result(details: "  \n "), "details");
        Invalid(Result(details: new string('查', PullLifecycle.MaxTextLength + 1)), "details");
        Invalid(Result(finishedOn: ""), "finished_on");
        Invalid(Result(finishedOn: "2026/10/12"), "finished_on");
        Invalid(Result(finishedOn: "2026-02-30"), "finished_on");
        Invalid(Result(finishedOn: "2026-10-14"), "future");                       // tomorrow in China
        Invalid(Result(finishedOn: "2026-10-11"), "before the task was viewed");   // the day before the view

        // The day of the view and today are both fine; " 2026-10-13 " is trimmed.
        Assert.Equal("2026-10-12", TaskLifecycle.SubmitResult(viewed, Amr, Result(finishedOn: "2026-10-12"), Calendar, now).Task.Result.FinishedOn);
        Assert.Equal("2026-10-13", TaskLifecycle.SubmitResult(viewed, Amr, Result(finishedOn: " 2026-10-13 "), Calendar, now).Task.Result.FinishedOn);
    }

    [Fact]
    public void The_future_check_uses_the_date_in_China_not_UTC()
    {
        var viewed = Viewed(At(10, 12, 9));
        // 2026-10-13 16:30 UTC is already 2026-10-14 00:30 in China: 10-14 is today, not the future.
        var now = new DateTimeOffset(2026, 10, 13, 16, 30, 0, TimeSpan.Zero);

        var step = TaskLifecycle.SubmitResult(viewed, Amr, Result(finishedOn: "2026-10-14"), Calendar, now);

        Assert.Equal("2026-10-14", step.Task.Result.FinishedOn);
    }

    [Fact]
    public void A_rectification_deadline_is_required_for_and_only_for_RECTIFICATION_ORDERED()
    {
        var viewed = Viewed(At(10, 12, 9));
        var now = At(10, 13, 15);
        WorkflowErrorKind Kind(SupervisionResult r) => Refused(() => TaskLifecycle.SubmitResult(viewed, Amr, r, Calendar, now)).Kind;

        Assert.Equal(WorkflowErrorKind.InvalidArgument, Kind(Result(SupervisionOutcome.RectificationOrdered)));
        Assert.Equal(WorkflowErrorKind.InvalidArgument, Kind(Result(SupervisionOutcome.RectificationOrdered, deadline: "下月底")));
        Assert.Equal(WorkflowErrorKind.InvalidArgument, Kind(Result(SupervisionOutcome.RectificationOrdered, deadline: "2026-10-11")));   // before finished_on
        Assert.Equal(WorkflowErrorKind.InvalidArgument, Kind(Result(SupervisionOutcome.Compliant, deadline: "2026-11-12")));
        Assert.Equal(WorkflowErrorKind.InvalidArgument, Kind(Result(SupervisionOutcome.RevokePermit, deadline: "2026-11-12")));

        var ordered = TaskLifecycle.SubmitResult(viewed, Amr, Result(SupervisionOutcome.RectificationOrdered, deadline: " 2026-11-12 "), Calendar, now);
        Assert.Equal(("2026-11-12", SupervisionOutcome.RectificationOrdered), (ordered.Task.Result.RectificationDeadline, ordered.Task.Result.Outcome));
        Assert.Contains("2026-11-12", ordered.Event.Detail, StringComparison.Ordinal);
        // A deadline on the day the supervision finished is allowed.
        Assert.Equal("2026-10-12", TaskLifecycle.SubmitResult(viewed, Amr, Result(SupervisionOutcome.RectificationOrdered, deadline: "2026-10-12"), Calendar, now).Task.Result.RectificationDeadline);

        var revoke = TaskLifecycle.SubmitResult(viewed, Amr, Result(SupervisionOutcome.RevokePermit), Calendar, now);
        Assert.Equal(SupervisionOutcome.RevokePermit, revoke.Task.Result.Outcome);
        Assert.Contains("撤销许可", revoke.Event.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_report_later_than_5_working_days_after_the_supervision_finished_is_flagged_result_overdue()
    {
        // Viewed and finished on Wednesday 09-30; 5 working days: 10-08, 10-09, 10-10, 10-12, 10-13 (国庆 and its 调休 Saturday).
        var viewed = TaskLifecycle.Acknowledge(Created(), Amr, Calendar, At(9, 30, 11)).Task;
        var result = Result(finishedOn: "2026-09-30");

        var onTheDueDate = TaskLifecycle.SubmitResult(viewed, Amr, result, Calendar, At(10, 13, 23, 59, 59)).Task;
        Assert.Equal("2026-10-13", onTheDueDate.ResultDueOn);
        Assert.False(onTheDueDate.ResultOverdue);

        var late = TaskLifecycle.SubmitResult(viewed, Amr, result, Calendar, At(10, 14, 0));
        Assert.Equal("2026-10-13", late.Task.ResultDueOn);
        Assert.True(late.Task.ResultOverdue);
        Assert.Contains("超期反馈", late.Event.Detail, StringComparison.Ordinal);
        Assert.Contains("2026-10-13", late.Event.Detail, StringComparison.Ordinal);
        Assert.Equal(TaskState.ResultSubmitted, late.Task.State);
    }

    [Fact]
    public void CanSee_is_for_the_regulator_and_the_overseers()
    {
        var t = Created();
        Assert.True(TaskLifecycle.CanSee(t, Amr));
        Assert.True(TaskLifecycle.CanSee(t, Coordination));
        Assert.True(TaskLifecycle.CanSee(t, SuperAdmin));
        Assert.False(TaskLifecycle.CanSee(t, Health));
        Assert.False(TaskLifecycle.CanSee(t, new WorkflowActor("city-approval", new HashSet<string> { "approval" })));
    }

    [Fact]
    public void Only_a_completed_approval_with_its_enterprise_known_makes_a_task()
    {
        Assert.True(TaskLifecycle.IsCompletedApproval(Case()));
        Assert.False(TaskLifecycle.IsCompletedApproval(Case(stage: CaseStage.Denied)));
        Assert.False(TaskLifecycle.IsCompletedApproval(Case(uscc: "")));
        Assert.False(TaskLifecycle.IsCompletedApproval(new CanonicalRecord { Uscc = "91321302MA1XYZ0001", Complaint = new Complaint { OrderNo = "1" } }));
    }

    [Fact]
    public void StateName_names_each_state()
    {
        Assert.StartsWith("PENDING_VIEW", TaskLifecycle.StateName(TaskState.PendingView), StringComparison.Ordinal);
        Assert.StartsWith("VIEWED", TaskLifecycle.StateName(TaskState.Viewed), StringComparison.Ordinal);
        Assert.StartsWith("RESULT_SUBMITTED", TaskLifecycle.StateName(TaskState.ResultSubmitted), StringComparison.Ordinal);
    }
}
