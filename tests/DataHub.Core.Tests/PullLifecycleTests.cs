using DataHub.Core.Workflows;
using System.Security.Cryptography;
using DataHub.Core.Calendar;
using DataHub.Core.Pulls;
using DataHub.Schema.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Core.Tests;

public class PullLifecycleTests
{
    private static readonly WorkingDayCalendar Calendar = WorkingDayCalendar.Shipped;
    private static readonly TimeSpan China = TimeSpan.FromHours(8);

    private const string Uscc = "91330100799655058B";
    private const string PullId = "DP-20260929-000001";

    private static readonly WorkflowActor Requester = new("city-approval", new HashSet<string> { "approval" });
    private static readonly WorkflowActor Owner = new("city-amr", new HashSet<string> { "regulator" });
    private static readonly WorkflowActor Unrelated = new("city-tax", new HashSet<string> { "approval" });
    private static readonly WorkflowActor Coordination = new("city-coordination", new HashSet<string> { "coordination" });
    private static readonly WorkflowActor SuperAdmin = new("superadmin-studio", new HashSet<string> { "superadmin" });

    private static readonly PullItemType Item = new()
    {
        Code = "MAT-FIRE-ACCEPT",
        Name = "消防验收意见书",
        Kind = PullItemKind.Material,
        Owner = "city-amr",
        TimeLimitWorkingDays = 3,
        LegalBasis = "《中华人民共和国消防法》第十三条",
        RequesterRoles = ["approval", "regulator"],
    };

    // Tuesday 2026-09-29 10:00 China time; 3 working days: 09-30, (10-01..07 off), 10-08, 10-09.
    private static readonly DateTimeOffset RequestedAt = At(9, 29, 10);
    private const string DueOn = "2026-10-09";
    private static readonly DateTimeOffset ReminderAt = At(10, 8, 9);        // 09:00 on the working day before the due date
    private static readonly DateTimeOffset EndOfDueDate = At(10, 10, 0);     // the first instant after 2026-10-09 in China

    private static DateTimeOffset At(int month, int day, int hour = 10, int minute = 0, int second = 0) =>
        new(2026, month, day, hour, minute, second, China);

    private static PullRequestDraft Draft() => new(Requester.Agency, Uscc, Item, "食品经营许可审批核验", "SP-2026-000123");

    private static PullEvidence Material(string suppliedByPull = "") => new()
    {
        Kind = PullItemKind.Material,
        Content = ByteString.CopyFromUtf8("%PDF-1.7 消防验收意见书"),
        MediaType = "application/pdf",
        FileName = "消防验收意见书.pdf",
        SuppliedByPull = suppliedByPull,
    };

    private static PullEvidence LicenceEvidence() => new()
    {
        Kind = PullItemKind.Licence,
        Licence = new Licence
        {
            LicenceId = "330100-JY-0001",
            LicenceNo = "JY13301000000001",
            LicenceType = "食品经营许可证",
            LicenceTypeCode = "JY",
            IssuingAuthority = "市市场监督管理局",
            IssuedOn = "2025-03-01",
            ValidUntil = "2030-02-28",
            Status = LicenceStatus.Valid,
        },
        SourceRecord = new Lineage { Source = "elicence", SourceId = "330100-JY-0001" },
    };

    // ---- pulls in each state ----

    private static DataPull Demand() => PullLifecycle.Demanded(PullId, Draft(), Calendar, RequestedAt).Pull;

    private static DataPull OverdueDemand() => PullLifecycle.MarkOverdue(Demand(), EndOfDueDate).Pull;

    private static DataPull RefusedPull() =>
        PullLifecycle.Refuse(Demand(), Owner, "该材料涉及国家秘密", "《中华人民共和国保守国家秘密法》第二十八条", At(9, 30)).Pull;

    private static DataPull InCoordinationPull() =>
        PullLifecycle.Escalate(RefusedPull(), Requester, "材料不涉密，审批必需", At(10, 8)).Pull;

