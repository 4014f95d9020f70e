using DataHub.Schema.V1;
using DataHub.Synthetic;
using Google.Protobuf;
using static DataHub.Adapters.CreditPlatform.Tests.Rows;

namespace DataHub.Adapters.CreditPlatform.Tests;

/// <summary>Records for the feeds: generated ones (ratings, lists) and hand-built ones (permits, penalties, commitments).</summary>
internal static class Samples
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    /// <summary>The credit platform's lines of a generated data set, parsed.</summary>
    public static List<(GeneratedLine Line, CanonicalRecord Record)> Generated(double dirtRate, int seed = 7) =>
        new SyntheticDataGenerator(new GeneratorOptions { Enterprises = 300, Seed = seed, DirtRate = dirtRate }).Generate()
            .Where(l => l.Source == CreditPlatformSource.Name)
            .Select(l => (l, Parser.Parse<CanonicalRecord>(l.Json)))
            .ToList();

    private static CanonicalRecord Envelope(string sourceId, string occurred, string? updated, bool synthetic, string uscc = "91440300192317458F") => new()
    {
        Source = CreditPlatformSource.Name,
        SourceId = sourceId,
        Uscc = uscc,
        EnterpriseName = "连云港市海润餐饮管理有限公司",
        OccurredAt = China(occurred),
        UpdatedAt = updated is null ? null : China(updated),
        Synthetic = synthetic,
    };

    public static IEnumerable<CanonicalRecord> Permits()
    {
        var statuses = new[] { LicenceStatus.Valid, LicenceStatus.Revoked, LicenceStatus.Cancelled, LicenceStatus.Suspended, LicenceStatus.Unspecified };
        for (int i = 0; i < statuses.Length; i++)
        {
            var doc = $"连审批食〔2024〕{100 + i}号";
            var record = Envelope("XK-" + doc, i % 2 == 0 ? "2024-06-18 00:00:00" : "2024-06-18 10:42:00", $"2024-06-{19 + i} 02:10:33", i % 2 == 0, i == 3 ? "9144030071526726XG" : "91440300192317458F");
            record.Licence = new Licence
            {
                LicenceNo = i == 4 ? "" : $"JY1320705001234{i}",
                LicenceType = "食品经营许可证",
                IssuingAuthority = "连云港市海州区行政审批局",
                IssuedOn = "2024-06-18",
                ValidFrom = i == 2 ? "" : "2024-06-18",
                ValidUntil = i == 1 ? "" : "2029-06-17",
                Status = statuses[i],
                Scope = "预包装食品销售，热食类食品制售",
            };
            yield return record;
        }
    }

    public static IEnumerable<CanonicalRecord> Penalties()
    {
        for (int i = 0; i < 5; i++)
        {
            var doc = $"泰市监罚〔2024〕{350 + i}号";
            var record = Envelope("CF-" + doc, i % 2 == 0 ? "2024-09-12 00:00:00" : "2024-09-12 15:00:00", i == 4 ? null : "2024-09-13 01:00:00", i % 2 == 1);
            record.Penalty = new Penalty
            {
                DecisionDocNo = doc,
                PenaltyTypes = { i == 3 ? ["警告"] : new[] { "警告", "罚款", "没收违法所得" } },
                Violation = i == 2 ? "" : "未按规定明码标价",
                Basis = "《明码标价和禁止价格欺诈规定》第二十二条",
                Content = "警告，并处罚款2000元",
                FineWan = i == 3 ? 0 : 0.2 + i * 0.123456,
                ConfiscatedWan = i == 1 ? 12.5 : 0,
                Authority = "泰州市市场监督管理局",
                DecidedOn = "2024-09-12",
                PublicityUntil = i == 2 ? "" : "2025-09-12",
            };
            yield return record;
        }
    }

    public static IEnumerable<CanonicalRecord> Commitments()
    {
        var types = Enum.GetValues<CommitmentType>();
        var statuses = Enum.GetValues<CommitmentStatus>();
        for (int i = 0; i < Math.Max(types.Length, statuses.Length); i++)
        {
            var code = $"3213022024031200005{i}";
            var record = Envelope("CMT-" + code, i % 2 == 0 ? "2024-03-12 00:00:00" : "2024-03-12 09:05:00", "2024-04-28 16:20:00", true);
            var status = statuses[i % statuses.Length];
            record.Commitment = new Commitment
            {
                CommitmentCode = code,
                CaseNo = i == 1 ? "" : "321302202403120001",
                Type = types[i % types.Length],
                Content = "申请人承诺在2024-04-30前补齐所需材料。",
                CommittedOn = "2024-03-12",
                Deadline = i == 2 ? "" : "2024-04-30",
                Status = status,
                ResolvedOn = status is CommitmentStatus.Kept or CommitmentStatus.Broken ? "2024-04-28" : "",
            };
            yield return record;
        }
    }

    public static IEnumerable<(string Feed, CanonicalRecord Record)> HandBuilt() =>
        Permits().Select(r => ("permits", r))
            .Concat(Penalties().Select(r => ("penalties", r)))
            .Concat(Commitments().Select(r => ("commitments", r)));
}
