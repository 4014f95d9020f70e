using DataHub.Core.Workflows;
using DataHub.Adapters;
using DataHub.Core.Linkage;
using DataHub.Core.Pulls;
using DataHub.Grpc;
using DataHub.Schema.V1;
using DataHub.Security;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Api;

/// <summary>datahub.v1.AdminService: the operators' counts and actions, each audited.</summary>
internal sealed class AdminApi(Hub hub, AuditTrail audit, Func<AdapterRunner?> adapters, DataPullWorkflow pulls, LinkageWorkflow linkage)
{
    public void Bind(GrpcServiceRegistry registry)
    {
        var file = AdminServiceReflection.Descriptor;
        registry.AddUnary<GetStatsRequest, GetStatsResponse>(GrpcServiceRegistry.FindMethod(file, "AdminService", "GetStats"), GetStatsAsync);
        registry.AddUnary<ListQuarantineRequest, ListQuarantineResponse>(GrpcServiceRegistry.FindMethod(file, "AdminService", "ListQuarantine"), ListQuarantineAsync);
        registry.AddUnary<ReplayQuarantineRequest, ReplayQuarantineResponse>(GrpcServiceRegistry.FindMethod(file, "AdminService", "ReplayQuarantine"), ReplayAsync);
        registry.AddUnary<RebuildRequest, RebuildResponse>(GrpcServiceRegistry.FindMethod(file, "AdminService", "Rebuild"), RebuildAsync);
        registry.AddUnary<ListAdaptersRequest, ListAdaptersResponse>(GrpcServiceRegistry.FindMethod(file, "AdminService", "ListAdapters"), ListAdaptersAsync);
        registry.AddUnary<AdapterRequest, Schema.V1.AdapterStatus>(GrpcServiceRegistry.FindMethod(file, "AdminService", "PauseAdapter"), (r, c) => ControlAsync(r, c, "paused", x => x.PauseAsync));
        registry.AddUnary<AdapterRequest, Schema.V1.AdapterStatus>(GrpcServiceRegistry.FindMethod(file, "AdminService", "ResumeAdapter"), (r, c) => ControlAsync(r, c, "resumed", x => x.ResumeAsync));
        registry.AddUnary<AdapterRequest, Schema.V1.AdapterStatus>(GrpcServiceRegistry.FindMethod(file, "AdminService", "RestartAdapter"), (r, c) => ControlAsync(r, c, "restarted", x => x.RestartAsync));
        registry.AddUnary<GetPullCatalogueRequest, PullCatalogueRevision>(GrpcServiceRegistry.FindMethod(file, "AdminService", "GetPullCatalogue"), (_, _) => Task.FromResult(ToMessage(pulls.CatalogueRevision)));
        registry.AddUnary<UpdatePullCatalogueRequest, PullCatalogueRevision>(GrpcServiceRegistry.FindMethod(file, "AdminService", "UpdatePullCatalogue"), UpdatePullCatalogueAsync);
        registry.AddUnary<GetLinkageCatalogueRequest, LinkageCatalogueRevision>(GrpcServiceRegistry.FindMethod(file, "AdminService", "GetLinkageCatalogue"),
            (_, _) => Task.FromResult(ToMessage(linkage.CatalogueRevision)));
        registry.AddUnary<UpdateLinkageCatalogueRequest, LinkageCatalogueRevision>(GrpcServiceRegistry.FindMethod(file, "AdminService", "UpdateLinkageCatalogue"), UpdateLinkageCatalogueAsync);
        registry.AddUnary<ListUnmatchedApprovalsRequest, ListUnmatchedApprovalsResponse>(GrpcServiceRegistry.FindMethod(file, "AdminService", "ListUnmatchedApprovals"), ListUnmatchedAsync);
    }

    private async Task<LinkageCatalogueRevision> UpdateLinkageCatalogueAsync(UpdateLinkageCatalogueRequest request, ServerCallContext context) =>
        ToMessage(await WorkflowCalls.StepAsync(context, a => linkage.UpdateCatalogueAsync(request.Csv, (int)request.ExpectedRevision, a, context.CancellationToken)));

    private static LinkageCatalogueRevision ToMessage(StoredLinkageCatalogue c) => new()
    {
        Revision = (uint)c.Revision, Csv = c.Csv, EditedBy = c.EditedBy, EditedAt = Timestamp.FromDateTimeOffset(c.EditedAt),
    };

