using DataHub.Grpc;
using DataHub.Schema.V1;
using DataHub.Security;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Api;

/// <summary>datahub.v1.AdminService: the operators' counts and actions, each audited.</summary>
internal sealed class AdminApi(Hub hub, AuditTrail audit)
{
    public void Bind(GrpcServiceRegistry registry)
    {
        var file = AdminServiceReflection.Descriptor;
        registry.AddUnary<GetStatsRequest, GetStatsResponse>(GrpcServiceRegistry.FindMethod(file, "AdminService", "GetStats"), GetStatsAsync);
        registry.AddUnary<ListQuarantineRequest, ListQuarantineResponse>(GrpcServiceRegistry.FindMethod(file, "AdminService", "ListQuarantine"), ListQuarantineAsync);
        registry.AddUnary<ReplayQuarantineRequest, ReplayQuarantineResponse>(GrpcServiceRegistry.FindMethod(file, "AdminService", "ReplayQuarantine"), ReplayAsync);
        registry.AddUnary<RebuildRequest, RebuildResponse>(GrpcServiceRegistry.FindMethod(file, "AdminService", "Rebuild"), RebuildAsync);
    }

    private async Task<GetStatsResponse> GetStatsAsync(GetStatsRequest request, ServerCallContext context)
    {
        var (stats, sources) = await Task.Run(() => (hub.Store.Stats(), hub.Store.SourceCounts()), context.CancellationToken);
        var response = new GetStatsResponse
        {
            Records = (ulong)stats.Records,
            CurrentRecords = (ulong)stats.CurrentRecords,
            Profiles = (ulong)stats.Profiles,
            Quarantined = (ulong)stats.Quarantined,
            Unresolved = (ulong)stats.Unresolved,
        };
        response.Sources.AddRange(sources.Select(s => new SourceStats { Source = s.Source, Records = (ulong)s.Records, Quarantined = (ulong)s.Quarantined }));
        return response;
    }

    private async Task<ListQuarantineResponse> ListQuarantineAsync(ListQuarantineRequest request, ServerCallContext context)
    {
        if (request.Limit > 1000) throw new RpcException(StatusCode.InvalidArgument, $"limit is {request.Limit}; use 1 to 1000 (0 means 100).");
        var limit = request.Limit == 0 ? 100 : (int)request.Limit;
        var entries = await Task.Run(() => hub.Store.ListQuarantine(request.IncludeReplayed, limit), context.CancellationToken);
        var response = new ListQuarantineResponse();
        foreach (var e in entries)
        {
            response.Entries.Add(new QuarantinedRecord
            {
                Id = e.Id, Source = e.Source, Format = e.Format, Origin = e.Origin, Stage = e.Stage, ReasonCode = e.ReasonCode, Reason = e.Reason,
                QuarantinedAt = Timestamp.FromDateTimeOffset(e.QuarantinedAt), ReplayAttempts = (uint)e.ReplayAttempts,
                ReplayedAt = e.ReplayedAt is { } at ? Timestamp.FromDateTimeOffset(at) : null, Payload = ByteString.CopyFrom(e.Payload),
            });
        }
        await audit.RecordAsync(AuditedCall.Of(context), "OK", $"listed={entries.Count}");
        return response;
    }

    private async Task<ReplayQuarantineResponse> ReplayAsync(ReplayQuarantineRequest request, ServerCallContext context)
    {
        var waiting = await Task.Run(() => hub.Store.ListQuarantine(false, int.MaxValue), context.CancellationToken);
        var chosen = request.Ids.Count == 0 ? waiting : waiting.Where(e => request.Ids.Contains(e.Id)).ToList();
        var unknown = request.Ids.Except(waiting.Select(e => e.Id)).ToList();
        if (unknown.Count > 0)
            throw new RpcException(StatusCode.NotFound, $"No waiting quarantine entry with id {string.Join(", ", unknown)} (replayed already, or never quarantined).");
        var summary = await hub.Pipeline.ReplayQuarantineAsync(chosen, context.CancellationToken);
        var response = new ReplayQuarantineResponse
        {
            Attempted = (uint)chosen.Count,
            Replayed = (uint)summary.Replayed,
            StillQuarantined = (uint)(chosen.Count - summary.Replayed),
        };
        await audit.RecordAsync(AuditedCall.Of(context), "OK", $"ids={(request.Ids.Count == 0 ? "all" : string.Join(",", request.Ids))} attempted={response.Attempted} replayed={response.Replayed}");
        return response;
    }

    private async Task<RebuildResponse> RebuildAsync(RebuildRequest request, ServerCallContext context)
    {
        var profiles = await Task.Run(() => hub.Pipeline.Rebuild(cancellationToken: context.CancellationToken), context.CancellationToken);
        await audit.RecordAsync(AuditedCall.Of(context), "OK", $"profiles={profiles}");
        return new RebuildResponse { Profiles = (uint)profiles };
    }
}
