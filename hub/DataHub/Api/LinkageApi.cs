using DataHub.Core.Ingest;
using DataHub.Core.Linkage;
using DataHub.Core.Workflows;
using DataHub.Embedded;
using DataHub.Grpc;
using DataHub.Schema.V1;
using DataHub.Security;
using Google.Protobuf.Reflection;

namespace DataHub.Api;

/// <summary>
/// datahub.v1.LinkageService: the regulators' side of the linkage — thin, as DataPullApi: the
/// caller from the agency interceptor, the decisions in <see cref="LinkageWorkflow"/>, which audits
/// every step it stores.
/// </summary>
internal sealed class LinkageApi(Hub hub, LinkageWorkflow linkage, AuditTrail audit)
{
    private readonly WatchStreams _watches = new(hub.Bus, "WatchTasks");

    public void Bind(GrpcServiceRegistry registry)
    {
        var file = LinkageServiceReflection.Descriptor;
        MethodDescriptor Method(string name) => GrpcServiceRegistry.FindMethod(file, "LinkageService", name);
        registry.AddUnary<ListTasksRequest, ListTasksResponse>(Method("ListTasks"), ListAsync);
        registry.AddUnary<AcknowledgeTaskRequest, RegulatoryTask>(Method("AcknowledgeTask"),
            (r, c) => WorkflowCalls.StepAsync(c, a => linkage.AcknowledgeAsync(a, r.Id, c.CancellationToken)));
        registry.AddUnary<SubmitResultRequest, RegulatoryTask>(Method("SubmitResult"),
            (r, c) => WorkflowCalls.StepAsync(c, a => linkage.SubmitResultAsync(a, r.Id, r.Result, c.CancellationToken)));
        registry.AddServerStreaming<WatchTasksRequest, LinkageEvent>(Method("WatchTasks"), WatchAsync);
        registry.AddUnary<ListCommitmentsRequest, ListCommitmentsResponse>(Method("ListCommitments"), ListCommitmentsAsync);
    }

    private async Task<ListTasksResponse> ListAsync(ListTasksRequest request, ServerCallContext context)
    {
        if (request.PageSize > 500) throw new RpcException(StatusCode.InvalidArgument, $"page_size is {request.PageSize}; use 1 to 500 (0 means 50).");
        long? before = null;
        if (request.PageToken.Length > 0)
            before = long.TryParse(request.PageToken, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var b) && b > 0
                ? b : throw new RpcException(StatusCode.InvalidArgument, $"page_token {ApiErrors.Quote(request.PageToken)} is not one this service gave out.");
        var page = linkage.List(WorkflowCalls.ActorOf(AuditedCall.Of(context)), request.View, request.State == TaskState.Unspecified ? null : request.State,
            request.PageSize == 0 ? 50 : (int)request.PageSize, before);
        var response = new ListTasksResponse { NextPageToken = page.Next?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "" };
        response.Tasks.AddRange(page.Tasks);
        await audit.RecordAsync(AuditedCall.Of(context), "OK", $"tasks={page.Tasks.Count} view={request.View}");
        return response;
    }

    private async Task<ListCommitmentsResponse> ListCommitmentsAsync(ListCommitmentsRequest request, ServerCallContext context)
    {
        if (request.PageSize > 500) throw new RpcException(StatusCode.InvalidArgument, $"page_size is {request.PageSize}; use 1 to 500 (0 means 50).");
        long? before = null;
        if (request.PageToken.Length > 0)
            before = long.TryParse(request.PageToken, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var b) && b > 0
                ? b : throw new RpcException(StatusCode.InvalidArgument, $"page_token {ApiErrors.Quote(request.PageToken)} is not one this service gave out.");
        var (commitments, next) = linkage.Store.ListCommitments(request.View == CommitmentView.Unspecified ? CommitmentView.Open : request.View,
            request.PageSize == 0 ? 50 : (int)request.PageSize, before);
        var response = new ListCommitmentsResponse { NextPageToken = next?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "" };
        response.Commitments.AddRange(commitments);
        await audit.RecordAsync(AuditedCall.Of(context), "OK", $"commitments={commitments.Count} view={request.View}");
        return response;
    }

    private Task WatchAsync(WatchTasksRequest request, GrpcResponseStream<LinkageEvent> responses, ServerCallContext context)
    {
        var actor = WorkflowCalls.ActorOf(AuditedCall.Of(context));
        // Commitment events are the approval side's; task events their regulator's (overseers see all).
        return _watches.HoldAsync(actor.Agency, () => _watches.RelayAsync(Topics.Linkage,
            m => m.Value is LinkageEvent e && (e.Task is { } task ? TaskLifecycle.CanSee(task, actor) : actor.Oversees || actor.Roles.Contains(Roles.Approval)) ? e : null,
            responses, context, () => audit.RecordAsync(AuditedCall.Of(context), "OK", "watch tasks")));
    }
}
