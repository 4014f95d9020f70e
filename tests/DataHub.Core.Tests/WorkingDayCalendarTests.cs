using DataHub.Core.Calendar;
using DataHub.Core.Records;

namespace DataHub.Core.Tests;

public class WorkingDayCalendarTests
{
    private static readonly WorkingDayCalendar Calendar = WorkingDayCalendar.Shipped;

    private static DateOnly D(string text) => ChinaDates.ParseCanonical(text) ?? throw new ArgumentException(text);

    [Theory]
    [InlineData("2026-02-13", true)]  // Friday before the Spring Festival
    [InlineData("2026-02-14", true)]  // Saturday, 调休
    [InlineData("2026-02-15", false)]
    [InlineData("2026-02-17", false)] // 正月初一
    [InlineData("2026-02-23", false)] // Monday, still off
    [InlineData("2026-02-24", true)]
    [InlineData("2026-02-28", true)]  // Saturday, 调休
    [InlineData("2026-03-01", false)] // an ordinary Sunday
    public void The_Spring_Festival_2026_has_its_days_off_and_adjusted_Saturdays(string date, bool working) =>
        Assert.Equal(working, Calendar.IsWorkingDay(D(date)));

    [Theory]
    [InlineData("2026-09-20", true)]  // Sunday, 调休
    [InlineData("2026-09-30", true)]
    [InlineData("2026-10-01", false)]
    [InlineData("2026-10-05", false)]
    [InlineData("2026-10-07", false)]
    [InlineData("2026-10-08", true)]
    [InlineData("2026-10-10", true)]  // Saturday, 调休
    [InlineData("2026-10-11", false)]
    public void National_Day_2026_has_its_days_off_and_adjusted_weekend_days(string date, bool working) =>
        Assert.Equal(working, Calendar.IsWorkingDay(D(date)));

    [Fact]
    public void New_Year_2026_is_off_and_the_Sunday_after_is_a_working_day()
    {
        Assert.False(Calendar.IsWorkingDay(D("2026-01-01")));
        Assert.False(Calendar.IsWorkingDay(D("2026-01-02")));
        Assert.False(Calendar.IsWorkingDay(D("2026-01-03")));
        Assert.Equal(DayOfWeek.Sunday, D("2026-01-04").DayOfWeek);
        Assert.True(Calendar.IsWorkingDay(D("2026-01-04")));
    }

    [Fact]
    public void A_normal_week_has_five_working_days()
    {
        // 2026-03-09 is a Monday with no holiday in the week.
        Assert.Equal(5, Calendar.WorkingDaysBetween(D("2026-03-08"), D("2026-03-15")));
        Assert.False(Calendar.IsWorkingDay(D("2026-03-14")));
        Assert.False(Calendar.IsWorkingDay(D("2026-03-15")));
    }

    [Theory]
    [InlineData("2026-09-30", 1, "2026-10-08")]
    [InlineData("2026-02-13", 1, "2026-02-14")]
    [InlineData("2026-02-14", 1, "2026-02-24")]
    [InlineData("2026-02-13", 2, "2026-02-24")]
    [InlineData("2026-12-31", 1, "2027-01-04")] // crosses into the 2027 file: 01-01 holiday, 01-02/03 weekend
    [InlineData("2026-03-09", 5, "2026-03-16")]
    public void Adding_working_days_skips_holidays_and_counts_adjusted_days(string start, int days, string expected) =>
        Assert.Equal(D(expected), Calendar.AddWorkingDays(D(start), days));

    [Fact]
    public void Five_working_days_from_the_Thursday_before_Mid_Autumn_skip_Mid_Autumn_and_National_Day()
    {
        // 2026-09-25..27 is 中秋节; then Mon 09-28 to Wed 09-30 (3), 10-01..07 off, Thu 10-08 (4), Fri 10-09 (5).
        Assert.Equal(D("2026-10-09"), Calendar.AddWorkingDays(D("2026-09-24"), 5));
        // Ten days reach the adjusted Saturday 10-10 (6) and the week after: 10-12..10-15 (7..10).
        Assert.Equal(D("2026-10-15"), Calendar.AddWorkingDays(D("2026-09-24"), 10));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Adding_fewer_than_one_working_day_is_rejected(int days) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Calendar.AddWorkingDays(D("2026-03-09"), days));

