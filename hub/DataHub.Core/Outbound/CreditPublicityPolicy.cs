using DataHub.Core.Ingest;
using DataHub.Schema.V1;
using Google.Protobuf;

namespace DataHub.Core.Outbound;

/// <summary>
/// 双公示: administrative permits and penalties are published on the public credit platform within
/// 7 working days of the decision [001 §二4]. Every licence and penalty the hub stores from another
/// source becomes a message to the credit platform, keyed by the record version so the platform sees
/// each version once. Records that came from the credit platform itself are not sent back.
/// </summary>
public sealed class CreditPublicityPolicy : IOutboxPolicy
{
    /// <summary>The outbound adapter's name (configuration DataHub:Outbound:credit-platform).</summary>
    public const string Destination = "credit-platform";

    /// <summary>The source name of the credit platform's own records.</summary>
    public const string CreditPlatformSource = "credit-platform";

    public const string PermitKind = "permit";
    public const string PenaltyKind = "penalty";

    /// <summary>Working days after its decision within which a permit or penalty must be public [001 §二4].</summary>
    public const int PublicityWorkingDays = 7;

    /// <summary>The decision date of a permit (issued on) or penalty (decided on), when the record gives one.</summary>
    public static DateOnly? DecisionDate(CanonicalRecord record) => record.BodyCase switch
    {
        CanonicalRecord.BodyOneofCase.Licence => Records.ChinaDates.ParseCanonical(record.Licence.IssuedOn),
        CanonicalRecord.BodyOneofCase.Penalty => Records.ChinaDates.ParseCanonical(record.Penalty.DecidedOn),
        _ => null,
    };

    public IEnumerable<OutboxIntent> IntentsFor(CanonicalRecord stored)
    {
        if (stored.Source == CreditPlatformSource) yield break;
        var kind = stored.BodyCase switch
        {
            CanonicalRecord.BodyOneofCase.Licence => PermitKind,
            CanonicalRecord.BodyOneofCase.Penalty => PenaltyKind,
            _ => null,
        };
        if (kind is null) yield break;
        // The content hash covers the source id and is ASCII, as an HTTP header value must be.
        yield return new OutboxIntent(Destination, $"{Destination}:{kind}:{stored.Source}:{stored.ContentHash}", kind, stored.ToByteArray());
    }
}
