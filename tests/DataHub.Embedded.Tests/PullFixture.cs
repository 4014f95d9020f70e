using DataHub.Core.Workflows;
using System.Collections.Concurrent;
using DataHub.Core.Calendar;
using DataHub.Core.Ingest;
using DataHub.Core.Pulls;
using DataHub.Schema.V1;

namespace DataHub.Embedded.Tests;

/// <summary>A clock the test moves by hand: a month of deadlines runs in milliseconds.</summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now.ToUniversalTime();

    public void Advance(TimeSpan by) => _now += by;

    public DateTimeOffset Now => _now;
}

/// <summary>Notices kept in order, as a notifier receives them.</summary>
public sealed class RecordingNotifier : INotifier
{
    public ConcurrentQueue<Notice> Notices { get; } = new();

    public ValueTask NotifyAsync(Notice notice, CancellationToken cancellationToken)
    {
        Notices.Enqueue(notice);
        return ValueTask.CompletedTask;
    }
}

/// <summary>An e-licence library holding the licences the test gives it.</summary>
public sealed class FixedLicenceLibrary : ILicenceLibrary
{
    public ConcurrentDictionary<string, List<LicenceEntry>> Licences { get; } = new(StringComparer.Ordinal);

    public void Add(string uscc, Licence licence, string source = DataPullWorkflow.LicenceLibrarySource) =>
        Licences.GetOrAdd(uscc, _ => []).Add(new LicenceEntry
        {
            Licence = licence, State = LicenceState.Valid,
            Lineage = new Lineage { Source = source, SourceId = "LIC-" + licence.LicenceNo, ContentHash = "h-" + licence.LicenceNo },
        });

    public ValueTask<IReadOnlyList<LicenceEntry>> LicencesAsync(string uscc, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<LicenceEntry>>(Licences.TryGetValue(uscc, out var list) ? list : []);
}

/// <summary>The pull workflow over a real SQLite pull store and audit chain in a temporary folder, with a manual clock.</summary>
public sealed class PullHarness : IAsyncDisposable
{
    public const string Catalogue = """
        {
          "title": "测试目录（合成）",
          "coordinationOffice": "city-coordination",
          "itemTypes": [
            { "code": "LIC-JY", "name": "食品经营许可证", "kind": "licence", "licenceTypeCode": "JY", "owner": "city-amr", "timeLimitWorkingDays": 3,
              "legalBasis": "《中华人民共和国食品安全法》第三十五条", "requesterRoles": ["approval", "regulator"] },
            { "code": "MAT-FIRE", "name": "消防验收意见书", "kind": "material", "owner": "city-housing", "timeLimitWorkingDays": 5, "materialValidDays": 365,
              "legalBasis": "《中华人民共和国消防法》第十三条", "requesterRoles": ["approval"] },
            { "code": "DATA-TAX", "name": "纳税信用及欠税情况", "kind": "dataSet", "owner": "city-tax", "timeLimitWorkingDays": 3,
              "legalBasis": "《中华人民共和国税收征收管理法》第八条", "requesterRoles": ["approval", "coordination"] }
          ],
          "approvers": [ { "agency": "city-approval", "name": "示例审批员", "phone": "13800000001" } ],
          "regulators": [ { "agency": "city-amr", "division": "食品经营监管处", "name": "示例监管员", "phone": "13800000011" } ]
        }
        """;

    public static readonly WorkflowActor Approval = new("city-approval", new HashSet<string> { "approval" }, "审批核验", "/test/approval");
    public static readonly WorkflowActor Amr = new("city-amr", new HashSet<string> { "regulator" }, "", "/test/amr");
    public static readonly WorkflowActor Housing = new("city-housing", new HashSet<string> { "regulator" }, "", "/test/housing");
    public static readonly WorkflowActor Tax = new("city-tax", new HashSet<string> { "regulator" }, "", "/test/tax");
    public static readonly WorkflowActor Coordination = new("city-coordination", new HashSet<string> { "coordination" }, "", "/test/coordination");
    public static readonly WorkflowActor SuperAdmin = new("city-superadmin", new HashSet<string> { "superadmin" }, "", "/test/superadmin");

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "datahub-pulls-" + Guid.NewGuid().ToString("N"));

    private PullHarness(DateTimeOffset start, bool relaysToBus)
    {
        Time = new ManualTime(start);
        Store = new SqlitePullStore(Path.Combine(_directory, "workflow.db")) { RelaysToBus = relaysToBus };
        Audit = new SqliteAuditLog(Path.Combine(_directory, "audit.db"));
    }

    public static async Task<PullHarness> StartAsync(DateTimeOffset start, bool relaysToBus = false)
    {
        var h = new PullHarness(start, relaysToBus);
        h.Workflow = await DataPullWorkflow.OpenAsync(h.Store, h.Library, h.Notifier, h.Bus, h.Audit, WorkingDayCalendar.Shipped, h.Time, Catalogue, "test-catalogue.json");
        return h;
    }

    public ManualTime Time { get; }
    public SqlitePullStore Store { get; }
    public SqliteAuditLog Audit { get; }
    public InProcessEventBus Bus { get; } = new(100_000);
    public RecordingNotifier Notifier { get; } = new();
    public FixedLicenceLibrary Library { get; } = new();
    public DataPullWorkflow Workflow { get; private set; } = null!;

    public static WorkflowActor OwnerOf(string itemType) => itemType switch
    {
        "LIC-JY" => Amr,
        "MAT-FIRE" => Housing,
        _ => Tax,
    };

    public async ValueTask DisposeAsync()
    {
        Store.Dispose();
        await Audit.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, true); } catch (IOException) { }
    }
}
