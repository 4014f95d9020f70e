using DataHub.Core.Workflows;
using System.Text.Json;
using DataHub.Core.Audit;
using DataHub.Core.Calendar;
using DataHub.Core.Ingest;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf;

namespace DataHub.Core.Pulls;

/// <summary>
/// Super-admin data pulls (超级管理员数据调取), over ports: checks a request against the catalogue,
/// answers it from the e-licence / e-material library or sends a directed demand, takes the
/// owner's, requester's and coordination office's steps through <see cref="PullLifecycle"/>, and runs
/// the deadlines (督办 the working day before, overdue and escalated at the due date). After each
/// stored step: an audit-chain entry, an event on datahub.pulls.v1, and the notices it causes.
/// </summary>
public sealed class DataPullWorkflow
{
    /// <summary>The source system whose licences form the e-licence library.</summary>
    public const string LicenceLibrarySource = "e-licence";

    /// <summary>The largest material an owner may hand over (the gRPC message limit is 4 MiB by default).</summary>
    public const int MaxMaterialBytes = 3 * 1024 * 1024;

    private readonly IPullStore _store;
    private readonly ILicenceLibrary _licences;
    private readonly INotifier _notifier;
    private readonly IEventBus _bus;
    private readonly IAuditLog _audit;
    private readonly TimeProvider _time;
    private volatile CatalogueInForce _catalogue;

    private sealed record CatalogueInForce(PullCatalogue Catalogue, StoredPullCatalogue Stored);

    private DataPullWorkflow(IPullStore store, ILicenceLibrary licences, INotifier notifier, IEventBus bus, IAuditLog audit, WorkingDayCalendar calendar, TimeProvider time, CatalogueInForce catalogue)
    {
        _store = store;
        _licences = licences;
        _notifier = notifier;
        _bus = bus;
        _audit = audit;
        Calendar = calendar;
        _time = time;
        _catalogue = catalogue;
    }

    /// <summary>
    /// The workflow with the catalogue in force: the latest revision stored (edits through the admin
    /// API survive restarts), or else the file's catalogue, stored as revision 1.
    /// </summary>
    public static async Task<DataPullWorkflow> OpenAsync(IPullStore store, ILicenceLibrary licences, INotifier notifier, IEventBus bus, IAuditLog audit,
        WorkingDayCalendar calendar, TimeProvider time, string catalogueFile, string catalogueOrigin)
    {
        var stored = store.LatestCatalogue();
        if (stored is null)
        {
            var fromFile = PullCatalogue.Parse(catalogueFile);
            stored = await store.SaveCatalogueAsync(fromFile.ToJson(), 0, "file:" + catalogueOrigin, time.GetUtcNow());
        }
        return new DataPullWorkflow(store, licences, notifier, bus, audit, calendar, time, new CatalogueInForce(PullCatalogue.Parse(stored.Document), stored));
    }

    public WorkingDayCalendar Calendar { get; }

    public PullCatalogue Catalogue => _catalogue.Catalogue;

    public StoredPullCatalogue CatalogueRevision => _catalogue.Stored;

    public IPullStore Store => _store;

