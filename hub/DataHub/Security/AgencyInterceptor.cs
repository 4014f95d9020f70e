using System.Collections.Frozen;
using System.Threading.RateLimiting;
using DataHub.Core.Audit;
using DataHub.Grpc;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace DataHub.Security;

/// <summary>
/// Authentication, authorization, rate limiting and auditing of every call to a datahub.v1 service
/// (health and reflection stay open, as load balancers and tools expect). The caller presents
/// "authorization: Bearer &lt;key&gt;"; the method's roles come from <see cref="MethodRoles"/>, which
/// must cover every datahub.v1 method or the host does not start.
/// </summary>
internal sealed partial class AgencyInterceptor(AgencyDirectory agencies, AuditTrail audit, ILogger<AgencyInterceptor> logger) : IServerInterceptor
{
    /// <summary>Services open to anyone, as load balancers and tools expect; every other method needs a role rule.</summary>
    public static readonly FrozenSet<string> OpenServices = new[]
    {
        "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
    }.ToFrozenSet(StringComparer.Ordinal);

    private const int MaxPurposeLength = 200;

    // Callers without a valid key, per address: their refusals are audited, but not at flood rate.
    private readonly PartitionedRateLimiter<string> _refusals = PartitionedRateLimiter.Create<string, string>(peer =>
        RateLimitPartition.GetTokenBucketLimiter(peer, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = 20, TokensPerPeriod = 2, ReplenishmentPeriod = TimeSpan.FromMilliseconds(100), QueueLimit = 0, AutoReplenishment = true,
        }));
    /// <summary>The roles that may read profiles.</summary>
    internal static readonly string[] ProfileReaders = [Roles.Reader, Roles.Approval, Roles.Regulator, Roles.Coordination, Roles.SuperAdmin];

    /// <summary>The roles that take part in data pulls; the catalogue narrows who may request each item type.</summary>
    internal static readonly string[] PullParticipants = [Roles.Approval, Roles.Regulator, Roles.Coordination, Roles.SuperAdmin];

    /// <summary>The regulators that work the tasks, and the offices that oversee them.</summary>
    internal static readonly string[] LinkageParticipants = [Roles.Regulator, Roles.Coordination, Roles.SuperAdmin];

    /// <summary>The roles that may call each method.</summary>
    public static readonly FrozenDictionary<string, string[]> MethodRoles = new Dictionary<string, string[]>
    {
        ["/datahub.v1.IngestService/Submit"] = [Roles.Source],
        ["/datahub.v1.IngestService/SubmitStream"] = [Roles.Source],
        ["/datahub.v1.ProfileService/GetProfile"] = ProfileReaders,
        ["/datahub.v1.ProfileService/GetProfileAsOf"] = ProfileReaders,
        ["/datahub.v1.ProfileService/SearchProfiles"] = ProfileReaders,
        ["/datahub.v1.ProfileService/WatchProfiles"] = ProfileReaders,
        ["/datahub.v1.ProfileService/CheckCredit"] = ProfileReaders,
        ["/datahub.v1.AdminService/GetStats"] = [Roles.Admin],
        ["/datahub.v1.AdminService/ListQuarantine"] = [Roles.Admin],
        ["/datahub.v1.AdminService/ReplayQuarantine"] = [Roles.Admin],
        ["/datahub.v1.AdminService/Rebuild"] = [Roles.Admin],
        ["/datahub.v1.AdminService/ListAdapters"] = [Roles.Admin],
        ["/datahub.v1.AdminService/PauseAdapter"] = [Roles.Admin],
        ["/datahub.v1.AdminService/ResumeAdapter"] = [Roles.Admin],
        ["/datahub.v1.AdminService/RestartAdapter"] = [Roles.Admin],
        ["/datahub.v1.AdminService/GetPullCatalogue"] = [Roles.Admin],
        ["/datahub.v1.AdminService/UpdatePullCatalogue"] = [Roles.Admin],
        ["/datahub.v1.DataPullService/RequestPull"] = PullParticipants,
        ["/datahub.v1.DataPullService/GetPull"] = PullParticipants,
        ["/datahub.v1.DataPullService/ListPulls"] = PullParticipants,
        ["/datahub.v1.DataPullService/RespondPull"] = PullParticipants,
        ["/datahub.v1.DataPullService/Escalate"] = PullParticipants,
        ["/datahub.v1.DataPullService/Rule"] = [Roles.Coordination],
        ["/datahub.v1.DataPullService/Cancel"] = PullParticipants,
        ["/datahub.v1.DataPullService/Rate"] = PullParticipants,
        ["/datahub.v1.DataPullService/WatchPulls"] = PullParticipants,
        ["/datahub.v1.LinkageService/ListTasks"] = LinkageParticipants,
        ["/datahub.v1.LinkageService/AcknowledgeTask"] = [Roles.Regulator],
        ["/datahub.v1.LinkageService/SubmitResult"] = [Roles.Regulator],
        ["/datahub.v1.LinkageService/WatchTasks"] = [Roles.Regulator, Roles.Approval, Roles.Coordination, Roles.SuperAdmin],
        ["/datahub.v1.LinkageService/ListCommitments"] = [Roles.Approval, Roles.Coordination, Roles.SuperAdmin],
        ["/datahub.v1.AdminService/GetLinkageCatalogue"] = [Roles.Admin],
        ["/datahub.v1.AdminService/UpdateLinkageCatalogue"] = [Roles.Admin],
        ["/datahub.v1.AdminService/ListUnmatchedApprovals"] = [Roles.Admin],
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Refuses to start when a served method outside the open services has no role rule.</summary>
    public static void EnsureEveryMethodHasRoles(GrpcServiceRegistry registry)
    {
        var missing = registry.Methods.Where(m => !OpenServices.Contains(m.ServiceName) && !MethodRoles.ContainsKey(m.Path)).Select(m => m.Path).ToList();
        if (missing.Count > 0) throw new InvalidOperationException($"No role rule for {string.Join(", ", missing)}; add them to AgencyInterceptor.MethodRoles.");
    }

    public async Task InterceptAsync(ServerCallContext context, GrpcMethodInfo method, Func<Task> next)
    {
        if (OpenServices.Contains(method.ServiceName))
        {
            await next();
            return;
        }
        if (!MethodRoles.TryGetValue(method.Path, out var roles))
            throw new RpcException(StatusCode.PermissionDenied, $"{method.Path} has no role rule; nobody may call it.");
        var call = new AuditedCall(method.Path, Purpose(context.RequestHeaders));
        context.CallState = call;
        try
        {
            Agency agency;
            try
            {
                agency = Authenticate(context);
            }
            catch (RpcException)
            {
                using var allowance = _refusals.AttemptAcquire(context.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown");
                if (!allowance.IsAcquired)
                {
                    // A flood of bad credentials from one address: refused without an audit entry each.
                    call.Recorded = true;
                    throw new RpcException(StatusCode.ResourceExhausted, "Too many calls without a valid credential from this address; slow down.");
                }
                throw;
            }
            call.Agency = agency;
            if (!agency.HasAnyRole(roles))
                throw new RpcException(StatusCode.PermissionDenied,
                    $"Agency '{agency.Id}' has roles [{string.Join(", ", agency.Roles.Order())}]; {method.Path} needs one of [{string.Join(", ", roles)}].");
            using var lease = agency.RateLimiter.AttemptAcquire();
            if (!lease.IsAcquired)
            {
                var retry = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? $" Retry after {after.TotalMilliseconds:F0} ms." : "";
                throw new RpcException(StatusCode.ResourceExhausted, $"Agency '{agency.Id}' is over its rate limit.{retry}");
            }
            await next();
            if (!call.Recorded) await audit.RecordAsync(call, "OK");
        }
        catch (RpcException e)
        {
            if (e.Status is StatusCode.Unauthenticated or StatusCode.PermissionDenied)
                LogRefused(logger, method.Path, call.Agency?.Id ?? AuditTrail.Unauthenticated, StatusName(e.Status), context.Peer);
            if (!call.Recorded) await audit.RecordAsync(call, StatusName(e.Status), e.Message.Length > 300 ? e.Message[..300] + "…" : e.Message);
            throw;
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            if (!call.Recorded) await audit.RecordAsync(call, context.Deadline is { } d && d <= DateTimeOffset.UtcNow ? "DEADLINE_EXCEEDED" : "CANCELLED");
            throw;
        }
        catch (Exception e)
        {
            if (!call.Recorded) await audit.RecordAsync(call, "INTERNAL", e.GetType().Name);
            throw;
        }
    }

    /// <summary>Why the caller reads: x-purpose-bin (UTF-8, for Chinese text) or x-purpose, cut to 200 characters.</summary>
    private static string Purpose(Metadata headers)
    {
        var purpose = headers.GetBytes("x-purpose-bin") is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes) : headers.GetValue("x-purpose") ?? "";
        if (purpose.Any(char.IsControl)) purpose = new string(purpose.Where(ch => !char.IsControl(ch)).ToArray());
        return purpose.Length > MaxPurposeLength ? purpose[..MaxPurposeLength] : purpose;
    }

    private Agency Authenticate(ServerCallContext context)
    {
        var header = context.RequestHeaders.GetValue("authorization");
        if (header is null)
            throw new RpcException(StatusCode.Unauthenticated, "No credential: send metadata 'authorization: Bearer <API key>' issued to your agency.");
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
            throw new RpcException(StatusCode.Unauthenticated, "The authorization metadata must be 'Bearer <API key>'.");
        // A connection presents the same credential call after call: the agency it named is remembered for
        // the connection (with the header, which Kestrel keeps for the connection too; both go with it), so
        // the key is hashed once per connection, not on every call. A different header — a gateway speaking
        // for several agencies — is looked up afresh. The table is safe for the connection's concurrent streams.
        var connection = context.HttpContext.Features.Get<IConnectionItemsFeature>()?.Items;
        if (connection is not null && _remembered.TryGetValue(connection, out var known) && string.Equals(known.Header, header, StringComparison.Ordinal))
            return known.Agency;
        var agency = agencies.FindByKey(header.AsSpan(7).Trim())
            ?? throw new RpcException(StatusCode.Unauthenticated, "The API key is not known to this hub (revoked, mistyped, or for another deployment).");
        if (connection is not null) _remembered.AddOrUpdate(connection, new ConnectionCredential(header, agency));
        return agency;
    }

    // Per connection (its items dictionary, which lives as long as it does): the credential it last presented.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, ConnectionCredential> _remembered = new();

    /// <summary>The credential a connection last presented and the agency it named.</summary>
    private sealed record ConnectionCredential(string Header, Agency Agency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Method} for {Agency} from {Peer}: {Status}")]
    private static partial void LogRefused(ILogger logger, string method, string agency, string status, string peer);

    /// <summary>UNAUTHENTICATED, PERMISSION_DENIED …: the names gRPC documents.</summary>
    public static string StatusName(StatusCode status) => status switch
    {
        StatusCode.OK => "OK",
        StatusCode.InvalidArgument => "INVALID_ARGUMENT",
        StatusCode.DeadlineExceeded => "DEADLINE_EXCEEDED",
        StatusCode.NotFound => "NOT_FOUND",
        StatusCode.AlreadyExists => "ALREADY_EXISTS",
        StatusCode.PermissionDenied => "PERMISSION_DENIED",
        StatusCode.ResourceExhausted => "RESOURCE_EXHAUSTED",
        StatusCode.FailedPrecondition => "FAILED_PRECONDITION",
        StatusCode.OutOfRange => "OUT_OF_RANGE",
        StatusCode.Unimplemented => "UNIMPLEMENTED",
        StatusCode.Unavailable => "UNAVAILABLE",
        StatusCode.DataLoss => "DATA_LOSS",
        StatusCode.Unauthenticated => "UNAUTHENTICATED",
        _ => status.ToString().ToUpperInvariant(),
    };
}

