namespace DataHub.Core.Records;

/// <summary>Why an input was not stored: a stable code for operators and machines, and a message a person can act on.</summary>
public sealed record Rejection(string Code, string Message)
{
    public override string ToString() => $"{Code}: {Message}";
}
