using DataHub.Schema.V1;

namespace DataHub.Core.Profiles;

/// <summary>
/// The credit check an approval makes before taking the notification-commitment route (信用查询,
/// 告知承诺). The route is ruled out for an enterprise on the serious-violation, dishonesty or
/// abnormal-operation list, with the lowest credit grade, with a broken or overdue commitment, or
/// whose registration is not in force; a pure function of the profile.
/// </summary>
public static class CreditCheck
{
    /// <summary>The grade that rules the commitment route out.</summary>
    public const string LowestGrade = "D";

    public static CheckCreditResponse Evaluate(EnterpriseProfile profile)
    {
        var response = new CheckCreditResponse
        {
            Uscc = profile.Uscc,
            Name = profile.Name,
            CreditGrade = profile.Credit?.CurrentGrade ?? "",
            AsOf = profile.AsOf,
        };
        var findings = new List<CreditFinding>();
        void Add(string code, string description, bool blocks) => findings.Add(new CreditFinding { Code = code, Description = description, BlocksCommitment = blocks });

        foreach (var list in profile.Lists.Where(l => l.Active))
        {
            response.ActiveLists.Add(list);
            switch (list.Entry.ListType)
            {
                case ListType.SeriousViolation: Add("SERIOUS_VIOLATION_LIST", $"列入严重违法失信名单（{list.Entry.ListedOn}，{list.Entry.Authority}）", true); break;
                case ListType.Black: Add("BLACK_LIST", $"列入失信黑名单（{list.Entry.ListedOn}，{list.Entry.Authority}）", true); break;
                case ListType.AbnormalOperation: Add("ABNORMAL_OPERATION_LIST", $"列入经营异常名录（{list.Entry.ListedOn}）", true); break;
                case ListType.Red: Add("RED_LIST", "列入守信红名单", false); break;
            }
        }
        if (response.CreditGrade == LowestGrade)
            Add("CREDIT_GRADE_D", $"公共信用评价等级为{LowestGrade}级", true);
        var broken = profile.Commitments.Count(c => c.State == CommitmentState.Broken);
        if (broken > 0) Add("BROKEN_COMMITMENT", $"存在{broken}项违诺记录", true);
        var overdue = profile.Commitments.Count(c => c.State == CommitmentState.Overdue);
        if (overdue > 0) Add("OVERDUE_COMMITMENT", $"存在{overdue}项逾期未履行的承诺", true);
        var status = profile.Identity?.Status ?? RegistrationStatus.Unspecified;
        if (profile.RegistrationMissing)
            Add("REGISTRATION_MISSING", "尚未收到登记信息，主体状态未核实", false);
        else if (status != RegistrationStatus.Active)
            Add("NOT_ACTIVE", $"登记状态非存续（{profile.Identity?.StatusRaw}）", true);

        response.Findings.AddRange(findings.OrderByDescending(f => f.BlocksCommitment));
        response.CommitmentAllowed = !findings.Any(f => f.BlocksCommitment);
        return response;
    }
}
