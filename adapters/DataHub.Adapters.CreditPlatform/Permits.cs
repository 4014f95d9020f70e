using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Schema.V1;

namespace DataHub.Adapters.CreditPlatform;

/// <summary>
/// 双公示 行政许可 fields (SOURCE-FORMATS §4.1): the 2019 "v2" names first, then the 2016 "v1" names
/// older providers still send. SJC (时间戳) is the platform's update stamp in both.
/// </summary>
internal static class PermitFields
{
    public static readonly string[] PartyName = ["XK_XDR_MC", "XK_XDR"];
    public const string PartyCategory = "XK_XDR_LB";
    public const string PartyUscc = "XK_XDR_SHXYM";
    /// <summary>A natural person's ID number (v2, v1); such rows are rejected, never mapped.</summary>
    public static readonly string[] PersonIdNo = ["XK_XDR_ZJHM", "XK_XDR_SFZ"];
    public const string LegalRep = "XK_FRDB";
    public const string LegalRepIdType = "XK_FR_ZJLX";
    public const string LegalRepIdNo = "XK_FR_ZJHM";
    public const string DocTitle = "XK_XKWS";
    /// <summary>Decision document number: the row's key. The source id is "XK-" + this number.</summary>
    public const string DocNo = "XK_WSH";
    public static readonly string[] Category = ["XK_XKLB", "XK_SPLB"];
    /// <summary>Licence name (v2) or the approval item's name (v1 项目名称).</summary>
    public static readonly string[] LicenceName = ["XK_XKZS", "XK_XMMC"];
    public const string LicenceNo = "XK_XKBH";
    public const string Content = "XK_NR";
    public const string DecidedOn = "XK_JDRQ";
    public const string ValidFrom = "XK_YXQZ";
    public static readonly string[] ValidUntil = ["XK_YXQZI", "XK_JZQ"];
    public static readonly string[] Authority = ["XK_XKJG", "XK_XZJG"];
    public const string Status = "XK_ZT";
    public const string SourceUnit = "XK_LYDW";
    public const string LocalCode = "DFBM";
    public const string Updated = "SJC";
}

internal sealed class PermitRowMapper : JsonRowMapper
{
    public const string FormatName = "credit-platform/permits-v1";

    /// <summary>
    /// XK_ZT: the v1 codes 0 正常, 1 撤销, 2 异议, 3 其他 [KNOW], and the display texts providers send instead.
    /// 异议 and 其他 say nothing about validity, so they stay unspecified; 注销 and 暂扣 have no code.
    /// </summary>
    private static readonly Dictionary<string, LicenceStatus> Statuses = CreditRows.Table(
        ("0", LicenceStatus.Valid), ("正常", LicenceStatus.Valid), ("有效", LicenceStatus.Valid),
        ("1", LicenceStatus.Revoked), ("撤销", LicenceStatus.Revoked), ("吊销", LicenceStatus.Revoked),
        ("2", LicenceStatus.Unspecified), ("异议", LicenceStatus.Unspecified),
        ("3", LicenceStatus.Unspecified), ("其他", LicenceStatus.Unspecified),
        ("注销", LicenceStatus.Cancelled),
        ("暂扣", LicenceStatus.Suspended), ("中止", LicenceStatus.Suspended));

    /// <summary>How providers write an open-ended validity (长期); 2099-12-31 is the common convention.</summary>
    internal static readonly string[] OpenEnded = ["长期", "长期有效", "2099-12-31", "2099/12/31", "20991231", "9999-12-31"];

    public override string Format => FormatName;

