using DataHub.Core.Identifiers;
using DataHub.Core.Ingest;
using DataHub.Core.Text;
using DataHub.Schema.V1;
using Google.Protobuf;
using Microsoft.Data.Sqlite;

namespace DataHub.Embedded;

/// <summary>
/// The embedded store: two SQLite files in WAL mode, so that the log stage and the projection stage
/// each have a writer of their own. hub.db holds the append-only record log, the current version of
/// each source row, quarantine, the unresolved-name queue and the projection marks; profiles.db holds
/// profiles with their FTS5 (trigram) search rows, the name directory and how far projection got.
/// Each connection attaches the other file for reading. One writing process per data folder.
/// </summary>
public sealed class SqliteHubStore : IHubStore, IProfileSearch, IDisposable
{
    /// <summary>The record log file; profiles.db lies beside it.</summary>
    public SqliteHubStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        ProfilesPath = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, "profiles.db");
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        // The marker is the table added last, so a store made by an earlier version gets the new tables
        // (every statement of the schema is IF NOT EXISTS).
        foreach (var (file, schema, marker) in new[] { (Path, LogSchema, "outbox"), (ProfilesPath, ProfileSchema, "profile_dates") })
        {
            using var connection = new SqliteConnection(ConnectionString(file));
            connection.Open();
            // Another process (serve, a CLI command) may be creating the same files at this moment.
            Execute(connection, "PRAGMA busy_timeout=30000;");
            // Only a new file gets the schema: read-only commands must not take a write lock beside a running import.
            using var exists = Command(connection, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=$n", ("$n", marker));
            if ((long)exists.ExecuteScalar()! > 0) continue;
            // 8 KiB pages: a commit writes each dirty page as its own WAL frame (two writes per frame), and the
            // random-key indexes dirty most of their pages per batch; larger pages mean fewer frames for the same
            // bytes (bench ingest at 1,000,000: commit time per record about a fifth lower than with 4 KiB).
            // The page size is fixed when a file is created; stores made earlier keep theirs.
            Execute(connection, "PRAGMA page_size=8192; PRAGMA journal_mode=WAL;");
            Execute(connection, schema);
            // Profile stores made before the industry filter: add its column (profiles get it at the next rebuild).
            using var columns = Command(connection, "SELECT count(*) FROM pragma_table_info('profiles') WHERE name='industry'");
            if (file == ProfilesPath && (long)columns.ExecuteScalar()! == 0)
                Execute(connection, "ALTER TABLE profiles ADD COLUMN industry TEXT NOT NULL DEFAULT ''");
        }
        using (var log = new SqliteConnection(ConnectionString(Path)))
        {
            log.Open();
            Execute(log, "PRAGMA busy_timeout=30000;");
            MigrateRecordLog(log);
            MigrateCurrentIndex(log);
        }
        // Indexes added since: a no-op once they exist.
        using (var profiles = new SqliteConnection(ConnectionString(ProfilesPath)))
        {
            profiles.Open();
            Execute(profiles, "PRAGMA busy_timeout=30000;");
            Execute(profiles, DistrictIndex);
        }
        _searchConnectionString = new SqliteConnectionStringBuilder { DataSource = ProfilesPath, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();
        // One kept connection per stage: the log stage and the projection stage each write one batch at a time.
        _logSessions = new SqliteSessionPool(OpenLog, keep: 1);
        _profileSessions = new SqliteSessionPool(OpenProfiles, keep: 1);
    }

    /// <summary>
    /// Stores made before records carried their row key and current flag kept the current versions in a
    /// separate heads table, a third random-key index per record, and keyed versions by SHA-256: such a log
    /// is rebuilt once into the present layout, every version kept with its keys recomputed and whether it is current.
    /// </summary>
    private static void MigrateRecordLog(SqliteConnection c) =>
        MigrateOnce(c, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='heads'", neededWhenCount: 1, () =>
        {
            Execute(c, RecordsTable("records_v2"));
            Execute(c, "INSERT INTO records_v2(seq, row_key, version_key, current, source, source_id, content_hash, uscc, kind, occurred_at, updated_at, body, uscc_key) " +
                       "SELECT seq, datahub_row_key(source, source_id), datahub_version_key(source, source_id, content_hash), seq IN (SELECT seq FROM heads), source, source_id, content_hash, uscc, kind, occurred_at, updated_at, body, datahub_uscc_key(uscc) " +
                       "FROM records ORDER BY seq");
            Execute(c, "DROP TABLE heads; DROP TABLE records; ALTER TABLE records_v2 RENAME TO records;");
            Execute(c, RecordsIndexes);
        });

    /// <summary>
    /// Logs made before the current-versions index was keyed by a 64-bit hash of the USCC indexed the USCC's
    /// text, an entry half again as wide; every commit rewrites most of that index's pages once the log is
    /// large. Such a log gets the key column and the narrower index once.
    /// </summary>
    private static void MigrateCurrentIndex(SqliteConnection c) =>
        MigrateOnce(c, "SELECT count(*) FROM pragma_table_info('records') WHERE name='uscc_key'", neededWhenCount: 0, () =>
        {
            Execute(c, "ALTER TABLE records ADD COLUMN uscc_key INTEGER NOT NULL DEFAULT 0; UPDATE records SET uscc_key = datahub_uscc_key(uscc); DROP INDEX IF EXISTS records_current;");
            Execute(c, RecordsIndexes);
        });

    /// <summary>
    /// Runs a migration of the log in one write transaction when <paramref name="probe"/> counts
    /// <paramref name="neededWhenCount"/>, probing again under the write lock: another process may have
    /// migrated the file while this one waited for it. The key functions the migrations compute with are registered first.
    /// </summary>
    private static void MigrateOnce(SqliteConnection c, string probe, long neededWhenCount, Action migrate)
    {
        bool Needed()
        {
            using var count = Command(c, probe);
            return (long)count.ExecuteScalar()! == neededWhenCount;
        }

        if (!Needed()) return;
        c.CreateFunction("datahub_row_key", (string source, string sourceId) => SqliteIngestBatch.RowKeyOf(source, sourceId), isDeterministic: true);
        c.CreateFunction("datahub_version_key", (string source, string sourceId, string contentHash) => SqliteIngestBatch.VersionKeyOf(source, sourceId, contentHash, 0), isDeterministic: true);
        c.CreateFunction("datahub_uscc_key", (string uscc) => SqliteIngestBatch.UsccKeyOf(uscc), isDeterministic: true);
        Execute(c, "BEGIN IMMEDIATE");
        try
        {
            if (!Needed())
            {
                Execute(c, "ROLLBACK");
                return;
            }
            migrate();
            Execute(c, "COMMIT");
        }
        catch
        {
            Execute(c, "ROLLBACK");
            throw;
        }
    }

    private readonly SqliteSessionPool _logSessions;
    private readonly SqliteSessionPool _profileSessions;

    /// <summary>Closes the connections kept between batches.</summary>
    public void Dispose()
    {
        _logSessions.Dispose();
        _profileSessions.Dispose();
        SqliteRuntime.ReleaseFreedMemory();
    }

    /// <summary>The record-log database file.</summary>
    public string Path { get; }


    /// <summary>The profile-store database file.</summary>
    public string ProfilesPath { get; }

    // Pooling is off: a pooled connection would come back with the other file still attached. Only the
    // constructor creates the files; later connections open existing ones (their ATTACH inherits the
    // flags), so a file that vanished while the hub runs is an error, not a new empty store that later
    // writes would go to.
    private static string ConnectionString(string file, SqliteOpenMode mode = SqliteOpenMode.ReadWriteCreate) =>
        new SqliteConnectionStringBuilder { DataSource = file, Mode = mode, Pooling = false }.ToString();

    /// <summary>
    /// A read-only connection to the profile store alone, from a pool: a search touches only profiles.db,
    /// and a pooled connection keeps its page cache warm across searches (a fresh one starts cold).
    /// </summary>
    internal SqliteConnection OpenSearch()
    {
        var connection = new SqliteConnection(_searchConnectionString);
        connection.Open();
        return connection;
    }

    private readonly string _searchConnectionString;

    /// <summary>A connection to the record log with the profile store attached as "profiles".</summary>
    internal SqliteConnection OpenLog() => Open(Path, ProfilesPath, "profiles", mainCacheMb: 96, attachedCacheMb: 16);

    /// <summary>A connection to the profile store with the record log attached as "log".</summary>
    internal SqliteConnection OpenProfiles() => Open(ProfilesPath, Path, "log", mainCacheMb: 64, attachedCacheMb: 48);

    private static SqliteConnection Open(string main, string attached, string alias, int mainCacheMb, int attachedCacheMb)
    {
        var connection = new SqliteConnection(ConnectionString(main, SqliteOpenMode.ReadWrite));
        try
        {
            connection.Open();
            using (var attach = connection.CreateCommand())
            {
                attach.CommandText = $"ATTACH DATABASE $file AS {alias}";
                attach.Parameters.AddWithValue("$file", attached);
                attach.ExecuteNonQuery();
            }
            // NORMAL sync is durable across process crashes in WAL mode; the caches hold the hot index pages
            // (a stage's connection is kept, so its cache fills to the size given: sized to the indexes it
            // writes at a million records, within the ingest's memory budget); checkpoints every 50,000
            // pages write a page changed by many batches once.
            Execute(connection, $"PRAGMA busy_timeout=30000; PRAGMA temp_store=MEMORY; " +
                                $"PRAGMA main.synchronous=NORMAL; PRAGMA main.cache_size=-{mainCacheMb * 1024}; PRAGMA main.wal_autocheckpoint=50000; " +
                                $"PRAGMA {alias}.synchronous=NORMAL; PRAGMA {alias}.cache_size=-{attachedCacheMb * 1024};");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public IIngestBatch BeginBatch() => new SqliteIngestBatch(_logSessions);

    public IProjectionBatch BeginProjection() => new SqliteProjectionBatch(_profileSessions);

    public PendingProjection PendingProjections()
    {
        using var c = OpenLog();
        using var watermark = Command(c, "SELECT coalesce(max(projected_through), 0) FROM projection_state");
        long through = (long)watermark.ExecuteScalar()!;
        using var cmd = Command(c, "SELECT uscc, ticket FROM projection_queue WHERE ticket > $w ORDER BY uscc", ("$w", through));
        using var r = cmd.ExecuteReader();
        var usccs = new SortedSet<string>(StringComparer.Ordinal);
        while (r.Read())
        {
            usccs.Add(r.GetString(0));
            through = Math.Max(through, r.GetInt64(1));
        }
        return new PendingProjection(usccs.ToList(), through);
    }

    public EnterpriseProfile? GetProfile(string uscc)
    {
        using var c = OpenProfiles();
        using var cmd = Command(c, "SELECT body FROM profiles WHERE uscc=$u", ("$u", uscc));
        return cmd.ExecuteScalar() is byte[] body ? EnterpriseProfile.Parser.ParseFrom(body) : null;
    }

    public IReadOnlyList<CanonicalRecord> RecordVersions(string uscc)
    {
        using var c = OpenLog();
        using var cmd = Command(c, "SELECT body FROM records WHERE seq IN (SELECT seq FROM records WHERE uscc_key=$k AND uscc=$u AND current=1 UNION SELECT seq FROM superseded WHERE uscc=$u) ORDER BY seq", ("$u", uscc), ("$k", SqliteIngestBatch.UsccKeyOf(uscc)));
        return ReadRecords(cmd);
    }

    public LogPage LogAfter(long afterSeq, IReadOnlyCollection<CanonicalRecord.BodyOneofCase> kinds, int limit)
    {
        using var c = OpenLog();
        using var tx = c.BeginTransaction();
        using var head = Command(c, "SELECT coalesce(max(seq), 0) FROM records");
        head.Transaction = tx;
        long end = (long)head.ExecuteScalar()!;
        // The kinds are enum values, not caller text: written into the statement as numbers.
        using var cmd = Command(c, $"SELECT seq, body FROM records WHERE seq > $after AND seq <= $end AND kind IN ({string.Join(",", kinds.Select(k => (long)k))}) ORDER BY seq LIMIT $limit",
            ("$after", afterSeq), ("$end", end), ("$limit", limit));
        cmd.Transaction = tx;
        using var r = cmd.ExecuteReader();
        var records = new List<CanonicalRecord>();
        long last = afterSeq;
        while (r.Read())
        {
            last = r.GetInt64(0);
            records.Add(CanonicalRecord.Parser.ParseFrom((byte[])r[1]));
        }
        return new LogPage(records, records.Count == limit ? last : Math.Max(end, afterSeq));
    }

    public IReadOnlyList<string> EnterprisesWithRecords()
    {
        using var c = OpenLog();
        using var cmd = Command(c, "SELECT DISTINCT uscc FROM records WHERE current=1 ORDER BY uscc");
        return ReadStrings(cmd);
    }

    public IReadOnlyList<string> EnterprisesWithProfiles()
    {
        using var c = OpenProfiles();
        using var cmd = Command(c, "SELECT uscc FROM profiles ORDER BY uscc");
        return ReadStrings(cmd);
    }

    public HubStats Stats()
    {
        using var c = OpenLog();
        long Count(string sql)
        {
            using var cmd = Command(c, sql);
            return (long)cmd.ExecuteScalar()!;
        }
        return new HubStats(
            Count("SELECT count(*) FROM records"),
            Count("SELECT count(*) FROM records WHERE current=1"),
            Count("SELECT count(*) FROM profiles"),
            Count("SELECT count(*) FROM quarantine WHERE replayed_at IS NULL"),
            Count("SELECT count(*) FROM unresolved"));
    }

    public void Probe()
    {
        // Opening a missing file would create an empty one; a vanished store is unavailable, not new.
        foreach (var file in new[] { Path, ProfilesPath })
            if (!File.Exists(file)) throw new IOException($"{file} is missing.");
        using var c = OpenLog();
        using var cmd = Command(c, "SELECT (SELECT last_ticket FROM log_state) + (SELECT projected_through FROM profiles.projection_state) + " +
                                   "(SELECT count(*) FROM (SELECT 1 FROM profiles.profile_search LIMIT 1))");
        cmd.ExecuteScalar();
    }

    public IReadOnlyList<SourceCount> SourceCounts()
    {
        using var c = OpenLog();
        using var cmd = Command(c, "SELECT source, sum(records), sum(quarantined) FROM (" +
                                   "SELECT source, count(*) AS records, 0 AS quarantined FROM records GROUP BY source UNION ALL " +
                                   "SELECT source, 0, count(*) FROM quarantine WHERE replayed_at IS NULL GROUP BY source) GROUP BY source ORDER BY source");
        using var r = cmd.ExecuteReader();
        var list = new List<SourceCount>();
        while (r.Read()) list.Add(new SourceCount(r.GetString(0), r.GetInt64(1), r.GetInt64(2)));
        return list;
    }

    public IReadOnlyList<QuarantineEntry> ListQuarantine(bool includeReplayed, int limit)
    {
        using var c = OpenLog();
        using var cmd = Command(c,
            "SELECT id, source, format, origin, payload, stage, reason_code, reason, quarantined_at, replay_attempts, replayed_at FROM quarantine " +
            (includeReplayed ? "" : "WHERE replayed_at IS NULL ") + "ORDER BY id LIMIT $n", ("$n", limit));
        using var r = cmd.ExecuteReader();
        var list = new List<QuarantineEntry>();
        while (r.Read())
        {
            list.Add(new QuarantineEntry
            {
                Id = r.GetInt64(0),
                Source = r.GetString(1),
                Format = r.GetString(2),
                Origin = r.GetString(3),
                Payload = (byte[])r.GetValue(4),
                Stage = r.GetString(5),
                ReasonCode = r.GetString(6),
                Reason = r.GetString(7),
                QuarantinedAt = DateTimeOffset.Parse(r.GetString(8), System.Globalization.CultureInfo.InvariantCulture),
                ReplayAttempts = r.GetInt32(9),
                ReplayedAt = r.IsDBNull(10) ? null : DateTimeOffset.Parse(r.GetString(10), System.Globalization.CultureInfo.InvariantCulture),
            });
        }
        return list;
    }

    public IReadOnlyList<UnresolvedRecord> ListUnresolved(int limit)
    {
        using var c = OpenLog();
        using var cmd = Command(c, "SELECT source, source_id, enterprise_name, normalized_name, enqueued_at FROM unresolved ORDER BY enqueued_at, source, source_id LIMIT $n", ("$n", limit));
        using var r = cmd.ExecuteReader();
        var list = new List<UnresolvedRecord>();
        while (r.Read())
            list.Add(new UnresolvedRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
                DateTimeOffset.Parse(r.GetString(4), System.Globalization.CultureInfo.InvariantCulture)));
        return list;
    }

    public IReadOnlyList<StoredAdapterState> AdapterStates()
    {
        using var c = OpenLog();
        using var cmd = Command(c, "SELECT adapter_id, checkpoint, fetched, paused, updated_at FROM adapter_state ORDER BY adapter_id");
        using var r = cmd.ExecuteReader();
        var list = new List<StoredAdapterState>();
        while (r.Read()) list.Add(new StoredAdapterState(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3) != 0, ParseTime(r.GetString(4))));
        return list;
    }

    public void SetAdapterPaused(string adapterId, bool paused, DateTimeOffset at)
    {
        using var c = OpenLog();
        using var cmd = Command(c, "INSERT INTO adapter_state(adapter_id, paused, updated_at) VALUES($a, $p, $t) " +
                                   "ON CONFLICT(adapter_id) DO UPDATE SET paused=excluded.paused, updated_at=excluded.updated_at",
            ("$a", adapterId), ("$p", paused ? 1 : 0), ("$t", FormatTime(at)));
        cmd.ExecuteNonQuery();
    }

    public IReadOnlyList<OutboxMessage> DueOutbox(DateTimeOffset now, int limit)
    {
        using var c = OpenLog();
        using var cmd = Command(c, "SELECT id, destination, idempotency_key, kind, payload, created_at, attempts, last_error FROM outbox " +
                                   "WHERE delivered_at IS NULL AND next_attempt_at <= $n ORDER BY id LIMIT $l", ("$n", FormatTime(now)), ("$l", limit));
        return ReadOutbox(cmd);
    }

    public IReadOnlyList<OutboxMessage> WaitingOutbox(string destination, long afterId, int limit)
    {
        using var c = OpenLog();
        using var cmd = Command(c, "SELECT id, destination, idempotency_key, kind, payload, created_at, attempts, last_error FROM outbox " +
                                   "WHERE delivered_at IS NULL AND destination = $d AND id > $a ORDER BY id LIMIT $l", ("$d", destination), ("$a", afterId), ("$l", limit));
        return ReadOutbox(cmd);
    }

    private static List<OutboxMessage> ReadOutbox(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<OutboxMessage>();
        while (r.Read())
            list.Add(new OutboxMessage(r.GetInt64(0), new OutboxIntent(r.GetString(1), r.GetString(2), r.GetString(3), (byte[])r.GetValue(4)),
                ParseTime(r.GetString(5)), r.GetInt32(6), r.IsDBNull(7) ? null : r.GetString(7), null));
        return list;
    }

    public void MarkOutboxDelivered(long id, DateTimeOffset at)
    {
        using var c = OpenLog();
        using var cmd = Command(c, "UPDATE outbox SET delivered_at=$t, attempts=attempts+1, last_error=NULL WHERE id=$i", ("$t", FormatTime(at)), ("$i", id));
        cmd.ExecuteNonQuery();
    }

    public void MarkOutboxFailed(long id, string error, DateTimeOffset nextAttemptAt)
    {
        using var c = OpenLog();
        using var cmd = Command(c, "UPDATE outbox SET attempts=attempts+1, last_error=$e, next_attempt_at=$t WHERE id=$i",
            ("$e", error), ("$t", FormatTime(nextAttemptAt)), ("$i", id));
        cmd.ExecuteNonQuery();
    }

    public IReadOnlyList<OutboxCount> OutboxCounts()
    {
        using var c = OpenLog();
        using var cmd = Command(c, "SELECT destination, sum(delivered_at IS NULL), sum(delivered_at IS NOT NULL), sum(delivered_at IS NULL AND last_error IS NOT NULL) " +
                                   "FROM outbox GROUP BY destination ORDER BY destination");
        using var r = cmd.ExecuteReader();
        var list = new List<OutboxCount>();
        while (r.Read()) list.Add(new OutboxCount(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3)));
        return list;
    }

    /// <summary>Times are stored as fixed-width UTC text, so they order as text.</summary>
    internal static string FormatTime(DateTimeOffset at) => at.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// A text that is a USCC or its prefix (any case, full-width) matches by code; any other text is a
    /// substring search over the indexed text: FTS5 trigram for three characters or more, a scan for
    /// shorter. Filters narrow either; no text and only filters lists by USCC.
    /// </summary>
    public SearchPage Search(ProfileQuery query)
    {
        using var c = OpenSearch();
        var code = Uscc.Normalize(query.Text);
        var text = HalfWidth.Fold(query.Text).Trim();
        var where = new List<string>();
        var parameters = new List<(string, object)>();
        string from, order;
        // The district path's select over the covering index; it applies district, risk and fragment itself.
        string? districtSelect = null;
        // The trigram path's select over the FTS table alone.
        string? ftsSelect = null;
        if (text.Length > 0 && LooksLikeUsccPrefix(code))
        {
            (from, order) = ("profiles p", "p.uscc");
            where.Add("p.uscc >= $lo AND p.uscc < $hi");
            parameters.AddRange([("$lo", code), ("$hi", code + "\uffff")]);
        }
        else if (text.Length >= 3 && query.DistrictCode is not null)
        {
            // A district narrows a million profiles to a few tens of thousands through its index, and
            // scanning those beats walking every trigram match of a common fragment. The inner select reads
            // the covering index alone. In relevance order the results come in index order (the order the
            // profiles were first stored), by code when another filter needs every match's row anyway.
            (from, order) = ("profiles p", "p.uscc");
            districtSelect = "SELECT rowid FROM profiles WHERE district_code = $d" + (query.RiskTier is null ? "" : " AND risk_tier = $r") +
                             " AND search_text LIKE $like ESCAPE '\\'";
            where.Add($"p.rowid IN ({districtSelect})");
            parameters.Add(("$like", "%" + text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%"));
        }
        else if (text.Length >= 3)
        {
            (from, order) = ("profile_search s JOIN profiles p ON p.rowid = s.rowid", "bm25(profile_search), p.uscc");
            where.Add("profile_search MATCH $q");
            parameters.Add(("$q", "\"" + text.Replace("\"", "\"\"") + "\""));
            ftsSelect = "SELECT rowid FROM profile_search WHERE profile_search MATCH $q";
        }
        else if (text.Length > 0)
        {
            (from, order) = ("profile_search s JOIN profiles p ON p.rowid = s.rowid", "p.uscc");
            where.Add("(s.name LIKE $q OR s.former_names LIKE $q OR s.legal_representative LIKE $q OR s.address LIKE $q)");
            parameters.Add(("$q", "%" + text.Replace("%", "").Replace("_", "") + "%"));
        }
        else if (query.HasFilter)
        {
            (from, order) = ("profiles p", "p.uscc");
        }
        else return new SearchPage([], 0);

        // With a district and a fragment, the inner index select already applies district and risk.
        if (query.DistrictCode is { } district) { if (districtSelect is null) where.Add("p.district_code = $d"); parameters.Add(("$d", district)); }
        if (query.Status is { } status) { where.Add("p.status = $s"); parameters.Add(("$s", status.ToString())); }
        if (query.RiskTier is { } tier) { if (districtSelect is null) where.Add("p.risk_tier = $r"); parameters.Add(("$r", tier.ToString())); }
        if (query.CreditGrade is { } grade) { where.Add("p.credit_grade = $g"); parameters.Add(("$g", grade)); }
        if (query.IndustrySection is { } industry) { where.Add("p.industry = $i"); parameters.Add(("$i", industry)); }
        if (query.LicenceExpiring is { } window)
        {
            where.Add($"EXISTS (SELECT 1 FROM profile_dates e WHERE e.kind = {ProfileDates.LicenceValidUntil} AND e.on_date BETWEEN $lf AND $lt AND e.uscc = p.uscc)");
            parameters.AddRange([("$lf", Core.Records.ChinaDates.Format(window.From)), ("$lt", Core.Records.ChinaDates.Format(window.To))]);
        }
        if (query.CommitmentOverdueOn is { } today)
        {
            where.Add($"EXISTS (SELECT 1 FROM profile_dates e WHERE e.kind = {ProfileDates.CommitmentDeadline} AND e.on_date < $co AND e.uscc = p.uscc)");
            parameters.Add(("$co", Core.Records.ChinaDates.Format(today)));
        }
        order = query.Sort switch
        {
            ProfileSort.Name => "p.name, p.uscc",
            ProfileSort.Uscc => "p.uscc",
            ProfileSort.RiskFirst => "CASE p.risk_tier WHEN 'High' THEN 0 WHEN 'Medium' THEN 1 WHEN 'Low' THEN 2 ELSE 3 END, p.uscc",
            _ => order,
        };
        var filter = where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "";

        // Counting stops past the cap: a two-character or very common fragment must not make every search count a million rows.
        // When the district path's index select or the trigram match is the only condition, it is counted
        // alone: reading the matches' rows just to count them cost up to 0.2 s for a common fragment.
        var alone = where.Count == 1 ? districtSelect ?? ftsSelect : null;
        var counted = alone ?? $"SELECT 1 FROM {from}{filter}";
        using var count = Command(c, $"SELECT count(*) FROM ({counted} LIMIT {SearchPage.CountCap + 1})", [.. parameters]);
        var total = (long)count.ExecuteScalar()!;
        bool capped = total > SearchPage.CountCap;
        // Ranking a huge match set is as slow as counting it, and says little: show it in index order instead.
        if (capped && query.Sort == ProfileSort.Relevance && order.StartsWith("bm25", StringComparison.Ordinal)) order = "s.rowid";
        // Likewise sorting by code over the district path's matches reads every matching row: past the
        // cap (with another filter) they come in index order.
        if (capped && query.Sort == ProfileSort.Relevance && districtSelect is not null) order = "p.rowid";
        // In relevance order with no other filter, the page is chosen where the matches are found — in the
        // FTS table (bm25, ties by row id), or the district index (index order) — and only its rows are read
        // from the profiles, instead of every match's row for the sort.
        var page = (alone, query.Sort) switch
        {
            (not null, ProfileSort.Relevance) when ftsSelect is not null =>
                $"SELECT {HitColumns} FROM (SELECT rowid, {(capped ? "0" : "bm25(profile_search)")} AS rank FROM profile_search WHERE profile_search MATCH $q " +
                "ORDER BY rank, rowid LIMIT $n OFFSET $o) s JOIN profiles p ON p.rowid = s.rowid ORDER BY s.rank, s.rowid",
            (not null, ProfileSort.Relevance) =>
                $"SELECT {HitColumns} FROM ({alone} ORDER BY rowid LIMIT $n OFFSET $o) s JOIN profiles p ON p.rowid = s.rowid ORDER BY p.rowid",
            _ => $"SELECT {HitColumns} FROM {from}{filter} ORDER BY {order} LIMIT $n OFFSET $o",
        };
        using var cmd = Command(c, page, [.. parameters, ("$n", query.Limit), ("$o", query.Offset)]);
        using var r = cmd.ExecuteReader();
        var hits = new List<SearchHit>();
        while (r.Read())
            hits.Add(new SearchHit(r.GetString(0), r.GetString(1), r.GetString(2), Enum.Parse<RegistrationStatus>(r.GetString(3)),
                Enum.Parse<RiskTier>(r.GetString(4)), r.GetString(5))
            {
                IndexedTexts = r.GetString(6).Split('\u001f'),
                Industry = r.GetString(7),
            });
        return new SearchPage(hits, capped ? SearchPage.CountCap : total) { TotalIsLowerBound = capped };
    }

    /// <summary>Six to eighteen USCC characters starting with authority, category and division digits: a code, not a name.</summary>
    public static bool LooksLikeUsccPrefix(string code) =>
        code.Length is >= 6 and <= Uscc.Length && code.All(ch => Uscc.ValueOf(ch) >= 0) && code.AsSpan(2, Math.Min(6, code.Length - 2)).ContainsAnyExcept("0123456789") == false;

    private const string HitColumns = "p.uscc, p.name, p.district_code, p.status, p.risk_tier, p.credit_grade, p.search_text, p.industry";

    /// <summary>The first column of every row, as text.</summary>
    internal static List<string> ReadStrings(SqliteCommand cmd)
    {
        using var reader = cmd.ExecuteReader();
        var list = new List<string>();
        while (reader.Read()) list.Add(reader.GetString(0));
        return list;
    }

    internal static List<CanonicalRecord> ReadRecords(SqliteCommand cmd)
    {
        using var reader = cmd.ExecuteReader();
        var list = new List<CanonicalRecord>();
        while (reader.Read()) list.Add(CanonicalRecord.Parser.ParseFrom((byte[])reader.GetValue(0)));
        return list;
    }

    internal static SqliteCommand Command(SqliteConnection c, string sql, params (string Name, object Value)[] parameters)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        return cmd;
    }

    internal static void Execute(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    // The record log. Every version of a source row shares its row key; one index on (row key, version
    // key) finds an exact version (dedup) and all versions of a row (which is current), and a partial
    // index on a 64-bit key of the USCC lists each enterprise's current versions (queries also compare the
    // USCC, so colliding keys cost a row read, never a wrong answer). Two random-key index entries per
    // record: each costs a page write per commit once the store is large, so both are kept narrow.
    private static string RecordsTable(string name) => $"""
        CREATE TABLE IF NOT EXISTS {name}(
            seq INTEGER PRIMARY KEY,
            row_key INTEGER NOT NULL,
            version_key INTEGER NOT NULL,
            current INTEGER NOT NULL,
            source TEXT NOT NULL,
            source_id TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            uscc TEXT NOT NULL,
            kind INTEGER NOT NULL,
            occurred_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            body BLOB NOT NULL,
            uscc_key INTEGER NOT NULL);

        """;

    private const string RecordsIndexes = """
        CREATE UNIQUE INDEX IF NOT EXISTS records_version ON records(row_key, version_key);
        CREATE INDEX IF NOT EXISTS records_current ON records(uscc_key) WHERE current = 1;

        """;

    private static readonly string LogSchema = RecordsTable("records") + RecordsIndexes + """
        CREATE TABLE IF NOT EXISTS superseded(
            uscc TEXT NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY(uscc, seq)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS quarantine(
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            format TEXT NOT NULL,
            origin TEXT NOT NULL,
            payload BLOB NOT NULL,
            payload_sha256 TEXT NOT NULL,
            stage TEXT NOT NULL,
            reason_code TEXT NOT NULL,
            reason TEXT NOT NULL,
            quarantined_at TEXT NOT NULL,
            replay_attempts INTEGER NOT NULL DEFAULT 0,
            last_replay_at TEXT,
            replayed_at TEXT,
            UNIQUE(source, payload_sha256));
        CREATE TABLE IF NOT EXISTS unresolved(
            source TEXT NOT NULL,
            source_id TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            enterprise_name TEXT NOT NULL,
            normalized_name TEXT NOT NULL,
            body BLOB NOT NULL,
            enqueued_at TEXT NOT NULL,
            PRIMARY KEY(source, source_id, content_hash)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS unresolved_name ON unresolved(normalized_name);
        CREATE TABLE IF NOT EXISTS projection_queue(
            ticket INTEGER NOT NULL,
            uscc TEXT NOT NULL,
            PRIMARY KEY(ticket, uscc)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS log_state(
            id INTEGER PRIMARY KEY CHECK (id = 1),
            last_ticket INTEGER NOT NULL);
        INSERT OR IGNORE INTO log_state(id, last_ticket) VALUES(1, 0);
        CREATE TABLE IF NOT EXISTS adapter_state(
            adapter_id TEXT PRIMARY KEY,
            checkpoint TEXT NOT NULL DEFAULT '',
            fetched INTEGER NOT NULL DEFAULT 0,
            paused INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS outbox(
            id INTEGER PRIMARY KEY,
            destination TEXT NOT NULL,
            idempotency_key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            payload BLOB NOT NULL,
            created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error TEXT,
            delivered_at TEXT);
        CREATE INDEX IF NOT EXISTS outbox_due ON outbox(next_attempt_at) WHERE delivered_at IS NULL;
        """;

    /// <summary>
    /// District and risk with the indexed text: a search with a district reads this index alone (a few
    /// MB) instead of each matching profile's row with its body.
    /// </summary>
    private const string DistrictIndex = "CREATE INDEX IF NOT EXISTS profiles_district_text ON profiles(district_code, risk_tier, search_text)";

    private const string ProfileSchema = """
        CREATE TABLE IF NOT EXISTS profiles(
            uscc TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            district_code TEXT NOT NULL,
            status TEXT NOT NULL,
            risk_tier TEXT NOT NULL,
            credit_grade TEXT NOT NULL,
            search_text TEXT NOT NULL,
            body BLOB NOT NULL,
            industry TEXT NOT NULL DEFAULT '');
        CREATE VIRTUAL TABLE IF NOT EXISTS profile_search USING fts5(
            uscc, name, former_names, legal_representative, address, tokenize='trigram');
        CREATE TABLE IF NOT EXISTS enterprise_names(
            normalized_name TEXT NOT NULL,
            uscc TEXT NOT NULL,
            former INTEGER NOT NULL,
            PRIMARY KEY(normalized_name, uscc)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS enterprise_names_uscc ON enterprise_names(uscc);
        CREATE TABLE IF NOT EXISTS profile_dates(
            uscc TEXT NOT NULL,
            kind INTEGER NOT NULL,
            on_date TEXT NOT NULL,
            PRIMARY KEY(kind, on_date, uscc)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS profile_dates_uscc ON profile_dates(uscc);
        CREATE TABLE IF NOT EXISTS projection_state(
            id INTEGER PRIMARY KEY CHECK (id = 1),
            projected_through INTEGER NOT NULL);
        INSERT OR IGNORE INTO projection_state(id, projected_through) VALUES(1, 0);
        """;
}
