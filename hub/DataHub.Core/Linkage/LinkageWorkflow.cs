using DataHub.Core.Audit;
using DataHub.Core.Calendar;
using DataHub.Core.Ingest;
using DataHub.Core.Pulls;
using DataHub.Core.Workflows;
using DataHub.Schema.V1;
using Google.Protobuf;

namespace DataHub.Core.Linkage;

/// <summary>
/// Approval-regulation linkage (审管联动), over ports: follows the record log for completed approval
/// cases (whatever brought them: the provincial-platform adapter, IngestService, an import), makes one
/// regulatory task per case for the division the catalogue links, pushes it to the regulation platform
/// through the outbox, reminds the division admin, flags late views, and takes the division's steps.
/// After each stored step: an audit-chain entry, an event on datahub.linkage.v1, and its notices.
/// </summary>
public sealed class LinkageWorkflow
{
    /// <summary>The outbound adapter the tasks are pushed to (DataHub:Outbound:regulation-platform).</summary>
    public const string RegulationPlatform = "regulation-platform";

    /// <summary>The approval side's outbound adapter, which receives revocations (DataHub:Outbound:provincial-platform).</summary>
    public const string ApprovalPlatform = "provincial-platform";

    /// <summary>The source name of the records the linkage writes back into the log (revoked permits, broken commitments).</summary>
    public const string Source = "linkage";

    private const int PageSize = 500;

    private readonly ILinkageStore _store;
    private readonly IHubStore _log;
    private readonly IRawIntake _intake;
    private readonly ILicenceLibrary _licences;
    private readonly INotifier _notifier;
    private readonly IEventBus _bus;
    private readonly IAuditLog _audit;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _following = new(1, 1);
    private volatile CatalogueInForce _catalogue;

    private sealed record CatalogueInForce(LinkageCatalogue Catalogue, StoredLinkageCatalogue Stored);

    private LinkageWorkflow(ILinkageStore store, IHubStore log, IRawIntake intake, ILicenceLibrary licences, INotifier notifier, IEventBus bus, IAuditLog audit,
        WorkingDayCalendar calendar, TimeProvider time, LinkageAgencies agencies, CatalogueInForce catalogue)
    {
        _store = store;
        _log = log;
        _intake = intake;
        _licences = licences;
        _notifier = notifier;
        _bus = bus;
        _audit = audit;
        Calendar = calendar;
        _time = time;
        Agencies = agencies;
        _catalogue = catalogue;
    }

    /// <summary>The workflow with the catalogue in force: the latest stored revision, or else the file's, stored as revision 1.</summary>
    public static LinkageWorkflow Open(ILinkageStore store, IHubStore log, IRawIntake intake, ILicenceLibrary licences, INotifier notifier, IEventBus bus, IAuditLog audit,
        WorkingDayCalendar calendar, TimeProvider time, LinkageAgencies agencies, string catalogueCsv, string catalogueOrigin)
    {
        var stored = store.LatestCatalogue() ?? store.SaveCatalogue(LinkageCatalogue.Parse(catalogueCsv).ToCsv(), 0, "file:" + catalogueOrigin, time.GetUtcNow());
        return new LinkageWorkflow(store, log, intake, licences, notifier, bus, audit, calendar, time, agencies, new CatalogueInForce(LinkageCatalogue.Parse(stored.Csv), stored));
    }

    public WorkingDayCalendar Calendar { get; }

    /// <summary>Who hears of what: the coordination office of late views, the approval agency of commitments.</summary>
    public LinkageAgencies Agencies { get; }

    public LinkageCatalogue Catalogue => _catalogue.Catalogue;

    public StoredLinkageCatalogue CatalogueRevision => _catalogue.Stored;

    public ILinkageStore Store => _store;

