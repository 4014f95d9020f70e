using DataHub;
using DataHub.Cli;

try
{
    return await DataHubCli.Build().Parse(args).InvokeAsync();
}
catch (HubConfigurationException e)
{
    CliOutput.Error("configuration: " + e.Message);
    return 2;
}
