using System.Buffers;
using System.Globalization;
using System.Text;
using System.Security.Cryptography;
using DataHub.Core.Ingest;
using DataHub.Core.Profiles;
using DataHub.Core.Text;
using DataHub.Schema.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Data.Sqlite;
using static DataHub.Embedded.SqliteHubStore;

namespace DataHub.Embedded;

/// <summary>One write transaction on the embedded store, with its statements prepared once.</summary>
internal sealed class SqliteIngestBatch : IIngestBatch
{
    private readonly SqliteConnection _connection;
    private readonly SqliteTransaction _transaction;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private bool _committed;

    public SqliteIngestBatch(SqliteConnection connection)
    {
        _connection = connection;
        // IMMEDIATE takes the write lock up front, so two writers queue instead of failing on upgrade.
        _transaction = connection.BeginTransaction(deferred: false);
    }

    public AppendOutcome Append(CanonicalRecord record)
    {
        long updatedAt = Nanos(record.UpdatedAt);
        var insert = Statement("INSERT OR IGNORE INTO records(version_key, source, source_id, content_hash, uscc, kind, occurred_at, updated_at, body) " +
                               "VALUES($v, $s, $i, $h, $u, $k, $o, $t, $b) RETURNING seq", "$v", "$s", "$i", "$h", "$u", "$k", "$o", "$t", "$b");
        var versionOwner = Statement("SELECT source, source_id, content_hash FROM records WHERE version_key=$v", "$v");
        long seq = -1;
        // Keys are 64-bit hashes (small integer indexes are much cheaper than text ones); a slot taken
        // by another version is a hash collision, resolved by probing the next salted key.
        for (int probe = 0; seq < 0; probe++)
        {
            long versionKey = KeyOf(probe, record.Source, record.SourceId, record.ContentHash);
            Bind(insert, versionKey, record.Source, record.SourceId, record.ContentHash, record.Uscc, (long)record.BodyCase, Nanos(record.OccurredAt), updatedAt, record.ToByteArray());
            if (insert.ExecuteScalar() is long inserted) { seq = inserted; break; }
            Bind(versionOwner, versionKey);
            using var owner = versionOwner.ExecuteReader();
            if (owner.Read() && owner.GetString(0) == record.Source && owner.GetString(1) == record.SourceId && owner.GetString(2) == record.ContentHash)
                return AppendOutcome.Duplicate;
        }

        // One statement for the common cases: a new source row, or a newer version of a known one. It
        // returns the version it replaced; no row back means the stored head is newer (or the key collided).
        var upsert = Statement(
            "INSERT INTO heads(row_key, source, source_id, seq, uscc, updated_at, content_hash) VALUES($k, $s, $i, $q, $u, $t, $h) " +
            "ON CONFLICT(row_key) DO UPDATE SET seq=excluded.seq, uscc=excluded.uscc, updated_at=excluded.updated_at, content_hash=excluded.content_hash, " +
            "previous_seq=heads.seq, previous_uscc=heads.uscc " +
            "WHERE heads.source=excluded.source AND heads.source_id=excluded.source_id AND " +
            // Same rule as ProfileProjector.CompareVersions: later updated_at wins, then the greater hash.
            "(excluded.updated_at > heads.updated_at OR (excluded.updated_at = heads.updated_at AND excluded.content_hash > heads.content_hash)) " +
            "RETURNING previous_seq, previous_uscc",
            "$k", "$s", "$i", "$q", "$u", "$t", "$h");
        var head = Statement("SELECT source, source_id FROM heads WHERE row_key=$k", "$k");
        for (int probe = 0; ; probe++)
        {
            long rowKey = KeyOf(probe, record.Source, record.SourceId);
            Bind(upsert, rowKey, record.Source, record.SourceId, seq, record.Uscc, updatedAt, record.ContentHash);
            using (var replaced = upsert.ExecuteReader())
            {
                if (replaced.Read())
                {
                    if (replaced.IsDBNull(0)) return new AppendOutcome(true, true, null);
                    var previousUscc = replaced.GetString(1);
                    RememberSuperseded(previousUscc, replaced.GetInt64(0));
                    return new AppendOutcome(true, true, previousUscc != record.Uscc ? previousUscc : null);
                }
            }
            Bind(head, rowKey);
            using var r = head.ExecuteReader();
            if (r.Read() && r.GetString(0) == record.Source && r.GetString(1) == record.SourceId)
            {
                // An older version arriving late: kept in the log, not current.
                RememberSuperseded(record.Uscc, seq);
                return new AppendOutcome(true, false, null);
            }
        }
    }

