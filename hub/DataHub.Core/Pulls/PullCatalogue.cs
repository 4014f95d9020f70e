using System.Collections.Frozen;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using DataHub.Core.Records;
using DataHub.Schema.V1;

namespace DataHub.Core.Pulls;

/// <summary>
/// An item type that can be pulled (协同事项库): who owns it, how many working days the owner has to
/// answer a directed demand, the legal basis of the sharing, and which roles may ask for it.
/// </summary>
public sealed record PullItemType
{
    /// <summary>Code, e.g. "LIC-JY" (unique in the catalogue).</summary>
    public required string Code { get; init; }

    /// <summary>Name as agencies know it, e.g. "食品经营许可证".</summary>
    public required string Name { get; init; }

    public required PullItemKind Kind { get; init; }

    /// <summary>The owning agency's id (the recipient of directed demands).</summary>
    public required string Owner { get; init; }

    /// <summary>Working days the owner has to answer (限时办结), 1 to 60.</summary>
    public required int TimeLimitWorkingDays { get; init; }

    /// <summary>The law or rule under which the item is shared (法律依据).</summary>
    public required string LegalBasis { get; init; }

    /// <summary>The owner's power or duty the item belongs to (权责事项), when named.</summary>
    public string DutyItem { get; init; } = "";

    /// <summary>Roles whose agencies may request this item type.</summary>
    public required IReadOnlyList<string> RequesterRoles { get; init; }

    /// <summary>For licences: the licence type code in the e-licence library (证照类型代码) that answers at once.</summary>
    public string? LicenceTypeCode { get; init; }

    /// <summary>How long a material an owner supplies may be relied on when it gives no end date; null = no end.</summary>
    public int? MaterialValidDays { get; init; }
}

/// <summary>A person on the approver or regulator list (两单): whom reminders reach, by agency and division.</summary>
public sealed record CatalogueContact
{
    public required string Agency { get; init; }

    /// <summary>Division (处室), e.g. "食品经营监管处".</summary>
    public string Division { get; init; } = "";

    public required string Name { get; init; }

    /// <summary>Mobile number for SMS reminders; personal data, masked in logs and answers.</summary>
    public string Phone { get; init; } = "";
}

/// <summary>
/// The catalogues behind data pulls (三库两单): the item types (collaboration-item library, each with
/// its duty item and legal basis), the approver list and the regulator list, and the coordination
/// office that rules on refusals and receives overdue escalations. Loaded from a JSON file at start,
/// editable through the admin API; <see cref="Parse"/> validates every field and names each problem.
/// </summary>
public sealed class PullCatalogue
{
    /// <summary>The roles that may appear in <see cref="PullItemType.RequesterRoles"/>: agencies that handle cases.</summary>
    public static readonly FrozenSet<string> RequesterRoleNames = new[] { "approval", "regulator", "coordination", "superadmin" }.ToFrozenSet(StringComparer.Ordinal);

    private readonly FrozenDictionary<string, PullItemType> _byCode;

    private PullCatalogue(string title, string coordinationOffice, IReadOnlyList<PullItemType> itemTypes, IReadOnlyList<CatalogueContact> approvers, IReadOnlyList<CatalogueContact> regulators)
    {
        Title = title;
        CoordinationOffice = coordinationOffice;
        ItemTypes = itemTypes;
        Approvers = approvers;
        Regulators = regulators;
        _byCode = itemTypes.ToFrozenDictionary(i => i.Code, StringComparer.Ordinal);
    }

    public string Title { get; }

    /// <summary>The coordination office's agency id (市协调办).</summary>
    public string CoordinationOffice { get; }

    public IReadOnlyList<PullItemType> ItemTypes { get; }

    /// <summary>审批人员名单.</summary>
    public IReadOnlyList<CatalogueContact> Approvers { get; }

    /// <summary>监管人员名单.</summary>
    public IReadOnlyList<CatalogueContact> Regulators { get; }

    public PullItemType? Find(string code) => _byCode.GetValueOrDefault(code);

