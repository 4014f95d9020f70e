using DataHub.Adapters.Import;
using DataHub.Core.Audit;
using DataHub.Core.Calendar;
using DataHub.Core.Ingest;
using DataHub.Core.Linkage;
using DataHub.Core.Outbound;
using DataHub.Core.Pulls;
using DataHub.Core.Records;
using DataHub.Core.Workflows;
using DataHub.Schema.V1;
using DataHub.Synthetic;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Embedded.Tests;

/// <summary>
/// The linkage workflow over a real hub store (the record log it follows) and an ingest pipeline wired as
/// the host wires it (canonical JSON lines and protobuf, 双公示 outbox policy), a SQLite linkage store and
/// audit chain in a temporary folder, with a manual clock.
/// </summary>
public sealed class LinkageHarness : IAsyncDisposable
{
    public const string CoordinationOffice = "city-coordination";
    public const string ApprovalAgency = "city-approval";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "datahub-linkage-" + Guid.NewGuid().ToString("N"));

    public LinkageHarness(TempHub hub, DateTimeOffset start)
    {
        Hub = hub;
        Time = new ManualTime(start);
        // The bus outbox is written as in Kafka mode, so every linkage test also runs that path.
        Store = new SqliteLinkageStore(Path.Combine(_directory, "workflow.db")) { RelaysToBus = true };
        Audit = new SqliteAuditLog(Path.Combine(_directory, "audit.db"));
        Pipeline = new IngestPipeline(hub.Store, hub.Bus, new RecordNormalizer(), [new CanonicalJsonLinesMapper(), new CanonicalRecordMapper()], TimeProvider.System,
            new IngestOptions { BatchSize = 512, OutboxPolicies = [new CreditPublicityPolicy()] });
        Workflow = Open();
    }

    public IngestPipeline Pipeline { get; }

    public Task<IngestSummary> IngestLinesAsync(IEnumerable<string> jsonLines) => Hub.IngestLinesAsync(jsonLines, Pipeline);

    public TempHub Hub { get; }
    public ManualTime Time { get; }
    public SqliteLinkageStore Store { get; }
    public SqliteAuditLog Audit { get; }
    public RecordingNotifier Notifier { get; } = new();
    public FixedLicenceLibrary Library { get; } = new();
    public LinkageWorkflow Workflow { get; }

    /// <summary>The workflow as a restarted hub opens it over the same stores.</summary>
    public LinkageWorkflow Open() =>
        LinkageWorkflow.Open(Store, Hub.Store, Pipeline, Library, Notifier, Hub.Bus, Audit, WorkingDayCalendar.Shipped, Time,
            new LinkageAgencies(CoordinationOffice, ApprovalAgency), ShippedCsv, "linkage.csv");

    public static string ShippedCsv { get; } = File.ReadAllText(Path.Combine(RepoRoot(), "hub", "DataHub", "catalogues", "linkage.csv"));

    public static WorkflowActor Regulator(string agency) => new(agency, new HashSet<string> { "regulator" }, "审管联动监管（合成测试）", "/test/linkage");

    public static readonly WorkflowActor Coordination = new(CoordinationOffice, new HashSet<string> { "coordination" }, "", "/test/coordination");

    /// <summary>Messages in the outbox for one destination, whatever their delivery time.</summary>
    public List<OutboxMessage> Outbox(string destination) =>
        Hub.Store.DueOutbox(DateTimeOffset.MaxValue.AddYears(-1), 1_000_000).Where(m => m.Intent.Destination == destination).ToList();

    /// <summary>Regulation-platform messages in the outbox.</summary>
    public List<OutboxMessage> PlatformOutbox() => Outbox(LinkageWorkflow.RegulationPlatform);

    /// <summary>The records the back loop wrote into the log (source "linkage"), of one kind.</summary>
    public List<CanonicalRecord> BackLoopRecords(CanonicalRecord.BodyOneofCase kind) =>
        Hub.Store.LogAfter(0, kind, 1_000_000).Records.Where(r => r.Source == LinkageWorkflow.Source).ToList();

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DataHub.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds DataHub.sln.");
    }

    public async ValueTask DisposeAsync()
    {
        Store.Dispose();
        await Audit.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, true); } catch (IOException) { }
    }
}

