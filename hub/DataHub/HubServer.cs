using System.Net;
using System.Reflection;
using System.Security.Cryptography.X509Certificates;
using DataHub.Adapters;
using DataHub.Api;
using DataHub.WebConsole;
using Microsoft.Extensions.FileProviders;
using DataHub.Core.Linkage;
using DataHub.Core.Pulls;
using DataHub.Embedded;
using DataHub.Grpc;
using DataHub.Grpc.Standard;
using DataHub.Schema.V1;
using DataHub.Security;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace DataHub;

/// <summary>
/// `datahub serve`: the hub on Kestrel — gRPC on its own HTTP/2 port, health and readiness on the
/// HTTP port — over the embedded backends. Every method declared in the protos is bound, and every
/// datahub.v1 method has a role rule, or it does not start.
/// </summary>
internal sealed partial class HubServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SqliteAuditLog _audit;
    private readonly CachedProfileReader _profiles;
    private readonly SqlitePullStore _pullStore;
    private readonly SqliteLinkageStore _linkageStore;
    private readonly CancellationTokenSource _stopping;
    private readonly Task _healthLoop;

    private HubServer(WebApplication app, SqliteAuditLog audit, CachedProfileReader profiles, SqlitePullStore pullStore, SqliteLinkageStore linkageStore, CancellationTokenSource stopping, Task healthLoop, int grpcPort, int httpPort)
    {
        _app = app;
        _audit = audit;
        _profiles = profiles;
        _pullStore = pullStore;
        _linkageStore = linkageStore;
        _stopping = stopping;
        _healthLoop = healthLoop;
        GrpcPort = grpcPort;
        HttpPort = httpPort;
    }

    /// <summary>The adapter runner, when any source is configured to be pulled.</summary>
    public AdapterRunner? Adapters { get; private init; }

    /// <summary>The outbox dispatcher, when any outbound receiver is configured.</summary>
    public OutboxDispatcher? Outbox { get; private init; }

    /// <summary>The Kafka stages of this process, in Kafka mode (DataHub:Bus:Provider=kafka).</summary>
    public KafkaPipelineHost? Kafka { get; private init; }

    /// <summary>The data-pull workflow (its deadline service runs with the host).</summary>
    public required DataPullWorkflow Pulls { get; init; }

    /// <summary>The approval-regulation linkage (its log follower runs with the host).</summary>
    public required LinkageWorkflow Linkage { get; init; }

    public int GrpcPort { get; }
    public int HttpPort { get; }

    /// <summary>Cancelled when the host begins to stop: it handles SIGTERM itself, so a command's own token does not see that.</summary>
    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;

    /// <summary>Returns when the command is cancelled or the host begins to stop.</summary>
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, Stopping);
        try { await Task.Delay(Timeout.Infinite, stop.Token); } catch (OperationCanceledException) { }
    }

    /// <summary>Every protoc-generated file of the product's schema (protos/datahub/v1).</summary>
    public static IReadOnlyList<FileDescriptor> SchemaFiles() =>
        typeof(EnterpriseProfile).Assembly.GetTypes()
            .Select(t => t.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null))
            .OfType<FileDescriptor>().OrderBy(f => f.Name, StringComparer.Ordinal).ToList();

    public static async Task<HubServer> StartAsync(Hub hub, CancellationToken cancellationToken, LogLevel logLevel = LogLevel.Information)
    {
        var options = hub.Options.Server;
        // The empty builder: no appsettings watcher over the working folder, no host configuration; the
        // hub's own settings come from HubOptions.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ");
        builder.Logging.SetMinimumLevel(logLevel);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        var certificate = options.GrpcCertificatePath is { } path ? X509CertificateLoader.LoadPkcs12FromFile(path, options.GrpcCertificatePassword) : null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.ListenGrpc(IPAddress.Parse(options.GrpcAddress), options.GrpcPort, certificate);
            k.Listen(IPAddress.Parse(options.HttpAddress), options.HttpPort);
            k.AddServerHeader = false;
        });

        var audit = new SqliteAuditLog(hub.Options.AuditPath);
        var profiles = new CachedProfileReader(hub.Store, new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions())), hub.Bus);
        // Kafka mode: workflow steps also go to the bus outbox, in their own transaction; the relay sends them to their topics.
        bool kafkaMode = hub.Options.Bus.Provider == BusSettings.KafkaProvider;
        var pullStore = new SqlitePullStore(hub.Options.WorkflowPath) { RelaysToBus = kafkaMode };
        var linkageStore = new SqliteLinkageStore(hub.Options.WorkflowPath) { RelaysToBus = kafkaMode };
        DataPullWorkflow? pulls = null;
        LinkageWorkflow? linkage = null;
        var trail = new AuditTrail(audit, TimeProvider.System);
        var registry = new GrpcServiceRegistry();
        var health = new HealthService();
        AdapterRunner? runner = null;

        var grpcOptions = new GrpcServerOptions { MaxReceiveMessageSize = options.MaxReceiveMessageSize };
        builder.Services.AddSingleton(registry).AddSingleton(grpcOptions).AddSingleton<GrpcServer>();
        builder.Services.AddDataHubAdapters(hub);
        builder.Services.AddHostedService(sp => new PullDeadlineService(pulls!, hub.Options.Pulls, TimeProvider.System, sp.GetRequiredService<ILogger<PullDeadlineService>>()));
        builder.Services.AddHostedService(sp => new LinkageFollower(linkage!, hub.Options.Linkage, TimeProvider.System, sp.GetRequiredService<ILogger<LinkageFollower>>()));
        builder.Services.AddOpenApi(o => o.ShouldInclude = d => d.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true);

        var app = builder.Build();
        // Services are bound once the host's logging exists (the pull workflow's notifier logs); before Kestrel starts.
        var logs = app.Services.GetRequiredService<ILoggerFactory>();
        // Kafka mode: the stages run in this process too, raw records go through Kafka, and the workflow events are relayed.
        KafkaPipelineHost? kafka = null;
        if (kafkaMode)
        {
            kafka = await KafkaPipelineHost.StartAsync(hub, logs, provisionTopics: true, cancellationToken);
            kafka.StartRelay(new SqliteBusOutbox(hub.Options.WorkflowPath), logs);
            hub.UseKafka(kafka);
        }
        var notifier = PullHosting.CreateNotifier(hub, () => pulls!.Catalogue, logs, TimeProvider.System);
        pulls = await PullHosting.OpenWorkflowAsync(hub, pullStore, audit, profiles, notifier, logs, TimeProvider.System);
        linkage = LinkageHosting.OpenWorkflow(hub, linkageStore, audit, new ProfileLicenceLibrary(profiles), notifier, pulls.Calendar, pulls.Catalogue.CoordinationOffice, TimeProvider.System);
        health.Bind(registry);
        new ReflectionService(registry).Bind();
        new IngestApi(hub, trail, TimeProvider.System).Bind(registry);
        new ProfileApi(hub, profiles, trail).Bind(registry);
        new AdminApi(hub, trail, () => runner, pulls, linkage).Bind(registry);
        new DataPullApi(hub, pulls, trail).Bind(registry);
        new LinkageApi(hub, linkage, trail).Bind(registry);
        registry.EnsureAllBound([.. SchemaFiles(), global::Grpc.Health.V1.HealthReflection.Descriptor,
            global::Grpc.Reflection.V1.ReflectionReflection.Descriptor, global::Grpc.Reflection.V1alpha.ReflectionReflection.Descriptor]);
        AgencyInterceptor.EnsureEveryMethodHasRoles(registry);
        grpcOptions.Interceptors.Add(new AgencyInterceptor(hub.Options.Agencies, trail, app.Services.GetRequiredService<ILogger<AgencyInterceptor>>()));
        var grpc = app.Services.GetRequiredService<GrpcServer>();
        runner = app.Services.GetService<AdapterRunner>();
        var log = app.Services.GetRequiredService<ILogger<HubServer>>();
        app.Use(async (context, next) =>
        {
            if (GrpcHosting.IsGrpcEndpoint(context)) await grpc.HandleAsync(context);
            else await next(context);
        });
        app.MapGet("/healthz", () => Results.Json(new { status = "alive" }));
        app.MapGet("/metrics", () =>
        {
            var text = new System.Text.StringBuilder();
            grpc.Metrics.WritePrometheus(text);
            var serving = health.GetStatus("") == ServingStatus.Serving ? 1 : 0;
            text.Append("# HELP datahub_serving 1 while the store and search index answer the health probe.\n# TYPE datahub_serving gauge\n");
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"datahub_serving {serving}\n");
            AdapterHosting.WritePrometheus(text, runner, hub.Store);
            PullHosting.WritePrometheus(text, pullStore);
            LinkageHosting.WritePrometheus(text, linkageStore);
            kafka?.WritePrometheus(text);
            RuntimeMetrics.WritePrometheus(text);
            return Results.Text(text.ToString(), "text/plain; version=0.0.4; charset=utf-8");
        });
        app.MapGet("/readyz", () =>
        {
            try
            {
                hub.Store.Probe();
                pullStore.Probe();
                linkageStore.Cursor();
                if (kafka?.Completion.IsCompleted == true)
                    return Results.Problem(title: "Not ready", detail: "A Kafka stage stopped; see the log. Restart the hub.", statusCode: StatusCodes.Status503ServiceUnavailable);
                return Results.Json(new { status = "ready" });
            }
            catch (Exception e)
            {
                return Results.Problem(title: "Not ready", detail: $"The store, the search index or the workflow store does not answer: {e.Message}", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });

        var httpAuth = new HttpAuth(hub.Options.Agencies, new ConsoleSessions(TimeProvider.System), trail);
        new HttpApi(hub, runner, new WebhookIngest(hub.Intake, TimeProvider.System), httpAuth, trail, TimeProvider.System, pulls).Map(app);
        new ConsoleApi(hub, profiles, httpAuth, trail, TimeProvider.System).Map(app);
        new PullConsoleApi(hub, pulls, httpAuth, trail).Map(app);
        new TaskConsoleApi(hub, linkage, httpAuth, trail).Map(app);
        new CommitmentConsoleApi(hub, linkage, httpAuth, trail).Map(app);
        app.MapOpenApi("/openapi/{documentName}.json");
        var console = Path.Combine(AppContext.BaseDirectory, "wwwroot", "console");
        if (Directory.Exists(console))
        {
            app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(console), RequestPath = "/console" });
            app.MapGet("/", () => Results.Redirect("/console/index.html"));
        }

        await app.StartAsync(cancellationToken);
        // Kestrel reports the bound addresses in the order the endpoints were configured: gRPC, then HTTP.
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        var (grpcPort, httpPort) = (addresses[0].Port, addresses[1].Port);
        if (hub.Options.Agencies.Agencies.Count == 0)
            LogNoAgencies(log);
        LogListening(log, certificate is null ? "h2c" : "TLS (ALPN h2)", grpcPort, httpPort, hub.Options.Agencies.Agencies.Count, hub.Options.DataDirectory);

        var services = registry.Services.Select(s => s.FullName).Where(n => n.StartsWith("datahub.", StringComparison.Ordinal)).Prepend("").ToList();
        var stopping = new CancellationTokenSource();
        return new HubServer(app, audit, profiles, pullStore, linkageStore, stopping, WatchHealthAsync(hub, health, services, log, stopping.Token), grpcPort, httpPort)
        {
            Adapters = runner,
            Outbox = app.Services.GetService<OutboxDispatcher>(),
            Pulls = pulls,
            Linkage = linkage,
            Kafka = kafka,
        };
    }

    /// <summary>Probes the store every few seconds; the health service says NOT_SERVING while it fails.</summary>
    private static async Task WatchHealthAsync(Hub hub, HealthService health, IReadOnlyList<string> services, ILogger log, CancellationToken stopping)
    {
        var period = TimeSpan.FromSeconds(2);
        while (!stopping.IsCancellationRequested)
        {
            ServingStatus status;
            try
            {
                hub.Store.Probe();
                status = ServingStatus.Serving;
            }
            catch (Exception e)
            {
                LogNotServing(log, e.Message);
                status = ServingStatus.NotServing;
            }
            foreach (var service in services) health.SetStatus(service, status);
            try { await Task.Delay(period, stopping); } catch (OperationCanceledException) { return; }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        // After the host: the adapters have stopped handing rows to the Kafka producer.
        if (Kafka is not null) await Kafka.DisposeAsync();
        await _healthLoop;
        _profiles.Dispose();
        _pullStore.Dispose();
        _linkageStore.Dispose();
        await _audit.DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "DataHub serving gRPC ({Transport}) on port {GrpcPort}, HTTP on port {HttpPort}; {Agencies} agencies; data in {DataDirectory}")]
    private static partial void LogListening(ILogger logger, string transport, int grpcPort, int httpPort, int agencies, string dataDirectory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No agencies are configured (DataHub:Agencies): every datahub.v1 call will be refused as UNAUTHENTICATED")]
    private static partial void LogNoAgencies(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Store probe failed; health is NOT_SERVING: {Reason}")]
    private static partial void LogNotServing(ILogger logger, string reason);
}
