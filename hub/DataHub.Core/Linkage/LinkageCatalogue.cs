using System.Collections.Frozen;
using System.Text;

namespace DataHub.Core.Linkage;

/// <summary>
/// One row of the linkage catalogue: an approval item (and sub-item) linked to the regulatory item
/// and the regulator division that supervises what it approves ("谁审批谁负责、谁主管谁监管").
/// </summary>
public sealed record LinkageRule(string ApprovalItemCode, string ApprovalSubItem, string ApprovalItemName, string RegulatoryItemCode,
    string RegulatoryItemName, string Regulator, string Division)
{
    /// <summary>The item code a case carries when it is for this row: the item code followed by the sub-item, if any.</summary>
    public string CaseItemCode => ApprovalItemCode + ApprovalSubItem;
}

/// <summary>
/// The approval-regulation linkage catalogue (审管事项关联目录清单), from CSV with a header row:
/// approval_item_code, approval_sub_item, approval_item_name, regulatory_item_code,
/// regulatory_item_name, regulator, division. <see cref="Parse"/> names every problem by line and column.
/// </summary>
public sealed class LinkageCatalogue
{
    public static readonly string[] Columns =
        ["approval_item_code", "approval_sub_item", "approval_item_name", "regulatory_item_code", "regulatory_item_name", "regulator", "division"];

    private readonly FrozenDictionary<string, LinkageRule> _byCaseItem;

    private LinkageCatalogue(IReadOnlyList<LinkageRule> rules)
    {
        Rules = rules;
        _byCaseItem = rules.ToFrozenDictionary(r => r.CaseItemCode, StringComparer.Ordinal);
    }

    public IReadOnlyList<LinkageRule> Rules { get; }

    /// <summary>The row for a case's approval item code, or null when the catalogue does not cover it.</summary>
    public LinkageRule? Match(string caseItemCode) => _byCaseItem.GetValueOrDefault(caseItemCode.Trim());

    public static LinkageCatalogue Parse(string csv)
    {
        var problems = new List<string>();
        var rows = ReadCsv(csv, problems);
        var rules = new List<LinkageRule>();
        if (rows.Count == 0)
        {
            problems.Add("the file is empty: it needs the header row " + string.Join(",", Columns));
            throw new LinkageCatalogueException(problems);
        }
        var header = rows[0].Fields.Select(f => f.Trim().ToLowerInvariant()).ToList();
        var missing = Columns.Where(c => !header.Contains(c)).ToList();
        if (missing.Count > 0)
        {
            problems.Add($"line 1: the header lacks {string.Join(", ", missing)}; columns are {string.Join(",", Columns)}");
            throw new LinkageCatalogueException(problems);
        }
        var index = Columns.ToDictionary(c => c, c => header.IndexOf(c));
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (line, fields) in rows.Skip(1))
        {
            if (fields.All(f => f.Trim().Length == 0)) continue;
            string Field(string column) => index[column] < fields.Count ? fields[index[column]].Trim() : "";
            int before = problems.Count;
            foreach (var required in new[] { "approval_item_code", "approval_item_name", "regulatory_item_code", "regulatory_item_name", "regulator", "division" })
                if (Field(required).Length == 0) problems.Add($"line {line}: {required} is empty");
            var code = Field("approval_item_code");
            if (code.Any(char.IsWhiteSpace)) problems.Add($"line {line}: approval_item_code '{code}' contains spaces");
            var rule = new LinkageRule(code, Field("approval_sub_item"), Field("approval_item_name"), Field("regulatory_item_code"),
                Field("regulatory_item_name"), Field("regulator"), Field("division"));
            if (problems.Count > before) continue;
            if (seen.TryGetValue(rule.CaseItemCode, out var first))
            {
                problems.Add($"line {line}: approval item {rule.CaseItemCode} is already linked on line {first}; one approval item has one regulator division");
                continue;
            }
            seen[rule.CaseItemCode] = line;
            rules.Add(rule);
        }
        if (problems.Count > 0) throw new LinkageCatalogueException(problems);
        return new LinkageCatalogue(rules);
    }

    /// <summary>The catalogue as CSV that <see cref="Parse"/> reads back.</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder(string.Join(",", Columns)).Append('\n');
        foreach (var r in Rules)
            sb.AppendJoin(',', new[] { r.ApprovalItemCode, r.ApprovalSubItem, r.ApprovalItemName, r.RegulatoryItemCode, r.RegulatoryItemName, r.Regulator, r.Division }.Select(Quote))
              .Append('\n');
        return sb.ToString();
    }

    private static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;

    /// <summary>RFC 4180 records: quoted fields may hold commas, quotes ("") and line breaks; a UTF-8 BOM is skipped.</summary>
    private static List<(int Line, List<string> Fields)> ReadCsv(string text, List<string> problems)
    {
        var rows = new List<(int, List<string>)>();
        int i = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0, line = 1;
        while (i < text.Length)
        {
            int startLine = line;
            var fields = new List<string>();
            var field = new StringBuilder();
            bool quoted = false, endOfRecord = false;
            while (i < text.Length && !endOfRecord)
            {
                char c = text[i++];
                if (quoted)
                {
                    if (c == '"' && i < text.Length && text[i] == '"') { field.Append('"'); i++; }
                    else if (c == '"') quoted = false;
                    else { if (c == '\n') line++; field.Append(c); }
                }
                else if (c == '"' && field.Length == 0) quoted = true;
                else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
                else if (c == '\n') { endOfRecord = true; line++; }
                else if (c != '\r') field.Append(c);
            }
            if (quoted) problems.Add($"line {startLine}: a quoted field is not closed");
            fields.Add(field.ToString());
            rows.Add((startLine, fields));
        }
        return rows;
    }
}

/// <summary>A linkage catalogue that does not validate; <see cref="Problems"/> names each line at fault.</summary>
public sealed class LinkageCatalogueException(IReadOnlyList<string> problems)
    : FormatException($"The linkage catalogue is not valid: {string.Join("; ", problems)}.")
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
