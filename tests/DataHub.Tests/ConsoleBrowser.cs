using System.Diagnostics;
using Microsoft.Playwright;

namespace DataHub.Tests;

/// <summary>
/// Debian's headless Chromium for the console's browser tests, and signing in through the sign-in page. A
/// sign-in that does not leave the page in time fails with what was going on: the page's requests with
/// their timings, its console errors, the machine's load and busiest processes, and the test process's
/// thread pool — CI runs have seen a rare stall that a screenshot alone did not explain.
/// </summary>
internal static class ConsoleBrowser
{
    public const string Chromium = "/usr/bin/chromium";

    public static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run the README's test command (bash ops/test.sh), which installs Debian chromium.");
        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A new 1366×768 zh-CN page of its own context (cookies) on <paramref name="address"/>.</summary>
    public static async Task<IPage> NewPageAsync(IBrowser browser, Uri address)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1366, Height = 768 },
            BaseURL = address.ToString(),
            AcceptDownloads = true,
            Locale = "zh-CN",
        });
        return await context.NewPageAsync();
    }

    /// <summary>
    /// Signs in with <paramref name="apiKey"/> on a new page and returns it once the console's next page has
    /// committed; <paramref name="shots"/> keeps a screenshot of a page that stayed.
    /// </summary>
    public static async Task<IPage> SignInAsync(IBrowser browser, Uri address, string apiKey, string shots, string who)
    {
        var page = await NewPageAsync(browser, address);
        var clock = Stopwatch.StartNew();
        var events = new List<string>();
        void Note(string what) { lock (events) events.Add($"{clock.ElapsedMilliseconds,6} ms {what}"); }
        page.Request += (_, r) => Note($"→ {r.Method} {r.Url}");
        page.RequestFinished += (_, r) => Note($"← {r.Method} {r.Url}");
        page.RequestFailed += (_, r) => Note($"✗ {r.Method} {r.Url}: {r.Failure}");
        page.FrameNavigated += (_, f) => { if (f == page.MainFrame) Note($"navigated to {f.Url}"); };
        page.Console += (_, m) => { if (m.Type is "error" or "warning") Note($"console {m.Type}: {m.Text}"); };
        page.PageError += (_, e) => Note($"page error: {e}");

        static bool Left(string url) => !url.Contains("index.html", StringComparison.Ordinal) && url.Contains("/console/", StringComparison.Ordinal);
        // Network idle: the page's module has loaded and checked the session, so the form is wired.
        await page.GotoAsync("/", new PageGotoOptions { WaitUntil = WaitUntilState.NetworkIdle });
        await page.FillAsync("#apiKey", apiKey);
        Note("click");
        await page.ClickAsync("#signIn");
        // Readers land on the search page, operators on the adapters page.
        await WaitForUrlAsync(page, Left, "the console's next page", TimeSpan.FromSeconds(60), async () =>
        {
            try
            {
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, $"signin-stalled-{who}.png"), FullPage = true, Timeout = 5_000 });
            }
            catch (PlaywrightException e) { Note($"no screenshot: {e.Message}"); }
            string[] log;
            lock (events) log = [.. events];
            return $"Signing in as {who} did not leave the sign-in page within 60 s; it is at {page.Url}.\n{string.Join('\n', log)}\n{MachineState()}";
        });
        return page;
    }

    /// <summary>
    /// Waits until <paramref name="page"/>'s URL contains <paramref name="part"/>: a click or a key press that
    /// navigates is followed by this, not by WaitForURLAsync — see <see cref="WaitForUrlAsync(IPage, Func{string, bool}, string, TimeSpan, Func{Task{string}}?)"/>.
    /// </summary>
    public static Task WaitForUrlAsync(IPage page, string part) =>
        WaitForUrlAsync(page, url => url.Contains(part, StringComparison.Ordinal), $"a URL with \"{part}\"", TimeSpan.FromSeconds(60));

    /// <summary>
    /// Polls the page's URL until <paramref name="arrived"/>. WaitForURLAsync is not used: when the navigation
    /// commits before that call looks, Playwright waits for the new page's load event instead, and CI runs
    /// (at sign-in, and on the tasks page) sat out the whole timeout that way on a page that had long arrived.
    /// Every next step waits for the element it needs anyway. <paramref name="explain"/> says why it stalled.
    /// </summary>
    public static async Task WaitForUrlAsync(IPage page, Func<string, bool> arrived, string what, TimeSpan within, Func<Task<string>>? explain = null)
    {
        var deadline = DateTime.UtcNow + within;
        while (!arrived(page.Url))
        {
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException(explain is null
                    ? $"The page did not reach {what} within {within.TotalSeconds:0} s; it is at {page.Url}."
                    : await explain());
            await Task.Delay(50);
        }
    }

    /// <summary>Load, the busiest processes and this process's thread pool: is the machine, the hub or the browser slow?</summary>
    private static string MachineState()
    {
        ThreadPool.GetMinThreads(out var minWorkers, out _);
        var state = $"load average: {File.ReadAllText("/proc/loadavg").Trim()}\n" +
            $"thread pool: {ThreadPool.ThreadCount} threads (min {minWorkers}), {ThreadPool.PendingWorkItemCount} work items waiting\n";
        try
        {
            using var ps = Process.Start(new ProcessStartInfo("ps", "-eo pid,pcpu,rss,etime,args --sort=-pcpu") { RedirectStandardOutput = true })!;
            var lines = ps.StandardOutput.ReadToEnd().Split('\n').Take(9).Select(l => l.Length > 160 ? l[..160] : l);
            ps.WaitForExit();
            state += string.Join('\n', lines);
        }
        catch (System.ComponentModel.Win32Exception e) { state += $"(ps: {e.Message})"; }
        return state;
    }
}
