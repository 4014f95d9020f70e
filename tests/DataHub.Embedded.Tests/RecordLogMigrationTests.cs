using DataHub.Adapters.Import;
using DataHub.Core.Ingest;
using DataHub.Core.Records;
using DataHub.Schema.V1;
using Google.Protobuf;
using Microsoft.Data.Sqlite;

namespace DataHub.Embedded.Tests;

/// <summary>A record log of an earlier layout is migrated once, losing nothing.</summary>
public sealed class RecordLogMigrationTests
{
    /// <summary>
    /// Turns a store's log back into the earlier layout: records with a globally unique version key (made
    /// of other values than today's keys, as the earlier SHA-256 keys were), and the heads table.
    /// </summary>
    private const string HeadsLayout = """
            BEGIN;
            CREATE TABLE records_old(seq INTEGER PRIMARY KEY, version_key INTEGER NOT NULL UNIQUE, source TEXT NOT NULL, source_id TEXT NOT NULL,
                content_hash TEXT NOT NULL, uscc TEXT NOT NULL, kind INTEGER NOT NULL, occurred_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, body BLOB NOT NULL);
            INSERT INTO records_old SELECT seq, seq * 7919, source, source_id, content_hash, uscc, kind, occurred_at, updated_at, body FROM records;
            CREATE TABLE heads(id INTEGER PRIMARY KEY, row_key INTEGER NOT NULL UNIQUE, source TEXT NOT NULL, source_id TEXT NOT NULL, seq INTEGER NOT NULL,
                uscc TEXT NOT NULL, updated_at INTEGER NOT NULL, content_hash TEXT NOT NULL, previous_seq INTEGER, previous_uscc TEXT);
            INSERT INTO heads(row_key, source, source_id, seq, uscc, updated_at, content_hash)
                SELECT row_key, source, source_id, seq, uscc, updated_at, content_hash FROM records WHERE current = 1;
            CREATE INDEX heads_uscc ON heads(uscc);
            DROP TABLE records;
            ALTER TABLE records_old RENAME TO records;
            COMMIT;
            """;

    /// <summary>The layout before the current-versions index was keyed by a hash of the USCC: it indexed the USCC's text.</summary>
    private const string UsccTextIndexLayout = """
            BEGIN;
            DROP INDEX records_current;
            ALTER TABLE records DROP COLUMN uscc_key;
            CREATE INDEX records_current ON records(uscc) WHERE current = 1;
            COMMIT;
            """;

    private static void Rewrite(string path, string sql)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static long Scalar(string path, string sql)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }

    [Theory]
    [InlineData(nameof(HeadsLayout))]
    [InlineData(nameof(UsccTextIndexLayout))]
    public async Task An_earlier_log_is_migrated_with_every_version_and_keeps_deduplicating_and_superseding(string layout)
    {
        using var hub = new TempHub(batchSize: 97);
        // Dirt includes exact duplicates and out-of-order updates, so the log holds superseded versions.
        var lines = TempHub.Generate(enterprises: 60, seed: 77, dirtRate: 0.3).Select(l => l.Json).ToList();
        await hub.IngestLinesAsync(lines);
        var stats = hub.Store.Stats();
        var usccs = hub.Store.EnterprisesWithRecords();
        var versions = usccs.ToDictionary(u => u, u => hub.Store.RecordVersions(u).Select(r => r.ToByteString()).ToList());
        var profiles = usccs.ToDictionary(u => u, u => hub.Store.GetProfile(u)!.ToByteString());
        Assert.True(Scalar(hub.Store.Path, "SELECT count(*) FROM records WHERE current = 0") > 0, "the data set should hold superseded versions");
        hub.Store.Dispose();
        Rewrite(hub.Store.Path, layout == nameof(HeadsLayout) ? HeadsLayout : UsccTextIndexLayout);
        Assert.Equal(0, Scalar(hub.Store.Path, "SELECT count(*) FROM pragma_table_info('records') WHERE name = 'uscc_key'"));

        using var migrated = new SqliteHubStore(hub.Store.Path);
        Assert.Equal(0, Scalar(migrated.Path, "SELECT count(*) FROM sqlite_master WHERE name = 'heads'"));
        // The current-versions index is on the USCC's key, and every row's key is that of its USCC.
        Assert.Equal(1, Scalar(migrated.Path, "SELECT count(*) FROM pragma_index_info('records_current') WHERE name = 'uscc_key'"));
        Assert.Equal(0, Scalar(migrated.Path, "SELECT count(*) FROM records WHERE uscc_key = 0"));
        using (var log = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = migrated.Path, Pooling = false }.ToString()))
        {
            log.Open();
            using var keys = log.CreateCommand();
            keys.CommandText = "SELECT uscc, uscc_key FROM records";
            using var rows = keys.ExecuteReader();
            while (rows.Read()) Assert.Equal(SqliteIngestBatch.UsccKeyOf(rows.GetString(0)), rows.GetInt64(1));
        }
        Assert.Equal(stats, migrated.Stats());
        Assert.Equal(usccs, migrated.EnterprisesWithRecords());
        foreach (var u in usccs) Assert.Equal(versions[u], migrated.RecordVersions(u).Select(r => r.ToByteString()).ToList());

        // Opening it again finds nothing to migrate; importing the same lines changes nothing; a rebuild gives the same profiles.
        using var reopened = new SqliteHubStore(hub.Store.Path);
        var pipeline = new IngestPipeline(reopened, new InProcessEventBus(), new RecordNormalizer(), [new CanonicalJsonLinesMapper()], TimeProvider.System);
        var again = await pipeline.IngestAsync(lines.Select((l, i) => TempHub.Raw(l, i + 1)));
        Assert.Equal(0, again.Stored);
        Assert.Equal(stats, reopened.Stats());
        pipeline.Rebuild();
        foreach (var u in usccs) Assert.Equal(profiles[u], reopened.GetProfile(u)!.ToByteString());

        // A newer version of a migrated row supersedes it; the earlier one stays in the log.
        var current = reopened.RecordVersions(usccs[0]).First(r => r.BodyCase == CanonicalRecord.BodyOneofCase.Registration);
        var newer = current.Clone();
        newer.Registration.Address = "江苏省宿迁市迁移测试路1号（合成）";
        newer.UpdatedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(current.UpdatedAt.ToDateTimeOffset().AddDays(1));
        newer.ContentHash = "";
        var summary = await pipeline.IngestAsync([TempHub.Raw(Google.Protobuf.JsonFormatter.Default.Format(newer), 1)]);
        Assert.Equal(1, summary.Stored);
        Assert.Equal("江苏省宿迁市迁移测试路1号（合成）", reopened.GetProfile(usccs[0])!.Identity.Address);
        Assert.Equal(stats.Records + 1, reopened.Stats().Records);
        Assert.Equal(stats.CurrentRecords, reopened.Stats().CurrentRecords);
    }
}
