using System.Text;
using Microsoft.Playwright;

namespace DataHub.Tests;

/// <summary>
/// The console in headless Chromium (Debian's, at 1366×768) against the served hub: sign in, search by
/// name fragment and by USCC, open a profile, look at an earlier date, export CSV, replay a quarantined
/// record; labels and keyboard use checked; screenshots kept in artifacts/screenshots.
/// </summary>
[Collection("console")]
public sealed class ConsoleBrowserTests : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private ServedHub _served = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private readonly string _shots = Path.Combine(GrpcInteropTests.RepositoryRoot(), "artifacts", "screenshots");

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run the README's test command (bash ops/test.sh), which installs Debian chromium.");
        _served = await ServedHub.StartAsync(enterprises: 60, seed: 71);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        Directory.CreateDirectory(_shots);
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _served.DisposeAsync();
    }

    private async Task<IPage> SignInAsync(string agency)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1366, Height = 768 },
            BaseURL = _served.HttpAddress.ToString(),
            AcceptDownloads = true,
            Locale = "zh-CN",
        });
        var page = await context.NewPageAsync();
        // Network idle: the page's module has loaded and checked the session, so the form is wired.
        await page.GotoAsync("/", new PageGotoOptions { WaitUntil = WaitUntilState.NetworkIdle });
        await page.FillAsync("#apiKey", _served.Keys[agency]);
        await page.ClickAsync("#signIn");
        // Readers land on the search page, operators on the adapters page.
        await page.WaitForURLAsync(url => !url.Contains("index.html", StringComparison.Ordinal) && url.Contains("/console/", StringComparison.Ordinal));
        return page;
    }

    private async Task ShotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(_shots, name + ".png"), FullPage = true });

    /// <summary>Every form control has a label (or an aria-label): what a screen reader announces.</summary>
    private static async Task AssertLabelledAsync(IPage page)
    {
        var unlabelled = await page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('input:not([type=hidden]),select,textarea')].filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby')).map(e => e.id || e.name || e.outerHTML.slice(0, 60))");
        Assert.True(unlabelled.Length == 0, $"{page.Url}: controls without a label: {string.Join(", ", unlabelled)}");
    }

    [Fact]
    public async Task A_regulator_signs_in_searches_by_name_and_by_code_opens_a_profile_and_looks_at_an_earlier_date()
    {
        var store = _served.Hub.Store;
        var profile = store.GetProfile(store.EnterprisesWithProfiles()[5])!;
        var page = await SignInAsync("regulator");
        await AssertLabelledAsync(page);

        // Name fragment, submitted with the keyboard.
        var fragment = profile.Name.Substring(2, 3);
        await page.FocusAsync("#q");
        await page.Keyboard.TypeAsync(fragment);
        await page.Keyboard.PressAsync("Enter");
        var row = page.Locator($"#results tr.hit[data-uscc='{profile.Uscc}']");
        await row.WaitForAsync();
        Assert.Equal(fragment, await row.Locator("mark").First.InnerTextAsync());
        Assert.Contains("共", await page.InnerTextAsync("#resultCount"));
        await ShotAsync(page, "search-by-name");

        // USCC prefix in lower case.
        await page.FillAsync("#q", profile.Uscc[..12].ToLowerInvariant());
        await page.ClickAsync("#searchButton");
        await page.Locator($"#results tr.hit[data-uscc='{profile.Uscc}']").WaitForAsync();

        // Keyboard: the result row takes focus and Enter opens the profile.
        await page.FocusAsync($"#results tr.hit[data-uscc='{profile.Uscc}']");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/profile.html?**");
        await page.Locator("#profileName").WaitForAsync();
        Assert.Equal(profile.Name, (await page.InnerTextAsync("#profileName")).Trim());
        Assert.Contains(profile.Uscc, await page.InnerTextAsync("#profileUscc"));
        Assert.Equal(1, await page.Locator("svg#complaintTrend").CountAsync());
        await AssertLabelledAsync(page);
        await ShotAsync(page, "profile");

        // An earlier date: the profile as it stood then.
        await page.FillAsync("#asOf", profile.Identity.EstablishedOn);
        await page.Locator("#asOf").PressAsync("Enter");
        await page.WaitForURLAsync($"**asOf={profile.Identity.EstablishedOn}**");
        await page.Locator("#profileName").WaitForAsync();
        Assert.Equal(profile.Identity.EstablishedOn, await page.InputValueAsync("#asOf"));
        await ShotAsync(page, "profile-as-of");

        // A lineage link opens the source record's versions.
        await page.Locator("a.lineage").First.ClickAsync();
        await page.WaitForURLAsync("**/record.html?**");
        await page.Locator("#versions section").First.WaitForAsync();
    }

    [Fact]
    public async Task Search_results_export_as_csv_with_a_bom()
    {
        var page = await SignInAsync("reader");
        await page.FillAsync("#q", "有限公司");
        await page.ClickAsync("#searchButton");
        await page.Locator("#results tr.hit").First.WaitForAsync();
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#exportCsv"));
        var path = Path.Combine(_shots, "export.csv");
        await download.SaveAsAsync(path);
        var bytes = await File.ReadAllBytesAsync(path);
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var shown = long.Parse(new string((await page.InnerTextAsync("#resultCount")).Where(char.IsAsciiDigit).ToArray()), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(shown > 1, "the search should find several enterprises");
        Assert.Equal(shown, lines.Length - 1);
    }

    [Fact]
    public async Task An_admin_replays_a_quarantined_record_and_sees_the_adapters()
    {
        var page = await SignInAsync("admin");
        await page.GotoAsync("/console/adapters.html");
        // The table refreshes every 5 s; wait for a rendering that lists the adapters.
        await page.Locator("#adapters", new PageLocatorOptions { HasText = "market-supervision/penalties" }).WaitForAsync();
        await AssertLabelledAsync(page);
        await ShotAsync(page, "adapters");

        var waiting = _served.Hub.Store.Stats().Quarantined;
        Assert.True(waiting > 0, "the synthetic data quarantines some rows");
        await page.GotoAsync("/console/quarantine.html");
        var firstRow = page.Locator("#quarantine tbody input[type=checkbox]").First;
        await firstRow.WaitForAsync();
        await AssertLabelledAsync(page);
        await firstRow.CheckAsync();
        await page.ClickAsync("#replaySelected");
        await page.Locator("#replayResult").Filter(new LocatorFilterOptions { HasTextRegex = new System.Text.RegularExpressions.Regex("重新处理 1 条") }).WaitForAsync();
        await ShotAsync(page, "quarantine-replayed");
        Assert.Contains(_served.Hub.Store.ListQuarantine(true, 1000), e => e.ReplayAttempts > 0 || e.ReplayedAt is not null);
    }
}
