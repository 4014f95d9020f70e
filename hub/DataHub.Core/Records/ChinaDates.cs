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
        text = text.Trim();
        if (DateOnly.TryParseExact(text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out date)) return true;
        if (text.Length is 12 or 13 && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            date = DateOf(DateTimeOffset.FromUnixTimeMilliseconds(ms));
            return true;
        }
        return false;
    }

    public static string Format(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The date of an instant in China Standard Time.</summary>
    public static DateOnly DateOf(DateTimeOffset instant) => DateOnly.FromDateTime(instant.ToOffset(Offset).DateTime);

    public static DateOnly DateOf(Timestamp timestamp) => DateOf(timestamp.ToDateTimeOffset());

    /// <summary>Parses a canonical "YYYY-MM-DD" string; null when empty or not a date.</summary>
    public static DateOnly? ParseCanonical(string text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;

    /// <summary>The first instant after the end of a date in China Standard Time.</summary>
    public static DateTimeOffset EndOf(DateOnly date) => new DateTimeOffset(date.AddDays(1).ToDateTime(TimeOnly.MinValue), Offset);
}
