using DataHub.Core.Audit;
using DataHub.Core.Calendar;
using DataHub.Core.Identifiers;
using DataHub.Core.Ingest;
using DataHub.Core.Linkage;
using DataHub.Core.Records;
using DataHub.Core.Workflows;
using DataHub.Schema.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Embedded.Tests;

/// <summary>
/// Commitments (告知承诺) and the back loop (回路) over the real stores, with a manual clock: deadlines
/// reminded and failed on time, kept ones recorded, 材料核验 against the e-licence library, 事后核查 as
/// a task, and a "revoke the permit" result going back to the approval side, into the profile and to
/// the credit platform — each push once.
/// </summary>
public sealed class LinkageCommitmentTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 10, 12, 9, 0, 0, ChinaDates.Offset);
    private const string Catalogue = """
        approval_item_code,approval_sub_item,approval_item_name,regulatory_item_code,regulatory_item_name,regulator,division
        320100000000001,,食品经营许可,JG-SC-001,食品经营活动监督检查,city-amr,食品经营监管处
        """;

    private readonly TempHub _hub = new();
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "datahub-commitments-" + Guid.NewGuid().ToString("N"));
    private readonly ManualTime _time = new(Start);
    private readonly RecordingNotifier _notifier = new();
    private readonly FixedLicenceLibrary _library = new();
    private SqliteLinkageStore _store = null!;
    private SqliteAuditLog _audit = null!;
    private IngestPipeline _pipeline = null!;
    private LinkageWorkflow _linkage = null!;
    private readonly string _a = Uscc.Generate(new Random(1), "320102");
    private readonly string _b = Uscc.Generate(new Random(2), "320102");

    public Task InitializeAsync()
    {
        _store = new SqliteLinkageStore(Path.Combine(_directory, "workflow.db")) { RelaysToBus = true };
        _audit = new SqliteAuditLog(Path.Combine(_directory, "audit.db"));
        _pipeline = new IngestPipeline(_hub.Store, _hub.Bus, new RecordNormalizer(null), [new CanonicalRecordMapper()], _time,
            new IngestOptions { BatchSize = 64, OutboxPolicies = [new Core.Outbound.CreditPublicityPolicy()] });
        _linkage = LinkageWorkflow.Open(_store, _hub.Store, _pipeline, _library, _notifier, _hub.Bus, _audit, WorkingDayCalendar.Shipped, _time,
            new LinkageAgencies("city-coordination", "city-approval"), Catalogue, "test.csv");
        return Task.CompletedTask;
    }

    private static CanonicalRecord Record(string uscc, string sourceId, DateTimeOffset at) => new()
    {
        Source = "provincial-platform", SourceId = sourceId, Uscc = uscc, EnterpriseName = "合成测试企业" + uscc[^4..], OccurredAt = Timestamp.FromDateTimeOffset(at), Synthetic = true,
    };

    private static CanonicalRecord Case(string uscc, string caseNo, string item, DateTimeOffset completed, string licenceNo = "")
    {
        var r = Record(uscc, "CASE-" + caseNo, completed);
        r.ApprovalCase = new ApprovalCase
        {
            CaseNo = caseNo, ItemCode = item, ItemName = "食品经营许可", Stage = CaseStage.Completed, AcceptedAt = Timestamp.FromDateTimeOffset(completed.AddDays(-3)),
            CompletedAt = Timestamp.FromDateTimeOffset(completed), ResultLicenceNo = licenceNo,
        };
        return r;
    }

    private static CanonicalRecord Commitment(string uscc, string code, string caseNo, CommitmentType type, string deadline, CommitmentStatus status, DateTimeOffset at)
    {
        var r = Record(uscc, "CMT-" + code, at);
        r.UpdatedAt = Timestamp.FromDateTimeOffset(at);
        r.Commitment = new Commitment
        {
            CommitmentCode = code, CaseNo = caseNo, Type = type, Content = "申请人承诺限期补齐材料（合成测试）", CommittedOn = "2026-10-12", Deadline = deadline, Status = status,
            ResolvedOn = status == CommitmentStatus.Pending ? "" : ChinaDates.Format(ChinaDates.DateOf(at)),
        };
        return r;
    }

    private async Task IngestAsync(params CanonicalRecord[] records)
    {
        var (outcomes, summary) = await _pipeline.SubmitAsync(records.Select(r => new RawRecord
        {
            Source = r.Source, Format = CanonicalRecordMapper.FormatName, Origin = "test", Payload = r.ToByteString(), FetchedAt = Timestamp.FromDateTimeOffset(_time.Now),
        }).ToList());
        Assert.Equal(0, summary.Quarantined);
    }

    /// <summary>The clock moves an hour at a time for the given hours, the follower and the deadline scan running each hour.</summary>
    private async Task RunAsync(int hours)
    {
        for (int i = 0; i < hours; i++)
        {
            await _linkage.FollowLogAsync(CancellationToken.None);
            await _linkage.RunDeadlinesAsync(CancellationToken.None);
            _time.Advance(TimeSpan.FromHours(1));
        }
    }

    private int Notices(string kind) => _notifier.Notices.Count(n => n.Kind == kind);

    [Fact]
    public async Task Commitments_are_reminded_failed_kept_verified_and_routed_and_a_revocation_goes_back_once()
    {
        _library.Add(_a, new Licence { LicenceNo = "JY-A", LicenceType = "食品经营许可证", LicenceTypeCode = "JY", Status = LicenceStatus.Valid, ValidFrom = "2025-01-01", ValidUntil = "2030-12-31" });
        await IngestAsync(
            Case(_a, "C1", "320100000000001", Start.AddHours(-2), "JY-A"),
            Case(_b, "C2", "320100000000008", Start.AddHours(-2)),
            Commitment(_a, "DEFERRED", "C1", CommitmentType.MaterialDeferred, "2026-10-20", CommitmentStatus.Pending, Start),
            Commitment(_a, "GAPS", "C1", CommitmentType.AcceptedWithGaps, "2026-10-27", CommitmentStatus.Pending, Start),
            Commitment(_a, "VERIFY-A", "C1", CommitmentType.MaterialVerified, "", CommitmentStatus.Pending, Start),
            Commitment(_b, "VERIFY-B", "C2", CommitmentType.MaterialVerified, "", CommitmentStatus.Pending, Start),
            Commitment(_a, "CHECK-A", "C1", CommitmentType.PostCheck, "", CommitmentStatus.Pending, Start),
            Commitment(_b, "CHECK-B", "C2", CommitmentType.PostCheck, "", CommitmentStatus.Pending, Start),
            Commitment(_b, "BROKEN", "C2", CommitmentType.MaterialDeferred, "2026-10-15", CommitmentStatus.Broken, Start));
        await RunAsync(1);

        TrackedCommitment C(string code) => _store.ListCommitments(CommitmentView.All, 100, null).Commitments.Single(c => c.Code == code);
        Assert.Equal(CommitmentTrackState.Pending, C("DEFERRED").State);
        Assert.Equal(CommitmentTrackState.Verified, C("VERIFY-A").State);
        Assert.Contains("JY-A", C("VERIFY-A").Verification);
        Assert.Equal(CommitmentTrackState.VerificationFailed, C("VERIFY-B").State);
        Assert.Equal(CommitmentTrackState.PostCheckTasked, C("CHECK-A").State);
        Assert.Equal("RT-C1-HC", C("CHECK-A").TaskId);
        var postCheck = _store.Get("RT-C1-HC")!;
        Assert.Equal(("city-amr", "食品经营监管处"), (postCheck.Regulator, postCheck.Division));
        Assert.Contains("补齐材料", postCheck.CommitmentContent);
        Assert.Equal(CommitmentTrackState.PostCheckUnrouted, C("CHECK-B").State);
        Assert.Equal(CommitmentTrackState.Broken, C("BROKEN").State);
        Assert.Equal(1, Notices("verification-failed"));
        Assert.Equal(1, Notices("commitment-failed"));

        // The gaps commitment is kept before its reminder; the deferred one is reminded the day before and fails at its end.
        _time.Advance(TimeSpan.FromDays(1));
        await IngestAsync(Commitment(_a, "GAPS", "C1", CommitmentType.AcceptedWithGaps, "2026-10-27", CommitmentStatus.Kept, _time.Now));
        await RunAsync(24 * 10);
        Assert.Equal(CommitmentTrackState.Kept, C("GAPS").State);
        Assert.False(C("GAPS").Reminded);
        Assert.Equal(CommitmentTrackState.Overdue, C("DEFERRED").State);
        Assert.True(C("DEFERRED").Reminded);
        var reminder = Assert.Single(_notifier.Notices, n => n.Kind == "commitment-reminder");
        Assert.Equal(("city-approval", "DEFERRED"), (reminder.RecipientAgency, reminder.Subject));
        var history = _store.CommitmentHistory("DEFERRED");
        Assert.Equal([LinkageEventType.CommitmentTracked, LinkageEventType.CommitmentReminded, LinkageEventType.CommitmentOverdue], history.Select(e => e.Type));
        Assert.Equal(new DateTimeOffset(2026, 10, 19, 9, 0, 0, ChinaDates.Offset), history[1].At.ToDateTimeOffset());
        Assert.Equal(new DateTimeOffset(2026, 10, 21, 0, 0, 0, ChinaDates.Offset), history[2].At.ToDateTimeOffset());
        Assert.Equal(2, Notices("commitment-failed"));

        // The regulator views the case's task and finds the permit must be revoked.
        var amr = new WorkflowActor("city-amr", new HashSet<string> { "regulator" }, "", "/test");
        await _linkage.AcknowledgeAsync(amr, "RT-C1", CancellationToken.None);
        var task = await _linkage.SubmitResultAsync(amr, "RT-C1", new SupervisionResult
        {
            Outcome = SupervisionOutcome.RevokePermit, Details = "现场核查发现经营场所与许可不符（合成测试）", FinishedOn = ChinaDates.Format(ChinaDates.DateOf(_time.Now)),
        }, CancellationToken.None);
        Assert.True(task.RevocationReturned);
        Assert.Equal(LinkageEventType.RevocationReturned, _store.History("RT-C1")[^1].Type);
        await RunAsync(2);

        // Each outbound message once: to the approval side, and to the credit platform (kept, two dishonesty records of commitments, the revocation's).
        var outbox = _hub.Store.DueOutbox(_time.Now.AddYears(1), 1000).Select(m => m.Intent).ToList();
        Assert.Single(outbox, i => i.Destination == LinkageWorkflow.ApprovalPlatform && i.Kind == "revoke-permit");
        Assert.Single(outbox, i => i.Kind == "commitment-kept");
        Assert.Equal(["credit-platform:dishonesty:RT-C1", "credit-platform:dishonesty:commitment:BROKEN", "credit-platform:dishonesty:commitment:DEFERRED"],
            outbox.Where(i => i.Kind == "dishonesty").Select(i => i.IdempotencyKey).Order(StringComparer.Ordinal));
        Assert.Equal(2, outbox.Count(i => i.Destination == LinkageWorkflow.RegulationPlatform));

        // The profile shows the revoked permit and the broken commitment, with lineage to the linkage.
        var profile = _hub.Store.GetProfile(_a)!;
        Assert.Contains(profile.Licences, l => l.Licence.LicenceNo == "JY-A" && l.Licence.Status == LicenceStatus.Revoked && l.Lineage.Source == LinkageWorkflow.Source);
        Assert.Contains(profile.Commitments, c => c.Commitment.Status == CommitmentStatus.Broken && c.Lineage.Source == LinkageWorkflow.Source);

        // Following again changes nothing.
        var events = _store.History("RT-C1").Count + _store.CommitmentHistory("DEFERRED").Count;
        await RunAsync(3);
        Assert.Equal(events, _store.History("RT-C1").Count + _store.CommitmentHistory("DEFERRED").Count);
        Assert.Equal(outbox.Count, _hub.Store.DueOutbox(_time.Now.AddYears(1), 1000).Count);
        Assert.Null(AuditChain.Verify(_audit.ReadAll(), out var verified));
        Assert.True(verified > 10);
    }

    [Fact]
    public async Task A_permit_undelivered_7_working_days_after_its_decision_is_alerted_once()
    {
        var issued = Record(_a, "LIC-1", Start);
        issued.Source = "e-licence";
        issued.Licence = new Licence { LicenceNo = "JY-1", LicenceType = "食品经营许可证", LicenceTypeCode = "JY", Status = LicenceStatus.Valid, IssuedOn = "2026-10-12" };
        var penalty = Record(_a, "CF-1", Start);
        penalty.Source = "market-supervision";
        penalty.Penalty = new Penalty { DecisionDocNo = "宁市监罚〔2026〕1号", DecidedOn = "2026-10-12", Authority = "市场监督管理局" };
        await IngestAsync(issued, penalty);
        Assert.Equal(2, _hub.Store.WaitingOutbox(Core.Outbound.CreditPublicityPolicy.Destination, 0, 10).Count);

        // 7 working days after 2026-10-12 is 2026-10-21: nothing before its end, one alert each after, never again.
        _time.Advance(TimeSpan.FromDays(10) - TimeSpan.FromHours(9) - TimeSpan.FromMinutes(1));
        await _linkage.RunDeadlinesAsync(CancellationToken.None);
        Assert.Equal(0, Notices("publicity-overdue"));
        _time.Advance(TimeSpan.FromMinutes(2));
        await _linkage.RunDeadlinesAsync(CancellationToken.None);
        await _linkage.RunDeadlinesAsync(CancellationToken.None);
        Assert.Equal(2, Notices("publicity-overdue"));
        Assert.All(_notifier.Notices, n => Assert.Equal("city-coordination", n.RecipientAgency));
        Assert.Equal(2, _store.PublicityAlerts());
    }

    public async Task DisposeAsync()
    {
        _store.Dispose();
        await _audit.DisposeAsync();
        _hub.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, true); } catch (IOException) { }
    }
}
