using Microsoft.AspNetCore.Http;

namespace DataHub.Grpc;

/// <summary>What a handler knows about its call, and what it may add to the response.</summary>
public sealed class ServerCallContext
{
    private readonly Func<Task> _writeHeaders;

    internal ServerCallContext(HttpContext http, string method, Metadata requestHeaders, DateTimeOffset? deadline, CancellationToken cancellationToken, Func<Task> writeHeaders)
    {
        HttpContext = http;
        Method = method;
        RequestHeaders = requestHeaders;
        Deadline = deadline;
        CancellationToken = cancellationToken;
        _writeHeaders = writeHeaders;
    }

    /// <summary>The full method path, "/package.Service/Method".</summary>
    public string Method { get; }

    /// <summary>The caller's custom metadata ("-bin" values already decoded).</summary>
    public Metadata RequestHeaders { get; }

    /// <summary>Metadata sent with the response headers; frozen once they are sent.</summary>
    public Metadata ResponseHeaders { get; } = new();

    /// <summary>Metadata sent with the status at the end.</summary>
    public Metadata ResponseTrailers { get; } = new();

    /// <summary>From the caller's grpc-timeout; null when it set none.</summary>
    public DateTimeOffset? Deadline { get; }

    /// <summary>Cancelled when the deadline passes or the caller cancels (RST_STREAM) or disconnects.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The peer's address, "ipv4:127.0.0.1:5555" style.</summary>
    public string Peer => HttpContext.Connection.RemoteIpAddress is { } ip
        ? $"{(ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4")}:{ip}:{HttpContext.Connection.RemotePort}"
        : "unknown";

    /// <summary>The ASP.NET Core context underneath (connection, client certificate, services).</summary>
    public HttpContext HttpContext { get; }

    /// <summary>Per-call state for interceptors and handlers (the authenticated caller, for instance).</summary>
    public IDictionary<object, object?> Items => HttpContext.Items;

    /// <summary>
    /// One object an interceptor hands to the handlers of this call, such as the authenticated caller:
    /// unlike <see cref="Items"/>, it costs no dictionary per call.
    /// </summary>
    public object? CallState { get; set; }

    /// <summary>Sends the response headers now, before the first message.</summary>
    public Task WriteResponseHeadersAsync() => _writeHeaders();
}
