using System.Globalization;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Core.Records;

/// <summary>
/// Dates as the sources write them, and the calendar date of an instant in China Standard Time
/// (UTC+8, no daylight saving), which is how every deadline and window in the hub is counted.
/// </summary>
public static class ChinaDates
{
    public static readonly TimeSpan Offset = TimeSpan.FromHours(8);

    private static readonly string[] Formats = ["yyyy-MM-dd", "yyyy/MM/dd", "yyyyMMdd", "yyyy年M月d日", "yyyy-M-d", "yyyy/M/d", "yyyy.MM.dd"];

    /// <summary>Parses "YYYY-MM-DD" and the variants sources send (yyyy/MM/dd, yyyyMMdd, yyyy年M月d日, epoch milliseconds).</summary>
    public static bool TryParse(string text, out DateOnly date)
    {
        if (TryParseCanonical(text, out date)) return true;
        text = text.Trim();
        if (DateOnly.TryParseExact(text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out date)) return true;
        if (text.Length is 12 or 13 && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            date = DateOf(DateTimeOffset.FromUnixTimeMilliseconds(ms));
            return true;
        }
        return false;
    }

    private static readonly string[] InstantFormats = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy/MM/dd HH:mm:ss", "yyyyMMddHHmmss", "yyyy-MM-dd'T'HH:mm:ss", "yyyy年M月d日 HH:mm:ss"];

    /// <summary>
    /// Parses a point in time as sources write it: "yyyy-MM-dd HH:mm:ss" and its variants in China time,
    /// RFC 3339 with an offset, epoch milliseconds, or a bare date (midnight China time).
    /// </summary>
    public static bool TryParseInstant(string text, out DateTimeOffset instant)
    {
        text = text.Trim();
        if (DateTime.TryParseExact(text, InstantFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            instant = new DateTimeOffset(local, Offset);
            return true;
        }
        if (text.Length > 19 && (text.EndsWith('Z') || text[^6] is '+' or '-')
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out instant))
            return true;
        if (TryParse(text, out var date))
        {
            instant = text.Length is 12 or 13 && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
                ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
                : new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), Offset);
            return true;
        }
        instant = default;
        return false;
    }

    /// <summary>An instant as "yyyy-MM-dd HH:mm:ss" in China time, the form most source systems use.</summary>
    public static string FormatInstant(DateTimeOffset instant) => instant.ToOffset(Offset).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>Whether the text is a valid date written exactly as <see cref="Format"/> writes it (YYYY-MM-DD): the common case, read without parsing formats.</summary>
    public static bool TryParseCanonical(ReadOnlySpan<char> text, out DateOnly date)
    {
        date = default;
        if (text.Length != 10 || text[4] != '-' || text[7] != '-') return false;
        int year = 0, month = 0, day = 0;
        for (int i = 0; i < 10; i++)
        {
            if (i is 4 or 7) continue;
            if (!char.IsAsciiDigit(text[i])) return false;
            int d = text[i] - '0';
            if (i < 4) year = year * 10 + d;
            else if (i < 7) month = month * 10 + d;
            else day = day * 10 + d;
        }
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
        date = new DateOnly(year, month, day);
        return true;
    }

    public static string Format(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The date of an instant in China Standard Time.</summary>
    public static DateOnly DateOf(DateTimeOffset instant) => DateOnly.FromDateTime(instant.ToOffset(Offset).DateTime);

    public static DateOnly DateOf(Timestamp timestamp) => DateOf(timestamp.ToDateTimeOffset());

    /// <summary>Parses a canonical "YYYY-MM-DD" string; null when empty or not a date.</summary>
    public static DateOnly? ParseCanonical(string text) => TryParseCanonical(text, out var d) ? d : null;

    /// <summary>The first instant after the end of a date in China Standard Time.</summary>
    public static DateTimeOffset EndOf(DateOnly date) => new DateTimeOffset(date.AddDays(1).ToDateTime(TimeOnly.MinValue), Offset);
}
