using System.Security.Cryptography;
using DataHub.Security;
using Microsoft.Extensions.Configuration;

namespace DataHub.Cli;

/// <summary>
/// The demo's callers when the configuration names none: four synthetic agencies (演示机构) with keys
/// made up for this run only and printed once, so the served hub can be tried at once. Configured
/// agencies (DataHub:Agencies) are used as they are.
/// </summary>
internal static class DemoAgencies
{
    public static (Hub Hub, IReadOnlyDictionary<string, string> Keys) Apply(Hub hub)
    {
        if (hub.Options.Agencies.Agencies.Count > 0) return (hub, new Dictionary<string, string>());
        var keys = new Dictionary<string, string>();
        var settings = new Dictionary<string, string?>();
        void Add(int i, string id, string name, string[] roles, string[] scopes)
        {
            keys[id] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            settings[$"A:{i}:Id"] = id;
            settings[$"A:{i}:Name"] = name;
            for (int r = 0; r < roles.Length; r++) settings[$"A:{i}:Roles:{r}"] = roles[r];
            for (int s = 0; s < scopes.Length; s++) settings[$"A:{i}:Scopes:{s}"] = scopes[s];
            settings[$"A:{i}:ApiKeySha256:0"] = AgencyDirectory.HashKey(keys[id]);
        }
        // Agency ids as the shipped data-pull catalogue names them, so pulls can be tried end to end.
        Add(0, "city-approval", "演示·行政审批局", [Roles.Approval, Roles.Reader], [Scopes.ProfileBasic, Scopes.ProfileLicences, Scopes.ProfileApprovals]);
        Add(1, "city-amr", "演示·市场监督管理局", [Roles.Regulator], [Scopes.ProfileAll]);
        Add(2, "demo-source", "演示·数据源系统", [Roles.Source], [Scopes.IngestAll]);
        Add(3, "demo-admin", "演示·运维管理员", [Roles.Admin], []);
        Add(4, "city-coordination", "演示·市协调办", [Roles.Coordination], [Scopes.ProfileBasic]);
        Add(5, "city-superadmin", "演示·超级管理员工作室", [Roles.SuperAdmin], [Scopes.ProfileBasic, Scopes.ProfileLicences]);
        int i = 6;
        foreach (var (id, name) in new[]
                 {
                     ("city-housing", "演示·住房和城乡建设局"), ("city-ecology", "演示·生态环境局"), ("city-health", "演示·卫生健康委员会"),
                     ("city-tax", "演示·税务局"), ("city-hrss", "演示·人力资源和社会保障局"), ("city-transport", "演示·交通运输局"), ("city-emergency", "演示·应急管理局"),
                 })
            Add(i++, id, name, [Roles.Regulator], [Scopes.ProfileBasic]);
        var agencies = AgencyDirectory.Load(new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("A"));
        return (Hub.Open(hub.Options with { Agencies = agencies }), keys);
    }

    public static void PrintExamples(IReadOnlyDictionary<string, string> keys, HubServer server, string uscc)
    {
        var grpc = $"127.0.0.1:{server.GrpcPort}";
        Console.Error.WriteLine();
        Console.Error.WriteLine($"DataHub is serving: gRPC {grpc} (h2c, reflection on), HTTP http://127.0.0.1:{server.HttpPort}/readyz. Ctrl+C stops.");
        if (keys.Count > 0)
        {
            Console.Error.WriteLine("Demo agencies (synthetic, keys valid for this run only):");
            foreach (var (id, key) in keys) Console.Error.WriteLine($"  {id,-15} Bearer {key}");
        }
        var example = keys.TryGetValue("city-amr", out var k) ? k : "<your agency's key>";
        Console.Error.WriteLine("Try (any reflection-based gRPC client, e.g. grpcurl):");
        Console.Error.WriteLine($"  grpcurl -plaintext {grpc} list");
        Console.Error.WriteLine($"  grpcurl -plaintext -H 'authorization: Bearer {example}' -H 'x-purpose: demo' -d '{{\"uscc\":\"{uscc}\"}}' {grpc} datahub.v1.ProfileService/GetProfile");
    }
}
