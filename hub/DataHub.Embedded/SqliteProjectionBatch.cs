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
        var select = RawStatement("SELECT body FROM records WHERE uscc_key=?1 AND current=1 AND uscc=?2");
        select.Bind(1, SqliteIngestBatch.UsccKeyOf(uscc)).Bind(2, uscc);
        var records = new List<CanonicalRecord>();
        try
        {
            while (select.Step()) records.Add(CanonicalRecord.Parser.ParseFrom(select.Blob(0)));
        }
        finally
        {
            select.Reset();
        }
        return records;
    }

    private readonly BodyBuffer _body = new(16384);

    public void SaveProfile(EnterpriseProfile profile)
    {
        var identity = profile.Identity;
        var name = HalfWidth.Fold(profile.Name);
        var formerNames = HalfWidth.Fold(string.Join(" ", identity.FormerNames));
        var address = HalfWidth.Fold(identity.Address);
        var searchText = string.Join('\u001f', name, formerNames, identity.LegalRepresentative, address);

        var existing = RawStatement("SELECT search_text FROM profiles WHERE uscc=?1");
        existing.Bind(1, profile.Uscc);
        bool known, sameText;
        try
        {
            known = existing.Step();
            sameText = known && existing.TextEquals(0, searchText);
        }
        finally
        {
            existing.Reset();
        }

        var body = _body.Encode(profile);
        var upsert = RawStatement("INSERT INTO profiles(uscc, name, district_code, status, risk_tier, credit_grade, search_text, body, industry) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) " +
                                  "ON CONFLICT(uscc) DO UPDATE SET name=excluded.name, district_code=excluded.district_code, status=excluded.status, " +
                                  "risk_tier=excluded.risk_tier, credit_grade=excluded.credit_grade, search_text=excluded.search_text, body=excluded.body, industry=excluded.industry RETURNING rowid");
        upsert.Bind(1, profile.Uscc).Bind(2, profile.Name).Bind(3, identity.DistrictCode).Bind(4, identity.Status.ToString()).Bind(5, profile.Risk.Tier.ToString())
            .Bind(6, profile.Credit.CurrentGrade).Bind(7, searchText).Bind(8, body).Bind(9, Core.Identifiers.IndustrySections.SectionOf(identity.IndustryCode));
        long rowid;
        try
        {
            upsert.Step();
            rowid = upsert.Int64(0);
            // Runs the statement to its end before the next one starts.
            while (upsert.Step()) { }
        }
        finally
        {
            upsert.Reset();
        }
        SaveDates(profile, known);
        // Most updates add records without touching names or address: the index and directory stay as they are.
        if (sameText) return;

        _searchRows.Add(new SearchRow(rowid, known, profile.Uscc, name, formerNames, identity.LegalRepresentative, address));

        if (known) RawStatement("DELETE FROM enterprise_names WHERE uscc=?1").Bind(1, profile.Uscc).Execute();
        var remember = RawStatement("INSERT INTO enterprise_names(normalized_name, uscc, former) VALUES(?1, ?2, ?3) " +
                                    "ON CONFLICT(normalized_name, uscc) DO UPDATE SET former=min(former, excluded.former)");
        void Remember(string n, bool former)
        {
            var normalized = EnterpriseName.Normalize(n);
            if (normalized.Length == 0) return;
            remember.Bind(1, normalized).Bind(2, profile.Uscc).Bind(3, former ? 1L : 0L).Execute();
        }
        Remember(profile.Name, false);
        foreach (var former in identity.FormerNames) Remember(former, true);
    }

    private readonly record struct SearchRow(long RowId, bool Replaces, string Uscc, string Name, string FormerNames, string LegalRepresentative, string Address);

    private readonly List<SearchRow> _searchRows = [];

    /// <summary>
    /// FTS5 writes the terms it holds to a new index segment whenever a later statement of the transaction
    /// opens a savepoint, as most writes do: written one by one between the other statements, every
    /// profile's search row became a tiny segment to be merged. Written together last, a batch's rows make
    /// one segment.
    /// </summary>
    private void WriteSearchRows()
    {
        var delete = RawStatement("DELETE FROM profile_search WHERE rowid=?1");
        var insert = RawStatement("INSERT INTO profile_search(rowid, uscc, name, former_names, legal_representative, address) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
        foreach (var row in _searchRows)
        {
            if (row.Replaces) delete.Bind(1, row.RowId).Execute();
            insert.Bind(1, row.RowId).Bind(2, row.Uscc).Bind(3, row.Name).Bind(4, row.FormerNames).Bind(5, row.LegalRepresentative).Bind(6, row.Address).Execute();
        }
        _searchRows.Clear();
    }

    /// <summary>The dates the date filters look at: validity ends of live licences, deadlines of open commitments.</summary>
    private void SaveDates(EnterpriseProfile profile, bool known)
    {
        // A profile's dates are written and deleted with it: a new profile has none to replace.
        if (known) RawStatement("DELETE FROM profile_dates WHERE uscc=?1").Bind(1, profile.Uscc).Execute();
        var insert = RawStatement("INSERT OR IGNORE INTO profile_dates(uscc, kind, on_date) VALUES(?1, ?2, ?3)");
        foreach (var l in profile.Licences)
            if (l.State is LicenceState.Valid or LicenceState.Expiring && l.Licence.ValidUntil.Length > 0)
                insert.Bind(1, profile.Uscc).Bind(2, ProfileDates.LicenceValidUntil).Bind(3, l.Licence.ValidUntil).Execute();
        foreach (var c in profile.Commitments)
            if (c.State is CommitmentState.Pending or CommitmentState.Overdue && c.Commitment.Deadline.Length > 0)
                insert.Bind(1, profile.Uscc).Bind(2, ProfileDates.CommitmentDeadline).Bind(3, c.Commitment.Deadline).Execute();
    }

    public void DeleteProfile(string uscc)
    {
        WriteSearchRows();
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
        WriteSearchRows();
        CommitTransaction();
    }
}

/// <summary>Kinds of rows in profile_dates.</summary>
internal static class ProfileDates
{
    public const int LicenceValidUntil = 1;
    public const int CommitmentDeadline = 2;
}
