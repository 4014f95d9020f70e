using System.Text.Json.Nodes;
using DataHub.Schema.V1;

namespace DataHub.Adapters.CreditPlatform;

/// <summary>
/// 信用承诺 fields as the national 归集 template names them (SOURCE-FORMATS §4.4). caseNo (the approval
/// case a 告知承诺 belongs to) and updateTime are the platform's additions [CONV].
/// </summary>
internal static class CommitmentFields
{
    /// <summary>承诺编码: the row's key. The source id is "CMT-" + this code.</summary>
    public const string Code = "code";
    public const string SubjectName = "subjectName";
    public const string SubjectCategory = "subjectCategory";
    /// <summary>USCC of an organization or 个体; a person's ID number for 自然人 (rejected).</summary>
    public const string SubjectCode = "identify";
    public const string Type = "commitmentTypeId";
    public const string Reason = "reason";
    public const string Content = "content";
    public const string BreachLiability = "liabilityBreachCommitment";
    public const string CommittedOn = "commitmentDate";
    public const string ValidUntil = "commitmentValidity";
    public const string Status = "fulfillmentStatus";
    public const string Unfulfilled = "unperformedCommitmentContent";
    public const string StatusDate = "fulfillmentStatusDate";
    public const string AcceptingUnit = "acceptanceUnit";
    public const string Publication = "publicationType";
    public const string CaseNo = "caseNo";
    public const string Updated = "updateTime";
}

internal sealed class CommitmentRowMapper : JsonRowMapper
{
    public const string FormatName = "credit-platform/commitments-v1";

    /// <summary>
    /// 承诺类型 by code, number or name (QT 0 其他 … ZDX 6 主动型). The hub's types are approval routes
    /// (DOMAIN.md): 审批替代型 is approval on commitment checked afterwards, 证明事项型 replaces a
    /// certificate the agency verifies itself, 容缺受理型 is accept-with-gaps; the other kinds are not
    /// approval routes. "其他-材料延期" etc. state a 其他 type, as the standard asks [CONV].
    /// </summary>
    private static readonly Dictionary<string, CommitmentType> Types = CreditRows.Table(
        ("SPTDX", CommitmentType.PostCheck), ("1", CommitmentType.PostCheck), ("审批替代型", CommitmentType.PostCheck),
        ("RQSLX", CommitmentType.AcceptedWithGaps), ("2", CommitmentType.AcceptedWithGaps), ("容缺受理型", CommitmentType.AcceptedWithGaps),
        ("ZMSXX", CommitmentType.MaterialVerified), ("3", CommitmentType.MaterialVerified), ("证明事项型", CommitmentType.MaterialVerified),
        ("XYXFX", CommitmentType.None), ("4", CommitmentType.None), ("信用修复型", CommitmentType.None),
        ("HYZLX", CommitmentType.None), ("5", CommitmentType.None), ("行业自律型", CommitmentType.None),
        ("ZDX", CommitmentType.None), ("6", CommitmentType.None), ("主动型", CommitmentType.None),
        ("QT", CommitmentType.None), ("0", CommitmentType.None), ("其他", CommitmentType.None),
        ("其他-材料延期", CommitmentType.MaterialDeferred), ("其他-材料核验", CommitmentType.MaterialVerified),
        ("其他-事后核查", CommitmentType.PostCheck), ("其他-容缺受理", CommitmentType.AcceptedWithGaps));

    /// <summary>
    /// 承诺履行状态: 全部履行 / 部分履行 / 全部未履行; a partly kept commitment is broken (违诺). The standard
    /// has no value for one not yet due; the platform writes 待履行 [CONV].
    /// </summary>
    private static readonly Dictionary<string, CommitmentStatus> Statuses = CreditRows.Table(
        ("全部履行", CommitmentStatus.Kept), ("已履行", CommitmentStatus.Kept), ("履诺", CommitmentStatus.Kept),
        ("部分履行", CommitmentStatus.Broken), ("全部未履行", CommitmentStatus.Broken), ("未履行", CommitmentStatus.Broken),
        ("失诺", CommitmentStatus.Broken), ("违诺", CommitmentStatus.Broken),
        ("待履行", CommitmentStatus.Pending), ("履行中", CommitmentStatus.Pending));

    public override string Format => FormatName;