/// <summary>
/// A simulated quarter of approvals from the demo data (2026-09-01 to the end of November, across 中秋
/// and 国庆 with their 调休 days): the synthetic generator's approval cases reach the hub day by day,
/// the linkage workflow follows the log every hour, the deadline scan runs every hour, and the
/// regulators act in working hours by class. Every count of tasks, pushes, reminders, overdue flags,
/// acknowledgements, results and audit entries is exact, computed from the generated lines alone.
/// </summary>
public sealed class LinkageQuarterTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly DateTimeOffset Start = new(2026, 9, 1, 9, 0, 0, ChinaDates.Offset);
    private const int IngestDays = 70;            // approvals arrive daily from 09-01 to 11-09, at 10:00
    private const string Unlinked = "320100000000008";   // 排污许可: not in the shipped catalogue
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true));

    /// <summary>When the division views a task (by a stable hash of its id).</summary>
    private enum ViewBehaviour { AtOnce, AfterReminder, WhenOverdue }

    private static uint Hash(string id)
    {
        uint h = 2166136261;
        foreach (var c in id) h = (h ^ c) * 16777619;
        return h;
    }

    private static ViewBehaviour ViewOf(string id) => (ViewBehaviour)(Hash(id) % 3);

    private static SupervisionOutcome OutcomeOf(string id) => (Hash(id) / 3 % 3) switch
    {
        0 => SupervisionOutcome.Compliant,
        1 => SupervisionOutcome.RectificationOrdered,
        _ => SupervisionOutcome.RevokePermit,
    };

    /// <summary>A quarter of the results are reported after the 5 working days.</summary>
    private static bool LateOf(string id) => Hash(id) / 9 % 4 == 0;

    /// <summary>One approval case as the generated lines give it (all its stored versions agree on stage and item).</summary>
    private sealed record GeneratedCase(string Source, string SourceId, string CaseNo, string ItemCode, CaseStage Stage, CanonicalRecord? Clean);

    private sealed class Tracked(RegulatoryTask task)
    {
        public RegulatoryTask Task { get; set; } = task;
        public string Id => Task.Id;
        public ViewBehaviour View { get; } = ViewOf(task.Id);
        public SupervisionOutcome Outcome { get; } = OutcomeOf(task.Id);
        public bool Late { get; } = LateOf(task.Id);
    }

    private static bool IsApprovalLine(GeneratedLine l) => l.Json.Contains("\"approval_case\"", StringComparison.Ordinal);

    /// <summary>
    /// The demo data without its commitment records: commitments (告知承诺) are followed by their own
    /// lifecycle and make post-check tasks of their own; left out, every task here is a case's.
    /// </summary>
    private static List<GeneratedLine> Demo(int enterprises, int seed, double dirtRate) =>
        TempHub.Generate(enterprises, seed, dirtRate).Where(l => !l.Json.Contains("\"commitment\"", StringComparison.Ordinal)).ToList();

    /// <summary>The approval cases the hub will store (quarantined lines excluded), from the generated lines alone.</summary>
    private static List<GeneratedCase> CasesOf(IEnumerable<GeneratedLine> lines) =>
        lines.Where(l => IsApprovalLine(l) && l.Fate != ExpectedFate.Quarantined)
            .Select(l => (Line: l, Record: Parser.Parse<CanonicalRecord>(l.Json)))
            .GroupBy(x => (x.Record.Source, x.Record.SourceId))
            .Select(g =>
            {
                var versions = g.Select(x => x.Record).ToList();
                Assert.Single(versions.Select(v => (v.ApprovalCase.Stage, v.ApprovalCase.ItemCode, v.ApprovalCase.CaseNo)).Distinct());
                var clean = g.Where(x => x.Line.Dirt is null).Select(x => x.Record).FirstOrDefault();
                var c = versions[0].ApprovalCase;
                return new GeneratedCase(g.Key.Source, g.Key.SourceId, c.CaseNo, c.ItemCode, c.Stage, clean);
            })
            .ToList();

    [Fact]
    public async Task A_simulated_quarter_of_approvals_from_the_demo_data_gives_exact_counts_of_tasks_pushes_reminders_flags_and_results()
    {
        var ct = CancellationToken.None;
        var calendar = WorkingDayCalendar.Shipped;
        var lines = Demo(enterprises: 300, seed: 20260901, dirtRate: 0.1);

        // What must happen, from the generated lines alone.
        var cases = CasesOf(lines);
        var expectedTasks = cases.Where(c => c.Stage == CaseStage.Completed && c.ItemCode != Unlinked).ToDictionary(c => "RT-" + c.CaseNo, StringComparer.Ordinal);
        var expectedUnmatched = cases.Where(c => c.Stage == CaseStage.Completed && c.ItemCode == Unlinked).ToList();
        var denied = cases.Where(c => c.Stage != CaseStage.Completed).ToList();
        int n = expectedTasks.Count;
        int atOnce = expectedTasks.Keys.Count(id => ViewOf(id) == ViewBehaviour.AtOnce);
        int afterReminder = expectedTasks.Keys.Count(id => ViewOf(id) == ViewBehaviour.AfterReminder);
        int whenOverdue = expectedTasks.Keys.Count(id => ViewOf(id) == ViewBehaviour.WhenOverdue);
        int late = expectedTasks.Keys.Count(LateOf);
        var revoked = expectedTasks.Keys.Where(id => OutcomeOf(id) == SupervisionOutcome.RevokePermit).Order(StringComparer.Ordinal).ToList();
        int r = revoked.Count;
        // The data must exercise every path for the counts to mean something.
        Assert.InRange(n, 250, 2000);
        Assert.InRange(expectedUnmatched.Count, 20, 400);
        Assert.InRange(denied.Count, 10, 400);
        Assert.All(new[] { atOnce, afterReminder, whenOverdue, late, r }, c => Assert.InRange(c, n / 6, n / 2));
        Assert.Contains(lines, l => IsApprovalLine(l) && l.Dirt == "wrong check character");
        Assert.Contains(lines, l => IsApprovalLine(l) && l.Dirt == "USCC missing, name only");
        Assert.Contains(lines, l => IsApprovalLine(l) && l.Dirt == "out-of-order update (newer version first)");
        Assert.Contains(lines, l => IsApprovalLine(l) && l.Dirt == "exact duplicate");

        // Everything but the approval cases is already in the hub; the cases arrive day by day, a case's lines together.
        // The demo data comes through a plain import (TempHub's pipeline, which publishes nothing: the history's
        // permits were decided before the calendar's years, see the publicity test below); the workflow's own
        // pipeline, for the back loop, is wired as the host's.
        using var hub = new TempHub();
        await using var h = new LinkageHarness(hub, Start);
        await hub.IngestLinesAsync(lines.Where(l => !IsApprovalLine(l)).Select(l => l.Json));
        var caseGroups = lines.Where(IsApprovalLine).GroupBy(l => Parser.Parse<CanonicalRecord>(l.Json).SourceId).ToList();
        var daily = Enumerable.Range(0, IngestDays).Select(d => caseGroups.Where((_, i) => i * IngestDays / caseGroups.Count == d).SelectMany(g => g).Select(l => l.Json).ToList()).ToList();
        Assert.Empty(h.Outbox(CreditPublicityPolicy.Destination));

        var wf = h.Workflow;
        Assert.Equal(1, wf.CatalogueRevision.Revision);
        Assert.Equal("file:linkage.csv", wf.CatalogueRevision.EditedBy);
        using var events = hub.Bus.Subscribe(Topics.Linkage);

        var tracked = new Dictionary<string, Tracked>(StringComparer.Ordinal);
        var open = new List<Tracked>();
        var reminded = new HashSet<string>(StringComparer.Ordinal);
        var overdue = new HashSet<string>(StringComparer.Ordinal);
        var published = new List<LinkageEvent>();
        int made = 0, seenNotices = 0, ingestedDays = 0;

        void Observe()
        {
            while (events.Reader.TryRead(out var m))
            {
                var e = (LinkageEvent)m.Value;
                Assert.Equal(e.TaskId, m.Key);
                published.Add(e);
                if (e.Type != LinkageEventType.TaskCreated) continue;
                var t = new Tracked(e.Task);
                Assert.True(tracked.TryAdd(t.Id, t), $"a second TASK_CREATED for {t.Id}");
                open.Add(t);
            }
            if (h.Notifier.Notices.Count == seenNotices) return;
            foreach (var notice in h.Notifier.Notices.Skip(seenNotices).ToList())
            {
                seenNotices++;
                if (notice.Kind == "task-reminder") Assert.True(reminded.Add(notice.Subject), $"{notice.Subject} reminded twice");
                if (notice.Kind == "task-overdue") Assert.True(overdue.Add(notice.Subject), $"{notice.Subject} flagged overdue twice");
            }
        }

        for (int tick = 0; tick < 24 * 91; tick++)
        {
            var now = h.Time.Now;
            var local = now.ToOffset(ChinaDates.Offset);
            var today = DateOnly.FromDateTime(local.DateTime);
            bool workingHour = calendar.IsWorkingDay(today) && local.Hour is >= 9 and < 17;

            // The hub's own work: the deadline scan every hour, the day's approvals arriving at 10:00, the log
            // followed whenever it may have grown (an arrival, or the divisions' working hours: the back loop).
            await wf.RunDeadlinesAsync(ct);
            bool arrived = local.Hour == 10 && ingestedDays < IngestDays && today == DateOnly.FromDateTime(Start.DateTime).AddDays(ingestedDays);
            if (arrived) await hub.IngestLinesAsync(daily[ingestedDays++]);
            if (arrived || workingHour) made += await wf.FollowLogAsync(ct);
            Observe();

            // The divisions act in working hours only.
            if (workingHour)
            {
                foreach (var t in open.ToList())
                    if (await ActAsync(wf, t, today, reminded, overdue, calendar, ct)) open.Remove(t);
                Observe();
            }
            if (ingestedDays == IngestDays && open.Count == 0) break;
            h.Time.Advance(Hour);
        }

        Assert.Equal(IngestDays, ingestedDays);
        if (open.FirstOrDefault() is { } stuck)
            Assert.Fail($"{open.Count} tasks never settled, e.g. {stuck.Id} ({stuck.View}, {stuck.Task.State})");
        Assert.True(h.Time.Now < Start.AddDays(91), "the quarter ran out");

        // One task per completed, catalogued case, and only those.
        Assert.Equal(n, made);
        Assert.Equal(expectedTasks.Keys.Order(StringComparer.Ordinal), tracked.Keys.Order(StringComparer.Ordinal));
        var final = expectedTasks.Keys.Select(id => h.Store.Get(id) ?? throw new Xunit.Sdk.XunitException($"no task {id}")).ToList();
        var catalogue = LinkageCatalogue.Parse(LinkageHarness.ShippedCsv);
        foreach (var t in final)
        {
            var c = expectedTasks[t.Id];
            var rule = catalogue.Match(c.ItemCode)!;
            Assert.Equal((c.Source, c.SourceId, c.CaseNo, c.ItemCode), (t.CaseSource, t.CaseSourceId, t.CaseNo, t.ApprovalItemCode));
            Assert.Equal((rule.Regulator, rule.Division, rule.RegulatoryItemCode), (t.Regulator, t.Division, t.RegulatoryItemCode));
            Assert.Matches("^[0-9A-Z]{18}$", t.Uscc);
        }
        Assert.All(denied, c => Assert.Null(h.Store.Get("RT-" + c.CaseNo)));

        // Completed cases of the unlinked item wait in the unmatched list, exactly those.
        var (waiting, waitingTotal) = wf.Unmatched(10_000);
        Assert.Equal(expectedUnmatched.Count, waitingTotal);
        Assert.Equal(expectedUnmatched.Select(c => c.SourceId).Order(StringComparer.Ordinal), waiting.Select(u => u.Case.SourceId).Order(StringComparer.Ordinal));
        Assert.All(waiting, u => Assert.Equal(CaseStage.Completed, u.Case.ApprovalCase.Stage));

        // Each task pushed once to the regulation platform, keyed by its id.
        var outbox = h.PlatformOutbox();
        Assert.Equal(n, outbox.Count);
        Assert.Equal(n, outbox.Select(m => m.Intent.IdempotencyKey).Distinct().Count());
        Assert.Equal(expectedTasks.Keys.Select(id => $"regulation-platform:task:{id}").Order(StringComparer.Ordinal),
            outbox.Select(m => m.Intent.IdempotencyKey).Order(StringComparer.Ordinal));
        Assert.All(outbox, m =>
        {
            var pushed = RegulatoryTask.Parser.ParseFrom(m.Intent.Payload);
            Assert.Equal($"regulation-platform:task:{pushed.Id}", m.Intent.IdempotencyKey);
            Assert.Equal(TaskState.PendingView, pushed.State);
            Assert.Equal("regulatory-task", m.Intent.Kind);
        });
        var platformCount = Assert.Single(hub.Store.OutboxCounts(), c => c.Destination == LinkageWorkflow.RegulationPlatform);
        Assert.Equal(n, platformCount.Waiting);
        Assert.Empty(h.Store.Unpushed(10));

        // Reminders, overdue flags, escalations and results, by behaviour class.
        var notices = h.Notifier.Notices.ToList();
        int Notices(string kind) => notices.Count(x => x.Kind == kind);
        Assert.Equal(n, Notices("task"));
        Assert.Equal(afterReminder + whenOverdue, Notices("task-reminder"));
        Assert.Equal(whenOverdue, Notices("task-overdue"));
        Assert.Equal(whenOverdue, Notices("task-overdue-escalation"));
        Assert.Equal(n + afterReminder + 3 * whenOverdue, notices.Count);
        Assert.All(notices.Where(x => x.Kind == "task-overdue-escalation"), x => Assert.Equal(LinkageHarness.CoordinationOffice, x.RecipientAgency));
        Assert.All(notices.Where(x => x.Kind != "task-overdue-escalation"), x =>
        {
            var t = final.Single(f => f.Id == x.Subject);
            Assert.Equal((t.Regulator, t.Division), (x.RecipientAgency, x.Division));
        });
        Assert.Equal(notices.Count, notices.Select(x => x.IdempotencyKey).Distinct().Count());
        Assert.Equal(expectedTasks.Keys.Where(id => ViewOf(id) != ViewBehaviour.AtOnce).Order(StringComparer.Ordinal), reminded.Order(StringComparer.Ordinal));
        Assert.Equal(expectedTasks.Keys.Where(id => ViewOf(id) == ViewBehaviour.WhenOverdue).Order(StringComparer.Ordinal), overdue.Order(StringComparer.Ordinal));

        Assert.All(final, t => Assert.Equal(TaskState.ResultSubmitted, t.State));
        Assert.Equal(afterReminder + whenOverdue, final.Count(t => t.ViewReminded));
        Assert.Equal(whenOverdue, final.Count(t => t.ViewOverdue));
        Assert.Equal(late, final.Count(t => t.ResultOverdue));
        Assert.Equal(expectedTasks.Keys.Where(LateOf).Order(StringComparer.Ordinal), final.Where(t => t.ResultOverdue).Select(t => t.Id).Order(StringComparer.Ordinal));
        foreach (var outcome in new[] { SupervisionOutcome.Compliant, SupervisionOutcome.RectificationOrdered, SupervisionOutcome.RevokePermit })
            Assert.Equal(expectedTasks.Keys.Count(id => OutcomeOf(id) == outcome), final.Count(t => t.Result.Outcome == outcome));
        Assert.All(final.Where(t => t.Result.Outcome == SupervisionOutcome.RectificationOrdered), t => Assert.NotEqual("", t.Result.RectificationDeadline));

        // Each REVOKE_PERMIT result went back once (回路): to the approval side, to the credit platform, and into the enterprise's records.
        Assert.Equal(revoked, final.Where(t => t.RevocationReturned).Select(t => t.Id).Order(StringComparer.Ordinal));
        Assert.Empty(h.Store.PendingRevocations(10));
        var approvalSide = h.Outbox(LinkageWorkflow.ApprovalPlatform);
        Assert.Equal(revoked.Select(id => $"provincial-platform:revoke:{id}"), approvalSide.Select(m => m.Intent.IdempotencyKey).Order(StringComparer.Ordinal));
        Assert.All(approvalSide, m => Assert.Equal(SupervisionOutcome.RevokePermit, RegulatoryTask.Parser.ParseFrom(m.Intent.Payload).Result.Outcome));
        var credit = h.Outbox(CreditPublicityPolicy.Destination);
        Assert.Equal(revoked.Select(id => $"credit-platform:dishonesty:{id}"),
            credit.Select(m => m.Intent.IdempotencyKey).Where(k => k.Contains(":dishonesty:", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Equal(r, credit.Count(m => m.Intent.IdempotencyKey.StartsWith("credit-platform:permit:linkage:", StringComparison.Ordinal)));
        Assert.Equal(2 * r, credit.Count);
        var revokedPermits = h.BackLoopRecords(CanonicalRecord.BodyOneofCase.Licence);
        Assert.Equal(revoked.Select(id => "REVOKE-" + id), revokedPermits.Select(x => x.SourceId).Order(StringComparer.Ordinal));
        Assert.All(revokedPermits, x => Assert.Equal(LicenceStatus.Revoked, x.Licence.Status));
        var broken = h.BackLoopRecords(CanonicalRecord.BodyOneofCase.Commitment);
        Assert.Equal(revoked.Select(id => "BROKEN-" + id), broken.Select(x => x.SourceId).Order(StringComparer.Ordinal));
        Assert.All(broken, x => Assert.Equal(CommitmentStatus.Broken, x.Commitment.Status));
        Assert.All(revokedPermits.Concat(broken), x => Assert.Equal(final.Single(t => x.SourceId.EndsWith(t.Id, StringComparison.Ordinal)).Uscc, x.Uscc));
        var (byState, openOverdue) = h.Store.Counts();
        Assert.Equal(n, Assert.Single(byState, kv => kv.Key == TaskState.ResultSubmitted).Value);
        Assert.Single(byState);
        Assert.Equal(0, openOverdue);
        Assert.Empty(h.Store.DueForAction(DateTimeOffset.MaxValue.AddYears(-1), 10));

        // Every step is one event in the task's history, on the bus, and in the audit chain.
        var histories = final.SelectMany(t => h.Store.History(t.Id)).ToList();
        int Events(LinkageEventType type) => histories.Count(e => e.Type == type);
        Assert.Equal(n, Events(LinkageEventType.TaskCreated));
        Assert.Equal(afterReminder + whenOverdue, Events(LinkageEventType.ViewReminded));
        Assert.Equal(whenOverdue, Events(LinkageEventType.ViewOverdue));
        Assert.Equal(n, Events(LinkageEventType.Acknowledged));
        Assert.Equal(n, Events(LinkageEventType.ResultSubmitted));
        Assert.Equal(r, Events(LinkageEventType.RevocationReturned));
        Assert.Equal(3 * n + afterReminder + 2 * whenOverdue + r, histories.Count);
        Assert.All(final, t => Assert.Equal(Enumerable.Range(1, (int)t.Events).Select(i => (uint)i), h.Store.History(t.Id).Select(e => e.Seq)));
        Assert.Equal(histories.Count, published.Count);
        // The bus outbox (Kafka mode) holds every task event published, keyed by its task, with its snapshot.
        var outboxed = new SqliteBusOutbox(h.Store.Path).Next(int.MaxValue).Where(o => o.Topic == Topics.Linkage).Select(o => (o.Key, Event: LinkageEvent.Parser.ParseFrom(o.Payload))).ToList();
        Assert.Equal(published.Count(e => e.Task is not null), outboxed.Count(o => o.Event.Task is not null));
        Assert.All(outboxed.Where(o => o.Event.Task is not null), o => Assert.Equal(o.Event.Task.Id, o.Key));
        Assert.Equal(n, published.Count(e => e.Type == LinkageEventType.TaskCreated));
        var audit = h.Audit.ReadAll().ToList();
        Assert.Null(AuditChain.Verify(audit, out _));
        Assert.Equal(histories.Count, audit.Count);
        Assert.All(audit, e => Assert.StartsWith("task=", e.Draft.Detail, StringComparison.Ordinal));
        Assert.Equal(n + afterReminder + 2 * whenOverdue + r, audit.Count(e => e.Draft.Agency == PullLifecycle.HubActor));

        // Each regulator lists exactly its own tasks, page by page, newest first.
        foreach (var regulator in catalogue.Rules.Select(r => r.Regulator).Distinct())
        {
            var listed = new List<RegulatoryTask>();
            long? before = null;
            do
            {
                var page = wf.List(LinkageHarness.Regulator(regulator), TaskView.Unspecified, null, 97, before);
                listed.AddRange(page.Tasks);
                before = page.Next;
            } while (before is not null);
            Assert.Equal(final.Where(t => t.Regulator == regulator).Select(t => t.Id).Order(StringComparer.Ordinal), listed.Select(t => t.Id).Order(StringComparer.Ordinal));
            Assert.Equal(listed.Count, listed.Select(t => t.Id).Distinct().Count());
        }

        // Following the log again makes nothing new.
        Assert.Equal(0, await wf.FollowLogAsync(ct));
        Assert.Equal(n, h.PlatformOutbox().Count);

        // A completed case (and an unmatched one) re-sent as a new version makes no second task and no second listing.
        var resent = expectedTasks.Values.First(c => c.Clean is not null);
        var resentUnmatched = expectedUnmatched.First(c => c.Clean is not null);
        var summary = await hub.IngestLinesAsync([NewVersion(resent.Clean!), NewVersion(resentUnmatched.Clean!)]);
        Assert.Equal(2, summary.Stored);
        var eventsBefore = h.Store.Get("RT-" + resent.CaseNo)!.Events;
        Assert.Equal(0, await wf.FollowLogAsync(ct));
        Assert.Equal(eventsBefore, h.Store.Get("RT-" + resent.CaseNo)!.Events);
        Assert.Equal(n, h.PlatformOutbox().Count);
        Assert.Equal(expectedUnmatched.Count, wf.Unmatched(1).Total);
        Observe();
        Assert.Equal(n, tracked.Count);

        // The catalogue learns 排污许可: every waiting case becomes a task for the ecology bureau, and the list empties.
        var newCsv = LinkageHarness.ShippedCsv.TrimEnd('\n', '\r') + "\n320100000000008,,排污许可,JG-HB-001,排污单位监督检查,city-ecology,环境执法处\n";
        var stale = await Assert.ThrowsAsync<WorkflowRuleException>(() => wf.UpdateCatalogueAsync(newCsv, 0, LinkageHarness.Coordination, ct));
        Assert.Equal(WorkflowErrorKind.Aborted, stale.Kind);
        var invalid = await Assert.ThrowsAsync<WorkflowRuleException>(() => wf.UpdateCatalogueAsync(newCsv + "320100000000008,,重复,JG-HB-002,重复,city-ecology,另一处\n", 1, LinkageHarness.Coordination, ct));
        Assert.Equal(WorkflowErrorKind.InvalidArgument, invalid.Kind);
        Assert.Contains("line 10", invalid.Message, StringComparison.Ordinal);
        Assert.Equal(1, wf.CatalogueRevision.Revision);

        var revision = await wf.UpdateCatalogueAsync(newCsv, 1, LinkageHarness.Coordination, ct);

        Assert.Equal(2, revision.Revision);
        Assert.Equal(2, wf.CatalogueRevision.Revision);
        Assert.Equal(8, wf.Catalogue.Rules.Count);
        Assert.Equal((0L, 0), (wf.Unmatched(10).Total, wf.Unmatched(10).Cases.Count));
        Observe();
        var linked = expectedUnmatched.Select(c => h.Store.Get("RT-" + c.CaseNo) ?? throw new Xunit.Sdk.XunitException($"no task for waiting case {c.CaseNo}")).ToList();
        Assert.All(linked, t =>
        {
            Assert.Equal(("city-ecology", "环境执法处", TaskState.PendingView, 1u), (t.Regulator, t.Division, t.State, t.Events));
            Assert.Equal(Unlinked, t.ApprovalItemCode);
            Assert.Equal(h.Time.Now, t.CreatedAt.ToDateTimeOffset());
        });
        Assert.Equal(n + expectedUnmatched.Count, tracked.Count);
        Assert.Equal(n + expectedUnmatched.Count, h.PlatformOutbox().Count);
        Assert.Equal(n + expectedUnmatched.Count, h.PlatformOutbox().Select(m => m.Intent.IdempotencyKey).Distinct().Count());
        Assert.Equal(n + expectedUnmatched.Count, h.Notifier.Notices.Count(x => x.Kind == "task"));
        Assert.Equal(expectedUnmatched.Count, h.Store.Counts().ByState[TaskState.PendingView]);
        var auditAfter = h.Audit.ReadAll().ToList();
        Assert.Null(AuditChain.Verify(auditAfter, out _));
        Assert.Equal(audit.Count + expectedUnmatched.Count + 1, auditAfter.Count);
        Assert.Single(auditAfter, e => e.Draft.Detail.StartsWith("linkage catalogue revision=2", StringComparison.Ordinal) && e.Draft.Agency == LinkageHarness.CoordinationOffice);
        Assert.Equal(0, await wf.FollowLogAsync(ct));

        // A restarted hub keeps the edited catalogue rather than the file's.
        var reopened = h.Open();
        Assert.Equal(2, reopened.CatalogueRevision.Revision);
        Assert.NotNull(reopened.Catalogue.Match(Unlinked));
        Assert.Equal(0, await reopened.FollowLogAsync(ct));
    }

    /// <summary>The case as its source would correct it: a changed name and a later update time.</summary>
    private static string NewVersion(CanonicalRecord clean)
    {
        var v = clean.Clone();
        v.ApprovalCase.ItemName += "（更正）";
        v.UpdatedAt = Timestamp.FromDateTimeOffset(v.UpdatedAt.ToDateTimeOffset().AddDays(1));
        return Formatter.Format(v);
    }

    /// <summary>The division's step on a task in a working hour, by its class; true when the task is closed.</summary>
    private static async Task<bool> ActAsync(LinkageWorkflow wf, Tracked t, DateOnly today, HashSet<string> reminded, HashSet<string> overdue, WorkingDayCalendar calendar, CancellationToken ct)
    {
        var actor = LinkageHarness.Regulator(t.Task.Regulator);
        switch (t.Task.State)
        {
            case TaskState.PendingView:
                bool view = t.View switch
                {
                    ViewBehaviour.AtOnce => true,
                    ViewBehaviour.AfterReminder => reminded.Contains(t.Id),
                    _ => overdue.Contains(t.Id),
                };
                if (!view) return false;
                if (t.View == ViewBehaviour.AtOnce) Assert.False(reminded.Contains(t.Id), $"{t.Id} was reminded before its division could view it");
                if (t.View == ViewBehaviour.AfterReminder) Assert.False(overdue.Contains(t.Id), $"{t.Id} went overdue before its division acted on the reminder");
                if (t.View == ViewBehaviour.WhenOverdue) Assert.True(reminded.Contains(t.Id), $"{t.Id} went overdue without the reminder the working day before");
                t.Task = await wf.AcknowledgeAsync(actor, t.Id, ct);
                Assert.Equal(TaskState.Viewed, t.Task.State);
                Assert.Equal(t.View == ViewBehaviour.WhenOverdue, t.Task.ViewOverdue);
                return false;
            case TaskState.Viewed:
                var viewedOn = ChinaDates.DateOf(t.Task.ViewedAt);
                // On time: reported the next day; late: only after the 5 working days have passed.
                if (!(t.Late ? today > calendar.AddWorkingDays(viewedOn, 5) : today > viewedOn)) return false;
                var result = new SupervisionResult
                {
                    Outcome = t.Outcome,
                    Details = $"现场检查（合成测试）：{t.Task.EnterpriseName}",
                    FinishedOn = ChinaDates.Format(viewedOn),
                    RectificationDeadline = t.Outcome == SupervisionOutcome.RectificationOrdered ? ChinaDates.Format(viewedOn.AddDays(30)) : "",
                };
                t.Task = await wf.SubmitResultAsync(actor, t.Id, result, ct);
                Assert.Equal(TaskState.ResultSubmitted, t.Task.State);
                Assert.Equal(t.Late, t.Task.ResultOverdue);
                Assert.Equal(t.Outcome == SupervisionOutcome.RevokePermit, t.Task.RevocationReturned);
                return true;
            default:
                throw new Xunit.Sdk.XunitException($"{t.Id} is {t.Task.State} yet still open");
        }
    }

    [Fact]
    public async Task A_crash_between_storing_a_task_and_pushing_it_is_recovered_by_the_next_follow_with_one_push()
    {
        var ct = CancellationToken.None;
        var lines = Demo(enterprises: 40, seed: 7, dirtRate: 0);
        using var hub = new TempHub();
        await using var h = new LinkageHarness(hub, Start);
        await hub.IngestLinesAsync(lines.Select(l => l.Json));
        var wf = h.Workflow;
        var before = await wf.FollowLogAsync(ct);
        Assert.True(before > 0);
        Assert.Equal(before, h.PlatformOutbox().Count);

        // A new completed case reaches the log; the hub stores its task, then stops before the push.
        var template = CasesOf(lines).First(c => c.Stage == CaseStage.Completed && c.ItemCode != Unlinked).Clean!;
        var fresh = template.Clone();
        fresh.ApprovalCase.CaseNo = "32130220260901999999";
        fresh.SourceId = "CASE-32130220260901999999";
        Assert.Equal(1, (await hub.IngestLinesAsync([Formatter.Format(fresh)])).Stored);
        var cursor = h.Store.Cursor();
        var stored = Assert.Single(hub.Store.LogAfter(cursor, CanonicalRecord.BodyOneofCase.ApprovalCase, 10).Records);
        var step = TaskLifecycle.Created(stored, wf.Catalogue.Match(stored.ApprovalCase.ItemCode)!, wf.Calendar, h.Time.GetUtcNow());
        Assert.Single(h.Store.StorePage([step], [], [], cursor));
        Assert.Equal("RT-32130220260901999999", Assert.Single(h.Store.Unpushed(10)).Id);
        Assert.Equal(before, h.PlatformOutbox().Count);

        // The restarted hub's next follow pushes it (once), and the case in the log makes no second task.
        h.Time.Advance(Hour);
        var restarted = h.Open();
        Assert.Equal(0, await restarted.FollowLogAsync(ct));
        Assert.Empty(h.Store.Unpushed(10));
        var outbox = h.PlatformOutbox();
        Assert.Equal(before + 1, outbox.Count);
        var pushed = Assert.Single(outbox, m => m.Intent.IdempotencyKey == "regulation-platform:task:RT-32130220260901999999");
        Assert.Equal(step.Task, RegulatoryTask.Parser.ParseFrom(pushed.Intent.Payload));
        Assert.Single(h.Store.History("RT-32130220260901999999"));

        Assert.Equal(0, await restarted.FollowLogAsync(ct));
        Assert.Equal(before + 1, h.PlatformOutbox().Count);
        Assert.Equal(h.PlatformOutbox().Count, h.PlatformOutbox().Select(m => m.Intent.IdempotencyKey).Distinct().Count());
    }

    /// <summary>A small hub with its tasks made, and one task viewed by its regulator; returns the task.</summary>
    private static async Task<RegulatoryTask> ViewedTaskAsync(LinkageHarness h, List<GeneratedLine> lines)
    {
        await h.Hub.IngestLinesAsync(lines.Select(l => l.Json));
        Assert.True(await h.Workflow.FollowLogAsync(CancellationToken.None) > 0);
        var c = CasesOf(lines).First(c => c.Stage == CaseStage.Completed && c.ItemCode != Unlinked);
        var task = h.Store.Get("RT-" + c.CaseNo)!;
        h.Time.Advance(Hour);
        return await h.Workflow.AcknowledgeAsync(LinkageHarness.Regulator(task.Regulator), task.Id, CancellationToken.None);
    }

    private static SupervisionResult Revoke(RegulatoryTask viewed) => new()
    {
        Outcome = SupervisionOutcome.RevokePermit,
        Details = "现场核查：实际经营场所与许可不符（合成测试）",
        FinishedOn = ChinaDates.Format(ChinaDates.DateOf(viewed.ViewedAt)),
    };

    [Fact]
    public async Task A_crash_between_a_revoke_permit_result_and_its_back_loop_is_finished_once_by_the_next_follow()
    {
        var ct = CancellationToken.None;
        var lines = Demo(enterprises: 40, seed: 11, dirtRate: 0);
        using var hub = new TempHub();
        await using var h = new LinkageHarness(hub, Start);
        var viewed = await ViewedTaskAsync(h, lines);
        var actor = LinkageHarness.Regulator(viewed.Regulator);

        // The result is stored, then the hub stops before the back loop.
        h.Time.Advance(Hour);
        Assert.NotNull(h.Store.Update(viewed.Id, t => TaskLifecycle.SubmitResult(t, actor, Revoke(viewed), h.Workflow.Calendar, h.Time.GetUtcNow())));
        Assert.Equal(viewed.Id, Assert.Single(h.Store.PendingRevocations(10)).Id);
        Assert.Empty(h.Outbox(LinkageWorkflow.ApprovalPlatform));
        Assert.Empty(h.BackLoopRecords(CanonicalRecord.BodyOneofCase.Licence));

        h.Time.Advance(TimeSpan.FromDays(1));
        var restarted = h.Open();
        Assert.Equal(0, await restarted.FollowLogAsync(ct));

        var task = h.Store.Get(viewed.Id)!;
        Assert.True(task.RevocationReturned);
        Assert.Equal(LinkageEventType.RevocationReturned, h.Store.History(viewed.Id)[^1].Type);
        Assert.Equal(4u, task.Events);
        Assert.Empty(h.Store.PendingRevocations(10));
        Assert.Equal($"provincial-platform:revoke:{viewed.Id}", Assert.Single(h.Outbox(LinkageWorkflow.ApprovalPlatform)).Intent.IdempotencyKey);
        Assert.Single(h.Outbox(CreditPublicityPolicy.Destination), m => m.Intent.IdempotencyKey == $"credit-platform:dishonesty:{viewed.Id}");
        Assert.Single(h.Outbox(CreditPublicityPolicy.Destination), m => m.Intent.IdempotencyKey.StartsWith("credit-platform:permit:linkage:", StringComparison.Ordinal));
        var permit = Assert.Single(h.BackLoopRecords(CanonicalRecord.BodyOneofCase.Licence));
        Assert.Equal(("REVOKE-" + viewed.Id, LicenceStatus.Revoked, viewed.Uscc), (permit.SourceId, permit.Licence.Status, permit.Uscc));
        var broken = Assert.Single(h.BackLoopRecords(CanonicalRecord.BodyOneofCase.Commitment));
        Assert.Equal(("BROKEN-" + viewed.Id, CommitmentStatus.Broken, viewed.CaseNo), (broken.SourceId, broken.Commitment.Status, broken.Commitment.CaseNo));

        // Nothing more on the next follows.
        h.Time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, await restarted.FollowLogAsync(ct));
        Assert.Equal(4u, h.Store.Get(viewed.Id)!.Events);
        Assert.Single(h.Outbox(LinkageWorkflow.ApprovalPlatform));
        Assert.Equal(2, h.Outbox(CreditPublicityPolicy.Destination).Count(m => m.Intent.IdempotencyKey.Contains("linkage", StringComparison.Ordinal) || m.Intent.IdempotencyKey.Contains(":dishonesty:", StringComparison.Ordinal)));
        Assert.Single(h.BackLoopRecords(CanonicalRecord.BodyOneofCase.Licence));
    }

    [Fact]
    public async Task A_back_loop_retried_later_after_a_crash_writes_the_revoked_permit_once_and_publishes_it_once()
    {
        var ct = CancellationToken.None;
        var lines = Demo(enterprises: 40, seed: 13, dirtRate: 0);
        using var hub = new TempHub();
        await using var h = new LinkageHarness(hub, Start);
        var viewed = await ViewedTaskAsync(h, lines);
        var actor = LinkageHarness.Regulator(viewed.Regulator);
        h.Time.Advance(Hour);
        var submitted = h.Store.Update(viewed.Id, t => TaskLifecycle.SubmitResult(t, actor, Revoke(viewed), h.Workflow.Calendar, h.Time.GetUtcNow()))!.Task;

        // The first attempt got as far as writing the records into the log, then the hub stopped.
        var firstAttempt = LinkageWorkflow.BackLoopRecords(submitted);
        var (outcomes, _) = await h.Pipeline.SubmitAsync(firstAttempt.Select(r => new RawRecord
        {
            Source = LinkageWorkflow.Source, Format = CanonicalRecordMapper.FormatName, Origin = $"linkage:{submitted.Id}", Payload = r.ToByteString(),
        }).ToList(), ct);
        Assert.All(outcomes, o => Assert.Equal(RecordOutcomeKind.Stored, o.Kind));

        // The restarted hub finishes the loop the next morning.
        h.Time.Advance(TimeSpan.FromHours(20));
        Assert.Equal(0, await h.Open().FollowLogAsync(ct));
        Assert.True(h.Store.Get(viewed.Id)!.RevocationReturned);

        // The records depend on the task alone (dated by its result), so the retry stores nothing new and publishes nothing twice.
        Assert.Single(hub.Store.RecordVersions(viewed.Uscc), x => x.SourceId == "REVOKE-" + viewed.Id);
        Assert.Single(hub.Store.RecordVersions(viewed.Uscc), x => x.SourceId == "BROKEN-" + viewed.Id);
        Assert.Single(h.Outbox(CreditPublicityPolicy.Destination), m => m.Intent.IdempotencyKey.StartsWith("credit-platform:permit:linkage:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_permit_decided_before_the_calendars_years_waiting_for_the_credit_platform_does_not_stop_the_deadline_scan()
    {
        var ct = CancellationToken.None;
        var lines = Demo(enterprises: 20, seed: 17, dirtRate: 0);
        using var hub = new TempHub();
        await using var h = new LinkageHarness(hub, Start);
        await hub.IngestLinesAsync(lines.Select(l => l.Json));
        Assert.True(await h.Workflow.FollowLogAsync(ct) > 0);
        var uscc = Parser.Parse<CanonicalRecord>(lines[0].Json).Uscc;

        // Two permits reach the hub through the publishing pipeline and wait for the credit platform:
        // one decided in 2022 (an imported history), one decided 2026-08-03 (due 2026-08-12, so overdue now).
        CanonicalRecord Permit(string no, string issued) => new()
        {
            Uscc = uscc, Source = "e-licence", SourceId = "LIC-" + no, EnterpriseName = "合成测试企业", SchemaVersion = RecordNormalizer.CurrentSchemaVersion, Synthetic = true,
            OccurredAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(DateOnly.ParseExact(issued, "yyyy-MM-dd").ToDateTime(new TimeOnly(10, 0)), ChinaDates.Offset)),
            Licence = new Licence { LicenceNo = no, LicenceType = "食品经营许可证", LicenceTypeCode = "JY", IssuedOn = issued, ValidFrom = issued, ValidUntil = "2030-12-31", Status = LicenceStatus.Valid },
        };
        Assert.Equal(2, (await h.IngestLinesAsync([Formatter.Format(Permit("JY-OLD-2022", "2022-11-21")), Formatter.Format(Permit("JY-NEW-2026", "2026-08-03"))])).Stored);
        Assert.Equal(2, h.Outbox(CreditPublicityPolicy.Destination).Count);

        // A decision before the calendar's years (2022) is long past its deadline: alerted, and the scan goes on to the 2026 permit.
        var steps = await h.Workflow.RunDeadlinesAsync(ct);

        Assert.True(steps >= 2);
        Assert.Contains(h.Notifier.Notices, x => x.Kind == "publicity-overdue" && x.Text.Contains("JY-OLD-2022", StringComparison.Ordinal));
        Assert.Contains(h.Notifier.Notices, x => x.Kind == "publicity-overdue" && x.Subject.Contains("e-licence", StringComparison.Ordinal)
                                                 && x.Text.Contains("JY-NEW-2026", StringComparison.Ordinal) && x.RecipientAgency == LinkageHarness.CoordinationOffice);
    }
}