    private async Task<ListUnmatchedApprovalsResponse> ListUnmatchedAsync(ListUnmatchedApprovalsRequest request, ServerCallContext context)
    {
        if (request.Limit > 1000) throw new RpcException(StatusCode.InvalidArgument, $"limit is {request.Limit}; use 1 to 1000 (0 means 100).");
        var (cases, total) = linkage.Unmatched(request.Limit == 0 ? 100 : (int)request.Limit);
        var response = new ListUnmatchedApprovalsResponse { Total = (ulong)total };
        response.Approvals.AddRange(cases.Select(u => new UnmatchedApproval
        {
            CaseSource = u.Case.Source, CaseSourceId = u.Case.SourceId, CaseNo = u.Case.ApprovalCase.CaseNo, Uscc = u.Case.Uscc,
            ApprovalItemCode = u.Case.ApprovalCase.ItemCode, ApprovalItemName = u.Case.ApprovalCase.ItemName,
            CaseCompletedAt = u.Case.ApprovalCase.CompletedAt, ListedAt = Timestamp.FromDateTimeOffset(u.ListedAt),
        }));
        await audit.RecordAsync(AuditedCall.Of(context), "OK", $"unmatched={cases.Count} of {total}");
        return response;
    }

    private async Task<PullCatalogueRevision> UpdatePullCatalogueAsync(UpdatePullCatalogueRequest request, ServerCallContext context) =>
        ToMessage(await WorkflowCalls.StepAsync(context, a => pulls.UpdateCatalogueAsync(request.DocumentJson, (int)request.ExpectedRevision, a, context.CancellationToken)));

    private static PullCatalogueRevision ToMessage(StoredPullCatalogue c) => new()
    {
        Revision = (uint)c.Revision, DocumentJson = c.Document, EditedBy = c.EditedBy, EditedAt = Timestamp.FromDateTimeOffset(c.EditedAt),
    };

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
        var fetched = hub.Store.AdapterStates().GroupBy(a => a.Source).ToDictionary(g => g.Key, g => g.Sum(a => a.Fetched), StringComparer.Ordinal);
        response.Sources.AddRange(sources.Select(s => new SourceStats
        {
            Source = s.Source, Records = (ulong)s.Records, Quarantined = (ulong)s.Quarantined, Fetched = (ulong)fetched.GetValueOrDefault(s.Source),
        }));
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

    private async Task<ListAdaptersResponse> ListAdaptersAsync(ListAdaptersRequest request, ServerCallContext context)
    {
        var statuses = await Task.Run(() => adapters()?.Statuses() ?? [], context.CancellationToken);
        var response = new ListAdaptersResponse();
        response.Adapters.AddRange(statuses.Select(ToMessage));
        await audit.RecordAsync(AuditedCall.Of(context), "OK", $"adapters={statuses.Count}");
        return response;
    }

    private async Task<Schema.V1.AdapterStatus> ControlAsync(AdapterRequest request, ServerCallContext context, string done, Func<AdapterRunner, Func<string, Task<bool>>> action)
    {
        var runner = adapters();
        if (runner is null || !await action(runner)(request.Id))
            throw new RpcException(StatusCode.NotFound, $"No adapter '{request.Id}' runs here; ListAdapters names them (an adapter runs when DataHub:Adapters:<source>:BaseAddress is set).");
        await audit.RecordAsync(AuditedCall.Of(context), "OK", $"{request.Id} {done}");
        return ToMessage(runner.Status(request.Id)!);
    }

    private static Schema.V1.AdapterStatus ToMessage(Adapters.AdapterStatus s) => new()
    {
        Id = s.Id,
        Source = s.Source,
        Feed = s.Feed,
        State = s.State switch
        {
            AdapterRunState.Running => AdapterState.Running,
            AdapterRunState.Paused => AdapterState.Paused,
            AdapterRunState.BackingOff => AdapterState.BackingOff,
            _ => AdapterState.Stopped,
        },
        Checkpoint = s.Checkpoint,
        Fetched = (ulong)s.Fetched,
        LastRunAt = s.LastRunAt is { } run ? Timestamp.FromDateTimeOffset(run) : null,
        LastSuccessAt = s.LastSuccessAt is { } ok ? Timestamp.FromDateTimeOffset(ok) : null,
        CaughtUp = s.CaughtUp,
        LagSeconds = s.LagSeconds,
        Errors = (ulong)s.Errors,
        Retries = (ulong)s.Retries,
        LastError = s.LastError ?? "",
        Circuit = s.Circuit switch
        {
            "Closed" => CircuitState.Closed,
            "Open" => CircuitState.Open,
            "HalfOpen" => CircuitState.HalfOpen,
            "Isolated" => CircuitState.Isolated,
            _ => CircuitState.Unspecified,
        },
    };
}