    /// <summary>Versions that are not current are listed per enterprise, so the as-of fold finds them without an index on every record.</summary>
    private void RememberSuperseded(string uscc, long seq)
    {
        var cmd = Statement("INSERT OR IGNORE INTO superseded(uscc, seq) VALUES($u, $q)", "$u", "$q");
        Bind(cmd, uscc, seq);
        cmd.ExecuteNonQuery();
    }

    public bool Quarantine(QuarantineEntry entry)
    {
        var cmd = Statement("INSERT OR IGNORE INTO quarantine(source, format, origin, payload, payload_sha256, stage, reason_code, reason, quarantined_at) " +
                            "VALUES($s, $f, $o, $p, $h, $st, $rc, $r, $at)", "$s", "$f", "$o", "$p", "$h", "$st", "$rc", "$r", "$at");
        Bind(cmd, entry.Source, entry.Format, entry.Origin, entry.Payload, Convert.ToHexStringLower(SHA256.HashData(entry.Payload)),
            entry.Stage, entry.ReasonCode, entry.Reason, Text(entry.QuarantinedAt));
        return cmd.ExecuteNonQuery() == 1;
    }

    public void MarkReplayed(long quarantineId, DateTimeOffset at)
    {
        var cmd = Statement("UPDATE quarantine SET replayed_at=$at, last_replay_at=$at, replay_attempts=replay_attempts+1 WHERE id=$id", "$at", "$id");
        Bind(cmd, Text(at), quarantineId);
        cmd.ExecuteNonQuery();
    }

    public void RecordFailedReplay(long quarantineId, string reasonCode, string reason, DateTimeOffset at)
    {
        var cmd = Statement("UPDATE quarantine SET reason_code=$rc, reason=$r, last_replay_at=$at, replay_attempts=replay_attempts+1 WHERE id=$id", "$rc", "$r", "$at", "$id");
        Bind(cmd, reasonCode, reason, Text(at), quarantineId);
        cmd.ExecuteNonQuery();
    }

    public IReadOnlyList<NameMatch> FindByName(string normalizedName)
    {
        var cmd = Statement("SELECT uscc, min(former) FROM enterprise_names WHERE normalized_name=$n GROUP BY uscc ORDER BY uscc", "$n");
        Bind(cmd, normalizedName);
        using var r = cmd.ExecuteReader();
        var list = new List<NameMatch>(1);
        while (r.Read()) list.Add(new NameMatch(r.GetString(0), r.GetInt64(1) != 0));
        return list;
    }

    public bool EnqueueUnresolved(CanonicalRecord record, string normalizedName, DateTimeOffset at)
    {
        var cmd = Statement("INSERT OR IGNORE INTO unresolved(source, source_id, content_hash, enterprise_name, normalized_name, body, enqueued_at) " +
                            "VALUES($s, $i, $h, $e, $n, $b, $at)", "$s", "$i", "$h", "$e", "$n", "$b", "$at");
        Bind(cmd, record.Source, record.SourceId, record.ContentHash, record.EnterpriseName, normalizedName, record.ToByteArray(), Text(at));
        return cmd.ExecuteNonQuery() == 1;
    }

