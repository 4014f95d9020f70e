using DataHub.Cli;

return await DataHubCli.Build().Parse(args).InvokeAsync();
