using System.Globalization;
using DataHub.Core.Identifiers;
using DataHub.Core.Records;
using DataHub.Core.Text;
using DataHub.Schema.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Synthetic;

/// <summary>Settings of one generated data set.</summary>
public sealed record GeneratorOptions
{
    public int Enterprises { get; init; } = 1000;
    public int Seed { get; init; } = 1;
    /// <summary>Share of lines that get one kind of dirt (0 = clean data).</summary>
    public double DirtRate { get; init; } = 0.05;
    /// <summary>The last day of the generated history; fixed so that the same seed gives the same data on any day.</summary>
    public DateOnly Horizon { get; init; } = new(2026, 6, 30);
}

/// <summary>What the hub is expected to do with one generated line.</summary>
public enum ExpectedFate
{
    /// <summary>A new record version in the log (possibly after USCC clean-up or name resolution).</summary>
    Stored,
    /// <summary>An exact duplicate of a line already stored: a no-op.</summary>
    Duplicate,
    /// <summary>Rejected into quarantine with a reason.</summary>
    Quarantined,
    /// <summary>Names no known enterprise: waits in the unresolved queue.</summary>
    Unresolved,
}

/// <summary>One line of a JSON-lines file, the source system whose file it goes into, the dirt applied and its expected fate.</summary>
public sealed record GeneratedLine(string Source, string Json, ExpectedFate Fate, string? Dirt);

