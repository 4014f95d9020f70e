using System.Buffers;
using System.Globalization;
using System.IO.Hashing;
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

/// <summary>One transaction of the log stage: record log, quarantine, unresolved queue, projection marks (hub.db).</summary>
internal sealed class SqliteIngestBatch(SqliteSessionPool sessions) : SqliteBatch(sessions, "UPDATE log_state SET last_ticket = last_ticket WHERE id = 1"), IIngestBatch
{
    private readonly BodyBuffer _body = new(4096);

    public AppendOutcome Append(CanonicalRecord record)
    {
        long updatedAt = Nanos(record.UpdatedAt);
        long rowKey = RowKeyOf(record.Source, record.SourceId);

        // The current version of the source row, if any. Another row whose key collides is told apart by its text.
        var current = RawStatement("SELECT seq, updated_at, content_hash, uscc FROM records WHERE row_key=?1 AND current=1 AND source=?2 AND source_id=?3");
        current.Bind(1, rowKey).Bind(2, record.Source).Bind(3, record.SourceId);
        long currentSeq = 0;
        string? currentUscc = null;
        bool newer;
        try
        {
            if (current.Step())
            {
                currentSeq = current.Int64(0);
                currentUscc = current.Text(3);
                long currentUpdatedAt = current.Int64(1);
                // Same rule as ProfileProjector.CompareVersions: later updated_at wins, then the greater hash.
                newer = updatedAt > currentUpdatedAt || (updatedAt == currentUpdatedAt && string.CompareOrdinal(record.ContentHash, current.Text(2)) > 0);
            }
            else newer = true;
        }
        finally
        {
            current.Reset();
        }

        var body = _body.Encode(record);
        var insert = RawStatement("INSERT OR IGNORE INTO records(row_key, version_key, current, source, source_id, content_hash, uscc, kind, occurred_at, updated_at, body, uscc_key) " +
                                  "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
        long usccKey = UsccKeyOf(record.Uscc);
        var versionOwner = RawStatement("SELECT source, source_id, content_hash FROM records WHERE row_key=?1 AND version_key=?2");
        long seq = -1;
        // Version keys are 64-bit hashes (small integer indexes are much cheaper than text ones); a slot taken
        // by another version is a hash collision, resolved by probing the next salted key.
        for (int probe = 0; seq < 0; probe++)
        {
            long versionKey = VersionKeyOf(record.Source, record.SourceId, record.ContentHash, probe);
            insert.Bind(1, rowKey).Bind(2, versionKey).Bind(3, newer ? 1L : 0L).Bind(4, record.Source).Bind(5, record.SourceId).Bind(6, record.ContentHash)
                .Bind(7, record.Uscc).Bind(8, (long)record.BodyCase).Bind(9, Nanos(record.OccurredAt)).Bind(10, updatedAt).Bind(11, body).Bind(12, usccKey);
            if (insert.Execute() == 1) { seq = insert.LastInsertRowId; break; }
            versionOwner.Bind(1, rowKey).Bind(2, versionKey);
            try
            {
                if (versionOwner.Step() && versionOwner.TextEquals(0, record.Source) && versionOwner.TextEquals(1, record.SourceId) && versionOwner.TextEquals(2, record.ContentHash))
                    return AppendOutcome.Duplicate;
            }
            finally
            {
                versionOwner.Reset();
            }
        }

        if (!newer)
        {
            // An older version arriving late: kept in the log, not current.
            RememberSuperseded(record.Uscc, seq);
            return new AppendOutcome(true, false, null);
        }
        if (currentUscc is null) return new AppendOutcome(true, true, null);
        RawStatement("UPDATE records SET current=0 WHERE seq=?1").Bind(1, currentSeq).Execute();
        RememberSuperseded(currentUscc, currentSeq);
        return new AppendOutcome(true, true, currentUscc != record.Uscc ? currentUscc : null);
    }

    public bool HasCurrentRecords(string uscc)
    {
        var any = RawStatement("SELECT 1 FROM records WHERE uscc_key=?1 AND current=1 AND uscc=?2 LIMIT 1");
        any.Bind(1, UsccKeyOf(uscc)).Bind(2, uscc);
        try
        {
            return any.Step();
        }
        finally
        {
            any.Reset();
        }
    }

    /// <summary>Versions that are not current are listed per enterprise, so the as-of fold finds them without an index on every record.</summary>
    private void RememberSuperseded(string uscc, long seq)
    {
        RawStatement("INSERT OR IGNORE INTO superseded(uscc, seq) VALUES(?1, ?2)").Bind(1, uscc).Bind(2, seq).Execute();
    }

    public bool Quarantine(QuarantineEntry entry)
    {
        var cmd = Statement("INSERT OR IGNORE INTO quarantine(source, format, origin, payload, payload_sha256, stage, reason_code, reason, quarantined_at) " +
                            "VALUES($s, $f, $o, $p, $h, $st, $rc, $r, $at)", "$s", "$f", "$o", "$p", "$h", "$st", "$rc", "$r", "$at");
        Bind(cmd, entry.Source, entry.Format, entry.Origin, entry.Payload, Convert.ToHexStringLower(SHA256.HashData(entry.Payload)),
            entry.Stage, entry.ReasonCode, entry.Reason, FormatTime(entry.QuarantinedAt));
        return cmd.ExecuteNonQuery() == 1;
    }

    public void MarkReplayed(long quarantineId, DateTimeOffset at)
    {
        var cmd = Statement("UPDATE quarantine SET replayed_at=$at, last_replay_at=$at, replay_attempts=replay_attempts+1 WHERE id=$id", "$at", "$id");
        Bind(cmd, FormatTime(at), quarantineId);
        cmd.ExecuteNonQuery();
    }

    public void RecordFailedReplay(long quarantineId, string stage, string reasonCode, string reason, DateTimeOffset at)
    {
        var cmd = Statement("UPDATE quarantine SET stage=$st, reason_code=$rc, reason=$r, last_replay_at=$at, replay_attempts=replay_attempts+1 WHERE id=$id", "$st", "$rc", "$r", "$at", "$id");
        Bind(cmd, stage, reasonCode, reason, FormatTime(at), quarantineId);
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

    public bool Contains(string source, string sourceId, string contentHash)
    {
        var owner = Statement("SELECT source, source_id, content_hash FROM records WHERE row_key=$r AND version_key=$v", "$r", "$v");
        long rowKey = RowKeyOf(source, sourceId);
        // Probes the slots Append would have tried, until an empty one (the version is not there).
        for (int probe = 0; ; probe++)
        {
            Bind(owner, rowKey, VersionKeyOf(source, sourceId, contentHash, probe));
            using var reader = owner.ExecuteReader();
            if (!reader.Read()) return false;
            if (reader.GetString(0) == source && reader.GetString(1) == sourceId && reader.GetString(2) == contentHash) return true;
        }
    }

    public bool EnqueueUnresolved(CanonicalRecord record, string normalizedName, DateTimeOffset at)
    {
        var cmd = Statement("INSERT OR IGNORE INTO unresolved(source, source_id, content_hash, enterprise_name, normalized_name, body, enqueued_at) " +
                            "VALUES($s, $i, $h, $e, $n, $b, $at)", "$s", "$i", "$h", "$e", "$n", "$b", "$at");
        Bind(cmd, record.Source, record.SourceId, record.ContentHash, record.EnterpriseName, normalizedName, record.ToByteArray(), FormatTime(at));
        return cmd.ExecuteNonQuery() == 1;
    }

    public IReadOnlyList<string> UnresolvedNames()
    {
        return ReadStrings(Statement("SELECT DISTINCT normalized_name FROM unresolved ORDER BY normalized_name"));
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

    public IReadOnlyList<CanonicalRecord> TakeUnresolved(string source, string sourceId)
    {
        var select = Statement("SELECT body FROM unresolved WHERE source=$s AND source_id=$i ORDER BY content_hash", "$s", "$i");
        Bind(select, source, sourceId);
        var records = ReadRecords(select);
        var delete = Statement("DELETE FROM unresolved WHERE source=$s AND source_id=$i", "$s", "$i");
        Bind(delete, source, sourceId);
        delete.ExecuteNonQuery();
        return records;
    }

    public long MarkForProjection(IReadOnlyCollection<string> usccs)
    {
        var next = Statement("UPDATE log_state SET last_ticket = last_ticket + 1 WHERE id = 1 RETURNING last_ticket");
        long ticket = (long)next.ExecuteScalar()!;
        // One mark per enterprise the batch touched: through the C interface, as the records themselves.
        var mark = RawStatement("INSERT OR IGNORE INTO projection_queue(ticket, uscc) VALUES(?1, ?2)");
        foreach (var uscc in usccs) mark.Bind(1, ticket).Bind(2, uscc).Execute();
        // Marks the profile store has caught up with are no longer needed.
        Statement("DELETE FROM projection_queue WHERE ticket <= (SELECT coalesce(max(projected_through), 0) FROM projection_state)").ExecuteNonQuery();
        return ticket;
    }

    public void Commit() => CommitTransaction();

    /// <summary>The key all versions of one source row share (not unique: rows whose keys collide are told apart by source and source id).</summary>
    internal static long RowKeyOf(string source, string sourceId) => KeyOf(source, sourceId, null, 0);

    /// <summary>The key of an enterprise's current versions (not unique: enterprises whose keys collide are told apart by the USCC).</summary>
    internal static long UsccKeyOf(string uscc) => KeyOf(uscc, "", null, 0);

    /// <summary>The key of one version; <paramref name="probe"/> salts it after a collision.</summary>
    internal static long VersionKeyOf(string source, string sourceId, string contentHash, int probe) => KeyOf(source, sourceId, contentHash, probe);

    /// <summary>
    /// XXH3 (64 bits) of source and source id in UTF-8, NUL-separated, and for a version NUL and the content
    /// hash; the probe number is the seed. The keys need spread, not secrecy: a crafted collision costs a
    /// probe (versions) or a text comparison (rows), never a wrong answer. (SHA-256 through OpenSSL cost the
    /// serial log stage about 8 % of its time, mostly per-call overhead.)
    /// </summary>
    private static long KeyOf(string source, string sourceId, string? contentHash, int probe)
    {
        int max = Encoding.UTF8.GetMaxByteCount(source.Length + sourceId.Length + (contentHash?.Length ?? 0)) + 2;
        byte[]? rented = max > 1024 ? ArrayPool<byte>.Shared.Rent(max) : null;
        Span<byte> buffer = rented ?? stackalloc byte[1024];
        int n = Encoding.UTF8.GetBytes(source, buffer);
        buffer[n++] = 0;
        n += Encoding.UTF8.GetBytes(sourceId, buffer[n..]);
        if (contentHash is not null)
        {
            buffer[n++] = 0;
            n += Encoding.UTF8.GetBytes(contentHash, buffer[n..]);
        }
        long key = (long)XxHash3.HashToUInt64(buffer[..n], probe);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return key;
    }

    /// <summary>Nanoseconds since the Unix epoch: orders versions exactly as Timestamp comparison does.</summary>
    private static long Nanos(Timestamp t) => t.Seconds * 1_000_000_000L + t.Nanos;


    public void SaveAdapterPosition(AdapterPosition position, DateTimeOffset at)
    {
        var cmd = Statement("INSERT INTO adapter_state(adapter_id, checkpoint, fetched, updated_at) VALUES($a, $c, $f, $t) " +
                            "ON CONFLICT(adapter_id) DO UPDATE SET checkpoint=excluded.checkpoint, fetched=fetched+excluded.fetched, updated_at=excluded.updated_at",
            "$a", "$c", "$f", "$t");
        Bind(cmd, position.AdapterId, position.Checkpoint, position.RowsFetched, FormatTime(at));
        cmd.ExecuteNonQuery();
    }

    public bool EnqueueOutbox(OutboxIntent intent, DateTimeOffset at)
    {
        // Every permit and penalty from another source writes one (双公示): through the C interface, as the log's own writes.
        var insert = RawStatement("INSERT OR IGNORE INTO outbox(destination, idempotency_key, kind, payload, created_at, next_attempt_at) VALUES(?1, ?2, ?3, ?4, ?5, ?5)");
        insert.Bind(1, intent.Destination).Bind(2, intent.IdempotencyKey).Bind(3, intent.Kind).Bind(4, intent.Payload).Bind(5, FormatTime(at));
        return insert.Execute() > 0;
    }
}
