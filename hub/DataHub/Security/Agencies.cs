using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Configuration;

namespace DataHub.Security;

/// <summary>The roles an agency can hold (ARCHITECTURE.md, "Security").</summary>
internal static class Roles
{
    public const string Approval = "approval";
    public const string Regulator = "regulator";
    public const string Coordination = "coordination";
    public const string SuperAdmin = "superadmin";
    public const string Source = "source";
    public const string Reader = "reader";
    public const string Admin = "admin";

    public static readonly FrozenSet<string> All = new[] { Approval, Regulator, Coordination, SuperAdmin, Source, Reader, Admin }.ToFrozenSet(StringComparer.Ordinal);
}

/// <summary>Data scopes: which profile sections an agency may read, which sources it may submit for.</summary>
internal static class Scopes
{
    public const string ProfileAll = "profile:*";
    public const string ProfileBasic = "profile:basic";
    public const string ProfileLicences = "profile:licences";
    public const string ProfileApprovals = "profile:approvals";
    public const string ProfileRegulation = "profile:regulation";
    public const string ProfileComplaints = "profile:complaints";
    public const string IngestPrefix = "ingest:";
    public const string IngestAll = "ingest:*";

    public static readonly FrozenSet<string> ProfileScopes =
        new[] { ProfileAll, ProfileBasic, ProfileLicences, ProfileApprovals, ProfileRegulation, ProfileComplaints }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Complaint details name complainants' matters: only regulators and the coordination office read them.</summary>
    public static readonly FrozenSet<string> ComplaintReaders = new[] { Roles.Regulator, Roles.Coordination }.ToFrozenSet(StringComparer.Ordinal);
}

/// <summary>A calling agency, as configured.</summary>
internal sealed class Agency
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required FrozenSet<string> Roles { get; init; }
    public required FrozenSet<string> Scopes { get; init; }
    public required RateLimiter RateLimiter { get; init; }

    public bool HasAnyRole(IEnumerable<string> roles) => roles.Any(Roles.Contains);

    public bool HasScope(string scope) => Scopes.Contains(scope) ||
        (scope.StartsWith("profile:", StringComparison.Ordinal) && Scopes.Contains(DataHub.Security.Scopes.ProfileAll)) ||
        (scope.StartsWith(DataHub.Security.Scopes.IngestPrefix, StringComparison.Ordinal) && Scopes.Contains(DataHub.Security.Scopes.IngestAll));

    public bool MaySubmit(string source) => HasScope(DataHub.Security.Scopes.IngestPrefix + source);
}

/// <summary>
/// The agencies from configuration (DataHub:Agencies: a list of { Id, Name, Roles[], Scopes[],
/// ApiKeySha256[], RequestsPerSecond }), found by the SHA-256 of the bearer key they present. Only
/// hashes are configured, so a leaked configuration file does not leak keys.
/// </summary>
internal sealed class AgencyDirectory
{
    // By the hex SHA-256 of the key, looked up with the hex of a presented key's hash as a span.
    private readonly FrozenDictionary<string, Agency>.AlternateLookup<ReadOnlySpan<char>> _byKeyHashText;

