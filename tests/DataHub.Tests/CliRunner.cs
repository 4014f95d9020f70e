using DataHub.Cli;

namespace DataHub.Tests;

/// <summary>Runs `datahub` commands in-process against a data folder, capturing standard output.</summary>
internal static class CliRunner
{
    public static async Task<(int Exit, string Out)> RunAsync(string dataDirectory, params string[] args)
    {
        var previous = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(captured);
        try
        {
            int exit = await DataHubCli.Build().Parse([.. args, "--data", dataDirectory]).InvokeAsync();
            return (exit, captured.ToString());
        }
        finally
        {
            Console.SetOut(previous);
        }
    }
}