    /// <summary>Everyone on the two lists who belongs to the agency.</summary>
    public IEnumerable<CatalogueContact> ContactsOf(string agency) => Approvers.Concat(Regulators).Where(c => c.Agency == agency);

    /// <summary>Every agency id the catalogue names (owners, contacts, coordination office).</summary>
    public IReadOnlySet<string> AgencyIds() =>
        ItemTypes.Select(i => i.Owner).Concat(Approvers.Concat(Regulators).Select(c => c.Agency)).Append(CoordinationOffice).ToHashSet(StringComparer.Ordinal);

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    private sealed record Document(string? Title, string? CoordinationOffice, List<ItemDto>? ItemTypes, List<ContactDto>? Approvers, List<ContactDto>? Regulators);

    private sealed record ItemDto(string? Code, string? Name, string? Kind, string? Owner, int? TimeLimitWorkingDays, string? LegalBasis, string? DutyItem,
        List<string>? RequesterRoles, string? LicenceTypeCode, int? MaterialValidDays);

    private sealed record ContactDto(string? Agency, string? Division, string? Name, string? Phone);

    private static readonly FrozenDictionary<string, PullItemKind> Kinds = new Dictionary<string, PullItemKind>
    {
        ["licence"] = PullItemKind.Licence, ["material"] = PullItemKind.Material, ["dataSet"] = PullItemKind.DataSet,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Reads and validates a catalogue document; <see cref="PullCatalogueException"/> lists every problem found.</summary>
    public static PullCatalogue Parse(string json)
    {
        Document? doc;
        try
        {
            doc = JsonSerializer.Deserialize<Document>(json, Json);
        }
        catch (JsonException e)
        {
            throw new PullCatalogueException([$"not a catalogue document: {e.Message}"]);
        }
        if (doc is null) throw new PullCatalogueException(["the document is empty (null)"]);
        var problems = new List<string>();
        var items = new List<PullItemType>();
        if (string.IsNullOrWhiteSpace(doc.CoordinationOffice)) problems.Add("coordinationOffice is missing: the agency id of the coordination office (市协调办)");
        if (doc.ItemTypes is null || doc.ItemTypes.Count == 0) problems.Add("itemTypes is empty: the catalogue needs at least one item type");
        var codes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (dto, i) in (doc.ItemTypes ?? []).Select((d, i) => (d, i)))
        {
            var at = $"itemTypes[{i}]" + (string.IsNullOrWhiteSpace(dto.Code) ? "" : $" ({dto.Code})");
            int before = problems.Count;
            if (string.IsNullOrWhiteSpace(dto.Code)) problems.Add($"{at}.code is missing");
            else if (!codes.Add(dto.Code.Trim())) problems.Add($"{at}.code '{dto.Code}' is used by an earlier item type");
            if (string.IsNullOrWhiteSpace(dto.Name)) problems.Add($"{at}.name is missing");
            if (dto.Kind is null || !Kinds.TryGetValue(dto.Kind, out var kind))
            {
                problems.Add($"{at}.kind is '{dto.Kind}'; use {string.Join(", ", Kinds.Keys.Order())}");
                kind = PullItemKind.Unspecified;
            }
            if (string.IsNullOrWhiteSpace(dto.Owner)) problems.Add($"{at}.owner is missing: the owning agency's id");
            if (dto.TimeLimitWorkingDays is not (>= 1 and <= 60)) problems.Add($"{at}.timeLimitWorkingDays is {dto.TimeLimitWorkingDays?.ToString() ?? "missing"}; use 1 to 60 working days");
            if (string.IsNullOrWhiteSpace(dto.LegalBasis)) problems.Add($"{at}.legalBasis is missing: the law or rule under which the item is shared");
            if (dto.RequesterRoles is null || dto.RequesterRoles.Count == 0) problems.Add($"{at}.requesterRoles is empty: name the roles that may request it");
            foreach (var role in (dto.RequesterRoles ?? []).Where(r => !RequesterRoleNames.Contains(r)))
                problems.Add($"{at}.requesterRoles has '{role}'; use {string.Join(", ", RequesterRoleNames.Order())}");
            if (kind == PullItemKind.Licence && string.IsNullOrWhiteSpace(dto.LicenceTypeCode))
                problems.Add($"{at}.licenceTypeCode is missing: a licence item is answered from the e-licence library by its licence type code");
            if (kind != PullItemKind.Licence && dto.LicenceTypeCode is not null) problems.Add($"{at}.licenceTypeCode is only for kind licence");
            if (dto.MaterialValidDays is < 1 or > 3650) problems.Add($"{at}.materialValidDays is {dto.MaterialValidDays}; use 1 to 3650, or leave it out for no end");
            if (problems.Count > before) continue;
            items.Add(new PullItemType
            {
                Code = dto.Code!.Trim(),
                Name = dto.Name!.Trim(),
                Kind = kind,
                Owner = dto.Owner!.Trim(),
                TimeLimitWorkingDays = dto.TimeLimitWorkingDays!.Value,
                LegalBasis = dto.LegalBasis!.Trim(),
                DutyItem = dto.DutyItem?.Trim() ?? "",
                RequesterRoles = dto.RequesterRoles!.Distinct(StringComparer.Ordinal).ToList(),
                LicenceTypeCode = dto.LicenceTypeCode?.Trim(),
                MaterialValidDays = dto.MaterialValidDays,
            });
        }
        var approvers = Contacts(doc.Approvers, "approvers", problems);
        var regulators = Contacts(doc.Regulators, "regulators", problems);
        if (problems.Count > 0) throw new PullCatalogueException(problems);
        return new PullCatalogue(doc.Title?.Trim() ?? "", doc.CoordinationOffice!.Trim(), items, approvers, regulators);
    }

