using Microsoft.Extensions.Configuration;

namespace DataHub;

/// <summary>The hub's settings, from appsettings.json, then environment variables (DataHub__Ingest__BatchSize=...), then the command line.</summary>
internal sealed record HubOptions
{
    /// <summary>Folder of the embedded store; the database is hub.db inside it.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Only "sqlite" (embedded) exists so far; the scale-out backends arrive with their issues.</summary>
    public string StoreProvider { get; init; } = "sqlite";

    public int BatchSize { get; init; } = 16384;

    /// <summary>Records a bulk ingest's log transaction may hold over several batches (DataHub:Ingest:CommitSize).</summary>
    public int CommitSize { get; init; } = 32768;

    /// <summary>Legacy codes that fail the mod-31 check but are legally issued (early pilot regions): accepted with a warning.</summary>
    public IReadOnlySet<string> UsccAllowList { get; init; } = new HashSet<string>();

    public string DatabasePath => Path.Combine(DataDirectory, "hub.db");

    /// <summary>The audit chain's file, beside the store.</summary>
    public string AuditPath => Path.Combine(DataDirectory, "audit.db");

    /// <summary>Data-pull workflow state (pulls, the e-material library, catalogue revisions), beside the store.</summary>
    public string WorkflowPath => Path.Combine(DataDirectory, "workflow.db");

    /// <summary>Data pulls: catalogue file, calendar folder, deadline scan (DataHub:Pulls).</summary>
    public PullOptions Pulls { get; init; } = new();

    /// <summary>Approval-regulation linkage: catalogue file, follow interval (DataHub:Linkage).</summary>
    public LinkageOptions Linkage { get; init; } = new();

    /// <summary>The event bus between the pipeline's stages and to subscribers (DataHub:Bus).</summary>
    public BusSettings Bus { get; init; } = new();

    /// <summary>Where `serve` listens: gRPC (HTTP/2) and HTTP (health, readiness; the console later).</summary>
    public ServerOptions Server { get; init; } = new();

    /// <summary>The calling agencies (DataHub:Agencies).</summary>
    public Security.AgencyDirectory Agencies { get; init; } = Security.AgencyDirectory.Empty;

    /// <summary>How to reach each source system (DataHub:Adapters:&lt;source&gt;), by source name.</summary>
    public IReadOnlyDictionary<string, Adapters.AdapterOptions> Adapters { get; init; } = new Dictionary<string, Adapters.AdapterOptions>();

    /// <summary>Receivers of the outbound adapters (DataHub:Outbound:&lt;destination&gt;), by destination.</summary>
    public IReadOnlyDictionary<string, Adapters.OutboundOptions> Outbound { get; init; } = new Dictionary<string, Adapters.OutboundOptions>();

    public static HubOptions Load(string dataDirectory)
    {
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        var section = configuration.GetSection("DataHub");
        var provider = section["Store:Provider"] ?? "sqlite";
        if (!string.Equals(provider, "sqlite", StringComparison.OrdinalIgnoreCase))
            throw new HubConfigurationException($"DataHub:Store:Provider is '{provider}'; this build supports 'sqlite' (embedded).");
        var batch = section.GetValue("Ingest:BatchSize", 16384);
        if (batch is < 1 or > 1_000_000)
            throw new HubConfigurationException($"DataHub:Ingest:BatchSize is {batch}; use 1 to 1000000.");
        var commit = section.GetValue("Ingest:CommitSize", 32768);
        if (commit is < 1 or > 1_000_000)
            throw new HubConfigurationException($"DataHub:Ingest:CommitSize is {commit}; use 1 to 1000000.");
        var allow = section.GetSection("Uscc:AllowList").GetChildren().Select(c => Core.Identifiers.Uscc.Normalize(c.Value)).Where(v => v.Length > 0);
        return new HubOptions
        {
            DataDirectory = Path.GetFullPath(dataDirectory),
            StoreProvider = provider,
            BatchSize = batch,
            CommitSize = commit,
            UsccAllowList = allow.ToHashSet(StringComparer.Ordinal),
            Server = ServerOptions.Load(section),
            Agencies = Security.AgencyDirectory.Load(section.GetSection("Agencies")),
            Adapters = LoadAdapters(section.GetSection("Adapters")),
            Outbound = LoadOutbound(section.GetSection("Outbound")),
            Pulls = PullOptions.Load(section.GetSection("Pulls")),
            Linkage = LinkageOptions.Load(section.GetSection("Linkage")),
            Bus = BusSettings.Load(section.GetSection("Bus")),
        };
    }