    protected override IEnumerable<CanonicalRecord> MapRow(SourceRow row)
    {
        CreditParty.RejectNaturalPerson(row, CommitmentFields.SubjectCategory, CommitmentFields.SubjectCode);
        var code = row.RequiredText(CommitmentFields.Code);
        var (committedOn, at) = CreditRows.Occurred(row, CommitmentFields.CommittedOn);
        var record = CreditRows.Record(row, "CMT-" + code, at, CommitmentFields.Updated, [CommitmentFields.SubjectCode], [CommitmentFields.SubjectName]);
        record.Commitment = new Commitment
        {
            CommitmentCode = code,
            CaseNo = row.Text(CommitmentFields.CaseNo) ?? "",
            Type = CreditRows.Code(row, Types, CommitmentFields.Type)
                ?? throw new RowFormatException("MISSING_FIELD", $"required field {CommitmentFields.Type} is missing or empty."),
            Content = row.Text(CommitmentFields.Content) ?? "",
            CommittedOn = committedOn,
            Deadline = row.DateText(CommitmentFields.ValidUntil),
            Status = CreditRows.Code(row, Statuses, CommitmentFields.Status) ?? CommitmentStatus.Unspecified,
            ResolvedOn = row.DateText(CommitmentFields.StatusDate),
        };
        yield return record;
    }
}

internal sealed class CommitmentRowWriter : ISourceRowWriter
{
    public bool Carries(CanonicalRecord record) =>
        record.Source == CreditPlatformSource.Name && record.BodyCase == CanonicalRecord.BodyOneofCase.Commitment;

    public JsonObject Write(CanonicalRecord record)
    {
        var commitment = record.Commitment;
        var key = record.SourceId;
        var row = new JsonObject
        {
            [CommitmentFields.Code] = commitment.CommitmentCode,
            [CommitmentFields.SubjectName] = record.EnterpriseName,
            [CommitmentFields.SubjectCategory] = "法人及非法人组织",
            [CommitmentFields.SubjectCode] = record.Uscc,
            [CommitmentFields.Type] = commitment.Type switch
            {
                CommitmentType.PostCheck => "SPTDX",
                CommitmentType.AcceptedWithGaps => "RQSLX",
                CommitmentType.MaterialVerified => "ZMSXX",
                CommitmentType.MaterialDeferred => "其他-材料延期",
                _ => "QT",
            },
        };
        CreditRows.Put(row, CommitmentFields.CaseNo, commitment.CaseNo);
        CreditRows.Put(row, CommitmentFields.Content, commitment.Content);
        row[CommitmentFields.BreachLiability] = "自愿承担违诺责任，接受撤销相关许可及失信联合惩戒。";
        row[CommitmentFields.CommittedOn] = CreditRows.OccurredNode(commitment.CommittedOn, record.OccurredAt, key);
        if (commitment.Deadline.Length > 0) row[CommitmentFields.ValidUntil] = CreditRows.DateNode(commitment.Deadline, key);
        switch (commitment.Status)
        {
            case CommitmentStatus.Kept: row[CommitmentFields.Status] = "全部履行"; break;
            case CommitmentStatus.Broken:
                row[CommitmentFields.Status] = "全部未履行";
                CreditRows.Put(row, CommitmentFields.Unfulfilled, commitment.Content);
                break;
            case CommitmentStatus.Pending: row[CommitmentFields.Status] = "待履行"; break;
        }
        if (commitment.ResolvedOn.Length > 0) row[CommitmentFields.StatusDate] = CreditRows.DateNode(commitment.ResolvedOn, key);
        row[CommitmentFields.Publication] = "可向社会公开";
        row[CommitmentFields.Updated] = CreditRows.UpdatedText(record);
        row[CreditRows.Synthetic] = record.Synthetic;
        return row;
    }

    public JsonObject Corrupt(JsonObject row, Random random)
    {
        var bad = CreditRows.Copy(row);
        switch (random.Next(5))
        {
            case 0: bad[CommitmentFields.CommittedOn] = CreditRows.ImpossibleDate(random); break;
            case 1: bad.Remove(CommitmentFields.CommittedOn); break;
            case 2: bad[CommitmentFields.Type] = random.Next(2) == 0 ? "99" : "承诺型"; break;
            case 3: bad[CommitmentFields.Status] = "基本履行"; break;
            default: bad.Remove(CommitmentFields.Type); break;
        }
        return bad;
    }
}
