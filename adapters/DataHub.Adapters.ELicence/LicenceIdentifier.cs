namespace DataHub.Adapters.ELicence;

/// <summary>
/// The 证照标识 of GB/T 36904 (SOURCE-FORMATS.md §5.2):
/// "1.2.156.3005.2.{type code}.{issuer code}.{serial}.{version}.{check}", where the type code is the
/// defining authority's USCC plus a 3-digit sequence, the issuer code a USCC (or a 6-digit division
/// code in some test data), the version 3 digits, and the check character ISO/IEC 7064 MOD 37,36 over
/// type, issuer, serial and version with the dots removed. Pure; a failed check is for reports, not a
/// reason to drop a licence.
/// </summary>
internal static class LicenceIdentifier
{
    public const string Root = "1.2.156.3005.2";

    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    public static LicenceIdentifierCheck Check(string? identifier)
    {
        var id = (identifier ?? "").Trim().ToUpperInvariant();
        if (id.Length == 0) return Fail("EMPTY", "The identifier is empty.");
        if (!id.StartsWith(Root + ".", StringComparison.Ordinal))
            return Fail("ROOT", $"The identifier does not start with the root {Root}.");
        var parts = id[(Root.Length + 1)..].Split('.');
        if (parts.Length != 5)
            return Fail("PARTS", $"After the root there should be 5 parts (type code, issuer code, serial, version, check character); there are {parts.Length}.");
        var (type, issuer, serial, version, check) = (parts[0], parts[1], parts[2], parts[3], parts[4]);
        if (type.Length != 21 || !type[..18].All(IsAlphanumeric) || !type[18..].All(char.IsAsciiDigit))
            return Fail("TYPE_CODE", $"The type code '{type}' should be 21 characters: the defining authority's 18-character code and a 3-digit sequence.");
        if (!(issuer.Length == 18 && issuer.All(IsAlphanumeric)) && !(issuer.Length == 6 && issuer.All(char.IsAsciiDigit)))
            return Fail("ISSUER_CODE", $"The issuer code '{issuer}' should be an 18-character USCC or a 6-digit division code.");
        if (serial.Length == 0 || !serial.All(IsAlphanumeric))
            return Fail("SERIAL", $"The serial '{serial}' should be letters and digits, and not empty.");
        if (version.Length != 3 || !version.All(char.IsAsciiDigit))
            return Fail("VERSION", $"The version '{version}' should be 3 digits (001, 002, ...).");
        var expected = CheckCharacter(type + issuer + serial + version);
        if (check.Length != 1 || check[0] != expected)
            return Fail("CHECK_CHARACTER", $"The check character is '{check}'; MOD 37,36 over the parts gives '{expected}'.");
        return new LicenceIdentifierCheck(true, null, null);
    }

    /// <summary>The ISO/IEC 7064 MOD 37,36 check character of letters and digits (case-insensitive).</summary>
    public static char CheckCharacter(string payload)
    {
        int p = 36;
        foreach (var c in payload)
        {
            int value = Alphabet.IndexOf(char.ToUpperInvariant(c));
            if (value < 0) throw new ArgumentException($"'{c}' is not a letter or digit.", nameof(payload));
            p = (p + value) % 36;
            if (p == 0) p = 36;
            p = p * 2 % 37;
        }
        return Alphabet[(37 - p) % 36];
    }

    private static bool IsAlphanumeric(char c) => char.IsAsciiDigit(c) || c is >= 'A' and <= 'Z';

    private static LicenceIdentifierCheck Fail(string code, string message) => new(false, code, message);
}

/// <summary>The outcome of <see cref="LicenceIdentifier.Check"/>: valid, or a problem code and an English message.</summary>
internal sealed record LicenceIdentifierCheck(bool Valid, string? ProblemCode, string? Problem);
