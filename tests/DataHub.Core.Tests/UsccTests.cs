using DataHub.Core.Identifiers;

namespace DataHub.Core.Tests;

public class UsccTests
{
    public static readonly TheoryData<string> ValidCodes = new() { "9144030071526726XG", "91330100799655058B", "91440300192317458F", "9152000071430580XT" };

    [Theory]
    [MemberData(nameof(ValidCodes))]
    public void Published_codes_are_valid(string code)
    {
        var check = Uscc.Check(code);
        Assert.True(check.Valid, string.Join("; ", check.Errors.Select(e => e.Message)));
        Assert.Equal(code, check.Normalized);
        Assert.Empty(check.Errors);
    }

    [Theory]
    [InlineData("9144030071526726XG")]
    [InlineData("91330100799655058B")]
    public void Every_single_character_change_is_invalid(string code)
    {
        // Every other character of the charset, the excluded letters, and punctuation, at every position.
        var replacements = Uscc.Charset + "IOSVZ*#";
        int mutations = 0;
        for (int i = 0; i < code.Length; i++)
        {
            foreach (var c in replacements)
            {
                if (c == code[i]) continue;
                var mutated = code[..i] + c + code[(i + 1)..];
                var check = Uscc.Check(mutated);
                Assert.False(check.Valid, $"{mutated} (position {i + 1} changed to '{c}') was accepted");
                Assert.NotEmpty(check.Errors);
                mutations++;
            }
        }
        Assert.Equal(18 * (replacements.Length - 1), mutations);
    }

    [Theory]
    [InlineData("９１４４０３００７１５２６７２６ＸＧ")]
    [InlineData("9144030071526726xg")]
    [InlineData("  9144 0300 7152 6726 XG ")]
    [InlineData("914403-00715267-26XG")]
    [InlineData("９１４４０３００　７１５２６７２６ｘｇ")]
    [InlineData("9144030071526726XG\t")]
    public void Full_width_spaces_hyphens_and_lower_case_are_normalized(string input)
    {
        var check = Uscc.Check(input);
        Assert.True(check.Valid);
        Assert.Equal("9144030071526726XG", check.Normalized);
        Assert.Equal(input, check.Input);
    }

    [Fact]
    public void The_quick_canonical_test_agrees_with_the_full_check_on_valid_codes_their_variants_and_every_mutation()
    {
        // IsCanonical answers true exactly when Check finds the code valid and already in normal form.
        var inputs = new List<string> { "", "9144030071526726X", "9144030071526726XGX" };
        foreach (var code in new[] { "9144030071526726XG", "91330100799655058B", "91440300192317458F", "9152000071430580XT" })
        {
            inputs.AddRange([code, code.ToLowerInvariant(), " " + code, code[..8] + "-" + code[8..], new string(code.Select(c => (char)(c + 0xFEE0)).ToArray())]);
            for (int i = 0; i < code.Length; i++)
                inputs.AddRange((Uscc.Charset + "IOSVZ*").Where(c => c != code[i]).Select(c => code[..i] + c + code[(i + 1)..]));
        }
        Assert.True(inputs.Count > 2_000);
        foreach (var input in inputs)
        {
            var check = Uscc.Check(input);
            Assert.True(Uscc.IsCanonical(input) == (check.Valid && check.Normalized == input), $"'{input}': IsCanonical {Uscc.IsCanonical(input)}, Check valid {check.Valid} as '{check.Normalized}'");
        }
        Assert.True(Uscc.IsCanonical("9144030071526726XG"));
    }

    [Fact]
    public void A_wrong_check_character_names_position_18_and_the_expected_character()
    {
        var problem = Assert.Single(Uscc.Check("9144030071526726XH").Errors);
        Assert.Equal("CHECK_CHARACTER", problem.Code);
        Assert.Equal(18, problem.Position);
        Assert.Contains("expected 'G'", problem.Message);
        Assert.Contains("应为“G”", problem.MessageZh);
    }

    [Fact]
    public void A_forbidden_letter_names_its_position()
    {
        var check = Uscc.Check("9144030071526726OG");
        var problem = Assert.Single(check.Errors);
        Assert.Equal("CHARACTER", problem.Code);
        Assert.Equal(17, problem.Position);
        Assert.Contains("'O'", problem.Message);
        Assert.Contains("第17位", problem.MessageZh);
    }

    [Theory]
    [InlineData("", "EMPTY")]
    [InlineData("91440300715267", "LENGTH")]
    [InlineData("9144030071526726XG1", "LENGTH")]
    [InlineData("91A4030071526726XG", "DIVISION_DIGIT")]
    public void Structural_errors_are_reported(string input, string code)
    {
        var check = Uscc.Check(input);
        Assert.False(check.Valid);
        Assert.Contains(check.Errors, e => e.Code == code);
        Assert.All(check.Errors, e => Assert.False(string.IsNullOrWhiteSpace(e.MessageZh)));
    }

    [Fact]
    public void A_code_that_passes_mod_31_but_not_GB_11714_is_valid_with_a_warning()
    {
        var check = Uscc.Check("91310000631295002H");
        Assert.True(check.Valid);
        var warning = Assert.Single(check.Warnings, w => w.Code == "ORGANIZATION_CODE_CHECK");
        Assert.Equal(17, warning.Position);
    }

    [Fact]
    public void Legacy_pilot_codes_are_rejected_unless_allow_listed()
    {
        const string pilot = "91350100M0001TGQXM";
        Assert.False(Uscc.Check(pilot).Valid);
        var allowed = Uscc.Check(pilot, new HashSet<string> { pilot });
        Assert.True(allowed.Valid);
        Assert.Contains(allowed.Warnings, w => w.Code == "CHECK_CHARACTER_ALLOW_LISTED");
    }

    [Fact]
    public void Decoding_names_authority_category_and_division()
    {
        var decoded = Uscc.Decode(Uscc.Generate(new Random(3), "321302"));
        Assert.Equal("9", decoded.RegistrationAuthorityCode);
        Assert.Equal("工商 / 市场监管", decoded.RegistrationAuthority);
        Assert.Equal("企业", decoded.Category);
        Assert.Equal("321302", decoded.DivisionCode);
        Assert.Equal("江苏省宿迁市宿城区", decoded.DivisionName);
        Assert.Equal("广东省深圳市", Uscc.Decode("9144030071526726XG").DivisionName);
    }

    [Fact]
    public void Generated_codes_pass_both_checks()
    {
        var random = new Random(7);
        foreach (var division in new[] { "321302", "320706", "321282" })
        {
            for (int i = 0; i < 500; i++)
            {
                var code = Uscc.Generate(random, division);
                var check = Uscc.Check(code);
                Assert.True(check.Valid, code);
                Assert.Empty(check.Warnings);
                Assert.Equal(division, code.Substring(2, 6));
            }
        }
    }

    [Theory]
    [InlineData("1499", "C")]
    [InlineData("0190", "A")]
    [InlineData("5251", "F")]
    [InlineData("6421", "I")]
    [InlineData("4790", "E")]
    [InlineData("C1499", "C")]
    [InlineData("F", "F")]
    [InlineData("", "")]
    [InlineData("99", "")]
    public void An_industry_class_code_belongs_to_its_gbt4754_section(string code, string section)
    {
        Assert.Equal(section, DataHub.Core.Identifiers.IndustrySections.SectionOf(code));
    }
}
