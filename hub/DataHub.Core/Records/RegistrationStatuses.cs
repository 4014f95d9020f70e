using DataHub.Schema.V1;

namespace DataHub.Core.Records;

/// <summary>The registration-status display strings of market supervision (登记状态) and the hub's enum for them.</summary>
public static class RegistrationStatuses
{
    private static readonly (string Text, RegistrationStatus Status)[] Table =
    [
        // Longest phrases first: "吊销，已注销" must not be read as plain "注销" or "吊销".
        ("吊销,已注销", RegistrationStatus.RevokedDeregistered),
        ("吊销,未注销", RegistrationStatus.Revoked),
        ("吊销企业", RegistrationStatus.Revoked),
        ("已吊销", RegistrationStatus.Revoked),
        ("吊销", RegistrationStatus.Revoked),
        ("注销", RegistrationStatus.Deregistered),
        ("撤销", RegistrationStatus.Cancelled),
        ("迁出", RegistrationStatus.MovedOut),
        ("迁移异地", RegistrationStatus.MovedOut),
        ("停业", RegistrationStatus.Suspended),
        ("清算", RegistrationStatus.Liquidating),
        ("存续", RegistrationStatus.Active),
        ("在营", RegistrationStatus.Active),
        ("开业", RegistrationStatus.Active),
        ("在业", RegistrationStatus.Active),
        ("在册", RegistrationStatus.Active),
    ];

    /// <summary>The status a display string means, or Unspecified when it is not recognized.</summary>
    public static RegistrationStatus Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return RegistrationStatus.Unspecified;
        var folded = Text.HalfWidth.Fold(text).Replace('，', ',').Replace(" ", "");
        foreach (var (phrase, status) in Table)
            if (folded.Contains(phrase, StringComparison.Ordinal)) return status;
        return RegistrationStatus.Unspecified;
    }
}