    private static List<CatalogueContact> Contacts(List<ContactDto>? list, string name, List<string> problems)
    {
        var contacts = new List<CatalogueContact>();
        foreach (var (dto, i) in (list ?? []).Select((d, i) => (d, i)))
        {
            var at = $"{name}[{i}]";
            int before = problems.Count;
            if (string.IsNullOrWhiteSpace(dto.Agency)) problems.Add($"{at}.agency is missing");
            if (string.IsNullOrWhiteSpace(dto.Name)) problems.Add($"{at}.name is missing");
            var phone = dto.Phone?.Trim() ?? "";
            if (phone.Length > 0 && !(phone.Length == 11 && phone[0] == '1' && phone.All(char.IsAsciiDigit)))
                problems.Add($"{at}.phone '{PersonalData.MaskPhone(phone)}' is not an 11-digit mainland mobile number");
            if (problems.Count > before) continue;
            contacts.Add(new CatalogueContact { Agency = dto.Agency!.Trim(), Division = dto.Division?.Trim() ?? "", Name = dto.Name!.Trim(), Phone = phone });
        }
        return contacts;
    }

    /// <summary>The catalogue as a document <see cref="Parse"/> reads back (what the admin API shows).</summary>
    public string ToJson() => JsonSerializer.Serialize(new Document(Title, CoordinationOffice,
        ItemTypes.Select(i => new ItemDto(i.Code, i.Name, Kinds.First(k => k.Value == i.Kind).Key, i.Owner, i.TimeLimitWorkingDays, i.LegalBasis,
            i.DutyItem.Length == 0 ? null : i.DutyItem, [.. i.RequesterRoles], i.LicenceTypeCode, i.MaterialValidDays)).ToList(),
        Approvers.Select(ToDto).ToList(), Regulators.Select(ToDto).ToList()), Json);

    private static ContactDto ToDto(CatalogueContact c) => new(c.Agency, c.Division.Length == 0 ? null : c.Division, c.Name, c.Phone.Length == 0 ? null : c.Phone);
}

/// <summary>A catalogue document that does not validate; <see cref="Problems"/> names each field at fault.</summary>
public sealed class PullCatalogueException(IReadOnlyList<string> problems)
    : FormatException($"The data-pull catalogue is not valid: {string.Join("; ", problems)}.")
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