    [Theory]
    [InlineData("2026-10-08", "2026-09-30")]
    [InlineData("2026-02-24", "2026-02-14")]
    [InlineData("2026-03-10", "2026-03-09")]
    [InlineData("2027-01-04", "2026-12-31")]
    public void The_previous_working_day_skips_holidays_and_weekends(string date, string expected) =>
        Assert.Equal(D(expected), Calendar.PreviousWorkingDay(D(date)));

    [Fact]
    public void Working_days_between_count_the_end_but_not_the_start()
    {
        Assert.Equal(1, Calendar.WorkingDaysBetween(D("2026-09-30"), D("2026-10-08")));
        Assert.Equal(2, Calendar.WorkingDaysBetween(D("2026-09-29"), D("2026-10-08")));
        Assert.Equal(0, Calendar.WorkingDaysBetween(D("2026-10-01"), D("2026-10-07")));
        Assert.Equal(0, Calendar.WorkingDaysBetween(D("2026-10-08"), D("2026-10-08")));
        Assert.Equal(0, Calendar.WorkingDaysBetween(D("2026-10-08"), D("2026-09-30")));
        // Consistent with AddWorkingDays: n working days after a date end n working days later.
        Assert.Equal(7, Calendar.WorkingDaysBetween(D("2026-02-10"), Calendar.AddWorkingDays(D("2026-02-10"), 7)));
    }

    [Fact]
    public void Holidays_have_names_and_other_days_do_not()
    {
        Assert.Equal("春节", Calendar.HolidayName(D("2026-02-17")));
        Assert.Equal("国庆节", Calendar.HolidayName(D("2026-10-01")));
        Assert.Equal("中秋节", Calendar.HolidayName(D("2027-09-15")));
        Assert.Null(Calendar.HolidayName(D("2026-10-10")));
        Assert.Null(Calendar.HolidayName(D("2026-03-14")));
    }

    [Fact]
    public void An_instant_late_on_September_30_UTC_is_already_National_Day_in_China()
    {
        var instant = new DateTimeOffset(2026, 9, 30, 16, 30, 0, TimeSpan.Zero);
        Assert.False(Calendar.IsWorkingDay(ChinaDates.DateOf(instant)));
    }

    [Fact]
    public void A_year_not_covered_throws_naming_the_covered_years()
    {
        var e = Assert.Throws<CalendarRangeException>(() => Calendar.IsWorkingDay(D("2028-03-01")));
        Assert.Contains("2028-03-01", e.Message);
        Assert.Contains("2026, 2027", e.Message);
        Assert.Contains("calendar file", e.Message);
        Assert.Throws<CalendarRangeException>(() => Calendar.IsWorkingDay(D("2025-12-31")));
        Assert.Throws<CalendarRangeException>(() => Calendar.HolidayName(D("2025-10-01")));
        // Before 2026-01-04 come the New Year holiday and then 2025, which no file covers.
        Assert.Throws<CalendarRangeException>(() => Calendar.PreviousWorkingDay(D("2026-01-04")));
        // 2027-12-31 is a Friday; the next working day is in 2028.
        Assert.Throws<CalendarRangeException>(() => Calendar.AddWorkingDays(D("2027-12-31"), 1));
    }

    [Fact]
    public void A_gap_between_covered_years_is_not_covered()
    {
        var calendar = WorkingDayCalendar.Create([Year(2026), Year(2028)]);
        var e = Assert.Throws<CalendarRangeException>(() => calendar.IsWorkingDay(D("2027-06-01")));
        Assert.Contains("2026, 2028", e.Message);
    }

    [Fact]
    public void The_shipped_2026_file_is_official_with_33_holidays_and_6_adjusted_working_days()
    {
        var y2026 = Assert.Single(Calendar.Years, y => y.Year == 2026);
        Assert.False(y2026.Provisional);
        Assert.Contains("2026", y2026.Source);
        // 元旦 3 + 春节 9 + 清明 3 + 劳动节 5 + 端午 3 + 中秋 3 + 国庆 7
        Assert.Equal(33, y2026.Holidays.Count);
        Assert.Equal(
            new[] { "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10" }.Select(D),
            y2026.AdjustedWorkdays.Keys.Order());
    }

    [Fact]
    public void The_shipped_2027_file_is_provisional_with_only_the_statutory_holidays()
    {
        var y2027 = Assert.Single(Calendar.Years, y => y.Year == 2027);
        Assert.True(y2027.Provisional);
        // 元旦 1 + 春节 4 + 清明 1 + 劳动节 2 + 端午 1 + 中秋 1 + 国庆 3
        Assert.Equal(13, y2027.Holidays.Count);
        Assert.Empty(y2027.AdjustedWorkdays);
        Assert.Equal([2026, 2027], Calendar.Years.Select(y => y.Year));
    }