    /// <summary>
    /// Reads the log from the stored cursor to its end: each completed approval becomes a task (once per
    /// case) or waits in the unmatched list; the cursor moves in the same transaction. Returns the tasks made.
    /// </summary>
    public async Task<int> FollowLogAsync(CancellationToken cancellationToken)
    {
        await _following.WaitAsync(cancellationToken);
        try
        {
            await CompleteWaitingAsync(cancellationToken);
            foreach (var task in _store.PendingRevocations(PageSize)) await ReturnRevocationAsync(task, cancellationToken);
            int made = 0;
            while (true)
            {
                var cursor = _store.Cursor();
                var page = _log.LogAfter(cursor, [CanonicalRecord.BodyOneofCase.ApprovalCase, CanonicalRecord.BodyOneofCase.Commitment], PageSize);
                if (page.Through == cursor) return made;
                var now = _time.GetUtcNow();
                var catalogue = Catalogue;
                var created = new List<TaskStep>();
                var unmatched = new List<UnmatchedCase>();
                foreach (var record in page.Records.Where(TaskLifecycle.IsCompletedApproval))
                {
                    if (catalogue.Match(record.ApprovalCase.ItemCode) is { } rule) created.Add(TaskLifecycle.Created(record, rule, Calendar, now));
                    else unmatched.Add(new UnmatchedCase(record, now));
                }
                // Cases first (a post-approval check is routed through its case's task), then the
                // commitments in log order; every step is idempotent, so the cursor moves last.
                var stored = _store.StorePage(created, unmatched, [], cursor);
                await CompleteCreatedAsync(stored, cancellationToken);
                made += stored.Count;
                foreach (var record in page.Records.Where(CommitmentLifecycle.IsTracked))
                    made += await FollowCommitmentAsync(record, now, cancellationToken);
                _store.StorePage([], [], [], page.Through);
            }
        }
        finally
        {
            _following.Release();
        }
    }

