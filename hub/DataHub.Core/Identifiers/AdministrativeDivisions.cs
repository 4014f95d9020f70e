using System.Reflection;

namespace DataHub.Core.Identifiers;

/// <summary>
/// Names of administrative divisions (GB/T 2260) that the hub knows: every province, the cities of
/// Jiangsu and the districts of the three pilot cities (宿迁, 连云港, 泰州). The table is the embedded
/// file AdministrativeDivisions.tsv; unknown codes simply have no name.
/// </summary>
public static class AdministrativeDivisions
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Table = new(Load);

    /// <summary>Every known division, code → name.</summary>
    public static IReadOnlyDictionary<string, string> All => Table.Value;

    public static string? Name(string code) => Table.Value.GetValueOrDefault(code);

    /// <summary>"江苏省宿迁市宿城区" for 321302: province, city and district names that are known.</summary>
    public static string? FullName(string code) => FullNames.Value.TryGetValue(code, out var known) ? known : Compose(code);

    // Every profile fold asks for its district's full name: those of the known codes are composed once.
    private static readonly Lazy<IReadOnlyDictionary<string, string>> FullNames =
        new(() => Table.Value.Keys.Select(code => (code, name: Compose(code))).Where(e => e.name is not null).ToDictionary(e => e.code, e => e.name!));

    private static string? Compose(string code)
    {
        if (code.Length != 6 || !code.All(char.IsAsciiDigit)) return null;
        var province = Name(code[..2] + "0000");
        if (province is null) return null;
        var parts = new List<string> { province };
        if (code[2..] != "0000")
        {
            var city = Name(code[..4] + "00");
            if (city is not null && city != province) parts.Add(city);
            if (code[4..] != "00")
            {
                var district = Name(code);
                if (district is not null) parts.Add(district);
            }
        }
        return string.Concat(parts);
    }

    private static IReadOnlyDictionary<string, string> Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("DataHub.Core.Identifiers.AdministrativeDivisions.tsv")
            ?? throw new InvalidOperationException("The embedded division table is missing from the assembly.");
        using var reader = new StreamReader(stream);
        var table = new Dictionary<string, string>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var tab = line.IndexOf('\t');
            table[line[..tab]] = line[(tab + 1)..];
        }
        return table;
    }
}
