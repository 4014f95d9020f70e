using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Spectre.Console;

namespace DataHub.Cli;

/// <summary>Results go to stdout as JSON (Chinese kept readable); progress goes to stderr.</summary>
internal static class CliOutput
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static readonly JsonSerializerOptions JsonLine = new(Json) { WriteIndented = false };

    private static readonly JsonFormatter Protobuf = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true));

    public static void WriteJson(object value, bool indented = true) =>
        Console.Out.WriteLine(JsonSerializer.Serialize(value, indented ? Json : JsonLine));

    public static void WriteMessage(IMessage message) =>
        Console.Out.WriteLine(JsonNode.Parse(Protobuf.Format(message))!.ToJsonString(Json));

    public static void Error(string message) => Console.Error.WriteLine("error: " + message);

    /// <summary>
    /// Runs long work with a progress bar on an interactive terminal, or a log line every two seconds
    /// when stderr is redirected (CI, files), so operators always see counts moving.
    /// </summary>
    public static async Task<T> WithProgressAsync<T>(string title, double total, Func<Action<double, string>, Task<T>> work)
    {
        if (!Console.IsErrorRedirected)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            return await console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(title, maxValue: Math.Max(total, 1));
                    var result = await work((value, detail) =>
                    {
                        task.Value = Math.Min(value, task.MaxValue);
                        task.Description = $"{title} {Markup.Escape(detail)}";
                    });
                    task.Value = task.MaxValue;
                    return result;
                });
        }
        var clock = Stopwatch.StartNew();
        var last = TimeSpan.Zero;
        var outcome = await work((value, detail) =>
        {
            if (clock.Elapsed - last < TimeSpan.FromSeconds(2)) return;
            last = clock.Elapsed;
            Console.Error.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] {title} {value / Math.Max(total, 1):P0} {detail}");
        });
        Console.Error.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] {title} done");
        return outcome;
    }
}