    private static DataPull PullIn(PullState state) => state switch
    {
        PullState.AwaitingOwner => Demand(),
        PullState.Fulfilled => PullLifecycle.Fulfil(Demand(), Owner, Material(PullId), At(9, 30)).Pull,
        PullState.Refused => RefusedPull(),
        PullState.InCoordination => InCoordinationPull(),
        PullState.RefusalUpheld => PullLifecycle.UpholdRefusal(InCoordinationPull(), Coordination, "维持拒绝", At(10, 9)).Pull,
        PullState.Cancelled => PullLifecycle.Cancel(Demand(), Requester, "案件已撤回", At(9, 30)).Pull,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "no such test pull"),
    };

    private static WorkflowRuleException Rejected(WorkflowErrorKind kind, Action step)
    {
        var e = Assert.Throws<WorkflowRuleException>(step);
        Assert.Equal(kind, e.Kind);
        return e;
    }

    private static string Name(PullState state) => PullLifecycle.StateName(state).Split(' ')[0];

    // ---- FulfilledFromLibrary ----

    [Fact]
    public void A_pull_answered_from_the_licence_library_is_fulfilled_at_once_as_its_first_event()
    {
        var evidence = LicenceEvidence();
        var step = PullLifecycle.FulfilledFromLibrary(PullId, Draft(), evidence, RequestedAt);

        Assert.Equal(PullState.Fulfilled, step.Pull.State);
        Assert.Equal(PullFulfilment.Library, step.Pull.Fulfilment);
        Assert.Equal(evidence, step.Pull.Evidence);
        Assert.Equal(PullId, step.Pull.Id);
        Assert.Equal("city-approval", step.Pull.Requester);
        Assert.Equal("city-amr", step.Pull.Owner);
        Assert.Equal(Uscc, step.Pull.Uscc);
        Assert.Equal("MAT-FIRE-ACCEPT", step.Pull.ItemType);
        Assert.Equal("消防验收意见书", step.Pull.ItemName);
        Assert.Equal("食品经营许可审批核验", step.Pull.Purpose);
        Assert.Equal("SP-2026-000123", step.Pull.CaseReference);
        Assert.Equal(Timestamp.FromDateTimeOffset(RequestedAt), step.Pull.RequestedAt);
        Assert.Equal("", step.Pull.DueOn);
        Assert.Equal(1u, step.Pull.Events);

        Assert.Equal(PullEventType.FulfilledFromLibrary, step.Event.Type);
        Assert.Equal(1u, step.Event.Seq);
        Assert.Equal(PullId, step.Event.PullId);
        Assert.Equal("city-approval", step.Event.Actor);
        Assert.Equal(Timestamp.FromDateTimeOffset(RequestedAt), step.Event.At);
        Assert.Contains("elicence/330100-JY-0001", step.Event.Detail);
        Assert.Null(step.JoinsLibrary);
        Assert.Null(PullLifecycle.NextActionAt(step.Pull, Calendar));
    }

    [Fact]
    public void A_pull_answered_from_the_material_library_keeps_the_content_but_its_event_snapshot_does_not()
    {
        var evidence = Material(suppliedByPull: "DP-20260901-000007");
        var content = evidence.Content;
        var step = PullLifecycle.FulfilledFromLibrary(PullId, Draft(), evidence, RequestedAt);

        Assert.Equal(content, step.Pull.Evidence.Content);
        Assert.True(step.Event.Pull.Evidence.Content.IsEmpty, "the event's snapshot should carry the evidence without its bytes");
        Assert.Equal("application/pdf", step.Event.Pull.Evidence.MediaType);
        Assert.Equal("DP-20260901-000007", step.Event.Pull.Evidence.SuppliedByPull);
        Assert.Equal(content, evidence.Content);
        Assert.Equal(PullEventType.FulfilledFromLibrary, step.Event.Type);
        Assert.Equal(1u, step.Event.Seq);
        Assert.Contains("DP-20260901-000007", step.Event.Detail);
    }

    // ---- Demanded, due dates and the next action ----

    [Fact]
    public void A_demand_is_due_three_working_days_after_the_request_day_skipping_National_Day()
    {
        var step = PullLifecycle.Demanded(PullId, Draft(), Calendar, RequestedAt);

        Assert.Equal(PullState.AwaitingOwner, step.Pull.State);
        Assert.Equal(PullFulfilment.Unspecified, step.Pull.Fulfilment);
        Assert.Equal(DueOn, step.Pull.DueOn);
        Assert.Equal(3u, step.Pull.TimeLimitWorkingDays);
        Assert.False(step.Pull.Overdue, "a new demand should not be overdue");
        Assert.False(step.Pull.Reminded, "a new demand should not be reminded");
        Assert.False(step.Pull.Escalated, "a new demand should not be escalated");
        Assert.Equal("city-amr", step.Pull.Owner);
        Assert.Equal(Timestamp.FromDateTimeOffset(RequestedAt), step.Pull.RequestedAt);
        Assert.Equal(Timestamp.FromDateTimeOffset(RequestedAt), step.Pull.UpdatedAt);
        Assert.Equal(PullEventType.Demanded, step.Event.Type);
        Assert.Equal(1u, step.Event.Seq);
        Assert.Equal("city-approval", step.Event.Actor);
        Assert.Contains(DueOn, step.Event.Detail);
        Assert.Null(step.JoinsLibrary);
    }

    [Fact]
    public void The_due_date_counts_from_the_China_date_of_the_request_not_the_UTC_date()
    {
        // 2026-09-28 17:00 UTC is 2026-09-29 01:00 in China: counting from 09-28 would end on 10-08.
        var step = PullLifecycle.Demanded(PullId, Draft(), Calendar, new DateTimeOffset(2026, 9, 28, 17, 0, 0, TimeSpan.Zero));
        Assert.Equal(DueOn, step.Pull.DueOn);
    }

    [Fact]
    public void The_next_action_is_the_reminder_then_the_end_of_the_due_date_then_nothing()
    {
        var demand = Demand();
        Assert.Equal(ReminderAt, PullLifecycle.NextActionAt(demand, Calendar));

        var reminded = PullLifecycle.Remind(demand, ReminderAt).Pull;
        Assert.Equal(EndOfDueDate, PullLifecycle.NextActionAt(reminded, Calendar));

        var overdue = PullLifecycle.MarkOverdue(reminded, EndOfDueDate).Pull;
        Assert.Null(PullLifecycle.NextActionAt(overdue, Calendar));
    }

    [Fact]
    public void The_reminder_time_is_9_oclock_China_time_on_the_previous_working_day()
    {
        // Due the Thursday after National Day: the working day before is 09-30.
        Assert.Equal(At(9, 30, 9), PullLifecycle.ReminderAt(new DateOnly(2026, 10, 8), Calendar));
        Assert.Equal(new DateTimeOffset(2026, 9, 30, 1, 0, 0, TimeSpan.Zero), PullLifecycle.ReminderAt(new DateOnly(2026, 10, 8), Calendar));
    }

    [Theory]
    [InlineData(PullState.Fulfilled)]
    [InlineData(PullState.Refused)]
    [InlineData(PullState.InCoordination)]
    [InlineData(PullState.RefusalUpheld)]
    [InlineData(PullState.Cancelled)]
    public void Nothing_is_due_for_a_pull_that_is_not_awaiting_its_owner(PullState state) =>
        Assert.Null(PullLifecycle.NextActionAt(PullIn(state), Calendar));

    // ---- DeadlineStep ----

    [Fact]
    public void No_deadline_step_is_due_before_the_reminder_time()
    {
        Assert.Null(PullLifecycle.DeadlineStep(Demand(), RequestedAt, Calendar));
        Assert.Null(PullLifecycle.DeadlineStep(Demand(), ReminderAt.AddSeconds(-1), Calendar));
    }

    [Fact]
    public void The_reminder_is_due_at_the_reminder_time()
    {
        var step = PullLifecycle.DeadlineStep(Demand(), ReminderAt, Calendar);

        Assert.NotNull(step);
        Assert.Equal(PullEventType.Reminded, step.Event.Type);
        Assert.Equal(PullLifecycle.HubActor, step.Event.Actor);
        Assert.True(step.Pull.Reminded, "the pull should be flagged reminded");
        Assert.False(step.Pull.Overdue, "a reminder should not flag the pull overdue");
        Assert.Equal(PullState.AwaitingOwner, step.Pull.State);
        Assert.Equal(2u, step.Event.Seq);
        Assert.Contains(DueOn, step.Event.Detail);
    }

    [Fact]
    public void The_reminder_is_still_due_after_the_reminder_time_until_the_due_date_ends()
    {
        var step = PullLifecycle.DeadlineStep(Demand(), At(10, 9, 23, 59, 59), Calendar);
        Assert.NotNull(step);
        Assert.Equal(PullEventType.Reminded, step.Event.Type);
    }

    [Fact]
    public void A_reminded_demand_has_no_step_due_until_the_end_of_the_due_date()
    {
        var reminded = PullLifecycle.Remind(Demand(), ReminderAt).Pull;
        Assert.Null(PullLifecycle.DeadlineStep(reminded, ReminderAt.AddHours(1), Calendar));
        Assert.Null(PullLifecycle.DeadlineStep(reminded, EndOfDueDate.AddSeconds(-1), Calendar));
    }

    [Fact]
    public void A_reminded_demand_goes_overdue_at_the_end_of_the_due_date_and_is_escalated()
    {
        var reminded = PullLifecycle.Remind(Demand(), ReminderAt).Pull;
        var step = PullLifecycle.DeadlineStep(reminded, EndOfDueDate, Calendar);

        Assert.NotNull(step);
        Assert.Equal(PullEventType.Overdue, step.Event.Type);
        Assert.Equal(PullLifecycle.HubActor, step.Event.Actor);
        Assert.True(step.Pull.Overdue, "the pull should be flagged overdue");
        Assert.True(step.Pull.Escalated, "an overdue pull should be escalated to the coordination office");
        Assert.True(step.Pull.Reminded, "the earlier reminder should stay recorded");
        Assert.Equal(PullState.AwaitingOwner, step.Pull.State);
        Assert.Equal(3u, step.Event.Seq);
    }

    [Fact]
    public void A_demand_never_reminded_goes_straight_to_overdue_after_the_due_date()
    {
        // The end of the due date in UTC, and a week later: overdue wins over the missed reminder.
        foreach (var now in new[] { new DateTimeOffset(2026, 10, 9, 16, 0, 0, TimeSpan.Zero), At(10, 16) })
        {
            var step = PullLifecycle.DeadlineStep(Demand(), now, Calendar);
            Assert.NotNull(step);
            Assert.Equal(PullEventType.Overdue, step.Event.Type);
            Assert.True(step.Pull.Overdue, $"the pull should be overdue at {now:O}");
            Assert.False(step.Pull.Reminded, "the skipped reminder should not be recorded as sent");
        }
    }

    [Fact]
    public void An_overdue_demand_has_no_further_deadline_step()
    {
        Assert.Null(PullLifecycle.DeadlineStep(OverdueDemand(), EndOfDueDate, Calendar));
        Assert.Null(PullLifecycle.DeadlineStep(OverdueDemand(), At(12, 31), Calendar));
    }

    [Theory]
    [InlineData(PullState.Fulfilled)]
    [InlineData(PullState.Refused)]
    [InlineData(PullState.InCoordination)]
    [InlineData(PullState.RefusalUpheld)]
    [InlineData(PullState.Cancelled)]
    public void A_pull_not_awaiting_its_owner_has_no_deadline_step(PullState state) =>
        Assert.Null(PullLifecycle.DeadlineStep(PullIn(state), At(12, 31), Calendar));

    // ---- Fulfil ----

    [Fact]
    public void The_owner_fulfils_a_demand_and_the_material_joins_the_library()
    {
        var evidence = Material(suppliedByPull: PullId); // the workflow sets SuppliedByPull to the pull's id
        var at = At(9, 30, 15);
        var step = PullLifecycle.Fulfil(Demand(), Owner, evidence, at);

        Assert.Equal(PullState.Fulfilled, step.Pull.State);
        Assert.Equal(PullFulfilment.Owner, step.Pull.Fulfilment);
        Assert.Equal(evidence, step.Pull.Evidence);
        Assert.Equal(PullEventType.Fulfilled, step.Event.Type);
        Assert.Equal("city-amr", step.Event.Actor);
        Assert.Equal(2u, step.Event.Seq);
        Assert.Equal(Timestamp.FromDateTimeOffset(at), step.Pull.UpdatedAt);
        Assert.DoesNotContain("逾期", step.Event.Detail);
        Assert.True(step.Event.Pull.Evidence.Content.IsEmpty, "the event's snapshot should leave the evidence's bytes out");
        Assert.False(step.Pull.Evidence.Content.IsEmpty, "the pull itself should keep the evidence's bytes");

        Assert.NotNull(step.JoinsLibrary);
        Assert.Equal(Uscc, step.JoinsLibrary.Uscc);
        Assert.Equal("MAT-FIRE-ACCEPT", step.JoinsLibrary.ItemType);
        Assert.Equal(at, step.JoinsLibrary.AddedAt);
        Assert.Equal(evidence, step.JoinsLibrary.Evidence);
        Assert.Equal(PullId, step.JoinsLibrary.Evidence.SuppliedByPull);
        Assert.Equal(evidence.Content, step.JoinsLibrary.Evidence.Content);
    }

    [Fact]
    public void Fulfil_passes_the_evidence_to_the_library_as_given_and_does_not_set_SuppliedByPull_itself()
    {
        // Documents the division of work: DataPullWorkflow.FulfilAsync sets SuppliedByPull = pull id before the step.
        var step = PullLifecycle.Fulfil(Demand(), Owner, Material(), At(9, 30));
        Assert.NotNull(step.JoinsLibrary);
        Assert.Equal("", step.JoinsLibrary.Evidence.SuppliedByPull);
    }

    [Fact]
    public void The_owner_may_still_fulfil_an_overdue_demand()
    {
        var step = PullLifecycle.Fulfil(OverdueDemand(), Owner, Material(PullId), At(10, 12));

        Assert.Equal(PullState.Fulfilled, step.Pull.State);
        Assert.True(step.Pull.Overdue, "the pull should still show it was answered late");
        Assert.Contains("逾期办结", step.Event.Detail);
        Assert.NotNull(step.JoinsLibrary);
    }

    [Fact]
    public void Only_the_owner_may_fulfil()
    {
        foreach (var actor in new[] { Unrelated, Requester, Coordination, SuperAdmin })
        {
            var e = Rejected(WorkflowErrorKind.PermissionDenied, () => PullLifecycle.Fulfil(Demand(), actor, Material(), At(9, 30)));
            Assert.Contains("'city-amr'", e.Message);
            Assert.Contains($"'{actor.Agency}'", e.Message);
        }
    }

    [Theory]
    [InlineData(PullState.Fulfilled)]
    [InlineData(PullState.Refused)]
    [InlineData(PullState.InCoordination)]
    [InlineData(PullState.RefusalUpheld)]
    [InlineData(PullState.Cancelled)]
    public void A_pull_not_awaiting_its_owner_cannot_be_fulfilled_and_the_message_names_its_state(PullState state)
    {
        var e = Rejected(WorkflowErrorKind.FailedPrecondition, () => PullLifecycle.Fulfil(PullIn(state), Owner, Material(), At(10, 12)));
        Assert.Contains($"is {Name(state)}", e.Message);
        Assert.Contains("AWAITING_OWNER", e.Message);
    }

    // ---- Refuse ----

    [Fact]
    public void The_owner_refuses_with_a_reason_and_a_legal_basis()
    {
        var step = PullLifecycle.Refuse(Demand(), Owner, "  该材料涉及国家秘密 ", " 《保守国家秘密法》第二十八条 ", At(9, 30));

        Assert.Equal(PullState.Refused, step.Pull.State);
        Assert.Equal("该材料涉及国家秘密", step.Pull.RefusalReason);
        Assert.Equal("《保守国家秘密法》第二十八条", step.Pull.RefusalLegalBasis);
        Assert.Equal(PullEventType.Refused, step.Event.Type);
        Assert.Equal("city-amr", step.Event.Actor);
        Assert.Contains("该材料涉及国家秘密", step.Event.Detail);
        Assert.Contains("《保守国家秘密法》第二十八条", step.Event.Detail);
        Assert.Null(step.JoinsLibrary);
    }

    [Fact]
    public void The_owner_may_refuse_an_overdue_demand()
    {
        var step = PullLifecycle.Refuse(OverdueDemand(), Owner, "理由", "依据", At(10, 12));
        Assert.Equal(PullState.Refused, step.Pull.State);
    }

    [Theory]
    [InlineData("", "依据", "refuse.reason")]
    [InlineData("   ", "依据", "refuse.reason")]
    [InlineData(null, "依据", "refuse.reason")]
    [InlineData("理由", "", "refuse.legal_basis")]
    [InlineData("理由", " \t", "refuse.legal_basis")]
    [InlineData("理由", null, "refuse.legal_basis")]
    public void A_refusal_without_a_reason_or_a_legal_basis_is_refused_naming_the_field(string? reason, string? legalBasis, string field)
    {
        var e = Rejected(WorkflowErrorKind.InvalidArgument, () => PullLifecycle.Refuse(Demand(), Owner, reason!, legalBasis!, At(9, 30)));
        Assert.Contains(field, e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void Only_the_owner_may_refuse()
    {
        foreach (var actor in new[] { Requester, Unrelated, Coordination })
            Rejected(WorkflowErrorKind.PermissionDenied, () => PullLifecycle.Refuse(Demand(), actor, "理由", "依据", At(9, 30)));
    }

    [Theory]
    [InlineData(PullState.Fulfilled)]
    [InlineData(PullState.Refused)]
    [InlineData(PullState.InCoordination)]
    [InlineData(PullState.RefusalUpheld)]
    [InlineData(PullState.Cancelled)]
    public void Only_a_pull_awaiting_its_owner_can_be_refused(PullState state)
    {
        var e = Rejected(WorkflowErrorKind.FailedPrecondition, () => PullLifecycle.Refuse(PullIn(state), Owner, "理由", "依据", At(10, 12)));
        Assert.Contains($"is {Name(state)}", e.Message);
    }

    // ---- Escalate ----

    [Fact]
    public void The_requester_escalates_a_refusal_to_the_coordination_office()
    {
        var step = PullLifecycle.Escalate(RefusedPull(), Requester, " 材料不涉密，审批必需 ", At(10, 8));

        Assert.Equal(PullState.InCoordination, step.Pull.State);
        Assert.True(step.Pull.Escalated, "an escalated pull should be flagged escalated");
        Assert.Equal("材料不涉密，审批必需", step.Pull.EscalationReason);
        Assert.Equal("该材料涉及国家秘密", step.Pull.RefusalReason);
        Assert.Equal(PullEventType.Escalated, step.Event.Type);
        Assert.Equal("city-approval", step.Event.Actor);
    }

    [Fact]
    public void Only_the_requester_may_escalate()
    {
        foreach (var actor in new[] { Owner, Unrelated, Coordination, SuperAdmin })
            Rejected(WorkflowErrorKind.PermissionDenied, () => PullLifecycle.Escalate(RefusedPull(), actor, "理由", At(10, 8)));
    }

    [Theory]
    [InlineData(PullState.AwaitingOwner)]
    [InlineData(PullState.Fulfilled)]
    [InlineData(PullState.InCoordination)]
    [InlineData(PullState.RefusalUpheld)]
    [InlineData(PullState.Cancelled)]
    public void Only_a_refused_pull_can_be_escalated(PullState state)
    {
        var e = Rejected(WorkflowErrorKind.FailedPrecondition, () => PullLifecycle.Escalate(PullIn(state), Requester, "理由", At(10, 12)));
        Assert.Contains($"is {Name(state)}", e.Message);
        Assert.Contains("REFUSED", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData(null)]
    public void An_escalation_needs_a_reason(string? reason)
    {
        var e = Rejected(WorkflowErrorKind.InvalidArgument, () => PullLifecycle.Escalate(RefusedPull(), Requester, reason!, At(10, 8)));
        Assert.Contains("reason is missing", e.Message);
    }

    // ---- UpholdRefusal ----

    [Fact]
    public void The_coordination_office_upholds_an_escalated_refusal()
    {
        var step = PullLifecycle.UpholdRefusal(InCoordinationPull(), Coordination, " 拒绝理由成立 ", At(10, 9));

        Assert.Equal(PullState.RefusalUpheld, step.Pull.State);
        Assert.Equal("拒绝理由成立", step.Pull.RulingOpinion);
        Assert.Equal(PullEventType.RuledRefusalUpheld, step.Event.Type);
        Assert.Equal("city-coordination", step.Event.Actor);
        Assert.Contains("拒绝理由成立", step.Event.Detail);
    }

    [Fact]
    public void Only_the_coordination_role_may_uphold_a_refusal_not_even_the_super_admin()
    {
        foreach (var actor in new[] { SuperAdmin, Requester, Owner, Unrelated })
        {
            var e = Rejected(WorkflowErrorKind.PermissionDenied, () => PullLifecycle.UpholdRefusal(InCoordinationPull(), actor, "意见", At(10, 9)));
            Assert.Contains("coordination", e.Message);
        }
    }

    [Theory]
    [InlineData(PullState.AwaitingOwner)]
    [InlineData(PullState.Fulfilled)]
    [InlineData(PullState.Refused)]
    [InlineData(PullState.RefusalUpheld)]
    [InlineData(PullState.Cancelled)]
    public void Only_a_pull_in_coordination_can_have_its_refusal_upheld(PullState state)
    {
        var e = Rejected(WorkflowErrorKind.FailedPrecondition, () => PullLifecycle.UpholdRefusal(PullIn(state), Coordination, "意见", At(10, 12)));
        Assert.Contains($"is {Name(state)}", e.Message);
        Assert.Contains("IN_COORDINATION", e.Message);
    }

    [Fact]
    public void An_overdue_demand_cannot_have_a_refusal_upheld()
    {
        Rejected(WorkflowErrorKind.FailedPrecondition, () => PullLifecycle.UpholdRefusal(OverdueDemand(), Coordination, "意见", At(10, 12)));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(null)]
    public void Upholding_a_refusal_needs_an_opinion(string? opinion)
    {
        var e = Rejected(WorkflowErrorKind.InvalidArgument, () => PullLifecycle.UpholdRefusal(InCoordinationPull(), Coordination, opinion!, At(10, 9)));
        Assert.Contains("opinion is missing", e.Message);
    }

    // ---- DirectFulfilment ----

    [Fact]
    public void The_coordination_office_directs_fulfilment_of_an_escalated_refusal_by_a_date_counted_from_the_ruling_day()
    {
        // Ruling Monday 2026-10-12; 5 working days: 10-13..10-16 and Monday 10-19.
        var step = PullLifecycle.DirectFulfilment(InCoordinationPull(), Coordination, " 材料可共享，请办结 ", 5, Calendar, At(10, 12));

        Assert.Equal(PullState.AwaitingOwner, step.Pull.State);
        Assert.Equal("2026-10-19", step.Pull.DueOn);
        Assert.Equal(5u, step.Pull.TimeLimitWorkingDays);
        Assert.Equal("材料可共享，请办结", step.Pull.RulingOpinion);
        Assert.True(step.Pull.Escalated, "the pull should stay marked as escalated");
        Assert.False(step.Pull.Overdue, "a directed pull should start not overdue");
        Assert.False(step.Pull.Reminded, "a directed pull should start not reminded");
        Assert.Equal(PullEventType.RuledFulfil, step.Event.Type);
        Assert.Equal("city-coordination", step.Event.Actor);
        Assert.Contains("2026-10-19", step.Event.Detail);
        Assert.Equal(At(10, 16, 9), PullLifecycle.NextActionAt(step.Pull, Calendar));
    }

    [Fact]
    public void The_coordination_office_directs_fulfilment_of_an_overdue_demand_and_the_flags_start_again()
    {
        var overdue = PullLifecycle.MarkOverdue(PullLifecycle.Remind(Demand(), ReminderAt).Pull, EndOfDueDate).Pull;
        Assert.True(overdue.Reminded && overdue.Overdue, "setup: the demand should be reminded and overdue");

        // Ruling Monday 2026-10-12 with 2 working days: due Wednesday 10-14, not counted from the old due date 10-09.
        var step = PullLifecycle.DirectFulfilment(overdue, Coordination, "限期办结", 2, Calendar, At(10, 12));

        Assert.Equal(PullState.AwaitingOwner, step.Pull.State);
        Assert.Equal("2026-10-14", step.Pull.DueOn);
        Assert.False(step.Pull.Overdue, "the overdue flag should be reset for the new due date");
        Assert.False(step.Pull.Reminded, "the reminder flag should be reset for the new due date");
        Assert.Equal(At(10, 13, 9), PullLifecycle.NextActionAt(step.Pull, Calendar));
        var reminder = PullLifecycle.DeadlineStep(step.Pull, At(10, 13, 9), Calendar);
        Assert.NotNull(reminder);
        Assert.Equal(PullEventType.Reminded, reminder.Event.Type);
    }

    [Fact]
    public void A_demand_that_is_not_overdue_cannot_be_directed()
    {
        var e = Rejected(WorkflowErrorKind.FailedPrecondition, () => PullLifecycle.DirectFulfilment(Demand(), Coordination, "意见", 5, Calendar, At(10, 8)));
        Assert.Contains("AWAITING_OWNER", e.Message);
        Assert.Contains("not overdue", e.Message);
    }

    [Theory]
    [InlineData(PullState.Fulfilled)]
    [InlineData(PullState.Refused)]
    [InlineData(PullState.RefusalUpheld)]
    [InlineData(PullState.Cancelled)]
    public void Fulfilment_cannot_be_directed_on_a_pull_neither_in_coordination_nor_overdue(PullState state)
    {
        var e = Rejected(WorkflowErrorKind.FailedPrecondition, () => PullLifecycle.DirectFulfilment(PullIn(state), Coordination, "意见", 5, Calendar, At(10, 12)));
        Assert.Contains($"is {Name(state)}", e.Message);
    }

    [Fact]
    public void Only_the_coordination_role_may_direct_fulfilment()
    {
        foreach (var actor in new[] { SuperAdmin, Requester, Owner })
            Rejected(WorkflowErrorKind.PermissionDenied, () => PullLifecycle.DirectFulfilment(InCoordinationPull(), actor, "意见", 5, Calendar, At(10, 12)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(61)]
    public void A_directed_time_limit_outside_1_to_60_working_days_is_refused(int days)
    {
        var e = Rejected(WorkflowErrorKind.InvalidArgument, () => PullLifecycle.DirectFulfilment(InCoordinationPull(), Coordination, "意见", days, Calendar, At(10, 12)));
        Assert.Contains($"is {days}", e.Message);
        Assert.Contains("1 to 60", e.Message);
    }

    [Theory]
    [InlineData(1, "2026-10-13")]
    [InlineData(60, "2027-01-05")]  // 10-13..12-31 are 58; 2027-01-01 off, 01-02/03 weekend; 01-04, 01-05
    public void A_directed_time_limit_of_1_or_60_working_days_is_accepted(int days, string dueOn)
    {
        var step = PullLifecycle.DirectFulfilment(InCoordinationPull(), Coordination, "意见", days, Calendar, At(10, 12));
        Assert.Equal(Calendar.AddWorkingDays(new DateOnly(2026, 10, 12), days).ToString("yyyy-MM-dd"), step.Pull.DueOn);
        Assert.Equal(dueOn, step.Pull.DueOn);
    }

    [Fact]
    public void Directing_fulfilment_needs_an_opinion()
    {
        var e = Rejected(WorkflowErrorKind.InvalidArgument, () => PullLifecycle.DirectFulfilment(InCoordinationPull(), Coordination, " ", 5, Calendar, At(10, 12)));
        Assert.Contains("opinion is missing", e.Message);
    }

    // ---- Cancel ----

    [Theory]
    [InlineData(PullState.AwaitingOwner)]
    [InlineData(PullState.Refused)]
    [InlineData(PullState.InCoordination)]
    public void The_requester_may_cancel_a_pull_that_is_not_closed(PullState state)
    {
        var step = PullLifecycle.Cancel(PullIn(state), Requester, " 案件已撤回 ", At(10, 12));

        Assert.Equal(PullState.Cancelled, step.Pull.State);
        Assert.Equal(PullEventType.Cancelled, step.Event.Type);
        Assert.Equal("city-approval", step.Event.Actor);
        Assert.Equal("申请方撤回：案件已撤回", step.Event.Detail);
    }

    [Fact]
    public void A_cancellation_needs_no_reason_and_an_overdue_demand_can_be_cancelled()
    {
        var step = PullLifecycle.Cancel(OverdueDemand(), Requester, "", At(10, 12));
        Assert.Equal(PullState.Cancelled, step.Pull.State);
        Assert.Equal("申请方撤回", step.Event.Detail);
        Assert.Null(PullLifecycle.DeadlineStep(step.Pull, At(12, 31), Calendar));
    }

    [Fact]
    public void Only_the_requester_may_cancel()
    {
        foreach (var actor in new[] { Owner, Unrelated, Coordination, SuperAdmin })
        {
            var e = Rejected(WorkflowErrorKind.PermissionDenied, () => PullLifecycle.Cancel(Demand(), actor, "", At(9, 30)));
            Assert.Contains("'city-approval'", e.Message);
        }
    }

    [Theory]
    [InlineData(PullState.Fulfilled)]
    [InlineData(PullState.RefusalUpheld)]
    [InlineData(PullState.Cancelled)]
    public void A_closed_pull_cannot_be_cancelled(PullState state)
    {
        var e = Rejected(WorkflowErrorKind.FailedPrecondition, () => PullLifecycle.Cancel(PullIn(state), Requester, "", At(10, 12)));
        Assert.Contains($"is {Name(state)}", e.Message);
    }

    // ---- Rate ----

    [Theory]
    [InlineData(PullState.Fulfilled, PullRating.Good, "")]
    [InlineData(PullState.Fulfilled, PullRating.Fair, "稍慢")]
    [InlineData(PullState.RefusalUpheld, PullRating.Poor, "拒绝理由未说明具体条款")]
    public void The_requester_rates_a_closed_pull(PullState state, PullRating rating, string comment)
    {
        var step = PullLifecycle.Rate(PullIn(state), Requester, rating, comment, At(10, 12));

        Assert.Equal(state, step.Pull.State);
        Assert.Equal(rating, step.Pull.Rating);
        Assert.Equal(comment, step.Pull.RatingComment);
        Assert.Equal(PullEventType.Rated, step.Event.Type);
        Assert.Equal("city-approval", step.Event.Actor);
    }

    [Fact]
    public void A_pull_answered_from_the_library_can_be_rated()
    {
        var pull = PullLifecycle.FulfilledFromLibrary(PullId, Draft(), LicenceEvidence(), RequestedAt).Pull;
        var step = PullLifecycle.Rate(pull, Requester, PullRating.Good, "", RequestedAt.AddMinutes(5));
        Assert.Equal(PullRating.Good, step.Pull.Rating);
        Assert.Equal(2u, step.Event.Seq);
    }

    [Fact]
    public void A_pull_is_rated_only_once()
    {
        var rated = PullLifecycle.Rate(PullIn(PullState.Fulfilled), Requester, PullRating.Good, "", At(10, 12)).Pull;
        var e = Rejected(WorkflowErrorKind.FailedPrecondition, () => PullLifecycle.Rate(rated, Requester, PullRating.Poor, "改评差", At(10, 13)));
        Assert.Contains("already rated", e.Message);
    }

    [Fact]
    public void A_rating_must_be_given()
    {
        var e = Rejected(WorkflowErrorKind.InvalidArgument, () => PullLifecycle.Rate(PullIn(PullState.Fulfilled), Requester, PullRating.Unspecified, "", At(10, 12)));
        Assert.Contains("rating is missing", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void A_poor_rating_without_a_comment_is_refused(string? comment)
    {
        var e = Rejected(WorkflowErrorKind.InvalidArgument, () => PullLifecycle.Rate(PullIn(PullState.Fulfilled), Requester, PullRating.Poor, comment!, At(10, 12)));
        Assert.Contains("comment", e.Message);
    }

    [Fact]
    public void Only_the_requester_may_rate()
    {
        foreach (var actor in new[] { Owner, Unrelated, Coordination, SuperAdmin })
            Rejected(WorkflowErrorKind.PermissionDenied, () => PullLifecycle.Rate(PullIn(PullState.Fulfilled), actor, PullRating.Good, "", At(10, 12)));
    }

    [Theory]
    [InlineData(PullState.AwaitingOwner)]
    [InlineData(PullState.Refused)]
    [InlineData(PullState.InCoordination)]
    [InlineData(PullState.Cancelled)]
    public void Only_a_fulfilled_pull_or_an_upheld_refusal_can_be_rated(PullState state)
    {
        var e = Rejected(WorkflowErrorKind.FailedPrecondition, () => PullLifecycle.Rate(PullIn(state), Requester, PullRating.Good, "", At(10, 12)));
        Assert.Contains($"is {Name(state)}", e.Message);
    }

    // ---- CanSee ----

    [Fact]
    public void The_requester_the_owner_of_a_demand_and_the_overseers_see_a_pull_and_no_one_else()
    {
        var demand = Demand();
        Assert.True(PullLifecycle.CanSee(demand, Requester), "the requester should see its pull");
        Assert.True(PullLifecycle.CanSee(demand, Owner), "the owner should see a demand addressed to it");
        Assert.True(PullLifecycle.CanSee(demand, Coordination), "the coordination office should see every pull");
        Assert.True(PullLifecycle.CanSee(demand, SuperAdmin), "the super-admin studio should see every pull");
        Assert.False(PullLifecycle.CanSee(demand, Unrelated), "an unrelated agency should not see the pull");
    }

    [Fact]
    public void The_owner_does_not_see_a_pull_answered_from_the_library()
    {
        var pull = PullLifecycle.FulfilledFromLibrary(PullId, Draft(), LicenceEvidence(), RequestedAt).Pull;
        Assert.False(PullLifecycle.CanSee(pull, Owner), "the owner was never asked, so it should not see a library pull");
        Assert.True(PullLifecycle.CanSee(pull, Requester), "the requester should see its library pull");
        Assert.True(PullLifecycle.CanSee(pull, Coordination), "the coordination office should see a library pull");
        Assert.True(PullLifecycle.CanSee(pull, SuperAdmin), "the super-admin studio should see a library pull");
        Assert.False(PullLifecycle.CanSee(pull, Unrelated), "an unrelated agency should not see a library pull");
    }

    [Fact]
    public void The_owner_still_sees_a_demand_it_fulfilled()
    {
        Assert.True(PullLifecycle.CanSee(PullIn(PullState.Fulfilled), Owner), "the owner should see a demand it answered");
    }

    // ---- text length ----

    public static TheoryData<string, string> TextSteps() => new()
    {
        { "refuse.reason", "refuse.reason" },
        { "refuse.legal_basis", "refuse.legal_basis" },
        { "escalate", "reason" },
        { "uphold", "opinion" },
        { "direct", "opinion" },
        { "cancel", "reason" },
        { "rate", "comment" },
    };

    private static PullStep TakeWithText(string which, string text) => which switch
    {
        "refuse.reason" => PullLifecycle.Refuse(Demand(), Owner, text, "依据", At(9, 30)),
        "refuse.legal_basis" => PullLifecycle.Refuse(Demand(), Owner, "理由", text, At(9, 30)),
        "escalate" => PullLifecycle.Escalate(RefusedPull(), Requester, text, At(10, 8)),
        "uphold" => PullLifecycle.UpholdRefusal(InCoordinationPull(), Coordination, text, At(10, 9)),
        "direct" => PullLifecycle.DirectFulfilment(InCoordinationPull(), Coordination, text, 5, Calendar, At(10, 12)),
        "cancel" => PullLifecycle.Cancel(Demand(), Requester, text, At(9, 30)),
        "rate" => PullLifecycle.Rate(PullIn(PullState.Fulfilled), Requester, PullRating.Poor, text, At(10, 12)),
        _ => throw new ArgumentOutOfRangeException(nameof(which), which, "no such step"),
    };

    [Theory]
    [MemberData(nameof(TextSteps))]
    public void Text_longer_than_the_limit_is_refused_naming_the_field(string step, string field)
    {
        var text = new string('字', PullLifecycle.MaxTextLength + 1);
        var e = Rejected(WorkflowErrorKind.InvalidArgument, () => TakeWithText(step, text));
        Assert.StartsWith(field + " has", e.Message);
        Assert.Contains($"{PullLifecycle.MaxTextLength + 1} characters", e.Message);
        Assert.Contains($"at most {PullLifecycle.MaxTextLength}", e.Message);
    }

    public static TheoryData<string> TextStepNames() => new() { "refuse.reason", "refuse.legal_basis", "escalate", "uphold", "direct", "cancel", "rate" };

    [Theory]
    [MemberData(nameof(TextStepNames))]
    public void Text_of_exactly_the_limit_is_accepted_after_trimming(string step)
    {
        var text = "  " + new string('字', PullLifecycle.MaxTextLength) + "  ";
        var taken = TakeWithText(step, text);
        Assert.Equal(PullId, taken.Pull.Id);
        Assert.Contains(new string('字', PullLifecycle.MaxTextLength), taken.Event.Detail);
    }

    // ---- event sequence ----

    [Fact]
    public void Each_step_adds_one_event_numbered_in_order()
    {
        var steps = new List<PullStep> { PullLifecycle.Demanded(PullId, Draft(), Calendar, RequestedAt) };
        PullStep Next(Func<DataPull, PullStep> take)
        {
            var step = take(steps[^1].Pull);
            steps.Add(step);
            return step;
        }
        Next(p => PullLifecycle.Refuse(p, Owner, "理由", "依据", At(9, 30)));
        Next(p => PullLifecycle.Escalate(p, Requester, "理由", At(10, 8)));
        Next(p => PullLifecycle.DirectFulfilment(p, Coordination, "意见", 2, Calendar, At(10, 12)));
        Next(p => PullLifecycle.DeadlineStep(p, At(10, 13, 9), Calendar)!);
        Next(p => PullLifecycle.DeadlineStep(p, At(10, 15, 0), Calendar)!);
        Next(p => PullLifecycle.Fulfil(p, Owner, Material(PullId), At(10, 15, 10)));
        Next(p => PullLifecycle.Rate(p, Requester, PullRating.Fair, "逾期", At(10, 16)));

        Assert.Equal(
            [PullEventType.Demanded, PullEventType.Refused, PullEventType.Escalated, PullEventType.RuledFulfil,
             PullEventType.Reminded, PullEventType.Overdue, PullEventType.Fulfilled, PullEventType.Rated],
            steps.Select(s => s.Event.Type));
        for (int i = 0; i < steps.Count; i++)
        {
            var expected = (uint)(i + 1);
            Assert.Equal(expected, steps[i].Event.Seq);
            Assert.Equal(expected, steps[i].Pull.Events);
            Assert.Equal(expected, steps[i].Event.Pull.Events);
            Assert.Equal(PullId, steps[i].Event.PullId);
        }
    }

    [Fact]
    public void A_step_leaves_the_pull_it_was_given_unchanged()
    {
        var demand = Demand();
        var before = demand.Clone();
        PullLifecycle.Refuse(demand, Owner, "理由", "依据", At(9, 30));
        PullLifecycle.Remind(demand, ReminderAt);
        PullLifecycle.MarkOverdue(demand, EndOfDueDate);
        Assert.Equal(before, demand);
    }

    // ---- EvidenceHash ----

    private static string Sha256Hex(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    [Fact]
    public void The_evidence_hash_is_the_SHA256_of_the_content_when_there_is_content()
    {
        var evidence = Material();
        var hash = PullLifecycle.EvidenceHash(evidence);
        Assert.Equal(Sha256Hex(evidence.Content.ToByteArray()), hash);
        Assert.Matches("^[0-9a-f]{64}$", hash);

        // Content wins over a licence.
        evidence.Licence = LicenceEvidence().Licence;
        Assert.Equal(Sha256Hex(evidence.Content.ToByteArray()), PullLifecycle.EvidenceHash(evidence));
    }

    [Fact]
    public void The_evidence_hash_of_a_licence_is_the_SHA256_of_its_protobuf_encoding()
    {
        var evidence = LicenceEvidence();
        Assert.Equal(Sha256Hex(evidence.Licence.ToByteArray()), PullLifecycle.EvidenceHash(evidence));
        Assert.NotEqual(Sha256Hex(evidence.ToByteArray()), PullLifecycle.EvidenceHash(evidence));
    }

    [Fact]
    public void The_evidence_hash_of_empty_evidence_is_the_SHA256_of_nothing()
    {
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", PullLifecycle.EvidenceHash(new PullEvidence()));
    }
}
