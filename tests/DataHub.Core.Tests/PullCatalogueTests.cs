using System.Text.Json.Nodes;
using DataHub.Core.Pulls;
using DataHub.Schema.V1;

namespace DataHub.Core.Tests;

public class PullCatalogueTests
{
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DataHub.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds DataHub.sln.");
    }

    private static string ShippedPath => Path.Combine(RepoRoot(), "hub", "DataHub", "catalogues", "data-pulls.json");

    private static PullCatalogue Shipped() => PullCatalogue.Parse(File.ReadAllText(ShippedPath));

    private const string Valid = """
        // a comment, as in the shipped file
        {
          "title": "测试目录",
          "coordinationOffice": "city-coordination",
          "itemTypes": [
            {
              "code": "LIC-JY", "name": "食品经营许可证", "kind": "licence", "licenceTypeCode": "JY",
              "owner": "city-amr", "timeLimitWorkingDays": 3,
              "legalBasis": "《中华人民共和国食品安全法》第三十五条", "dutyItem": "食品经营许可",
              "requesterRoles": ["approval", "regulator"]
            },
            {
              "code": "MAT-FIRE", "name": "消防验收意见书", "kind": "material",
              "owner": "city-housing", "timeLimitWorkingDays": 5, "materialValidDays": 1095,
              "legalBasis": "《中华人民共和国消防法》第十三条",
              "requesterRoles": ["approval"]
            },
          ],
          "approvers": [
            { "agency": "city-approval", "division": "市场准入审批处", "name": "示例审批员甲", "phone": "13800000001" },
            { "agency": "city-amr", "division": "食品经营许可科", "name": "示例审批员乙" }
          ],
          "regulators": [
            { "agency": "city-amr", "division": "食品经营监管处", "name": "示例监管员甲", "phone": "13800000011" },
            { "agency": "city-housing", "name": "示例监管员乙", "phone": "13800000015" }
          ]
        }
        """;

    private static JsonObject Doc() => JsonNode.Parse(Valid, documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();

    private static JsonObject ItemAt(JsonObject doc, int i) => doc["itemTypes"]![i]!.AsObject();

    private static PullCatalogueException Invalid(string json) => Assert.Throws<PullCatalogueException>(() => PullCatalogue.Parse(json));

    // ---- the shipped catalogue ----

    [Fact]
    public void The_shipped_catalogue_parses_and_names_the_city_coordination_office()
    {
        Assert.True(File.Exists(ShippedPath), $"the shipped catalogue should be at {ShippedPath}");
        var catalogue = Shipped();

        Assert.Equal("city-coordination", catalogue.CoordinationOffice);
        Assert.Equal(10, catalogue.ItemTypes.Count);
        Assert.Equal(2, catalogue.Approvers.Count);
        Assert.Equal(10, catalogue.Regulators.Count);
        Assert.False(string.IsNullOrWhiteSpace(catalogue.Title), "the shipped catalogue should have a title");

        var jy = catalogue.Find("LIC-JY");
        Assert.NotNull(jy);
        Assert.Equal(PullItemKind.Licence, jy.Kind);
        Assert.Equal("JY", jy.LicenceTypeCode);
        Assert.Equal("city-amr", jy.Owner);
        Assert.Equal(3, jy.TimeLimitWorkingDays);
        Assert.Equal("食品经营许可", jy.DutyItem);
        Assert.Equal(["approval", "regulator", "superadmin"], jy.RequesterRoles);
        Assert.Null(jy.MaterialValidDays);

        var fire = catalogue.Find("MAT-FIRE-ACCEPT");
        Assert.NotNull(fire);
        Assert.Equal(PullItemKind.Material, fire.Kind);
        Assert.Null(fire.LicenceTypeCode);
        Assert.Equal(1095, fire.MaterialValidDays);

        Assert.Equal(PullItemKind.DataSet, catalogue.Find("DATA-TAX-CLEARANCE")?.Kind);
        Assert.Null(catalogue.Find("NO-SUCH-ITEM"));
        Assert.Contains("city-coordination", catalogue.AgencyIds());
    }

    [Fact]
    public void Every_owner_in_the_shipped_catalogue_has_a_contact_to_remind()
    {
        var catalogue = Shipped();
        foreach (var owner in catalogue.ItemTypes.Select(i => i.Owner).Distinct())
            Assert.True(catalogue.ContactsOf(owner).Any(), $"owner '{owner}' should have someone on the approver or regulator list");
        Assert.True(catalogue.ContactsOf(catalogue.CoordinationOffice).Any(), "the coordination office should have a contact");
    }

    [Fact]
    public void The_shipped_catalogue_round_trips_through_its_JSON()
    {
        var json = Shipped().ToJson();
        Assert.Equal(json, PullCatalogue.Parse(json).ToJson());
        Assert.Contains("city-coordination", json);
        Assert.Contains("食品经营许可证", json); // Chinese is written as is, not \u-escaped
    }

    [Fact]
    public void A_catalogue_with_every_optional_field_round_trips_through_its_JSON()
    {
        var catalogue = PullCatalogue.Parse(Valid);
        var json = catalogue.ToJson();
        var again = PullCatalogue.Parse(json);

        Assert.Equal(json, again.ToJson());
        Assert.Equal("测试目录", again.Title);
        Assert.Equal(1095, again.Find("MAT-FIRE")?.MaterialValidDays);
        Assert.Equal("食品经营许可", again.Find("LIC-JY")?.DutyItem);
        Assert.Equal("", again.Find("MAT-FIRE")?.DutyItem);
        Assert.Equal("", again.Approvers[1].Phone);
        Assert.Equal("", again.Regulators[1].Division);
    }

    [Fact]
    public void Values_are_trimmed_and_duplicate_roles_dropped()
    {
        var doc = Doc();
        ItemAt(doc, 0)["code"] = "  LIC-JY ";
        ItemAt(doc, 0)["owner"] = " city-amr ";
        ItemAt(doc, 0)["requesterRoles"] = new JsonArray("approval", "approval", "regulator");
        doc["coordinationOffice"] = " city-coordination ";
        doc["approvers"]![0]!["phone"] = " 13800000001 ";

        var catalogue = PullCatalogue.Parse(doc.ToJsonString());

        var jy = catalogue.Find("LIC-JY");
        Assert.NotNull(jy);
        Assert.Equal("city-amr", jy.Owner);
        Assert.Equal(["approval", "regulator"], jy.RequesterRoles);
        Assert.Equal("city-coordination", catalogue.CoordinationOffice);
        Assert.Equal("13800000001", catalogue.Approvers[0].Phone);
    }

    // ---- validation: each problem with its path ----

    public static TheoryData<string, string> Problems() => new()
    {
        { "no coordination office", "coordinationOffice is missing" },
        { "blank coordination office", "coordinationOffice is missing" },
        { "empty item types", "itemTypes is empty" },
        { "no item types", "itemTypes is empty" },
        { "missing code", "itemTypes[0].code is missing" },
        { "duplicate code", "itemTypes[1] (LIC-JY).code 'LIC-JY' is used by an earlier item type" },
        { "duplicate code after trimming", "itemTypes[1] (LIC-JY ).code 'LIC-JY ' is used by an earlier item type" },
        { "missing name", "itemTypes[1] (MAT-FIRE).name is missing" },
        { "bad kind", "itemTypes[1] (MAT-FIRE).kind is 'document'; use dataSet, licence, material" },
        { "kind in the wrong case", "itemTypes[1] (MAT-FIRE).kind is 'Material'" },
        { "missing kind", "itemTypes[1] (MAT-FIRE).kind is ''" },
        { "missing owner", "itemTypes[0] (LIC-JY).owner is missing" },
        { "time limit 0", "itemTypes[0] (LIC-JY).timeLimitWorkingDays is 0; use 1 to 60 working days" },
        { "time limit 61", "itemTypes[0] (LIC-JY).timeLimitWorkingDays is 61; use 1 to 60 working days" },
        { "missing time limit", "itemTypes[0] (LIC-JY).timeLimitWorkingDays is missing" },
        { "missing legal basis", "itemTypes[0] (LIC-JY).legalBasis is missing" },
        { "empty requester roles", "itemTypes[1] (MAT-FIRE).requesterRoles is empty" },
        { "unknown requester role", "itemTypes[1] (MAT-FIRE).requesterRoles has 'enterprise'; use approval, coordination, regulator, superadmin" },
        { "licence without licence type code", "itemTypes[0] (LIC-JY).licenceTypeCode is missing" },
        { "licence type code on a material", "itemTypes[1] (MAT-FIRE).licenceTypeCode is only for kind licence" },
        { "material valid days 0", "itemTypes[1] (MAT-FIRE).materialValidDays is 0; use 1 to 3650" },
        { "contact without agency", "approvers[0].agency is missing" },
        { "contact without name", "regulators[1].name is missing" },
        { "short bad phone", "approvers[0].phone '****' is not an 11-digit mainland mobile number" },
        { "long bad phone", "regulators[0].phone '139****6789' is not an 11-digit mainland mobile number" },
        { "phone not starting with 1", "approvers[0].phone '238****0001' is not an 11-digit" },
        { "phone with a letter", "approvers[0].phone '138****000a' is not an 11-digit" },
    };

    private static string WithProblem(string problem)
    {
        var doc = Doc();
        var licence = ItemAt(doc, 0);
        var material = ItemAt(doc, 1);
        switch (problem)
        {
            case "no coordination office": doc.Remove("coordinationOffice"); break;
            case "blank coordination office": doc["coordinationOffice"] = "  "; break;
            case "empty item types": doc["itemTypes"] = new JsonArray(); break;
            case "no item types": doc.Remove("itemTypes"); break;
            case "missing code": licence.Remove("code"); break;
            case "duplicate code": material["code"] = "LIC-JY"; break;
            case "duplicate code after trimming": material["code"] = "LIC-JY "; break;
            case "missing name": material["name"] = ""; break;
            case "bad kind": material["kind"] = "document"; break;
            case "kind in the wrong case": material["kind"] = "Material"; break;
            case "missing kind": material.Remove("kind"); break;
            case "missing owner": licence["owner"] = " "; break;
            case "time limit 0": licence["timeLimitWorkingDays"] = 0; break;
            case "time limit 61": licence["timeLimitWorkingDays"] = 61; break;
            case "missing time limit": licence.Remove("timeLimitWorkingDays"); break;
            case "missing legal basis": licence.Remove("legalBasis"); break;
            case "empty requester roles": material["requesterRoles"] = new JsonArray(); break;
            case "unknown requester role": material["requesterRoles"] = new JsonArray("approval", "enterprise"); break;
            case "licence without licence type code": licence.Remove("licenceTypeCode"); break;
            case "licence type code on a material": material["licenceTypeCode"] = "XF"; break;
            case "material valid days 0": material["materialValidDays"] = 0; break;
            case "contact without agency": doc["approvers"]![0]!.AsObject().Remove("agency"); break;
            case "contact without name": doc["regulators"]![1]!["name"] = ""; break;
            case "short bad phone": doc["approvers"]![0]!["phone"] = "12345"; break;
            case "long bad phone": doc["regulators"]![0]!["phone"] = "139123456789"; break;
            case "phone not starting with 1": doc["approvers"]![0]!["phone"] = "23800000001"; break;
            case "phone with a letter": doc["approvers"]![0]!["phone"] = "1380000000a"; break;
            default: throw new ArgumentOutOfRangeException(nameof(problem), problem, "no such case");
        }
        return doc.ToJsonString();
    }

    [Theory]
    [MemberData(nameof(Problems))]
    public void Each_validation_problem_is_reported_with_its_path(string problem, string expected)
    {
        var e = Invalid(WithProblem(problem));
        var only = Assert.Single(e.Problems);
        Assert.StartsWith(expected, only);
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("The data-pull catalogue is not valid: ", e.Message);
    }

    [Fact]
    public void The_valid_base_document_has_no_problem()
    {
        var catalogue = PullCatalogue.Parse(Doc().ToJsonString());
        Assert.Equal(2, catalogue.ItemTypes.Count);
    }

    [Theory]
    [InlineData("12345", "12345")]
    [InlineData("139123456789", "139123456789")]
    [InlineData("1391234567890123", "91234567890")]
    public void A_bad_phone_number_is_masked_in_the_problem_not_echoed(string phone, string mustNotAppear)
    {
        var doc = Doc();
        doc["approvers"]![0]!["phone"] = phone;
        var e = Invalid(doc.ToJsonString());
        var only = Assert.Single(e.Problems);
        Assert.Contains("****", only);
        Assert.DoesNotContain(mustNotAppear, only);
        Assert.DoesNotContain(mustNotAppear, e.Message);
    }

    // A short number keeps at most its last 4 digits: at least 4 are always hidden.
    [Theory]
    [InlineData("8765432")]
    [InlineData("87654321")]
    public void A_short_bad_phone_number_is_not_revealed_digit_for_digit(string phone)
    {
        var doc = Doc();
        doc["approvers"]![0]!["phone"] = phone;
        var only = Assert.Single(Invalid(doc.ToJsonString()).Problems);
        var shown = only.Split('\'')[1];
        var revealed = shown.Count(char.IsAsciiDigit);
        Assert.True(revealed <= phone.Length - 4,
            $"the problem should hide at least 4 of the {phone.Length} digits of '{phone}', but shows '{shown}' ({revealed} digits)");
    }

    [Fact]
    public void Several_problems_are_all_listed_in_document_order()
    {
        var doc = Doc();
        doc.Remove("coordinationOffice");
        ItemAt(doc, 0)["timeLimitWorkingDays"] = 0;
        ItemAt(doc, 0).Remove("legalBasis");
        ItemAt(doc, 1)["kind"] = "document";
        doc["approvers"]![0]!["phone"] = "12345";
        doc["regulators"]![1]!["name"] = "";

        var e = Invalid(doc.ToJsonString());

        Assert.Collection(e.Problems,
            p => Assert.StartsWith("coordinationOffice is missing", p),
            p => Assert.StartsWith("itemTypes[0] (LIC-JY).timeLimitWorkingDays is 0", p),
            p => Assert.StartsWith("itemTypes[0] (LIC-JY).legalBasis is missing", p),
            p => Assert.StartsWith("itemTypes[1] (MAT-FIRE).kind is 'document'", p),
            p => Assert.StartsWith("approvers[0].phone '****'", p),
            p => Assert.StartsWith("regulators[1].name is missing", p));
        foreach (var p in e.Problems) Assert.Contains(p, e.Message);
    }

    [Fact]
    public void An_item_type_with_several_faults_has_each_reported()
    {
        var doc = Doc();
        var item = ItemAt(doc, 0);
        item.Remove("licenceTypeCode");
        item["timeLimitWorkingDays"] = 61;
        item["requesterRoles"] = new JsonArray("approval", "citizen", "enterprise");

        var e = Invalid(doc.ToJsonString());

        Assert.Equal(4, e.Problems.Count);
        Assert.All(e.Problems, p => Assert.StartsWith("itemTypes[0] (LIC-JY).", p));
        Assert.Contains(e.Problems, p => p.Contains("'citizen'"));
        Assert.Contains(e.Problems, p => p.Contains("'enterprise'"));
    }

    [Theory]
    [InlineData("coordinationOfice", "")]           // a typo at the top
    [InlineData("timeLimitDays", "itemTypes")]      // a typo in an item type
    [InlineData("mobile", "approvers")]             // a typo in a contact
    public void An_unknown_member_is_rejected_not_ignored(string member, string where)
    {
        var doc = Doc();
        var target = where switch
        {
            "" => doc,
            "itemTypes" => ItemAt(doc, 0),
            _ => doc[where]![0]!.AsObject(),
        };
        target[member] = "x";

        var e = Invalid(doc.ToJsonString());

        var only = Assert.Single(e.Problems);
        Assert.StartsWith("not a catalogue document: ", only);
        Assert.Contains(member, only);
    }

    [Theory]
    [InlineData("this is not JSON")]
    [InlineData("{ \"coordinationOffice\": ")]
    [InlineData("[1, 2, 3]")]
    [InlineData("")]
    [InlineData("{ \"itemTypes\": \"LIC-JY\" }")]
    public void Text_that_is_not_a_catalogue_document_is_rejected_with_a_clear_message(string text)
    {
        var e = Invalid(text);
        var only = Assert.Single(e.Problems);
        Assert.StartsWith("not a catalogue document: ", only);
        Assert.True(only.Length > "not a catalogue document: ".Length, "the problem should say what the JSON reader found");
        Assert.IsAssignableFrom<FormatException>(e);
    }

    [Fact]
    public void A_null_document_is_rejected()
    {
        var e = Invalid("null");
        Assert.Equal("the document is empty (null)", Assert.Single(e.Problems));
    }

    // ---- contacts ----

    [Fact]
    public void The_contacts_of_an_agency_come_from_both_lists()
    {
        var catalogue = PullCatalogue.Parse(Valid);

        var amr = catalogue.ContactsOf("city-amr").ToList();
        Assert.Equal(["示例审批员乙", "示例监管员甲"], amr.Select(c => c.Name));
        Assert.Equal(["食品经营许可科", "食品经营监管处"], amr.Select(c => c.Division));
        Assert.All(amr, c => Assert.Equal("city-amr", c.Agency));

        Assert.Equal("13800000001", Assert.Single(catalogue.ContactsOf("city-approval")).Phone);
        Assert.Equal("示例监管员乙", Assert.Single(catalogue.ContactsOf("city-housing")).Name);
        Assert.Empty(catalogue.ContactsOf("city-tax"));
        Assert.Empty(catalogue.ContactsOf("CITY-AMR"));
    }

    [Fact]
    public void The_contacts_of_agencies_in_the_shipped_catalogue()
    {
        var catalogue = Shipped();
        Assert.Equal(["示例监管员甲", "示例监管员乙"], catalogue.ContactsOf("city-amr").Select(c => c.Name));
        Assert.Equal(["示例审批员甲", "示例审批员乙"], catalogue.ContactsOf("city-approval").Select(c => c.Name));
        Assert.Equal("协同督办科", Assert.Single(catalogue.ContactsOf("city-coordination")).Division);
    }
}