    protected override IEnumerable<CanonicalRecord> MapRow(SourceRow row)
    {
        CreditParty.RejectNaturalPerson(row, PermitFields.PartyCategory, PermitFields.PartyUscc, PermitFields.PersonIdNo);
        var docNo = row.RequiredText(PermitFields.DocNo);
        var (decidedOn, at) = CreditRows.Occurred(row, PermitFields.DecidedOn);
        var record = CreditRows.Record(row, "XK-" + docNo, at, PermitFields.Updated, [PermitFields.PartyUscc], PermitFields.PartyName);
        var until = row.Text(PermitFields.ValidUntil);
        record.Licence = new Licence
        {
            LicenceNo = row.Text(PermitFields.LicenceNo) ?? "",
            LicenceType = row.Text(PermitFields.LicenceName) ?? "",
            IssuingAuthority = row.Text(PermitFields.Authority) ?? "",
            IssuedOn = decidedOn,
            ValidFrom = row.DateText(PermitFields.ValidFrom),
            ValidUntil = until is not null && OpenEnded.Contains(until) ? "" : row.DateText(PermitFields.ValidUntil),
            Status = CreditRows.Code(row, Statuses, PermitFields.Status) ?? LicenceStatus.Unspecified,
            Scope = row.Text(PermitFields.Content) ?? "",
        };
        yield return record;
    }
}

internal sealed class PermitRowWriter : ISourceRowWriter
{
    public bool Carries(CanonicalRecord record) =>
        record.Source == CreditPlatformSource.Name && record.BodyCase == CanonicalRecord.BodyOneofCase.Licence;

    public JsonObject Write(CanonicalRecord record)
    {
        var licence = record.Licence;
        var key = record.SourceId;
        var row = new JsonObject
        {
            [PermitFields.PartyName[0]] = record.EnterpriseName,
            [PermitFields.PartyCategory] = "法人及非法人组织",
            [PermitFields.PartyUscc] = record.Uscc,
            [PermitFields.DocTitle] = "准予行政许可决定书",
            [PermitFields.DocNo] = DocNo(record),
            [PermitFields.Category[0]] = "普通",
        };
        CreditRows.Put(row, PermitFields.LicenceName[0], licence.LicenceType);
        CreditRows.Put(row, PermitFields.LicenceNo, licence.LicenceNo);
        CreditRows.Put(row, PermitFields.Content, licence.Scope);
        row[PermitFields.DecidedOn] = CreditRows.OccurredNode(licence.IssuedOn, record.OccurredAt, key);
        if (licence.ValidFrom.Length > 0) row[PermitFields.ValidFrom] = CreditRows.DateNode(licence.ValidFrom, key);
        // An open-ended permit is written with the 2099-12-31 convention providers use for 长期.
        row[PermitFields.ValidUntil[0]] = licence.ValidUntil.Length > 0 ? CreditRows.DateNode(licence.ValidUntil, key) : "2099-12-31";
        CreditRows.Put(row, PermitFields.Authority[0], licence.IssuingAuthority);
        row[PermitFields.Status] = licence.Status switch
        {
            LicenceStatus.Valid => "0",
            LicenceStatus.Revoked => "1",
            LicenceStatus.Cancelled => "注销",
            LicenceStatus.Suspended => "暂扣",
            _ => "3",
        };
        CreditRows.Put(row, PermitFields.SourceUnit, licence.IssuingAuthority);
        row[PermitFields.Updated] = CreditRows.UpdatedText(record);
        row[CreditRows.Synthetic] = record.Synthetic;
        return row;
    }

    /// <summary>The decision document number the source id was made from ("XK-" + number).</summary>
    private static string DocNo(CanonicalRecord record) =>
        record.SourceId.StartsWith("XK-", StringComparison.Ordinal) ? record.SourceId[3..]
            : throw new ArgumentException($"Permit {record.SourceId}: a credit-platform permit's source id is \"XK-\" + its decision document number.", nameof(record));

    public JsonObject Corrupt(JsonObject row, Random random)
    {
        var bad = CreditRows.Copy(row);
        switch (random.Next(5))
        {
            case 0: bad[PermitFields.DecidedOn] = CreditRows.ImpossibleDate(random); break;
            case 1: bad.Remove(PermitFields.DecidedOn); break;
            case 2: bad[PermitFields.Status] = random.Next(2) == 0 ? "9" : "待定"; break;
            case 3: bad[PermitFields.ValidUntil[0]] = CreditRows.ImpossibleDate(random); break;
            default: bad[PermitFields.ValidFrom] = "见许可证"; break;
        }
        return bad;
    }
}
