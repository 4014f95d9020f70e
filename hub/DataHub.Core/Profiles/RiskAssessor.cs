using DataHub.Core.Records;
using DataHub.Schema.V1;

namespace DataHub.Core.Profiles;

/// <summary>
/// Derives the risk tier of credit-based tiered supervision (信用分级分类监管) from a folded profile.
/// Every rule that fires adds a reason; the tier is the highest any reason calls for. The rules are
/// documented in docs/profile.md.
/// </summary>
public static class RiskAssessor
{
    public static RiskAssessment Assess(EnterpriseProfile p, DateOnly asOf)
    {
        var reasons = new List<RiskReason>();
        void Add(string code, string description, RiskTier tier) => reasons.Add(new RiskReason { Code = code, Description = description, Tier = tier });

        foreach (var list in p.Lists.Where(l => l.Active).Select(l => l.Entry.ListType).Distinct().Order())
        {
            switch (list)
            {
                case ListType.SeriousViolation: Add("SERIOUS_VIOLATION_LIST", "列入严重违法失信名单", RiskTier.High); break;
                case ListType.Black: Add("BLACK_LIST", "列入失信黑名单", RiskTier.High); break;
                case ListType.AbnormalOperation: Add("ABNORMAL_OPERATION_LIST", "列入经营异常名录", RiskTier.Medium); break;
                case ListType.Red: Add("RED_LIST", "列入守信红名单", RiskTier.Low); break;
            }
        }

        switch (p.Identity.Status)
        {
            case RegistrationStatus.Revoked or RegistrationStatus.RevokedDeregistered:
                Add("BUSINESS_LICENCE_REVOKED", "营业执照被吊销", RiskTier.High); break;
            case RegistrationStatus.Suspended or RegistrationStatus.Liquidating:
                Add("NOT_OPERATING", "停业或清算中", RiskTier.Medium); break;
        }

        switch (p.Credit.CurrentGrade)
        {
            case "D": Add("CREDIT_GRADE_D", "信用等级为D（失信）", RiskTier.High); break;
            case "C": Add("CREDIT_GRADE_C", "信用等级为C（较差）", RiskTier.Medium); break;
            case "A": Add("CREDIT_GRADE_A", "信用等级为A（诚信）", RiskTier.Low); break;
        }

        int penalties = p.Penalties.Count(e => WithinDays(e.Penalty.DecidedOn, asOf, 365));
        if (penalties >= 2) Add("PENALTIES_365D", $"近一年行政处罚{penalties}次", RiskTier.High);
        else if (penalties == 1) Add("PENALTY_365D", "近一年受到行政处罚1次", RiskTier.Medium);

        int broken = p.Commitments.Count(e => e.State == CommitmentState.Broken);
        if (broken > 0) Add("COMMITMENT_BROKEN", $"存在违诺记录{broken}条", RiskTier.High);
        int overdue = p.Commitments.Count(e => e.State == CommitmentState.Overdue);
        if (overdue > 0) Add("COMMITMENT_OVERDUE", $"承诺逾期未履行{overdue}条", RiskTier.Medium);

        if (p.Complaints.Last90Days >= 3) Add("COMPLAINTS_90D", $"近90天投诉举报{p.Complaints.Last90Days}件", RiskTier.Medium);

        int problems = p.Inspections.Count(e => e.Inspection.Outcome is InspectionOutcome.ProblemFound or InspectionOutcome.NotContactable && WithinDays(e.Inspection.CheckedOn, asOf, 365));
        if (problems > 0) Add("INSPECTION_PROBLEMS_365D", $"近一年抽查检查发现问题{problems}次", RiskTier.Medium);

        int revokedLicences = p.Licences.Count(e => e.State == LicenceState.Revoked);
        if (revokedLicences > 0) Add("LICENCE_REVOKED", $"有{revokedLicences}张许可证被吊销", RiskTier.Medium);

        var assessment = new RiskAssessment { Tier = RiskTier.Low };
        foreach (var r in reasons.OrderByDescending(r => r.Tier).ThenBy(r => r.Code, StringComparer.Ordinal))
        {
            assessment.Reasons.Add(r);
            if (r.Tier > assessment.Tier) assessment.Tier = r.Tier;
        }
        return assessment;
    }

    private static bool WithinDays(string date, DateOnly asOf, int days) =>
        ChinaDates.ParseCanonical(date) is { } d && d <= asOf && asOf.DayNumber - d.DayNumber < days;
}
