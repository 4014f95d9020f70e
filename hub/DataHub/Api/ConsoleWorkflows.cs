using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using DataHub.Core.Pulls;
using DataHub.Core.Workflows;
using DataHub.Security;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Microsoft.AspNetCore.Http;

namespace DataHub.Api;

/// <summary>
/// What the console's workflow APIs (<see cref="PullConsoleApi"/>, <see cref="TaskConsoleApi"/>) do around
/// their workflows: a list's paging parameters, reads and steps with the workflow's refusals as problem
/// details (a step marked recorded, as the workflow audits it), enum names, and history entries.
/// The gRPC side of the same is <see cref="WorkflowCalls"/>.
/// </summary>
internal static class ConsoleWorkflows
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    public static IResult BadListParameter(string detail) => HttpAuth.Problem(400, "Bad list parameter", detail);

    /// <summary>
    /// One page of a list, newest first: state (<typeparamref name="TState"/> by its proto name), pageSize (1–100)
    /// and before (a previous page's next) from the query, then {view, <paramref name="itemsName"/>, next}.
    /// </summary>
    public static IResult Page<TState>(IQueryCollection query, string view, string statePrefix, string subject, string itemsName,
        Func<TState?, int, long?, (IEnumerable<object> Items, long? Next)> list) where TState : struct, System.Enum
    {
        TState? state = null;
        if (query["state"].ToString().Trim() is { Length: > 0 } stateText)
        {
            state = ParseState<TState>(stateText, statePrefix);
            if (state is null) return BadListParameter($"state {ApiErrors.Quote(stateText)} is not one of {string.Join(", ", States<TState>.All.Select(s => Name(s, statePrefix)))}.");
        }
        int pageSize = DefaultPageSize;
        if (query["pageSize"].ToString() is { Length: > 0 } sizeText && (!int.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxPageSize))
            return BadListParameter($"pageSize {ApiErrors.Quote(sizeText)} must be 1 to {MaxPageSize}.");
        long? before = null;
        if (query["before"].ToString() is { Length: > 0 } beforeText)
        {
            if (!long.TryParse(beforeText, NumberStyles.None, CultureInfo.InvariantCulture, out var b) || b <= 0)
                return BadListParameter($"before {ApiErrors.Quote(beforeText)} is not a position this API gave out (a previous page's next).");
            before = b;
        }
        try
        {
            var (items, next) = list(state, pageSize, before);
            return Results.Json(new Dictionary<string, object?>
            {
                ["view"] = view,
                [itemsName] = items,
                ["next"] = next?.ToString(CultureInfo.InvariantCulture),
            }, HttpApi.Json);
        }
        catch (WorkflowRuleException e)
        {
            return Problem(e, subject);
        }
    }

    /// <summary>A read of the workflow, or its refusal as problem details.</summary>
    public static bool TryRead<T>(Func<T> read, string subject, [MaybeNullWhen(false)] out T value, [NotNullWhen(false)] out IResult? problem)
    {
        try
        {
            value = read();
            problem = null;
            return true;
        }
        catch (WorkflowRuleException e)
        {
            value = default;
            problem = Problem(e, subject);
            return false;
        }
    }

    /// <summary>Takes a step; the workflow's own audit entry stands for the call, so it is marked recorded.</summary>
    public static async Task<IResult> StepAsync<T>(AuditedCall call, string subject, Func<WorkflowActor, Task<T>> step, Func<T, object> describe,
        string? purpose = null, bool created = false)
    {
        try
        {
            var result = await step(WorkflowCalls.ActorOf(call, purpose));
            call.Recorded = true;
            return Results.Json(describe(result), HttpApi.Json, statusCode: created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
        }
        catch (WorkflowRuleException e)
        {
            return Problem(e, subject);
        }
    }

    /// <summary>The workflow's refusal as problem details; <paramref name="subject"/> names what was not found ("pull", "task").</summary>
    public static IResult Problem(WorkflowRuleException e, string subject) => e.Kind switch
    {
        WorkflowErrorKind.InvalidArgument => HttpAuth.Problem(400, "Bad request", e.Message),
        WorkflowErrorKind.NotFound => HttpAuth.Problem(404, $"No such {subject}", e.Message),
        WorkflowErrorKind.PermissionDenied => HttpAuth.Problem(403, "Not allowed", e.Message),
        WorkflowErrorKind.Aborted => HttpAuth.Problem(409, "Changed meanwhile", e.Message),
        _ => HttpAuth.Problem(409, "Not possible in this state", e.Message),
    };

    /// <summary>One step of a history as the pages show it.</summary>
    public static Dictionary<string, object?> HistoryEntry(HttpAuth auth, uint seq, string type, string typeText, string actor, Timestamp? at, string detail, string? state) => new()
    {
        ["seq"] = seq,
        ["type"] = type,
        ["typeText"] = typeText,
        ["actor"] = actor,
        ["actorName"] = actor == PullLifecycle.HubActor ? "数据交换枢纽（系统）" : AgencyName(auth, actor),
        ["at"] = at?.ToDateTimeOffset(),
        ["detail"] = detail,
        ["state"] = state,
    };

    public static string AgencyName(HttpAuth auth, string id) => auth.Agencies.Agencies.FirstOrDefault(a => a.Id == id)?.Name ?? id;

    public static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    /// <summary>The values of a proto enum but its unspecified (zero) one.</summary>
    private static class States<T> where T : struct, System.Enum
    {
        public static readonly T[] All = [.. System.Enum.GetValues<T>().Where(s => !EqualityComparer<T>.Default.Equals(s, default))];
    }

    /// <summary>A state by its proto name with or without <paramref name="prefix"/>, or its C# name, in any case.</summary>
    public static T? ParseState<T>(string text, string prefix) where T : struct, System.Enum
    {
        foreach (var s in States<T>.All)
            if (string.Equals(text, Name(s, prefix), StringComparison.OrdinalIgnoreCase) || string.Equals(text, prefix + Name(s, prefix), StringComparison.OrdinalIgnoreCase)
                || string.Equals(text, s.ToString(), StringComparison.OrdinalIgnoreCase))
                return s;
        return null;
    }

    /// <summary>The proto name of an enum value without its prefix: PullState.AwaitingOwner → "AWAITING_OWNER".</summary>
    public static string Name<T>(T value, string prefix) where T : struct, System.Enum
    {
        var original = typeof(T).GetField(value.ToString())?.GetCustomAttribute<OriginalNameAttribute>()?.Name ?? value.ToString();
        return original.StartsWith(prefix, StringComparison.Ordinal) ? original[prefix.Length..] : original;
    }
}
