using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Adapters.ProvincialPlatform;

/// <summary>Reads and writes shared by both feeds of the platform.</summary>
internal static class PlatformRows
{
    /// <summary>
    /// A GB/T 2260 division code: 6 digits, or the 12-digit statistical form (区划代码 + 乡镇 + 村) whose
    /// first 6 digits are the county. Anything else is a wrong value, not a code to keep.
    /// </summary>
    public static string DistrictCode(SourceRow row, params string[] names)
    {
        foreach (var name in names)
        {
            if (row.Text(name) is not { } text) continue;
            if (text.Length is 6 or 12 && text.All(char.IsAsciiDigit)) return text[..6];
            throw new RowFormatException("BAD_FIELD", $"field {name} is not a 6- or 12-digit division code: \"{text}\".");
        }
        return "";
    }

    public static bool Synthetic(SourceRow row) => row.Flag("synthetic") ?? false;

    public static Timestamp? OptionalTimestamp(SourceRow row, params string[] names) =>
        row.Instant(names) is { } instant ? Timestamp.FromDateTimeOffset(instant) : null;

    /// <summary>A canonical date field as the platform writes dates; a value that is not canonical is passed on as is.</summary>
    public static string DateOut(string canonical, string format = "yyyy-MM-dd") =>
        ChinaDates.ParseCanonical(canonical) is { } date ? date.ToString(format, System.Globalization.CultureInfo.InvariantCulture) : canonical;

    public static string InstantOut(Timestamp timestamp) => ChinaDates.FormatInstant(timestamp.ToDateTimeOffset());

    /// <summary>The update time a row is paged by; a record without one was last changed when it happened.</summary>
    public static Timestamp UpdateTime(CanonicalRecord record) => record.UpdatedAt ?? record.OccurredAt;

    /// <summary>
    /// The exchange envelope every 前置库 row carries (§1.1): batch, operation, sync time and a row GUID.
    /// cd_time is the row's update time, the field the feed pages by.
    /// </summary>
    public static void AddEnvelope(JsonObject row, CanonicalRecord record, string key)
    {
        var updated = UpdateTime(record);
        var cdTime = InstantOut(updated);
        row["cd_time"] = cdTime;
        row["cd_operation"] = updated == record.OccurredAt ? "I" : "U";
        row["cd_batch"] = cdTime[..10].Replace("-", "") + "0001";
        row["row_guid"] = new Guid(MD5.HashData(Encoding.UTF8.GetBytes(key + "|" + cdTime))).ToString("N");
        row["data_source"] = "1";
    }

    public static void SetIfAny(JsonObject row, string name, string value)
    {
        if (value.Length > 0) row[name] = value;
    }

    /// <summary>A copy of a row: the writer's rows are kept by the simulator, and a corruption must not reach them.</summary>
    public static JsonObject Copy(JsonObject row) => (JsonObject)row.DeepClone();
}
