using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DataHub.Core.Audit;
using DataHub.Core.Calendar;
using DataHub.Core.Ingest;
using DataHub.Core.Pulls;
using DataHub.Core.Workflows;
using DataHub.Core.Records;
using DataHub.Embedded;
using DataHub.Schema.V1;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DataHub;

/// <summary>Settings of data pulls (DataHub:Pulls).</summary>
internal sealed record PullOptions
{
    /// <summary>The catalogue file read the first time the hub starts (later edits are kept in workflow.db).</summary>
    public string CataloguePath { get; init; } = Path.Combine(AppContext.BaseDirectory, "catalogues", "data-pulls.json");

    /// <summary>A folder of &lt;year&gt;.calendar files; a year found there replaces the shipped one (e.g. when the State Council publishes next year's holidays).</summary>
    public string? CalendarDirectory { get; init; }

    /// <summary>How often the deadline service looks for reminders and overdue demands.</summary>
    public int DeadlineScanSeconds { get; init; } = 60;

    public static PullOptions Load(IConfigurationSection section)
    {
        var options = new PullOptions
        {
            CataloguePath = section["CataloguePath"] ?? new PullOptions().CataloguePath,
            CalendarDirectory = section["CalendarDirectory"],
            DeadlineScanSeconds = section.GetValue("DeadlineScanSeconds", 60),
        };
        if (options.DeadlineScanSeconds is < 1 or > 3600)
            throw new HubConfigurationException($"DataHub:Pulls:DeadlineScanSeconds is {options.DeadlineScanSeconds}; use 1 to 3600.");
        if (options.CalendarDirectory is { } dir && !Directory.Exists(dir))
            throw new HubConfigurationException($"DataHub:Pulls:CalendarDirectory '{dir}' does not exist.");
        return options;
    }
}

/// <summary>Composition of data pulls: calendar, catalogue, store, library, notifier and the deadline service.</summary>
internal static partial class PullHosting
{
    /// <summary>The shipped calendar years, each replaced by a file of the same year in the configured folder.</summary>
    public static WorkingDayCalendar LoadCalendar(PullOptions options, ILogger log)
    {
        var years = WorkingDayCalendar.Shipped.Years.ToDictionary(y => y.Year);
        if (options.CalendarDirectory is { } dir)
            foreach (var file in Directory.GetFiles(dir, "*.calendar").Order(StringComparer.Ordinal))
            {
                var year = WorkingDayCalendar.ParseYear(File.ReadAllText(file), file);
                years[year.Year] = year;
            }
        var calendar = WorkingDayCalendar.Create(years.Values.OrderBy(y => y.Year));
        foreach (var y in calendar.Years.Where(y => y.Provisional)) LogProvisionalYear(log, y.Year);
        return calendar;
    }

    /// <summary>
    /// The notifier of the workflows: SMS through the outbox to the people the pull catalogue's lists
    /// name when DataHub:Outbound:sms-gateway has a URL, else the log.
    /// </summary>
    public static INotifier CreateNotifier(Hub hub, Func<PullCatalogue> contacts, ILoggerFactory logs, TimeProvider time) =>
        hub.Options.Outbound.TryGetValue(SmsGatewayNotifier.Destination, out var sms) && sms.Url.Length > 0
            ? new SmsGatewayNotifier(hub.Store, contacts, time, logs.CreateLogger<SmsGatewayNotifier>())
            : new LogNotifier(logs.CreateLogger<LogNotifier>());

    /// <summary>The workflow over workflow.db, the e-licence library in the profiles, and the notifier.</summary>
    public static async Task<DataPullWorkflow> OpenWorkflowAsync(Hub hub, SqlitePullStore store, IAuditLog audit, CachedProfileReader profiles, INotifier notifier,
        ILoggerFactory logs, TimeProvider time)
    {
        var options = hub.Options.Pulls;
        var log = logs.CreateLogger("DataHub.Pulls");
        var calendar = LoadCalendar(options, log);
        if (store.LatestCatalogue() is null && !File.Exists(options.CataloguePath))
            throw new HubConfigurationException($"DataHub:Pulls:CataloguePath '{options.CataloguePath}' does not exist; the hub needs a data-pull catalogue the first time it starts.");
        var catalogueText = store.LatestCatalogue() is null ? File.ReadAllText(options.CataloguePath) : "";
        var workflow = await DataPullWorkflow.OpenAsync(store, new ProfileLicenceLibrary(profiles), notifier, hub.Bus, audit, calendar, time, catalogueText, options.CataloguePath);
        var owners = workflow.Catalogue.AgencyIds().Except(hub.Options.Agencies.Agencies.Select(a => a.Id)).Order().ToList();
        if (owners.Count > 0 && hub.Options.Agencies.Agencies.Count > 0) LogUnknownAgencies(log, string.Join(", ", owners));
        return workflow;
    }

