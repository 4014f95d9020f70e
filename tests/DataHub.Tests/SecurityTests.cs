using DataHub.Api;
using DataHub.Grpc;
using DataHub.Schema.V1;
using DataHub.Security;
using Microsoft.Extensions.Configuration;

namespace DataHub.Tests;

public sealed class SecurityTests
{
    private static AgencyDirectory Load(params (string Key, string Value)[] settings) =>
        AgencyDirectory.Load(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create("DataHub:Agencies:" + s.Key, (string?)s.Value)))
            .Build().GetSection("DataHub:Agencies"));

    private static readonly string Hash = AgencyDirectory.HashKey("secret-key");

    [Fact]
    public void An_agency_is_found_by_its_key_and_only_the_hash_is_configured()
    {
        var agencies = Load(("0:Id", "scjg"), ("0:Name", "市场监督管理局"), ("0:Roles:0", "regulator"), ("0:Scopes:0", "profile:basic"), ("0:ApiKeySha256:0", Hash.ToUpperInvariant()));
        var agency = agencies.FindByKey("secret-key")!;
        Assert.Equal("市场监督管理局", agency.Name);
        Assert.True(agency.HasScope(Scopes.ProfileBasic));
        Assert.False(agency.HasScope(Scopes.ProfileLicences));
        Assert.Null(agencies.FindByKey("secret-key2"));
    }

    [Theory]
    [InlineData("0:Roles:0", "superuser", "Roles has 'superuser'")]
    [InlineData("0:Scopes:0", "profile:everything", "Scopes has 'profile:everything'")]
    [InlineData("0:Scopes:0", "profile:complaints", "only agencies with role regulator or coordination")]
    [InlineData("0:ApiKeySha256:0", "abc", "not 64 hex digits")]
    [InlineData("0:RequestsPerSecond", "0", "RequestsPerSecond is 0")]
    public void A_bad_agency_setting_stops_the_hub_with_the_key_and_what_is_allowed(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string> { ["0:Id"] = "a", ["0:Roles:0"] = "reader", ["0:ApiKeySha256:0"] = Hash };
        settings[key] = value;
        var e = Assert.Throws<HubConfigurationException>(() => Load(settings.Select(kv => (kv.Key, kv.Value)).ToArray()));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Two_agencies_cannot_share_a_key()
    {
        var e = Assert.Throws<HubConfigurationException>(() => Load(("0:Id", "a"), ("0:ApiKeySha256:0", Hash), ("1:Id", "b"), ("1:ApiKeySha256:0", Hash)));
        Assert.Contains("also configured for 'a'", e.Message);
    }

    [Fact]
    public void Sections_follow_scopes_and_complaint_details_need_their_own_scope()
    {
        var reader = Load(("0:Id", "r"), ("0:Roles:0", "reader"), ("0:Scopes:0", "profile:basic"), ("0:Scopes:1", "profile:licences"), ("0:ApiKeySha256:0", Hash)).Agencies[0];
        var sections = ProfileSections.Resolve(reader, []);
        Assert.Equal([ProfileSection.Basic, ProfileSection.Licences], sections.Order());
        var denied = Assert.Throws<RpcException>(() => ProfileSections.Resolve(reader, [ProfileSection.Complaints]));
        Assert.Equal(StatusCode.PermissionDenied, denied.Status);
        Assert.Contains("profile:complaints", denied.Message);

        var profile = new EnterpriseProfile
        {
            Uscc = "9144030071526726XG", Name = "示例", Identity = new Identity { Name = "示例" },
            Complaints = new ComplaintSection { Last30Days = 2, Entries = { new ComplaintEntry() } },
            Penalties = { new PenaltyEntry() }, Licences = { new LicenceEntry() },
        };
        var filtered = ProfileSections.Filter(profile, sections);
        Assert.Equal(2u, filtered.Complaints.Last30Days);
        Assert.Empty(filtered.Complaints.Entries);
        Assert.Empty(filtered.Penalties);
        Assert.Single(filtered.Licences);
        Assert.Single(profile.Complaints.Entries);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(200)]
    public void The_rate_limit_allows_one_second_of_calls_at_once_and_then_refuses(int rate)
    {
        using var limiter = AgencyDirectory.PerSecond(rate);
        for (int i = 0; i < rate; i++) Assert.True(limiter.AttemptAcquire().IsAcquired, $"call {i + 1} of {rate}");
        Assert.False(limiter.AttemptAcquire().IsAcquired);
    }

    [Fact]
    public void Every_served_datahub_method_has_a_role_rule()
    {
        var missing = HubServer.SchemaFiles().SelectMany(f => f.Services).SelectMany(s => s.Methods)
            .Select(m => $"/{m.Service.FullName}/{m.Name}").Where(p => !AgencyInterceptor.MethodRoles.ContainsKey(p)).ToList();
        Assert.Empty(missing);
    }
}
