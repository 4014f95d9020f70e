using System.Text.RegularExpressions;
using DataHub.Schema.V1;

namespace DataHub.Schema.Tests;

public partial class ProtoDocumentationTests
{
    private static IEnumerable<string> ProtoFiles() =>
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "protos"), "*.proto", SearchOption.AllDirectories);

    [Fact]
    public void Every_message_enum_field_and_value_is_documented()
    {
        var undocumented = new List<string>();
        var files = ProtoFiles().ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                var line = lines[i].Trim();
                if (!Declaration().IsMatch(line)) continue;
                var previous = i > 0 ? lines[i - 1].Trim() : "";
                if (!previous.StartsWith("//", StringComparison.Ordinal))
                    undocumented.Add($"{Path.GetFileName(file)}:{i + 1}: {line}");
            }
        }
        Assert.True(undocumented.Count == 0, "undocumented declarations:\n" + string.Join("\n", undocumented));
    }

    [Fact]
    public void Every_record_kind_the_issue_names_has_a_body()
    {
        var bodies = CanonicalRecord.Descriptor.Oneofs.Single(o => o.Name == "body").Fields.Select(f => f.Name).ToHashSet();
        foreach (var kind in new[] { "registration", "status_change", "licence", "approval_case", "commitment", "complaint", "penalty", "inspection", "credit_rating", "list_entry" })
            Assert.Contains(kind, bodies);
    }

    [Fact]
    public void The_profile_has_uscc_and_name_at_the_top_and_no_clock_field()
    {
        Assert.Equal(1, EnterpriseProfile.Descriptor.FindFieldByName("uscc").FieldNumber);
        Assert.Equal(2, EnterpriseProfile.Descriptor.FindFieldByName("name").FieldNumber);
        // Nothing in the profile may record when it was computed: only record-derived values.
        var names = AllFieldNames(EnterpriseProfile.Descriptor, []).ToList();
        Assert.DoesNotContain(names, n => n.Contains("computed") || n.Contains("generated_at") || n.Contains("projected_at"));
    }

    private static IEnumerable<string> AllFieldNames(Google.Protobuf.Reflection.MessageDescriptor d, HashSet<string> seen)
    {
        if (!seen.Add(d.FullName)) yield break;
        foreach (var f in d.Fields.InFieldNumberOrder())
        {
            yield return f.Name;
            if (f.FieldType == Google.Protobuf.Reflection.FieldType.Message)
                foreach (var n in AllFieldNames(f.MessageType, seen)) yield return n;
        }
    }

    // message X {, enum X {, a field "type name = N;", an enum value "NAME = N;", a oneof.
    [GeneratedRegex(@"^(message\s+\w+|enum\s+\w+|oneof\s+\w+|(repeated\s+)?[\w.]+\s+\w+\s*=\s*\d+\s*;|[A-Z0-9_]+\s*=\s*\d+\s*;)")]
    private static partial Regex Declaration();
}
