using System.Globalization;
using System.Reflection;
using DataHub.Core.Records;

namespace DataHub.Core.Calendar;

/// <summary>
/// 工作日历: which dates are working days in mainland China, from one calendar file per year
/// (the State Council's holiday notice: days off and the adjusted working days, 调休). Days a file
/// does not list follow the week: Monday–Friday work, Saturday and Sunday off. Dates are calendar
/// dates in China Standard Time; convert an instant with <see cref="ChinaDates.DateOf(DateTimeOffset)"/> first.
/// </summary>
/// <remarks>
/// The core does no I/O: <see cref="ParseYear"/> takes the text and the host reads the files, except
/// for the files shipped inside the assembly (<see cref="Shipped"/>). A date in a year no file covers
/// throws <see cref="CalendarRangeException"/> rather than guessing, because a guessed calendar would
/// silently move legal deadlines.
/// </remarks>
public sealed class WorkingDayCalendar
{
    private const string ResourcePrefix = "DataHub.Core.Calendar.";
    private const string ResourceSuffix = ".calendar";

    private static readonly Lazy<WorkingDayCalendar> ShippedCalendar = new(LoadShipped);

    private readonly int _firstYear;
    // Indexed by year - _firstYear, then by DayOfYear - 1; null for a year between covered ones that no file covers.
    private readonly bool[]?[] _working;
    private readonly WorkingDayCalendarYear?[] _byYear;

