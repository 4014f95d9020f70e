namespace DataHub.Adapters.ELicence.Tests;

public class LicenceIdentifierTests
{
    [Theory]
    [InlineData("1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F")]
    [InlineData("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0")]
    [InlineData("1.2.156.3005.2.11100000000013338w032.11220000013544541j.2430599.001.f")]
    public void Published_identifiers_pass_the_structure_and_check_character(string id)
    {
        var check = LicenceIdentifier.Check(id);
        Assert.True(check.Valid, check.Problem);
    }

    [Fact]
    public void The_check_character_is_ISO_7064_MOD_37_36_over_the_parts_without_dots()
    {
        Assert.Equal('F', LicenceIdentifier.CheckCharacter("11100000000013338W03211220000013544541J2430599001"));
        Assert.Equal('0', LicenceIdentifier.CheckCharacter("11100000000013338W00911330105002500287C2025052201002"));
        Assert.Throws<ArgumentException>(() => LicenceIdentifier.CheckCharacter("AB-1"));
    }

    [Theory]
    [InlineData("", "EMPTY")]
    [InlineData("2.16.156.11100000000013338W032.11220000013544541J.2430599.001.F", "ROOT")]
    [InlineData("1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001", "PARTS")]
    [InlineData("1.2.156.3005.2.SP.91321302MA1XYZ0000.007", "PARTS")]
    [InlineData("1.2.156.3005.2.11100000000013338W03.11220000013544541J.2430599.001.F", "TYPE_CODE")]
    [InlineData("1.2.156.3005.2.11100000000013338W032.1122000001354.2430599.001.F", "ISSUER_CODE")]
    [InlineData("1.2.156.3005.2.11100000000013338W032.11220000013544541J.24-30599.001.F", "SERIAL")]
    [InlineData("1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.1.F", "VERSION")]
    [InlineData("1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.G", "CHECK_CHARACTER")]
    public void Malformed_identifiers_fail_with_the_part_that_is_wrong(string id, string problem)
    {
        var check = LicenceIdentifier.Check(id);
        Assert.False(check.Valid);
        Assert.Equal(problem, check.ProblemCode);
    }

    [Fact]
    public void A_six_digit_division_code_is_accepted_as_the_issuer()
    {
        const string payload = "11100000000013338W0323401002024000001001";
        var id = $"1.2.156.3005.2.11100000000013338W032.340100.2024000001.001.{LicenceIdentifier.CheckCharacter(payload)}";
        Assert.True(LicenceIdentifier.Check(id).Valid, LicenceIdentifier.Check(id).Problem);
    }

    [Fact]
    public void The_generators_licence_identifiers_are_not_GB_T_36904_shaped_yet_their_rows_map()
    {
        var mapper = new LicenceMapper();
        foreach (var (_, record) in RoundTripTests.Generated(0).Take(50))
        {
            Assert.Equal("PARTS", LicenceIdentifier.Check(record.Licence.LicenceId).ProblemCode);
            var feed = RoundTripTests.FeedOf(record);
            Assert.Null(mapper.Map(RoundTripTests.Raw(feed, feed.Writer.Write(record))).Rejection);
        }
    }
}
