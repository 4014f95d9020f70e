using DataHub.Core.Profiles;
using DataHub.Schema.V1;

namespace DataHub.Core.Tests;

public class CreditCheckTests
{
    private static EnterpriseProfile Profile(Action<EnterpriseProfile>? change = null)
    {
        var p = new EnterpriseProfile
        {
            Uscc = "9144030071526726XG",
            Name = "示例食品有限公司",
            Identity = new Identity { Status = RegistrationStatus.Active, StatusRaw = "存续" },
            Credit = new CreditSection { CurrentGrade = "A" },
            AsOf = "2026-11-29",
        };
        change?.Invoke(p);
        return p;
    }

    private static ListEntryState OnList(ListType type, bool active = true) =>
        new() { Active = active, Entry = new ListEntry { ListType = type, ListedOn = "2026-01-05", Authority = "市场监督管理局" } };

    [Fact]
    public void A_clean_active_enterprise_may_take_the_commitment_route()
    {
        var answer = CreditCheck.Evaluate(Profile());
        Assert.True(answer.CommitmentAllowed);
        Assert.Empty(answer.Findings);
        Assert.Equal("A", answer.CreditGrade);
    }

    [Theory]
    [InlineData(ListType.SeriousViolation, "SERIOUS_VIOLATION_LIST")]
    [InlineData(ListType.Black, "BLACK_LIST")]
    [InlineData(ListType.AbnormalOperation, "ABNORMAL_OPERATION_LIST")]
    public void Being_on_a_dishonesty_or_abnormal_list_rules_the_route_out(ListType list, string code)
    {
        var answer = CreditCheck.Evaluate(Profile(p => p.Lists.Add(OnList(list))));
        Assert.False(answer.CommitmentAllowed);
        Assert.Equal(code, answer.Findings[0].Code);
        Assert.Single(answer.ActiveLists);
    }

    [Fact]
    public void A_list_entry_that_was_removed_does_not_count()
    {
        var answer = CreditCheck.Evaluate(Profile(p => p.Lists.Add(OnList(ListType.Black, active: false))));
        Assert.True(answer.CommitmentAllowed);
        Assert.Empty(answer.ActiveLists);
    }

    [Fact]
    public void The_red_list_is_noted_without_blocking()
    {
        var answer = CreditCheck.Evaluate(Profile(p => p.Lists.Add(OnList(ListType.Red))));
        Assert.True(answer.CommitmentAllowed);
        Assert.Equal("RED_LIST", Assert.Single(answer.Findings).Code);
    }

    [Fact]
    public void Grade_d_broken_and_overdue_commitments_and_an_inactive_registration_each_block_with_their_reason()
    {
        var answer = CreditCheck.Evaluate(Profile(p =>
        {
            p.Credit.CurrentGrade = "D";
            p.Commitments.Add(new CommitmentEntry { State = CommitmentState.Broken });
            p.Commitments.Add(new CommitmentEntry { State = CommitmentState.Overdue });
            p.Identity.Status = RegistrationStatus.Revoked;
            p.Lists.Add(OnList(ListType.Red));
        }));
        Assert.False(answer.CommitmentAllowed);
        Assert.Equal(["CREDIT_GRADE_D", "BROKEN_COMMITMENT", "OVERDUE_COMMITMENT", "NOT_ACTIVE", "RED_LIST"], answer.Findings.Select(f => f.Code));
        Assert.All(answer.Findings.Take(4), f => Assert.True(f.BlocksCommitment));
    }

    [Fact]
    public void A_profile_without_registration_is_noted_but_not_blocked_for_status()
    {
        var answer = CreditCheck.Evaluate(Profile(p => { p.RegistrationMissing = true; p.Identity.Status = RegistrationStatus.Unspecified; }));
        Assert.True(answer.CommitmentAllowed);
        Assert.Equal("REGISTRATION_MISSING", Assert.Single(answer.Findings).Code);
    }
}