    private const string Header = "year 2026\nstatus official\nsource test\n";

    [Fact]
    public void A_minimal_file_parses_with_comments_ranges_and_workdays()
    {
        var year = WorkingDayCalendar.ParseYear(
            "# a comment\r\n\r\nyear 2026   # trailing comment\r\nstatus provisional\r\nsource 通知\r\nholiday 2026-10-01..2026-10-03 国庆节\r\nworkday 2026-10-10 国庆节调休上班\r\n",
            "test.calendar");
        Assert.Equal(2026, year.Year);
        Assert.True(year.Provisional);
        Assert.Equal("通知", year.Source);
        Assert.Equal(3, year.Holidays.Count);
        Assert.Equal("国庆节", year.Holidays[D("2026-10-02")]);
        Assert.Equal("国庆节调休上班", year.AdjustedWorkdays[D("2026-10-10")]);
    }

    [Theory]
    [InlineData(Header + "holiday 2026-02-30 春节", "line 4", "'2026-02-30' is not a date")]
    [InlineData(Header + "holiday 2026/10/01 国庆节", "line 4", "'2026/10/01' is not a date")]
    [InlineData(Header + "holiday 2025-12-31 元旦", "line 4", "outside the year 2026")]
    [InlineData(Header + "holiday 2026-12-31..2027-01-01 元旦", "line 4", "2027-01-01 is outside the year 2026")]
    [InlineData(Header + "holiday 2026-10-07..2026-10-01 国庆节", "line 4", "the range ends (2026-10-01) before it starts (2026-10-07)")]
    [InlineData(Header + "\nworkday 2026-10-09 调休", "line 5", "is a Friday, not a Saturday or Sunday")]
    [InlineData(Header + "workday 2026-10-10..2026-10-11 调休", "line 4", "one date, not a range")]
    [InlineData(Header + "holiday 2026-10-01..2026-10-07 国庆节\nholiday 2026-10-07 国庆节", "line 5", "2026-10-07 is listed twice (also on line 4)")]
    [InlineData(Header + "holiday 2026-10-01..2026-10-07 国庆节\nworkday 2026-10-03 调休", "line 5", "2026-10-03 is listed twice (also on line 4)")]
    [InlineData(Header + "holliday 2026-10-01 国庆节", "line 4", "unknown keyword 'holliday'")]
    [InlineData(Header + "holiday 2026-10-01", "line 4", "no name")]
    [InlineData("year 2026\nstatus maybe\nsource test", "line 2", "unknown status 'maybe'")]
    [InlineData("year 20x6\nstatus official\nsource test", "line 1", "'20x6' is not a year")]
    [InlineData(Header + "year 2027", "line 4", "a second 'year' line (the first is line 1)")]
    [InlineData("status official\nsource test\nholiday 2026-10-01 国庆节", "test.calendar:", "missing the 'year' line")]
    [InlineData("year 2026\nsource test\nholiday 2026-10-01 国庆节", "test.calendar:", "missing the 'status' line")]
    [InlineData("year 2026\nstatus official\nholiday 2026-10-01 国庆节", "test.calendar:", "missing the 'source' line")]
    public void Format_errors_name_the_file_the_line_and_the_fault(string text, string where, string what)
    {
        var e = Assert.Throws<CalendarFormatException>(() => WorkingDayCalendar.ParseYear(text, "test.calendar"));
        Assert.StartsWith("test.calendar", e.Message);
        Assert.Contains(where, e.Message);
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void A_year_given_twice_is_rejected()
    {
        var e = Assert.Throws<CalendarFormatException>(() => WorkingDayCalendar.Create([Year(2026), Year(2026)]));
        Assert.Contains("2026 appears twice", e.Message);
    }

    [Fact]
    public void Without_holidays_a_year_follows_the_week()
    {
        var calendar = WorkingDayCalendar.Create([Year(2026)]);
        Assert.True(calendar.IsWorkingDay(D("2026-10-01")));
        Assert.Equal(261, calendar.WorkingDaysBetween(D("2025-12-31"), D("2026-12-31")));
    }

    private static WorkingDayCalendarYear Year(int year) =>
        WorkingDayCalendar.ParseYear($"year {year}\nstatus official\nsource test\n", $"{year}.calendar");
}
