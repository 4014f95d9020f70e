namespace DataHub.Grpc;

/// <summary>The gRPC status codes (grpc/grpc doc/statuscodes.md).</summary>
public enum StatusCode
{
    OK = 0,
    Cancelled = 1,
    Unknown = 2,
    InvalidArgument = 3,
    DeadlineExceeded = 4,
    NotFound = 5,
    AlreadyExists = 6,
    PermissionDenied = 7,
    ResourceExhausted = 8,
    FailedPrecondition = 9,
    Aborted = 10,
    OutOfRange = 11,
    Unimplemented = 12,
    Internal = 13,
    Unavailable = 14,
    DataLoss = 15,
    Unauthenticated = 16,
}

/// <summary>Ends a call with a status other than OK; the message reaches the caller as grpc-message.</summary>
public sealed class RpcException(StatusCode status, string message, Metadata? trailers = null) : Exception(message)
{
    public StatusCode Status { get; } = status;

    /// <summary>Extra trailing metadata sent with the status.</summary>
    public Metadata Trailers { get; } = trailers ?? new Metadata();
}