    /// <summary>Validates and stores a new catalogue; pulls already made keep the terms they were made on.</summary>
    public async Task<StoredPullCatalogue> UpdateCatalogueAsync(string document, int expectedRevision, WorkflowActor actor, CancellationToken cancellationToken)
    {
        PullCatalogue parsed;
        try
        {
            parsed = PullCatalogue.Parse(document);
        }
        catch (PullCatalogueException e)
        {
            throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument, e.Message);
        }
        var stored = await _store.SaveCatalogueAsync(parsed.ToJson(), expectedRevision, actor.Agency, _time.GetUtcNow());
        _catalogue = new CatalogueInForce(parsed, stored);
        await AuditAsync(actor, "", $"catalogue revision={stored.Revision} itemTypes={parsed.ItemTypes.Count}", cancellationToken);
        return stored;
    }

    /// <summary>
    /// Asks for an item: answered at once when the library holds a valid one, else a directed demand
    /// to the owner. <paramref name="uscc"/> is already normalized and validated.
    /// </summary>
    public async Task<DataPull> RequestAsync(WorkflowActor actor, string uscc, string itemType, string purpose, string caseReference, CancellationToken cancellationToken)
    {
        var catalogue = Catalogue;
        var item = catalogue.Find(itemType.Trim()) ?? throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument,
            $"item_type '{itemType}' is not in the catalogue; it has {string.Join(", ", catalogue.ItemTypes.Select(i => $"{i.Code} ({i.Name})").Take(30))}.");
        if (!item.RequesterRoles.Any(actor.Roles.Contains))
            throw new WorkflowRuleException(WorkflowErrorKind.PermissionDenied,
                $"The catalogue lets agencies with role {string.Join(" or ", item.RequesterRoles)} request {item.Code} ({item.Name}); '{actor.Agency}' has [{string.Join(", ", actor.Roles.Order())}].");
        purpose = PullLifecycle.Trimmed(purpose, "purpose");
        if (purpose.Length == 0) throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument, "purpose is missing: say why the item is needed (调取事由); it goes into the audit chain.");
        var draft = new PullRequestDraft(actor.Agency, uscc, item, purpose, PullLifecycle.Trimmed(caseReference, "case_reference"));
        var now = _time.GetUtcNow();
        var today = ChinaDates.DateOf(now);
        var evidence = await FindInLibraryAsync(uscc, item, today, cancellationToken);
        var step = await _store.CreateAsync(today, id => evidence is not null
            ? PullLifecycle.FulfilledFromLibrary(id, draft, evidence, now)
            : WithNextAction(PullLifecycle.Demanded(id, draft, Calendar, now))!);
        await CompleteAsync(step, actor, cancellationToken);
        return step.Pull;
    }

    /// <summary>The pull and its history, when the caller may see it (else NOT_FOUND, so ids do not leak).</summary>
    public (DataPull Pull, IReadOnlyList<PullEvent> History) Get(WorkflowActor actor, string id)
    {
        var pull = _store.Get(id);
        if (pull is null || !PullLifecycle.CanSee(pull, actor)) throw NotFound(id, actor);
        return (pull, _store.History(id));
    }

    /// <summary>A page of one view, newest first.</summary>
    public PullPage List(WorkflowActor actor, PullView view, PullState? state, int limit, long? before)
    {
        if (view == PullView.Unspecified) view = PullView.Mine;
        if (view == PullView.Escalated && !actor.Oversees)
            throw new WorkflowRuleException(WorkflowErrorKind.PermissionDenied, $"The ESCALATED view is for the coordination office and the super-admin studio; '{actor.Agency}' holds neither role.");
        return _store.List(new PullListQuery(view, actor, state, limit, before));
    }

    /// <summary>The owner hands over the item; it joins the e-material library.</summary>
    public Task<DataPull> FulfilAsync(WorkflowActor actor, string id, ReadOnlyMemory<byte> content, string mediaType, string fileName, string validUntil, CancellationToken cancellationToken)
    {
        if (content.Length == 0) throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument, "fulfil.content is empty: attach the material or data set.");
        if (content.Length > MaxMaterialBytes) throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument, $"fulfil.content has {content.Length:N0} bytes; at most {MaxMaterialBytes:N0}.");
        mediaType = PullLifecycle.Trimmed(mediaType, "fulfil.media_type").ToLowerInvariant();
        if (mediaType.Split('/') is not [{ Length: > 0 }, { Length: > 0 }])
            throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument, $"fulfil.media_type '{mediaType}' is not a media type such as application/pdf or application/json.");
        if (mediaType == "application/json" && !IsJson(content))
            throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument, "fulfil.content is declared application/json but is not valid UTF-8 JSON.");
        var now = _time.GetUtcNow();
        var today = ChinaDates.DateOf(now);
        string until = "";
        if (validUntil.Trim().Length > 0)
        {
            if (ChinaDates.ParseCanonical(validUntil.Trim()) is not { } date)
                throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument, $"fulfil.valid_until '{validUntil}' is not a date; use YYYY-MM-DD or leave it empty.");
            if (date < today) throw new WorkflowRuleException(WorkflowErrorKind.InvalidArgument, $"fulfil.valid_until {ChinaDates.Format(date)} is already past; an expired item cannot answer a pull.");
            until = ChinaDates.Format(date);
        }
        return StepAsync(actor, id, pull =>
        {
            var item = Catalogue.Find(pull.ItemType);
            if (until.Length == 0 && item?.MaterialValidDays is { } days) until = ChinaDates.Format(today.AddDays(days));
            var evidence = new PullEvidence
            {
                Kind = item?.Kind ?? PullItemKind.Material,
                Content = ByteString.CopyFrom(content.Span),
                MediaType = mediaType,
                FileName = PullLifecycle.Trimmed(fileName, "fulfil.file_name"),
                SuppliedByPull = pull.Id,
                ValidUntil = until,
            };
            evidence.Sha256 = PullLifecycle.EvidenceHash(evidence);
            return PullLifecycle.Fulfil(pull, actor, evidence, now);
        }, cancellationToken);
    }

    public Task<DataPull> RefuseAsync(WorkflowActor actor, string id, string reason, string legalBasis, CancellationToken cancellationToken) =>
        StepAsync(actor, id, pull => PullLifecycle.Refuse(pull, actor, reason, legalBasis, _time.GetUtcNow()), cancellationToken);

    public Task<DataPull> EscalateAsync(WorkflowActor actor, string id, string reason, CancellationToken cancellationToken) =>
        StepAsync(actor, id, pull => PullLifecycle.Escalate(pull, actor, reason, _time.GetUtcNow()), cancellationToken);

    public Task<DataPull> UpholdRefusalAsync(WorkflowActor actor, string id, string opinion, CancellationToken cancellationToken) =>
        StepAsync(actor, id, pull => PullLifecycle.UpholdRefusal(pull, actor, opinion, _time.GetUtcNow()), cancellationToken);

    /// <summary>The coordination office directs fulfilment; 0 working days means the catalogue's limit for the item.</summary>
    public Task<DataPull> DirectFulfilmentAsync(WorkflowActor actor, string id, string opinion, int workingDays, CancellationToken cancellationToken) =>
        StepAsync(actor, id, pull =>
        {
            var days = workingDays != 0 ? workingDays : Catalogue.Find(pull.ItemType)?.TimeLimitWorkingDays ?? (int)pull.TimeLimitWorkingDays;
            return PullLifecycle.DirectFulfilment(pull, actor, opinion, days == 0 ? 5 : days, Calendar, _time.GetUtcNow());
        }, cancellationToken);

    public Task<DataPull> CancelAsync(WorkflowActor actor, string id, string reason, CancellationToken cancellationToken) =>
        StepAsync(actor, id, pull => PullLifecycle.Cancel(pull, actor, reason, _time.GetUtcNow()), cancellationToken);

    public Task<DataPull> RateAsync(WorkflowActor actor, string id, PullRating rating, string comment, CancellationToken cancellationToken) =>
        StepAsync(actor, id, pull => PullLifecycle.Rate(pull, actor, rating, comment, _time.GetUtcNow()), cancellationToken);

    /// <summary>
    /// Takes every deadline step due now (reminders, overdue flags with escalation); returns how many.
    /// The deadline service calls it periodically; tests call it after moving their clock.
    /// </summary>
    public async Task<int> RunDeadlinesAsync(CancellationToken cancellationToken)
    {
        int steps = 0;
        while (true)
        {
            var now = _time.GetUtcNow();
            var due = _store.DueForAction(now, 500);
            foreach (var id in due)
            {
                var step = await _store.UpdateAsync(id, pull => WithNextAction(PullLifecycle.DeadlineStep(pull, now, Calendar)));
                if (step is null) continue;
                await CompleteAsync(step, null, cancellationToken);
                steps++;
            }
            if (due.Count < 500) return steps;
        }
    }

    private async Task<DataPull> StepAsync(WorkflowActor actor, string id, Func<DataPull, PullStep> decide, CancellationToken cancellationToken)
    {
        var step = await _store.UpdateAsync(id.Trim(), pull => PullLifecycle.CanSee(pull, actor) ? WithNextAction(decide(pull)) : throw NotFound(id, actor))
                   ?? throw new InvalidOperationException("A caller's step always yields a step.");
        await CompleteAsync(step, actor, cancellationToken);
        return step.Pull;
    }

    private PullStep? WithNextAction(PullStep? step) => step is null ? null : step with { NextActionAt = PullLifecycle.NextActionAt(step.Pull, Calendar) };

    private async Task<PullEvidence?> FindInLibraryAsync(string uscc, PullItemType item, DateOnly today, CancellationToken cancellationToken)
    {
        if (item.LicenceTypeCode is { } typeCode)
        {
            var licence = (await _licences.LicencesAsync(uscc, cancellationToken))
                .Where(e => e.Lineage?.Source == LicenceLibrarySource && e.Licence.LicenceTypeCode == typeCode && IsValidOn(e.Licence, today))
                .OrderByDescending(e => e.Licence.ValidUntil.Length == 0 ? "9999-12-31" : e.Licence.ValidUntil, StringComparer.Ordinal)
                .ThenByDescending(e => e.Licence.IssuedOn, StringComparer.Ordinal).ThenBy(e => e.Licence.LicenceId, StringComparer.Ordinal)
                .FirstOrDefault();
            if (licence is not null)
            {
                var evidence = new PullEvidence { Kind = PullItemKind.Licence, Licence = licence.Licence, SourceRecord = licence.Lineage, ValidUntil = licence.Licence.ValidUntil };
                evidence.Sha256 = PullLifecycle.EvidenceHash(evidence);
                return evidence;
            }
        }
        return _store.LatestMaterial(uscc, item.Code, today)?.Evidence;
    }

    /// <summary>Valid on the day: status valid, and the day within its validity.</summary>
    public static bool IsValidOn(Licence licence, DateOnly day) =>
        licence.Status == LicenceStatus.Valid &&
        (ChinaDates.ParseCanonical(licence.ValidFrom) is not { } from || from <= day) &&
        (licence.ValidUntil.Length == 0 || ChinaDates.ParseCanonical(licence.ValidUntil) is { } until && until >= day);

    private static bool IsJson(ReadOnlyMemory<byte> content)
    {
        try
        {
            using var _ = JsonDocument.Parse(content);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>After the step is stored: the audit entry, the event, and the notices it causes.</summary>
    private async Task CompleteAsync(PullStep step, WorkflowActor? actor, CancellationToken cancellationToken)
    {
        var e = step.Event;
        var pull = step.Pull;
        await _audit.AppendAsync(new AuditDraft
        {
            Agency = actor?.Agency ?? PullLifecycle.HubActor,
            Method = actor?.Method is { Length: > 0 } method ? method : "pulls:deadlines",
            Uscc = pull.Uscc,
            Purpose = actor?.Purpose ?? "",
            Result = "OK",
            Detail = $"pull={pull.Id} event={e.Type} state={pull.State} item={pull.ItemType}",
            At = e.At.ToDateTimeOffset(),
        }, CancellationToken.None);
        await _bus.PublishAsync(Topics.Pulls, pull.Id, e, CancellationToken.None);
        foreach (var notice in NoticesFor(e, Catalogue.CoordinationOffice))
            await _notifier.NotifyAsync(notice, cancellationToken);
    }

    /// <summary>Who hears of a step: the owner of a new or chased demand, the coordination office of escalations.</summary>
    public static IEnumerable<Notice> NoticesFor(PullEvent e, string coordinationOffice)
    {
        var p = e.Pull;
        Notice To(string agency, string kind, string text) => new(agency, kind, p.Id, text, $"pull:{p.Id}:{e.Seq}:{kind}:{agency}");
        switch (e.Type)
        {
            case PullEventType.Demanded:
                yield return To(p.Owner, "demand", $"【数据调取】{p.Requester} 申请调取企业 {p.Uscc} 的{p.ItemName}（{p.Id}），请于 {p.DueOn} 前办结。");
                break;
            case PullEventType.Reminded:
                yield return To(p.Owner, "reminder", $"【数据调取督办】{p.Id}（{p.ItemName}，企业 {p.Uscc}）将于 {p.DueOn} 到期，请及时办结。");
                break;
            case PullEventType.Overdue:
                yield return To(p.Owner, "overdue", $"【数据调取超期】{p.Id}（{p.ItemName}）已超过办结期限 {p.DueOn}，已提请市协调办督办，请尽快办结。");
                yield return To(coordinationOffice, "overdue-escalation", $"【数据调取超期】{p.Owner} 未在 {p.DueOn} 前办结 {p.Id}（{p.ItemName}，申请方 {p.Requester}），请督办。");
                break;
            case PullEventType.Escalated:
                yield return To(coordinationOffice, "refusal-escalation", $"【数据调取协调】{p.Requester} 对 {p.Owner} 拒绝 {p.Id}（{p.ItemName}）提请协调。");
                break;
            case PullEventType.RuledFulfil:
                yield return To(p.Owner, "ruling", $"【数据调取协调意见】市协调办责成贵单位于 {p.DueOn} 前办结 {p.Id}（{p.ItemName}）。");
                break;
        }
    }

    private Task AuditAsync(WorkflowActor actor, string uscc, string detail, CancellationToken cancellationToken) =>
        _audit.AppendAsync(new AuditDraft
        {
            Agency = actor.Agency, Method = actor.Method, Uscc = uscc, Purpose = actor.Purpose, Result = "OK", Detail = detail, At = _time.GetUtcNow(),
        }, cancellationToken).AsTask();

    private static WorkflowRuleException NotFound(string id, WorkflowActor actor) =>
        new(WorkflowErrorKind.NotFound, $"No pull '{id}' that agency '{actor.Agency}' may see (requester, owner of a directed demand, or overseer).");
}