    private AgencyDirectory(IReadOnlyList<Agency> agencies, FrozenDictionary<string, Agency> byKeyHash)
    {
        Agencies = agencies;
        _byKeyHashText = byKeyHash.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public static readonly AgencyDirectory Empty = new([], FrozenDictionary<string, Agency>.Empty);

    public IReadOnlyList<Agency> Agencies { get; }

    /// <summary>The agency whose key hashes to the configured value; keys themselves are never kept.</summary>
    public Agency? FindByKey(ReadOnlySpan<char> key)
    {
        // Every call presents its key: hashed and looked up without allocating.
        if (key.Length > 1024) return null;
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(key.Length)];
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(key, utf8)], digest);
        Span<char> hex = stackalloc char[64];
        Convert.TryToHexStringLower(digest, hex, out _);
        return _byKeyHashText.TryGetValue(hex, out var agency) ? agency : null;
    }

    public static string HashKey(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Reads and validates the section; every problem names the key and what is allowed.</summary>
    public static AgencyDirectory Load(IConfigurationSection section)
    {
        var agencies = new List<Agency>();
        var byHash = new Dictionary<string, Agency>(StringComparer.Ordinal);
        foreach (var child in section.GetChildren())
        {
            var key = $"DataHub:Agencies:{child.Key}";
            var id = child["Id"] ?? throw new HubConfigurationException($"{key}:Id is missing.");
            if (agencies.Any(a => a.Id == id)) throw new HubConfigurationException($"{key}:Id '{id}' is used by another agency.");
            var roles = Values(child.GetSection("Roles"));
            foreach (var role in roles.Where(r => !Roles.All.Contains(r)))
                throw new HubConfigurationException($"{key}:Roles has '{role}'; roles are {string.Join(", ", Roles.All.Order())}.");
            var scopes = Values(child.GetSection("Scopes"));
            foreach (var scope in scopes.Where(s => !Scopes.ProfileScopes.Contains(s) && !(s.StartsWith(Scopes.IngestPrefix, StringComparison.Ordinal) && s.Length > Scopes.IngestPrefix.Length)))
                throw new HubConfigurationException($"{key}:Scopes has '{scope}'; scopes are {string.Join(", ", Scopes.ProfileScopes.Order())} and ingest:<source> or ingest:*.");
            if ((scopes.Contains(Scopes.ProfileComplaints) || scopes.Contains(Scopes.ProfileAll)) && !roles.Any(Scopes.ComplaintReaders.Contains))
                throw new HubConfigurationException($"{key} ('{id}') has scope {(scopes.Contains(Scopes.ProfileAll) ? Scopes.ProfileAll : Scopes.ProfileComplaints)}, which includes complaint details; only agencies with role regulator or coordination may hold it.");
            var rate = child.GetValue("RequestsPerSecond", 200);
            if (rate is < 1 or > 1_000_000) throw new HubConfigurationException($"{key}:RequestsPerSecond is {rate}; use 1 to 1000000.");
            var agency = new Agency
            {
                Id = id,
                Name = child["Name"] ?? id,
                Roles = roles.ToFrozenSet(StringComparer.Ordinal),
                Scopes = scopes.ToFrozenSet(StringComparer.Ordinal),
                RateLimiter = PerSecond(rate),
            };
            var hashes = Values(child.GetSection("ApiKeySha256"));
            if (hashes.Count == 0) throw new HubConfigurationException($"{key}:ApiKeySha256 is empty; give the SHA-256 (hex) of each API key of '{id}'.");
            foreach (var hash in hashes.Select(h => h.ToLowerInvariant()))
            {
                if (hash.Length != 64 || !hash.All(Uri.IsHexDigit))
                    throw new HubConfigurationException($"{key}:ApiKeySha256 has '{hash}', which is not 64 hex digits (echo -n KEY | sha256sum).");
                if (!byHash.TryAdd(hash, agency)) throw new HubConfigurationException($"{key}: an API key hash of '{id}' is also configured for '{byHash[hash].Id}'.");
            }
            agencies.Add(agency);
        }
        return new AgencyDirectory(agencies, byHash.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>
    /// A bucket of one second's worth (bursts up to the rate), refilled with k tokens every k/rate
    /// seconds — exactly the rate sustained, with refills no more often than every 50 ms.
    /// </summary>
    internal static TokenBucketRateLimiter PerSecond(int rate)
    {
        int tokens = Math.Max(1, (int)Math.Ceiling(rate * 0.05));
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = rate,
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = TimeSpan.FromSeconds((double)tokens / rate),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    private static List<string> Values(IConfigurationSection section) =>
        section.GetChildren().Select(c => c.Value?.Trim()).Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).ToList();
}
