using System.Diagnostics;
using System.Globalization;

namespace DataHub.Cli;

/// <summary>
/// This program started again for a part of a benchmark that must not share the measuring process: the mock
/// brokers (their messages would count in its memory), the baselines, and the ingest benchmark's store-alone figure
/// (which holds a whole store's records and profiles in memory). A child runs under the workstation
/// collector whatever the hub uses: a baseline is one thread in a tight loop, which reads fastest with a small
/// young generation that stays in the processor's cache (the raw Kafka consumer ran about a quarter slower under
/// the server collector), and the limit a benchmark compares against is the fastest the raw path goes here.
/// </summary>
internal static class BenchChild
{
    /// <summary>For a benchmark's header: where its baseline runs.</summary>
    public const string BaselineNote = "baseline in a child process, workstation GC";

    public static Process Start(IEnumerable<string> arguments)
    {
        // The `datahub` apphost starts itself; otherwise (`dotnet datahub.dll`, or a test host that loaded it) the muxer runs the assembly.
        var self = Environment.ProcessPath;
        bool apphost = self is not null && Path.GetFileNameWithoutExtension(self) == Path.GetFileNameWithoutExtension(typeof(BenchChild).Assembly.Location);
        var program = apphost ? self! : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
            : self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        var info = new ProcessStartInfo(program) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (!apphost) info.ArgumentList.Add(typeof(BenchChild).Assembly.Location);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["DOTNET_gcServer"] = "0";
        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program} for the benchmark.");
    }

    /// <summary>Runs a measured part (a baseline, the store alone) in a child to its end; it prints its elapsed seconds as its last line.</summary>
    public static async Task<TimeSpan> MeasureAsync(IEnumerable<string> arguments, CancellationToken ct)
    {
        using var process = Start(arguments);
        process.StandardInput.Close();
        string output;
        try
        {
            output = (await process.StandardOutput.ReadToEndAsync(ct)).Trim();
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            // Stopped (Ctrl+C): the child stops with it rather than finishing its baseline alone.
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
        var last = output.Split('\n')[^1];
        if (process.ExitCode != 0 || !double.TryParse(last, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            throw new InvalidOperationException($"The benchmark's child process ({string.Join(' ', arguments.Take(2))}) failed (exit code {process.ExitCode}); its output: {output}");
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>What a measuring child prints: its elapsed seconds, for <see cref="MeasureAsync"/>.</summary>
    public static void Report(TimeSpan elapsed) => Console.Out.WriteLine(elapsed.TotalSeconds.ToString("R", CultureInfo.InvariantCulture));
}
