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

    private const int PageSize = 500;

    private readonly ILinkageStore _store;
    private readonly IHubStore _log;
    private readonly INotifier _notifier;
    private readonly IEventBus _bus;
    private readonly IAuditLog _audit;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _following = new(1, 1);
    private volatile CatalogueInForce _catalogue;

    private sealed record CatalogueInForce(LinkageCatalogue Catalogue, StoredLinkageCatalogue Stored);

    private LinkageWorkflow(ILinkageStore store, IHubStore log, INotifier notifier, IEventBus bus, IAuditLog audit, WorkingDayCalendar calendar, TimeProvider time, string coordinationOffice, CatalogueInForce catalogue)
    {
        _store = store;
        _log = log;
        _notifier = notifier;
        _bus = bus;
        _audit = audit;
        Calendar = calendar;
        _time = time;
        CoordinationOffice = coordinationOffice;
        _catalogue = catalogue;
    }

    /// <summary>The workflow with the catalogue in force: the latest stored revision, or else the file's, stored as revision 1.</summary>
    public static LinkageWorkflow Open(ILinkageStore store, IHubStore log, INotifier notifier, IEventBus bus, IAuditLog audit, WorkingDayCalendar calendar,
        TimeProvider time, string coordinationOffice, string catalogueCsv, string catalogueOrigin)
    {
        var stored = store.LatestCatalogue() ?? store.SaveCatalogue(LinkageCatalogue.Parse(catalogueCsv).ToCsv(), 0, "file:" + catalogueOrigin, time.GetUtcNow());
        return new LinkageWorkflow(store, log, notifier, bus, audit, calendar, time, coordinationOffice, new CatalogueInForce(LinkageCatalogue.Parse(stored.Csv), stored));
    }

    public WorkingDayCalendar Calendar { get; }

    /// <summary>The coordination office's agency id: told of late views.</summary>
    public string CoordinationOffice { get; }

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
            PushWaiting();
            int made = 0;
            while (true)
            {
                var cursor = _store.Cursor();
                var page = _log.LogAfter(cursor, CanonicalRecord.BodyOneofCase.ApprovalCase, PageSize);
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
                var stored = _store.StorePage(created, unmatched, [], page.Through);
                await CompleteCreatedAsync(stored, cancellationToken);
                made += stored.Count;
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

    public Task<RegulatoryTask> SubmitResultAsync(WorkflowActor actor, string id, SupervisionResult result, CancellationToken cancellationToken) =>
        StepAsync(actor, id, task => TaskLifecycle.SubmitResult(task, actor, result, Calendar, _time.GetUtcNow()), cancellationToken);

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
            if (due.Count < PageSize) return steps;
        }
    }

    private async Task<RegulatoryTask> StepAsync(WorkflowActor actor, string id, Func<RegulatoryTask, TaskStep> decide, CancellationToken cancellationToken)
    {
        var step = _store.Update(id.Trim(), task => TaskLifecycle.CanSee(task, actor) ? decide(task) : throw NotFound(id, actor))
                   ?? throw new InvalidOperationException("A caller's step always yields a step.");
        await CompleteAsync(step, actor, cancellationToken);
        return step.Task;
    }

    private async Task CompleteCreatedAsync(IReadOnlyList<TaskStep> created, CancellationToken cancellationToken)
    {
        foreach (var step in created)
        {
            Push(step.Task);
            await CompleteAsync(step, null, cancellationToken);
        }
    }

    /// <summary>Tasks stored but not yet in the outbox (the hub stopped between the two): pushed now, keyed so the platform sees each once.</summary>
    private void PushWaiting()
    {
        foreach (var task in _store.Unpushed(PageSize)) Push(task);
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
        foreach (var notice in NoticesFor(e, CoordinationOffice))
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
        _audit.AppendAsync(new AuditDraft { Agency = agency, Method = method, Uscc = uscc, Purpose = purpose, Result = "OK", Detail = detail, At = _time.GetUtcNow() });

    private static WorkflowRuleException NotFound(string id, WorkflowActor actor) =>
        new(WorkflowErrorKind.NotFound, $"No task '{id}' that agency '{actor.Agency}' may see (its regulator, or an overseer).");
}
