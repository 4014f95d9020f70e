using System.Globalization;
using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Adapters.Hotline12345;

/// <summary>
/// Writes complaint records as the hotline serves its work orders (v2 field set), for the simulator.
/// Fields the canonical record does not hold (channel, urgency, deadlines, the caller's details) are
/// filled with plausible, obviously synthetic values derived from the order number, so the same
/// record always gives the same row.
/// </summary>
internal sealed class WorkOrderWriter : ISourceRowWriter
{
    private static readonly string[] Channels = ["电话", "网站", "微信公众号", "小程序", "市长信箱"];
    private static readonly string[] ClosedStatuses = ["60", "70", "80"];
    private static readonly string[] OpenStatuses = ["31", "40", "50", "91"];

    public bool Carries(CanonicalRecord record) =>
        record.Source == Hotline12345Source.Name && record.BodyCase == CanonicalRecord.BodyOneofCase.Complaint;

    public JsonObject Write(CanonicalRecord record)
    {
        var c = record.Complaint;
        var orderNo = c.OrderNo.Length > 0 ? c.OrderNo : record.SourceId;
        var pick = StableHash(orderNo);
        bool asText = pick % 2 == 0;
        var suffix = (pick % 10_000).ToString("D4", CultureInfo.InvariantCulture);
        var received = record.OccurredAt.ToDateTimeOffset();
        var kindText = WorkOrderCodes.TextOf(c.Kind);

        var row = new JsonObject
        {
            ["order_no"] = orderNo,
            ["received_at"] = Instant(record.OccurredAt),
            ["channel"] = Channels[pick / 2 % (uint)Channels.Length],
            ["caller_name"] = $"合成市民{suffix}",
            ["caller_phone"] = $"1990000{suffix}",
            ["caller_id_no"] = $"00000019900101{suffix}",
            ["address"] = $"合成地址示范路{suffix}号",
            ["appeal_type"] = asText ? kindText : WorkOrderCodes.CodeOf(c.Kind),
            ["category_l1"] = c.Category,
            // A title only beside a content: the mapper falls back to it when the content is missing.
            ["title"] = c.Summary.Length > 0 ? $"{c.Category}{kindText}" : null,
            ["content"] = c.Summary,
            ["involved_ent_name"] = record.EnterpriseName,
            ["involved_ent_uscc"] = record.Uscc.Length > 0 ? record.Uscc : null,
            ["urgency"] = "一般",
            ["dispatch_mode"] = "0",
            ["handling_unit"] = c.HandlingAgency,
            ["due_at"] = ChinaDates.FormatInstant(received.AddDays(15)),
            ["status"] = Status(c, pick, asText),
            ["completed_at"] = c.Closed ? Instant(record.UpdatedAt ?? record.OccurredAt) : null,
            // An open order may not be verified yet: "not found true" is then simply absent.
            ["verify_result"] = c.Substantiated ? (asText ? "属实" : "1") : c.Closed ? (asText ? "不属实" : "3") : null,
            ["synthetic"] = record.Synthetic,
        };
        if (record.UpdatedAt is not null) row["update_time"] = Instant(record.UpdatedAt);
        return row;
    }

    public JsonObject Corrupt(JsonObject row, Random random)
    {
        var bad = row.DeepClone().AsObject();
        switch (random.Next(8))
        {
            case 0:
                bad["received_at"] = "2025-13-45 08:30:00";
                break;
            case 1:
                foreach (var name in WorkOrderFields.OrderNo) bad.Remove(name);
                break;
            case 2:
                bad["appeal_type"] = random.Next(2) == 0 ? "投诉建议" : "7";
                break;
            case 3:
                bad["status"] = "99";
                break;
            case 4:
                bad["received_at"] = "昨天下午三点左右";
                break;
            case 5:
                foreach (var name in WorkOrderFields.ReceivedAt) bad.Remove(name);
                break;
            case 6:
                bad["verify_result"] = "待核实";
                break;
            default:
                foreach (var name in WorkOrderFields.Content.Concat(WorkOrderFields.Title)) bad.Remove(name);
                break;
        }
        return bad;
    }

    private static string Status(Complaint c, uint pick, bool asText)
    {
        var code = c.Closed ? ClosedStatuses[pick / 8 % (uint)ClosedStatuses.Length]
            : c.HandlingAgency.Length == 0 ? "30"
            : OpenStatuses[pick / 8 % (uint)OpenStatuses.Length];
        return asText ? WorkOrderCodes.Statuses.First(s => s.Code == code).Text : code;
    }

    /// <summary>China time to the second as the hotline writes it; RFC 3339 when there is a fraction, so nothing is lost.</summary>
    private static string Instant(Timestamp t) =>
        t.Nanos == 0
            ? ChinaDates.FormatInstant(t.ToDateTimeOffset())
            : t.ToDateTimeOffset().ToOffset(ChinaDates.Offset).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffzzz", CultureInfo.InvariantCulture);

    /// <summary>FNV-1a: string.GetHashCode differs between processes, and the simulator must serve the same rows every run.</summary>
    private static uint StableHash(string text)
    {
        uint hash = 2166136261;
        foreach (var ch in text) hash = (hash ^ ch) * 16777619;
        return hash;
    }
}