    private WorkingDayCalendar(IReadOnlyList<WorkingDayCalendarYear> years)
    {
        Years = years;
        if (years.Count == 0)
        {
            _working = [];
            _byYear = [];
            return;
        }
        _firstYear = years[0].Year;
        var span = years[^1].Year - _firstYear + 1;
        _working = new bool[]?[span];
        _byYear = new WorkingDayCalendarYear?[span];
        foreach (var year in years)
        {
            var days = new bool[DateTime.IsLeapYear(year.Year) ? 366 : 365];
            for (int i = 0; i < days.Length; i++)
            {
                var date = new DateOnly(year.Year, 1, 1).AddDays(i);
                days[i] = year.AdjustedWorkdays.ContainsKey(date)
                    || (!year.Holidays.ContainsKey(date) && date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday));
            }
            _working[year.Year - _firstYear] = days;
            _byYear[year.Year - _firstYear] = year;
        }
    }

    /// <summary>The calendar files shipped inside the assembly (Calendar/*.calendar), parsed once on first use.</summary>
    public static WorkingDayCalendar Shipped => ShippedCalendar.Value;

    /// <summary>The years this calendar covers, in ascending order.</summary>
    public IReadOnlyList<WorkingDayCalendarYear> Years { get; }

    /// <summary>
    /// Builds a calendar from parsed years. Throws <see cref="CalendarFormatException"/> when a year appears
    /// twice or a year's dates are inconsistent (a date of another year, a date both holiday and workday).
    /// </summary>
    public static WorkingDayCalendar Create(IEnumerable<WorkingDayCalendarYear> years)
    {
        ArgumentNullException.ThrowIfNull(years);
        var sorted = years.OrderBy(y => y.Year).ToList();
        for (int i = 1; i < sorted.Count; i++)
        {
            if (sorted[i].Year == sorted[i - 1].Year)
                throw new CalendarFormatException($"The year {sorted[i].Year} appears twice in the working-day calendar; keep one calendar file per year.");
        }
        // The record can be built by hand, so check what ParseYear would have rejected.
        foreach (var year in sorted)
        {
            foreach (var date in year.Holidays.Keys.Concat(year.AdjustedWorkdays.Keys))
            {
                if (date.Year != year.Year)
                    throw new CalendarFormatException($"The calendar of {year.Year} lists {ChinaDates.Format(date)}, which is outside that year.");
            }
            foreach (var date in year.AdjustedWorkdays.Keys)
            {
                if (year.Holidays.ContainsKey(date))
                    throw new CalendarFormatException($"The calendar of {year.Year} lists {ChinaDates.Format(date)} both as a holiday and as a working day.");
            }
        }
        return new WorkingDayCalendar(sorted);
    }

    /// <summary>
    /// Whether <paramref name="date"/> is a working day. Throws <see cref="CalendarRangeException"/> for a year
    /// the calendar does not cover.
    /// </summary>
    public bool IsWorkingDay(DateOnly date) => DaysOf(date)[date.DayOfYear - 1];

    /// <summary>
    /// The <paramref name="days"/>-th working day after <paramref name="start"/>. The start itself is not counted,
    /// as Chinese time limits run from the next day (e.g. 5 working days from a Friday before National Day end
    /// after the holiday).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="days"/> is less than 1.</exception>
    /// <exception cref="CalendarRangeException">The count runs into a year the calendar does not cover.</exception>
    public DateOnly AddWorkingDays(DateOnly start, int days)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        var date = start;
        while (days > 0)
        {
            date = date.AddDays(1);
            if (IsWorkingDay(date)) days--;
        }
        return date;
    }

    /// <summary>The last working day strictly before <paramref name="date"/>.</summary>
    /// <exception cref="CalendarRangeException">The search runs into a year the calendar does not cover.</exception>
    public DateOnly PreviousWorkingDay(DateOnly date)
    {
        do date = date.AddDays(-1);
        while (!IsWorkingDay(date));
        return date;
    }

    /// <summary>
    /// The number of working days in (<paramref name="from"/>, <paramref name="to"/>]: <paramref name="from"/> excluded,
    /// <paramref name="to"/> included, matching <see cref="AddWorkingDays"/>. 0 when <paramref name="to"/> is not after <paramref name="from"/>.
    /// </summary>
    /// <exception cref="CalendarRangeException">A day of the interval is in a year the calendar does not cover.</exception>
    public int WorkingDaysBetween(DateOnly from, DateOnly to)
    {
        int count = 0;
        for (var date = from.AddDays(1); date <= to; date = date.AddDays(1))
        {
            if (IsWorkingDay(date)) count++;
        }
        return count;
    }

    /// <summary>
    /// The name of the holiday <paramref name="date"/> belongs to (e.g. "国庆节"), or null when it is not a listed holiday.
    /// Throws <see cref="CalendarRangeException"/> for a year the calendar does not cover, since null would claim "no holiday".
    /// </summary>
    public string? HolidayName(DateOnly date)
    {
        DaysOf(date);
        return _byYear[date.Year - _firstYear]!.Holidays.GetValueOrDefault(date);
    }

    private bool[] DaysOf(DateOnly date)
    {
        var index = date.Year - _firstYear;
        if ((uint)index < (uint)_working.Length && _working[index] is { } days) return days;
        throw NotCovered(date);
    }

    private CalendarRangeException NotCovered(DateOnly date)
    {
        var covered = Years.Count == 0 ? "no years" : string.Join(", ", Years.Select(y => y.Year.ToString(CultureInfo.InvariantCulture)));
        return new CalendarRangeException(
            $"The working-day calendar does not cover {ChinaDates.Format(date)}: it covers {covered}. " +
            $"Add a calendar file for {date.Year} ({date.Year}.calendar, from the State Council's holiday notice for that year).");
    }

    /// <summary>
    /// Parses one year's calendar file. <paramref name="origin"/> (usually the file name) prefixes every error.
    /// Throws <see cref="CalendarFormatException"/> naming the line and what is wrong.
    /// </summary>
    public static WorkingDayCalendarYear ParseYear(string text, string origin)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = Lines(text);

        // The year comes first so that dates can be checked against it wherever the line stands.
        int? year = null;
        int yearLine = 0;
        foreach (var (number, keyword, rest) in lines)
        {
            if (keyword != "year") continue;
            if (year is not null) throw Error(origin, number, $"a second 'year' line (the first is line {yearLine})");
            if (rest.Length != 4 || !rest.All(char.IsAsciiDigit) || int.Parse(rest, CultureInfo.InvariantCulture) is < 1900 or > 9998)
                throw Error(origin, number, $"'{rest}' is not a year (expected e.g. 'year 2026')");
            year = int.Parse(rest, CultureInfo.InvariantCulture);
            yearLine = number;
        }
        if (year is not { } y) throw new CalendarFormatException($"{origin}: missing the 'year' line (e.g. 'year 2026').");

        bool? provisional = null;
        string? source = null;
        var holidays = new Dictionary<DateOnly, string>();
        var workdays = new Dictionary<DateOnly, string>();
        var listedOn = new Dictionary<DateOnly, int>();

        void Add(Dictionary<DateOnly, string> into, DateOnly date, string name, int number)
        {
            if (listedOn.TryGetValue(date, out var first))
                throw Error(origin, number, $"{ChinaDates.Format(date)} is listed twice (also on line {first})");
            listedOn[date] = number;
            into[date] = name;
        }

        foreach (var (number, keyword, rest) in lines)
        {
            switch (keyword)
            {
                case "year":
                    break;
                case "status":
                    if (provisional is not null) throw Error(origin, number, "a second 'status' line");
                    provisional = rest switch
                    {
                        "official" => false,
                        "provisional" => true,
                        _ => throw Error(origin, number, $"unknown status '{rest}' (expected 'official' or 'provisional')"),
                    };
                    break;
                case "source":
                    if (source is not null) throw Error(origin, number, "a second 'source' line");
                    if (rest.Length == 0) throw Error(origin, number, "the 'source' line names no source");
                    source = rest;
                    break;
                case "holiday":
                {
                    var (dates, name) = SplitDateAndName(origin, number, keyword, rest);
                    var (from, to) = ParseRange(origin, number, dates, y);
                    for (var date = from; date <= to; date = date.AddDays(1)) Add(holidays, date, name, number);
                    break;
                }
                case "workday":
                {
                    var (dates, name) = SplitDateAndName(origin, number, keyword, rest);
                    if (dates.Contains("..", StringComparison.Ordinal))
                        throw Error(origin, number, "a 'workday' line takes one date, not a range");
                    var date = ParseDate(origin, number, dates, y);
                    if (date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
                        throw Error(origin, number, $"workday {ChinaDates.Format(date)} is a {date.DayOfWeek}, not a Saturday or Sunday (a 'workday' line marks an adjusted working day on a weekend)");
                    Add(workdays, date, name, number);
                    break;
                }
                default:
                    throw Error(origin, number, $"unknown keyword '{keyword}' (expected year, status, source, holiday or workday)");
            }
        }
        if (provisional is not { } p) throw new CalendarFormatException($"{origin}: missing the 'status' line ('status official' or 'status provisional').");
        if (source is null) throw new CalendarFormatException($"{origin}: missing the 'source' line (the notice the schedule comes from).");
        return new WorkingDayCalendarYear(y, p, source, holidays, workdays);
    }

    /// <summary>The meaningful lines: number, keyword and the rest, with comments and blank lines dropped.</summary>
    private static List<(int Number, string Keyword, string Argument)> Lines(string text)
    {
        var result = new List<(int, string, string)>();
        var raw = text.TrimStart('\uFEFF').Split('\n');
        for (int i = 0; i < raw.Length; i++)
        {
            var line = raw[i];
            var hash = line.IndexOf('#');
            if (hash >= 0) line = line[..hash];
            line = line.Trim();
            if (line.Length == 0) continue;
            var space = line.AsSpan().IndexOfAny(Whitespace);
            result.Add(space < 0 ? (i + 1, line, "") : (i + 1, line[..space], line[(space + 1)..].Trim()));
        }
        return result;
    }

    // ASCII blanks and the full-width space a Chinese editor may type.
    private static readonly char[] Whitespace = [' ', '\t', '\u3000'];

    private static (string Dates, string Name) SplitDateAndName(string origin, int number, string keyword, string rest)
    {
        var space = rest.AsSpan().IndexOfAny(Whitespace);
        if (rest.Length == 0) throw Error(origin, number, $"the '{keyword}' line has no date");
        if (space < 0) throw Error(origin, number, $"the '{keyword}' line has no name after the date (e.g. '{keyword} 2026-10-01 国庆节')");
        return (rest[..space], rest[(space + 1)..].Trim());
    }

    private static (DateOnly From, DateOnly To) ParseRange(string origin, int number, string dates, int year)
    {
        var dots = dates.IndexOf("..", StringComparison.Ordinal);
        if (dots < 0)
        {
            var single = ParseDate(origin, number, dates, year);
            return (single, single);
        }
        var from = ParseDate(origin, number, dates[..dots], year);
        var to = ParseDate(origin, number, dates[(dots + 2)..], year);
        if (to < from) throw Error(origin, number, $"the range ends ({ChinaDates.Format(to)}) before it starts ({ChinaDates.Format(from)})");
        return (from, to);
    }

    private static DateOnly ParseDate(string origin, int number, string text, int year)
    {
        if (ChinaDates.ParseCanonical(text) is not { } date)
            throw Error(origin, number, $"'{text}' is not a date (expected YYYY-MM-DD)");
        if (date.Year != year)
            throw Error(origin, number, $"{ChinaDates.Format(date)} is outside the year {year}");
        return date;
    }

    private static CalendarFormatException Error(string origin, int number, string what) => new($"{origin} line {number}: {what}.");

    private static WorkingDayCalendar LoadShipped()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var years = new List<WorkingDayCalendarYear>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(ResourceSuffix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            years.Add(ParseYear(reader.ReadToEnd(), name[ResourcePrefix.Length..]));
        }
        if (years.Count == 0) throw new InvalidOperationException("The embedded calendar files are missing from the assembly.");
        return Create(years);
    }
}

/// <summary>
/// One year of the working-day calendar, as parsed from its file.
/// </summary>
/// <param name="Year">The calendar year.</param>
/// <param name="Provisional">True while the State Council notice for the year is not yet published and only the statutory holidays are known.</param>
/// <param name="Source">The notice (or law) the schedule comes from.</param>
/// <param name="Holidays">Every day off by the notice, date → holiday name (e.g. "春节").</param>
/// <param name="AdjustedWorkdays">Saturdays and Sundays that are working days (调休), date → reason.</param>
public sealed record WorkingDayCalendarYear(int Year, bool Provisional, string Source, IReadOnlyDictionary<DateOnly, string> Holidays, IReadOnlyDictionary<DateOnly, string> AdjustedWorkdays);

/// <summary>A calendar file (or set of files) that cannot be used; the message names the file, the line and the fault.</summary>
public sealed class CalendarFormatException(string message) : FormatException(message);

/// <summary>A date in a year no calendar file covers; the message names the date, the covered years and the fix.</summary>
public sealed class CalendarRangeException(string message) : InvalidOperationException(message);
