using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Schema.V1;

namespace DataHub.Adapters.MarketSupervision;

/// <summary>
/// 变更 / 注销 / 吊销 rows: an alteration (变更事项, 变更前, 变更后) or a new registration status with
/// its reason. v2 GSXT JSON names, v1 SAMR 变更信息 names.
/// </summary>
internal static class ChangeFields
{
    public static readonly Field Key = new("altId", "altid");
    public static readonly Field Uscc = new("uniscId", "uniscid");
    public static readonly Field Name = new("entName", "entname");
    public static readonly Field Item = new("altItem", "altitem");
    public static readonly Field Before = new("altBe", "altbe");
    public static readonly Field After = new("altAf", "altaf");
    public static readonly Field Reason = new("altReason", "altreason");
    public static readonly Field StatusText = new("regStateCn", "regstateCn");
    public static readonly Field StatusCode = new("regState", "regstate");
    public static readonly Field Date = new("altDate", "altdate");

    public const string RenameItem = "名称变更";
}

/// <summary>
/// Maps a change row to a status change. The "after" value is the new name only when the change item
/// is the name (名称变更): for other items (住所, 经营范围...) it is some other value.
/// </summary>
internal sealed class ChangeMapper : JsonRowMapper
{
    public const string Prefix = "CHG-";

    public override string Format => "market-supervision/changes-v1";

    protected override IEnumerable<CanonicalRecord> MapRow(SourceRow row)
    {
        var record = Rows.Start(row, Rows.Key(row, Prefix, ChangeFields.Key), ChangeFields.Uscc, ChangeFields.Name, ChangeFields.Date);
        var item = row.Text(ChangeFields.Item.Names);
        var (status, raw) = CodeTables.ReadStatus(row, ChangeFields.StatusText, ChangeFields.StatusCode);
        record.StatusChange = new StatusChange
        {
            NewStatus = status,
            StatusRaw = raw,
            NewName = item is not null && item.Contains("名称", StringComparison.Ordinal) ? Rows.Text(row, ChangeFields.After) : "",
            Reason = row.Text(ChangeFields.Reason.Names) ?? item ?? "",
            EffectiveOn = ChinaDates.Format(row.RequiredDate(ChangeFields.Date.Names)),
        };
        yield return record;
    }
}

internal sealed class ChangeWriter : ISourceRowWriter
{
    public bool Carries(CanonicalRecord record) =>
        record.Source == MarketSupervisionSource.Name && record.BodyCase == CanonicalRecord.BodyOneofCase.StatusChange;

    public JsonObject Write(CanonicalRecord record)
    {
        var change = record.StatusChange;
        var (v2, dateStyle, _) = RowStyle.Of(record);
        var row = new JsonObject { [ChangeFields.Key.In(v2)] = Rows.Unprefixed(record.SourceId, ChangeMapper.Prefix) };
        Rows.Put(row, ChangeFields.Uscc.In(v2), record.Uscc);
        Rows.Put(row, ChangeFields.Name.In(v2), record.EnterpriseName);
        var item = "";
        if (change.NewName.Length > 0)
        {
            // A rename is an alteration of the name item; its reason is the item unless it says more.
            item = change.Reason.Contains("名称", StringComparison.Ordinal) ? change.Reason : ChangeFields.RenameItem;
            row[ChangeFields.Item.In(v2)] = item;
            Rows.Put(row, ChangeFields.Before.In(v2), record.EnterpriseName);
            row[ChangeFields.After.In(v2)] = change.NewName;
        }
        if (change.Reason != item) Rows.Put(row, ChangeFields.Reason.In(v2), change.Reason);
        CodeTables.PutStatus(row, ChangeFields.StatusText, ChangeFields.StatusCode, change.NewStatus, change.StatusRaw, v2);
        Rows.PutDate(row, ChangeFields.Date.In(v2), change.EffectiveOn, dateStyle);
        Rows.PutTimes(row, record, v2);
        return row;
    }

    public JsonObject Corrupt(JsonObject row, Random random)
    {
        var bad = Rows.Copy(row);
        switch (random.Next(4))
        {
            case 0: Rows.Set(bad, ChangeFields.Date, Rows.ImpossibleDate); break;
            case 1: Rows.Remove(bad, ChangeFields.Key); break;
            case 2: Rows.Set(bad, ChangeFields.StatusCode, "99"); break;
            default: Rows.Set(bad, ChangeFields.Key, new JsonObject { ["id"] = 1 }); break;
        }
        return bad;
    }
}