    /// <summary>Pull counts in Prometheus text format, for /metrics.</summary>
    public static void WritePrometheus(StringBuilder text, IPullStore store)
    {
        var counts = store.Counts();
        text.Append("# HELP datahub_pulls Data pulls by state.\n# TYPE datahub_pulls gauge\n");
        foreach (var state in Enum.GetValues<PullState>().Where(s => s != PullState.Unspecified))
            text.Append(CultureInfo.InvariantCulture, $"datahub_pulls{{state=\"{state}\"}} {counts.ByState.GetValueOrDefault(state)}\n");
        text.Append("# HELP datahub_pulls_overdue Directed demands past their due date and not answered.\n# TYPE datahub_pulls_overdue gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"datahub_pulls_overdue {counts.Overdue}\n");
        text.Append("# HELP datahub_pulls_from_library Pulls answered at once from the e-licence / e-material library.\n# TYPE datahub_pulls_from_library counter\n");
        text.Append(CultureInfo.InvariantCulture, $"datahub_pulls_from_library {counts.AnsweredFromLibrary}\n");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The working-day calendar for {Year} is provisional (statutory holidays only, no 调休): replace it when the State Council publishes that year's schedule (DataHub:Pulls:CalendarDirectory)")]
    private static partial void LogProvisionalYear(ILogger logger, int year);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The data-pull catalogue names agencies that are not configured (DataHub:Agencies): {Agencies}; their demands wait until they are")]
    private static partial void LogUnknownAgencies(ILogger logger, string agencies);
}

/// <summary>The e-licence library: the licences in the enterprise's profile (read through the profile cache).</summary>
internal sealed class ProfileLicenceLibrary(CachedProfileReader profiles) : ILicenceLibrary
{
    public async ValueTask<IReadOnlyList<LicenceEntry>> LicencesAsync(string uscc, CancellationToken cancellationToken) =>
        (await profiles.GetAsync(uscc, cancellationToken))?.Licences ?? (IReadOnlyList<LicenceEntry>)[];
}

/// <summary>The default notifier: notices go to the structured log (no SMS gateway configured).</summary>
internal sealed partial class LogNotifier(ILogger<LogNotifier> logger) : INotifier
{
    public ValueTask NotifyAsync(Notice notice, CancellationToken cancellationToken)
    {
        LogNotice(logger, notice.Kind, notice.RecipientAgency, notice.Subject, notice.Text);
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pull notice {Kind} to {Agency} about {Subject}: {Text}")]
    private static partial void LogNotice(ILogger logger, string kind, string agency, string subject, string text);
}

/// <summary>
/// Notices as SMS through the SMS-gateway outbound adapter (DataHub:Outbound:sms-gateway): one
/// outbox message per person the catalogue's lists name for the agency, keyed so the gateway sends
/// each once even when a step is retried.
/// </summary>
internal sealed partial class SmsGatewayNotifier(IHubStore store, Func<PullCatalogue> catalogue, TimeProvider time, ILogger<SmsGatewayNotifier> logger) : INotifier
{
    public const string Destination = "sms-gateway";

    public ValueTask NotifyAsync(Notice notice, CancellationToken cancellationToken)
    {
        var people = catalogue().ContactsOf(notice.RecipientAgency).Where(c => c.Phone.Length > 0).ToList();
        // A notice for a division goes to that division's people when the lists name any.
        if (notice.Division.Length > 0 && people.Any(c => c.Division == notice.Division)) people = people.Where(c => c.Division == notice.Division).ToList();
        if (people.Count == 0)
        {
            LogNoContact(logger, notice.RecipientAgency, notice.Kind, notice.Subject);
            return ValueTask.CompletedTask;
        }
        using var batch = store.BeginBatch();
        foreach (var person in people)
        {
            var body = new JsonObject
            {
                ["phone"] = person.Phone, ["text"] = notice.Text, ["kind"] = notice.Kind, ["subject"] = notice.Subject,
                ["agency"] = notice.RecipientAgency, ["division"] = person.Division,
            };
            batch.EnqueueOutbox(new OutboxIntent(Destination, $"{notice.IdempotencyKey}:{PersonalData.MaskPhone(person.Phone)}", "sms", Encoding.UTF8.GetBytes(body.ToJsonString())), time.GetUtcNow());
        }
        batch.Commit();
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No one on the catalogue's lists has a phone for agency {Agency}: the {Kind} notice about {Subject} is not sent by SMS")]
    private static partial void LogNoContact(ILogger logger, string agency, string kind, string subject);
}

/// <summary>Runs the pulls' deadline work (督办 reminders, overdue flags and escalations) every DeadlineScanSeconds.</summary>
internal sealed partial class PullDeadlineService(DataPullWorkflow workflow, PullOptions options, TimeProvider time, ILogger<PullDeadlineService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.DeadlineScanSeconds), time);
        do
        {
            try
            {
                var steps = await workflow.RunDeadlinesAsync(stoppingToken);
                if (steps > 0) LogSteps(logger, steps);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pull deadlines: {Steps} reminders / overdue escalations taken")]
    private static partial void LogSteps(ILogger logger, int steps);

    [LoggerMessage(Level = LogLevel.Error, Message = "Pull deadline scan failed; it runs again at the next tick")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
