using DataHub.Core.Pulls;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Core.Linkage;

/// <summary>One step of a tracked commitment: the commitment after it, its event, and when the hub must next look at it.</summary>
public sealed record CommitmentStep(TrackedCommitment Commitment, LinkageEvent Event)
{
    public DateTimeOffset? NextActionAt { get; init; }
}

/// <summary>
/// Notification-commitment approvals (告知承诺) [002 §二(二)5, §二(三)8], pure. 材料延期 and 容缺受理:
/// the deadline is tracked, the applicant reminded the day before, and an unkept deadline or a
/// reported breach makes the commitment failed (the approval agency may revoke; the dishonesty record
/// goes to the credit platform); kept commitments are recorded as kept. 材料核验: checked against the
/// e-licence library when the commitment arrives. 事后核查: handed to the regulator as a task.
/// </summary>
public static class CommitmentLifecycle
{
    /// <summary>Reminders go out at 09:00 China time on the day before the deadline.</summary>
    public static readonly TimeOnly ReminderTime = new(9, 0);

    /// <summary>A commitment record the linkage tracks: a kind of 告知承诺 or 容缺受理, of a known enterprise.</summary>
    public static bool IsTracked(CanonicalRecord record) =>
        record.BodyCase == CanonicalRecord.BodyOneofCase.Commitment && record.Commitment.Type != CommitmentType.None && record.Uscc.Length > 0 &&
        record.Commitment.CommitmentCode.Trim().Length > 0;

    /// <summary>Whether the kind has a deadline the applicant must meet (材料延期, 容缺受理).</summary>
    public static bool HasDeadline(CommitmentType type) => type is CommitmentType.MaterialDeferred or CommitmentType.AcceptedWithGaps;

    /// <summary>
    /// The first sight of a commitment. For 材料核验 <paramref name="validLicences"/> are the enterprise's
    /// valid licences in the e-licence library; for 事后核查 <paramref name="postCheckTaskId"/> is the task
    /// that carries it (null: no catalogue row routes its case).
    /// </summary>
    public static CommitmentStep Track(CanonicalRecord record, DateTimeOffset at, IReadOnlyList<Licence> validLicences, string? postCheckTaskId)
    {
        var c = record.Commitment;
        var tracked = new TrackedCommitment
        {
            Code = c.CommitmentCode.Trim(),
            Uscc = record.Uscc,
            EnterpriseName = record.EnterpriseName,
            CaseNo = c.CaseNo,
            Type = c.Type,
            Content = c.Content,
            Deadline = c.Deadline,
            Source = record.Source,
            SourceId = record.SourceId,
            TrackedAt = Timestamp.FromDateTimeOffset(at),
        };
        switch (c.Type)
        {
            case CommitmentType.MaterialVerified:
                tracked.State = validLicences.Count > 0 ? CommitmentTrackState.Verified : CommitmentTrackState.VerificationFailed;
                tracked.Verification = validLicences.Count > 0
                    ? "电子证照库有效证照：" + string.Join("、", validLicences.Select(l => $"{l.LicenceType}（{l.LicenceNo}）"))
                    : "电子证照库中没有该企业的有效证照";
                return Step(tracked, LinkageEventType.CommitmentVerified, at, tracked.State == CommitmentTrackState.Verified ? "材料核验通过：" + tracked.Verification : "材料核验未通过：" + tracked.Verification);
            case CommitmentType.PostCheck:
                tracked.State = postCheckTaskId is null ? CommitmentTrackState.PostCheckUnrouted : CommitmentTrackState.PostCheckTasked;
                tracked.TaskId = postCheckTaskId ?? "";
                return Step(tracked, LinkageEventType.CommitmentTracked, at,
                    postCheckTaskId is null ? "事后核查：办件的审批事项未关联监管事项，待目录维护" : $"事后核查：已生成监管任务 {postCheckTaskId}");
        }
        switch (c.Status)
        {
            case CommitmentStatus.Kept:
                tracked.State = CommitmentTrackState.Kept;
                return Step(tracked, LinkageEventType.CommitmentKept, at, $"承诺已履行（{c.ResolvedOn}）");
            case CommitmentStatus.Broken:
                tracked.State = CommitmentTrackState.Broken;
                return Step(tracked, LinkageEventType.CommitmentBroken, at, $"承诺未履行（失诺，{c.ResolvedOn}），审批部门可依法撤销许可");
        }
        tracked.State = CommitmentTrackState.Pending;
        // A deadline the hub cannot read is shown, not guessed: no reminder and no overdue flag follow.
        return Step(tracked, LinkageEventType.CommitmentTracked, at, ChinaDates.ParseCanonical(c.Deadline) is null
            ? $"开始跟踪承诺；履诺期限缺失或无法识别（'{c.Deadline}'），不能提醒，请审批部门核实"
            : $"开始跟踪承诺，履诺期限 {c.Deadline}");
    }

