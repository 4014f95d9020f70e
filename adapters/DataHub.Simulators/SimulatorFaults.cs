using System.Globalization;

namespace DataHub.Simulators;

/// <summary>
/// Faults a simulated source injects, each a share of requests (or of published rows, for malformed
/// rows). Chosen per run, and changeable while it runs (a fault window).
/// </summary>
public sealed record SimulatorFaults
{
    /// <summary>Requests answered 500 or 503.</summary>
    public double ServerErrors { get; init; }

    /// <summary>Requests answered only after <see cref="SlowDelay"/> (longer than the adapter's timeout), then cut.</summary>
    public double Slow { get; init; }

    /// <summary>Requests whose connection is reset without an answer.</summary>
    public double Resets { get; init; }

    /// <summary>Requests answered with the feed's previous page again.</summary>
    public double RepeatedPages { get; init; }

    /// <summary>Published rows replaced by a malformed variant (the mapper must reject it).</summary>
    public double MalformedRows { get; init; }

    public TimeSpan SlowDelay { get; init; } = TimeSpan.FromSeconds(15);

    public static SimulatorFaults None { get; } = new();

    public bool Any => ServerErrors + Slow + Resets + RepeatedPages + MalformedRows > 0;

    /// <summary>Parses "errors=0.1,slow=0.02,resets=0.05,repeats=0.05,malformed=0.01" (any subset).</summary>
    public static SimulatorFaults Parse(string text)
    {
        var faults = None;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || !double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var share) || share is < 0 or > 1)
                throw new FormatException($"Fault \"{part}\" must be name=share with a share between 0 and 1, e.g. errors=0.1.");
            faults = kv[0] switch
            {
                "errors" => faults with { ServerErrors = share },
                "slow" => faults with { Slow = share },
                "resets" => faults with { Resets = share },
                "repeats" => faults with { RepeatedPages = share },
                "malformed" => faults with { MalformedRows = share },
                _ => throw new FormatException($"Unknown fault \"{kv[0]}\"; known: errors, slow, resets, repeats, malformed."),
            };
        }
        return faults;
    }
}
