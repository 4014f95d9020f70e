using System.Globalization;
using DataHub.Core.Identifiers;
using DataHub.Grpc;

namespace DataHub.Api;

/// <summary>Request checks shared by the services; each failure says what is wrong and what is expected.</summary>
internal static class ApiErrors
{
    /// <summary>Normalizes (full-width, lower case, spaces, hyphens) and validates a USCC; INVALID_ARGUMENT names the position and the problem, in English and Chinese.</summary>
    public static string RequireUscc(string input, IReadOnlySet<string> allowList, string field = "uscc")
    {
        if (Uscc.IsCanonical(input)) return input;
        var check = Uscc.Check(input, allowList);
        if (check.Valid) return check.Normalized;
        var problems = string.Join(" ", check.Errors.Select(e => e.Message));
        var problemsZh = string.Join("", check.Errors.Select(e => e.MessageZh));
        throw new RpcException(StatusCode.InvalidArgument, $"{field} {Quote(input)} is not a valid USCC: {problems} / {problemsZh}");
    }

    /// <summary>
    /// Caller input as it may appear in messages and audit details: quoted, control characters
    /// escaped, cut at 64 characters — so it cannot bloat a status, forge a detail's structure or
    /// smuggle a NUL into the audit log.
    /// </summary>
    public static string Quote(string input)
    {
        var sb = new System.Text.StringBuilder("'");
        foreach (var ch in input.Length > 64 ? input[..64] : input)
        {
            if (ch is '\'' or '\\') sb.Append('\\').Append(ch);
            else if (char.IsControl(ch)) sb.Append($"\\u{(int)ch:X4}");
            else sb.Append(ch);
        }
        if (input.Length > 64) sb.Append("…");
        return sb.Append('\'').ToString();
    }

    public static RpcException NotFound(string uscc) =>
        new(StatusCode.NotFound, $"No record of enterprise {uscc} has reached the hub. / 枢纽中没有统一社会信用代码为{uscc}的企业记录。");

    /// <summary>A date in ISO form, YYYY-MM-DD, between 1900 and 2199.</summary>
    public static DateOnly RequireDate(string input, string field)
    {
        if (DateOnly.TryParseExact(input.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) && date.Year is >= 1900 and <= 2199)
            return date;
        throw new RpcException(StatusCode.InvalidArgument, $"{field} {Quote(input)} is not a date between 1900 and 2199; use YYYY-MM-DD. / 日期格式应为YYYY-MM-DD。");
    }
}
