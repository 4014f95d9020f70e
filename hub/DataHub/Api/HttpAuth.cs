using DataHub.WebConsole;
using DataHub.Security;
using Microsoft.AspNetCore.Http;

namespace DataHub.Api;

/// <summary>
/// Authentication and authorization of the HTTP API: an agency's API key ("Authorization: Bearer …")
/// or a console session cookie; the roles a route needs; the agency's rate limit; and the audit entry
/// of every call, allowed or refused. Requests that change something with a cookie must carry the
/// <see cref="CsrfHeader"/>, which a cross-site form cannot send.
/// </summary>
internal sealed class HttpAuth(AgencyDirectory agencies, ConsoleSessions sessions, AuditTrail audit)
{
    public const string CsrfHeader = "X-DataHub-Console";

    public AgencyDirectory Agencies => agencies;

    public ConsoleSessions Sessions => sessions;

    /// <summary>The caller, and whether it came by cookie; null when neither credential is valid.</summary>
    public (Agency? Agency, bool ByCookie) Authenticate(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return (agencies.FindByKey(header[7..].Trim()), false);
        return (sessions.Find(context.Request.Cookies[ConsoleSessions.CookieName]), true);
    }

    /// <summary>
    /// Runs <paramref name="run"/> for a caller with one of <paramref name="roles"/>, or answers 401 / 403 /
    /// 429 with problem details. The call is audited with its result unless <paramref name="run"/> did it
    /// (disclosures record the enterprise themselves).
    /// </summary>
    public async Task<IResult> RunAsync(HttpContext context, IReadOnlyCollection<string> roles, string action, Func<Agency, AuditedCall, Task<IResult>> run)
    {
        var call = new AuditedCall($"{context.Request.Method} {context.Request.Path}", context.Request.Headers["X-Purpose"].ToString());
        var (agency, byCookie) = Authenticate(context);
        if (agency is null)
        {
            await audit.RecordAsync(call, "UNAUTHENTICATED", action);
            return Problem(StatusCodes.Status401Unauthorized, "Not authenticated",
                "Sign in to the console, or send \"Authorization: Bearer <API key>\" of an agency allowed to do this.");
        }
        call.Agency = agency;
        if (byCookie && !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && !context.Request.Headers.ContainsKey(CsrfHeader))
        {
            await audit.RecordAsync(call, "PERMISSION_DENIED", action + " (no CSRF header)");
            return Problem(StatusCodes.Status403Forbidden, "Not allowed", $"A console request that changes something must carry the {CsrfHeader} header.");
        }
        if (!agency.HasAnyRole(roles))
        {
            await audit.RecordAsync(call, "PERMISSION_DENIED", action);
            return Problem(StatusCodes.Status403Forbidden, "Not allowed",
                $"Agency '{agency.Id}' has none of the roles {string.Join(", ", roles)} that {call.Method} needs.");
        }
        using var lease = agency.RateLimiter.AttemptAcquire();
        if (!lease.IsAcquired)
        {
            await audit.RecordAsync(call, "RESOURCE_EXHAUSTED", action);
            return Problem(StatusCodes.Status429TooManyRequests, "Too many requests", $"Agency '{agency.Id}' is over its request rate; slow down.");
        }
        IResult result;
        try
        {
            result = await run(agency, call);
        }
        catch (Grpc.RpcException e)
        {
            // The domain checks shared with the gRPC services (USCC, dates, scopes) speak gRPC statuses.
            result = Problem(e.Status switch
            {
                Grpc.StatusCode.InvalidArgument => StatusCodes.Status400BadRequest,
                Grpc.StatusCode.NotFound => StatusCodes.Status404NotFound,
                Grpc.StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
                Grpc.StatusCode.FailedPrecondition or Grpc.StatusCode.Aborted => StatusCodes.Status409Conflict,
                _ => StatusCodes.Status500InternalServerError,
            }, "Request refused", e.Message);
        }
        if (!call.Recorded)
        {
            var status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : 200;
            await audit.RecordAsync(call, status < 400 ? "OK" : $"HTTP {status}", action);
        }
        return result;
    }

    public static IResult Problem(int status, string title, string detail) => Results.Problem(statusCode: status, title: title, detail: detail);
}
