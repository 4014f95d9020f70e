namespace DataHub.Grpc;

/// <summary>Limits and policies of the gRPC layer.</summary>
public sealed class GrpcServerOptions
{
    /// <summary>Largest message accepted, after decompression; larger → RESOURCE_EXHAUSTED. Default 4 MiB as in gRPC's own servers.</summary>
    public int MaxReceiveMessageSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest message sent; null = no limit (gRPC's default).</summary>
    public int? MaxSendMessageSize { get; set; }

    /// <summary>
    /// Compression of responses when the caller accepts it: "gzip" compresses every response, null
    /// (the default) compresses only when the request itself came compressed.
    /// </summary>
    public string? ResponseCompression { get; set; }

    /// <summary>Run around every call, outermost first (authentication, audit, rate limits).</summary>
    public IList<IServerInterceptor> Interceptors { get; } = [];
}

/// <summary>Code run around a call: it may inspect the context, refuse with <see cref="RpcException"/>, or observe the outcome.</summary>
public interface IServerInterceptor
{
    /// <summary>Calls <paramref name="next"/> to go on; the call's status is what <paramref name="next"/> throws, or OK.</summary>
    Task InterceptAsync(ServerCallContext context, GrpcMethodInfo method, Func<Task> next);
}
