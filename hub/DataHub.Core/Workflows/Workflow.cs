namespace DataHub.Core.Workflows;

/// <summary>Why a workflow step (data pull, linkage task) was refused; the API maps each kind to its gRPC status / HTTP code.</summary>
public enum WorkflowErrorKind { InvalidArgument, NotFound, PermissionDenied, FailedPrecondition, Aborted }

/// <summary>A workflow step that cannot be taken, with a message the caller can act on.</summary>
public sealed class WorkflowRuleException(WorkflowErrorKind kind, string message) : Exception(message)
{
    public WorkflowErrorKind Kind { get; } = kind;
}

/// <summary>Who takes a step: an agency with its roles, why (the audit's purpose), and through which call (the audit's method).</summary>
public sealed record WorkflowActor(string Agency, IReadOnlySet<string> Roles, string Purpose = "", string Method = "")
{
    public const string CoordinationRole = "coordination";
    public const string SuperAdminRole = "superadmin";

    /// <summary>The coordination office and the super-admin studio oversee every pull and task.</summary>
    public bool Oversees => Roles.Contains(CoordinationRole) || Roles.Contains(SuperAdminRole);
}

/// <summary>
/// A message to an agency's people (reminder, demand, escalation, new task) about a subject (a pull or
/// task id), with a key that makes sending it idempotent; a division narrows it to that division's people.
/// </summary>
public sealed record Notice(string RecipientAgency, string Kind, string Subject, string Text, string IdempotencyKey)
{
    /// <summary>The recipient's division (处室), when the notice is for one; empty = the agency's people.</summary>
    public string Division { get; init; } = "";
}

/// <summary>Tells agencies about their pulls and tasks. Default: the log; with an SMS gateway configured, SMS to the catalogue's contacts.</summary>
public interface INotifier
{
    ValueTask NotifyAsync(Notice notice, CancellationToken cancellationToken);
}
