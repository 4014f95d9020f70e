using DataHub.Core.Workflows;
using DataHub.Grpc;
using DataHub.Security;

namespace DataHub.Api;

/// <summary>
/// What every gRPC method that takes a workflow step (a pull, a task, a catalogue edit) does around
/// it: the caller as the workflow sees it, the step — which the workflow itself audits, so the call
/// is marked recorded — and the workflow's refusals as gRPC statuses.
/// </summary>
internal static class WorkflowCalls
{
    public static WorkflowActor ActorOf(AuditedCall call, string? purpose = null) =>
        new(call.Caller.Id, call.Caller.Roles, purpose ?? call.Purpose, call.Method);

    public static async Task<T> StepAsync<T>(ServerCallContext context, Func<WorkflowActor, Task<T>> step, string? purpose = null)
    {
        var call = AuditedCall.Of(context);
        try
        {
            var result = await step(ActorOf(call, purpose));
            call.Recorded = true;
            return result;
        }
        catch (WorkflowRuleException e)
        {
            throw ToRpc(e);
        }
    }

    public static RpcException ToRpc(WorkflowRuleException e) => new(e.Kind switch
    {
        WorkflowErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        WorkflowErrorKind.NotFound => StatusCode.NotFound,
        WorkflowErrorKind.PermissionDenied => StatusCode.PermissionDenied,
        WorkflowErrorKind.Aborted => StatusCode.Aborted,
        _ => StatusCode.FailedPrecondition,
    }, e.Message);
}
