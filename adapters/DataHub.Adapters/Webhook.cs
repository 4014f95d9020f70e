using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DataHub.Core.Ingest;
using DataHub.Schema.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Adapters;

/// <summary>
/// Signed webhook pushes: the sender puts the Unix time in <see cref="TimestampHeader"/> and
/// "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body) in <see cref="SignatureHeader"/>.
/// The timestamp inside the signature stops a captured push from being replayed later.
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "X-DataHub-Signature";
    public const string TimestampHeader = "X-DataHub-Timestamp";

    /// <summary>How far the sender's clock may be from the hub's.</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    public static string Sign(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.ASCII.GetBytes(unixSeconds.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    /// <summary>Null when the push is signed with the secret and timely; otherwise why it is refused.</summary>
    public static string? Verify(string secret, string? timestamp, string? signature, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature))
            return $"The push is not signed: send {TimestampHeader} (Unix seconds) and {SignatureHeader} (sha256=HMAC-SHA256 of \"timestamp.body\" with the source's secret).";
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            return $"{TimestampHeader} must be Unix seconds; got \"{timestamp}\".";
        if (Math.Abs(now.ToUnixTimeSeconds() - seconds) > Tolerance.TotalSeconds)
            return $"{TimestampHeader} is more than {Tolerance.TotalMinutes:0} minutes away from the hub's clock; check the sender's clock.";
        var expected = Encoding.ASCII.GetBytes(Sign(secret, seconds, body));
        var given = Encoding.ASCII.GetBytes(signature.Trim());
        return CryptographicOperations.FixedTimeEquals(expected, given) ? null : $"{SignatureHeader} does not match the body and the source's secret.";
    }
}

/// <summary>
/// Takes a verified push of rows from a source system: a JSON array of rows (or an object with a
/// "rows" array) of one feed, each submitted as a raw record of that feed's format, and counts them
/// on the adapter "source/feed#push" in the same transaction.
/// </summary>
public sealed class WebhookIngest(IRawIntake intake, TimeProvider time)
{
    public async Task<(IReadOnlyList<RecordOutcome> Outcomes, IngestSummary Summary)> AcceptAsync(ISourceSystem source, SourceFeed feed, ReadOnlyMemory<byte> body, string origin, CancellationToken cancellationToken)
    {
        var rows = SplitRows(body);
        var fetchedAt = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        var raws = rows.Select((row, i) => new RawRecord
        {
            Source = source.Source,
            Format = feed.Mapper.Format,
            Payload = ByteString.CopyFrom(row),
            FetchedAt = fetchedAt,
            Origin = $"{origin} row {i + 1}",
        }).ToList();
        return await intake.SubmitAsync(raws, new AdapterPosition($"{source.Source}/{feed.Name}#push", "", raws.Count), cancellationToken);
    }

    /// <summary>The rows of a push body; throws <see cref="FormatException"/> with a message for the sender when it has none.</summary>
    public static IReadOnlyList<byte[]> SplitRows(ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new FormatException($"The body is not JSON: {e.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("rows", out var inner)) root = inner;
            if (root.ValueKind != JsonValueKind.Array)
                throw new FormatException("The body must be a JSON array of rows, or an object with a \"rows\" array.");
            return root.EnumerateArray().Select(r => Encoding.UTF8.GetBytes(r.GetRawText())).ToList();
        }
    }
}