    /// <summary>Validates and stores a new catalogue, then matches the waiting approvals against it.</summary>
    public async Task<StoredLinkageCatalogue> UpdateCatalogueAsync(string csv, int expectedRevision, WorkflowActor actor, CancellationToken cancellationToken)
    {
        LinkageCatalogue parsed;
        try
        {
            parsed = LinkageCatalogue.Parse(csv);
        }
        catch (LinkageCatalogueException e)
        {
            throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument, e.Message);
        }
        await _following.WaitAsync(cancellationToken);
        try
        {
            var stored = _store.SaveCatalogue(parsed.ToCsv(), expectedRevision, actor.Agency, _time.GetUtcNow());
            _catalogue = new CatalogueInForce(parsed, stored);
            await AppendAuditAsync(actor.Agency, actor.Method, "", actor.Purpose, $"linkage catalogue revision={stored.Revision} rules={parsed.Rules.Count}");
            // Approvals that waited for this catalogue get their tasks now.
            var now = _time.GetUtcNow();
            while (true)
            {
                var (waiting, _) = _store.Unmatched(10_000);
                var matched = waiting.Where(u => parsed.Match(u.Case.ApprovalCase.ItemCode) is not null).ToList();
                if (matched.Count == 0) break;
                var created = matched.Select(u => TaskLifecycle.Created(u.Case, parsed.Match(u.Case.ApprovalCase.ItemCode)!, Calendar, now)).ToList();
                await CompleteCreatedAsync(_store.StorePage(created, [], matched, _store.Cursor()), cancellationToken);
                if (waiting.Count < 10_000) break;
            }
            return stored;
        }
        finally
        {
            _following.Release();
        }
    }

    public (IReadOnlyList<UnmatchedCase> Cases, long Total) Unmatched(int limit) => _store.Unmatched(limit);

    public TaskPage List(WorkflowActor actor, TaskView view, TaskState? state, int limit, long? before) =>
        _store.List(new TaskListQuery(view == TaskView.Unspecified ? TaskView.Mine : view, actor, state, limit, before));

    /// <summary>The task and its history, when the caller may see it (else NOT_FOUND).</summary>
    public (RegulatoryTask Task, IReadOnlyList<LinkageEvent> History) Get(WorkflowActor actor, string id)
    {
        var task = _store.Get(id.Trim());
        if (task is null || !TaskLifecycle.CanSee(task, actor)) throw NotFound(id, actor);
        return (task, _store.History(task.Id));
    }

    public Task<RegulatoryTask> AcknowledgeAsync(WorkflowActor actor, string id, CancellationToken cancellationToken) =>
        StepAsync(actor, id, task => TaskLifecycle.Acknowledge(task, actor, Calendar, _time.GetUtcNow()), cancellationToken);

    /// <summary>The division reports its result; a REVOKE_PERMIT result then goes back to the approval side (回路).</summary>
    public async Task<RegulatoryTask> SubmitResultAsync(WorkflowActor actor, string id, SupervisionResult result, CancellationToken cancellationToken)
    {
        var task = await StepAsync(actor, id, t => TaskLifecycle.SubmitResult(t, actor, result, Calendar, _time.GetUtcNow()), cancellationToken);
        return TaskLifecycle.RevocationPending(task) ? await ReturnRevocationAsync(task, cancellationToken) : task;
    }

    /// <summary>
    /// The back loop of a REVOKE_PERMIT result: the revocation pushed to the approval side and the
    /// dishonesty record to the credit platform (outbox, keyed by task), the revoked permit and the
    /// broken commitment written into the enterprise's records (so the profile shows them and 双公示
    /// publishes the revoked permit), then the step recorded. Each part is idempotent, so a hub
    /// stopped half-way finishes it on the next follow.
    /// </summary>
    private async Task<RegulatoryTask> ReturnRevocationAsync(RegulatoryTask task, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        using (var batch = _log.BeginBatch())
        {
            batch.EnqueueOutbox(new OutboxIntent(ApprovalPlatform, $"{ApprovalPlatform}:revoke:{task.Id}", "revoke-permit", task.ToByteArray()), now);
            batch.EnqueueOutbox(new OutboxIntent(Outbound.CreditPublicityPolicy.Destination, $"{Outbound.CreditPublicityPolicy.Destination}:dishonesty:{task.Id}", "dishonesty", task.ToByteArray()), now);
            batch.Commit();
        }
        var records = BackLoopRecords(task);
        var (_, summary) = await _intake.SubmitAsync(records.Select(r => new RawRecord
        {
            Source = Source, Format = Records.CanonicalRecordMapper.FormatName, Origin = $"linkage:{task.Id}", Payload = r.ToByteString(), FetchedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(now),
        }).ToList(), null, cancellationToken);
        // Records that did not go in (quarantined, with their reason) leave the revocation pending: the next follow tries again.
        if (summary.Stored + summary.Duplicates + summary.Queued < records.Count) return task;
        var step = _store.Update(task.Id, t => TaskLifecycle.RevocationReturned(t, Calendar, now));
        if (step is null) return _store.Get(task.Id)!;
        await CompleteAsync(step, null, cancellationToken);
        return step.Task;
    }

    /// <summary>
    /// The records the back loop writes: the permit as revoked, and the commitment behind it as broken.
    /// Built from the task alone (dated by its result), so a retry writes the same versions again: no-ops.
    /// </summary>
    public static IReadOnlyList<CanonicalRecord> BackLoopRecords(RegulatoryTask task)
    {
        var at = task.UpdatedAt.ToDateTimeOffset();
        var day = Records.ChinaDates.Format(Records.ChinaDates.DateOf(at));
        var occurred = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(at);
        CanonicalRecord Record(string sourceId) => new() { Source = Source, SourceId = sourceId, Uscc = task.Uscc, EnterpriseName = task.EnterpriseName, OccurredAt = occurred };
        var permit = Record("REVOKE-" + task.Id);
        permit.Licence = new Licence
        {
            LicenceNo = task.ResultLicenceNo.Length > 0 ? task.ResultLicenceNo : task.Id,
            LicenceType = task.ApprovalItemName,
            IssuingAuthority = "审管联动回路（监管部门撤销许可意见）",
            Status = LicenceStatus.Revoked,
            Scope = $"{task.Regulator} {task.Division}：{task.Result.Details}",
        };
        var broken = Record("BROKEN-" + task.Id);
        broken.Commitment = new Commitment
        {
            CommitmentCode = "BROKEN-" + task.Id,
            CaseNo = task.CaseNo,
            Content = $"监管核查发现不符合许可条件：{task.Result.Details}",
            CommittedOn = task.CaseCompletedAt is { } completed ? Records.ChinaDates.Format(Records.ChinaDates.DateOf(completed)) : day,
            Status = CommitmentStatus.Broken,
            ResolvedOn = day,
        };
        return [permit, broken];
    }

    /// <summary>Takes every deadline step due now (view reminders, late-view flags); returns how many.</summary>
    public async Task<int> RunDeadlinesAsync(CancellationToken cancellationToken)
    {
        int steps = 0;
        while (true)
        {
            var now = _time.GetUtcNow();
            var due = _store.DueForAction(now, PageSize);
            foreach (var id in due)
            {
                if (_store.Update(id, task => TaskLifecycle.DeadlineStep(task, now, Calendar)) is not { } step) continue;
                await CompleteAsync(step, null, cancellationToken);
                steps++;
            }
            var commitments = _store.CommitmentsDue(now, PageSize);
            foreach (var code in commitments)
            {
                if (_store.TrackCommitment(code, c => c is null ? null : CommitmentLifecycle.DeadlineStep(c, now)) is not { } step) continue;
                await CompleteCommitmentAsync(step, cancellationToken);
                steps++;
            }
            if (due.Count < PageSize && commitments.Count < PageSize) return steps + await CheckPublicityAsync(cancellationToken);
        }
    }

    /// <summary>
    /// The last day a decision may wait to be public: 7 working days on. A decision before the
    /// calendar's first year is long past any deadline (its first day is used); one beyond its last
    /// year cannot be counted yet (null: not judged until a calendar file covers it).
    /// </summary>
    private DateOnly? PublicityDue(DateOnly decided)
    {
        var first = new DateOnly(Calendar.Years[0].Year, 1, 1);
        try
        {
            return Calendar.AddWorkingDays(decided < first ? first : decided, Outbound.CreditPublicityPolicy.PublicityWorkingDays);
        }
        catch (CalendarRangeException)
        {
            return null;
        }
    }

    /// <summary>
    /// 双公示 deadlines: a permit or penalty still undelivered to the credit platform more than 7 working
    /// days after its decision is alerted once (to the coordination office, in the audit chain). Every
    /// waiting message is looked at each time, so one that becomes late while waiting is caught.
    /// </summary>
    private async Task<int> CheckPublicityAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var today = Records.ChinaDates.DateOf(now);
        int alerts = 0;
        long after = 0;
        while (true)
        {
            var waiting = _log.WaitingOutbox(Outbound.CreditPublicityPolicy.Destination, after, PageSize);
            foreach (var message in waiting.Where(m => m.Intent.Kind is Outbound.CreditPublicityPolicy.PermitKind or Outbound.CreditPublicityPolicy.PenaltyKind))
            {
                var record = CanonicalRecord.Parser.ParseFrom(message.Intent.Payload);
                if (Outbound.CreditPublicityPolicy.DecisionDate(record) is not { } decided || PublicityDue(decided) is not { } due) continue;
                if (today <= due || !_store.MarkPublicityAlert(message.Intent.IdempotencyKey, now)) continue;
                alerts++;
                var what = message.Intent.Kind == Outbound.CreditPublicityPolicy.PermitKind ? $"行政许可 {record.Licence.LicenceNo}" : $"行政处罚 {record.Penalty.DecisionDocNo}";
                await AppendAuditAsync(PullLifecycle.HubActor, "linkage:publicity", record.Uscc, "", $"publicity overdue key={message.Intent.IdempotencyKey} decided={Records.ChinaDates.Format(decided)} due={Records.ChinaDates.Format(due)}");
                await _notifier.NotifyAsync(new Notice(Agencies.CoordinationOffice, "publicity-overdue", message.Intent.IdempotencyKey,
                    $"【双公示超期】{record.EnterpriseName}（{record.Uscc}）{what}（决定日期 {Records.ChinaDates.Format(decided)}）应于 {Records.ChinaDates.Format(due)} 前推送至公共信用信息平台，至今未送达（{message.Attempts} 次尝试{(message.LastError is { } error ? "：" + error : "")}）。",
                    $"publicity:{message.Intent.IdempotencyKey}"), cancellationToken);
            }
            if (waiting.Count < PageSize) return alerts;
            after = waiting[^1].Id;
        }
    }

    /// <summary>A commitment record from the log: tracked at first sight (verified, or routed to a post-check task), updated by later versions. Returns the tasks made.</summary>
    private async Task<int> FollowCommitmentAsync(CanonicalRecord record, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var code = record.Commitment.CommitmentCode.Trim();
        IReadOnlyList<Licence> valid = [];
        if (record.Commitment.Type == CommitmentType.MaterialVerified)
        {
            var today = Records.ChinaDates.DateOf(now);
            valid = (await _licences.LicencesAsync(record.Uscc, cancellationToken))
                .Where(l => l.Lineage?.Source == DataPullWorkflow.LicenceLibrarySource && DataPullWorkflow.IsValidOn(l.Licence, today)).Select(l => l.Licence).ToList();
        }
        TaskStep? postCheck = null;
        if (record.Commitment.Type == CommitmentType.PostCheck && _store.Get("RT-" + record.Commitment.CaseNo.Trim()) is { } caseTask)
            postCheck = TaskLifecycle.CreatedForPostCheck(caseTask, record, Calendar, now);
        int made = 0;
        var step = _store.TrackCommitment(code, current =>
            current is null ? CommitmentLifecycle.Track(record, now, valid, postCheck?.Task.Id) : CommitmentLifecycle.Update(current, record, now));
        if (step is null) return 0;
        if (postCheck is not null && step.Event.Type == LinkageEventType.CommitmentTracked)
        {
            var created = _store.StorePage([postCheck], [], [], _store.Cursor());
            await CompleteCreatedAsync(created, cancellationToken);
            made = created.Count;
        }
        await CompleteCommitmentAsync(step, cancellationToken);
        return made;
    }

    /// <summary>After a commitment step is stored: audit, event, notices to the approval agency, and the credit platform's record.</summary>
    private async Task CompleteCommitmentAsync(CommitmentStep step, CancellationToken cancellationToken)
    {
        var e = step.Event;
        var c = step.Commitment;
        await AppendAuditAsync(PullLifecycle.HubActor, "linkage:follow", c.Uscc, "", $"commitment={c.Code} event={e.Type} state={c.State} case={c.CaseNo}");
        var credit = e.Type switch
        {
            LinkageEventType.CommitmentKept => "commitment-kept",
            LinkageEventType.CommitmentOverdue or LinkageEventType.CommitmentBroken => "dishonesty",
            _ => null,
        };
        if (credit is not null)
        {
            using var batch = _log.BeginBatch();
            batch.EnqueueOutbox(new OutboxIntent(Outbound.CreditPublicityPolicy.Destination, $"{Outbound.CreditPublicityPolicy.Destination}:{credit}:commitment:{c.Code}", credit, c.ToByteArray()), _time.GetUtcNow());
            batch.Commit();
        }
        await _bus.PublishAsync(Topics.Linkage, c.Code, e, CancellationToken.None);
        foreach (var notice in CommitmentNotices(e, Agencies.ApprovalAgency))
            await _notifier.NotifyAsync(notice, cancellationToken);
    }

    /// <summary>The approval agency hears of reminders to relay to the applicant, failed commitments (it may revoke) and failed verifications.</summary>
    public static IEnumerable<Notice> CommitmentNotices(LinkageEvent e, string approvalAgency)
    {
        var c = e.Commitment;
        Notice To(string kind, string text) => new(approvalAgency, kind, c.Code, text, $"commitment:{c.Code}:{e.Seq}:{kind}:{approvalAgency}");
        switch (e.Type)
        {
            case LinkageEventType.CommitmentReminded:
                yield return To("commitment-reminder", $"【告知承诺提醒】请转告申请人 {c.EnterpriseName}（{c.Uscc}）：办件 {c.CaseNo} 的承诺将于 {c.Deadline} 到期，请按时履行。");
                break;
            case LinkageEventType.CommitmentOverdue or LinkageEventType.CommitmentBroken:
                yield return To("commitment-failed", $"【告知承诺失诺】{c.EnterpriseName}（{c.Uscc}）办件 {c.CaseNo} 的承诺未履行（期限 {c.Deadline}），可依法撤销许可；失信记录已推送公共信用信息平台。");
                break;
            case LinkageEventType.CommitmentVerified when c.State == CommitmentTrackState.VerificationFailed:
                yield return To("verification-failed", $"【材料核验未通过】{c.EnterpriseName}（{c.Uscc}）办件 {c.CaseNo}：{c.Verification}。");
                break;
        }
    }

    private async Task<RegulatoryTask> StepAsync(WorkflowActor actor, string id, Func<RegulatoryTask, TaskStep> decide, CancellationToken cancellationToken)
    {
        var step = _store.Update(id.Trim(), task => TaskLifecycle.CanSee(task, actor) ? decide(task) : throw NotFound(id, actor))
                   ?? throw new InvalidOperationException("A caller's step always yields a step.");
        await CompleteAsync(step, actor, cancellationToken);
        return step.Task;
    }

    /// <summary>
    /// A new task's effects — audit, event, notice, then the push, marked done last — so a hub stopped in
    /// between does them again on the next follow (at least once; the push and SMS are keyed, so once).
    /// </summary>
    private async Task CompleteCreatedAsync(IReadOnlyList<TaskStep> created, CancellationToken cancellationToken)
    {
        foreach (var step in created)
        {
            await CompleteAsync(step, null, cancellationToken);
            Push(step.Task);
        }
    }

    /// <summary>Tasks stored whose creation effects did not finish (the hub stopped in between): done now.</summary>
    private async Task CompleteWaitingAsync(CancellationToken cancellationToken)
    {
        foreach (var task in _store.Unpushed(PageSize))
        {
            var created = _store.History(task.Id)[0];
            created.Task = task;
            await CompleteCreatedAsync([new TaskStep(task, created)], cancellationToken);
        }
    }

    private void Push(RegulatoryTask task)
    {
        using (var batch = _log.BeginBatch())
        {
            batch.EnqueueOutbox(new OutboxIntent(RegulationPlatform, $"{RegulationPlatform}:task:{task.Id}", "regulatory-task", task.ToByteArray()), _time.GetUtcNow());
            batch.Commit();
        }
        _store.MarkPushed(task.Id);
    }

    private async Task CompleteAsync(TaskStep step, WorkflowActor? actor, CancellationToken cancellationToken)
    {
        var e = step.Event;
        var task = step.Task;
        await AppendAuditAsync(actor?.Agency ?? PullLifecycle.HubActor, actor?.Method is { Length: > 0 } m ? m : "linkage:follow", task.Uscc, actor?.Purpose ?? "",
            $"task={task.Id} event={e.Type} state={task.State} case={task.CaseNo}");
        await _bus.PublishAsync(Topics.Linkage, task.Id, e, CancellationToken.None);
        foreach (var notice in NoticesFor(e, Agencies.CoordinationOffice))
            await _notifier.NotifyAsync(notice, cancellationToken);
    }

    /// <summary>Who hears of a step: the division admin of a new or waiting task, the coordination office of a late view.</summary>
    public static IEnumerable<Notice> NoticesFor(LinkageEvent e, string coordinationOffice)
    {
        var t = e.Task;
        Notice To(string agency, string kind, string text, string division = "") =>
            new(agency, kind, t.Id, text, $"task:{t.Id}:{e.Seq}:{kind}:{agency}") { Division = division };
        switch (e.Type)
        {
            case LinkageEventType.TaskCreated:
                yield return To(t.Regulator, "task", $"【审管联动】新监管任务 {t.Id}：{t.EnterpriseName}（{t.Uscc}）{t.ApprovalItemName}已办结，请于 {t.ViewDueOn} 前认领。", t.Division);
                break;
            case LinkageEventType.ViewReminded:
                yield return To(t.Regulator, "task-reminder", $"【审管联动提醒】监管任务 {t.Id} 尚未认领，认领期限 {t.ViewDueOn}。", t.Division);
                break;
            case LinkageEventType.ViewOverdue:
                yield return To(t.Regulator, "task-overdue", $"【审管联动超期】监管任务 {t.Id} 超过认领期限 {t.ViewDueOn}，请立即认领。", t.Division);
                yield return To(coordinationOffice, "task-overdue-escalation", $"【审管联动超期】{t.Regulator} {t.Division} 未在 {t.ViewDueOn} 前认领监管任务 {t.Id}。");
                break;
        }
    }

    private Task AppendAuditAsync(string agency, string method, string uscc, string purpose, string detail) =>
        _audit.AppendAsync(new AuditDraft { Agency = agency, Method = method, Uscc = uscc, Purpose = purpose, Result = "OK", Detail = detail, At = _time.GetUtcNow() }).AsTask();

    private static WorkflowRuleException NotFound(string id, WorkflowActor actor) =>
        new(WorkflowErrorKind.NotFound, $"No task '{id}' that agency '{actor.Agency}' may see (its regulator, or an overseer).");
}

/// <summary>The agencies the linkage tells: the coordination office (late views) and the approval agency (commitments).</summary>
public sealed record LinkageAgencies(string CoordinationOffice, string ApprovalAgency);
