using System.Text.Json.Nodes;
using DataHub.Schema.V1;

namespace DataHub.Adapters.CreditPlatform;

/// <summary>
/// Field names of the credit-rating feed (信用评价结果). SOURCE-FORMATS §4.3 gives the schemes but no
/// exchange standard, so the row follows the platform's snake_case convention of its list table [CONV].
/// </summary>
internal static class RatingFields
{
    /// <summary>The platform's record number, e.g. "CR-{uscc}-{year}"; the source id as is.</summary>
    public const string Id = "rating_id";
    public const string Uscc = "uscc";
    public const string Name = "ent_name";
    public const string System = "rating_system";
    public const string Grade = "grade";
    /// <summary>The grade's band as displayed, e.g. 信用风险低; read when <see cref="Grade"/> is missing.</summary>
    public const string GradeName = "grade_name";
    /// <summary>Date (and usually time) of the rating.</summary>
    public const string RatedOn = "rated_on";
    public const string ValidUntil = "valid_until";
    public const string Authority = "authority";
    public const string Updated = "update_time";
}

internal sealed class RatingRowMapper : JsonRowMapper
{
    public const string FormatName = "credit-platform/ratings-v1";

    /// <summary>Band names of 市场监管企业信用风险分类 (国市监信发〔2022〕6号) and the grade letters they stand for.</summary>
    internal static readonly Dictionary<string, string> Bands = new(StringComparer.Ordinal)
    {
        ["信用风险低"] = "A",
        ["信用风险一般"] = "B",
        ["信用风险较高"] = "C",
        ["信用风险高"] = "D",
    };

    public override string Format => FormatName;

    protected override IEnumerable<CanonicalRecord> MapRow(SourceRow row)
    {
        var id = row.RequiredText(RatingFields.Id);
        var (ratedOn, at) = CreditRows.Occurred(row, RatingFields.RatedOn);
        var record = CreditRows.Record(row, id, at, RatingFields.Updated, [RatingFields.Uscc], [RatingFields.Name]);
        record.CreditRating = new CreditRating
        {
            RatingSystem = row.RequiredText(RatingFields.System),
            Grade = Grade(row.RequiredText(RatingFields.Grade, RatingFields.GradeName)),
            RatedOn = ratedOn,
            ValidUntil = row.DateText(RatingFields.ValidUntil),
            Authority = row.Text(RatingFields.Authority) ?? "",
        };
        yield return record;
    }

    /// <summary>
    /// The grade as a letter when it is written as a band name or as "A级"/"Ａ类"; other grades (scores,
    /// local labels) are kept as written, since the grade is free text in the schema.
    /// </summary>
    private static string Grade(string text)
    {
        var folded = CreditRows.Fold(text);
        if (Bands.TryGetValue(folded, out var letter)) return letter;
        if (folded.Length == 2 && char.IsAsciiLetter(folded[0]) && folded[1] is '级' or '类') return char.ToUpperInvariant(folded[0]).ToString();
        return folded.Length == 1 && char.IsAsciiLetter(folded[0]) ? folded.ToUpperInvariant() : text;
    }
}

internal sealed class RatingRowWriter : ISourceRowWriter
{
    public bool Carries(CanonicalRecord record) =>
        record.Source == CreditPlatformSource.Name && record.BodyCase == CanonicalRecord.BodyOneofCase.CreditRating;

    public JsonObject Write(CanonicalRecord record)
    {
        var rating = record.CreditRating;
        var row = new JsonObject
        {
            [RatingFields.Id] = record.SourceId,
            [RatingFields.Uscc] = record.Uscc,
            [RatingFields.Name] = record.EnterpriseName,
            [RatingFields.System] = rating.RatingSystem,
            [RatingFields.Grade] = rating.Grade,
            [RatingFields.RatedOn] = CreditRows.OccurredNode(rating.RatedOn, record.OccurredAt, record.SourceId),
        };
        // The band name is displayed beside the letter; the mapper reads the letter first.
        var band = RatingRowMapper.Bands.FirstOrDefault(b => b.Value == rating.Grade).Key;
        if (band is not null && rating.RatingSystem.Contains("信用风险分类", StringComparison.Ordinal)) row[RatingFields.GradeName] = band;
        if (rating.ValidUntil.Length > 0) row[RatingFields.ValidUntil] = CreditRows.DateNode(rating.ValidUntil, record.SourceId);
        CreditRows.Put(row, RatingFields.Authority, rating.Authority);
        row[RatingFields.Updated] = CreditRows.UpdatedText(record);
        row[CreditRows.Synthetic] = record.Synthetic;
        return row;
    }

    public JsonObject Corrupt(JsonObject row, Random random)
    {
        var bad = CreditRows.Copy(row);
        switch (random.Next(5))
        {
            case 0: bad[RatingFields.RatedOn] = CreditRows.ImpossibleDate(random); break;
            case 1: bad.Remove(RatingFields.RatedOn); break;
            case 2: bad.Remove(RatingFields.Grade); bad.Remove(RatingFields.GradeName); break;
            case 3: bad[RatingFields.ValidUntil] = CreditRows.ImpossibleDate(random); break;
            // A provider that nests the grade object where the platform expects its text.
            default: bad[RatingFields.Grade] = new JsonObject { ["level"] = row[RatingFields.Grade]?.DeepClone() }; break;
        }
        return bad;
    }
}
