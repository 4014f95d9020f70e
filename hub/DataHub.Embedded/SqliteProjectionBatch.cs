using DataHub.Core.Ingest;
using DataHub.Core.Text;
using DataHub.Schema.V1;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using static DataHub.Embedded.SqliteHubStore;

namespace DataHub.Embedded;

/// <summary>
/// One transaction of the projection stage: profiles, their search rows and the name directory
/// (profiles.db), reading the committed record log (hub.db, attached as "log").
/// </summary>
internal sealed class SqliteProjectionBatch(SqliteSessionPool sessions)
    : SqliteBatch(sessions, "UPDATE projection_state SET projected_through = projected_through WHERE id = 1"), IProjectionBatch
{
    public IReadOnlyList<CanonicalRecord> CurrentRecords(string uscc)
    {
        var cmd = Statement("SELECT r.body FROM heads h JOIN records r ON r.seq = h.seq WHERE h.uscc=$u", "$u");
        Bind(cmd, uscc);
        return ReadRecords(cmd);
    }

    public void SaveProfile(EnterpriseProfile profile)
    {
        var identity = profile.Identity;
        var name = HalfWidth.Fold(profile.Name);
        var formerNames = HalfWidth.Fold(string.Join(" ", identity.FormerNames));
        var address = HalfWidth.Fold(identity.Address);
        var searchText = string.Join('\u001f', name, formerNames, identity.LegalRepresentative, address);

        var existing = Statement("SELECT search_text FROM profiles WHERE uscc=$u", "$u");
        Bind(existing, profile.Uscc);
        var previousText = existing.ExecuteScalar() as string;
        var upsert = Statement("INSERT INTO profiles(uscc, name, district_code, status, risk_tier, credit_grade, search_text, body, industry) VALUES($u, $n, $d, $s, $r, $c, $x, $b, $i) " +
                               "ON CONFLICT(uscc) DO UPDATE SET name=excluded.name, district_code=excluded.district_code, status=excluded.status, " +
                               "risk_tier=excluded.risk_tier, credit_grade=excluded.credit_grade, search_text=excluded.search_text, body=excluded.body, industry=excluded.industry RETURNING rowid",
                               "$u", "$n", "$d", "$s", "$r", "$c", "$x", "$b", "$i");
        Bind(upsert, profile.Uscc, profile.Name, identity.DistrictCode, identity.Status.ToString(), profile.Risk.Tier.ToString(),
            profile.Credit.CurrentGrade, searchText, profile.ToByteArray(), Core.Identifiers.IndustrySections.SectionOf(identity.IndustryCode));
        long rowid = (long)upsert.ExecuteScalar()!;
        SaveDates(profile);
        // Most updates add records without touching names or address: the index and directory stay as they are.
        if (previousText == searchText) return;

        if (previousText is not null)
        {
            var unindex = Statement("DELETE FROM profile_search WHERE rowid=$r", "$r");
            Bind(unindex, rowid);
            unindex.ExecuteNonQuery();
        }
        var index = Statement("INSERT INTO profile_search(rowid, uscc, name, former_names, legal_representative, address) VALUES($r, $u, $n, $f, $l, $a)",
            "$r", "$u", "$n", "$f", "$l", "$a");
        Bind(index, rowid, profile.Uscc, name, formerNames, identity.LegalRepresentative, address);
        index.ExecuteNonQuery();

        if (previousText is not null)
        {
            var forget = Statement("DELETE FROM enterprise_names WHERE uscc=$u", "$u");
            Bind(forget, profile.Uscc);
            forget.ExecuteNonQuery();
        }
        var remember = Statement("INSERT INTO enterprise_names(normalized_name, uscc, former) VALUES($n, $u, $f) " +
                                 "ON CONFLICT(normalized_name, uscc) DO UPDATE SET former=min(former, excluded.former)", "$n", "$u", "$f");
        void Remember(string n, bool former)
        {
            var normalized = EnterpriseName.Normalize(n);
            if (normalized.Length == 0) return;
            Bind(remember, normalized, profile.Uscc, former ? 1L : 0L);
            remember.ExecuteNonQuery();
        }
        Remember(profile.Name, false);
        foreach (var former in identity.FormerNames) Remember(former, true);
    }

    /// <summary>The dates the date filters look at: validity ends of live licences, deadlines of open commitments.</summary>
    private void SaveDates(EnterpriseProfile profile)
    {
        var forget = Statement("DELETE FROM profile_dates WHERE uscc=$u", "$u");
        Bind(forget, profile.Uscc);
        forget.ExecuteNonQuery();
        var insert = Statement("INSERT OR IGNORE INTO profile_dates(uscc, kind, on_date) VALUES($u, $k, $d)", "$u", "$k", "$d");
        foreach (var l in profile.Licences)
            if (l.State is LicenceState.Valid or LicenceState.Expiring && l.Licence.ValidUntil.Length > 0)
            {
                Bind(insert, profile.Uscc, (long)ProfileDates.LicenceValidUntil, l.Licence.ValidUntil);
                insert.ExecuteNonQuery();
            }
        foreach (var c in profile.Commitments)
            if (c.State is CommitmentState.Pending or CommitmentState.Overdue && c.Commitment.Deadline.Length > 0)
            {
                Bind(insert, profile.Uscc, (long)ProfileDates.CommitmentDeadline, c.Commitment.Deadline);
                insert.ExecuteNonQuery();
            }
    }

    public void DeleteProfile(string uscc)
    {
        var select = Statement("SELECT rowid FROM profiles WHERE uscc=$u", "$u");
        Bind(select, uscc);
        if (select.ExecuteScalar() is long rowid)
        {
            var unindex = Statement("DELETE FROM profile_search WHERE rowid=$r", "$r");
            Bind(unindex, rowid);
            unindex.ExecuteNonQuery();
        }
        foreach (var sql in new[] { "DELETE FROM profiles WHERE uscc=$u", "DELETE FROM enterprise_names WHERE uscc=$u", "DELETE FROM profile_dates WHERE uscc=$u" })
        {
            var cmd = Statement(sql, "$u");
            Bind(cmd, uscc);
            cmd.ExecuteNonQuery();
        }
    }

    public void Commit(long projectedThrough)
    {
        var watermark = Statement("UPDATE projection_state SET projected_through = max(projected_through, $t) WHERE id = 1", "$t");
        Bind(watermark, projectedThrough);
        watermark.ExecuteNonQuery();
        CommitTransaction();
    }
}

/// <summary>Kinds of rows in profile_dates.</summary>
internal static class ProfileDates
{
    public const int LicenceValidUntil = 1;
    public const int CommitmentDeadline = 2;
}
