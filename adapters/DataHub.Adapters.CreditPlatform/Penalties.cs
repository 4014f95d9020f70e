using System.Globalization;
using System.Text.Json.Nodes;
using DataHub.Schema.V1;

namespace DataHub.Adapters.CreditPlatform;

/// <summary>
/// 双公示 行政处罚 fields (SOURCE-FORMATS §4.2). Amounts are in 万元 as the standard says (2000元 is 0.2),
/// which is also the hub's unit. SJC (时间戳) is the platform's update stamp.
/// </summary>
internal static class PenaltyFields
{
    public const string PartyName = "CF_XDR_MC";
    public const string PartyCategory = "CF_XDR_LB";
    public const string PartyUscc = "CF_XDR_SHXYM";
    /// <summary>A natural person's ID number; such rows are rejected, never mapped.</summary>
    public const string PersonIdNo = "CF_XDR_ZJHM";
    public const string LegalRep = "CF_FRDB";
    /// <summary>Decision document number: the row's key. The source id is "CF-" + this number.</summary>
    public const string DocNo = "CF_WSH";
    public const string ViolationType = "CF_WFXW";
    public const string Facts = "CF_SY";
    public const string Basis = "CF_YJ";
    /// <summary>Penalty types joined by ";"; the 2016 feeds split them into CF_CFLB1 and CF_CFLB2 [KNOW].</summary>
    public static readonly string[] Types = ["CF_CFLB", "CF_CFLB1"];
    public const string Types2 = "CF_CFLB2";
    public const string Content = "CF_NR";
    public const string FineWan = "CF_NR_FK";
    public const string ConfiscatedWan = "CF_NR_WFFF";
    public const string SuspendedLicence = "CF_NR_ZKDX";
    public const string DecidedOn = "CF_JDRQ";
    public const string EffectiveUntil = "CF_YXQ";
    public const string PublicityUntil = "CF_GSJZQ";
    public const string Authority = "CF_CFJG";
    public const string SourceUnit = "CF_SJLY";
    public const string Updated = "SJC";
}

internal sealed class PenaltyRowMapper : JsonRowMapper
{
    public const string FormatName = "credit-platform/penalties-v1";

    public override string Format => FormatName;

    protected override IEnumerable<CanonicalRecord> MapRow(SourceRow row)
    {
        CreditParty.RejectNaturalPerson(row, PenaltyFields.PartyCategory, PenaltyFields.PartyUscc, PenaltyFields.PersonIdNo);
        var docNo = row.RequiredText(PenaltyFields.DocNo);
        var (decidedOn, at) = CreditRows.Occurred(row, PenaltyFields.DecidedOn);
        var record = CreditRows.Record(row, "CF-" + docNo, at, PenaltyFields.Updated, [PenaltyFields.PartyUscc], [PenaltyFields.PartyName]);
        record.Penalty = new Penalty
        {
            DecisionDocNo = docNo,
            PenaltyTypes = { row.List(PenaltyFields.Types).Concat(row.List(PenaltyFields.Types2)) },
            // The facts (违法事实) when given, else the violation type (违法行为类型).
            Violation = row.Text(PenaltyFields.Facts, PenaltyFields.ViolationType) ?? "",
            Basis = row.Text(PenaltyFields.Basis) ?? "",
            Content = row.Text(PenaltyFields.Content) ?? "",
            FineWan = row.Number(PenaltyFields.FineWan) ?? 0,
            ConfiscatedWan = row.Number(PenaltyFields.ConfiscatedWan) ?? 0,
            Authority = row.Text(PenaltyFields.Authority) ?? "",
            DecidedOn = decidedOn,
            PublicityUntil = row.DateText(PenaltyFields.PublicityUntil),
        };
        yield return record;
    }
}

internal sealed class PenaltyRowWriter : ISourceRowWriter
{
    public bool Carries(CanonicalRecord record) =>
        record.Source == CreditPlatformSource.Name && record.BodyCase == CanonicalRecord.BodyOneofCase.Penalty;

    public JsonObject Write(CanonicalRecord record)
    {
        var penalty = record.Penalty;
        var key = record.SourceId;
        var row = new JsonObject
        {
            [PenaltyFields.PartyName] = record.EnterpriseName,
            [PenaltyFields.PartyCategory] = "法人及非法人组织",
            [PenaltyFields.PartyUscc] = record.Uscc,
            [PenaltyFields.DocNo] = penalty.DecisionDocNo,
        };
        CreditRows.Put(row, PenaltyFields.Facts, penalty.Violation);
        CreditRows.Put(row, PenaltyFields.Basis, penalty.Basis);
        CreditRows.Put(row, PenaltyFields.Types[0], string.Join(";", penalty.PenaltyTypes));
        CreditRows.Put(row, PenaltyFields.Content, penalty.Content);
        // Amounts as the providers' decimal(18,6) columns serialize: some as numbers, some as text.
        row[PenaltyFields.FineWan] = Amount(penalty.FineWan, key);
        if (penalty.ConfiscatedWan != 0) row[PenaltyFields.ConfiscatedWan] = Amount(penalty.ConfiscatedWan, key);
        row[PenaltyFields.DecidedOn] = CreditRows.OccurredNode(penalty.DecidedOn, record.OccurredAt, key);
        if (penalty.PublicityUntil.Length > 0) row[PenaltyFields.PublicityUntil] = CreditRows.DateNode(penalty.PublicityUntil, key);
        CreditRows.Put(row, PenaltyFields.Authority, penalty.Authority);
        CreditRows.Put(row, PenaltyFields.SourceUnit, penalty.Authority);
        row[PenaltyFields.Updated] = CreditRows.UpdatedText(record);
        row[CreditRows.Synthetic] = record.Synthetic;
        return row;
    }

    private static JsonNode Amount(double wan, string key) =>
        CreditRows.Variant(key + "/amount", 2) == 0 ? JsonValue.Create(wan) : JsonValue.Create(wan.ToString("R", CultureInfo.InvariantCulture));

    public JsonObject Corrupt(JsonObject row, Random random)
    {
        var bad = CreditRows.Copy(row);
        switch (random.Next(5))
        {
            case 0: bad[PenaltyFields.DecidedOn] = CreditRows.ImpossibleDate(random); break;
            case 1: bad.Remove(PenaltyFields.DecidedOn); break;
            // The amount in words, or with its unit, where the standard wants a decimal.
            case 2: bad[PenaltyFields.FineWan] = random.Next(2) == 0 ? "贰仟元" : "0.2万元"; break;
            case 3: bad[PenaltyFields.PublicityUntil] = CreditRows.ImpossibleDate(random); break;
            default: bad[PenaltyFields.PartyCategory] = "9"; break;
        }
        return bad;
    }
}