/// <summary>The audit facts of one call, gathered while it runs.</summary>
internal sealed class AuditedCall(string method, string purpose)
{
    public string Method { get; } = method;
    public string Purpose { get; } = purpose;
    public Agency? Agency { get; set; }
    public bool Recorded { get; set; }

    public static AuditedCall Of(ServerCallContext context) =>
        context.CallState is AuditedCall audited
            ? audited
            : throw new InvalidOperationException($"{context.Method} ran without the agency interceptor.");

    /// <summary>The authenticated caller (the interceptor has run).</summary>
    public Agency Caller => Agency ?? throw new InvalidOperationException("The call is not authenticated.");
}

/// <summary>Appends calls to the audit chain.</summary>
internal sealed class AuditTrail(IAuditLog log, TimeProvider time)
{
    public const string Unauthenticated = "(unauthenticated)";

    /// <summary>Records a successful disclosure before the data leaves: call this before returning it.</summary>
    public Task DiscloseAsync(ServerCallContext context, string uscc, string detail) => RecordAsync(AuditedCall.Of(context), "OK", detail, uscc);

    public async Task RecordAsync(AuditedCall call, string result, string detail = "", string uscc = "")
    {
        call.Recorded = true;
        await log.AppendAsync(new AuditDraft
        {
            Agency = call.Agency?.Id ?? Unauthenticated,
            Method = call.Method,
            Uscc = uscc,
            Purpose = call.Purpose,
            Result = result,
            Detail = detail,
            At = time.GetUtcNow(),
        });
    }
}
