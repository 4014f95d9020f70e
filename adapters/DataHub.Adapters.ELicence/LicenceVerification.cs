using System.Text.Json;
using System.Text.Json.Nodes;
using DataHub.Core.Identifiers;
using DataHub.Core.Records;
using DataHub.Core.Text;
using DataHub.Schema.V1;

namespace DataHub.Adapters.ELicence;

/// <summary>
/// The library's verification call (证照核验): is there a licence with this number (证照编号), held by
/// this enterprise (持证主体代码), and in what state? Request and answer use the library's exchange
/// field names; the answer is wrapped in its usual {code, message, data} envelope. Holder details are
/// never returned, and a caller that names the wrong holder learns only that the licence exists and
/// is not that holder's.
/// </summary>
public static class LicenceVerification
{
    public const string NumberField = "certificate_number";
    public const string HolderCodeField = "certificate_holder_code";
    /// <summary>Optional: narrows the search when numbers repeat across licence types.</summary>
    public const string TypeCodeField = "certificate_type_code";

    public const string SuccessCode = "0";
    public const string BadRequestCode = "40001";

    public static JsonObject Request(string licenceNo, string holderUscc, string? licenceTypeCode = null)
    {
        var request = new JsonObject { [NumberField] = licenceNo, [HolderCodeField] = holderUscc };
        if (!string.IsNullOrWhiteSpace(licenceTypeCode)) request[TypeCodeField] = licenceTypeCode;
        return request;
    }

    /// <summary>
    /// The library's answer to a verification request, from the licence records it holds (every version;
    /// the latest version of each licence counts). Pure: no clock, so expiry is left to the caller.
    /// </summary>
    public static JsonObject Answer(JsonObject request, IEnumerable<CanonicalRecord> licences)
    {
        var number = Text(request, NumberField);
        var holder = Text(request, HolderCodeField);
        var typeCode = Text(request, TypeCodeField);
        if (number is null || holder is null)
            return Envelope(BadRequestCode, $"缺少必填字段 {(number is null ? NumberField + "（证照编号）" : HolderCodeField + "（持证主体代码）")}", null);

        var holderCode = Uscc.Normalize(holder);
        var candidates = licences
            .Where(r => r.Source == ELicenceSource.Name && r.BodyCase == CanonicalRecord.BodyOneofCase.Licence)
            .Where(r => SameNumber(r.Licence.LicenceNo, number) && (typeCode is null || r.Licence.LicenceTypeCode == typeCode))
            .Select((record, index) => (record, index))
            .GroupBy(x => x.record.SourceId, StringComparer.Ordinal)
            // Latest version wins; of two with the same time, the one given later.
            .Select(g => g.MaxBy(x => (Time(x.record), x.index)).record)
            .ToList();
        if (candidates.Count == 0)
            return Envelope(SuccessCode, "未查询到该证照", new JsonObject { ["found"] = false });

        var licence = candidates.Where(r => HolderMatches(r, holderCode)).MaxBy(Time);
        if (licence is null)
            // The identifier can embed the holder's code; a wrong holder gets no details at all.
            return Envelope(SuccessCode, "持证主体代码与证照不符", new JsonObject { ["found"] = true, ["holder_matched"] = false });
        var l = licence.Licence;
        var (statusCode, statusText) = LicenceCodes.CodeOf(l.Status);
        var data = new JsonObject
        {
            ["found"] = true,
            ["holder_matched"] = true,
            ["certificate_identifier"] = l.LicenceId,
            ["certificate_number"] = l.LicenceNo,
            ["certificate_type"] = l.LicenceType,
            ["certificate_type_code"] = l.LicenceTypeCode,
            ["issue_dept"] = l.IssuingAuthority,
            ["certificate_status"] = statusCode,
            ["certificate_status_name"] = statusText,
            ["valid_from"] = l.ValidFrom,
            ["valid_to"] = l.ValidUntil.Length == 0 ? "长期" : l.ValidUntil,
        };
        return Envelope(SuccessCode, "核验通过", data);
    }