    /// <summary>A later version of the commitment record: kept or broken as the approval side reports it; null when nothing changes.</summary>
    public static CommitmentStep? Update(TrackedCommitment current, CanonicalRecord record, DateTimeOffset at)
    {
        if (!HasDeadline(current.Type)) return null;
        var c = record.Commitment;
        var next = current.Clone();
        switch (c.Status)
        {
            case CommitmentStatus.Kept when current.State is CommitmentTrackState.Pending or CommitmentTrackState.Overdue:
                next.State = CommitmentTrackState.Kept;
                return Step(next, LinkageEventType.CommitmentKept, at, current.State == CommitmentTrackState.Overdue ? $"承诺已履行（逾期后履行，{c.ResolvedOn}）" : $"承诺已履行（{c.ResolvedOn}）");
            case CommitmentStatus.Broken when current.State == CommitmentTrackState.Pending:
                next.State = CommitmentTrackState.Broken;
                return Step(next, LinkageEventType.CommitmentBroken, at, $"承诺未履行（失诺，{c.ResolvedOn}），审批部门可依法撤销许可");
            default:
                return null;
        }
    }

    /// <summary>The deadline step due now: overdue first when the deadline has ended (a reminder after it is moot), else the reminder.</summary>
    public static CommitmentStep? DeadlineStep(TrackedCommitment current, DateTimeOffset now)
    {
        if (current.State != CommitmentTrackState.Pending || ChinaDates.ParseCanonical(current.Deadline) is not { } deadline) return null;
        var next = current.Clone();
        if (now >= ChinaDates.EndOf(deadline))
        {
            next.State = CommitmentTrackState.Overdue;
            return Step(next, LinkageEventType.CommitmentOverdue, now, $"超过履诺期限（{current.Deadline}）未履行，审批部门可依法撤销许可，失信记录已推送");
        }
        if (current.Reminded || now < ReminderAt(deadline)) return null;
        next.Reminded = true;
        return Step(next, LinkageEventType.CommitmentReminded, now, $"提醒申请人：履诺期限 {current.Deadline}（明日）");
    }

    public static DateTimeOffset? NextActionAt(TrackedCommitment c)
    {
        if (c.State != CommitmentTrackState.Pending || ChinaDates.ParseCanonical(c.Deadline) is not { } deadline) return null;
        return c.Reminded ? ChinaDates.EndOf(deadline) : ReminderAt(deadline);
    }

    public static DateTimeOffset ReminderAt(DateOnly deadline) => new(deadline.AddDays(-1).ToDateTime(ReminderTime), ChinaDates.Offset);

    private static CommitmentStep Step(TrackedCommitment c, LinkageEventType type, DateTimeOffset at, string detail)
    {
        c.Events++;
        c.UpdatedAt = Timestamp.FromDateTimeOffset(at);
        var e = new LinkageEvent { TaskId = c.Code, Seq = c.Events, Type = type, Actor = PullLifecycle.HubActor, At = Timestamp.FromDateTimeOffset(at), Detail = detail, Commitment = c.Clone() };
        return new CommitmentStep(c, e) { NextActionAt = NextActionAt(c) };
    }
}
