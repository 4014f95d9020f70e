using DataHub.Core.Profiles;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Core.Tests;

public class ProfileProjectorTests
{
    private const string Code = "9144030071526726XG";
    private static readonly RecordNormalizer Normalizer = new();
    private readonly ProfileProjector _projector = new();

    private static Timestamp At(int year, int month, int day) =>
        Timestamp.FromDateTimeOffset(new DateTimeOffset(year, month, day, 10, 0, 0, TimeSpan.FromHours(8)));

    private static CanonicalRecord R(string source, string id, Timestamp at, Action<CanonicalRecord> body)
    {
        var r = new CanonicalRecord { Uscc = Code, Source = source, SourceId = id, OccurredAt = at };
        body(r);
        Assert.Null(Normalizer.Normalize(r));
        return r;
    }

    private static List<CanonicalRecord> History() =>
    [
        R("market-supervision", "REG", At(2020, 1, 1), r => r.Registration = new Registration { Name = "深圳甲乙科技有限公司", StatusRaw = "存续", DistrictCode = "440300", LegalRepresentative = "王伟", Address = "深圳市南山区科技园" }),
        R("market-supervision", "CHG-1", At(2024, 5, 1), r => r.StatusChange = new StatusChange { NewName = "深圳甲乙丙科技有限公司" }),
        R("e-licence", "LIC-1", At(2021, 7, 1), r => r.Licence = new Licence { LicenceNo = "L1", IssuedOn = "2021-07-01", ValidUntil = "2026-07-10", Status = LicenceStatus.Valid }),
        R("e-licence", "LIC-2", At(2019, 7, 1), r => r.Licence = new Licence { LicenceNo = "L2", IssuedOn = "2019-07-01", ValidUntil = "2024-06-30", Status = LicenceStatus.Valid }),
        R("hotline-12345", "W1", At(2026, 6, 20), r => r.Complaint = new Complaint { Kind = ComplaintKind.Complaint }),
        R("hotline-12345", "W2", At(2026, 5, 1), r => r.Complaint = new Complaint { Kind = ComplaintKind.Report }),
        R("hotline-12345", "W3", At(2026, 4, 20), r => r.Complaint = new Complaint { Kind = ComplaintKind.Complaint }),
        R("hotline-12345", "W4", At(2025, 9, 1), r => r.Complaint = new Complaint { Kind = ComplaintKind.Complaint }),
        R("hotline-12345", "W5", At(2026, 6, 21), r => r.Complaint = new Complaint { Kind = ComplaintKind.Consultation }),
        R("market-supervision", "PEN-1", At(2026, 2, 1), r => r.Penalty = new Penalty { DecisionDocNo = "罚1", DecidedOn = "2026-02-01" }),
        R("credit-platform", "LST-1", At(2025, 1, 1), r => r.ListEntry = new ListEntry { ListType = ListType.AbnormalOperation, ListedOn = "2025-01-01" }),
        R("credit-platform", "CR-1", At(2026, 1, 1), r => r.CreditRating = new CreditRating { Grade = "C", RatedOn = "2026-01-01", ValidUntil = "2026-12-31" }),
        R("provincial-platform", "CMT-1", At(2026, 3, 1), r => r.Commitment = new Commitment { Type = CommitmentType.MaterialDeferred, Deadline = "2026-04-01", Status = CommitmentStatus.Pending }),
    ];

    [Fact]
    public void Any_order_of_the_same_records_gives_the_same_profile_bytes()
    {
        var records = History();
        var expected = _projector.Project(Code, records).ToByteArray();
        var random = new Random(12345);
        for (int i = 0; i < 200; i++)
        {
            var shuffled = records.Select(r => r.Clone()).OrderBy(_ => random.Next()).ToList();
            Assert.Equal(expected, _projector.Project(Code, shuffled).ToByteArray());
        }
    }

    [Fact]
    public void The_profile_folds_every_section_with_lineage()
    {
        var p = _projector.Project(Code, History());
        Assert.Equal("深圳甲乙丙科技有限公司", p.Name);
        Assert.Equal(["深圳甲乙科技有限公司"], p.Identity.FormerNames);
        Assert.Equal(RegistrationStatus.Active, p.Identity.Status);
        Assert.Equal("广东省深圳市", p.Identity.DistrictName);
        Assert.Equal("2026-06-21", p.AsOf);
        Assert.Equal(13u, p.RecordCount);
        Assert.False(p.RegistrationMissing);

        Assert.Equal(["L1", "L2"], p.Licences.Select(l => l.Licence.LicenceNo));
        Assert.Equal(LicenceState.Expiring, p.Licences[0].State);
        Assert.Equal(LicenceState.Expired, p.Licences[1].State);
        Assert.Equal("LIC-1", p.Licences[0].Lineage.SourceId);
        Assert.Equal(64, p.Licences[0].Lineage.ContentHash.Length);

        // Consultations do not count; windows end at as_of (2026-06-21).
        Assert.Equal(1u, p.Complaints.Last30Days);
        Assert.Equal(3u, p.Complaints.Last90Days);
        Assert.Equal(4u, p.Complaints.Last365Days);
        Assert.Equal(5, p.Complaints.Entries.Count);

        Assert.Equal(CommitmentState.Overdue, p.Commitments[0].State);
        Assert.True(p.Lists[0].Active);
        Assert.Equal("C", p.Credit.CurrentGrade);

        Assert.Equal(RiskTier.Medium, p.Risk.Tier);
        Assert.Equal(
            ["ABNORMAL_OPERATION_LIST", "COMMITMENT_OVERDUE", "COMPLAINTS_90D", "CREDIT_GRADE_C", "PENALTY_365D"],
            p.Risk.Reasons.Select(r => r.Code).Order());
    }

