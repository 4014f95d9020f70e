using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Schema.V1;

namespace DataHub.Adapters.MarketSupervision;

/// <summary>双随机一公开 result fields (SOURCE-FORMATS §3.6): v2 GSXT JSON [CONV], v1 the table's names.</summary>
internal static class InspectionFields
{
    public static readonly Field Key = new("taskNo", "task_no");
    public static readonly Field Uscc = new("uniscId", "uscc");
    public static readonly Field Name = new("entName", "ent_name");
    public static readonly Field TaskName = new("taskName", "task_name");
    public static readonly Field CheckType = new("insType", "check_type");
    public static readonly Field Authority = new("insAuthCn", "check_authority");
    public static readonly Field Checked = new("insDate", "checked_on");
    public static readonly Field Results = new("insRes", "check_result_codes");
    public static readonly Field ResultText = new("insResCn", "check_result");
}

/// <summary>
/// Maps an inspection result row. Result codes may come as codes or as their labels; the outcome is
/// derived from them, the most serious finding first.
/// </summary>
internal sealed class InspectionMapper : JsonRowMapper
{
    public const string Prefix = "INS-";

    public override string Format => "market-supervision/inspections-v1";

    private static readonly HashSet<string> ProblemCodes = ["2", "3", "4", "5", "8", "A", "B", "C", "D", "G"];

    protected override IEnumerable<CanonicalRecord> MapRow(SourceRow row)
    {
        var record = Rows.Start(row, Rows.Key(row, Prefix, InspectionFields.Key), InspectionFields.Uscc, InspectionFields.Name, InspectionFields.Checked);
        var codes = ResultCodes(row);
        record.Inspection = new Inspection
        {
            TaskNo = row.RequiredText(InspectionFields.Key.Names),
            TaskName = Rows.Text(row, InspectionFields.TaskName),
            CheckType = CheckType(row),
            Authority = Rows.Text(row, InspectionFields.Authority),
            CheckedOn = ChinaDates.Format(row.RequiredDate(InspectionFields.Checked.Names)),
            ResultCodes = { codes },
            Outcome = OutcomeOf(codes),
        };
        yield return record;
    }

    private static List<string> ResultCodes(SourceRow row)
    {
        var name = InspectionFields.Results.Names.FirstOrDefault(n => row.Fields[n] is not null) ?? InspectionFields.Results.V2;
        var items = row.List(InspectionFields.Results.Names);
        if (items.Count == 0)
            throw new RowFormatException("MISSING_FIELD", $"required field {InspectionFields.Results} (the inspection's result codes) is missing or empty.");
        return [.. items.Select(item => CodeTables.InspectionResults.ContainsKey(item.ToUpperInvariant()) ? item.ToUpperInvariant()
            : CodeTables.CodeOf(CodeTables.InspectionResults, item)
              ?? throw new RowFormatException("UNKNOWN_CODE", $"field {name} has \"{item}\", which is neither a code nor a label of the 检查结果 code table."))];
    }

    private static string CheckType(SourceRow row)
    {
        foreach (var name in InspectionFields.CheckType.Names)
        {
            if (row.Text(name) is not { } value) continue;
            return value.All(char.IsAsciiDigit) ? CodeTables.Lookup(CodeTables.CheckTypes, value, name, "检查类型") : value;
        }
        return "";
    }

    internal static InspectionOutcome OutcomeOf(IReadOnlyCollection<string> codes) =>
        codes.Contains("6") ? InspectionOutcome.NotContactable
        : codes.Contains("E") ? InspectionOutcome.Corrected
        : codes.Any(ProblemCodes.Contains) ? InspectionOutcome.ProblemFound
        : codes.Contains("1") || codes.Contains("F") ? InspectionOutcome.NoProblem
        : InspectionOutcome.Unspecified;
}

internal sealed class InspectionWriter : ISourceRowWriter
{
    public bool Carries(CanonicalRecord record) =>
        record.Source == MarketSupervisionSource.Name && record.BodyCase == CanonicalRecord.BodyOneofCase.Inspection;

    public JsonObject Write(CanonicalRecord record)
    {
        var inspection = record.Inspection;
        var (v2, dateStyle, extra) = RowStyle.Of(record);
        var row = new JsonObject { [InspectionFields.Key.In(v2)] = Rows.Unprefixed(record.SourceId, InspectionMapper.Prefix) };
        Rows.Put(row, InspectionFields.TaskName.In(v2), inspection.TaskName);
        Rows.Put(row, InspectionFields.Uscc.In(v2), record.Uscc);
        Rows.Put(row, InspectionFields.Name.In(v2), record.EnterpriseName);
        // The exchange table sends the type as a code where it has one.
        Rows.Put(row, InspectionFields.CheckType.In(v2), !v2 ? CodeTables.CodeOf(CodeTables.CheckTypes, inspection.CheckType) ?? inspection.CheckType : inspection.CheckType);
        Rows.Put(row, InspectionFields.Authority.In(v2), inspection.Authority);
        Rows.PutDate(row, InspectionFields.Checked.In(v2), inspection.CheckedOn, dateStyle);
        if (inspection.ResultCodes.Count > 0)
        {
            row[InspectionFields.Results.In(v2)] = v2 ? Rows.Array(inspection.ResultCodes) : string.Join(",", inspection.ResultCodes);
            // The labels ride along for people reading the platform; the mapper goes by the codes.
            if (extra)
                row[InspectionFields.ResultText.In(v2)] = string.Join("；", inspection.ResultCodes.Select(c => CodeTables.InspectionResults.GetValueOrDefault(c, c)));
        }
        Rows.PutTimes(row, record, v2);
        return row;
    }

    public JsonObject Corrupt(JsonObject row, Random random)
    {
        var bad = Rows.Copy(row);
        switch (random.Next(4))
        {
            case 0: Rows.Set(bad, InspectionFields.Checked, Rows.ImpossibleDate); break;
            case 1: Rows.Remove(bad, InspectionFields.Key); break;
            case 2: Rows.Set(bad, InspectionFields.Results, Rows.Array(["1", "Z"])); break;
            default: Rows.Set(bad, InspectionFields.CheckType, "9"); break;
        }
        return bad;
    }
}
