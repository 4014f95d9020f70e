using DataHub.Core.Workflows;
using DataHub.Core.Ingest;
using DataHub.Core.Pulls;
using DataHub.Embedded;
using DataHub.Grpc;
using DataHub.Schema.V1;
using DataHub.Security;
using Google.Protobuf.Reflection;

namespace DataHub.Api;

/// <summary>
/// datahub.v1.DataPullService: thin — checks the request's shape, takes the caller from the agency
/// interceptor, and lets <see cref="DataPullWorkflow"/> decide. Each step the workflow stores is its
/// own audit entry (with the pull id and the new state), so the call's entry is not written twice.
/// </summary>
internal sealed class DataPullApi(Hub hub, DataPullWorkflow pulls, AuditTrail audit)
{

    private readonly WatchStreams _watches = new(hub.Bus, "WatchPulls");

    public void Bind(GrpcServiceRegistry registry)
    {
        var file = PullServiceReflection.Descriptor;
        MethodDescriptor Method(string name) => GrpcServiceRegistry.FindMethod(file, "DataPullService", name);
        registry.AddUnary<RequestPullRequest, DataPull>(Method("RequestPull"), RequestAsync);
        registry.AddUnary<GetPullRequest, GetPullResponse>(Method("GetPull"), GetAsync);
        registry.AddUnary<ListPullsRequest, ListPullsResponse>(Method("ListPulls"), ListAsync);
        registry.AddUnary<RespondPullRequest, DataPull>(Method("RespondPull"), RespondAsync);
        registry.AddUnary<EscalatePullRequest, DataPull>(Method("Escalate"), (r, c) => WorkflowCalls.StepAsync(c, a => pulls.EscalateAsync(a, r.Id, r.Reason, c.CancellationToken)));
        registry.AddUnary<RulePullRequest, DataPull>(Method("Rule"), RuleAsync);
        registry.AddUnary<CancelPullRequest, DataPull>(Method("Cancel"), (r, c) => WorkflowCalls.StepAsync(c, a => pulls.CancelAsync(a, r.Id, r.Reason, c.CancellationToken)));
        registry.AddUnary<RatePullRequest, DataPull>(Method("Rate"), (r, c) => WorkflowCalls.StepAsync(c, a => pulls.RateAsync(a, r.Id, r.Rating, r.Comment, c.CancellationToken)));
        registry.AddServerStreaming<WatchPullsRequest, PullEvent>(Method("WatchPulls"), WatchAsync);
    }

    private Task<DataPull> RequestAsync(RequestPullRequest request, ServerCallContext context)
    {
        var uscc = ApiErrors.RequireUscc(request.Uscc, hub.Options.UsccAllowList);
        var call = AuditedCall.Of(context);
        return WorkflowCalls.StepAsync(context, a => pulls.RequestAsync(a, uscc, request.ItemType, request.Purpose, request.CaseReference, context.CancellationToken), call.Purpose.Length > 0 ? call.Purpose : request.Purpose);
    }

    private Task<DataPull> RespondAsync(RespondPullRequest request, ServerCallContext context) => request.AnswerCase switch
    {
        RespondPullRequest.AnswerOneofCase.Fulfil => WorkflowCalls.StepAsync(context, a => pulls.FulfilAsync(a, request.Id, request.Fulfil.Content.Memory, request.Fulfil.MediaType,
            request.Fulfil.FileName, request.Fulfil.ValidUntil, context.CancellationToken)),
        RespondPullRequest.AnswerOneofCase.Refuse => WorkflowCalls.StepAsync(context, a => pulls.RefuseAsync(a, request.Id, request.Refuse.Reason, request.Refuse.LegalBasis, context.CancellationToken)),
        _ => throw new RpcException(StatusCode.InvalidArgument, "Set either fulfil (content and media_type) or refuse (reason and legal_basis)."),
    };

    private Task<DataPull> RuleAsync(RulePullRequest request, ServerCallContext context) => request.Decision switch
    {
        RulePullRequest.Types.Decision.UpholdRefusal => WorkflowCalls.StepAsync(context, a => pulls.UpholdRefusalAsync(a, request.Id, request.Opinion, context.CancellationToken)),
        RulePullRequest.Types.Decision.DirectFulfilment => WorkflowCalls.StepAsync(context, a => pulls.DirectFulfilmentAsync(a, request.Id, request.Opinion, (int)Math.Min(request.TimeLimitWorkingDays, 1000), context.CancellationToken)),
        _ => throw new RpcException(StatusCode.InvalidArgument, "decision is missing: UPHOLD_REFUSAL or DIRECT_FULFILMENT."),
    };

    private async Task<GetPullResponse> GetAsync(GetPullRequest request, ServerCallContext context)
    {
        try
        {
            var (pull, history) = pulls.Get(WorkflowCalls.ActorOf(AuditedCall.Of(context)), request.Id.Trim());
            // The evidence is the enterprise's data: its disclosure is audited before it leaves.
            await audit.DiscloseAsync(context, pull.Uscc, $"read pull={pull.Id} state={pull.State}");
            var response = new GetPullResponse { Pull = pull };
            response.History.AddRange(history);
            return response;
        }
        catch (WorkflowRuleException e)
        {
            throw WorkflowCalls.ToRpc(e);
        }
    }

    private Task<ListPullsResponse> ListAsync(ListPullsRequest request, ServerCallContext context)
    {
        if (request.PageSize > 500) throw new RpcException(StatusCode.InvalidArgument, $"page_size is {request.PageSize}; use 1 to 500 (0 means 50).");
        long? before = null;
        if (request.PageToken.Length > 0)
            before = long.TryParse(request.PageToken, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var b) && b > 0
                ? b : throw new RpcException(StatusCode.InvalidArgument, $"page_token {ApiErrors.Quote(request.PageToken)} is not one this service gave out.");
        try
        {
            var page = pulls.List(WorkflowCalls.ActorOf(AuditedCall.Of(context)), request.View, request.State == PullState.Unspecified ? null : request.State,
                request.PageSize == 0 ? 50 : (int)request.PageSize, before);
            var response = new ListPullsResponse { NextPageToken = page.Next?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "" };
            response.Pulls.AddRange(page.Pulls);
            return Task.FromResult(response);
        }
        catch (WorkflowRuleException e)
        {
            throw WorkflowCalls.ToRpc(e);
        }
    }

    private Task WatchAsync(WatchPullsRequest request, GrpcResponseStream<PullEvent> responses, ServerCallContext context)
    {
        var actor = WorkflowCalls.ActorOf(AuditedCall.Of(context));
        return _watches.HoldAsync(actor.Agency, () => _watches.RelayAsync(Topics.Pulls,
            m => m.Value is PullEvent e && PullLifecycle.CanSee(e.Pull, actor) ? e : null,
            responses, context, () => audit.RecordAsync(AuditedCall.Of(context), "OK", "watch pulls")));
    }
}
