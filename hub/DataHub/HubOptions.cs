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

    /// <summary>Legacy codes that fail the mod-31 check but are legally issued (early pilot regions): accepted with a warning.</summary>
    public IReadOnlySet<string> UsccAllowList { get; init; } = new HashSet<string>();

    public string DatabasePath => Path.Combine(DataDirectory, "hub.db");

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
        var allow = section.GetSection("Uscc:AllowList").GetChildren().Select(c => Core.Identifiers.Uscc.Normalize(c.Value)).Where(v => v.Length > 0);
        return new HubOptions
        {
            DataDirectory = Path.GetFullPath(dataDirectory),
            StoreProvider = provider,
            BatchSize = batch,
            UsccAllowList = allow.ToHashSet(StringComparer.Ordinal),
        };
    }
}

/// <summary>A setting that cannot be used; the message names the key and what is allowed.</summary>
internal sealed class HubConfigurationException(string message) : Exception(message);
