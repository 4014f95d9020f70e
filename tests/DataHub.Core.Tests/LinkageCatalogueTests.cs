using DataHub.Core.Linkage;

namespace DataHub.Core.Tests;

public class LinkageCatalogueTests
{
    private const string Header = "approval_item_code,approval_sub_item,approval_item_name,regulatory_item_code,regulatory_item_name,regulator,division";

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DataHub.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds DataHub.sln.");
    }

    private static string ShippedCsv() => File.ReadAllText(Path.Combine(RepoRoot(), "hub", "DataHub", "catalogues", "linkage.csv"));

    private static IReadOnlyList<string> Problems(string csv) => Assert.Throws<LinkageCatalogueException>(() => LinkageCatalogue.Parse(csv)).Problems;

    [Fact]
    public void The_shipped_catalogue_parses_with_seven_rules_covering_the_generators_items_001_to_007()
    {
        var catalogue = LinkageCatalogue.Parse(ShippedCsv());

        Assert.Equal(7, catalogue.Rules.Count);
        for (int i = 1; i <= 7; i++)
        {
            var rule = catalogue.Match($"32010000000000{i}");
            Assert.NotNull(rule);
            Assert.Equal($"32010000000000{i}", rule.ApprovalItemCode);
            Assert.Equal("", rule.ApprovalSubItem);
            Assert.False(string.IsNullOrWhiteSpace(rule.Regulator));
            Assert.False(string.IsNullOrWhiteSpace(rule.Division));
            Assert.False(string.IsNullOrWhiteSpace(rule.RegulatoryItemCode));
        }
        // 排污许可 is deliberately not linked: its cases wait in the unmatched list.
        Assert.Null(catalogue.Match("320100000000008"));
        var food = catalogue.Match("320100000000001")!;
        Assert.Equal(("食品经营许可", "JG-SC-001", "city-amr", "食品经营监管处"), (food.ApprovalItemName, food.RegulatoryItemCode, food.Regulator, food.Division));
        Assert.Equal("city-emergency", catalogue.Match("320100000000007")!.Regulator);
    }

    [Fact]
    public void Match_is_by_item_code_and_by_code_plus_sub_item_for_a_row_with_a_sub_item()
    {
        var catalogue = LinkageCatalogue.Parse($"""
            {Header}
            320100000000001,,食品经营许可,JG-SC-001,食品经营活动监督检查,city-amr,食品经营监管处
            320100000000009,01,排污许可（重点管理）,JG-HB-001,排污单位监督检查,city-ecology,环境执法处
            320100000000009,02,排污许可（简化管理）,JG-HB-002,排污单位抽查,city-ecology,环境监测处
            """);

        Assert.Equal(3, catalogue.Rules.Count);
        Assert.Equal("JG-SC-001", catalogue.Match("320100000000001")!.RegulatoryItemCode);
        Assert.Equal("JG-SC-001", catalogue.Match("  320100000000001 ")!.RegulatoryItemCode);
        var key = catalogue.Match("32010000000000901")!;
        Assert.Equal(("01", "环境执法处", "32010000000000901"), (key.ApprovalSubItem, key.Division, key.CaseItemCode));
        Assert.Equal("环境监测处", catalogue.Match("32010000000000902")!.Division);
        // The bare code of an item linked only by sub-item, an unknown sub-item, and an unknown item match nothing.
        Assert.Null(catalogue.Match("320100000000009"));
        Assert.Null(catalogue.Match("32010000000000903"));
        Assert.Null(catalogue.Match("320100000000008"));
        Assert.Null(catalogue.Match(""));
    }

    [Fact]
    public void Quoted_fields_hold_commas_quotes_and_line_breaks_and_a_BOM_is_skipped()
    {
        var csv = "\uFEFF" + Header + "\r\n" +
                  "320100000000001,,\"食品经营许可,含仅销售预包装食品备案\",JG-SC-001,\"食品经营活动\"\"双随机\"\"监督检查\",city-amr,\"食品经营\n监管处\"\r\n" +
                  "\r\n" +
                  "320100000000002,,食品生产许可,JG-SC-002,食品生产企业监督检查,city-amr,食品生产监管处\r\n";

        var catalogue = LinkageCatalogue.Parse(csv);

        Assert.Equal(2, catalogue.Rules.Count);
        var first = catalogue.Rules[0];
        Assert.Equal("320100000000001", first.ApprovalItemCode);   // the BOM is not part of the header or the first field
        Assert.Equal("食品经营许可,含仅销售预包装食品备案", first.ApprovalItemName);
        Assert.Equal("食品经营活动\"双随机\"监督检查", first.RegulatoryItemName);
        Assert.Equal("食品经营\n监管处", first.Division);
        Assert.Equal("食品生产监管处", catalogue.Rules[1].Division);
    }

    [Fact]
    public void Columns_may_come_in_any_order_and_any_case_and_fields_are_trimmed()
    {
        var catalogue = LinkageCatalogue.Parse("""
            Division, Regulator ,regulatory_item_name,regulatory_item_code,approval_item_name,approval_sub_item,APPROVAL_ITEM_CODE
            食品经营监管处 , city-amr,食品经营活动监督检查,JG-SC-001,食品经营许可,, 320100000000001
            """);

        var rule = Assert.Single(catalogue.Rules);
        Assert.Equal(new LinkageRule("320100000000001", "", "食品经营许可", "JG-SC-001", "食品经营活动监督检查", "city-amr", "食品经营监管处"), rule);
    }

    [Fact]
    public void ToCsv_round_trips_the_shipped_catalogue_and_awkward_fields()
    {
        var shipped = LinkageCatalogue.Parse(ShippedCsv());
        Assert.Equal(shipped.Rules, LinkageCatalogue.Parse(shipped.ToCsv()).Rules);

        var awkward = LinkageCatalogue.Parse(
            Header + "\n" +
            "320100000000009,01,\"排污许可,重点\",\"JG-HB-001\",\"排污单位\"\"双随机\"\"检查\",city-ecology,\"环境\r\n执法处\"\n" +
            "320100000000001,,\"\"\"引号开头\",JG-SC-001,食品经营活动监督检查,city-amr,食品经营监管处\n");
        var again = LinkageCatalogue.Parse(awkward.ToCsv());
        Assert.Equal(awkward.Rules, again.Rules);
        Assert.Equal("排污单位\"双随机\"检查", again.Rules[0].RegulatoryItemName);
        Assert.Equal("环境\r\n执法处", again.Rules[0].Division);
        Assert.Equal("\"引号开头", again.Rules[1].ApprovalItemName);
        Assert.Equal(awkward.ToCsv(), again.ToCsv());
        Assert.StartsWith(Header + "\n", awkward.ToCsv(), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_with_its_line()
    {
        // Line 3 is the second physical line of a quoted multi-line field: it must count.
        var csv = Header + "\n" +
                  "320100000000001,,食品经营许可,JG-SC-001,食品经营活动监督检查,city-amr,\"食品经营\n监管处\"\n" +   // lines 2–3
                  "320100000000002,,食品生产许可,JG-SC-002,食品生产企业监督检查,,食品生产监管处\n" +                  // line 4: regulator empty
                  "320100000000001,,食品经营许可,JG-SC-009,重复,city-amr,另一处\n" +                               // line 5: duplicate of line 2
                  "320100000000003,,公共场所卫生许可,,,city-health,公共卫生监管处\n" +                               // line 6: two empty fields
                  "3201 00000000004,,药品零售企业许可,JG-SC-010,药品经营质量管理规范检查,city-amr,药品流通监管处\n" + // line 7: spaces in the code
                  "320100000000005\n";                                                                                 // line 8: a row cut short

        var problems = Problems(csv);

        Assert.Contains("line 4: regulator is empty", problems);
        Assert.Contains(problems, p => p.StartsWith("line 5: approval item 320100000000001 is already linked on line 2", StringComparison.Ordinal));
        Assert.Contains("line 6: regulatory_item_code is empty", problems);
        Assert.Contains("line 6: regulatory_item_name is empty", problems);
        Assert.Contains(problems, p => p.StartsWith("line 7: approval_item_code", StringComparison.Ordinal) && p.Contains("spaces", StringComparison.Ordinal));
        foreach (var column in new[] { "approval_item_name", "regulatory_item_code", "regulatory_item_name", "regulator", "division" })
            Assert.Contains($"line 8: {column} is empty", problems);
        Assert.Equal(1 + 2 + 1 + 5 + 1, problems.Count);
        Assert.All(problems, p => Assert.Matches(@"^line \d+: ", p));

        var e = Assert.Throws<LinkageCatalogueException>(() => LinkageCatalogue.Parse(csv));
        Assert.IsAssignableFrom<FormatException>(e);
        Assert.Contains("line 4: regulator is empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_header_without_a_column_is_reported_on_line_1_naming_the_column()
    {
        var problem = Assert.Single(Problems("""
            approval_item_code,approval_item_name,regulatory_item_code,regulatory_item_name,regulator
            320100000000001,食品经营许可,JG-SC-001,食品经营活动监督检查,city-amr
            """));

        Assert.StartsWith("line 1: the header lacks approval_sub_item, division", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unclosed_quote_is_reported_on_the_line_where_its_record_starts()
    {
        var problems = Problems(Header + "\n" +
                                "320100000000001,,食品经营许可,JG-SC-001,食品经营活动监督检查,city-amr,食品经营监管处\n" +
                                "320100000000002,,\"食品生产许可,JG-SC-002,食品生产企业监督检查,city-amr,食品生产监管处\n" +
                                "320100000000003,,公共场所卫生许可,JG-WJ-001,公共场所卫生监督检查,city-health,公共卫生监管处\n");

        Assert.Contains("line 3: a quoted field is not closed", problems);
        // The open quote swallowed the rest of the file, so the record is also short of fields.
        Assert.All(problems, p => Assert.StartsWith("line 3: ", p, StringComparison.Ordinal));
    }

    [Fact]
    public void An_empty_file_and_a_file_of_only_a_BOM_are_rejected()
    {
        Assert.Contains("empty", Assert.Single(Problems("")), StringComparison.Ordinal);
        Assert.Contains("empty", Assert.Single(Problems("\uFEFF")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_header_alone_and_blank_lines_make_an_empty_catalogue()
    {
        Assert.Empty(LinkageCatalogue.Parse(Header + "\n\n , ,,,,,\n").Rules);
    }
}
