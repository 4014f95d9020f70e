using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Schema.V1;

namespace DataHub.Adapters.MarketSupervision;

/// <summary>
/// 行政处罚 fields: v1 is the 双公示 CF_* standard (SOURCE-FORMATS §3.3/§4.2, amounts in 万元); v2 is
/// the GSXT JSON [CONV], whose amounts are in 元.
/// </summary>
internal static class PenaltyFields
{
    public static readonly Field Key = new("penDecNo", "CF_WSH");
    public static readonly Field Uscc = new("uniscId", "CF_XDR_SHXYM");
    public static readonly Field Name = new("entName", "CF_XDR_MC");
    public static readonly Field Types = new("penType", "CF_CFLB");
    public static readonly Field Violation = new("illegFact", "CF_SY");
    public static readonly Field Basis = new("penBasis", "CF_YJ");
    public static readonly Field Content = new("penContent", "CF_NR");
    public static readonly Field Fine = new("penAm", "CF_NR_FK");
    public static readonly Field Confiscated = new("forfAm", "CF_NR_WFFF");
    public static readonly Field Authority = new("penAuthCn", "CF_CFJG");
    public static readonly Field Decided = new("penDecIssDate", "CF_JDRQ");
    public static readonly Field PublicityUntil = new("publicEndDate", "CF_GSJZQ");
    public static readonly Field PartyCategory = new("partyType", "CF_XDR_LB");
}

internal sealed class PenaltyMapper : JsonRowMapper
{
    public const string Prefix = "PEN-";

    public override string Format => "market-supervision/penalties-v1";

    protected override IEnumerable<CanonicalRecord> MapRow(SourceRow row)
    {
        var record = Rows.Start(row, Rows.Key(row, Prefix, PenaltyFields.Key), PenaltyFields.Uscc, PenaltyFields.Name, PenaltyFields.Decided);
        record.Penalty = new Penalty
        {
            DecisionDocNo = row.RequiredText(PenaltyFields.Key.Names),
            PenaltyTypes = { row.List(PenaltyFields.Types.Names) },
            Violation = Rows.Text(row, PenaltyFields.Violation),
            Basis = Rows.Text(row, PenaltyFields.Basis),
            Content = Rows.Text(row, PenaltyFields.Content),
            FineWan = Amount(row, PenaltyFields.Fine),
            ConfiscatedWan = Amount(row, PenaltyFields.Confiscated),
            Authority = Rows.Text(row, PenaltyFields.Authority),
            DecidedOn = ChinaDates.Format(row.RequiredDate(PenaltyFields.Decided.Names)),
            PublicityUntil = row.DateText(PenaltyFields.PublicityUntil.Names),
        };
        yield return record;
    }

    /// <summary>v2 (GSXT) amounts are in 元, v1 (CF_*) in 万元; a unit written in the text wins.</summary>
    private static double Amount(SourceRow row, Field field) =>
        Rows.Wan(row, field.V2, bareIsYuan: true) ?? Rows.Wan(row, field.V1, bareIsYuan: false) ?? 0;
}

internal sealed class PenaltyWriter : ISourceRowWriter
{
    public bool Carries(CanonicalRecord record) =>
        record.Source == MarketSupervisionSource.Name && record.BodyCase == CanonicalRecord.BodyOneofCase.Penalty;

    public JsonObject Write(CanonicalRecord record)
    {
        var penalty = record.Penalty;
        var (v2, dateStyle, extra) = RowStyle.Of(record);
        var row = new JsonObject { [PenaltyFields.Key.In(v2)] = Rows.Unprefixed(record.SourceId, PenaltyMapper.Prefix) };
        Rows.Put(row, PenaltyFields.Name.In(v2), record.EnterpriseName);
        if (extra || !v2) row[PenaltyFields.PartyCategory.In(v2)] = "法人及非法人组织";
        Rows.Put(row, PenaltyFields.Uscc.In(v2), record.Uscc);
        if (penalty.PenaltyTypes.Count > 0)
            row[PenaltyFields.Types.In(v2)] = v2 ? Rows.Array(penalty.PenaltyTypes) : string.Join(";", penalty.PenaltyTypes);
        Rows.Put(row, PenaltyFields.Violation.In(v2), penalty.Violation);
        Rows.Put(row, PenaltyFields.Basis.In(v2), penalty.Basis);
        Rows.Put(row, PenaltyFields.Content.In(v2), penalty.Content);
        if (penalty.FineWan != 0) row[PenaltyFields.Fine.In(v2)] = v2 ? Rows.YuanOrWan(penalty.FineWan) : JsonValue.Create(penalty.FineWan);
        if (penalty.ConfiscatedWan != 0) row[PenaltyFields.Confiscated.In(v2)] = v2 ? Rows.YuanOrWan(penalty.ConfiscatedWan) : JsonValue.Create(penalty.ConfiscatedWan);
        Rows.Put(row, PenaltyFields.Authority.In(v2), penalty.Authority);
        Rows.PutDate(row, PenaltyFields.Decided.In(v2), penalty.DecidedOn, dateStyle);
        Rows.PutDate(row, PenaltyFields.PublicityUntil.In(v2), penalty.PublicityUntil, dateStyle);
        Rows.PutTimes(row, record, v2);
        return row;
    }

    public JsonObject Corrupt(JsonObject row, Random random)
    {
        var bad = Rows.Copy(row);
        switch (random.Next(4))
        {
            case 0: Rows.Set(bad, PenaltyFields.Decided, Rows.ImpossibleDate); break;
            case 1: Rows.Remove(bad, PenaltyFields.Key); break;
            case 2: Rows.Set(bad, PenaltyFields.Fine, "罚款贰仟元"); break;
            default: Rows.Set(bad, PenaltyFields.PublicityUntil, "2025-02-30"); break;
        }
        return bad;
    }
}
