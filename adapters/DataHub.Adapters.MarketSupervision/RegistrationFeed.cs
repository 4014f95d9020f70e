using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Schema.V1;

namespace DataHub.Adapters.MarketSupervision;

/// <summary>照面信息 fields (SOURCE-FORMATS §3.1): v2 GSXT JSON names, v1 SAMR 企业基本信息 names.</summary>
internal static class RegistrationFields
{
    public static readonly Field Uscc = new("uniscId", "uniscid");
    public static readonly Field RegNo = new("regNo", "regno");
    public static readonly Field Name = new("entName", "entname");
    public static readonly Field FormerNames = new("formerNames", "oldentname");
    public static readonly Field LegalRep = new("legelRep", "lerep", "name");
    public static readonly Field LegalRepId = new("lerepCerNo", "cerno");
    public static readonly Field EntityTypeName = new("entTypeCn", "enttypeCn");
    public static readonly Field EntityTypeCode = new("entType", "enttype");
    public static readonly Field StatusText = new("regStateCn", "regstateCn", "entstate", "corpStatus");
    public static readonly Field StatusCode = new("regState", "regstate");
    public static readonly Field Established = new("estDate", "estdate");
    public static readonly Field Capital = new("regCap", "regcap");
    public static readonly Field CurrencyName = new("regCapCurCn", "regcapcurCn");
    public static readonly Field CurrencyCode = new("regCapCur", "regcapcur");
    public static readonly Field Address = new("dom", "dom");
    public static readonly Field Scope = new("opScope", "opscope");
    public static readonly Field IndustrySection = new("industryPhy", "industryphy");
    public static readonly Field IndustryCode = new("industryCo", "industryco");
    public static readonly Field AuthorityName = new("regOrgCn", "regorgCn");
    public static readonly Field AuthorityCode = new("regOrg", "regorg");
    public static readonly Field District = new("domDistrict", "domdistrict");
}

/// <summary>
/// Maps a 照面信息 row to a registration. The row's key is the USCC, so the source id is built from
/// it cleaned; the USCC itself goes to the hub as the row has it.
/// </summary>
internal sealed class RegistrationMapper : JsonRowMapper
{
    public const string Prefix = "REG-";

    public override string Format => "market-supervision/registrations-v1";

    protected override IEnumerable<CanonicalRecord> MapRow(SourceRow row)
    {
        var key = Core.Identifiers.Uscc.Normalize(row.Text(RegistrationFields.Uscc.Names));
        if (key.Length == 0)
            throw new RowFormatException("MISSING_FIELD", $"required field {RegistrationFields.Uscc} (the registration's key) is missing or empty.");
        var record = Rows.Start(row, Prefix + key, RegistrationFields.Uscc, RegistrationFields.Name, RegistrationFields.Established);
        var (status, raw) = CodeTables.ReadStatus(row, RegistrationFields.StatusText, RegistrationFields.StatusCode);
        record.Registration = new Registration
        {
            Name = row.RequiredText(RegistrationFields.Name.Names),
            FormerNames = { row.List(RegistrationFields.FormerNames.Names) },
            LegalRepresentative = Rows.Text(row, RegistrationFields.LegalRep),
            // Only the masked form is kept: the full ID number never enters the hub.
            LegalRepresentativeIdMasked = PersonalData.MaskIdNumber(Rows.Text(row, RegistrationFields.LegalRepId)),
            EntityType = EntityType(row),
            Status = status,
            StatusRaw = raw,
            EstablishedOn = row.DateText(RegistrationFields.Established.Names),
            // regcap is in 万元 (§3.1); text may say otherwise ("500000元").
            RegisteredCapitalWan = Rows.Wan(row, RegistrationFields.Capital.V2, bareIsYuan: false) ?? Rows.Wan(row, RegistrationFields.Capital.V1, bareIsYuan: false) ?? 0,
            CapitalCurrency = Currency(row),
            Address = Rows.Text(row, RegistrationFields.Address),
            BusinessScope = Rows.Text(row, RegistrationFields.Scope),
            IndustryCode = Rows.Text(row, RegistrationFields.IndustryCode),
            IndustrySection = Rows.Text(row, RegistrationFields.IndustrySection),
            RegistrationAuthority = Rows.Text(row, RegistrationFields.AuthorityName),
            DistrictCode = District(row),
            RegNo = Rows.Text(row, RegistrationFields.RegNo),
        };
        yield return record;
    }

    private static string EntityType(SourceRow row)
    {
        if (row.Text(RegistrationFields.EntityTypeName.Names) is { } name) return name;
        if (row.Text(RegistrationFields.EntityTypeCode.Names) is not { } code) return "";
        return CodeTables.EntityTypes.GetValueOrDefault(code, code);
    }

