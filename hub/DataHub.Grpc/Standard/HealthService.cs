using System.Collections.Concurrent;
using Grpc.Health.V1;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace DataHub.Grpc.Standard;

/// <summary>
/// grpc.health.v1.Health (grpc/grpc doc/health-checking.md). The host sets each service's status
/// (and the server's, under the empty name) from its own probes; Check answers from that, Watch
/// streams every change.
/// </summary>
public sealed class HealthService
{
    private readonly ConcurrentDictionary<string, ServingStatus> _statuses = new(StringComparer.Ordinal);
    private event Action<string, ServingStatus>? Changed;

    /// <summary>Sets a service's status; "" is the server as a whole. Watchers hear of changes.</summary>
    public void SetStatus(string service, ServingStatus status)
    {
        var previous = _statuses.TryGetValue(service, out var p) ? p : (ServingStatus?)null;
        _statuses[service] = status;
        if (previous != status) Changed?.Invoke(service, status);
    }

    public ServingStatus? GetStatus(string service) => _statuses.TryGetValue(service, out var s) ? s : null;

    public void Bind(GrpcServiceRegistry registry)
    {
        var file = HealthReflection.Descriptor;
        registry.AddUnary<HealthCheckRequest, HealthCheckResponse>(GrpcServiceRegistry.FindMethod(file, "Health", "Check"), Check);
        registry.AddServerStreaming<HealthCheckRequest, HealthCheckResponse>(GrpcServiceRegistry.FindMethod(file, "Health", "Watch"), WatchAsync);
    }

    private Task<HealthCheckResponse> Check(HealthCheckRequest request, ServerCallContext context) =>
        GetStatus(request.Service) is { } status
            ? Task.FromResult(new HealthCheckResponse { Status = status })
            : throw new RpcException(StatusCode.NotFound, $"Service '{request.Service}' is not known to the health service.");

    private async Task WatchAsync(HealthCheckRequest request, GrpcResponseStream<HealthCheckResponse> responses, ServerCallContext context)
    {
        // Only the latest status matters to a watcher that reads slowly.
        var changes = System.Threading.Channels.Channel.CreateBounded<ServingStatus>(
            new System.Threading.Channels.BoundedChannelOptions(1) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropOldest });
        void OnChanged(string service, ServingStatus status) { if (service == request.Service) changes.Writer.TryWrite(status); }
        Changed += OnChanged;
        try
        {
            var last = GetStatus(request.Service) ?? ServingStatus.ServiceUnknown;
            await responses.WriteAsync(new HealthCheckResponse { Status = last });
            await foreach (var status in changes.Reader.ReadAllAsync(context.CancellationToken))
            {
                if (status == last) continue;
                last = status;
                await responses.WriteAsync(new HealthCheckResponse { Status = status });
            }
        }
        finally
        {
            Changed -= OnChanged;
        }
    }
}
