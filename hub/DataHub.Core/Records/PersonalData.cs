using System.Text.RegularExpressions;

namespace DataHub.Core.Records;

/// <summary>Minimizes personal data at normalization: ID numbers are masked, phone numbers removed from free text.</summary>
public static partial class PersonalData
{
    /// <summary>Keeps the first 6 (division) and last 4 characters of a 15- or 18-character ID number.</summary>
    public static string MaskIdNumber(string id)
    {
        if (id.Length is not (15 or 18) || id.Contains('*')) return id;
        return string.Concat(id.AsSpan(0, 6), new string('*', id.Length - 10), id.AsSpan(id.Length - 4));
    }

    /// <summary>
    /// "13812345678" → "138****5678"; shorter numbers keep only their last 4 digits ("87654321" →
    /// "****4321"), and fewer than 8 characters keep none — at least 4 digits are always hidden.
    /// </summary>
    public static string MaskPhone(string phone) => phone.Length switch
    {
        >= 11 => string.Concat(phone.AsSpan(0, 3), "****", phone.AsSpan(phone.Length - 4)),
        >= 8 => string.Concat("****", phone.AsSpan(phone.Length - 4)),
        _ => "****",
    };

    /// <summary>Replaces mobile and landline numbers, e-mail addresses and ID numbers in free text.</summary>
    public static string RedactContacts(string text)
    {
        if (text.Length == 0) return text;
        text = IdNumber().Replace(text, "[身份证号已删除]");
        text = MobileNumber().Replace(text, "[电话已删除]");
        text = LandlineNumber().Replace(text, "[电话已删除]");
        return Email().Replace(text, "[邮箱已删除]");
    }

    [GeneratedRegex(@"(?<!\d)\d{17}[\dXx](?!\d)")]
    private static partial Regex IdNumber();

    [GeneratedRegex(@"(?<!\d)1[3-9]\d{9}(?!\d)")]
    private static partial Regex MobileNumber();

    [GeneratedRegex(@"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")]
    private static partial Regex LandlineNumber();

    // ASCII only: \w would also take the Chinese text written right before an address ("邮箱zhang@x.com").
    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")]
    private static partial Regex Email();
}
