using System.Text;
using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf;

namespace DataHub.Adapters.Hotline12345.Tests;

/// <summary>The work-order feed as the runner sees it, and helpers to feed it payloads.</summary>
internal static class WorkOrderFeed
{
    public static readonly SourceFeed Feed = new Hotline12345Source().Feeds.Single(f => f.Name == "work-orders");

    public static MappingResult Map(string json) => Map(Encoding.UTF8.GetBytes(json));

    public static MappingResult Map(JsonObject row) => Map(Encoding.UTF8.GetBytes(row.ToJsonString()));

    public static MappingResult Map(byte[] payload) => Feed.Mapper.Map(new RawRecord
    {
        Source = Hotline12345Source.Name,
        Format = Feed.Mapper.Format,
        Payload = ByteString.CopyFrom(payload),
        Origin = "GET /hotline/openapi/v2/work-orders page 1",
    });

    public static CanonicalRecord MapOne(string json)
    {
        var result = Map(json);
        Assert.True(result.Rejection is null, $"expected the row to map, but it was rejected: {result.Rejection}");
        return Assert.Single(result.Records);
    }

    /// <summary>A v2 work order with every field, in the hotline's own format.</summary>
    public static JsonObject SampleV2() => new()
    {
        ["order_no"] = "12345202503150000123",
        ["received_at"] = "2025-03-15 09:42:10",
        ["update_time"] = "2025-03-18 16:05:00",
        ["channel"] = "电话",
        ["caller_name"] = "张秀英",
        ["caller_phone"] = "13912345678",
        ["caller_id_no"] = "32130219900101123X",
        ["address"] = "宿迁市宿城区幸福路88号3单元",
        ["appeal_type"] = "3",
        ["category_l1"] = "食品安全",
        ["category_l2"] = "过期食品",
        ["title"] = "食品安全投诉",
        ["content"] = "市民反映宿迁恒达食品有限公司销售过期食品，联系电话13912345678。",
        ["involved_ent_name"] = "宿迁恒达食品有限公司",
        ["involved_ent_uscc"] = "91330100799655058B",
        ["urgency"] = "一般",
        ["dispatch_mode"] = "0",
        ["handling_unit"] = "宿迁市宿城区市场监督管理局",
        ["due_at"] = "2025-03-30 09:42:10",
        ["status"] = "60",
        ["completed_at"] = "2025-03-18 16:05:00",
        ["verify_result"] = "1",
        ["synthetic"] = true,
    };

    public static string With(Action<JsonObject> change)
    {
        var row = SampleV2();
        change(row);
        return row.ToJsonString();
    }
}