    public IReadOnlyList<string> UnresolvedNames()
    {
        var cmd = Statement("SELECT DISTINCT normalized_name FROM unresolved ORDER BY normalized_name");
        using var r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read()) list.Add(r.GetString(0));
        return list;
    }

    public IReadOnlyList<CanonicalRecord> TakeUnresolved(string normalizedName)
    {
        var select = Statement("SELECT body FROM unresolved WHERE normalized_name=$n ORDER BY source, source_id, content_hash", "$n");
        Bind(select, normalizedName);
        var records = ReadRecords(select);
        var delete = Statement("DELETE FROM unresolved WHERE normalized_name=$n", "$n");
        Bind(delete, normalizedName);
        delete.ExecuteNonQuery();
        return records;
    }

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

        var existing = Statement("SELECT rowid, search_text FROM profiles WHERE uscc=$u", "$u");
        Bind(existing, profile.Uscc);
        long? rowid = null;
        string? previousText = null;
        using (var r = existing.ExecuteReader())
        {
            if (r.Read())
            {
                rowid = r.GetInt64(0);
                previousText = r.GetString(1);
            }
        }
        var upsert = Statement("INSERT INTO profiles(uscc, name, district_code, status, risk_tier, credit_grade, search_text, body) VALUES($u, $n, $d, $s, $r, $c, $x, $b) " +
                               "ON CONFLICT(uscc) DO UPDATE SET name=excluded.name, district_code=excluded.district_code, status=excluded.status, " +
                               "risk_tier=excluded.risk_tier, credit_grade=excluded.credit_grade, search_text=excluded.search_text, body=excluded.body RETURNING rowid",
                               "$u", "$n", "$d", "$s", "$r", "$c", "$x", "$b");
        Bind(upsert, profile.Uscc, profile.Name, identity.DistrictCode, identity.Status.ToString(), profile.Risk.Tier.ToString(),
            profile.Credit.CurrentGrade, searchText, profile.ToByteArray());
        rowid = (long)upsert.ExecuteScalar()!;
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
        foreach (var sql in new[] { "DELETE FROM profiles WHERE uscc=$u", "DELETE FROM enterprise_names WHERE uscc=$u" })
        {
            var cmd = Statement(sql, "$u");
            Bind(cmd, uscc);
            cmd.ExecuteNonQuery();
        }
    }

    public void Commit()
    {
        _transaction.Commit();
        _committed = true;
    }

    public void Dispose()
    {
        if (!_committed) _transaction.Rollback();
        _transaction.Dispose();
        foreach (var cmd in _commands.Values) cmd.Dispose();
        _connection.Dispose();
    }

    /// <summary>A prepared statement, created once per batch and reused for every row.</summary>
    private SqliteCommand Statement(string sql, params string[] parameterNames)
    {
        if (_commands.TryGetValue(sql, out var cmd)) return cmd;
        cmd = _connection.CreateCommand();
        cmd.Transaction = _transaction;
        cmd.CommandText = sql;
        foreach (var name in parameterNames) cmd.Parameters.Add(new SqliteParameter { ParameterName = name });
        cmd.Prepare();
        _commands[sql] = cmd;
        return cmd;
    }

    private static void Bind(SqliteCommand cmd, params object[] values)
    {
        for (int i = 0; i < values.Length; i++) cmd.Parameters[i].Value = values[i];
    }

    /// <summary>A 64-bit key from the first 8 bytes of SHA-256 over the parts (and the probe number after a collision).</summary>
    private static long KeyOf(int probe, string a, string b, string c = "")
    {
        int max = Encoding.UTF8.GetMaxByteCount(a.Length + b.Length + c.Length) + 16;
        byte[]? rented = max > 1024 ? ArrayPool<byte>.Shared.Rent(max) : null;
        Span<byte> buffer = rented ?? stackalloc byte[1024];
        int n = Encoding.UTF8.GetBytes(a, buffer);
        buffer[n++] = 0;
        n += Encoding.UTF8.GetBytes(b, buffer[n..]);
        buffer[n++] = 0;
        n += Encoding.UTF8.GetBytes(c, buffer[n..]);
        if (probe > 0)
        {
            buffer[n++] = 0;
            BitConverter.TryWriteBytes(buffer[n..], probe);
            n += sizeof(int);
        }
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(buffer[..n], hash);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return BitConverter.ToInt64(hash);
    }

    /// <summary>Nanoseconds since the Unix epoch: orders versions exactly as Timestamp comparison does.</summary>
    private static long Nanos(Timestamp t) => t.Seconds * 1_000_000_000L + t.Nanos;

    private static string Text(DateTimeOffset at) => at.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
}
