using DataHub;
using DataHub.Cli;

// Before any database opens (SQLite takes process-wide settings only before it initializes).
if (!DataHub.Embedded.SqliteRuntime.Configure()) CliOutput.Error("warning: SQLite was initialized before its settings could be applied; running with its defaults.");
try
{
    return await DataHubCli.Build().Parse(args).InvokeAsync();
}
catch (HubConfigurationException e)
{
    CliOutput.Error("configuration: " + e.Message);
    return 2;
}
