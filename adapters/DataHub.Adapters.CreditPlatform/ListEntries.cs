using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Schema.V1;

namespace DataHub.Adapters.CreditPlatform;

/// <summary>
/// Field names of the list feed: red, black and key-attention lists in the generic credit_list_entry
/// shape of SOURCE-FORMATS §4.3 [CONV], plus the reason code and removal reason of the 经营异常名录 (§3.4).
/// A removal is a new version of the same row (same entry_id, later update_time, removed_on set).
/// </summary>
internal static class ListFields
{
    /// <summary>The platform's entry number, e.g. "LST-1-{uscc}-{date}"; the source id as is.</summary>
    public const string Id = "entry_id";
    public const string Uscc = "uscc";
    public const string Name = "ent_name";
    /// <summary>RED | BLACK | KEY_ATTENTION (or the display names 红名单, 黑名单, 重点关注名单).</summary>
    public const string ListType = "list_type";
    /// <summary>Which list of that type, e.g. 经营异常名录, 市场监管严重违法失信名单.</summary>
    public const string ListName = "list_name";
    public const string ReasonCode = "reason_code";
    public const string Reason = "reason";
    /// <summary>Date (and usually time) of listing.</summary>
    public const string ListedOn = "listed_on";
    public const string Authority = "issuing_authority";
    public const string ExpiresOn = "expires_on";
    public const string RemovedOn = "removed_on";
    public const string RemovalReason = "removal_reason";
    public const string Updated = "update_time";
}

internal sealed class ListRowMapper : JsonRowMapper
{
    public const string FormatName = "credit-platform/lists-v1";

    private enum Kind { Red, Black, KeyAttention }

    private static readonly Dictionary<string, Kind> Kinds = CreditRows.Table(
        ("RED", Kind.Red), ("红名单", Kind.Red), ("守信红名单", Kind.Red),
        ("BLACK", Kind.Black), ("黑名单", Kind.Black), ("失信黑名单", Kind.Black),
        ("KEY_ATTENTION", Kind.KeyAttention), ("重点关注", Kind.KeyAttention), ("重点关注名单", Kind.KeyAttention));

    /// <summary>列入经营异常名录原因 code table (SOURCE-FORMATS §3.4), to fill a reason given only by its code.</summary>
    private static readonly Dictionary<string, string> AbnormalReasons = new(StringComparer.Ordinal)
    {
        ["1"] = "未按照《企业信息公示暂行条例》第八条规定的期限公示年度报告",
        ["2"] = "未在责令的期限内公示有关企业信息",
        ["3"] = "公示企业信息隐瞒真实情况、弄虚作假",
        ["4"] = "通过登记的住所或者经营场所无法联系",
    };

    public override string Format => FormatName;

    protected override IEnumerable<CanonicalRecord> MapRow(SourceRow row)
    {
        var id = row.RequiredText(ListFields.Id);
        var type = ListTypeOf(row);
        var (listedOn, at) = CreditRows.Occurred(row, ListFields.ListedOn);
        var record = CreditRows.Record(row, id, at, ListFields.Updated, [ListFields.Uscc], [ListFields.Name]);
        var code = row.Text(ListFields.ReasonCode) ?? "";
        record.ListEntry = new ListEntry
        {
            ListType = type,
            ReasonCode = code,
            Reason = row.Text(ListFields.Reason) ?? (type == ListType.AbnormalOperation && AbnormalReasons.TryGetValue(code, out var text) ? text : ""),
            ListedOn = listedOn,
            Authority = row.Text(ListFields.Authority) ?? "",
            RemovedOn = row.DateText(ListFields.RemovedOn),
            RemovalReason = row.Text(ListFields.RemovalReason) ?? "",
        };
        yield return record;
    }

    /// <summary>The coarse list type, refined by the list's name to the hub's list types.</summary>
    private static ListType ListTypeOf(SourceRow row)
    {
        var kind = CreditRows.Code(row, Kinds, ListFields.ListType)
            ?? throw new RowFormatException("MISSING_FIELD", $"required field {ListFields.ListType} is missing or empty.");
        var name = row.Text(ListFields.ListName) ?? "";
        return kind switch
        {
            Kind.Red => ListType.Red,
            Kind.Black when name.Contains("严重违法失信", StringComparison.Ordinal) => ListType.SeriousViolation,
            Kind.Black => ListType.Black,
            // 信用中国 publishes the 经营异常名录 among its key-attention lists; the hub has no type for the others.
            _ when name.Contains("经营异常", StringComparison.Ordinal) => ListType.AbnormalOperation,
            _ => throw new RowFormatException("UNKNOWN_CODE", $"field {ListFields.ListName} has \"{name}\", a key-attention list the hub has no list type for (only 经营异常名录)."),
        };
    }
}

internal sealed class ListRowWriter : ISourceRowWriter
{
    public bool Carries(CanonicalRecord record) =>
        record.Source == CreditPlatformSource.Name && record.BodyCase == CanonicalRecord.BodyOneofCase.ListEntry;

    public JsonObject Write(CanonicalRecord record)
    {
        var entry = record.ListEntry;
        var (type, name) = entry.ListType switch
        {
            ListType.Red => ("RED", "守信红名单"),
            ListType.Black => ("BLACK", "失信黑名单"),
            ListType.SeriousViolation => ("BLACK", "市场监管严重违法失信名单"),
            ListType.AbnormalOperation => ("KEY_ATTENTION", "经营异常名录"),
            _ => throw new ArgumentException($"List entry {record.SourceId} has no list type; the credit platform serves none such.", nameof(record)),
        };
        var row = new JsonObject
        {
            [ListFields.Id] = record.SourceId,
            [ListFields.Uscc] = record.Uscc,
            [ListFields.Name] = record.EnterpriseName,
            [ListFields.ListType] = type,
            [ListFields.ListName] = name,
        };
        CreditRows.Put(row, ListFields.ReasonCode, entry.ReasonCode);
        CreditRows.Put(row, ListFields.Reason, entry.Reason);
        row[ListFields.ListedOn] = CreditRows.OccurredNode(entry.ListedOn, record.OccurredAt, record.SourceId);
        CreditRows.Put(row, ListFields.Authority, entry.Authority);
        // Serious-violation entries are published for three years (SAMR Order No. 44); not part of the record.
        if (entry.ListType == ListType.SeriousViolation && entry.RemovedOn.Length == 0 && ChinaDates.ParseCanonical(entry.ListedOn) is { } listed)
            row[ListFields.ExpiresOn] = ChinaDates.Format(listed.AddYears(3));
        if (entry.RemovedOn.Length > 0) row[ListFields.RemovedOn] = CreditRows.DateNode(entry.RemovedOn, record.SourceId);
        CreditRows.Put(row, ListFields.RemovalReason, entry.RemovalReason);
        row[ListFields.Updated] = CreditRows.UpdatedText(record);
        row[CreditRows.Synthetic] = record.Synthetic;
        return row;
    }

    public JsonObject Corrupt(JsonObject row, Random random)
    {
        var bad = CreditRows.Copy(row);
        switch (random.Next(5))
        {
            case 0: bad[ListFields.ListedOn] = CreditRows.ImpossibleDate(random); break;
            case 1: bad.Remove(ListFields.ListedOn); break;
            case 2: bad[ListFields.ListType] = random.Next(2) == 0 ? "GREY" : "灰名单"; break;
            case 3: bad[ListFields.RemovedOn] = CreditRows.ImpossibleDate(random); break;
            default: bad.Remove(ListFields.ListType); break;
        }
        return bad;
    }
}