/// <summary>
/// Deterministic synthetic data (合成数据) for tests, demos and benchmarks: enterprises in the Jiangsu
/// pilot cities (宿迁, 连云港, 泰州) with valid USCCs, plausible Chinese names, and their registration,
/// licences, approval cases with commitments, complaints, penalties, inspections, credit grades and
/// list entries, each record marked synthetic. Dirt is added at a set rate, and every line carries
/// the fate the hub should give it, so an import can be checked against exact counts.
/// </summary>
public sealed class SyntheticDataGenerator
{
    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true));

    private readonly GeneratorOptions _options;
    private readonly Random _random;
    private readonly HashSet<string> _usedNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _usedCodes = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _horizonEnd;
    private int _serial;

    public SyntheticDataGenerator(GeneratorOptions options)
    {
        _options = options;
        _random = new Random(options.Seed);
        _horizonEnd = ChinaDates.EndOf(options.Horizon);
    }

    /// <summary>Every line, enterprise by enterprise. The sequence is the same for the same options.</summary>
    public IEnumerable<GeneratedLine> Generate() => GenerateByEnterprise().SelectMany(lines => lines);

    /// <summary>The same lines, grouped by the enterprise they belong to.</summary>
    public IEnumerable<IReadOnlyList<GeneratedLine>> GenerateByEnterprise()
    {
        for (int i = 0; i < _options.Enterprises; i++)
            yield return GenerateEnterprise().ToList();
    }

    private IEnumerable<GeneratedLine> GenerateEnterprise()
    {
        var (city, district) = Pick(SyntheticVocabulary.Districts);
        string uscc;
        do uscc = Uscc.Generate(_random, district.Code); while (!_usedCodes.Add(uscc));
        var industry = Pick(SyntheticVocabulary.Industries);
        var name = NewName(city.Short, industry.Word);
        var established = RandomDate(new DateOnly(2000, 1, 1), _options.Horizon.AddYears(-1));
        var enterprise = new Enterprise(uscc, name, city, district, industry, established);

        var records = new List<CanonicalRecord> { Registration(enterprise) };
        if (Chance(0.08)) records.Add(Rename(enterprise));
        foreach (var _ in Repeat(0, 2)) if (industry.LicenceType is not null) records.Add(LicenceOf(enterprise));
        foreach (var _ in Repeat(0, 3)) records.AddRange(ApprovalCaseOf(enterprise));
        foreach (var _ in Repeat(0, 4)) records.Add(ComplaintAbout(enterprise));
        if (Chance(0.15)) records.Add(PenaltyOf(enterprise));
        foreach (var _ in Repeat(0, 2)) records.Add(InspectionOf(enterprise));
        records.Add(CreditRatingOf(enterprise));
        if (Chance(0.06)) records.Add(ListEntryOf(enterprise, ListType.AbnormalOperation));
        if (Chance(0.01)) records.Add(ListEntryOf(enterprise, ListType.SeriousViolation));
        if (Chance(0.03)) records.Add(ListEntryOf(enterprise, ListType.Red));
        if (Chance(0.02)) records.Add(StatusChangeOf(enterprise, RegistrationStatus.Revoked, "吊销，未注销"));

        foreach (var record in records)
            foreach (var line in Emit(record, enterprise))
                yield return line;
        if (Chance(_options.DirtRate / 4)) yield return UnknownEnterpriseComplaint(city);
        if (Chance(_options.DirtRate / 4)) yield return MalformedLine(enterprise);
    }

    /// <summary>Writes a record as one or more lines, with at most one kind of dirt.</summary>
    private IEnumerable<GeneratedLine> Emit(CanonicalRecord record, Enterprise e)
    {
        if (!Chance(_options.DirtRate))
        {
            yield return Line(record, ExpectedFate.Stored, null);
            yield break;
        }
        // Registrations and status changes (renames) get no out-of-order update (a later snapshot would
        // hide renames before it), no bad check character and no missing USCC: other records find their
        // enterprise through them, and a rename named only by its new name could never be attached.
        bool identityRecord = record.BodyCase is CanonicalRecord.BodyOneofCase.Registration or CanonicalRecord.BodyOneofCase.StatusChange;
        switch (_random.Next(identityRecord ? 4 : 7))
        {
            case 0:
                record.Uscc = ToFullWidth(record.Uscc);
                yield return Line(record, ExpectedFate.Stored, "full-width USCC");
                break;
            case 1:
                record.Uscc = record.Uscc.ToLowerInvariant();
                yield return Line(record, ExpectedFate.Stored, "lower-case USCC");
                break;
            case 2:
                record.Uscc = $" {record.Uscc[..6]} {record.Uscc[6..14]}-{record.Uscc[14..]} ";
                yield return Line(record, ExpectedFate.Stored, "spaces and hyphens in USCC");
                break;
            case 3:
                yield return Line(record, ExpectedFate.Stored, null);
                yield return Line(record, ExpectedFate.Duplicate, "exact duplicate");
                break;
            case 4:
                // The later version arrives first; both are kept and the later one is current.
                var update = record.Clone();
                update.UpdatedAt = Timestamp.FromDateTimeOffset(Min(record.UpdatedAt.ToDateTimeOffset().AddDays(_random.Next(1, 60)), _horizonEnd.AddSeconds(-1)));
                Touch(update);
                yield return Line(update, ExpectedFate.Stored, "out-of-order update (newer version first)");
                yield return Line(record, ExpectedFate.Stored, "out-of-order update (older version second)");
                break;
            case 5:
                char wrong = Uscc.Charset[(Uscc.ValueOf(record.Uscc[17]) + 1 + _random.Next(30)) % 31];
                record.Uscc = record.Uscc[..17] + wrong;
                yield return Line(record, ExpectedFate.Quarantined, "wrong check character");
                break;
            default:
                record.Uscc = "";
                record.EnterpriseName = Chance(0.5) ? SwapBrackets(e.Name) : " " + HalfWidthVariant(e.Name) + " ";
                yield return Line(record, ExpectedFate.Stored, "USCC missing, name only");
                break;
        }
    }

    private GeneratedLine Line(CanonicalRecord record, ExpectedFate fate, string? dirt) => new(record.Source, Json.Format(record), fate, dirt);

    private CanonicalRecord Registration(Enterprise e)
    {
        var legal = PersonName();
        var capital = Math.Round(_random.Next(10, 50_000) / 10.0, 1);
        var road = Pick(SyntheticVocabulary.Roads);
        e.LegalRepresentative = legal;
        return Record("market-supervision", "REG-" + e.Uscc, e, e.Established, r => r.Registration = new Registration
        {
            Name = e.Name,
            LegalRepresentative = legal,
            // Generated ID numbers follow the 18-digit layout only; the hub masks them on arrival.
            LegalRepresentativeIdMasked = e.District.Code + _random.Next(1960, 2000).ToString(CultureInfo.InvariantCulture) + _random.Next(1, 13).ToString("00", CultureInfo.InvariantCulture) + _random.Next(1, 29).ToString("00", CultureInfo.InvariantCulture) + _random.Next(1000, 10000).ToString(CultureInfo.InvariantCulture),
            EntityType = Pick(SyntheticVocabulary.EntityTypes),
            StatusRaw = "存续（在营、开业、在册）",
            EstablishedOn = ChinaDates.Format(e.Established),
            RegisteredCapitalWan = capital,
            CapitalCurrency = "人民币",
            Address = $"江苏省{e.City.Name}{e.District.Name}{road}{_random.Next(1, 999)}号",
            BusinessScope = e.Industry.Scope,
            IndustryCode = e.Industry.Code,
            IndustrySection = e.Industry.Section,
            RegistrationAuthority = $"{e.City.Name}{e.District.Name}市场监督管理局",
            DistrictCode = e.District.Code,
        });
    }

    private CanonicalRecord Rename(Enterprise e)
    {
        var newName = NewName(e.City.Short, e.Industry.Word);
        var on = RandomDate(e.Established.AddDays(30), _options.Horizon);
        var record = Record("market-supervision", $"CHG-{e.Uscc}-{Next()}", e, on, r => r.StatusChange = new StatusChange { NewName = newName, Reason = "名称变更", EffectiveOn = ChinaDates.Format(on) });
        e.Name = newName;
        return record;
    }

    private CanonicalRecord StatusChangeOf(Enterprise e, RegistrationStatus status, string raw)
    {
        var on = RandomDate(_options.Horizon.AddDays(-365), _options.Horizon);
        return Record("market-supervision", $"CHG-{e.Uscc}-{Next()}", e, on, r => r.StatusChange = new StatusChange { NewStatus = status, StatusRaw = raw, Reason = "连续六个月未开展经营活动", EffectiveOn = ChinaDates.Format(on) });
    }

    private CanonicalRecord LicenceOf(Enterprise e)
    {
        var issued = RandomDate(e.Established, _options.Horizon);
        var until = issued.AddYears(5);
        var no = $"JY{e.District.Code}{Next():D8}";
        return Record("e-licence", "LIC-" + no, e, issued, r => r.Licence = new Licence
        {
            LicenceId = $"1.2.156.3005.2.{e.Industry.LicenceTypeCode}.{e.Uscc}.{Next():D3}",
            LicenceNo = no,
            LicenceType = e.Industry.LicenceType!,
            LicenceTypeCode = e.Industry.LicenceTypeCode!,
            IssuingAuthority = $"{e.City.Name}{e.District.Name}行政审批局",
            IssuedOn = ChinaDates.Format(issued),
            ValidFrom = ChinaDates.Format(issued),
            ValidUntil = ChinaDates.Format(until),
            Status = Chance(0.03) ? LicenceStatus.Revoked : LicenceStatus.Valid,
            Scope = e.Industry.Scope,
        });
    }

    private IEnumerable<CanonicalRecord> ApprovalCaseOf(Enterprise e)
    {
        var item = Pick(SyntheticVocabulary.ApprovalItems);
        var accepted = RandomInstant(e.Established, _options.Horizon.AddDays(-10));
        var caseNo = $"{e.District.Code}{ChinaDates.DateOf(accepted):yyyyMMdd}{Next():D6}";
        var commitmentType = Chance(0.3) ? (CommitmentType)_random.Next(1, 5) : CommitmentType.None;
        var acceptedOn = ChinaDates.DateOf(accepted);
        var deadline = acceptedOn.AddDays(_random.Next(20, 90));
        var completed = accepted.AddDays(_random.Next(1, 15)).AddHours(_random.Next(0, 8));
        var caseRecord = Record("provincial-platform", "CASE-" + caseNo, e, acceptedOn, r => r.ApprovalCase = new ApprovalCase
        {
            CaseNo = caseNo,
            ItemCode = item.Code,
            ItemName = item.Name,
            ApprovalAuthority = $"{e.City.Name}{e.District.Name}行政审批局",
            AcceptedAt = Timestamp.FromDateTimeOffset(accepted),
            CompletedAt = Timestamp.FromDateTimeOffset(completed),
            Stage = Chance(0.95) ? CaseStage.Completed : CaseStage.Denied,
            CommitmentType = commitmentType,
            CommitmentDeadline = commitmentType == CommitmentType.None ? "" : ChinaDates.Format(deadline),
            DistrictCode = e.District.Code,
        });
        caseRecord.OccurredAt = Timestamp.FromDateTimeOffset(accepted);
        caseRecord.UpdatedAt = Timestamp.FromDateTimeOffset(Min(completed, _horizonEnd.AddSeconds(-1)));
        yield return caseRecord;
        if (commitmentType == CommitmentType.None) yield break;
        bool due = deadline < _options.Horizon;
        var status = !due ? CommitmentStatus.Pending : _random.Next(10) switch { < 7 => CommitmentStatus.Kept, 7 => CommitmentStatus.Broken, _ => CommitmentStatus.Pending };
        yield return Record("provincial-platform", $"CMT-{caseNo}", e, acceptedOn, r => r.Commitment = new Commitment
        {
            CommitmentCode = $"CN{caseNo}",
            CaseNo = caseNo,
            Type = commitmentType,
            Content = $"申请人承诺在{ChinaDates.Format(deadline)}前补齐{item.Name}所需材料，并对所提交材料的真实性负责。",
            CommittedOn = ChinaDates.Format(acceptedOn),
            Deadline = ChinaDates.Format(deadline),
            Status = status,
            ResolvedOn = status is CommitmentStatus.Kept or CommitmentStatus.Broken ? ChinaDates.Format(deadline.AddDays(-_random.Next(0, 10))) : "",
        });
    }

    private CanonicalRecord ComplaintAbout(Enterprise e)
    {
        var received = RandomInstant(_options.Horizon.AddDays(-540), _options.Horizon);
        var (category, text) = Pick(SyntheticVocabulary.ComplaintTopics);
        var orderNo = $"12345{ChinaDates.DateOf(received):yyyyMMdd}{Next():D6}";
        var record = Record("hotline-12345", orderNo, e, ChinaDates.DateOf(received), r => r.Complaint = new Complaint
        {
            OrderNo = orderNo,
            Kind = _random.Next(10) switch { < 5 => ComplaintKind.Complaint, < 7 => ComplaintKind.Report, < 9 => ComplaintKind.Consultation, _ => ComplaintKind.Suggestion },
            Category = category,
            // The phone number is in the text on purpose: the hub must remove it.
            Summary = $"市民反映{e.Name}{text}，联系电话1{_random.Next(3, 10)}{_random.Next(100000000, 999999999)}。",
            HandlingAgency = $"{e.City.Name}{e.District.Name}市场监督管理局",
            Closed = Chance(0.8),
            Substantiated = Chance(0.4),
        });
        record.OccurredAt = record.UpdatedAt = Timestamp.FromDateTimeOffset(received);
        return record;
    }

    private CanonicalRecord PenaltyOf(Enterprise e)
    {
        var on = RandomDate(_options.Horizon.AddDays(-720), _options.Horizon);
        var doc = $"{e.City.Short}市监罚〔{on.Year}〕{Next() % 1000}号";
        var (violation, basis) = Pick(SyntheticVocabulary.Violations);
        var fine = Math.Round(_random.Next(5, 500) / 100.0, 2);
        return Record("market-supervision", "PEN-" + doc, e, on, r => r.Penalty = new Penalty
        {
            DecisionDocNo = doc,
            PenaltyTypes = { "警告", "罚款" },
            Violation = violation,
            Basis = basis,
            Content = $"警告，并处罚款{fine * 10000:0}元",
            FineWan = fine,
            Authority = $"{e.City.Name}市场监督管理局",
            DecidedOn = ChinaDates.Format(on),
            PublicityUntil = ChinaDates.Format(on.AddYears(1)),
        });
    }

    private CanonicalRecord InspectionOf(Enterprise e)
    {
        var on = RandomDate(_options.Horizon.AddDays(-720), _options.Horizon);
        var outcome = _random.Next(10) switch { < 7 => InspectionOutcome.NoProblem, 7 => InspectionOutcome.ProblemFound, 8 => InspectionOutcome.Corrected, _ => InspectionOutcome.NotContactable };
        var codes = outcome switch
        {
            InspectionOutcome.NoProblem => new[] { "1" },
            InspectionOutcome.ProblemFound => ["2", "A"],
            InspectionOutcome.Corrected => ["2", "E"],
            _ => ["6"],
        };
        var taskNo = $"SSJ{on.Year}{e.City.Code[..4]}{Next():D5}";
        return Record("market-supervision", $"INS-{taskNo}", e, on, r => r.Inspection = new Inspection
        {
            TaskNo = taskNo,
            TaskName = $"{on.Year}年度{e.City.Name}{e.Industry.Word}行业双随机抽查",
            CheckType = "双随机",
            Authority = $"{e.City.Name}{e.District.Name}市场监督管理局",
            CheckedOn = ChinaDates.Format(on),
            ResultCodes = { codes },
            Outcome = outcome,
        });
    }

    private CanonicalRecord CreditRatingOf(Enterprise e)
    {
        var on = RandomDate(_options.Horizon.AddDays(-365), _options.Horizon);
        var grade = _random.Next(20) switch { < 6 => "A", < 16 => "B", < 19 => "C", _ => "D" };
        return Record("credit-platform", $"CR-{e.Uscc}-{on.Year}", e, on, r => r.CreditRating = new CreditRating
        {
            RatingSystem = "市场监管企业信用风险分类",
            Grade = grade,
            RatedOn = ChinaDates.Format(on),
            ValidUntil = ChinaDates.Format(on.AddYears(1)),
            Authority = "江苏省市场监督管理局",
        });
    }

    private CanonicalRecord ListEntryOf(Enterprise e, ListType type)
    {
        var on = RandomDate(_options.Horizon.AddDays(-900), _options.Horizon);
        bool removed = Chance(0.3);
        var (code, reason) = type switch
        {
            ListType.AbnormalOperation => Pick(SyntheticVocabulary.AbnormalReasons),
            ListType.SeriousViolation => ("", "因提交虚假材料取得登记被撤销，列入严重违法失信名单"),
            _ => ("", "连续三年纳税信用等级为A级"),
        };
        return Record("credit-platform", $"LST-{(int)type}-{e.Uscc}-{ChinaDates.Format(on)}", e, on, r => r.ListEntry = new ListEntry
        {
            ListType = type,
            Reason = reason,
            ReasonCode = code,
            ListedOn = ChinaDates.Format(on),
            Authority = $"{e.City.Name}市场监督管理局",
            RemovedOn = removed ? ChinaDates.Format(Min(on.AddDays(_random.Next(30, 400)), _options.Horizon)) : "",
            RemovalReason = removed ? "已补报年度报告并公示" : "",
        });
    }

    private GeneratedLine UnknownEnterpriseComplaint((string Name, string Short, string Code) city)
    {
        // A name that no generated enterprise has: the hub must park it, not guess.
        var name = NewName(city.Short, "无照经营");
        var received = RandomInstant(_options.Horizon.AddDays(-90), _options.Horizon);
        var orderNo = $"12345{ChinaDates.DateOf(received):yyyyMMdd}{Next():D6}";
        var record = new CanonicalRecord
        {
            Source = "hotline-12345",
            SourceId = orderNo,
            EnterpriseName = name,
            OccurredAt = Timestamp.FromDateTimeOffset(received),
            UpdatedAt = Timestamp.FromDateTimeOffset(received),
            Synthetic = true,
            Complaint = new Complaint { OrderNo = orderNo, Kind = ComplaintKind.Report, Category = "无证无照经营", Summary = $"举报{name}无证经营" },
        };
        return Line(record, ExpectedFate.Unresolved, "name of an unknown enterprise");
    }

    private GeneratedLine MalformedLine(Enterprise e)
    {
        var serial = Next();
        return _random.Next(4) switch
        {
            0 => new("market-supervision", $"{{\"uscc\": \"{e.Uscc}\", \"source\": \"market-supervision\", \"source_id\": \"BROKEN-{serial}\", \"registration\": {{\"name\": \"{e.Name}", ExpectedFate.Quarantined, "truncated JSON"),
            1 => new("market-supervision", $"{{\"uscc\": \"{e.Uscc}\", \"source\": \"market-supervision\", \"source_id\": \"TYPO-{serial}\", \"occurred_at\": \"2025-01-01T00:00:00Z\", \"penalti\": {{}}}}", ExpectedFate.Quarantined, "unknown field"),
            2 => new("e-licence", $"{{\"uscc\": \"{e.Uscc}\", \"source\": \"e-licence\", \"source_id\": \"BADDATE-{serial}\", \"occurred_at\": \"2025-01-01T00:00:00Z\", \"synthetic\": true, \"licence\": {{\"licence_no\": \"X{serial}\", \"valid_until\": \"2025-13-45\"}}}}", ExpectedFate.Quarantined, "impossible date"),
            _ => new("hotline-12345", $"{{\"uscc\": \"{e.Uscc}\", \"source\": \"hotline-12345\", \"occurred_at\": \"2025-01-01T00:00:00Z\", \"synthetic\": true, \"complaint\": {{\"kind\": \"COMPLAINT_KIND_COMPLAINT\", \"summary\": \"无编号工单{serial}\"}}}}", ExpectedFate.Quarantined, "missing source_id"),
        };
    }

    private CanonicalRecord Record(string source, string sourceId, Enterprise e, DateOnly occurred, Action<CanonicalRecord> body)
    {
        var at = Timestamp.FromDateTimeOffset(new DateTimeOffset(occurred.ToDateTime(new TimeOnly(9, 0)), ChinaDates.Offset).AddMinutes(_random.Next(0, 480)));
        var record = new CanonicalRecord
        {
            Uscc = e.Uscc,
            Source = source,
            SourceId = sourceId,
            EnterpriseName = e.Name,
            OccurredAt = at,
            UpdatedAt = at,
            SchemaVersion = RecordNormalizer.CurrentSchemaVersion,
            Synthetic = true,
        };
        body(record);
        return record;
    }

    /// <summary>Changes a record's content the way a source correction would.</summary>
    private static void Touch(CanonicalRecord record)
    {
        switch (record.BodyCase)
        {
            case CanonicalRecord.BodyOneofCase.Registration: record.Registration.RegisteredCapitalWan += 100; break;
            case CanonicalRecord.BodyOneofCase.Complaint: record.Complaint.Closed = true; break;
            case CanonicalRecord.BodyOneofCase.Licence: record.Licence.Scope += "（变更）"; break;
            case CanonicalRecord.BodyOneofCase.Commitment: record.Commitment.Content += "（补正）"; break;
            case CanonicalRecord.BodyOneofCase.ApprovalCase: record.ApprovalCase.ItemName += "（补正）"; break;
            case CanonicalRecord.BodyOneofCase.Penalty: record.Penalty.Content += "（更正）"; break;
            case CanonicalRecord.BodyOneofCase.Inspection: record.Inspection.TaskName += "（更正）"; break;
            case CanonicalRecord.BodyOneofCase.CreditRating: record.CreditRating.Authority += "（更正）"; break;
            case CanonicalRecord.BodyOneofCase.ListEntry: record.ListEntry.Reason += "（更正）"; break;
            case CanonicalRecord.BodyOneofCase.StatusChange: record.StatusChange.Reason += "（更正）"; break;
        }
    }

    private string NewName(string cityShort, string industryWord)
    {
        while (true)
        {
            var brand = string.Concat(Pick(SyntheticVocabulary.BrandCharacters), Pick(SyntheticVocabulary.BrandCharacters));
            var form = Pick(SyntheticVocabulary.LegalForms);
            var name = _random.Next(3) switch
            {
                0 => $"{brand}{industryWord}（{cityShort}）{form}",
                1 => $"{cityShort}市{brand}{industryWord}{form}",
                _ => $"{cityShort}{brand}{industryWord}{form}",
            };
            if (_usedNames.Add(EnterpriseName.Normalize(name))) return name;
        }
    }

    private string PersonName() => Pick(SyntheticVocabulary.Surnames) + Pick(SyntheticVocabulary.GivenNames);

    private static string SwapBrackets(string name) =>
        name.Contains('（') ? name.Replace('（', '(').Replace('）', ')') : name.Replace("有限公司", "有限 公司");

    private static string HalfWidthVariant(string name) => name.Replace("（", " ( ").Replace("）", " ) ");

    private static string ToFullWidth(string s) => string.Concat(s.Select(c => c is >= '!' and <= '~' ? (char)(c + 0xFEE0) : c));

    private int Next() => ++_serial;

    private bool Chance(double p) => _random.NextDouble() < p;

    private IEnumerable<int> Repeat(int min, int max) => Enumerable.Range(0, _random.Next(min, max + 1));

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private DateOnly RandomDate(DateOnly from, DateOnly to) =>
        to <= from ? from : DateOnly.FromDayNumber(from.DayNumber + _random.Next(to.DayNumber - from.DayNumber + 1));

    private DateTimeOffset RandomInstant(DateOnly from, DateOnly to) =>
        new DateTimeOffset(RandomDate(from, to).ToDateTime(new TimeOnly(8, 0)), ChinaDates.Offset).AddMinutes(_random.Next(0, 600));

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;

    private sealed class Enterprise(string uscc, string name, (string Name, string Short, string Code) city, (string Code, string Name) district, SyntheticVocabulary.Industry industry, DateOnly established)
    {
        public string Uscc { get; } = uscc;
        public string Name { get; set; } = name;
        public (string Name, string Short, string Code) City { get; } = city;
        public (string Code, string Name) District { get; } = district;
        public SyntheticVocabulary.Industry Industry { get; } = industry;
        public DateOnly Established { get; } = established;
        public string LegalRepresentative { get; set; } = "";
    }
}
