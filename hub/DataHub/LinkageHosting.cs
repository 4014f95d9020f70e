using System.Globalization;
using System.Text;
using DataHub.Core.Audit;
using DataHub.Core.Linkage;
using DataHub.Core.Workflows;
using DataHub.Embedded;
using DataHub.Schema.V1;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DataHub;

/// <summary>Settings of approval-regulation linkage (DataHub:Linkage).</summary>
internal sealed record LinkageOptions
{
    /// <summary>The linkage catalogue (CSV) read the first time the hub starts (later edits are kept in workflow.db).</summary>
    public string CataloguePath { get; init; } = Path.Combine(AppContext.BaseDirectory, "catalogues", "linkage.csv");

    /// <summary>How often the record log is followed for completed approvals and the task deadlines are looked at.</summary>
    public double FollowSeconds { get; init; } = 5;

    /// <summary>The approval agency's id: it relays commitment reminders to applicants and hears of failed commitments.</summary>
    public string ApprovalAgency { get; init; } = "city-approval";

    public static LinkageOptions Load(IConfigurationSection section)
    {
        var options = new LinkageOptions
        {
            CataloguePath = section["CataloguePath"] ?? new LinkageOptions().CataloguePath,
            FollowSeconds = section.GetValue("FollowSeconds", 5.0),
            ApprovalAgency = section["ApprovalAgency"] ?? "city-approval",
        };
        if (options.FollowSeconds is < 0.1 or > 3600)
            throw new HubConfigurationException($"DataHub:Linkage:FollowSeconds is {options.FollowSeconds}; use 0.1 to 3600.");
        return options;
    }
}

/// <summary>Composition of the linkage: catalogue, store, the log follower and deadline service, metrics.</summary>
internal static partial class LinkageHosting
{
    public static LinkageWorkflow OpenWorkflow(Hub hub, SqliteLinkageStore store, IAuditLog audit, Core.Pulls.ILicenceLibrary licences, INotifier notifier,
        Core.Calendar.WorkingDayCalendar calendar, string coordinationOffice, TimeProvider time)
    {
        var path = hub.Options.Linkage.CataloguePath;
        if (store.LatestCatalogue() is null && !File.Exists(path))
            throw new HubConfigurationException($"DataHub:Linkage:CataloguePath '{path}' does not exist; the hub needs a linkage catalogue the first time it starts.");
        var csv = store.LatestCatalogue() is null ? File.ReadAllText(path) : "";
        return LinkageWorkflow.Open(store, hub.Store, hub.Intake, licences, notifier, hub.Bus, audit, calendar, time,
            new LinkageAgencies(coordinationOffice, hub.Options.Linkage.ApprovalAgency), csv, path);
    }

    /// <summary>Tasks in Prometheus text format, for /metrics.</summary>
    public static void WritePrometheus(StringBuilder text, ILinkageStore store)
    {
        var (byState, overdue) = store.Counts();
        text.Append("# HELP datahub_linkage_tasks Regulatory tasks by state.\n# TYPE datahub_linkage_tasks gauge\n");
        foreach (var state in Enum.GetValues<TaskState>().Where(s => s != TaskState.Unspecified))
            text.Append(CultureInfo.InvariantCulture, $"datahub_linkage_tasks{{state=\"{state}\"}} {byState.GetValueOrDefault(state)}\n");
        text.Append("# HELP datahub_linkage_tasks_view_overdue Tasks not viewed by their due date.\n# TYPE datahub_linkage_tasks_view_overdue gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"datahub_linkage_tasks_view_overdue {overdue}\n");
        text.Append("# HELP datahub_linkage_unmatched_approvals Completed approvals no catalogue row matches.\n# TYPE datahub_linkage_unmatched_approvals gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"datahub_linkage_unmatched_approvals {store.Unmatched(0).Total}\n");
        text.Append("# HELP datahub_publicity_overdue_alerts 双公示 permits and penalties alerted as undelivered 7 working days after their decision.\n# TYPE datahub_publicity_overdue_alerts counter\n");
        text.Append(CultureInfo.InvariantCulture, $"datahub_publicity_overdue_alerts {store.PublicityAlerts()}\n");
    }
}

/// <summary>Follows the record log for completed approvals and runs the task deadlines, every FollowSeconds.</summary>
internal sealed partial class LinkageFollower(LinkageWorkflow workflow, LinkageOptions options, TimeProvider time, ILogger<LinkageFollower> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.FollowSeconds), time);
        do
        {
            try
            {
                var made = await workflow.FollowLogAsync(stoppingToken);
                var steps = await workflow.RunDeadlinesAsync(stoppingToken);
                if (made + steps > 0) LogProgress(logger, made, steps);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Linkage: {Tasks} regulatory tasks created, {Steps} reminders / overdue flags")]
    private static partial void LogProgress(ILogger logger, int tasks, int steps);

    [LoggerMessage(Level = LogLevel.Error, Message = "Linkage follow failed; it runs again at the next tick")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
