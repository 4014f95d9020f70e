using DataHub.Core.Identifiers;
using DataHub.Schema.V1;
using Google.Protobuf;

namespace DataHub.Synthetic.Tests;

public class SyntheticDataGeneratorTests
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default);

    private static List<GeneratedLine> Generate(int seed, double dirt = 0.05, int enterprises = 200) =>
        new SyntheticDataGenerator(new GeneratorOptions { Enterprises = enterprises, Seed = seed, DirtRate = dirt }).Generate().ToList();

    [Fact]
    public void The_same_seed_gives_the_same_lines_and_another_seed_other_lines()
    {
        Assert.Equal(Generate(7), Generate(7));
        Assert.NotEqual(Generate(7).Select(l => l.Json), Generate(8).Select(l => l.Json));
    }

    [Fact]
    public void Clean_data_has_valid_USCCs_in_the_pilot_cities_and_is_marked_synthetic()
    {
        var lines = Generate(3, dirt: 0);
        Assert.All(lines, l => Assert.Equal(ExpectedFate.Stored, l.Fate));
        var records = lines.Select(l => Parser.Parse<CanonicalRecord>(l.Json)).ToList();
        Assert.All(records, r =>
        {
            Assert.True(r.Synthetic);
            Assert.True(Uscc.Check(r.Uscc).Valid, r.Uscc);
            Assert.Contains(r.Uscc.Substring(2, 4), new[] { "3213", "3207", "3212" });
        });
        var kinds = records.Select(r => r.BodyCase).Distinct().ToList();
        foreach (var kind in new[] { CanonicalRecord.BodyOneofCase.Registration, CanonicalRecord.BodyOneofCase.Licence, CanonicalRecord.BodyOneofCase.ApprovalCase,
                     CanonicalRecord.BodyOneofCase.Commitment, CanonicalRecord.BodyOneofCase.Complaint, CanonicalRecord.BodyOneofCase.Penalty,
                     CanonicalRecord.BodyOneofCase.Inspection, CanonicalRecord.BodyOneofCase.CreditRating, CanonicalRecord.BodyOneofCase.ListEntry,
                     CanonicalRecord.BodyOneofCase.StatusChange })
            Assert.Contains(kind, kinds);
        Assert.Equal(200, records.Count(r => r.BodyCase == CanonicalRecord.BodyOneofCase.Registration));
        Assert.Equal(200, records.Where(r => r.Registration is not null).Select(r => r.Registration.Name).Distinct().Count());
    }

    [Fact]
    public void Dirt_comes_at_about_the_set_rate_and_in_every_kind()
    {
        var lines = Generate(5, dirt: 0.2, enterprises: 400);
        double share = lines.Count(l => l.Dirt is not null) / (double)lines.Count;
        Assert.InRange(share, 0.12, 0.35);
        var kinds = lines.Where(l => l.Dirt is not null).Select(l => l.Dirt!).ToHashSet();
        foreach (var kind in new[] { "full-width USCC", "lower-case USCC", "spaces and hyphens in USCC", "wrong check character", "USCC missing, name only",
                     "exact duplicate", "out-of-order update (newer version first)", "name of an unknown enterprise", "truncated JSON" })
            Assert.Contains(kind, kinds);
        Assert.All(lines.Where(l => l.Dirt == "wrong check character"), l => Assert.Equal(ExpectedFate.Quarantined, l.Fate));
        Assert.All(lines.Where(l => l.Dirt == "exact duplicate"), l => Assert.Equal(ExpectedFate.Duplicate, l.Fate));
    }
}