    private static string Currency(SourceRow row)
    {
        string? fromCode = null;
        foreach (var name in RegistrationFields.CurrencyCode.Names)
        {
            if (row.Text(name) is not { } code) continue;
            fromCode = CodeTables.Lookup(CodeTables.Currencies, code, name, "注册资本币种");
            break;
        }
        return row.Text(RegistrationFields.CurrencyName.Names) ?? fromCode ?? "";
    }

    /// <summary>Local platforms pad division codes to 12 digits ("321302000000"); the hub keeps 6.</summary>
    private static string District(SourceRow row)
    {
        var code = Rows.Text(row, RegistrationFields.District);
        return code.Length == 12 && code.All(char.IsAsciiDigit) && code.EndsWith("000000", StringComparison.Ordinal) ? code[..6] : code;
    }
}

internal sealed class RegistrationWriter : ISourceRowWriter
{
    public bool Carries(CanonicalRecord record) =>
        record.Source == MarketSupervisionSource.Name && record.BodyCase == CanonicalRecord.BodyOneofCase.Registration;

    public JsonObject Write(CanonicalRecord record)
    {
        var reg = record.Registration;
        var (v2, dateStyle, extra) = RowStyle.Of(record);
        var row = new JsonObject();
        Rows.Put(row, RegistrationFields.Uscc.In(v2), record.Uscc);
        Rows.Put(row, RegistrationFields.RegNo.In(v2), reg.RegNo);
        Rows.Put(row, RegistrationFields.Name.In(v2), reg.Name);
        if (reg.FormerNames.Count > 0)
            row[RegistrationFields.FormerNames.In(v2)] = v2 ? Rows.Array(reg.FormerNames) : string.Join("；", reg.FormerNames);
        Rows.Put(row, RegistrationFields.LegalRep.In(v2), reg.LegalRepresentative);
        // The source holds the full ID number; the generator puts it in the field the hub masks.
        Rows.Put(row, RegistrationFields.LegalRepId.In(v2), reg.LegalRepresentativeIdMasked);
        if (CodeTables.EntityTypes.FirstOrDefault(e => e.Value == reg.EntityType).Key is { } typeCode)
            row[RegistrationFields.EntityTypeCode.In(v2)] = typeCode;
        Rows.Put(row, RegistrationFields.EntityTypeName.In(v2), reg.EntityType);
        CodeTables.PutStatus(row, RegistrationFields.StatusText, RegistrationFields.StatusCode, reg.Status, reg.StatusRaw, v2);
        Rows.PutDate(row, RegistrationFields.Established.In(v2), reg.EstablishedOn, dateStyle);
        if (reg.RegisteredCapitalWan != 0)
        {
            // GSXT shows "500万人民币"; the exchange table has a bare number in 万元.
            var amount = reg.RegisteredCapitalWan.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            row[RegistrationFields.Capital.In(v2)] = v2 ? amount + "万" + (reg.CapitalCurrency.Length > 0 ? reg.CapitalCurrency : "元") : JsonValue.Create(reg.RegisteredCapitalWan);
        }
        if (!v2 && CodeTables.CodeOf(CodeTables.Currencies, reg.CapitalCurrency) is { } currencyCode && currencyCode.All(char.IsAsciiDigit))
            row[RegistrationFields.CurrencyCode.V1] = currencyCode;
        else
            Rows.Put(row, RegistrationFields.CurrencyName.In(v2), reg.CapitalCurrency);
        Rows.Put(row, RegistrationFields.Address.In(v2), reg.Address);
        Rows.Put(row, RegistrationFields.Scope.In(v2), reg.BusinessScope);
        Rows.Put(row, RegistrationFields.IndustrySection.In(v2), reg.IndustrySection);
        Rows.Put(row, RegistrationFields.IndustryCode.In(v2), reg.IndustryCode);
        if (extra && reg.DistrictCode.Length == 6) row[RegistrationFields.AuthorityCode.In(v2)] = reg.DistrictCode + "000";
        Rows.Put(row, RegistrationFields.AuthorityName.In(v2), reg.RegistrationAuthority);
        Rows.Put(row, RegistrationFields.District.In(v2), !v2 && reg.DistrictCode.Length == 6 ? reg.DistrictCode + "000000" : reg.DistrictCode);
        Rows.PutTimes(row, record, v2);
        return row;
    }

    public JsonObject Corrupt(JsonObject row, Random random)
    {
        var bad = Rows.Copy(row);
        switch (random.Next(6))
        {
            case 0: Rows.Set(bad, RegistrationFields.Established, Rows.ImpossibleDate); break;
            case 1: Rows.Remove(bad, RegistrationFields.Uscc); break;
            case 2: Rows.Set(bad, RegistrationFields.StatusCode, "99"); break;
            case 3: Rows.Set(bad, RegistrationFields.Capital, "五百万元"); break;
            case 4: Rows.Set(bad, RegistrationFields.CurrencyCode, "999"); break;
            default: Rows.Remove(bad, RegistrationFields.Name); break;
        }
        return bad;
    }
}