    /// <summary>Reads an answer; a refusal of the library (code other than 0) is an error.</summary>
    internal static LicenceVerificationResult Read(JsonObject answer)
    {
        var code = Text(answer, "code");
        var message = Text(answer, "message") ?? "";
        if (code != SuccessCode)
            throw new InvalidOperationException($"The e-licence library refused the verification: code {code ?? "(none)"}, {message}");
        if (answer["data"] is not JsonObject data)
            throw new InvalidOperationException("The e-licence library's verification answer has no data object.");
        if (!Bool(data, "found"))
            return new LicenceVerificationResult { Found = false, Message = message };
        var statusText = Text(data, "certificate_status") ?? "";
        LicenceStatus status;
        try
        {
            status = statusText.Length == 0 ? LicenceStatus.Unspecified : LicenceCodes.Status("certificate_status", statusText);
        }
        catch (RowFormatException e)
        {
            throw new InvalidOperationException($"The e-licence library's verification answer: {e.Message}");
        }
        return new LicenceVerificationResult
        {
            Found = true,
            HolderMatches = Bool(data, "holder_matched"),
            LicenceId = Text(data, "certificate_identifier") ?? "",
            LicenceNo = Text(data, "certificate_number") ?? "",
            LicenceType = Text(data, "certificate_type") ?? "",
            Status = status,
            StatusText = Text(data, "certificate_status_name") ?? "",
            ValidFrom = DateOf(Text(data, "valid_from")),
            ValidUntil = DateOf(Text(data, "valid_to")),
            Message = message,
        };
    }

    private static JsonObject Envelope(string code, string message, JsonObject? data) =>
        new() { ["code"] = code, ["message"] = message, ["data"] = data };

    private static bool SameNumber(string a, string b) =>
        string.Equals(HalfWidth.Fold(a).Trim(), HalfWidth.Fold(b).Trim(), StringComparison.OrdinalIgnoreCase);

    private static bool HolderMatches(CanonicalRecord record, string holderCode) =>
        holderCode.Length > 0 && Uscc.Normalize(record.Uscc) == holderCode;

    private static DateTimeOffset Time(CanonicalRecord r) =>
        (r.UpdatedAt ?? r.OccurredAt)?.ToDateTimeOffset() ?? DateTimeOffset.MinValue;

    /// <summary>A date, or null for 长期 / absent / unreadable.</summary>
    private static DateOnly? DateOf(string? text) => text is not null && ChinaDates.TryParse(text, out var d) ? d : null;

    private static string? Text(JsonObject obj, string name) =>
        obj[name] is JsonValue v && v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number
            && v.ToString().Trim() is { Length: > 0 } text ? text : null;

    private static bool Bool(JsonObject obj, string name) => obj[name] is JsonValue v && v.GetValueKind() == JsonValueKind.True;
}

/// <summary>What the library said about a licence. <see cref="ValidUntil"/> null means no end (长期) or not found.</summary>
public sealed record LicenceVerificationResult
{
    public required bool Found { get; init; }
    /// <summary>Whether the licence is held by the enterprise named in the request.</summary>
    public bool HolderMatches { get; init; }
    public string LicenceId { get; init; } = "";
    public string LicenceNo { get; init; } = "";
    public string LicenceType { get; init; } = "";
    public LicenceStatus Status { get; init; }
    public string StatusText { get; init; } = "";
    public DateOnly? ValidFrom { get; init; }
    public DateOnly? ValidUntil { get; init; }
    /// <summary>The library's message, in Chinese.</summary>
    public string Message { get; init; } = "";

    /// <summary>Whether the licence can stand in for paper on <paramref name="day"/>: found, the holder's, valid and within its dates.</summary>
    public bool IsValidOn(DateOnly day) =>
        Found && HolderMatches && Status == LicenceStatus.Valid
        && (ValidFrom is null || day >= ValidFrom) && (ValidUntil is null || day <= ValidUntil);
}
