using System.Security.Cryptography;
using System.Text;
using DataHub.Core.Ingest;
using DataHub.Core.Profiles;
using DataHub.Embedded;
using DataHub.Grpc;
using DataHub.Schema.V1;
using DataHub.Security;
using Google.Protobuf;

namespace DataHub.Api;

/// <summary>datahub.v1.ProfileService: validate, authorize by scope, read, audit, answer.</summary>
internal sealed class ProfileApi(Hub hub, CachedProfileReader profiles, AuditTrail audit)
{
    private const int DefaultPageSize = 20;


    private readonly WatchStreams _watches = new(hub.Bus, "WatchProfiles");
    private const int MaxPageSize = 100;

    public void Bind(GrpcServiceRegistry registry)
    {
        var file = ProfileServiceReflection.Descriptor;
        registry.AddUnaryReply<GetProfileRequest, EnterpriseProfile>(GrpcServiceRegistry.FindMethod(file, "ProfileService", "GetProfile"), GetProfileAsync);
        registry.AddUnary<SearchProfilesRequest, SearchProfilesResponse>(GrpcServiceRegistry.FindMethod(file, "ProfileService", "SearchProfiles"), SearchAsync);
        registry.AddServerStreaming<WatchProfilesRequest, ProfileChange>(GrpcServiceRegistry.FindMethod(file, "ProfileService", "WatchProfiles"), WatchAsync);
        registry.AddUnary<GetProfileAsOfRequest, EnterpriseProfile>(GrpcServiceRegistry.FindMethod(file, "ProfileService", "GetProfileAsOf"), GetProfileAsOfAsync);
        registry.AddUnary<CheckCreditRequest, CheckCreditResponse>(GrpcServiceRegistry.FindMethod(file, "ProfileService", "CheckCredit"), CheckCreditAsync);
    }

    private async Task<GrpcReply<EnterpriseProfile>> GetProfileAsync(GetProfileRequest request, ServerCallContext context)
    {
        var caller = AuditedCall.Of(context).Caller;
        var sections = ProfileSections.Resolve(caller, request.Sections);
        var uscc = ApiErrors.RequireUscc(request.Uscc, hub.Options.UsccAllowList);
        var cached = await profiles.GetEncodedAsync(uscc, context.CancellationToken) ?? throw ApiErrors.NotFound(uscc);
        await audit.DiscloseAsync(context, uscc, ProfileSections.AuditDetail(sections));
        // The whole profile goes out as the bytes cached with it; only a filtered copy is serialized.
        return ProfileSections.IsWhole(sections) ? GrpcReply<EnterpriseProfile>.Encoded(cached.Encoded) : ProfileSections.Filter(cached.Profile, sections);
    }

    private async Task<EnterpriseProfile> GetProfileAsOfAsync(GetProfileAsOfRequest request, ServerCallContext context)
    {
        var caller = AuditedCall.Of(context).Caller;
        var sections = ProfileSections.Resolve(caller, request.Sections);
        var uscc = ApiErrors.RequireUscc(request.Uscc, hub.Options.UsccAllowList);
        var date = ApiErrors.RequireDate(request.AsOf, "as_of");
        var versions = await Task.Run(() => hub.Store.RecordVersions(uscc), context.CancellationToken);
        if (versions.Count == 0) throw ApiErrors.NotFound(uscc);
        var profile = new ProfileProjector().ProjectAsOf(uscc, versions, date);
        if (profile.RecordCount == 0)
            throw new RpcException(StatusCode.NotFound, $"The hub holds no record of {uscc} dated on or before {date:yyyy-MM-dd}. / {date:yyyy-MM-dd}及以前没有该企业的记录。");
        await audit.DiscloseAsync(context, uscc, $"as_of={date:yyyy-MM-dd} sections={ProfileSections.Describe(sections)}");
        return ProfileSections.Filter(profile, sections);
    }

