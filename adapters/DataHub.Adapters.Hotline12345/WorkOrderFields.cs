namespace DataHub.Adapters.Hotline12345;

/// <summary>
/// Field names of a work-order row (SOURCE-FORMATS.md §2.2), v2 first: the v2 exchange fields, then
/// the v1 export's Chinese column names ("12345工单编号" and so on). Names marked [CONV] are hub
/// conventions where no observed field exists.
/// </summary>
internal static class WorkOrderFields
{
    public static readonly string[] OrderNo = ["order_no", "12345工单编号", "工单编号"];
    public static readonly string[] ReceivedAt = ["received_at", "12345受理时间", "来电时间"];
    /// <summary>[CONV] Last change of the order; the hotline stamps every state change.</summary>
    public static readonly string[] UpdateTime = ["update_time", "更新时间"];
    public static readonly string[] Channel = ["channel", "12345工单来源"];
    public static readonly string[] AppealType = ["appeal_type", "诉求类型"];
    public static readonly string[] Category = ["category_l1", "业务分类一级", "业务分类"];
    public static readonly string[] CategoryL2 = ["category_l2", "业务分类二级"];
    public static readonly string[] Title = ["title", "标题"];
    public static readonly string[] Content = ["content", "12345内容描述", "内容描述"];
    public static readonly string[] EnterpriseName = ["involved_ent_name", "涉及企业名称"];
    public static readonly string[] EnterpriseUscc = ["involved_ent_uscc", "涉及企业统一社会信用代码"];
    public static readonly string[] HandlingUnit = ["handling_unit", "主办单位"];
    public static readonly string[] Urgency = ["urgency", "紧急程度"];
    public static readonly string[] DispatchMode = ["dispatch_mode", "处理方式"];
    public static readonly string[] DueAt = ["due_at", "办理时限"];
    public static readonly string[] Status = ["status", "工单状态"];
    /// <summary>[CONV] Whether the request was found true (核实结果 / 诉求是否属实).</summary>
    public static readonly string[] VerifyResult = ["verify_result", "诉求是否属实"];
    public static readonly string[] CompletedAt = ["completed_at", "办结时间"];
    public const string Synthetic = "synthetic";

    // Personal data of the caller: served by the hotline, never read by the mapper.
    public static readonly string[] CallerName = ["caller_name", "诉求人姓名"];
    public static readonly string[] CallerPhone = ["caller_phone", "来电号码"];
    /// <summary>[CONV] The caller's ID number, where the hotline recorded it.</summary>
    public static readonly string[] CallerIdNo = ["caller_id_no", "证件号码"];
    public static readonly string[] Address = ["address", "诉求地址"];
}