    private static Dictionary<string, Adapters.AdapterOptions> LoadAdapters(IConfigurationSection section)
    {
        var known = SourceSystems.All.Select(s => s.Source).ToHashSet(StringComparer.Ordinal);
        var result = new Dictionary<string, Adapters.AdapterOptions>(StringComparer.Ordinal);
        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key))
                throw new HubConfigurationException($"DataHub:Adapters:{child.Key} names no source system; known: {string.Join(", ", known.Order())}.");
            var options = child.Get<Adapters.AdapterOptions>() ?? new();
            try { options.Validate(child.Key); } catch (InvalidOperationException e) { throw new HubConfigurationException(e.Message); }
            result[child.Key] = options;
        }
        return result;
    }

    private static Dictionary<string, Adapters.OutboundOptions> LoadOutbound(IConfigurationSection section)
    {
        var result = new Dictionary<string, Adapters.OutboundOptions>(StringComparer.Ordinal);
        foreach (var child in section.GetChildren())
        {
            var options = child.Get<Adapters.OutboundOptions>() ?? new();
            try { options.Validate(child.Key); } catch (InvalidOperationException e) { throw new HubConfigurationException(e.Message); }
            result[child.Key] = options;
        }
        return result;
    }
}

/// <summary>Listening addresses and the limits of the gRPC layer.</summary>
internal sealed record ServerOptions
{
    public string GrpcAddress { get; init; } = "127.0.0.1";
    public int GrpcPort { get; init; } = 5081;
    public string HttpAddress { get; init; } = "127.0.0.1";
    public int HttpPort { get; init; } = 5080;

    /// <summary>PKCS#12 file; when set, gRPC is served over TLS with ALPN h2 instead of h2c.</summary>
    public string? GrpcCertificatePath { get; init; }
    public string? GrpcCertificatePassword { get; init; }
    public int MaxReceiveMessageSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>Records one Submit call may carry.</summary>
    public int MaxBatchRecords { get; init; } = 10_000;

    public static ServerOptions Load(IConfigurationSection section)
    {
        var options = new ServerOptions
        {
            GrpcAddress = section["Grpc:Address"] ?? "127.0.0.1",
            GrpcPort = section.GetValue("Grpc:Port", 5081),
            HttpAddress = section["Http:Address"] ?? "127.0.0.1",
            HttpPort = section.GetValue("Http:Port", 5080),
            GrpcCertificatePath = section["Grpc:Certificate:Path"],
            GrpcCertificatePassword = section["Grpc:Certificate:Password"],
            MaxReceiveMessageSize = section.GetValue("Grpc:MaxReceiveMessageSize", 4 * 1024 * 1024),
            MaxBatchRecords = section.GetValue("Grpc:MaxBatchRecords", 10_000),
        };
        foreach (var (key, port) in new[] { ("Grpc:Port", options.GrpcPort), ("Http:Port", options.HttpPort) })
            if (port is < 0 or > 65535) throw new HubConfigurationException($"DataHub:{key} is {port}; use 0 (any free port) to 65535.");
        foreach (var (key, address) in new[] { ("Grpc:Address", options.GrpcAddress), ("Http:Address", options.HttpAddress) })
            if (!System.Net.IPAddress.TryParse(address, out _)) throw new HubConfigurationException($"DataHub:{key} is '{address}'; give an IP address such as 127.0.0.1 or 0.0.0.0.");
        if (options.MaxReceiveMessageSize is < 1024 or > 256 * 1024 * 1024)
            throw new HubConfigurationException($"DataHub:Grpc:MaxReceiveMessageSize is {options.MaxReceiveMessageSize}; use 1024 to 268435456 bytes.");
        if (options.MaxBatchRecords is < 1 or > 1_000_000)
            throw new HubConfigurationException($"DataHub:Grpc:MaxBatchRecords is {options.MaxBatchRecords}; use 1 to 1000000.");
        if (options.GrpcCertificatePath is { } cert && !File.Exists(cert))
            throw new HubConfigurationException($"DataHub:Grpc:Certificate:Path '{cert}' does not exist.");
        return options;
    }
}

/// <summary>A setting that cannot be used; the message names the key and what is allowed.</summary>
internal sealed class HubConfigurationException(string message) : Exception(message);