    private async Task<SearchProfilesResponse> SearchAsync(SearchProfilesRequest request, ServerCallContext context)
    {
        // Results show status, risk tier and grade, and a query can match legal representatives: basic data.
        ProfileSections.Require(AuditedCall.Of(context).Caller, ProfileSection.Basic);
        if (request.PageSize > MaxPageSize) throw new RpcException(StatusCode.InvalidArgument, $"page_size is {request.PageSize}; use 1 to {MaxPageSize} (0 means {DefaultPageSize}).");
        var pageSize = request.PageSize == 0 ? DefaultPageSize : (int)request.PageSize;
        if (request.DistrictCode.Length > 0 && (request.DistrictCode.Length != 6 || !request.DistrictCode.All(char.IsAsciiDigit)))
            throw new RpcException(StatusCode.InvalidArgument, $"district_code '{request.DistrictCode}' is not a 6-digit division code (GB/T 2260), e.g. 440305.");
        var query = new ProfileQuery
        {
            Text = request.Query,
            DistrictCode = NullIfEmpty(request.DistrictCode),
            Status = request.Status == RegistrationStatus.Unspecified ? null : request.Status,
            RiskTier = request.RiskTier == RiskTier.Unspecified ? null : request.RiskTier,
            CreditGrade = NullIfEmpty(request.CreditGrade.Trim().ToUpperInvariant()),
            Limit = pageSize,
        };
        if (query.Text.Trim().Length == 0 && !query.HasFilter)
            throw new RpcException(StatusCode.InvalidArgument, "Give a query (name, USCC, legal representative, address) or at least one filter.");
        var fingerprint = Fingerprint(request);
        query = query with { Offset = ReadPageToken(request.PageToken, fingerprint) };
        var page = await Task.Run(() => hub.Store.Search(query), context.CancellationToken);
        var response = new SearchProfilesResponse { Total = (uint)page.Total, TotalCapped = page.TotalIsLowerBound };
        foreach (var hit in page.Hits)
        {
            response.Results.Add(new ProfileSummary
            {
                Uscc = hit.Uscc, Name = hit.Name, DistrictCode = hit.DistrictCode, Status = hit.Status, RiskTier = hit.RiskTier, CreditGrade = hit.CreditGrade,
            });
        }
        var next = query.Offset + page.Hits.Count;
        if (page.Hits.Count == pageSize && next < page.Total) response.NextPageToken = PageToken(next, fingerprint);
        await audit.DiscloseAsync(context, "", $"query={ApiErrors.Quote(request.Query)} district={ApiErrors.Quote(request.DistrictCode)} status={request.Status} " +
                                               $"risk={request.RiskTier} grade={ApiErrors.Quote(request.CreditGrade)} offset={query.Offset} total={page.Total}");
        return response;
    }

    private Task WatchAsync(WatchProfilesRequest request, GrpcResponseStream<ProfileChange> responses, ServerCallContext context)
    {
        var caller = AuditedCall.Of(context).Caller;
        var sections = ProfileSections.Resolve(caller, request.Sections);
        var watched = request.Usccs.Select((u, i) => ApiErrors.RequireUscc(u, hub.Options.UsccAllowList, $"usccs[{i}]")).ToHashSet(StringComparer.Ordinal);
        return _watches.HoldAsync(caller.Id, () => _watches.RelayAsync(Topics.Profiles, m =>
            {
                if (watched.Count > 0 && !watched.Contains(m.Key)) return null;
                var profile = (EnterpriseProfile)m.Value;
                return profile.RecordCount == 0
                    ? new ProfileChange { Uscc = m.Key, Removed = true }
                    : new ProfileChange { Uscc = m.Key, Profile = ProfileSections.Filter(profile, sections) };
            }, responses, context,
            // One entry for the subscription: every change it delivers falls under it.
            () => audit.DiscloseAsync(context, watched.Count == 1 ? watched.First() : "",
                $"watch usccs={(watched.Count == 0 ? "all" : string.Join(",", watched.Order()))} sections={ProfileSections.Describe(sections)}")));
    }

    private async Task<CheckCreditResponse> CheckCreditAsync(CheckCreditRequest request, ServerCallContext context)
    {
        // Grade, lists and status are basic data; the commitment findings are counts, part of the credit
        // picture an approval needs, not the approval records themselves.
        ProfileSections.Require(AuditedCall.Of(context).Caller, ProfileSection.Basic);
        var uscc = ApiErrors.RequireUscc(request.Uscc, hub.Options.UsccAllowList);
        var profile = await profiles.GetAsync(uscc, context.CancellationToken) ?? throw ApiErrors.NotFound(uscc);
        var answer = CreditCheck.Evaluate(profile);
        await audit.DiscloseAsync(context, uscc, $"commitment_allowed={answer.CommitmentAllowed} findings={string.Join(",", answer.Findings.Select(f => f.Code))}");
        return answer;
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    /// <summary>Ties a page token to its query, so a token cannot be replayed against another search.</summary>
    private static string Fingerprint(SearchProfilesRequest request)
    {
        var key = request.Clone();
        key.PageToken = "";
        return Convert.ToHexStringLower(SHA256.HashData(key.ToByteArray()))[..16];
    }

    private static string PageToken(int offset, string fingerprint) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes($"{offset}:{fingerprint}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static int ReadPageToken(string token, string fingerprint)
    {
        if (token.Length == 0) return 0;
        try
        {
            var padded = token.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var parts = Encoding.ASCII.GetString(Convert.FromBase64String(padded)).Split(':');
            if (parts.Length == 2 && parts[1] == fingerprint && int.TryParse(parts[0], out var offset) && offset >= 0) return offset;
        }
        catch (FormatException)
        {
        }
        throw new RpcException(StatusCode.InvalidArgument, "page_token does not belong to this query; send the same query and filters with the token from its previous page, or no token for the first page.");
    }
}