    [Fact]
    public void Serious_violation_makes_the_tier_high()
    {
        var records = History();
        records.Add(R("credit-platform", "LST-2", At(2026, 6, 1), r => r.ListEntry = new ListEntry { ListType = ListType.SeriousViolation, ListedOn = "2026-06-01" }));
        var p = _projector.Project(Code, records);
        Assert.Equal(RiskTier.High, p.Risk.Tier);
        Assert.Equal("SERIOUS_VIOLATION_LIST", p.Risk.Reasons[0].Code);
    }

    [Fact]
    public void The_as_of_profile_uses_only_what_existed_then()
    {
        var records = History();
        var corrected = records.Single(r => r.SourceId == "PEN-1").Clone();
        corrected.Penalty.Content = "更正后的处罚内容";
        corrected.UpdatedAt = At(2026, 3, 1);
        corrected.ContentHash = RecordNormalizer.ComputeContentHash(corrected);
        records.Add(corrected);

        var before = _projector.ProjectAsOf(Code, records, new DateOnly(2024, 1, 1));
        Assert.Equal("深圳甲乙科技有限公司", before.Name);
        Assert.Empty(before.Identity.FormerNames);
        Assert.Equal("2024-01-01", before.AsOf);
        Assert.Empty(before.Penalties);
        Assert.Equal(LicenceState.Valid, before.Licences.Single(l => l.Licence.LicenceNo == "L2").State);

        var februaryEnd = _projector.ProjectAsOf(Code, records, new DateOnly(2026, 2, 28));
        Assert.Equal("", Assert.Single(februaryEnd.Penalties).Penalty.Content);
        var march = _projector.ProjectAsOf(Code, records, new DateOnly(2026, 3, 1));
        Assert.Equal("更正后的处罚内容", Assert.Single(march.Penalties).Penalty.Content);
    }

    [Fact]
    public void As_of_takes_the_version_current_that_day_and_drops_it_if_it_states_a_later_event()
    {
        var v1 = R("market-supervision", "PEN-X", At(2026, 1, 1), r => r.Penalty = new Penalty { DecisionDocNo = "罚X", DecidedOn = "2026-01-01" });
        // A correction made on 1 February says the decision was in fact taken on 1 March.
        var v2 = v1.Clone();
        v2.OccurredAt = At(2026, 3, 1);
        v2.UpdatedAt = At(2026, 2, 1);
        v2.Penalty.DecidedOn = "2026-03-01";
        v2.ContentHash = RecordNormalizer.ComputeContentHash(v2);
        var records = History().Append(v1).Append(v2).ToList();

        Assert.Equal("2026-01-01", _projector.ProjectAsOf(Code, records, new DateOnly(2026, 1, 15)).Penalties.Single(p => p.Penalty.DecisionDocNo == "罚X").Penalty.DecidedOn);
        Assert.DoesNotContain(_projector.ProjectAsOf(Code, records, new DateOnly(2026, 2, 15)).Penalties, p => p.Penalty.DecisionDocNo == "罚X");
        Assert.Equal("2026-03-01", _projector.ProjectAsOf(Code, records, new DateOnly(2026, 3, 2)).Penalties.Single(p => p.Penalty.DecisionDocNo == "罚X").Penalty.DecidedOn);
    }

    [Fact]
    public void The_later_version_wins_whatever_the_arrival_order()
    {
        var older = History()[0];
        var newer = older.Clone();
        newer.Registration.Address = "新地址";
        newer.UpdatedAt = At(2023, 1, 1);
        newer.ContentHash = RecordNormalizer.ComputeContentHash(newer);
        Assert.True(ProfileProjector.CompareVersions(newer, older) > 0);
        Assert.True(ProfileProjector.CompareVersions(older, newer) < 0);
    }

    [Fact]
    public void Without_a_registration_the_name_comes_from_the_latest_record()
    {
        var p = _projector.Project(Code, History().Where(r => r.BodyCase != CanonicalRecord.BodyOneofCase.Registration));
        Assert.True(p.RegistrationMissing);
        Assert.Equal("深圳甲乙丙科技有限公司", p.Name);
        Assert.Equal("440300", p.Identity.DistrictCode);
    }
}
