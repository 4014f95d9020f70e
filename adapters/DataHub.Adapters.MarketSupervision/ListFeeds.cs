using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Schema.V1;

namespace DataHub.Adapters.MarketSupervision;

/// <summary>The fields of one list feed: being put on the list, and, in a later version of the same row, being taken off.</summary>
internal sealed record ListFields(
    Field Key, Field Uscc, Field Name, Field ReasonCode, Field Reason, Field Listed, Field Authority,
    Field RemovalReason, Field Removed, Field RemovalAuthority);

/// <summary>
/// 经营异常名录 (§3.4: v2 GSXT JSON inReason/inDate/department/outReason/outDate, v1 the table's names)
/// and 严重违法失信名单 (§3.5 [CONV] names; keyed by the listing decision's document number).
/// </summary>
internal static class ListFeeds
{
    public static readonly ListFields AbnormalOperation = new(
        Key: new("busExcList", "abn_id"),
        Uscc: new("uniscId", "uscc"),
        Name: new("entName", "ent_name"),
        ReasonCode: new("speCause", "in_reason_code"),
        Reason: new("inReason", "in_reason"),
        Listed: new("inDate", "in_date"),
        Authority: new("department", "in_authority"),
        RemovalReason: new("outReason", "out_reason"),
        Removed: new("outDate", "out_date"),
        RemovalAuthority: new("outDepartment", "out_authority"));

    public static readonly ListFields SeriousViolation = new(
        Key: new("decisionDocNo", "decision_doc_no"),
        Uscc: new("uniscId", "uscc"),
        Name: new("entName", "ent_name"),
        ReasonCode: new("listReasonCode", "list_reason_code"),
        Reason: new("listReason", "list_reason"),
        Listed: new("listDate", "list_date"),
        Authority: new("listAuthority", "list_authority"),
        RemovalReason: new("removeReason", "remove_reason"),
        Removed: new("removeDate", "remove_date"),
        RemovalAuthority: new("removeAuthority", "remove_authority"));

    public static readonly ListEntryMapper AbnormalOperationMapper =
        new("abnormal-operations", "ABN-", ListType.AbnormalOperation, AbnormalOperation, CodeTables.AbnormalOperationReasons, "列入经营异常名录原因");

    public static readonly ListEntryWriter AbnormalOperationWriter =
        new("ABN-", ListType.AbnormalOperation, AbnormalOperation, CodeTables.AbnormalOperationReasons);

    // No national code table for 严重违法失信 reasons: a reason code is passed through as given.
    public static readonly ListEntryMapper SeriousViolationMapper =
        new("serious-violations", "SVL-", ListType.SeriousViolation, SeriousViolation, null, null);

    public static readonly ListEntryWriter SeriousViolationWriter =
        new("SVL-", ListType.SeriousViolation, SeriousViolation, null);
}

/// <summary>Maps a list row to a list entry; a removal is the same row (same key) with its removal date set.</summary>
internal sealed class ListEntryMapper(string feed, string prefix, ListType listType, ListFields fields, IReadOnlyDictionary<string, string>? reasons, string? reasonTable)
    : JsonRowMapper
{
    public override string Format => $"market-supervision/{feed}-v1";

    protected override IEnumerable<CanonicalRecord> MapRow(SourceRow row)
    {
        var record = Rows.Start(row, Rows.Key(row, prefix, fields.Key), fields.Uscc, fields.Name, fields.Listed);
        var (code, reason) = Reason(row);
        record.ListEntry = new ListEntry
        {
            ListType = listType,
            Reason = reason,
            ReasonCode = code,
            ListedOn = ChinaDates.Format(row.RequiredDate(fields.Listed.Names)),
            Authority = Rows.Text(row, fields.Authority),
            RemovedOn = row.DateText(fields.Removed.Names),
            RemovalReason = Rows.Text(row, fields.RemovalReason),
        };
        yield return record;
    }

    /// <summary>Code and text each fill in the other from the table; a code outside the table is rejected.</summary>
    private (string Code, string Reason) Reason(SourceRow row)
    {
        var text = row.Text(fields.Reason.Names);
        string? code = null, label = null;
        foreach (var name in fields.ReasonCode.Names)
        {
            if (row.Text(name) is not { } value) continue;
            code = value;
            if (reasons is not null)
            {
                label = CodeTables.Lookup(reasons, value, name, reasonTable!);
                code = value.ToUpperInvariant();
            }
            break;
        }
        if (code is null && text is not null && reasons is not null) code = CodeTables.CodeOf(reasons, text);
        return (code ?? "", text ?? label ?? "");
    }
}

internal sealed class ListEntryWriter(string prefix, ListType listType, ListFields fields, IReadOnlyDictionary<string, string>? reasons) : ISourceRowWriter
{
    public bool Carries(CanonicalRecord record) =>
        record.Source == MarketSupervisionSource.Name && record.BodyCase == CanonicalRecord.BodyOneofCase.ListEntry && record.ListEntry.ListType == listType;

    public JsonObject Write(CanonicalRecord record)
    {
        var entry = record.ListEntry;
        var (v2, dateStyle, _) = RowStyle.Of(record);
        var row = new JsonObject { [fields.Key.In(v2)] = Rows.Unprefixed(record.SourceId, prefix) };
        Rows.Put(row, fields.Uscc.In(v2), record.Uscc);
        Rows.Put(row, fields.Name.In(v2), record.EnterpriseName);
        Rows.Put(row, fields.ReasonCode.In(v2), entry.ReasonCode);
        Rows.Put(row, fields.Reason.In(v2), entry.Reason);
        Rows.PutDate(row, fields.Listed.In(v2), entry.ListedOn, dateStyle);
        Rows.Put(row, fields.Authority.In(v2), entry.Authority);
        if (entry.RemovedOn.Length > 0)
        {
            Rows.PutDate(row, fields.Removed.In(v2), entry.RemovedOn, dateStyle);
            Rows.Put(row, fields.RemovalReason.In(v2), entry.RemovalReason);
            // The platform names the removing authority too; the hub has no field for it.
            Rows.Put(row, fields.RemovalAuthority.In(v2), entry.Authority);
        }
        else
        {
            Rows.Put(row, fields.RemovalReason.In(v2), entry.RemovalReason);
        }
        Rows.PutTimes(row, record, v2);
        return row;
    }

    public JsonObject Corrupt(JsonObject row, Random random)
    {
        var bad = Rows.Copy(row);
        switch (random.Next(reasons is null ? 3 : 4))
        {
            case 0: Rows.Set(bad, fields.Listed, Rows.ImpossibleDate); break;
            case 1: Rows.Remove(bad, fields.Key); break;
            case 2: Rows.Set(bad, fields.Removed, "2025-02-30"); break;
            default: Rows.Set(bad, fields.ReasonCode, "9"); break;
        }
        return bad;
    }
}
