using System.Globalization;
using System.Text.Json.Nodes;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using F = DataHub.Adapters.ELicence.LicenceFields;

namespace DataHub.Adapters.ELicence;

/// <summary>
/// Writes licence records as the library serves them (v2 field set), for the simulator. Date forms and
/// the shape of the face data vary from row to row as they do between issuers, chosen by the licence
/// number so the same record always gives the same row.
/// </summary>
internal sealed class LicenceWriter : ISourceRowWriter
{
    private static readonly string[] DateForms = ["yyyy-MM-dd", "yyyyMMdd", "yyyy年M月d日", "yyyy/MM/dd"];

    public bool Carries(CanonicalRecord record) =>
        record.Source == ELicenceSource.Name && record.BodyCase == CanonicalRecord.BodyOneofCase.Licence;

    public JsonObject Write(CanonicalRecord record)
    {
        var l = record.Licence;
        int variant = Variant(l.LicenceNo);
        var row = new JsonObject();
        Put(row, F.LicenceId[0], l.LicenceId);
        Put(row, F.TypeName[0], l.LicenceType);
        Put(row, F.TypeCode[0], l.LicenceTypeCode);
        Put(row, F.CertificateName[0], l.LicenceType);
        Put(row, F.Number[0], l.LicenceNo);
        Put(row, F.Holder[0], record.EnterpriseName);
        Put(row, F.HolderCode[0], record.Uscc);
        row[F.HolderType[0]] = LicenceCodes.HolderTypeUscc;
        Put(row, F.IssueDept[0], l.IssuingAuthority);
        Put(row, F.IssueDate[0], Date(l.IssuedOn, variant));
        if (record.OccurredAt is not null) row[F.IssueTime[0]] = ChinaDates.FormatInstant(record.OccurredAt.ToDateTimeOffset());
        Put(row, F.ValidFrom[0], Date(l.ValidFrom, variant));
        row[F.ValidTo[0]] = l.ValidUntil.Length == 0 ? "长期" : Date(l.ValidUntil, variant);
        row[F.LongTerm[0]] = l.ValidUntil.Length == 0;
        if (l.Status != LicenceStatus.Unspecified)
        {
            var (code, text) = LicenceCodes.CodeOf(l.Status);
            row[F.Status[0]] = code;
            row[F.StatusName] = text;
        }
        if (l.Scope.Length > 0)
        {
            var face = new JsonObject { [F.Scope[0]] = l.Scope, ["证照名称"] = l.LicenceType };
            // Many issuers keep the face data as JSON text in a varchar column.
            row[F.FaceData[0]] = variant % 2 == 0 ? face : face.ToJsonString();
        }
        if (record.UpdatedAt is not null) row[F.UpdateTime[0]] = ChinaDates.FormatInstant(record.UpdatedAt.ToDateTimeOffset());
        row[F.Synthetic] = record.Synthetic;
        return row;
    }

    public JsonObject Corrupt(JsonObject row, Random random)
    {
        var bad = row.DeepClone().AsObject();
        switch (random.Next(8))
        {
            case 0: Set(bad, F.IssueDate, "2025-13-45"); break;
            case 1: Set(bad, F.ValidTo, "2026-02-30"); break;
            case 2: Set(bad, F.IssueTime, "次日上午"); break;
            case 3: Remove(bad, F.Number); break;
            case 4: Remove(bad, F.LicenceId); break;
            case 5: Set(bad, F.Status, "08"); break;
            case 6: Set(bad, F.HolderType, "9X9"); break;
            default:
                // A wrong type: the licence number served as a one-element array.
                var number = bad[F.Number[0]]?.ToString() ?? "";
                Remove(bad, F.Number);
                bad[F.Number[0]] = new JsonArray(number);
                break;
        }
        return bad;
    }

    /// <summary>A canonical date in one of the forms issuers write; anything else as it is, so a bad date stays bad.</summary>
    private static string Date(string canonical, int variant) =>
        ChinaDates.ParseCanonical(canonical) is { } date
            ? date.ToString(DateForms[variant % DateForms.Length], CultureInfo.InvariantCulture)
            : canonical;

    private static void Put(JsonObject row, string name, string value)
    {
        if (value.Length > 0) row[name] = value;
    }

    private static void Set(JsonObject row, string[] names, string value)
    {
        Remove(row, names);
        row[names[0]] = value;
    }

    private static void Remove(JsonObject row, string[] names)
    {
        foreach (var name in names) row.Remove(name);
    }

    /// <summary>A stable choice per licence (string.GetHashCode differs between runs).</summary>
    private static int Variant(string key)
    {
        uint hash = 2166136261;
        foreach (var c in key) hash = (hash ^ c) * 16777619;
        return (int)(hash % 1024);
    }
}
