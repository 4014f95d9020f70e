using System.Text;
using DataHub.Core.Text;

namespace DataHub.Core.Identifiers;

/// <summary>
/// The unified social credit code (统一社会信用代码, GB 32100-2015): 1 registration-authority code,
/// 1 category code, 6 division digits (GB/T 2260), 9 organization-code characters (GB 11714) and a
/// mod-31 check character.
/// </summary>
public static class Uscc
{
    /// <summary>The 31 characters a USCC may use, in value order (no I, O, S, V, Z).</summary>
    public const string Charset = "0123456789ABCDEFGHJKLMNPQRTUWXY";

    public const int Length = 18;

    private static readonly int[] Weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    private static readonly int[] OrganizationWeights = [3, 7, 9, 10, 5, 8, 4, 2];

    /// <summary>Trim, fold full-width to half-width, upper-case, drop spaces and hyphens.</summary>
    public static string Normalize(string? input)
    {
        if (string.IsNullOrEmpty(input)) return string.Empty;
        var sb = new StringBuilder(input.Length);
        foreach (var raw in input)
        {
            var c = HalfWidth.Fold(raw);
            if (char.IsWhiteSpace(c) || c is '-' or '\u2010' or '\u2011' or '\u2012' or '\u2013' or '\u2014') continue;
            sb.Append(char.ToUpperInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>
    /// Whether <paramref name="code"/> is a valid USCC already in normal form (what <see cref="Check"/>
    /// would return unchanged as valid): the quick answer for codes that machines send, with no allocation.
    /// </summary>
    public static bool IsCanonical(ReadOnlySpan<char> code)
    {
        if (code.Length != Length) return false;
        for (int i = 0; i < Length; i++)
            if (ValueOf(code[i]) < 0 || (i is >= 2 and <= 7 && !char.IsAsciiDigit(code[i]))) return false;
        return code[17] == ComputeCheckCharacter(code[..17]);
    }

    /// <summary>Value 0–30 of a USCC character, or -1 when it is outside the charset.</summary>
    public static int ValueOf(char c) => Charset.IndexOf(c);

    /// <summary>The mod-31 check character for the first 17 characters, which must be in the charset.</summary>
    public static char ComputeCheckCharacter(ReadOnlySpan<char> first17)
    {
        if (first17.Length != 17) throw new ArgumentException("Exactly 17 characters are needed.", nameof(first17));
        int sum = 0;
        for (int i = 0; i < 17; i++)
        {
            int v = ValueOf(first17[i]);
            if (v < 0) throw new ArgumentException($"'{first17[i]}' at position {i + 1} is not a USCC character.", nameof(first17));
            sum += v * Weights[i];
        }
        return Charset[(31 - sum % 31) % 31];
    }

    /// <summary>The GB 11714 check character of an 8-character organization-code body (0-9, A-Z).</summary>
    public static char? ComputeOrganizationCheckCharacter(ReadOnlySpan<char> body8)
    {
        if (body8.Length != 8) return null;
        int sum = 0;
        for (int i = 0; i < 8; i++)
        {
            char c = body8[i];
            int v = c is >= '0' and <= '9' ? c - '0' : c is >= 'A' and <= 'Z' ? c - 'A' + 10 : -1;
            if (v < 0) return null;
            sum += v * OrganizationWeights[i];
        }
        int r = 11 - sum % 11;
        return r switch { 10 => 'X', 11 => '0', _ => (char)('0' + r) };
    }

    /// <summary>Normalizes and validates a code. Allow-listed codes that fail the check are valid with a warning.</summary>
    public static UsccCheck Check(string? input, IReadOnlySet<string>? allowList = null)
    {
        var normalized = Normalize(input);
        var errors = new List<UsccProblem>();
        var warnings = new List<UsccProblem>();
        if (normalized.Length == 0)
        {
            errors.Add(new("EMPTY", null, "The code is empty.", "统一社会信用代码为空。"));
            return new UsccCheck(input ?? "", normalized, false, errors, warnings);
        }
        if (normalized.Length != Length)
        {
            errors.Add(new("LENGTH", null,
                $"A USCC has 18 characters; this one has {normalized.Length}.",
                $"统一社会信用代码应为18位，实际为{normalized.Length}位。"));
        }
        for (int i = 0; i < normalized.Length; i++)
        {
            char c = normalized[i];
            int pos = i + 1;
            if (ValueOf(c) < 0)
            {
                errors.Add(new("CHARACTER", pos,
                    $"Position {pos}: '{c}' is not allowed (a USCC uses 0-9 and A-Z without I, O, S, V, Z).",
                    $"第{pos}位字符“{c}”不合法（只能使用数字和除I、O、S、V、Z以外的大写字母）。"));
            }
            else if (pos is >= 3 and <= 8 && !char.IsAsciiDigit(c))
            {
                errors.Add(new("DIVISION_DIGIT", pos,
                    $"Position {pos}: '{c}' is not a digit; positions 3-8 are the administrative division code.",
                    $"第{pos}位字符“{c}”不是数字；第3至8位为登记管理机关行政区划码。"));
            }
        }
        if (errors.Count == 0)
        {
            char expected = ComputeCheckCharacter(normalized.AsSpan(0, 17));
            if (normalized[17] != expected)
            {
                var problem = new UsccProblem("CHECK_CHARACTER", 18,
                    $"Position 18: check character is '{normalized[17]}', expected '{expected}'.",
                    $"第18位校验码为“{normalized[17]}”，应为“{expected}”。");
                if (allowList?.Contains(normalized) == true)
                {
                    warnings.Add(problem with { Code = "CHECK_CHARACTER_ALLOW_LISTED", Message = problem.Message + " Accepted: the code is on the allow-list of legacy codes.", MessageZh = problem.MessageZh + "该代码在历史代码白名单中，予以接受。" });
                }
                else
                {
                    errors.Add(problem);
                }
            }
            var orgExpected = ComputeOrganizationCheckCharacter(normalized.AsSpan(8, 8));
            if (orgExpected is null)
            {
                warnings.Add(new("ORGANIZATION_CODE_CHARSET", 9,
                    "Positions 9-16 are not a GB 11714 organization-code body (0-9, A-Z).",
                    "第9至16位不是有效的组织机构代码本体（GB 11714）。"));
            }
            else if (normalized[16] != orgExpected)
            {
                warnings.Add(new("ORGANIZATION_CODE_CHECK", 17,
                    $"Position 17: organization code (GB 11714) check character is '{normalized[16]}', expected '{orgExpected}'.",
                    $"第17位组织机构代码校验码为“{normalized[16]}”，应为“{orgExpected}”（GB 11714）。"));
            }
            if (RegistrationAuthorities.Describe(normalized[0]) is null)
            {
                warnings.Add(new("UNKNOWN_REGISTRATION_AUTHORITY", 1,
                    $"Position 1: registration authority code '{normalized[0]}' is not in the code table.",
                    $"第1位登记管理部门码“{normalized[0]}”不在代码表中。"));
            }
        }
        return new UsccCheck(input ?? "", normalized, errors.Count == 0, errors, warnings);
    }

    /// <summary>Decodes the parts of a valid, normalized code.</summary>
    public static UsccDecoded Decode(string normalized)
    {
        if (normalized.Length != Length) throw new ArgumentException("A normalized 18-character USCC is needed.", nameof(normalized));
        char authority = normalized[0];
        char category = normalized[1];
        string division = normalized.Substring(2, 6);
        return new UsccDecoded(
            authority.ToString(),
            RegistrationAuthorities.Describe(authority) ?? "",
            category.ToString(),
            RegistrationAuthorities.DescribeCategory(authority, category) ?? "",
            division,
            AdministrativeDivisions.FullName(division) ?? "",
            normalized.Substring(8, 9));
    }

    /// <summary>
    /// Makes a valid code (both check characters right) from a random source: for tests and synthetic data.
    /// </summary>
    public static string Generate(Random random, string divisionCode, char authority = '9', char category = '1')
    {
        if (divisionCode.Length != 6 || !divisionCode.All(char.IsAsciiDigit))
            throw new ArgumentException("A 6-digit division code is needed.", nameof(divisionCode));
        Span<char> code = stackalloc char[18];
        code[0] = authority;
        code[1] = category;
        divisionCode.AsSpan().CopyTo(code[2..]);
        // Post-2015 organization codes start with "MA"; the rest is drawn from the GB 11714 characters
        // that are also USCC characters so the whole code stays in the USCC charset.
        code[8] = 'M';
        code[9] = 'A';
        for (int i = 10; i < 16; i++) code[i] = Charset[random.Next(Charset.Length)];
        char? orgCheck = ComputeOrganizationCheckCharacter(code.Slice(8, 8));
        // An organization check character of 'X' is in the charset; every other result is a digit.
        code[16] = orgCheck!.Value;
        code[17] = ComputeCheckCharacter(code[..17]);
        return new string(code);
    }
}

/// <summary>The result of checking one code.</summary>
public sealed record UsccCheck(
    string Input,
    string Normalized,
    bool Valid,
    IReadOnlyList<UsccProblem> Errors,
    IReadOnlyList<UsccProblem> Warnings);

/// <summary>What is wrong with a code, where (1-based position, when one applies), in English and Chinese.</summary>
public sealed record UsccProblem(string Code, int? Position, string Message, string MessageZh);

/// <summary>The parts of a USCC, with their meanings where the code tables know them.</summary>
public sealed record UsccDecoded(
    string RegistrationAuthorityCode,
    string RegistrationAuthority,
    string CategoryCode,
    string Category,
    string DivisionCode,
    string DivisionName,
    string OrganizationCode);
